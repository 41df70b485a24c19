/* kv-db.c: XulKvDb, the database object: the open sequence, close, stores, meta records
 * and durability.
 *
 * Invariant: self->conn is only touched with self->lock held (kv_db_lock), and
 * self->closed only changes with it held; readers check it atomically. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "kv-files-private.h"
#include "kv-private.h"

/* Files below this size are checked at every open: it costs well under a millisecond.
 * Larger files are checked when the previous session did not close cleanly. */
#define ALWAYS_CHECK_BELOW_BYTES (1024 * 1024)
#define DEFAULT_BACKUP_INTERVAL_SECONDS (24 * 60 * 60)

enum {
  PROP_0,
  PROP_PATH,
  PROP_FLAGS,
  PROP_BACKUP_INTERVAL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (XulKvDb, xul_kv_db, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      initable_iface_init))

/* SQLite creates -wal and -shm with the mode of the database file, so creating that
 * file 0600 ourselves keeps every file of the database private. */
gboolean
kv_create_private_file (const char *path,
                        GError    **error)
{
  int fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

  if (fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, XUL_KV_ERROR,
                   saved_errno == EACCES || saved_errno == EROFS
                     ? XUL_KV_ERROR_READ_ONLY : XUL_KV_ERROR_IO,
                   "Cannot open “%s”: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

/* A non-empty -wal at open means the last writer did not close cleanly (a clean close
 * removes it; read-only connections leave it empty). */
static gboolean
needs_check_at_open (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  GStatBuf st;

  if (g_stat (wal, &st) == 0 && st.st_size > 0)
    return TRUE;
  return g_stat (path, &st) != 0 || st.st_size < ALWAYS_CHECK_BELOW_BYTES;
}

static gboolean
is_empty_file (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 && st.st_size == 0;
}

static gboolean
has_hot_rollback_journal (const char *path)
{
  g_autofree char *journal = g_strconcat (path, "-journal", NULL);
  GStatBuf st;

  return g_stat (journal, &st) == 0 && st.st_size > 0;
}

/* Opens the writer connection and validates the file. A damaged file is reported as
 * XUL_KV_ERROR_CORRUPT, which the caller may answer with recovery. */
gboolean
kv_db_connect (XulKvDb  *self,
               gboolean  check,
               GError  **error)
{
  gboolean read_only = (self->flags & XUL_KV_OPEN_READ_ONLY) != 0;
  g_autofree char *problems = NULL;
  KvConn *conn;

  g_assert (self->conn == NULL);
  conn = kv_conn_open (self->path, read_only, error);
  if (conn == NULL)
    return FALSE;
  if (read_only && (has_hot_rollback_journal (self->path) || is_empty_file (self->path)))
    {
      /* kvcore files use WAL from their first transaction on, so a rollback journal, or
       * an empty file, belongs to a writer that died while creating it: its committed
       * state has no tables, and reads see no stores. Not one statement runs on it:
       * SQLite would roll the journal back, or delete a -wal beside an empty file. */
      self->schema_version = 0;
      conn->no_schema = TRUE;
      self->conn = conn;
      return TRUE;
    }
  if (!kv_schema_prepare (conn, read_only, &self->schema_version, error) ||
      (check && !kv_conn_check (conn, "PRAGMA integrity_check", &problems, error)))
    {
      kv_conn_close_untouched (conn);
      return FALSE;
    }
  if (problems != NULL)
    {
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CORRUPT,
                   "Cannot open “%s”: the file is damaged: %s", self->path, problems);
      kv_conn_close_untouched (conn);
      return FALSE;
    }
  conn->no_schema = self->schema_version == 0;
  self->conn = conn;
  return TRUE;
}

/* An empty file is what some file systems leave of a database after a power cut. Beside
 * a backup, or a -wal (kvcore writes page 1 before its first WAL frame), it is damage,
 * to recover from: opened as a new database, its first automatic backup would overwrite
 * the good one, and SQLite would delete the -wal. */
static gboolean
is_damaged_empty_file (XulKvDb *self,
                       GError **error)
{
  g_autofree char *backup = kv_backup_default_path (self->path);
  g_autofree char *wal = g_strconcat (self->path, "-wal", NULL);
  GStatBuf st;

  if (g_file_test (backup, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CORRUPT,
                   "Cannot open “%s”: the file is empty, and a backup “%s” exists",
                   self->path, backup);
      return TRUE;
    }
  if (g_stat (wal, &st) == 0 && st.st_size > 0)
    {
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CORRUPT,
                   "Cannot open “%s”: the file is empty, but its write-ahead log is not",
                   self->path);
      return TRUE;
    }
  return FALSE;
}

static gboolean
can_recover (XulKvDb      *self,
             const GError *error)
{
  return g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_CORRUPT) &&
         (self->flags & (XUL_KV_OPEN_READ_ONLY | XUL_KV_OPEN_NO_RECOVERY)) == 0;
}

static gboolean
xul_kv_db_initable_init (GInitable    *initable,
                         GCancellable *cancellable,
                         GError      **error)
{
  XulKvDb *self = XUL_KV_DB (initable);
  gboolean read_only = (self->flags & XUL_KV_OPEN_READ_ONLY) != 0;
  g_autoptr (GError) local_error = NULL;
  gboolean created, ok;

  if (self->path == NULL || self->path[0] == '\0')
    {
      g_set_error_literal (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT,
                           "No database path was given");
      return FALSE;
    }
  if (read_only && !g_file_test (self->path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND,
                   "Cannot open “%s” read-only: the file does not exist", self->path);
      return FALSE;
    }
  if (!read_only)
    kv_remove_leftover_temporaries (self->path, ".bak.tmp-");
  if (!read_only && (!kv_recovery_restore_missing (self, error) ||
                     !kv_create_private_file (self->path, error)))
    return FALSE;

  g_mutex_lock (&self->lock);
  created = is_empty_file (self->path);
  ok = (!created || read_only || !is_damaged_empty_file (self, &local_error)) &&
       kv_db_connect (self, needs_check_at_open (self->path), &local_error) &&
       kv_maintain_at_open (self, created, &local_error);
  if (!ok && can_recover (self, local_error))
    {
      g_clear_error (&local_error);
      ok = kv_recovery_run (self, &local_error);
    }
  if (!ok)
    {
      kv_conn_close_untouched (g_steal_pointer (&self->conn));
      g_atomic_int_set (&self->closed, TRUE);
      g_propagate_error (error, g_steal_pointer (&local_error));
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

static void
initable_iface_init (GInitableIface *iface)
{
  iface->init = xul_kv_db_initable_init;
}

/**
 * xul_kv_db_open:
 * @path: (type filename): the database file; created (mode 0600) unless @flags has
 *   %XUL_KV_OPEN_READ_ONLY
 * @flags: how to open it
 * @error: return location for a #GError
 *
 * Opens a kvcore database with the default settings (automatic backups once a day). To
 * choose the backup interval, create it with g_initable_new() and the
 * #XulKvDb:backup-interval property.
 *
 * A damaged file is moved aside and replaced by its backup, or by an empty database,
 * unless @flags forbids it; see xul_kv_db_get_recovery().
 *
 * Returns: (transfer full): the open database, or %NULL on error
 */
XulKvDb *
xul_kv_db_open (const char    *path,
                XulKvOpenFlags flags,
                GError       **error)
{
  return g_initable_new (XUL_TYPE_KV_DB, NULL, error, "path", path, "flags", flags,
                         NULL);
}

/**
 * xul_kv_db_close:
 * @self: a #XulKvDb
 * @error: return location for a #GError
 *
 * Runs maintenance (optimize, incremental vacuum, a backup when one is due, a WAL
 * checkpoint) and closes the database. Every later call fails with
 * %XUL_KV_ERROR_CLOSED, including xul_kv_iter_next() on iterators still alive; free
 * them as usual. Closing twice is not an error.
 *
 * Returns: %TRUE on success; on error the database is closed all the same
 */
gboolean
xul_kv_db_close (XulKvDb *self,
                 GError  **error)
{
  gboolean ok = TRUE;

  g_return_val_if_fail (XUL_IS_KV_DB (self), FALSE);

  g_mutex_lock (&self->lock);
  if (!g_atomic_int_get (&self->closed))
    {
      /* Closed first, so that no new reader opens meanwhile; idle readers close before
       * the writer, so that the writer is SQLite's last connection and removes the
       * -wal and -shm files: a -wal left behind means "not closed cleanly". */
      g_atomic_int_set (&self->closed, TRUE);
      if (self->conn != NULL && !(self->flags & XUL_KV_OPEN_READ_ONLY))
        ok = kv_maintain_locked (self, error);
      kv_db_drop_idle_readers (self);
      kv_conn_close (g_steal_pointer (&self->conn));
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

/* Locks the writer connection for one operation. Fails, unlocked, when the database is
 * closed, or when @writing and it was opened read-only. */
KvConn *
kv_db_lock (XulKvDb  *self,
            gboolean  writing,
            GError  **error)
{
  g_mutex_lock (&self->lock);
  if (g_atomic_int_get (&self->closed))
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED,
                   "Cannot use “%s”: the database is closed", self->path);
      return NULL;
    }
  if (writing && (self->flags & XUL_KV_OPEN_READ_ONLY))
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_READ_ONLY,
                   "Cannot write to “%s”: it was opened read-only", self->path);
      return NULL;
    }
  return self->conn;
}

void
kv_db_unlock (XulKvDb *self)
{
  g_mutex_unlock (&self->lock);
}

/* Runs @body in a write transaction on @conn (locked by the caller): all or nothing. */
gboolean
kv_db_write (KvConn     *conn,
             const char *operation,
             gboolean  (*body) (KvConn *conn, gpointer data, GError **error),
             gpointer    data,
             GError    **error)
{
  if (!kv_conn_exec (conn, "BEGIN IMMEDIATE", operation, error))
    return FALSE;
  if (body (conn, data, error) && kv_conn_exec (conn, "COMMIT", operation, error))
    return TRUE;
  /* Some errors (disk full, I/O) have already rolled the transaction back. */
  if (!sqlite3_get_autocommit (conn->handle))
    kv_conn_exec (conn, "ROLLBACK", "roll back", NULL);
  return FALSE;
}

/* Reader connections serve iterators, each holding its own snapshot. A connection from
 * before a recovery still points at the quarantined file, so it is never reused. */
KvConn *
kv_db_acquire_reader (XulKvDb *self,
                      GError **error)
{
  KvConn *conn = NULL;
  guint generation;

  g_mutex_lock (&self->pool_lock);
  if (self->idle_readers->len > 0)
    conn = g_ptr_array_steal_index_fast (self->idle_readers, self->idle_readers->len - 1);
  generation = self->generation;
  g_mutex_unlock (&self->pool_lock);

  if (g_atomic_int_get (&self->closed))
    {
      kv_conn_close (conn);
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED,
                   "Cannot read “%s”: the database is closed", self->path);
      return NULL;
    }
  if (conn == NULL)
    {
      conn = kv_conn_open (self->path, TRUE, error);
      if (conn != NULL)
        conn->generation = generation;
    }
  return conn;
}

void
kv_db_release_reader (XulKvDb *self,
                      KvConn  *conn)
{
  gboolean damaged;

  g_mutex_lock (&self->pool_lock);
  damaged = conn->generation < self->recovered_generation;
  if (!g_atomic_int_get (&self->closed) && conn->generation == self->generation)
    g_ptr_array_add (self->idle_readers, g_steal_pointer (&conn));
  g_mutex_unlock (&self->pool_lock);
  /* A reader of the file that recovery moved aside must leave it as it is. */
  if (damaged)
    kv_conn_close_untouched (conn);
  else
    kv_conn_close (conn);
}

/* After close or recovery: idle readers are closed; busy ones close on release. */
void
kv_db_drop_idle_readers (XulKvDb *self)
{
  g_autoptr (GPtrArray) idle = NULL;

  g_mutex_lock (&self->pool_lock);
  self->generation++;
  idle = g_steal_pointer (&self->idle_readers);
  self->idle_readers = g_ptr_array_new_with_free_func ((GDestroyNotify) kv_conn_close);
  g_mutex_unlock (&self->pool_lock);
}

/**
 * xul_kv_db_get_path:
 * @self: a #XulKvDb
 *
 * Returns: (type filename): the database file
 */
const char *
xul_kv_db_get_path (XulKvDb *self)
{
  g_return_val_if_fail (XUL_IS_KV_DB (self), NULL);
  return self->path;
}

/**
 * xul_kv_db_get_flags:
 * @self: a #XulKvDb
 *
 * Returns: the flags the database was opened with
 */
XulKvOpenFlags
xul_kv_db_get_flags (XulKvDb *self)
{
  g_return_val_if_fail (XUL_IS_KV_DB (self), XUL_KV_OPEN_NONE);
  return self->flags;
}

/**
 * xul_kv_db_get_recovery:
 * @self: a #XulKvDb
 *
 * Tells what the last recovery did, at open or by xul_kv_db_recover().
 *
 * Returns: %XUL_KV_RECOVERY_NONE when the database never needed recovery
 */
XulKvRecovery
xul_kv_db_get_recovery (XulKvDb *self)
{
  XulKvRecovery recovery;

  g_return_val_if_fail (XUL_IS_KV_DB (self), XUL_KV_RECOVERY_NONE);
  g_mutex_lock (&self->lock);
  recovery = self->recovery;
  g_mutex_unlock (&self->lock);
  return recovery;
}

/**
 * xul_kv_db_get_quarantine_path:
 * @self: a #XulKvDb
 *
 * Returns: (type filename) (nullable) (transfer full): where the damaged file was moved
 *   by the last recovery, or %NULL when there was none. Its -wal and -shm files, if
 *   any, sit beside it with those suffixes.
 */
char *
xul_kv_db_get_quarantine_path (XulKvDb *self)
{
  char *path;

  g_return_val_if_fail (XUL_IS_KV_DB (self), NULL);
  g_mutex_lock (&self->lock);
  path = g_strdup (self->quarantine_path);
  g_mutex_unlock (&self->lock);
  return path;
}

/**
 * xul_kv_db_get_schema_version:
 * @self: a #XulKvDb
 *
 * Returns: the schema version of the file (PRAGMA user_version)
 */
int
xul_kv_db_get_schema_version (XulKvDb *self)
{
  int version;

  g_return_val_if_fail (XUL_IS_KV_DB (self), 0);
  g_mutex_lock (&self->lock);
  version = self->schema_version;
  g_mutex_unlock (&self->lock);
  return version;
}

/**
 * xul_kv_db_sync:
 * @self: a #XulKvDb
 * @error: return location for a #GError
 *
 * Makes every commit so far survive a power loss, as if each had been made with
 * %XUL_KV_COMMIT_DURABLE.
 *
 * Returns: %TRUE on success
 */
gboolean
xul_kv_db_sync (XulKvDb *self,
                GError  **error)
{
  KvConn *conn;
  gboolean ok;

  g_return_val_if_fail (XUL_IS_KV_DB (self), FALSE);
  if ((conn = kv_db_lock (self, TRUE, error)) == NULL)
    return FALSE;
  ok = kv_conn_sync_wal (conn, error);
  kv_db_unlock (self);
  return ok;
}

static void
xul_kv_db_finalize (GObject *object)
{
  XulKvDb *self = XUL_KV_DB (object);
  g_autoptr (GError) error = NULL;

  if (!xul_kv_db_close (self, &error))
    g_warning ("%s", error->message);
  g_ptr_array_unref (self->idle_readers);
  g_mutex_clear (&self->pool_lock);
  g_mutex_clear (&self->lock);
  g_free (self->quarantine_path);
  g_free (self->path);

  G_OBJECT_CLASS (xul_kv_db_parent_class)->finalize (object);
}

static void
xul_kv_db_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  XulKvDb *self = XUL_KV_DB (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_FLAGS:
      g_value_set_flags (value, self->flags);
      break;
    case PROP_BACKUP_INTERVAL:
      g_value_set_int64 (value, self->backup_interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
xul_kv_db_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  XulKvDb *self = XUL_KV_DB (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;
    case PROP_FLAGS:
      self->flags = g_value_get_flags (value);
      break;
    case PROP_BACKUP_INTERVAL:
      self->backup_interval = g_value_get_int64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
xul_kv_db_class_init (XulKvDbClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = xul_kv_db_finalize;
  object_class->get_property = xul_kv_db_get_property;
  object_class->set_property = xul_kv_db_set_property;

  /**
   * XulKvDb:path: (type filename)
   *
   * The database file.
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS);
  /**
   * XulKvDb:flags:
   *
   * How the database is opened.
   */
  properties[PROP_FLAGS] =
    g_param_spec_flags ("flags", NULL, NULL, XUL_TYPE_KV_OPEN_FLAGS, XUL_KV_OPEN_NONE,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS);
  /**
   * XulKvDb:backup-interval:
   *
   * Seconds between automatic backups to `<path>.bak`, taken when a writable database
   * is opened or closed and the backup is older than this; 0 turns them off.
   */
  properties[PROP_BACKUP_INTERVAL] =
    g_param_spec_int64 ("backup-interval", NULL, NULL, 0, G_MAXINT64,
                        DEFAULT_BACKUP_INTERVAL_SECONDS,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
xul_kv_db_init (XulKvDb *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->pool_lock);
  self->idle_readers = g_ptr_array_new_with_free_func ((GDestroyNotify) kv_conn_close);
}
