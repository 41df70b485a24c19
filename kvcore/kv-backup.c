/* kv-backup.c: online backups with the SQLite backup API, and restoring them.
 *
 * A backup is written to a temporary file beside its destination, checked, synced and
 * renamed into place, so `<db>.bak` is always either the previous complete backup or
 * the new one. A copy that fails its check never replaces a good backup. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "kv-files-private.h"
#include "kv-private.h"

#define BACKUP_RETRY_SLEEP_US 10000
#define BACKUP_MAX_RETRIES 500

static gboolean
set_errno_error (GError    **error,
                 int         saved_errno,
                 const char *operation,
                 const char *path)
{
  g_set_error (error, XUL_KV_ERROR,
               saved_errno == ENOSPC ? XUL_KV_ERROR_FULL : XUL_KV_ERROR_IO,
               "Cannot %s “%s”: %s", operation, path, g_strerror (saved_errno));
  return FALSE;
}

/* Copies every page of @source into @dest, retrying while another connection holds a
 * lock. Both handles must be unused by anyone else meanwhile. */
static int
copy_pages (sqlite3 *dest,
            sqlite3 *source)
{
  sqlite3_backup *backup = sqlite3_backup_init (dest, "main", source, "main");
  int rc = SQLITE_OK;

  if (backup == NULL)
    return sqlite3_extended_errcode (dest);
  for (int retries = 0; retries < BACKUP_MAX_RETRIES; retries++)
    {
      rc = sqlite3_backup_step (backup, -1);
      if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
        break;
      g_usleep (BACKUP_RETRY_SLEEP_US);
    }
  sqlite3_backup_finish (backup);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Writes the copy to @tmp_path: pages, a self-contained journal mode, and a check. */
static gboolean
write_copy (sqlite3    *source,
            const char *source_path,
            const char *tmp_path,
            GError    **error)
{
  g_autofree char *problems = NULL;
  KvConn *dest = kv_conn_open (tmp_path, FALSE, error);
  gboolean ok = FALSE;
  int rc;

  if (dest == NULL)
    return FALSE;
  rc = copy_pages (dest->handle, source);
  if (rc != SQLITE_OK)
    {
      /* A read failure names the source; a write failure the copy. */
      gboolean source_failed = kv_is_corruption (rc) || (rc & 0xff) == SQLITE_BUSY;
      kv_set_sqlite_error (error, rc, NULL, source_failed ? source_path : tmp_path,
                           source_failed ? "back up" : "write a backup to");
    }
  /* The copy must open on its own, without -wal or -shm beside it. */
  else if (kv_conn_exec (dest, "PRAGMA journal_mode = DELETE", "finish a backup in", error) &&
           kv_conn_check (dest, "PRAGMA quick_check", &problems, error))
    {
      if (problems != NULL)
        g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CORRUPT,
                     "Cannot back up “%s”: the copy is damaged, so the file is: %s",
                     source_path, problems);
      ok = problems == NULL;
    }
  kv_conn_close (dest);
  return ok;
}

static gboolean
sync_file (const char *path,
           GError    **error)
{
  int fd = g_open (path, O_RDWR | O_CLOEXEC, 0);
  gboolean ok;

  if (fd < 0)
    return set_errno_error (error, errno, "sync", path);
  ok = fsync (fd) == 0 || set_errno_error (error, errno, "sync", path);
  close (fd);
  return ok;
}

/* Copies the database open on @source to @dest_path, atomically. */
gboolean
kv_backup_copy (sqlite3    *source,
                const char *source_path,
                const char *dest_path,
                GError    **error)
{
  g_autofree char *tmp_path = g_strconcat (dest_path, ".tmp-XXXXXX", NULL);
  int fd = g_mkstemp_full (tmp_path, O_RDWR | O_CLOEXEC, 0600);
  gboolean ok;

  if (fd < 0)
    return set_errno_error (error, errno, "create a backup beside", dest_path);
  close (fd);

  ok = write_copy (source, source_path, tmp_path, error) &&
       sync_file (tmp_path, error) &&
       (g_rename (tmp_path, dest_path) == 0 ||
        set_errno_error (error, errno, "move a backup into", dest_path));
  if (ok)
    kv_sync_directory_of (dest_path);
  else
    g_unlink (tmp_path);
  return ok;
}

char *
kv_backup_default_path (const char *db_path)
{
  return g_strconcat (db_path, ".bak", NULL);
}

/**
 * xul_kv_db_get_backup_path:
 * @self: a #XulKvDb
 *
 * Returns: (type filename) (transfer full): where automatic backups go: the database
 *   path with `.bak` appended
 */
char *
xul_kv_db_get_backup_path (XulKvDb *self)
{
  g_return_val_if_fail (XUL_IS_KV_DB (self), NULL);
  return kv_backup_default_path (self->path);
}

/* With the writer lock held: backs up when the last backup is older than the
 * interval. A failure is reported but keeps the previous backup. */
gboolean
kv_backup_if_due (XulKvDb *db,
                  GError **error)
{
  g_autofree char *backup_path = NULL;
  GStatBuf st;

  if (db->backup_interval <= 0)
    return TRUE;
  backup_path = kv_backup_default_path (db->path);
  if (g_stat (backup_path, &st) == 0 &&
      g_get_real_time () / G_USEC_PER_SEC - (gint64) st.st_mtime < db->backup_interval)
    return TRUE;
  return kv_backup_copy (db->conn->handle, db->path, backup_path, error);
}

/**
 * xul_kv_db_backup:
 * @self: a #XulKvDb
 * @dest_path: (type filename) (nullable): where to write the backup; %NULL for the
 *   default path, xul_kv_db_get_backup_path()
 * @error: return location for a #GError
 *
 * Takes an online backup of the database, consistent as of one moment, without
 * stopping other threads for longer than the copy takes. The backup is written to a
 * temporary file, checked, synced and renamed into place, with mode 0600.
 *
 * Returns: %TRUE on success; %XUL_KV_ERROR_CORRUPT when the database itself is damaged
 */
gboolean
xul_kv_db_backup (XulKvDb    *self,
                  const char *dest_path,
                  GError    **error)
{
  g_autofree char *default_path = NULL;
  KvConn *conn;
  gboolean ok;

  g_return_val_if_fail (XUL_IS_KV_DB (self), FALSE);
  if (dest_path == NULL)
    dest_path = default_path = kv_backup_default_path (self->path);
  if ((conn = kv_db_lock (self, FALSE, error)) == NULL)
    return FALSE;
  if (!kv_conn_has_schema (conn))
    {
      kv_db_unlock (self);
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND,
                   "Cannot back up “%s”: it holds no database yet", self->path);
      return FALSE;
    }
  ok = kv_backup_copy (conn->handle, self->path, dest_path, error);
  kv_db_unlock (self);
  return ok;
}

/* Checks that @path is a sound kvcore file that this library can read. */
gboolean
kv_backup_verify (const char *path,
                  GError    **error)
{
  g_autofree char *problems = NULL;
  KvConn *conn;
  int version;
  gboolean ok;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND,
                   "Cannot restore “%s”: the file does not exist", path);
      return FALSE;
    }
  if ((conn = kv_conn_open (path, TRUE, error)) == NULL)
    return FALSE;
  ok = kv_schema_identify (conn, &version, error) &&
       kv_conn_check (conn, "PRAGMA integrity_check", &problems, error);
  if (ok && version == 0)
    {
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INCOMPATIBLE_VERSION,
                   "Cannot restore “%s”: it is not a kvcore database", path);
      ok = FALSE;
    }
  if (ok && problems != NULL)
    {
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CORRUPT,
                   "Cannot restore “%s”: it is damaged: %s", path, problems);
      ok = FALSE;
    }
  kv_conn_close (conn);
  return ok;
}

/* Copies a verified backup over a database file that nobody has open. */
gboolean
kv_backup_restore_file (const char *backup_path,
                        const char *db_path,
                        GError    **error)
{
  KvConn *source;
  gboolean ok;

  if (!kv_backup_verify (backup_path, error))
    return FALSE;
  if ((source = kv_conn_open (backup_path, TRUE, error)) == NULL)
    return FALSE;
  ok = kv_backup_copy (source->handle, backup_path, db_path, error);
  kv_conn_close (source);
  return ok;
}

/**
 * xul_kv_db_restore:
 * @self: a #XulKvDb
 * @source_path: (type filename): a backup written by xul_kv_db_backup()
 * @error: return location for a #GError
 *
 * Replaces the whole content of the database with the backup, in one transaction and
 * durably. The backup is checked first (`integrity_check`); a damaged or foreign file
 * is refused and the database left as it was. Store handles stay valid and follow
 * their names.
 *
 * Returns: %TRUE on success
 */
gboolean
xul_kv_db_restore (XulKvDb    *self,
                   const char *source_path,
                   GError    **error)
{
  KvConn *conn, *source;
  gboolean ok = FALSE;
  int rc;

  g_return_val_if_fail (XUL_IS_KV_DB (self), FALSE);
  g_return_val_if_fail (source_path != NULL, FALSE);
  if (!kv_backup_verify (source_path, error))
    return FALSE;
  if ((source = kv_conn_open (source_path, TRUE, error)) == NULL)
    return FALSE;
  if ((conn = kv_db_lock (self, TRUE, error)) != NULL)
    {
      rc = copy_pages (conn->handle, source->handle);
      if (rc != SQLITE_OK)
        kv_set_sqlite_error (error, rc, conn->handle, self->path, "restore a backup into");
      else
        ok = kv_schema_prepare (conn, FALSE, &self->schema_version, error) &&
             kv_conn_sync_wal (conn, error);
      kv_db_unlock (self);
    }
  kv_conn_close (source);
  return ok;
}

