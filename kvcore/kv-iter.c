/* kv-iter.c: XulKvIter, ordered iteration over one snapshot of a store.
 *
 * Each iterator takes a reader connection of its own and opens a read transaction on
 * it; in WAL mode that pins a snapshot, so concurrent writes are invisible to it. Rows
 * are stepped one at a time. The connection goes back to the pool as soon as the
 * iteration ends, so a finished iterator holds nothing. */
#include "config.h"

#include "kv-private.h"

struct _XulKvIter {
  gatomicrefcount ref_count;
  XulKvDb *db;
  KvConn *conn;       /* NULL once the iteration has ended */
  sqlite3_stmt *stmt; /* cached in conn */
  GBytes *from, *to;  /* bound without copies, so kept alive here */
  char *store_name;   /* for messages */
};

/* One query per combination of bounds, so that SQLite always gets a plain index range
 * (an "?2 IS NULL OR key >= ?2" condition would defeat it). Indexed by has_from |
 * has_to << 1. */
static const char *const range_sql[] = {
  "SELECT key, value FROM data WHERE store_id = ?1 ORDER BY key",
  "SELECT key, value FROM data WHERE store_id = ?1 AND key >= ?2 ORDER BY key",
  "SELECT key, value FROM data WHERE store_id = ?1 AND key < ?3 ORDER BY key",
  ("SELECT key, value FROM data WHERE store_id = ?1 AND key >= ?2 AND key < ?3"
   " ORDER BY key"),
};

static void
end_iteration (XulKvIter *self)
{
  if (self->conn == NULL)
    return;
  sqlite3_reset (self->stmt);
  kv_conn_exec (self->conn, "COMMIT", "end a read of", NULL);
  kv_db_release_reader (self->db, g_steal_pointer (&self->conn));
  self->stmt = NULL;
}

G_DEFINE_BOXED_TYPE (XulKvIter, xul_kv_iter, xul_kv_iter_ref, xul_kv_iter_unref)

/**
 * xul_kv_iter_ref:
 * @self: a #XulKvIter
 *
 * Returns: (transfer full): @self
 */
XulKvIter *
xul_kv_iter_ref (XulKvIter *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * xul_kv_iter_unref:
 * @self: (transfer full): a #XulKvIter
 *
 * Drops a reference; the last one ends the iteration and frees the iterator.
 */
void
xul_kv_iter_unref (XulKvIter *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;
  end_iteration (self);
  g_clear_pointer (&self->from, g_bytes_unref);
  g_clear_pointer (&self->to, g_bytes_unref);
  g_free (self->store_name);
  g_object_unref (self->db);
  g_free (self);
}

static void
set_read_error (XulKvIter *self,
                int        rc,
                GError   **error)
{
  g_autofree char *operation =
    g_strdup_printf ("iterate store “%s” of", self->store_name);
  kv_set_sqlite_error (error, rc, self->conn->handle, self->db->path, operation);
}

/* Starts the snapshot and binds the query; the store is looked up by name inside the
 * snapshot, so the iteration and the store it reads agree. */
static gboolean
start (XulKvIter *self,
       GError   **error)
{
  int bounds = (self->from != NULL ? 1 : 0) | (self->to != NULL ? 2 : 0);
  gint64 id;

  if (!kv_conn_exec (self->conn, "BEGIN", "read", error) ||
      !kv_store_lookup (self->conn, self->store_name, &id, error))
    return FALSE;
  self->stmt = kv_conn_prepare (self->conn, range_sql[bounds], error);
  if (self->stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (self->stmt, 1, id);
  if (self->from != NULL)
    kv_bind_bytes (self->stmt, 2, g_bytes_get_data (self->from, NULL),
                   g_bytes_get_size (self->from));
  if (self->to != NULL)
    kv_bind_bytes (self->stmt, 3, g_bytes_get_data (self->to, NULL),
                   g_bytes_get_size (self->to));
  return TRUE;
}

/**
 * xul_kv_store_iter_range:
 * @store: a #XulKvStore
 * @from: (nullable): the first key, inclusive; %NULL to start at the first key
 * @to: (nullable): the end key, exclusive; %NULL to go to the last key
 * @error: return location for a #GError
 *
 * Iterates the keys k with @from <= k < @to in bytewise order, over a snapshot taken
 * now. When @to is not after @from, the iteration is empty.
 *
 * Returns: (transfer full): an iterator positioned before the first key, or %NULL on
 *   error
 */
XulKvIter *
xul_kv_store_iter_range (XulKvStore *store,
                         GBytes     *from,
                         GBytes     *to,
                         GError    **error)
{
  g_autoptr (XulKvIter) self = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  self = g_new0 (XulKvIter, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->db = g_object_ref (store->db);
  self->from = from != NULL ? g_bytes_ref (from) : NULL;
  self->to = to != NULL ? g_bytes_ref (to) : NULL;
  self->store_name = g_strdup (store->name);
  self->conn = kv_db_acquire_reader (self->db, error);
  if (self->conn == NULL)
    return NULL;
  if (!start (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * xul_kv_store_iter_prefix:
 * @store: a #XulKvStore
 * @prefix: (array length=prefix_len) (element-type guint8) (nullable): the prefix
 * @prefix_len: its length in bytes; 0 iterates the whole store
 * @error: return location for a #GError
 *
 * Iterates the keys that start with @prefix, in bytewise order, over a snapshot taken
 * now.
 *
 * Returns: (transfer full): an iterator positioned before the first key, or %NULL on
 *   error
 */
XulKvIter *
xul_kv_store_iter_prefix (XulKvStore *store,
                          const void *prefix,
                          gsize       prefix_len,
                          GError    **error)
{
  g_autoptr (GBytes) from = NULL;
  g_autoptr (GBytes) to = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (prefix != NULL || prefix_len == 0, NULL);

  if (prefix_len > 0)
    {
      from = g_bytes_new (prefix, prefix_len);
      to = kv_prefix_successor (prefix, prefix_len);
    }
  return xul_kv_store_iter_range (store, from, to, error);
}

/**
 * xul_kv_iter_next:
 * @self: a #XulKvIter
 * @error: return location for a #GError
 *
 * Moves to the next key.
 *
 * Returns: %TRUE when positioned on a key; %FALSE at the end (with @error unset) or on
 *   error. Once it has returned %FALSE, later calls return %FALSE without an error.
 */
gboolean
xul_kv_iter_next (XulKvIter *self,
                  GError   **error)
{
  int rc;

  g_return_val_if_fail (self != NULL, FALSE);
  if (self->conn == NULL)
    return FALSE;
  if (g_atomic_int_get (&self->db->closed))
    {
      end_iteration (self);
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED,
                   "Cannot iterate “%s”: the database is closed", self->db->path);
      return FALSE;
    }
  /* kvcore only writes BLOB keys; a key of another type (a damaged or foreign file)
   * would sort apart from them and break prefix and range scans: it is passed over. */
  while ((rc = sqlite3_step (self->stmt)) == SQLITE_ROW &&
         sqlite3_column_type (self->stmt, 0) != SQLITE_BLOB)
    ;
  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc != SQLITE_DONE)
    set_read_error (self, rc, error);
  end_iteration (self);
  return FALSE;
}

/**
 * xul_kv_iter_get_key:
 * @self: a #XulKvIter
 * @len: (out): the key length
 *
 * Returns: (array length=len) (transfer none): the current key, valid until the next
 *   call on @self; never %NULL
 */
const guint8 *
xul_kv_iter_get_key (XulKvIter *self,
                     gsize     *len)
{
  const guint8 *key;

  g_return_val_if_fail (self != NULL && self->conn != NULL, NULL);
  key = sqlite3_column_blob (self->stmt, 0);
  *len = (gsize) sqlite3_column_bytes (self->stmt, 0);
  return key != NULL ? key : (const guint8 *) "";
}

/**
 * xul_kv_iter_get_value:
 * @self: a #XulKvIter
 * @len: (out): the value length
 *
 * Returns: (array length=len) (transfer none): the current value, valid until the next
 *   call on @self; never %NULL, even for an empty value
 */
const guint8 *
xul_kv_iter_get_value (XulKvIter *self,
                       gsize     *len)
{
  const guint8 *value;

  g_return_val_if_fail (self != NULL && self->conn != NULL, NULL);
  value = sqlite3_column_blob (self->stmt, 1);
  *len = (gsize) sqlite3_column_bytes (self->stmt, 1);
  return value != NULL ? value : (const guint8 *) "";
}
