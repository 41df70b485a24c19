/* kv-recovery.c: what happens to a damaged database: nothing is deleted.
 *
 * The damaged files are moved aside as `<db>.corrupt-<UTC time>` (plus -wal, -shm),
 * the backup is restored when it passes integrity_check, otherwise an empty database is
 * started; a backup that fails its check is moved aside too, so that the next automatic
 * backup cannot overwrite it. Runs with the writer lock held. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "kv-private.h"

static const char *const companion_suffixes[] = { "", "-wal", "-shm" };

static char *
utc_stamp (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  return g_date_time_format (now, "%Y%m%dT%H%M%SZ");
}

/* `<path>.<tag>-<UTC time>`, with a counter when two recoveries share a second. The
 * companions (-wal, -shm) must be free too, so that they stay together. */
static char *
unused_aside_path (const char *path,
                   const char *tag)
{
  g_autofree char *stamp = utc_stamp ();

  for (guint n = 0;; n++)
    {
      g_autofree char *candidate =
        n == 0 ? g_strdup_printf ("%s.%s-%s", path, tag, stamp)
               : g_strdup_printf ("%s.%s-%s-%u", path, tag, stamp, n);
      gboolean taken = FALSE;

      for (gsize i = 0; i < G_N_ELEMENTS (companion_suffixes); i++)
        {
          g_autofree char *file = g_strconcat (candidate, companion_suffixes[i], NULL);
          taken = taken || g_file_test (file, G_FILE_TEST_EXISTS);
        }
      if (!taken)
        return g_steal_pointer (&candidate);
    }
}

/* Moves @path and its companions aside; returns the new path of @path. */
char *
kv_move_aside (const char *path,
               const char *tag,
               GError    **error)
{
  g_autofree char *aside = unused_aside_path (path, tag);

  for (gsize i = 0; i < G_N_ELEMENTS (companion_suffixes); i++)
    {
      g_autofree char *from = g_strconcat (path, companion_suffixes[i], NULL);
      g_autofree char *to = g_strconcat (aside, companion_suffixes[i], NULL);

      if (g_rename (from, to) != 0)
        {
          int saved_errno = errno;
          if (saved_errno == ENOENT)
            continue;
          g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_IO,
                       "Cannot move damaged “%s” aside to “%s”: %s", from, to,
                       g_strerror (saved_errno));
          return NULL;
        }
      g_chmod (to, 0600);
    }
  return g_steal_pointer (&aside);
}

static void
record_recovery (XulKvDb *db)
{
  static const char sql[] =
    "INSERT INTO meta (key, value) VALUES ('" KV_META_RESERVED_PREFIX "last-recovery', ?1)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value";
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format_iso8601 (now);
  g_autofree char *record = g_strdup_printf (
    "%s %s %s", stamp,
    db->recovery == XUL_KV_RECOVERY_RESTORED_FROM_BACKUP ? "restored-from-backup"
                                                         : "started-empty",
    db->quarantine_path != NULL ? db->quarantine_path : "");
  g_auto (KvStatement) stmt = kv_conn_prepare (db->conn, sql, NULL);

  /* Best effort: the record is informative, the recovery itself is done. */
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, record, -1, SQLITE_STATIC);
      sqlite3_step (stmt);
    }
}

static gboolean
is_transient (const GError *error)
{
  return g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_IO) ||
         g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_FULL) ||
         g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_BUSY);
}

/* Puts the backup in place of the (absent) database, or leaves the place empty. A
 * backup that cannot be used is moved aside; a transient failure (I/O, disk full,
 * busy) is an error, so that a good backup is never skipped for a passing reason. */
static gboolean
restore_backup_or_nothing (XulKvDb *db,
                           GError **error)
{
  g_autofree char *backup_path = kv_backup_default_path (db->path);
  g_autoptr (GError) local_error = NULL;
  g_autofree char *aside = NULL;

  if (!g_file_test (backup_path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (kv_backup_restore_file (backup_path, db->path, &local_error))
    {
      db->recovery = XUL_KV_RECOVERY_RESTORED_FROM_BACKUP;
      return TRUE;
    }
  if (is_transient (local_error))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  aside = kv_move_aside (backup_path, "corrupt", error);
  return aside != NULL;
}

/* Recovers @db, whose connection is closed or damaged, and reconnects it. */
gboolean
kv_recovery_run (XulKvDb *db,
                 GError **error)
{
  g_autofree char *quarantine = NULL;

  kv_db_drop_idle_readers (db);
  g_mutex_lock (&db->pool_lock);
  db->recovered_generation = db->generation;
  g_mutex_unlock (&db->pool_lock);
  kv_conn_close_untouched (g_steal_pointer (&db->conn));

  if (g_file_test (db->path, G_FILE_TEST_EXISTS))
    {
      quarantine = kv_move_aside (db->path, "corrupt", error);
      if (quarantine == NULL)
        return FALSE;
    }
  db->recovery = XUL_KV_RECOVERY_STARTED_EMPTY;
  g_free (db->quarantine_path);
  db->quarantine_path = g_steal_pointer (&quarantine);

  if (!restore_backup_or_nothing (db, error) ||
      !kv_create_private_file (db->path, error) ||
      !kv_db_connect (db, FALSE, error))
    return FALSE;
  record_recovery (db);
  return TRUE;
}

/**
 * xul_kv_db_recover:
 * @self: a #XulKvDb
 * @error: return location for a #GError
 *
 * Recovers from corruption found while the database was in use (an operation failed
 * with %XUL_KV_ERROR_CORRUPT): the damaged files are moved aside, the backup is restored
 * when sound, otherwise an empty database is started. Store handles stay valid.
 * Iterators already running keep reading the damaged file until freed.
 *
 * Returns: %TRUE on success; see xul_kv_db_get_recovery() for what was done
 */
gboolean
xul_kv_db_recover (XulKvDb *self,
                   GError  **error)
{
  gboolean ok;

  g_return_val_if_fail (XUL_IS_KV_DB (self), FALSE);
  if (kv_db_lock (self, TRUE, error) == NULL)
    return FALSE;
  ok = kv_recovery_run (self, error);
  if (!ok)
    g_atomic_int_set (&self->closed, TRUE);
  kv_db_unlock (self);
  return ok;
}

/* A database file that is gone while its backup is still there is what an interrupted
 * recovery, or a clean-up that missed the backup, leaves: bring the backup back. */
gboolean
kv_recovery_restore_missing (XulKvDb *db,
                             GError **error)
{
  if (g_file_test (db->path, G_FILE_TEST_EXISTS))
    return TRUE;
  return restore_backup_or_nothing (db, error);
}
