/* kv-batch.c: XulKvBatch and xul_kv_db_commit(), the one write path of kvcore.
 *
 * A batch copies keys and values into one byte arena as operations are added, so adding
 * is cheap and the caller's buffers may be reused at once. The commit applies the
 * operations in order in one transaction; any failure rolls all of them back. */
#include "config.h"

#include "kv-private.h"

typedef enum {
  OP_PUT,
  OP_DELETE,
  OP_CLEAR,
  OP_DELETE_RANGE,  /* key: the prefix; value: its successor */
  OP_DELETE_FROM,   /* key: a prefix without successor (all 0xFF) */
  OP_SET_META,
  OP_DELETE_META,
} OpKind;

#define NO_STORE G_MAXUINT

typedef struct {
  OpKind kind;
  guint store; /* index into XulKvBatch.stores, or NO_STORE for meta records */
  gsize key_offset, key_len;
  gsize value_offset, value_len;
} Op;

struct _XulKvBatch {
  gatomicrefcount ref_count;
  GArray *ops;        /* Op */
  GByteArray *arena;  /* keys and values, back to back */
  GPtrArray *stores;  /* XulKvStore *, distinct */
  GError *error;      /* the first invalid operation, reported by the commit */
};

G_DEFINE_BOXED_TYPE (XulKvBatch, xul_kv_batch, xul_kv_batch_ref, xul_kv_batch_unref)

/**
 * xul_kv_batch_new:
 *
 * Returns: (transfer full): an empty batch
 */
XulKvBatch *
xul_kv_batch_new (void)
{
  XulKvBatch *self = g_new0 (XulKvBatch, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->ops = g_array_new (FALSE, FALSE, sizeof (Op));
  self->arena = g_byte_array_new ();
  self->stores = g_ptr_array_new_with_free_func ((GDestroyNotify) xul_kv_store_unref);
  return self;
}

/**
 * xul_kv_batch_ref:
 * @self: a #XulKvBatch
 *
 * Returns: (transfer full): @self
 */
XulKvBatch *
xul_kv_batch_ref (XulKvBatch *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * xul_kv_batch_unref:
 * @self: (transfer full): a #XulKvBatch
 *
 * Drops a reference; the last one frees the batch.
 */
void
xul_kv_batch_unref (XulKvBatch *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_array_unref (self->ops);
  g_byte_array_unref (self->arena);
  g_ptr_array_unref (self->stores);
  g_clear_error (&self->error);
  g_free (self);
}

/**
 * xul_kv_batch_get_length:
 * @self: a #XulKvBatch
 *
 * Returns: the number of operations recorded
 */
guint
xul_kv_batch_get_length (XulKvBatch *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->ops->len;
}

static guint
store_index (XulKvBatch *self,
             XulKvStore *store)
{
  /* Batches touch few stores, and usually the same one as the previous operation. */
  for (guint i = self->stores->len; i > 0; i--)
    if (g_ptr_array_index (self->stores, i - 1) == store)
      return i - 1;
  g_ptr_array_add (self->stores, xul_kv_store_ref (store));
  return self->stores->len - 1;
}

static gsize
append_bytes (XulKvBatch *self,
              const void *data,
              gsize       len)
{
  gsize offset = self->arena->len;

  if (len > 0)
    g_byte_array_append (self->arena, data, len);
  return offset;
}

static void
add_op (XulKvBatch *self,
        OpKind      kind,
        XulKvStore *store,
        const void *key,
        gsize       key_len,
        const void *value,
        gsize       value_len)
{
  Op op = { .kind = kind };

  op.store = store != NULL ? store_index (self, store) : NO_STORE;
  op.key_len = key_len;
  op.key_offset = append_bytes (self, key, key_len);
  op.value_len = value_len;
  op.value_offset = append_bytes (self, value, value_len);
  g_array_append_val (self->ops, op);
}

/* Keeps the first problem, which the commit will report; the invalid operation itself
 * is not recorded. Returns whether @problem is NULL, i.e. the operation is valid. */
static gboolean
accept (XulKvBatch *self,
        GError     *problem)
{
  if (problem == NULL)
    return TRUE;
  if (self->error == NULL)
    self->error = problem;
  else
    g_error_free (problem);
  return FALSE;
}

/**
 * xul_kv_batch_put:
 * @self: a #XulKvBatch
 * @store: the store to write to
 * @key: (array length=key_len) (element-type guint8): the key
 * @key_len: its length in bytes, 1 to %XUL_KV_MAX_KEY
 * @value: (array length=value_len) (element-type guint8) (nullable): the value
 * @value_len: its length in bytes, up to %XUL_KV_MAX_VALUE
 *
 * Records a write of @value under @key. An invalid key or value makes the commit fail.
 */
void
xul_kv_batch_put (XulKvBatch *self,
                  XulKvStore *store,
                  const void *key,
                  gsize       key_len,
                  const void *value,
                  gsize       value_len)
{
  GError *problem = NULL;

  g_return_if_fail (self != NULL && store != NULL);
  g_return_if_fail (key != NULL || key_len == 0);
  g_return_if_fail (value != NULL || value_len == 0);
  if (kv_check_key (key_len, &problem))
    kv_check_value (value_len, &problem);
  if (accept (self, problem))
    add_op (self, OP_PUT, store, key, key_len, value, value_len);
}

/**
 * xul_kv_batch_delete:
 * @self: a #XulKvBatch
 * @store: the store to delete from
 * @key: (array length=key_len) (element-type guint8): the key
 * @key_len: its length in bytes
 *
 * Records the deletion of @key; a missing key is not an error.
 */
void
xul_kv_batch_delete (XulKvBatch *self,
                     XulKvStore *store,
                     const void *key,
                     gsize       key_len)
{
  GError *problem = NULL;

  g_return_if_fail (self != NULL && store != NULL);
  g_return_if_fail (key != NULL || key_len == 0);
  kv_check_key (key_len, &problem);
  if (accept (self, problem))
    add_op (self, OP_DELETE, store, key, key_len, NULL, 0);
}

/**
 * xul_kv_batch_clear:
 * @self: a #XulKvBatch
 * @store: the store to empty
 *
 * Records the deletion of every key of @store.
 */
void
xul_kv_batch_clear (XulKvBatch *self,
                    XulKvStore *store)
{
  g_return_if_fail (self != NULL && store != NULL);
  add_op (self, OP_CLEAR, store, NULL, 0, NULL, 0);
}

/**
 * xul_kv_batch_delete_prefix:
 * @self: a #XulKvBatch
 * @store: the store to delete from
 * @prefix: (array length=prefix_len) (element-type guint8): the prefix
 * @prefix_len: its length in bytes, 1 to %XUL_KV_MAX_KEY
 *
 * Records the deletion of every key of @store that starts with @prefix.
 */
void
xul_kv_batch_delete_prefix (XulKvBatch *self,
                            XulKvStore *store,
                            const void *prefix,
                            gsize       prefix_len)
{
  GError *problem = NULL;
  g_autoptr (GBytes) successor = NULL;
  gsize successor_len = 0;
  const void *successor_data;

  g_return_if_fail (self != NULL && store != NULL);
  g_return_if_fail (prefix != NULL || prefix_len == 0);
  kv_check_key (prefix_len, &problem);
  if (!accept (self, problem))
    return;
  successor = kv_prefix_successor (prefix, prefix_len);
  successor_data = successor != NULL ? g_bytes_get_data (successor, &successor_len) : NULL;
  add_op (self, successor != NULL ? OP_DELETE_RANGE : OP_DELETE_FROM, store, prefix,
          prefix_len, successor_data, successor_len);
}

/**
 * xul_kv_batch_set_meta:
 * @self: a #XulKvBatch
 * @key: the meta key (store-name rules; the prefix `kvcore.` is reserved)
 * @value: UTF-8 text, up to %XUL_KV_MAX_META_VALUE bytes
 *
 * Records a write of a meta record, so that it commits with the data it describes.
 */
void
xul_kv_batch_set_meta (XulKvBatch *self,
                       const char *key,
                       const char *value)
{
  GError *problem = NULL;

  g_return_if_fail (self != NULL && key != NULL && value != NULL);
  kv_check_meta (key, value, TRUE, &problem);
  if (accept (self, problem))
    add_op (self, OP_SET_META, NULL, key, strlen (key), value, strlen (value));
}

/**
 * xul_kv_batch_delete_meta:
 * @self: a #XulKvBatch
 * @key: the meta key
 *
 * Records the deletion of a meta record; a missing one is not an error.
 */
void
xul_kv_batch_delete_meta (XulKvBatch *self,
                          const char *key)
{
  GError *problem = NULL;

  g_return_if_fail (self != NULL && key != NULL);
  kv_check_meta (key, NULL, TRUE, &problem);
  if (accept (self, problem))
    add_op (self, OP_DELETE_META, NULL, key, strlen (key), NULL, 0);
}

static const char *const op_sql[] = {
  [OP_PUT] = "INSERT INTO data (store_id, key, value) VALUES (?1, ?2, ?3)"
             " ON CONFLICT (store_id, key) DO UPDATE SET value = excluded.value",
  [OP_DELETE] = "DELETE FROM data WHERE store_id = ?1 AND key = ?2",
  [OP_CLEAR] = "DELETE FROM data WHERE store_id = ?1",
  [OP_DELETE_RANGE] = "DELETE FROM data WHERE store_id = ?1 AND key >= ?2 AND key < ?3",
  [OP_DELETE_FROM] = "DELETE FROM data WHERE store_id = ?1 AND key >= ?2",
  [OP_SET_META] = "INSERT INTO meta (key, value) VALUES (?2, ?3)"
                  " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  [OP_DELETE_META] = "DELETE FROM meta WHERE key = ?2",
};

static const char *const op_verb[] = {
  [OP_PUT] = "write to",
  [OP_DELETE] = "delete from",
  [OP_CLEAR] = "clear",
  [OP_DELETE_RANGE] = "delete from",
  [OP_DELETE_FROM] = "delete from",
  [OP_SET_META] = "write a meta record of",
  [OP_DELETE_META] = "delete a meta record of",
};

typedef struct {
  XulKvBatch *batch;
  gboolean *resolved; /* per store: checked in this transaction */
} Commit;

static gboolean
apply_op (KvConn     *conn,
          Commit     *commit,
          const Op   *op,
          GError    **error)
{
  const guint8 *arena = commit->batch->arena->data;
  XulKvStore *store = NULL;
  int rc;

  if (op->store != NO_STORE)
    {
      /* Resolved when first used, not up front: a store dropped by someone else
       * fails the batch where it is reached, and the rollback undoes what came before. */
      store = g_ptr_array_index (commit->batch->stores, op->store);
      if (!commit->resolved[op->store] && !kv_store_resolve (store, conn, error))
        return FALSE;
      commit->resolved[op->store] = TRUE;
    }
  {
    g_auto (KvStatement) stmt = kv_conn_prepare (conn, op_sql[op->kind], error);
    if (stmt == NULL)
      return FALSE;
    if (store != NULL)
      sqlite3_bind_int64 (stmt, 1, store->id);
    if (op->kind == OP_SET_META || op->kind == OP_DELETE_META)
      sqlite3_bind_text (stmt, 2, (const char *) arena + op->key_offset,
                         (int) op->key_len, SQLITE_STATIC);
    else if (op->kind != OP_CLEAR)
      kv_bind_bytes (stmt, 2, arena + op->key_offset, op->key_len);
    if (op->kind == OP_SET_META)
      sqlite3_bind_text (stmt, 3, (const char *) arena + op->value_offset,
                         (int) op->value_len, SQLITE_STATIC);
    else if (op->kind == OP_PUT || op->kind == OP_DELETE_RANGE)
      kv_bind_bytes (stmt, 3, arena + op->value_offset, op->value_len);
    rc = sqlite3_step (stmt);
  }
  if (rc != SQLITE_DONE)
    {
      g_autofree char *operation =
        store != NULL ? g_strdup_printf ("%s store “%s” of", op_verb[op->kind], store->name)
                      : g_strdup (op_verb[op->kind]);
      kv_set_sqlite_error (error, rc, conn->handle, conn->path, operation);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_stores_belong (XulKvDb    *db,
                     XulKvBatch *batch,
                     GError    **error)
{
  for (guint i = 0; i < batch->stores->len; i++)
    {
      XulKvStore *store = g_ptr_array_index (batch->stores, i);
      if (store->db != db)
        {
          g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT,
                       "Cannot commit to “%s”: store “%s” belongs to “%s”", db->path,
                       store->name, store->db->path);
          return FALSE;
        }
    }
  return TRUE;
}

/* A batch whose recording failed, or that names another database's store, changes
 * nothing. */
static gboolean
check_batch (XulKvDb    *db,
             XulKvBatch *batch,
             GError    **error)
{
  if (batch->error != NULL)
    {
      g_propagate_error (error, g_error_copy (batch->error));
      return FALSE;
    }
  return check_stores_belong (db, batch, error);
}

/* Applies one batch inside the open transaction. */
static gboolean
apply_batch (KvConn     *conn,
             XulKvDb    *db,
             XulKvBatch *batch,
             GError    **error)
{
  g_autofree gboolean *resolved = g_new0 (gboolean, batch->stores->len);
  Commit commit = { batch, resolved };

  if (!check_batch (db, batch, error))
    return FALSE;
  for (guint i = 0; i < batch->ops->len; i++)
    if (!apply_op (conn, &commit, &g_array_index (batch->ops, Op, i), error))
      return FALSE;
  return TRUE;
}

/* What one transaction applies: one batch, or batches filled on demand. */
typedef struct {
  XulKvDb *db;
  XulKvBatch *batch;
  XulKvBatchFill fill;
  gpointer user_data;
} Stream;

static gboolean
apply_stream (KvConn  *conn,
              gpointer data,
              GError **error)
{
  Stream *stream = data;
  gboolean more = TRUE;

  if (stream->batch != NULL)
    return apply_batch (conn, stream->db, stream->batch, error);
  while (more)
    {
      g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
      more = stream->fill (batch, stream->user_data);
      if (!apply_batch (conn, stream->db, batch, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
commit_stream (Stream          *stream,
               XulKvCommitFlags flags,
               GError         **error)
{
  KvConn *conn;
  gboolean ok;

  if ((conn = kv_db_lock (stream->db, TRUE, error)) == NULL)
    return FALSE;
  ok = kv_db_write (conn, "commit to", apply_stream, stream, error) &&
       ((flags & XUL_KV_COMMIT_DURABLE) == 0 || kv_conn_sync_wal (conn, error));
  kv_db_unlock (stream->db);
  return ok;
}

/**
 * xul_kv_db_commit:
 * @db: a #XulKvDb
 * @batch: the operations to apply
 * @flags: %XUL_KV_COMMIT_DURABLE to survive a power loss
 * @error: return location for a #GError
 *
 * Applies every operation of @batch in order, in one transaction: all of them or, on
 * any error, none. The batch is left as it was and may be committed again.
 *
 * With %XUL_KV_COMMIT_DURABLE, the transaction commits first and is then made durable:
 * if that last step fails (an I/O error while syncing), the error is returned but the
 * commit stands — it survives a crash of the application, not necessarily a power loss,
 * until a later durable commit or xul_kv_db_sync() succeeds.
 *
 * Returns: %TRUE on success
 */
gboolean
xul_kv_db_commit (XulKvDb         *db,
                  XulKvBatch      *batch,
                  XulKvCommitFlags flags,
                  GError         **error)
{
  Stream stream = { db, batch, NULL, NULL };
  KvConn *conn;
  gboolean ok;

  g_return_val_if_fail (XUL_IS_KV_DB (db), FALSE);
  g_return_val_if_fail (batch != NULL, FALSE);

  if (!check_batch (db, batch, error))
    return FALSE;
  if (batch->ops->len > 0)
    return commit_stream (&stream, flags, error);
  /* Nothing to write; a durable commit still makes earlier ones durable. */
  if ((conn = kv_db_lock (db, TRUE, error)) == NULL)
    return FALSE;
  ok = (flags & XUL_KV_COMMIT_DURABLE) == 0 || kv_conn_sync_wal (conn, error);
  kv_db_unlock (db);
  return ok;
}

/**
 * xul_kv_db_commit_stream:
 * @db: a #XulKvDb
 * @flags: %XUL_KV_COMMIT_DURABLE to survive a power loss
 * @fill: (scope call): adds the next operations to an empty batch
 * @user_data: data for @fill
 * @error: return location for a #GError
 *
 * Like xul_kv_db_commit(), for more operations than are worth holding in memory at
 * once: @fill is called with a fresh batch again and again, each batch is applied as
 * soon as it is filled, and everything commits in one transaction when @fill says it
 * added the last operations — or nothing does, on any error. @fill runs with the
 * database locked and must not call into @db.
 *
 * Returns: %TRUE on success
 */
gboolean
xul_kv_db_commit_stream (XulKvDb         *db,
                         XulKvCommitFlags flags,
                         XulKvBatchFill   fill,
                         gpointer         user_data,
                         GError         **error)
{
  Stream stream = { db, NULL, fill, user_data };

  g_return_val_if_fail (XUL_IS_KV_DB (db), FALSE);
  g_return_val_if_fail (fill != NULL, FALSE);
  return commit_stream (&stream, flags, error);
}
