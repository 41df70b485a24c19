/* kv-schema.c: recognising kvcore files and upgrading their schema step by step.
 *
 * A file is ours when PRAGMA application_id says so. PRAGMA user_version is the schema
 * version; each step below upgrades by one version and all pending steps run in one
 * transaction. A file newer than this library is refused and left untouched. */
#include "config.h"

#include "kv-private.h"

/* Step N turns a version N-1 database into version N. Never edit a released step: add
 * a new one. The last statement of each step records its version. */
static const char *const upgrade_steps[] = {
  [1] = "CREATE TABLE meta ("
        "  key TEXT PRIMARY KEY NOT NULL,"
        "  value TEXT NOT NULL"
        ") WITHOUT ROWID;"
        "CREATE TABLE stores ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  name TEXT NOT NULL UNIQUE"
        ");"
        "CREATE TABLE data ("
        "  store_id INTEGER NOT NULL REFERENCES stores (id) ON DELETE CASCADE,"
        "  key BLOB NOT NULL CHECK (typeof (key) = 'blob' AND length (key) > 0),"
        "  value BLOB NOT NULL CHECK (typeof (value) = 'blob'),"
        "  PRIMARY KEY (store_id, key)"
        ") WITHOUT ROWID;"
        "PRAGMA application_id = 1263944527;" /* KV_APPLICATION_ID */
        "PRAGMA user_version = 1;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (upgrade_steps) == KV_SCHEMA_VERSION + 1);
G_STATIC_ASSERT (KV_APPLICATION_ID == 1263944527);

static gboolean
run_step (KvConn  *conn,
          int      version,
          GError **error)
{
  char *message = NULL;
  int rc = sqlite3_exec (conn->handle, upgrade_steps[version], NULL, NULL, &message);

  if (rc != SQLITE_OK)
    {
      g_autofree char *operation = g_strdup_printf ("upgrade to schema %d", version);
      sqlite3_free (message);
      kv_set_sqlite_error (error, rc, conn->handle, conn->path, operation);
      return FALSE;
    }
  return TRUE;
}

static gboolean
record_library_version (KvConn  *conn,
                        gboolean created,
                        GError **error)
{
  static const char sql[] =
    "INSERT INTO meta (key, value) VALUES (?1, ?2)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value";
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *timestamp = g_date_time_format_iso8601 (now);
  g_auto (KvStatement) stmt = kv_conn_prepare (conn, sql, error);
  int rc = SQLITE_DONE;

  if (stmt == NULL)
    return FALSE;
  if (created)
    {
      sqlite3_bind_text (stmt, 1, KV_META_RESERVED_PREFIX "created-at", -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, timestamp, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      sqlite3_reset (stmt);
    }
  if (rc == SQLITE_DONE)
    {
      sqlite3_bind_text (stmt, 1, KV_META_RESERVED_PREFIX "library-version", -1,
                         SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, XUL_VERSION_STRING, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
    }
  if (rc != SQLITE_DONE)
    {
      kv_set_sqlite_error (error, rc, conn->handle, conn->path, "write meta records to");
      return FALSE;
    }
  return TRUE;
}

static gboolean
upgrade (KvConn  *conn,
         int     *version,
         GError **error)
{
  gint64 current;
  int from;

  if (!kv_conn_exec (conn, "BEGIN IMMEDIATE", "upgrade", error))
    return FALSE;
  /* Another process may have upgraded it while we waited for the lock. */
  if (!kv_conn_query_int (conn, "PRAGMA user_version", &current, error))
    goto fail;
  from = (int) current;
  for (int step = from + 1; step <= KV_SCHEMA_VERSION; step++)
    if (!run_step (conn, step, error))
      goto fail;
  if (from < KV_SCHEMA_VERSION && !record_library_version (conn, from == 0, error))
    goto fail;
  if (!kv_conn_exec (conn, "COMMIT", "upgrade", error))
    goto fail;
  *version = KV_SCHEMA_VERSION;
  return TRUE;

fail:
  kv_conn_exec (conn, "ROLLBACK", "roll back", NULL);
  return FALSE;
}

/* A new file: its first transactions (the switch to WAL among them) use a rollback
 * journal, which synchronous=NORMAL does not make tear-proof: a power cut could leave
 * a journal whose rollback writes garbage. Full syncs until the file is in WAL mode. */
static gboolean
initialise (KvConn  *conn,
            int     *out_version,
            GError **error)
{
  return kv_conn_exec (conn, "PRAGMA synchronous = FULL", "initialise", error) &&
         /* Only effective before the first table exists. */
         kv_conn_exec (conn, "PRAGMA auto_vacuum = INCREMENTAL", "initialise", error) &&
         kv_conn_exec (conn, "PRAGMA journal_mode = WAL", "initialise", error) &&
         upgrade (conn, out_version, error) &&
         kv_conn_exec (conn, "PRAGMA synchronous = NORMAL", "initialise", error);
}

static gboolean
set_damaged (GError    **error,
             const char *path,
             const char *reason)
{
  g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CORRUPT, "Cannot open “%s”: %s", path,
               reason);
  return FALSE;
}

/* The schema as a text: every object's type, name, table and SQL, in order. The
 * statistics tables that PRAGMA optimize creates come and go, and are left out. */
static char *
describe_schema (sqlite3 *handle)
{
  static const char sql[] =
    "SELECT type, name, tbl_name, coalesce (sql, '') FROM sqlite_schema"
    " WHERE name NOT LIKE 'sqlite\\_stat%' ESCAPE '\\' ORDER BY type, name";
  GString *text = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (handle, sql, -1, &stmt, NULL) != SQLITE_OK)
    return g_string_free (text, TRUE);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    for (int column = 0; column < 4; column++)
      g_string_append_printf (text, "%s\n", (const char *) sqlite3_column_text (stmt, column));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return g_string_free (text, TRUE);
  return g_string_free (text, FALSE);
}

/* The schema this library creates, built once in memory by the same steps. */
static gpointer
build_reference (gpointer unused)
{
  sqlite3 *handle = NULL;
  char *text = NULL;

  if (sqlite3_open_v2 (":memory:", &handle, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK)
    {
      gboolean ok = TRUE;
      for (int step = 1; ok && step <= KV_SCHEMA_VERSION; step++)
        ok = sqlite3_exec (handle, upgrade_steps[step], NULL, NULL, NULL) == SQLITE_OK;
      if (ok)
        text = describe_schema (handle);
    }
  sqlite3_close (handle);
  return text;
}

/* A file of the current version must have exactly the schema this library creates: a
 * damaged or edited schema (a CHECK turned into nonsense, a dropped index) would
 * otherwise fail every write with an error nobody can act on. */
static gboolean
verify_schema (KvConn  *conn,
               GError **error)
{
  static GOnce reference_once = G_ONCE_INIT;
  const char *reference = g_once (&reference_once, build_reference, NULL);
  g_autofree char *actual = describe_schema (conn->handle);
  int rc;

  if (actual == NULL)
    {
      rc = sqlite3_extended_errcode (conn->handle);
      kv_set_sqlite_error (error, rc != SQLITE_OK ? rc : SQLITE_CORRUPT, conn->handle,
                           conn->path, "read the schema of");
      return FALSE;
    }
  if (reference != NULL && !g_str_equal (reference, actual))
    return set_damaged (error, conn->path, "its schema is not the one this library writes");
  return TRUE;
}

static gboolean
set_incompatible (GError    **error,
                  const char *path,
                  const char *reason)
{
  g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INCOMPATIBLE_VERSION,
               "Cannot open “%s”: %s", path, reason);
  return FALSE;
}

/* Reads the schema version of a kvcore file, refusing files that are not ours or that
 * are newer than this library. Reading the header here is also what first reveals a
 * file that is not a database at all (XUL_KV_ERROR_CORRUPT). */
gboolean
kv_schema_identify (KvConn  *conn,
                    int     *out_version,
                    GError **error)
{
  gint64 app_id, version, objects;
  GError *local_error = NULL;

  if (!kv_conn_query_int (conn, "PRAGMA application_id", &app_id, &local_error) ||
      !kv_conn_query_int (conn, "PRAGMA user_version", &version, &local_error) ||
      !kv_conn_query_int (conn, "SELECT count(*) FROM sqlite_schema", &objects, &local_error))
    {
      kv_error_blame_file (local_error);
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (version < 0)
    return set_damaged (error, conn->path, "its header holds a negative schema version");

  if (app_id != KV_APPLICATION_ID && (app_id != 0 || objects > 0))
    return set_incompatible (error, conn->path, "it is not a kvcore database");
  /* Both are written by the same transaction: one without the other is damage. */
  if (app_id == KV_APPLICATION_ID && version == 0)
    return set_damaged (error, conn->path, "its header lost its schema version");
  if (version > KV_SCHEMA_VERSION)
    {
      g_autofree char *reason = g_strdup_printf (
        "it was written by a newer version (schema %" G_GINT64_FORMAT
        "; this library knows up to %d)", version, KV_SCHEMA_VERSION);
      return set_incompatible (error, conn->path, reason);
    }
  *out_version = (int) version;
  return TRUE;
}

/* Checks that the file is a kvcore database this library can use, creating or upgrading
 * its schema when writable. */
gboolean
kv_schema_prepare (KvConn  *conn,
                   gboolean read_only,
                   int     *out_version,
                   GError **error)
{
  int version;

  if (!kv_schema_identify (conn, &version, error))
    return FALSE;
  *out_version = version;
  if (read_only)
    {
      g_autofree char *reason = NULL;
      /* Version 0 here is a file without tables (a writer died before its first
       * commit): it reads as a database without stores. */
      if (version == 0)
        return TRUE;
      if (version == KV_SCHEMA_VERSION)
        return verify_schema (conn, error);
      reason = g_strdup_printf ("schema %d must be upgraded to %d, which a read-only "
                                "open cannot do", version, KV_SCHEMA_VERSION);
      return set_incompatible (error, conn->path, reason);
    }
  if (version == 0)
    return initialise (conn, out_version, error);
  if (!kv_conn_exec (conn, "PRAGMA journal_mode = WAL", "open", error))
    return FALSE;
  if (version < KV_SCHEMA_VERSION && !upgrade (conn, out_version, error))
    return FALSE;
  return verify_schema (conn, error);
}
