/* kv-maintenance.c: keeping a database small, fast and checked: optimize, incremental
 * vacuum, WAL checkpoints, integrity checks.
 *
 * All of it runs with the writer lock held, at open, at close, or when asked. */
#include "config.h"

#include "kv-private.h"

/* Free pages are given back to the file system once they are this many, and a quarter
 * of the file: small leftovers are cheaper to reuse than to release. */
#define VACUUM_MIN_FREE_PAGES 64

static gboolean
vacuum_if_worth_it (KvConn  *conn,
                    GError **error)
{
  gint64 free_pages, pages;

  if (!kv_conn_query_int (conn, "PRAGMA freelist_count", &free_pages, error) ||
      !kv_conn_query_int (conn, "PRAGMA page_count", &pages, error))
    return FALSE;
  if (free_pages < VACUUM_MIN_FREE_PAGES || free_pages * 4 < pages)
    return TRUE;
  return kv_conn_exec (conn, "PRAGMA incremental_vacuum", "vacuum", error);
}

/* At open: the cheap part only, so that start-up stays fast. A backup is due only for a
 * file that existed before (a new one has nothing to save yet). Only corruption found
 * by the backup's check fails the open (it leads to recovery); any other backup
 * failure keeps the previous backup and is logged. */
gboolean
kv_maintain_at_open (XulKvDb  *db,
                     gboolean  created,
                     GError  **error)
{
  g_autoptr (GError) local_error = NULL;

  if (db->flags & XUL_KV_OPEN_READ_ONLY)
    return TRUE;
  /* Statistics are an optimisation: a busy database must not fail the open. */
  kv_conn_exec (db->conn, "PRAGMA optimize", "optimize", NULL);
  if (created || kv_backup_if_due (db, &local_error))
    return TRUE;
  if (g_error_matches (local_error, XUL_KV_ERROR, XUL_KV_ERROR_CORRUPT))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_warning ("Automatic backup skipped: %s", local_error->message);
  return TRUE;
}

/* A passive checkpoint never waits: a live iterator's snapshot would otherwise hold it
 * (and the writer lock with it) for the whole busy timeout. At close, SQLite's own
 * checkpoint by the last connection finishes the job and removes the WAL. */
gboolean
kv_maintain_locked (XulKvDb *db,
                    GError **error)
{
  return kv_conn_exec (db->conn, "PRAGMA optimize", "optimize", error) &&
         vacuum_if_worth_it (db->conn, error) &&
         kv_backup_if_due (db, error) &&
         kv_conn_exec (db->conn, "PRAGMA wal_checkpoint(PASSIVE)", "checkpoint", error);
}

/**
 * xul_kv_db_maintain:
 * @self: a #XulKvDb
 * @error: return location for a #GError
 *
 * Runs the maintenance that close runs: `PRAGMA optimize`, an incremental vacuum when
 * enough pages are free, a backup when one is due, and a passive WAL checkpoint (one
 * that never waits for readers).
 *
 * Returns: %TRUE on success
 */
gboolean
xul_kv_db_maintain (XulKvDb *self,
                    GError  **error)
{
  gboolean ok;

  g_return_val_if_fail (XUL_IS_KV_DB (self), FALSE);
  if (kv_db_lock (self, TRUE, error) == NULL)
    return FALSE;
  ok = kv_maintain_locked (self, error);
  kv_db_unlock (self);
  return ok;
}

/**
 * xul_kv_db_check_integrity:
 * @self: a #XulKvDb
 * @error: return location for a #GError
 *
 * Runs `PRAGMA integrity_check` over the whole file. It never repairs anything.
 *
 * Returns: %TRUE when the file is sound; %FALSE with %XUL_KV_ERROR_CORRUPT, whose
 *   message lists the problems found, or another error
 */
gboolean
xul_kv_db_check_integrity (XulKvDb *self,
                           GError  **error)
{
  g_autofree char *problems = NULL;
  KvConn *conn;
  gboolean ok;

  g_return_val_if_fail (XUL_IS_KV_DB (self), FALSE);
  if ((conn = kv_db_lock (self, FALSE, error)) == NULL)
    return FALSE;
  /* A file without tables, opened read-only, must not be read (see kv_db_connect). */
  ok = !kv_conn_has_schema (conn) ||
       kv_conn_check (conn, "PRAGMA integrity_check", &problems, error);
  kv_db_unlock (self);
  if (ok && problems != NULL)
    {
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CORRUPT, "“%s” is damaged: %s",
                   self->path, problems);
      return FALSE;
    }
  return ok;
}
