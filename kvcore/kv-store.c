/* kv-store.c: named stores (keyspaces) and the single-key operations on them.
 *
 * A XulKvStore binds a name. Its cached row id is checked against the name before each
 * use and re-resolved when stale (the store was dropped and re-created, or a backup was
 * restored); ids are never reused (AUTOINCREMENT), so a match cannot be a stranger. */
#include "config.h"

#include "kv-private.h"

G_DEFINE_BOXED_TYPE (XulKvStore, xul_kv_store, xul_kv_store_ref, xul_kv_store_unref)

static XulKvStore *
store_new (XulKvDb    *db,
           const char *name,
           gint64      id)
{
  XulKvStore *self = g_new0 (XulKvStore, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->db = g_object_ref (db);
  self->name = g_strdup (name);
  self->id = id;
  return self;
}

static void
set_no_such_store (GError    **error,
                   const char *name,
                   const char *path)
{
  g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NO_SUCH_STORE,
               "There is no store “%s” in “%s”", name, path);
}

/* Looks up a store id by name; *out_id is 0 when there is none. */
static gboolean
lookup_store_id (KvConn     *conn,
                 const char *name,
                 gint64     *out_id,
                 GError    **error)
{
  g_auto (KvStatement) stmt = NULL;
  int rc;

  *out_id = 0;
  if (!kv_conn_has_schema (conn))
    return TRUE;
  stmt = kv_conn_prepare (conn, "SELECT id FROM stores WHERE name = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      kv_set_sqlite_error (error, rc, conn->handle, conn->path, "read the stores of");
      return FALSE;
    }
  *out_id = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
  return TRUE;
}

gboolean
kv_store_lookup (KvConn     *conn,
                 const char *name,
                 gint64     *out_id,
                 GError    **error)
{
  if (!lookup_store_id (conn, name, out_id, error))
    return FALSE;
  if (*out_id == 0)
    {
      set_no_such_store (error, name, conn->path);
      return FALSE;
    }
  return TRUE;
}

/* Called with the writer lock held. */
gboolean
kv_store_resolve (XulKvStore *self,
                  KvConn     *conn,
                  GError    **error)
{
  g_auto (KvStatement) stmt =
    kv_conn_prepare (conn, "SELECT 1 FROM stores WHERE id = ?1 AND name = ?2", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, self->id);
  sqlite3_bind_text (stmt, 2, self->name, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc != SQLITE_DONE)
    {
      kv_set_sqlite_error (error, rc, conn->handle, conn->path, "read the stores of");
      return FALSE;
    }
  return kv_store_lookup (conn, self->name, &self->id, error);
}

static gboolean
create_store (KvConn     *conn,
              const char *name,
              GError    **error)
{
  g_auto (KvStatement) stmt = kv_conn_prepare (
    conn, "INSERT INTO stores (name) VALUES (?1) ON CONFLICT (name) DO NOTHING", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      g_autofree char *operation = g_strdup_printf ("create store “%s” in", name);
      kv_set_sqlite_error (error, rc, conn->handle, conn->path, operation);
      return FALSE;
    }
  return TRUE;
}

/**
 * xul_kv_db_open_store:
 * @db: a #XulKvDb
 * @name: the store name: 1 to %XUL_KV_MAX_STORE_NAME bytes of UTF-8 without control
 *   characters
 * @flags: %XUL_KV_STORE_CREATE to create the store when missing
 * @error: return location for a #GError
 *
 * Returns a handle on the named store. Creating a store needs a writable database.
 *
 * Returns: (transfer full): the store, or %NULL with %XUL_KV_ERROR_INVALID_STORE,
 *   %XUL_KV_ERROR_NO_SUCH_STORE or another error
 */
XulKvStore *
xul_kv_db_open_store (XulKvDb        *db,
                      const char     *name,
                      XulKvStoreFlags flags,
                      GError        **error)
{
  gboolean create = (flags & XUL_KV_STORE_CREATE) != 0;
  KvConn *conn;
  gint64 id = 0;
  gboolean ok;

  g_return_val_if_fail (XUL_IS_KV_DB (db), NULL);
  if (!kv_check_name ("store name", name, XUL_KV_ERROR_INVALID_STORE, error))
    return NULL;
  if ((conn = kv_db_lock (db, FALSE, error)) == NULL)
    return NULL;
  ok = lookup_store_id (conn, name, &id, error);
  if (ok && id == 0 && create)
    {
      kv_db_unlock (db);
      /* Creating writes: retake the lock as a writer for the read-only check. */
      if ((conn = kv_db_lock (db, TRUE, error)) == NULL)
        return NULL;
      ok = create_store (conn, name, error) && lookup_store_id (conn, name, &id, error);
    }
  if (ok && id == 0)
    {
      set_no_such_store (error, name, conn->path);
      ok = FALSE;
    }
  kv_db_unlock (db);
  return ok ? store_new (db, name, id) : NULL;
}

/**
 * xul_kv_db_list_stores:
 * @self: a #XulKvDb
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (array zero-terminated=1): the store names in byte order;
 *   an empty array when there are none; %NULL on error
 */
char **
xul_kv_db_list_stores (XulKvDb *self,
                       GError  **error)
{
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();
  KvConn *conn;
  int rc = SQLITE_ERROR;

  g_return_val_if_fail (XUL_IS_KV_DB (self), NULL);
  if ((conn = kv_db_lock (self, FALSE, error)) == NULL)
    return NULL;
  if (!kv_conn_has_schema (conn))
    {
      kv_db_unlock (self);
      return g_strv_builder_end (names);
    }
  {
    g_auto (KvStatement) stmt =
      kv_conn_prepare (conn, "SELECT name FROM stores ORDER BY name", error);
    if (stmt != NULL)
      {
        while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
          {
            const char *name = (const char *) sqlite3_column_text (stmt, 0);
            /* The schema forbids NULL names; a damaged file may still have one. */
            if (name != NULL)
              g_strv_builder_add (names, name);
          }
        if (rc != SQLITE_DONE)
          kv_set_sqlite_error (error, rc, conn->handle, conn->path, "list the stores of");
      }
  }
  kv_db_unlock (self);
  return rc == SQLITE_DONE ? g_strv_builder_end (names) : NULL;
}

/**
 * xul_kv_db_drop_store:
 * @self: a #XulKvDb
 * @name: the store name
 * @error: return location for a #GError
 *
 * Deletes the store and everything in it. Handles on it fail with
 * %XUL_KV_ERROR_NO_SUCH_STORE until a store of that name is created again.
 *
 * Returns: %TRUE on success; %FALSE with %XUL_KV_ERROR_NO_SUCH_STORE when there is no
 *   such store
 */
gboolean
xul_kv_db_drop_store (XulKvDb    *self,
                      const char *name,
                      GError    **error)
{
  KvConn *conn;
  int rc = SQLITE_ERROR;

  g_return_val_if_fail (XUL_IS_KV_DB (self), FALSE);
  if (!kv_check_name ("store name", name, XUL_KV_ERROR_INVALID_STORE, error))
    return FALSE;
  if ((conn = kv_db_lock (self, TRUE, error)) == NULL)
    return FALSE;
  {
    g_auto (KvStatement) stmt =
      kv_conn_prepare (conn, "DELETE FROM stores WHERE name = ?1", error);
    if (stmt != NULL)
      {
        sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
        rc = sqlite3_step (stmt);
        if (rc != SQLITE_DONE)
          kv_set_sqlite_error (error, rc, conn->handle, conn->path, "drop a store of");
        else if (sqlite3_changes (conn->handle) == 0)
          {
            set_no_such_store (error, name, conn->path);
            rc = SQLITE_NOTFOUND;
          }
      }
  }
  kv_db_unlock (self);
  return rc == SQLITE_DONE;
}

/**
 * xul_kv_store_ref:
 * @self: a #XulKvStore
 *
 * Returns: (transfer full): @self
 */
XulKvStore *
xul_kv_store_ref (XulKvStore *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * xul_kv_store_unref:
 * @self: (transfer full): a #XulKvStore
 *
 * Drops a reference; the last one frees the handle (the store itself stays).
 */
void
xul_kv_store_unref (XulKvStore *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_object_unref (self->db);
  g_free (self->name);
  g_free (self);
}

/**
 * xul_kv_store_get_name:
 * @self: a #XulKvStore
 *
 * Returns: the store name
 */
const char *
xul_kv_store_get_name (XulKvStore *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->name;
}

/**
 * xul_kv_store_get_db:
 * @self: a #XulKvStore
 *
 * Returns: (transfer none): the database holding the store
 */
XulKvDb *
xul_kv_store_get_db (XulKvStore *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->db;
}

/* Runs a query with (store id, key) parameters; on a row, @on_row reads it. Returns
 * TRUE when the query ran, with *out_found telling whether a row came back. */
static gboolean
query_key (XulKvStore *self,
           const char *sql,
           const void *key,
           gsize       key_len,
           void      (*on_row) (sqlite3_stmt *stmt, gpointer data),
           gpointer    data,
           gboolean   *out_found,
           GError    **error)
{
  KvConn *conn;
  int rc = SQLITE_ERROR;

  if (key != NULL && !kv_check_key (key_len, error))
    return FALSE;
  if ((conn = kv_db_lock (self->db, FALSE, error)) == NULL)
    return FALSE;
  if (kv_store_resolve (self, conn, error))
    {
      g_auto (KvStatement) stmt = kv_conn_prepare (conn, sql, error);
      if (stmt != NULL)
        {
          sqlite3_bind_int64 (stmt, 1, self->id);
          if (key != NULL)
            kv_bind_bytes (stmt, 2, key, key_len);
          rc = sqlite3_step (stmt);
          if (rc == SQLITE_ROW && on_row != NULL)
            on_row (stmt, data);
          if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            {
              g_autofree char *operation =
                g_strdup_printf ("read store “%s” of", self->name);
              kv_set_sqlite_error (error, rc, conn->handle, conn->path, operation);
            }
        }
    }
  kv_db_unlock (self->db);
  *out_found = rc == SQLITE_ROW;
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

static void
read_value (sqlite3_stmt *stmt,
            gpointer      data)
{
  GBytes **value = data;
  *value = g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
}

static void
read_count (sqlite3_stmt *stmt,
            gpointer      data)
{
  *(guint64 *) data = (guint64) sqlite3_column_int64 (stmt, 0);
}

/**
 * xul_kv_store_get:
 * @self: a #XulKvStore
 * @key: (array length=key_len) (element-type guint8): the key
 * @key_len: its length in bytes, 1 to %XUL_KV_MAX_KEY
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the value, or %NULL with %XUL_KV_ERROR_NOT_FOUND when the
 *   key is absent (or another error)
 */
GBytes *
xul_kv_store_get (XulKvStore *self,
                  const void *key,
                  gsize       key_len,
                  GError    **error)
{
  GBytes *value = NULL;
  gboolean found;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (key != NULL || key_len == 0, NULL);
  if (!query_key (self, "SELECT value FROM data WHERE store_id = ?1 AND key = ?2",
                  key != NULL ? key : "", key_len, read_value, &value, &found, error))
    return NULL;
  if (!found)
    g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND,
                 "No such key in store “%s” of “%s”", self->name, self->db->path);
  return value;
}

/**
 * xul_kv_store_has:
 * @self: a #XulKvStore
 * @key: (array length=key_len) (element-type guint8): the key
 * @key_len: its length in bytes
 * @error: return location for a #GError
 *
 * Returns: %TRUE when the key is present; %FALSE when it is absent or on error
 */
gboolean
xul_kv_store_has (XulKvStore *self,
                  const void *key,
                  gsize       key_len,
                  GError    **error)
{
  gboolean found = FALSE;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (key != NULL || key_len == 0, FALSE);
  return query_key (self, "SELECT 1 FROM data WHERE store_id = ?1 AND key = ?2",
                    key != NULL ? key : "", key_len, NULL, NULL, &found, error) &&
         found;
}

/**
 * xul_kv_store_count:
 * @self: a #XulKvStore
 * @out_count: (out): the number of keys in the store
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
xul_kv_store_count (XulKvStore *self,
                    guint64    *out_count,
                    GError    **error)
{
  gboolean found;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (out_count != NULL, FALSE);
  return query_key (self, "SELECT count(*) FROM data WHERE store_id = ?1", NULL, 0,
                    read_count, out_count, &found, error);
}

/* Single writes are one-operation batches: one write path, one set of checks. */
static gboolean
commit_one (XulKvStore *self,
            XulKvBatch *batch,
            GError    **error)
{
  return xul_kv_db_commit (self->db, batch, XUL_KV_COMMIT_NONE, error);
}

/**
 * xul_kv_store_put:
 * @self: a #XulKvStore
 * @key: (array length=key_len) (element-type guint8): the key
 * @key_len: its length in bytes, 1 to %XUL_KV_MAX_KEY
 * @value: (array length=value_len) (element-type guint8) (nullable): the value
 * @value_len: its length in bytes, up to %XUL_KV_MAX_VALUE
 * @error: return location for a #GError
 *
 * Stores @value under @key, replacing any value there, in its own transaction.
 *
 * Returns: %TRUE on success
 */
gboolean
xul_kv_store_put (XulKvStore *self,
                  const void *key,
                  gsize       key_len,
                  const void *value,
                  gsize       value_len,
                  GError    **error)
{
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();

  g_return_val_if_fail (self != NULL, FALSE);
  xul_kv_batch_put (batch, self, key, key_len, value, value_len);
  return commit_one (self, batch, error);
}

/**
 * xul_kv_store_delete:
 * @self: a #XulKvStore
 * @key: (array length=key_len) (element-type guint8): the key
 * @key_len: its length in bytes
 * @error: return location for a #GError
 *
 * Deletes @key. Deleting a key that is not there is not an error.
 *
 * Returns: %TRUE on success
 */
gboolean
xul_kv_store_delete (XulKvStore *self,
                     const void *key,
                     gsize       key_len,
                     GError    **error)
{
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();

  g_return_val_if_fail (self != NULL, FALSE);
  xul_kv_batch_delete (batch, self, key, key_len);
  return commit_one (self, batch, error);
}

/**
 * xul_kv_store_clear:
 * @self: a #XulKvStore
 * @error: return location for a #GError
 *
 * Deletes every key of the store; the store itself remains.
 *
 * Returns: %TRUE on success
 */
gboolean
xul_kv_store_clear (XulKvStore *self,
                    GError    **error)
{
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();

  g_return_val_if_fail (self != NULL, FALSE);
  xul_kv_batch_clear (batch, self);
  return commit_one (self, batch, error);
}
