/* kv-conn.c: one SQLite connection, configured the same way every time, with a cache of
 * prepared statements.
 *
 * A KvConn is not thread-safe: its owner (the writer lock or one iterator) serialises
 * use. Cached statements are keyed by the address of their static SQL text and must be
 * reset by the caller when done, so that no read transaction outlives its statement. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kv-private.h"

#define BUSY_TIMEOUT_MS 5000
/* A WAL larger than this is truncated back to it after a checkpoint. */
#define JOURNAL_SIZE_LIMIT "4194304"

static gboolean
configure (KvConn   *conn,
           gboolean  read_only,
           GError  **error)
{
  static const int db_config[][2] = {
    { SQLITE_DBCONFIG_DEFENSIVE, 1 },
    { SQLITE_DBCONFIG_DQS_DML, 0 },
    { SQLITE_DBCONFIG_DQS_DDL, 0 },
    { SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0 },
    { SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0 },
  };
  GError *local_error = NULL;

  sqlite3_extended_result_codes (conn->handle, 1);
  for (gsize i = 0; i < G_N_ELEMENTS (db_config); i++)
    sqlite3_db_config (conn->handle, db_config[i][0], db_config[i][1], NULL);
  sqlite3_busy_timeout (conn->handle, BUSY_TIMEOUT_MS);

  /* Neither reads the file: a read-only open must not touch an unreadable one. */
  if (!kv_conn_exec (conn, "PRAGMA foreign_keys = ON", "configure", error) ||
      !kv_conn_exec (conn, "PRAGMA temp_store = MEMORY", "configure", error))
    return FALSE;
  if (read_only)
    return TRUE;
  /* 1 MiB of page cache (SQLite's default is 2): the layers above keep caches of their
   * own, and a large commit spills to the WAL rather than holding it all. Only a hint:
   * a file that cannot be read yet must still open. */
  kv_conn_exec (conn, "PRAGMA cache_size = -1024", "configure", NULL);
  if (!kv_conn_exec (conn, "PRAGMA synchronous = NORMAL", "configure", &local_error) ||
      !kv_conn_exec (conn, "PRAGMA journal_size_limit = " JOURNAL_SIZE_LIMIT, "configure",
                     &local_error))
    {
      /* These read the schema. */
      kv_error_blame_file (local_error);
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

static void
finalize_statement (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

KvConn *
kv_conn_open (const char *path,
              gboolean    read_only,
              GError    **error)
{
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
              (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
  KvConn *conn = g_new0 (KvConn, 1);
  int rc;

  conn->path = path;
  conn->statements = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                            finalize_statement);
  rc = sqlite3_open_v2 (path, &conn->handle, flags, NULL);
  if (rc != SQLITE_OK)
    {
      kv_set_sqlite_error (error, rc, conn->handle, path, "open");
      kv_conn_close (conn);
      return NULL;
    }
  if (!configure (conn, read_only, error))
    {
      /* Configuring reads the schema: a damaged file fails here, and must stay as is. */
      kv_conn_close_untouched (conn);
      return NULL;
    }
  return conn;
}

void
kv_conn_close (KvConn *conn)
{
  if (conn == NULL)
    return;
  g_hash_table_destroy (conn->statements);
  /* _v2 defers the close if a backup or blob handle still refers to it. */
  sqlite3_close_v2 (conn->handle);
  g_free (conn);
}

/* Closes a connection to a file that may be damaged, leaving the file as it was: by
 * default the last connection checkpoints its WAL into the database and deletes it,
 * which would rewrite the very file recovery is about to keep aside. */
void
kv_conn_close_untouched (KvConn *conn)
{
  if (conn == NULL)
    return;
  sqlite3_db_config (conn->handle, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  kv_conn_close (conn);
}

sqlite3_stmt *
kv_conn_prepare (KvConn     *conn,
                 const char *sql,
                 GError    **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (conn->statements, sql);
  int rc;

  if (stmt != NULL)
    return stmt;

  rc = sqlite3_prepare_v3 (conn->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt,
                           NULL);
  if (rc != SQLITE_OK)
    {
      kv_set_sqlite_error (error, rc, conn->handle, conn->path, "prepare a query on");
      return NULL;
    }
  g_hash_table_insert (conn->statements, (gpointer) sql, stmt);
  return stmt;
}

/* Runs one statement, ignoring any rows it returns. */
gboolean
kv_conn_exec (KvConn     *conn,
              const char *sql,
              const char *operation,
              GError    **error)
{
  g_auto (KvStatement) stmt = kv_conn_prepare (conn, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    ;
  if (rc != SQLITE_DONE)
    {
      kv_set_sqlite_error (error, rc, conn->handle, conn->path, operation);
      return FALSE;
    }
  return TRUE;
}

/* Runs a statement whose first row's first column is an integer. */
gboolean
kv_conn_query_int (KvConn     *conn,
                   const char *sql,
                   gint64     *out_value,
                   GError    **error)
{
  g_auto (KvStatement) stmt = kv_conn_prepare (conn, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      kv_set_sqlite_error (error, rc == SQLITE_DONE ? SQLITE_ERROR : rc, conn->handle,
                           conn->path, "read");
      return FALSE;
    }
  *out_value = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

/* Makes every committed transaction durable. In WAL mode with synchronous=NORMAL,
 * commits reach the WAL file unsynced; one sync of that file covers all of them (and,
 * the first time, its directory entry). */
gboolean
kv_conn_sync_wal (KvConn  *conn,
                  GError **error)
{
  sqlite3_file *wal = NULL;
  int rc;

  rc = sqlite3_file_control (conn->handle, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
  if (rc != SQLITE_OK || wal == NULL || wal->pMethods == NULL)
    return TRUE; /* no WAL open: everything is already in the synced database file */

  rc = wal->pMethods->xSync (wal, SQLITE_SYNC_NORMAL);
  if (rc != SQLITE_OK)
    {
      kv_set_sqlite_error (error, rc, NULL, conn->path, "sync");
      return FALSE;
    }
  return TRUE;
}

/* Binds a byte string as a BLOB, never as NULL: SQLite binds a NULL pointer as SQL NULL
 * even when the length is zero, and keys must compare as BLOBs (memcmp order). */
void
kv_bind_bytes (sqlite3_stmt *stmt,
               int           index,
               const void   *data,
               gsize         len)
{
  sqlite3_bind_blob64 (stmt, index, len > 0 ? data : "", len, SQLITE_STATIC);
}

/* One run of a check: the problems it lists, or NULL. */
static gboolean
run_check (KvConn     *conn,
           const char *sql,
           char      **problems,
           GError    **error)
{
  g_auto (KvStatement) stmt = kv_conn_prepare (conn, sql, error);
  g_autoptr (GString) found = NULL;
  int rc;

  *problems = NULL;
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *line = (const char *) sqlite3_column_text (stmt, 0);
      const char *code;
      if (line == NULL || g_str_equal (line, "ok"))
        continue;
      /* "Page 5: unable to get the page. error code=266": a page that could not be
       * read is not a damaged page. */
      code = strstr (line, "error code=");
      if (code != NULL && !kv_is_corruption (atoi (code + strlen ("error code="))))
        {
          kv_set_sqlite_error (error, atoi (code + strlen ("error code=")), NULL, conn->path,
                               "check");
          return FALSE;
        }
      if (found == NULL)
        found = g_string_new (line);
      else
        g_string_append_printf (found, "\n%s", line);
    }
  if (rc != SQLITE_DONE)
    {
      kv_set_sqlite_error (error, rc, conn->handle, conn->path, "check");
      return FALSE;
    }
  *problems = found != NULL ? g_string_free (g_steal_pointer (&found), FALSE) : NULL;
  return TRUE;
}

/* Runs "PRAGMA quick_check" or "PRAGMA integrity_check" (@sql). Returns TRUE when the
 * check ran; *problems is then NULL for a sound file, or the problems found, one per
 * line. A file too damaged for the check to run fails with XUL_KV_ERROR_CORRUPT.
 *
 * The checks also report pages they failed to read as damage ("failed to get page 8"),
 * so a transient read error could move a sound file aside. Damage is only believed when
 * a second run finds the same; a second run that differs means the reads were not
 * reliable: an I/O error. */
gboolean
kv_conn_check (KvConn     *conn,
               const char *sql,
               char      **problems,
               GError    **error)
{
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  *problems = NULL;
  if (!run_check (conn, sql, &first, error))
    return FALSE;
  if (first == NULL)
    return TRUE;
  if (!run_check (conn, sql, &second, error))
    return FALSE;
  if (second == NULL)
    return TRUE; /* the first run's reads failed, not the file */
  if (!g_str_equal (first, second))
    {
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_IO,
                   "Cannot check “%s”: its pages read differently twice", conn->path);
      return FALSE;
    }
  *problems = g_steal_pointer (&first);
  return TRUE;
}

/* Whether the file had kvcore's tables when the connection opened: a read-only open may
 * see a file without them (a writer died before its first commit). Known at open, so
 * that asking never hides an I/O error. */
gboolean
kv_conn_has_schema (KvConn *conn)
{
  return !conn->no_schema;
}
