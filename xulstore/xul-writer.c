/* xul-writer.c: the write-behind queue of a XulStore and its writer thread.
 *
 * Callers only touch memory: a change replaces any queued change to the same key. The
 * thread takes the whole queue at once and commits it as one kvcore batch, so the file
 * always holds the state after some prefix of the changes (batches commit in order,
 * atomically). A failed batch goes back under the newer changes and is retried; its
 * error waits for the next flush. self->lock is never held during disk I/O. */
#include "config.h"

#include "xul-store-private.h"
#include "xul-writer-private.h"

/* After a failed commit (disk full, I/O), wait at least this long before retrying. */
#define RETRY_DELAY_US (1 * G_USEC_PER_SEC)

struct _XulWriter {
  XulKvStore *store;
  gint64 delay_us;
  GThread *thread;

  GMutex lock;
  GCond cond;
  GHashTable *queue;  /* GBytes key -> GBytes value, or NULL for a deletion */
  gint64 deadline;    /* monotonic time to commit the queue; 0 when empty */
  gboolean sync_requested;
  gboolean stopping;
  guint64 sync_rounds_started, sync_rounds_finished;
  gboolean unsynced;  /* a commit since the last sync was not durable */
  GError *error;      /* first background error since the last flush */
  gboolean warned;    /* g_warning is logged once per writer */
};

static GHashTable *
queue_new (void)
{
  return g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                (GDestroyNotify) g_bytes_unref,
                                (GDestroyNotify) g_bytes_unref);
}

/* With the lock held: the first change after a commit starts the delay. */
static void
queue_locked (XulWriter *self,
              GBytes    *key,
              GBytes    *value)
{
  if (g_hash_table_size (self->queue) == 0)
    {
      self->deadline = g_get_monotonic_time () + self->delay_us;
      g_cond_signal (&self->cond);
    }
  g_hash_table_replace (self->queue, key, value);
}

void
xul_writer_queue (XulWriter    *self,
                  const guint8 *key,
                  gsize         key_len,
                  const char   *value)
{
  GBytes *key_bytes = g_bytes_new (key, key_len);
  GBytes *value_bytes = value != NULL ? g_bytes_new (value, strlen (value)) : NULL;

  g_mutex_lock (&self->lock);
  queue_locked (self, key_bytes, value_bytes);
  g_mutex_unlock (&self->lock);
}

void
xul_writer_queue_deletions (XulWriter *self,
                            GPtrArray *keys)
{
  /* One lock for all: the thread takes the queue whole, so they commit together. */
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < keys->len; i++)
    queue_locked (self, g_bytes_ref (g_ptr_array_index (keys, i)), NULL);
  g_mutex_unlock (&self->lock);
}

static XulKvBatch *
batch_from_queue (XulKvStore *store,
                  GHashTable *queue)
{
  XulKvBatch *batch = xul_kv_batch_new ();
  GHashTableIter iter;
  GBytes *key, *value;

  g_hash_table_iter_init (&iter, queue);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, (gpointer *) &value))
    {
      gsize key_len, value_len;
      const void *key_data = g_bytes_get_data (key, &key_len);
      if (value != NULL)
        {
          const void *value_data = g_bytes_get_data (value, &value_len);
          xul_kv_batch_put (batch, store, key_data, key_len, value_data, value_len);
        }
      else
        xul_kv_batch_delete (batch, store, key_data, key_len);
    }
  return batch;
}

static gboolean
commit (XulWriter  *self,
        GHashTable *queue,
        gboolean    durable,
        gboolean    unsynced,
        GError    **error)
{
  XulKvDb *db = xul_kv_store_get_db (self->store);
  g_autoptr (XulKvBatch) batch = NULL;

  if (g_hash_table_size (queue) == 0)
    return !durable || !unsynced || xul_kv_db_sync (db, error);
  batch = batch_from_queue (self->store, queue);
  return xul_kv_db_commit (db, batch, durable ? XUL_KV_COMMIT_DURABLE : XUL_KV_COMMIT_NONE,
                           error);
}

/* With the lock held: a failed batch goes back under the changes queued since. */
static void
requeue (XulWriter  *self,
         GHashTable *failed)
{
  GHashTableIter iter;
  GBytes *key, *value;

  g_hash_table_iter_init (&iter, failed);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, (gpointer *) &value))
    if (!g_hash_table_contains (self->queue, key))
      {
        g_hash_table_insert (self->queue, g_bytes_ref (key),
                             value != NULL ? g_bytes_ref (value) : NULL);
      }
  self->deadline = g_get_monotonic_time () + MAX (self->delay_us, RETRY_DELAY_US);
}

/* Takes @kv_error; keeps it, in the XulStore domain, for the next flush. */
static void
record_failure (XulWriter *self,
                GError    *kv_error)
{
  GError *error = NULL;

  xul_store_propagate_kv_error (&error, kv_error);
  if (!self->warned)
    g_warning ("Changes are kept in memory and will be retried: %s", error->message);
  self->warned = TRUE;
  if (self->error == NULL)
    self->error = error;
  else
    g_error_free (error);
}

/* With the lock held: waits until there is something to do, and says whether to go
 * on. */
static gboolean
wait_for_work (XulWriter *self)
{
  for (;;)
    {
      if (self->sync_requested)
        return TRUE;
      if (g_hash_table_size (self->queue) == 0)
        {
          if (self->stopping)
            return FALSE;
          g_cond_wait (&self->cond, &self->lock);
        }
      else if (g_get_monotonic_time () >= self->deadline || self->stopping)
        return TRUE;
      else
        g_cond_wait_until (&self->cond, &self->lock, self->deadline);
    }
}

static gpointer
writer_thread (gpointer data)
{
  XulWriter *self = data;

  g_mutex_lock (&self->lock);
  while (wait_for_work (self))
    {
      g_autoptr (GHashTable) batch = g_steal_pointer (&self->queue);
      gboolean durable = self->sync_requested, unsynced = self->unsynced;
      GError *error = NULL;
      gboolean ok, wrote;

      self->queue = queue_new ();
      self->deadline = 0;
      self->sync_requested = FALSE;
      if (durable)
        self->sync_rounds_started++;
      g_mutex_unlock (&self->lock);

      ok = commit (self, batch, durable, unsynced, &error);
      wrote = g_hash_table_size (batch) > 0;
      /* Freeing a large batch takes a while: not with the lock that callers wait for. */
      if (ok)
        g_clear_pointer (&batch, g_hash_table_unref);

      g_mutex_lock (&self->lock);
      if (ok)
        self->unsynced = durable ? FALSE : (self->unsynced || wrote);
      else
        {
          requeue (self, batch);
          record_failure (self, error);
        }
      if (durable)
        self->sync_rounds_finished++;
      g_cond_broadcast (&self->cond);
      /* A stopping writer makes one durable attempt; a failure is reported, not
       * retried forever. */
      if (self->stopping && durable)
        break;
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

XulWriter *
xul_writer_new (XulKvStore *store,
                guint       delay_ms)
{
  XulWriter *self = g_new0 (XulWriter, 1);

  self->store = xul_kv_store_ref (store);
  self->delay_us = (gint64) delay_ms * 1000;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->queue = queue_new ();
  self->thread = g_thread_new ("xulstore-writer", writer_thread, self);
  return self;
}

/* With the lock held: asks for a durable round that starts from now and waits for it. */
static void
run_sync_round (XulWriter *self)
{
  guint64 round = self->sync_rounds_started + 1;

  self->sync_requested = TRUE;
  g_cond_broadcast (&self->cond);
  while (self->sync_rounds_finished < round)
    g_cond_wait (&self->cond, &self->lock);
}

gboolean
xul_writer_flush (XulWriter *self,
                  GError   **error)
{
  GError *background = NULL;

  g_mutex_lock (&self->lock);
  run_sync_round (self);
  background = g_steal_pointer (&self->error);
  g_mutex_unlock (&self->lock);

  if (background != NULL)
    {
      g_propagate_error (error, background);
      return FALSE;
    }
  return TRUE;
}

gboolean
xul_writer_stop (XulWriter *self,
                 GError   **error)
{
  GError *background;

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  run_sync_round (self);
  background = g_steal_pointer (&self->error);
  g_mutex_unlock (&self->lock);

  g_thread_join (self->thread);
  g_hash_table_unref (self->queue);
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);
  xul_kv_store_unref (self->store);
  g_free (self);

  if (background != NULL)
    {
      g_propagate_error (error, background);
      return FALSE;
    }
  return TRUE;
}
