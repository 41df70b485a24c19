/* xul-store.c: XulStore, persistent (document, id, attribute) values with the
 * semantics of Firefox's nsIXULStore.
 *
 * Invariant: self->cache, self->closed and self->writer_users are only touched with
 * self->lock held. A document is loaded into the cache before any change to it, so for
 * a loaded document the cache is the truth and disk plus the writer's queue equal it.
 * `changed` is emitted after the lock is released, so handlers may call back in. */
#include "config.h"

#include "xul-changes-private.h"
#include "xul-key-private.h"
#include "xul-lock-private.h"
#include "xul-store-private.h"
#include "xul-writer-private.h"

#define DEFAULT_WRITE_DELAY_MS 200

struct _XulStore {
  GObject parent_instance;

  char *path;
  XulStoreFlags flags;
  guint write_delay_ms;

  XulLock *file_lock;  /* held by writable stores */
  XulKvDb *db;
  XulKvStore *kv;      /* NULL when a read-only file has no store yet */
  XulWriter *writer;   /* NULL when read-only */

  GMutex lock;
  GCond writer_idle;
  XulCache *cache;
  GByteArray *key;     /* scratch buffer for encoding keys */
  gboolean names_loaded;
  gboolean closed;
  guint writer_users;  /* flushes in progress; close waits for them */
};

enum {
  PROP_0,
  PROP_PATH,
  PROP_FLAGS,
  PROP_WRITE_DELAY,
  N_PROPS
};

enum {
  SIGNAL_CHANGED,
  SIGNAL_FLUSHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (XulStore, xul_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      initable_iface_init))

/* A change to announce once the lock is released. */
typedef struct {
  char *doc, *id, *attr, *value;
} Change;

static void
change_free (Change *change)
{
  g_free (change->doc);
  g_free (change->id);
  g_free (change->attr);
  g_free (change->value);
  g_free (change);
}

static Change *
change_new (const char *doc,
            const char *id,
            const char *attr,
            const char *value)
{
  Change *change = g_new (Change, 1);

  change->doc = g_strdup (doc);
  change->id = g_strdup (id);
  change->attr = g_strdup (attr);
  change->value = g_strdup (value);
  return change;
}

static void
emit_changes (XulStore  *self,
              GPtrArray *changes)
{
  for (guint i = 0; i < changes->len; i++)
    {
      Change *change = g_ptr_array_index (changes, i);
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0, change->doc, change->id,
                     change->attr, change->value);
    }
}

static gboolean
is_read_only (XulStore *self)
{
  return (self->flags & XUL_STORE_FLAGS_READ_ONLY) != 0;
}

/* Takes the lock for one call; fails, unlocked, when closed or, for @writing, when
 * read-only. */
static gboolean
lock_for (XulStore *self,
          gboolean  writing,
          GError  **error)
{
  g_mutex_lock (&self->lock);
  if (self->closed)
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED,
                   "Cannot use “%s”: the store is closed", self->path);
      return FALSE;
    }
  if (writing && is_read_only (self))
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_READ_ONLY,
                   "Cannot change “%s”: it was opened read-only", self->path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
ensure_loaded (XulStore   *self,
               const char *doc,
               GError    **error)
{
  return xul_cache_is_loaded (self->cache, doc) ||
         xul_load_document (self->cache, self->kv, doc, error);
}

static gboolean
check_tuple (XulStore   *self,
             const char *doc,
             const char *id,
             const char *attr,
             GError    **error)
{
  return xul_store_check_string (self->path, "document", doc, XUL_STORE_MAX_DOCUMENT_LENGTH,
                                 error) &&
         (id == NULL || xul_store_check_string (self->path, "element id", id,
                                                XUL_STORE_MAX_NAME_LENGTH, error)) &&
         (attr == NULL || xul_store_check_string (self->path, "attribute name", attr,
                                                  XUL_STORE_MAX_NAME_LENGTH, error));
}

static gboolean
check_value (XulStore   *self,
             const char *value,
             GError    **error)
{
  return xul_store_check_string (self->path, "value", value, XUL_STORE_MAX_VALUE_LENGTH,
                                 error);
}

/* Checks the arguments of a read or a removal. Over-long names cannot be stored, so
 * they are not an error here: *absent says that nothing can be found under them. */
static gboolean
check_lookup (XulStore   *self,
              const char *doc,
              const char *id,
              const char *attr,
              gboolean   *absent,
              GError    **error)
{
  GError *problem = NULL;

  *absent = FALSE;
  if (check_tuple (self, doc, id, attr, &problem))
    return TRUE;
  if (g_error_matches (problem, XUL_STORE_ERROR, XUL_STORE_ERROR_TOO_LONG))
    {
      g_error_free (problem);
      *absent = TRUE;
      return TRUE;
    }
  g_propagate_error (error, problem);
  return FALSE;
}

/* Looks a value up, loading its document on first use; *value is a copy, or NULL when
 * absent. A hit needs no argument check: only valid tuples are ever stored. */
static gboolean
lookup (XulStore   *self,
        const char *doc,
        const char *id,
        const char *attr,
        char      **value,
        GError    **error)
{
  const char *found;
  gboolean absent, ok = TRUE;

  *value = NULL;
  if (!lock_for (self, FALSE, error))
    return FALSE;
  found = xul_cache_lookup (self->cache, doc, id, attr);
  if (found == NULL)
    {
      ok = check_lookup (self, doc, id, attr, &absent, error);
      if (ok && !absent && !xul_cache_is_loaded (self->cache, doc))
        {
          ok = xul_load_document (self->cache, self->kv, doc, error);
          found = ok ? xul_cache_lookup (self->cache, doc, id, attr) : NULL;
        }
    }
  *value = g_strdup (found);
  g_mutex_unlock (&self->lock);
  return ok;
}

/**
 * xul_store_get_value:
 * @self: a #XulStore
 * @doc: the document URL
 * @id: the element id
 * @attr: the attribute name
 * @error: return location for a #GError
 *
 * Reads a value from memory; the first use of a document loads it from disk.
 *
 * Returns: (transfer full): the value, or "" when none is stored; %NULL on error
 */
char *
xul_store_get_value (XulStore   *self,
                     const char *doc,
                     const char *id,
                     const char *attr,
                     GError    **error)
{
  char *value;

  g_return_val_if_fail (XUL_IS_STORE (self), NULL);
  g_return_val_if_fail (doc != NULL && id != NULL && attr != NULL, NULL);
  if (!lookup (self, doc, id, attr, &value, error))
    return NULL;
  return value != NULL ? value : g_strdup ("");
}

/**
 * xul_store_has_value:
 * @self: a #XulStore
 * @doc: the document URL
 * @id: the element id
 * @attr: the attribute name
 * @error: return location for a #GError
 *
 * Returns: %TRUE when a value is stored, even an empty one; %FALSE when none is, or on
 *   error
 */
gboolean
xul_store_has_value (XulStore   *self,
                     const char *doc,
                     const char *id,
                     const char *attr,
                     GError    **error)
{
  g_autofree char *value = NULL;

  g_return_val_if_fail (XUL_IS_STORE (self), FALSE);
  g_return_val_if_fail (doc != NULL && id != NULL && attr != NULL, FALSE);
  return lookup (self, doc, id, attr, &value, error) && value != NULL;
}

/* With the lock held: queues the change of one value for the writer. */
static void
queue_change (XulStore   *self,
              const char *doc,
              const char *id,
              const char *attr,
              const char *value)
{
  xul_key_encode (self->key, doc, id, attr);
  xul_writer_queue (self->writer, self->key->data, self->key->len, value);
}

/**
 * xul_store_set_value:
 * @self: a #XulStore
 * @doc: the document URL, at most %XUL_STORE_MAX_DOCUMENT_LENGTH characters
 * @id: the element id, at most %XUL_STORE_MAX_NAME_LENGTH characters
 * @attr: the attribute name, at most %XUL_STORE_MAX_NAME_LENGTH characters
 * @value: the value, at most %XUL_STORE_MAX_VALUE_LENGTH characters
 * @error: return location for a #GError
 *
 * Stores a value. Memory changes at once and #XulStore::changed is emitted; the disk
 * follows shortly, in the background. Empty strings are valid everywhere. Setting the
 * value already stored changes nothing and emits nothing.
 *
 * Returns: %TRUE on success; %FALSE with %XUL_STORE_ERROR_TOO_LONG or
 *   %XUL_STORE_ERROR_INVALID_ARGUMENT (nothing stored), or another error
 */
gboolean
xul_store_set_value (XulStore   *self,
                     const char *doc,
                     const char *id,
                     const char *attr,
                     const char *value,
                     GError    **error)
{
  gboolean changed;

  g_return_val_if_fail (XUL_IS_STORE (self), FALSE);
  g_return_val_if_fail (doc != NULL && id != NULL && attr != NULL && value != NULL, FALSE);
  if (!check_tuple (self, doc, id, attr, error) || !check_value (self, value, error) ||
      !lock_for (self, TRUE, error))
    return FALSE;
  if (!ensure_loaded (self, doc, error))
    {
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  changed = xul_cache_set (self->cache, doc, id, attr, value);
  if (changed)
    queue_change (self, doc, id, attr, value);
  g_mutex_unlock (&self->lock);

  if (changed)
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0, doc, id, attr, value);
  return TRUE;
}

/**
 * xul_store_remove_value:
 * @self: a #XulStore
 * @doc: the document URL
 * @id: the element id
 * @attr: the attribute name
 * @error: return location for a #GError
 *
 * Removes a value; removing one that is not there is not an error. When it was the
 * last attribute of the element, the element leaves xul_store_get_ids(); when it was
 * the last value of the document, the document leaves xul_store_get_documents().
 *
 * Returns: %TRUE on success
 */
gboolean
xul_store_remove_value (XulStore   *self,
                        const char *doc,
                        const char *id,
                        const char *attr,
                        GError    **error)
{
  gboolean absent, removed;

  g_return_val_if_fail (XUL_IS_STORE (self), FALSE);
  g_return_val_if_fail (doc != NULL && id != NULL && attr != NULL, FALSE);
  if (!check_lookup (self, doc, id, attr, &absent, error) || !lock_for (self, TRUE, error))
    return FALSE;
  if (!absent && !ensure_loaded (self, doc, error))
    {
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  removed = !absent && xul_cache_remove (self->cache, doc, id, attr);
  if (removed)
    queue_change (self, doc, id, attr, NULL);
  g_mutex_unlock (&self->lock);

  if (removed)
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0, doc, id, attr, NULL);
  return TRUE;
}

/* With the lock held: removes a loaded document from the cache, recording a change
 * for each of its values. */
static GPtrArray *
announce_removed_document (XulStore   *self,
                           const char *doc,
                           GPtrArray  *announced)
{
  GPtrArray *removed = xul_cache_remove_document (self->cache, doc);

  for (guint i = 0; i < removed->len; i++)
    {
      XulCacheEntry *entry = g_ptr_array_index (removed, i);
      g_ptr_array_add (announced, change_new (entry->doc, entry->id, entry->attr, NULL));
    }
  return removed;
}

/* With the lock held: the same, adding the key of each removed value to @keys. */
static void
remove_loaded_document (XulStore   *self,
                        const char *doc,
                        GPtrArray  *announced,
                        GPtrArray  *keys)
{
  g_autoptr (GPtrArray) removed = announce_removed_document (self, doc, announced);

  for (guint i = 0; i < removed->len; i++)
    {
      XulCacheEntry *entry = g_ptr_array_index (removed, i);
      xul_key_encode (self->key, entry->doc, entry->id, entry->attr);
      g_ptr_array_add (keys, g_bytes_new (self->key->data, self->key->len));
    }
}

/**
 * xul_store_remove_document:
 * @self: a #XulStore
 * @doc: the document URL
 * @error: return location for a #GError
 *
 * Removes every value of the document, emitting #XulStore::changed once for each. An
 * unknown document is not an error.
 *
 * Returns: %TRUE on success
 */
gboolean
xul_store_remove_document (XulStore   *self,
                           const char *doc,
                           GError    **error)
{
  g_autoptr (GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) change_free);
  gboolean ok;

  g_return_val_if_fail (XUL_IS_STORE (self), FALSE);
  g_return_val_if_fail (doc != NULL, FALSE);
  if (!check_tuple (self, doc, NULL, NULL, error) || !lock_for (self, TRUE, error))
    return FALSE;
  ok = ensure_loaded (self, doc, error);
  if (ok)
    {
      g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      remove_loaded_document (self, doc, changes, keys);
      xul_writer_queue_deletions (self->writer, keys);
    }
  g_mutex_unlock (&self->lock);

  emit_changes (self, changes);
  return ok;
}

/* With the lock held: learns the names of the documents on disk, once. */
static gboolean
ensure_names_loaded (XulStore *self,
                     GError  **error)
{
  if (self->names_loaded)
    return TRUE;
  self->names_loaded = xul_load_document_names (self->cache, self->kv, error);
  return self->names_loaded;
}

/**
 * xul_store_clear:
 * @self: a #XulStore
 * @error: return location for a #GError
 *
 * Removes every value of every document, emitting #XulStore::changed once for each.
 *
 * Returns: %TRUE on success
 */
gboolean
xul_store_clear (XulStore *self,
                 GError  **error)
{
  g_autoptr (GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) change_free);
  g_auto (GStrv) docs = NULL;
  gboolean ok;

  g_return_val_if_fail (XUL_IS_STORE (self), FALSE);
  if (!lock_for (self, TRUE, error))
    return FALSE;
  ok = ensure_names_loaded (self, error);
  if (ok)
    docs = xul_cache_list_documents (self->cache);
  /* Load everything first: a failure must not leave the store half cleared. */
  for (guint i = 0; ok && docs[i] != NULL; i++)
    ok = ensure_loaded (self, docs[i], error);
  if (ok)
    {
      g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      for (guint i = 0; docs[i] != NULL; i++)
        remove_loaded_document (self, docs[i], changes, keys);
      xul_writer_queue_deletions (self->writer, keys);
    }
  g_mutex_unlock (&self->lock);

  emit_changes (self, changes);
  return ok;
}

/**
 * xul_store_get_documents:
 * @self: a #XulStore
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (array zero-terminated=1): the documents that hold at least
 *   one value, sorted by the bytes of their UTF-8; an empty array when there are none;
 *   %NULL on error
 */
char **
xul_store_get_documents (XulStore *self,
                         GError  **error)
{
  char **docs = NULL;

  g_return_val_if_fail (XUL_IS_STORE (self), NULL);
  if (!lock_for (self, FALSE, error))
    return NULL;
  if (ensure_names_loaded (self, error))
    docs = xul_cache_list_documents (self->cache);
  g_mutex_unlock (&self->lock);
  return docs;
}

/* Lists the ids of @doc (when @id is NULL) or the attributes of @id. */
static char **
list_in_document (XulStore   *self,
                  const char *doc,
                  const char *id,
                  GError    **error)
{
  char **names = NULL;
  gboolean absent;

  if (!check_lookup (self, doc, id, NULL, &absent, error) || !lock_for (self, FALSE, error))
    return NULL;
  if (absent)
    names = g_new0 (char *, 1);
  else if (ensure_loaded (self, doc, error))
    names = id == NULL ? xul_cache_list_ids (self->cache, doc)
                       : xul_cache_list_attributes (self->cache, doc, id);
  g_mutex_unlock (&self->lock);
  return names;
}

/**
 * xul_store_get_ids:
 * @self: a #XulStore
 * @doc: the document URL
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (array zero-terminated=1): the ids of the elements of @doc
 *   that hold at least one value, sorted by bytes; an empty array for an unknown
 *   document; %NULL on error
 */
char **
xul_store_get_ids (XulStore   *self,
                   const char *doc,
                   GError    **error)
{
  g_return_val_if_fail (XUL_IS_STORE (self), NULL);
  g_return_val_if_fail (doc != NULL, NULL);
  return list_in_document (self, doc, NULL, error);
}

/**
 * xul_store_get_attributes:
 * @self: a #XulStore
 * @doc: the document URL
 * @id: the element id
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (array zero-terminated=1): the attribute names stored for
 *   the element, sorted by bytes; an empty array when there are none; %NULL on error
 */
char **
xul_store_get_attributes (XulStore   *self,
                          const char *doc,
                          const char *id,
                          GError    **error)
{
  g_return_val_if_fail (XUL_IS_STORE (self), NULL);
  g_return_val_if_fail (doc != NULL && id != NULL, NULL);
  return list_in_document (self, doc, id, error);
}

/* Commits what the writer holds, durably, without holding the lock meanwhile, so that
 * reads go on; close waits for it. *flushed says whether there was a writer. */
static gboolean
flush_writer (XulStore *self,
              gboolean *flushed,
              GError  **error)
{
  gboolean ok;

  if (flushed != NULL)
    *flushed = FALSE;
  if (!lock_for (self, FALSE, error))
    return FALSE;
  if (self->writer == NULL)
    {
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
  self->writer_users++;
  g_mutex_unlock (&self->lock);

  ok = xul_writer_flush (self->writer, error);

  g_mutex_lock (&self->lock);
  if (--self->writer_users == 0)
    g_cond_broadcast (&self->writer_idle);
  g_mutex_unlock (&self->lock);
  if (flushed != NULL)
    *flushed = ok;
  return ok;
}

/* Visits the values of the loaded @docs in order; FALSE when @func stopped. */
static gboolean
visit_documents (XulStore           *self,
                 char              **docs,
                 XulStoreForeachFunc func,
                 gpointer            user_data)
{
  for (guint d = 0; docs[d] != NULL; d++)
    {
      g_auto (GStrv) ids = xul_cache_list_ids (self->cache, docs[d]);
      for (guint i = 0; ids[i] != NULL; i++)
        {
          g_auto (GStrv) attrs = xul_cache_list_attributes (self->cache, docs[d], ids[i]);
          for (guint a = 0; attrs[a] != NULL; a++)
            if (!func (docs[d], ids[i], attrs[a],
                       xul_cache_lookup (self->cache, docs[d], ids[i], attrs[a]), user_data))
              return FALSE;
        }
    }
  return TRUE;
}

/**
 * xul_store_foreach:
 * @self: a #XulStore
 * @func: (scope call): called for each value
 * @user_data: (closure): data for @func
 * @error: return location for a #GError
 *
 * Calls @func for every value of the store, sorted by document, then id, then
 * attribute (by bytes), as one consistent state: changes made before the call are
 * committed first, durably, and no change happens during the walk, so what @func sees
 * is exactly what is on disk. Changes from other threads wait for the walk to end.
 *
 * Returns: %TRUE when every value was visited or @func stopped the walk; %FALSE on
 *   error
 */
gboolean
xul_store_foreach (XulStore           *self,
                   XulStoreForeachFunc func,
                   gpointer            user_data,
                   GError            **error)
{
  g_auto (GStrv) docs = NULL;
  gboolean ok;

  g_return_val_if_fail (XUL_IS_STORE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  /* Most of the waiting for the disk happens here, without the lock; the flush under
   * the lock then only commits what was changed meanwhile. */
  if (!flush_writer (self, NULL, error) || !lock_for (self, FALSE, error))
    return FALSE;
  ok = (self->writer == NULL || xul_writer_flush (self->writer, error)) &&
       ensure_names_loaded (self, error);
  if (ok)
    {
      docs = xul_cache_list_documents (self->cache);
      for (guint d = 0; ok && docs[d] != NULL; d++)
        ok = ensure_loaded (self, docs[d], error);
    }
  if (ok)
    visit_documents (self, docs, func, user_data);
  g_mutex_unlock (&self->lock);
  return ok;
}

/* Checks every change before anything happens: apply is all or nothing. */
static gboolean
check_changes (XulStore        *self,
               const XulChange *changes,
               guint            n_changes,
               GError         **error)
{
  for (guint i = 0; i < n_changes; i++)
    {
      const XulChange *change = &changes[i];
      if (change->doc != NULL &&
          !check_tuple (self, change->doc, change->id, change->attr, error))
        return FALSE;
      if (change->kind == XUL_CHANGE_SET_VALUE && !check_value (self, change->value, error))
        return FALSE;
    }
  return TRUE;
}

/* With the lock held: loads what the removals touch, so that each removed value can be
 * announced; values that are only set are written without loading their document. */
static gboolean
load_for_removals (XulStore        *self,
                   const XulChange *changes,
                   guint            n_changes,
                   GError         **error)
{
  for (guint i = 0; i < n_changes; i++)
    {
      const XulChange *change = &changes[i];
      if (change->kind == XUL_CHANGE_CLEAR)
        {
          g_auto (GStrv) docs = NULL;
          if (!ensure_names_loaded (self, error))
            return FALSE;
          docs = xul_cache_list_documents (self->cache);
          for (guint d = 0; docs[d] != NULL; d++)
            if (!ensure_loaded (self, docs[d], error))
              return FALSE;
        }
      else if ((change->kind == XUL_CHANGE_REMOVE_VALUE ||
                change->kind == XUL_CHANGE_REMOVE_DOCUMENT) &&
               !ensure_loaded (self, change->doc, error))
        return FALSE;
    }
  return TRUE;
}

/* Where a streamed commit of a list of changes has got to. */
typedef struct {
  XulStore *self;
  const XulChange *changes;
  guint n_changes, next;
} ChangeCursor;

/* Encodes the next changes of the list: a few thousand at a time, so that a large
 * import never holds a second copy of itself as kvcore operations. */
static gboolean
fill_batch (XulKvBatch *batch,
            gpointer    data)
{
  enum { CHUNK = 4096 };
  ChangeCursor *cursor = data;
  XulStore *self = cursor->self;
  guint end = MIN (cursor->next + CHUNK, cursor->n_changes);

  for (; cursor->next < end; cursor->next++)
    {
      const XulChange *change = &cursor->changes[cursor->next];
      switch (change->kind)
        {
        case XUL_CHANGE_SET_VALUE:
          xul_key_encode (self->key, change->doc, change->id, change->attr);
          xul_kv_batch_put (batch, self->kv, self->key->data, self->key->len, change->value,
                            strlen (change->value));
          break;
        case XUL_CHANGE_REMOVE_VALUE:
          xul_key_encode (self->key, change->doc, change->id, change->attr);
          xul_kv_batch_delete (batch, self->kv, self->key->data, self->key->len);
          break;
        case XUL_CHANGE_REMOVE_DOCUMENT:
          xul_key_encode_prefix (self->key, change->doc, NULL);
          xul_kv_batch_delete_prefix (batch, self->kv, self->key->data, self->key->len);
          break;
        case XUL_CHANGE_CLEAR:
          xul_kv_batch_clear (batch, self->kv);
          break;
        case XUL_CHANGE_SET_META:
          xul_kv_batch_set_meta (batch, change->meta_key, change->value);
          break;
        }
    }
  return cursor->next < cursor->n_changes;
}

/* What applying a list announces: the values it sets come from the list itself, so
 * only the removed values are kept, with how many each removal made. */
typedef struct {
  GPtrArray *removed; /* Change *, in order */
  GArray *counts;     /* guint per removal in the list, in order */
} Removals;

static void
note_removals (Removals *removals,
               guint     before)
{
  guint count = removals->removed->len - before;

  g_array_append_val (removals->counts, count);
}

/* With the lock held, after the commit: brings loaded documents up to date and
 * records the removed values. A document that is not loaded is simply read from disk
 * when first used. */
static void
update_cache (XulStore        *self,
              const XulChange *changes,
              guint            n_changes,
              Removals        *removals)
{
  for (guint i = 0; i < n_changes; i++)
    {
      const XulChange *change = &changes[i];
      guint before = removals->removed->len;
      g_auto (GStrv) docs = NULL;

      switch (change->kind)
        {
        case XUL_CHANGE_SET_VALUE:
          if (xul_cache_is_loaded (self->cache, change->doc))
            xul_cache_set (self->cache, change->doc, change->id, change->attr, change->value);
          else
            xul_cache_add_known (self->cache, change->doc);
          break;
        case XUL_CHANGE_REMOVE_VALUE:
          if (xul_cache_remove (self->cache, change->doc, change->id, change->attr))
            g_ptr_array_add (removals->removed,
                             change_new (change->doc, change->id, change->attr, NULL));
          note_removals (removals, before);
          break;
        case XUL_CHANGE_REMOVE_DOCUMENT:
          g_ptr_array_unref (announce_removed_document (self, change->doc, removals->removed));
          note_removals (removals, before);
          break;
        case XUL_CHANGE_CLEAR:
          docs = xul_cache_list_documents (self->cache);
          for (guint d = 0; docs[d] != NULL; d++)
            {
              /* Documents set earlier in this list but not loaded leave no trace. */
              if (!xul_cache_is_loaded (self->cache, docs[d]))
                xul_cache_mark_loaded (self->cache, docs[d]);
              g_ptr_array_unref (announce_removed_document (self, docs[d], removals->removed));
            }
          note_removals (removals, before);
          break;
        case XUL_CHANGE_SET_META:
          break;
        }
    }
}

/* Emits `changed` for each change of the list, in order. */
static void
announce_applied (XulStore        *self,
                  const XulChange *changes,
                  guint            n_changes,
                  Removals        *removals)
{
  guint next_count = 0, next_removed = 0;

  for (guint i = 0; i < n_changes; i++)
    {
      const XulChange *change = &changes[i];
      guint count;

      if (change->kind == XUL_CHANGE_SET_META)
        continue;
      if (change->kind == XUL_CHANGE_SET_VALUE)
        {
          g_signal_emit (self, signals[SIGNAL_CHANGED], 0, change->doc, change->id,
                         change->attr, change->value);
          continue;
        }
      count = g_array_index (removals->counts, guint, next_count++);
      for (guint k = 0; k < count; k++)
        {
          Change *removed = g_ptr_array_index (removals->removed, next_removed++);
          g_signal_emit (self, signals[SIGNAL_CHANGED], 0, removed->doc, removed->id,
                         removed->attr, NULL);
        }
    }
}

/**
 * xul_store_apply:
 * @self: a #XulStore
 * @changes: the changes to make
 * @error: return location for a #GError
 *
 * Makes all of @changes, in order, in one transaction, and durably: when it returns
 * %TRUE they are on disk, together with the meta records they set; when it fails,
 * nothing changed, in memory or on disk. Changes made before are committed first.
 * Unlike the single-value calls, it waits for the disk. #XulStore::changed is emitted
 * for every value set (even to the value it had) and for every value removed.
 *
 * Returns: %TRUE on success; %FALSE with %XUL_STORE_ERROR_TOO_LONG or
 *   %XUL_STORE_ERROR_INVALID_ARGUMENT for a change that breaks a limit, or another
 *   error
 */
gboolean
xul_store_apply (XulStore   *self,
                 XulChanges *changes,
                 GError    **error)
{
  g_autoptr (GPtrArray) removed = g_ptr_array_new_with_free_func ((GDestroyNotify) change_free);
  g_autoptr (GArray) counts = g_array_new (FALSE, FALSE, sizeof (guint));
  Removals removals = { removed, counts };
  ChangeCursor cursor = { self };
  GError *kv_error = NULL;
  gboolean ok;

  g_return_val_if_fail (XUL_IS_STORE (self), FALSE);
  g_return_val_if_fail (changes != NULL, FALSE);
  cursor.changes = xul_changes_peek (changes, &cursor.n_changes);
  if (!check_changes (self, cursor.changes, cursor.n_changes, error) ||
      !lock_for (self, TRUE, error))
    return FALSE;
  /* Queued changes are older: they must reach the disk before these. The writer never
   * takes the store lock, so waiting for it here is safe. */
  ok = xul_writer_flush (self->writer, error) &&
       load_for_removals (self, cursor.changes, cursor.n_changes, error);
  if (ok)
    {
      ok = xul_kv_db_commit_stream (self->db, XUL_KV_COMMIT_DURABLE, fill_batch, &cursor,
                                    &kv_error);
      if (!ok)
        xul_store_propagate_kv_error (error, kv_error);
    }
  if (ok)
    update_cache (self, cursor.changes, cursor.n_changes, &removals);
  g_mutex_unlock (&self->lock);

  if (ok)
    announce_applied (self, cursor.changes, cursor.n_changes, &removals);
  return ok;
}

/**
 * xul_store_flush:
 * @self: a #XulStore
 * @error: return location for a #GError
 *
 * Commits every change made so far and makes it durable: it survives a crash and a
 * power loss. Blocks until then. A background commit that failed since the last flush
 * (disk full, I/O error) is reported here; its changes are still in memory and are
 * retried. Flushing a read-only store does nothing.
 *
 * Returns: %TRUE on success
 */
gboolean
xul_store_flush (XulStore *self,
                 GError  **error)
{
  gboolean flushed;

  g_return_val_if_fail (XUL_IS_STORE (self), FALSE);
  if (!flush_writer (self, &flushed, error))
    return FALSE;
  if (flushed)
    g_signal_emit (self, signals[SIGNAL_FLUSHED], 0);
  return TRUE;
}

static void
flush_in_thread (GTask        *task,
                 gpointer      source,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  GError *error = NULL;

  if (xul_store_flush (XUL_STORE (source), &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * xul_store_flush_async:
 * @self: a #XulStore
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called in the thread-default main context of the caller
 *   when the flush is done
 * @user_data: data for @callback
 *
 * Does what xul_store_flush() does, without blocking the caller. Cancelling only stops
 * the wait for the result; the changes are committed all the same.
 */
void
xul_store_flush_async (XulStore           *self,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (XUL_IS_STORE (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, xul_store_flush_async);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, flush_in_thread);
}

/**
 * xul_store_flush_finish:
 * @self: a #XulStore
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE when the flush succeeded
 */
gboolean
xul_store_flush_finish (XulStore     *self,
                        GAsyncResult *result,
                        GError      **error)
{
  g_return_val_if_fail (XUL_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * xul_store_close:
 * @self: a #XulStore
 * @error: return location for a #GError
 *
 * Flushes, stops the writer thread and releases the file (and its writer lock). Every
 * later call fails with %XUL_STORE_ERROR_CLOSED. Closing twice is not an error.
 * Disposing of a store that is still open closes it.
 *
 * Returns: %TRUE on success; on error (the last changes could not be written) the
 *   store is closed all the same
 */
gboolean
xul_store_close (XulStore *self,
                 GError  **error)
{
  GError *local_error = NULL;
  GError *kv_error = NULL;

  g_return_val_if_fail (XUL_IS_STORE (self), FALSE);
  g_mutex_lock (&self->lock);
  if (self->closed)
    {
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
  g_mutex_unlock (&self->lock);

  /* Companions save their last state while the store can still be read. */
  if (self->writer == NULL || xul_writer_flush (self->writer, &local_error))
    g_signal_emit (self, signals[SIGNAL_FLUSHED], 0);

  g_mutex_lock (&self->lock);
  self->closed = TRUE;
  while (self->writer_users > 0)
    g_cond_wait (&self->writer_idle, &self->lock);
  g_mutex_unlock (&self->lock);

  if (self->writer != NULL)
    xul_writer_stop (g_steal_pointer (&self->writer), local_error == NULL ? &local_error : NULL);
  g_clear_pointer (&self->kv, xul_kv_store_unref);
  if (self->db != NULL && !xul_kv_db_close (self->db, &kv_error))
    {
      if (local_error == NULL)
        xul_store_propagate_kv_error (&local_error, kv_error);
      else
        g_error_free (kv_error);
    }
  g_clear_pointer (&self->file_lock, xul_lock_release);

  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

/**
 * xul_store_get_path:
 * @self: a #XulStore
 *
 * Returns: (type filename): the database file
 */
const char *
xul_store_get_path (XulStore *self)
{
  g_return_val_if_fail (XUL_IS_STORE (self), NULL);
  return self->path;
}

/**
 * xul_store_get_flags:
 * @self: a #XulStore
 *
 * Returns: the flags the store was opened with
 */
XulStoreFlags
xul_store_get_flags (XulStore *self)
{
  g_return_val_if_fail (XUL_IS_STORE (self), XUL_STORE_FLAGS_NONE);
  return self->flags;
}

/**
 * xul_store_get_db:
 * @self: a #XulStore
 *
 * The kvcore database underneath, for what XulStore itself does not cover: whether
 * opening recovered from corruption (xul_kv_db_get_recovery()), backups, integrity
 * checks, meta records. Do not change the store named "xulstore" through it.
 *
 * Returns: (transfer none): the database; it is closed with the store and stays valid
 *   as long as the store
 */
XulKvDb *
xul_store_get_db (XulStore *self)
{
  g_return_val_if_fail (XUL_IS_STORE (self), NULL);
  return self->db;
}

static gboolean
open_files (XulStore *self,
            GError  **error)
{
  gboolean read_only = is_read_only (self);
  GError *kv_error = NULL;

  if (!read_only && (self->file_lock = xul_lock_acquire (self->path, error)) == NULL)
    return FALSE;
  self->db = xul_kv_db_open (self->path,
                             read_only ? XUL_KV_OPEN_READ_ONLY : XUL_KV_OPEN_NONE,
                             &kv_error);
  if (self->db != NULL)
    self->kv = xul_kv_db_open_store (self->db, XUL_STORE_KV_NAME,
                                     read_only ? XUL_KV_STORE_NONE : XUL_KV_STORE_CREATE,
                                     &kv_error);
  /* Damage that the checks at open did not see, found by the first read: recover now,
   * as the open would have. */
  if (!read_only && self->db != NULL &&
      g_error_matches (kv_error, XUL_KV_ERROR, XUL_KV_ERROR_CORRUPT))
    {
      g_clear_error (&kv_error);
      if (xul_kv_db_recover (self->db, &kv_error))
        self->kv = xul_kv_db_open_store (self->db, XUL_STORE_KV_NAME, XUL_KV_STORE_CREATE,
                                         &kv_error);
    }
  /* A file nobody has written to yet is an empty store. */
  if (read_only && g_error_matches (kv_error, XUL_KV_ERROR, XUL_KV_ERROR_NO_SUCH_STORE))
    g_clear_error (&kv_error);
  if (kv_error != NULL)
    {
      xul_store_propagate_kv_error (error, kv_error);
      return FALSE;
    }
  if (!read_only)
    self->writer = xul_writer_new (self->kv, self->write_delay_ms);
  return TRUE;
}

static gboolean
xul_store_initable_init (GInitable    *initable,
                         GCancellable *cancellable,
                         GError      **error)
{
  XulStore *self = XUL_STORE (initable);

  if (self->path == NULL || self->path[0] == '\0')
    {
      g_set_error_literal (error, XUL_STORE_ERROR, XUL_STORE_ERROR_INVALID_ARGUMENT,
                           "No store path was given");
      self->closed = TRUE;
      return FALSE;
    }
  if (!open_files (self, error))
    {
      xul_store_close (self, NULL);
      return FALSE;
    }
  return TRUE;
}

static void
initable_iface_init (GInitableIface *iface)
{
  iface->init = xul_store_initable_init;
}

/**
 * xul_store_new:
 * @path: (type filename): the database file; created (mode 0600) unless @flags has
 *   %XUL_STORE_FLAGS_READ_ONLY
 * @flags: how to open it
 * @error: return location for a #GError
 *
 * Opens a store. A writable open takes the file's writer lock: a second writable open
 * of the same file, from this process or another, fails at once with
 * %XUL_STORE_ERROR_BUSY naming the process that holds it. A damaged file is recovered
 * (see xul_kv_db_get_recovery() on xul_store_get_db()).
 *
 * Returns: (transfer full): the store, or %NULL on error
 */
XulStore *
xul_store_new (const char   *path,
               XulStoreFlags flags,
               GError      **error)
{
  return g_initable_new (XUL_TYPE_STORE, NULL, error, "path", path, "flags", flags, NULL);
}

static void
xul_store_dispose (GObject *object)
{
  XulStore *self = XUL_STORE (object);
  g_autoptr (GError) error = NULL;

  if (!xul_store_close (self, &error))
    g_warning ("Closing “%s” on disposal failed: %s", self->path, error->message);

  G_OBJECT_CLASS (xul_store_parent_class)->dispose (object);
}

static void
xul_store_finalize (GObject *object)
{
  XulStore *self = XUL_STORE (object);

  g_clear_object (&self->db);
  xul_cache_free (self->cache);
  g_byte_array_unref (self->key);
  g_cond_clear (&self->writer_idle);
  g_mutex_clear (&self->lock);
  g_free (self->path);

  G_OBJECT_CLASS (xul_store_parent_class)->finalize (object);
}

static void
xul_store_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  XulStore *self = XUL_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_FLAGS:
      g_value_set_flags (value, self->flags);
      break;
    case PROP_WRITE_DELAY:
      g_value_set_uint (value, self->write_delay_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
xul_store_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  XulStore *self = XUL_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;
    case PROP_FLAGS:
      self->flags = g_value_get_flags (value);
      break;
    case PROP_WRITE_DELAY:
      self->write_delay_ms = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
xul_store_class_init (XulStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = xul_store_dispose;
  object_class->finalize = xul_store_finalize;
  object_class->get_property = xul_store_get_property;
  object_class->set_property = xul_store_set_property;

  /**
   * XulStore:path: (type filename)
   *
   * The database file.
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS);
  /**
   * XulStore:flags:
   *
   * How the store was opened.
   */
  properties[PROP_FLAGS] =
    g_param_spec_flags ("flags", NULL, NULL, XUL_TYPE_STORE_FLAGS, XUL_STORE_FLAGS_NONE,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS);
  /**
   * XulStore:write-delay:
   *
   * Milliseconds between the first change queued after a commit and the commit of
   * everything queued by then. Longer delays group more changes per transaction;
   * xul_store_flush() does not wait for it.
   */
  properties[PROP_WRITE_DELAY] =
    g_param_spec_uint ("write-delay", NULL, NULL, 0, 60 * 1000, DEFAULT_WRITE_DELAY_MS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                       G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * XulStore::changed:
   * @self: the store
   * @doc: the document URL
   * @id: the element id
   * @attr: the attribute name
   * @value: (nullable): the new value, or %NULL when the value was removed
   *
   * Emitted after a value changed in memory, in the thread that changed it, once for
   * every value that a removal of a document or a clear removed.
   */
  /**
   * XulStore::flushed:
   * @self: the store
   *
   * Emitted in the calling thread after xul_store_flush() made every change durable,
   * and when xul_store_close() (or the disposal of an open store) has flushed the last
   * changes, while the store can still be read. Companions that keep files of their
   * own in step with the store (a legacy mirror, say) bring them up to date here.
   */
  signals[SIGNAL_FLUSHED] =
    g_signal_new ("flushed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);

  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 4, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
xul_store_init (XulStore *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->writer_idle);
  self->cache = xul_cache_new ();
  self->key = g_byte_array_new ();
  self->write_delay_ms = DEFAULT_WRITE_DELAY_MS;
}
