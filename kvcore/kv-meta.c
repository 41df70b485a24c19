/* kv-meta.c: meta records, small named texts stored beside the data (creation time,
 * library version, and the records of upper layers such as migration state).
 *
 * Keys starting with "kvcore." are written only by kvcore itself. To write a meta record
 * atomically with data, use xul_kv_batch_set_meta(). */
#include "config.h"

#include "kv-private.h"

/**
 * xul_kv_db_get_meta:
 * @self: a #XulKvDb
 * @key: the meta key
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the value, or %NULL with %XUL_KV_ERROR_NOT_FOUND when
 *   there is no such record (or another error)
 */
char *
xul_kv_db_get_meta (XulKvDb    *self,
                    const char *key,
                    GError    **error)
{
  KvConn *conn;
  char *value = NULL;
  int rc = SQLITE_ERROR;

  g_return_val_if_fail (XUL_IS_KV_DB (self), NULL);
  if (!kv_check_meta (key, NULL, FALSE, error))
    return NULL;
  if ((conn = kv_db_lock (self, FALSE, error)) == NULL)
    return NULL;
  {
    g_auto (KvStatement) stmt =
      kv_conn_has_schema (conn)
        ? kv_conn_prepare (conn, "SELECT value FROM meta WHERE key = ?1", error)
        : NULL;
    if (!kv_conn_has_schema (conn))
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND,
                   "No meta record “%s” in “%s”", key, self->path);
    else if (stmt != NULL)
      {
        sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
        rc = sqlite3_step (stmt);
        if (rc == SQLITE_ROW)
          {
            /* NOT NULL in the schema; a damaged file reads as an empty value. */
            const char *text = (const char *) sqlite3_column_text (stmt, 0);
            value = g_strdup (text != NULL ? text : "");
          }
        else if (rc == SQLITE_DONE)
          g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND,
                       "No meta record “%s” in “%s”", key, self->path);
        else
          kv_set_sqlite_error (error, rc, conn->handle, conn->path,
                               "read the meta records of");
      }
  }
  kv_db_unlock (self);
  return value;
}

/**
 * xul_kv_db_set_meta:
 * @self: a #XulKvDb
 * @key: the meta key: store-name rules, and not starting with `kvcore.`
 * @value: UTF-8 text, up to %XUL_KV_MAX_META_VALUE bytes
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
xul_kv_db_set_meta (XulKvDb    *self,
                    const char *key,
                    const char *value,
                    GError    **error)
{
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();

  g_return_val_if_fail (XUL_IS_KV_DB (self), FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  xul_kv_batch_set_meta (batch, key, value);
  return xul_kv_db_commit (self, batch, XUL_KV_COMMIT_NONE, error);
}

/**
 * xul_kv_db_delete_meta:
 * @self: a #XulKvDb
 * @key: the meta key
 * @error: return location for a #GError
 *
 * Deletes a meta record; a missing one is not an error.
 *
 * Returns: %TRUE on success
 */
gboolean
xul_kv_db_delete_meta (XulKvDb    *self,
                       const char *key,
                       GError    **error)
{
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();

  g_return_val_if_fail (XUL_IS_KV_DB (self), FALSE);
  xul_kv_batch_delete_meta (batch, key);
  return xul_kv_db_commit (self, batch, XUL_KV_COMMIT_NONE, error);
}
