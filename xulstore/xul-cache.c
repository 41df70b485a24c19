/* xul-cache.c: the in-memory copy of the loaded documents of a XulStore.
 *
 * Every entry sits in two indexes: one hash table over (doc, id, attr) serves
 * get_value with a single probe, and a per-document tree ordered by (id, attr) serves
 * the sorted enumerations. The tree owns the entries; both change together. */
#include "config.h"

#include <string.h>

#include "xul-cache-private.h"

typedef struct {
  char *name;
  GTree *entries; /* XulCacheEntry * -> itself, ordered by (id, attr); owns them */
  gboolean loaded;
} CacheDoc;

struct _XulCache {
  GHashTable *documents; /* name -> CacheDoc * */
  GHashTable *entries;   /* XulCacheEntry * by (doc, id, attr), not owned */
};

void
xul_cache_entry_free (XulCacheEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->id);
  g_free (entry->attr);
  g_free (entry->value);
  g_free (entry);
}

/* g_str_hash's function, run over the three components with a separator, so that the
 * cost is that of hashing one composite string without building it. */
static guint
tuple_hash (gconstpointer key)
{
  const XulCacheEntry *entry = key;
  const char *parts[] = { entry->doc, entry->id, entry->attr };
  guint32 hash = 5381;

  for (gsize i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      for (const signed char *p = (const signed char *) parts[i]; *p != '\0'; p++)
        hash = (hash << 5) + hash + *p;
      hash = (hash << 5) + hash;
    }
  return hash;
}

static gboolean
tuple_equal (gconstpointer a,
             gconstpointer b)
{
  const XulCacheEntry *x = a, *y = b;

  return strcmp (x->attr, y->attr) == 0 && strcmp (x->id, y->id) == 0 &&
         strcmp (x->doc, y->doc) == 0;
}

/* strcmp orders by unsigned bytes: the byte order of UTF-8, i.e. code point order. */
static int
compare_in_document (gconstpointer a,
                     gconstpointer b,
                     gpointer      unused)
{
  const XulCacheEntry *x = a, *y = b;
  int by_id = strcmp (x->id, y->id);

  return by_id != 0 ? by_id : strcmp (x->attr, y->attr);
}

static void
cache_doc_free (CacheDoc *doc)
{
  g_tree_unref (doc->entries);
  g_free (doc->name);
  g_free (doc);
}

XulCache *
xul_cache_new (void)
{
  XulCache *self = g_new0 (XulCache, 1);

  self->documents = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                           (GDestroyNotify) cache_doc_free);
  self->entries = g_hash_table_new (tuple_hash, tuple_equal);
  return self;
}

void
xul_cache_free (XulCache *self)
{
  if (self == NULL)
    return;
  g_hash_table_destroy (self->entries);
  g_hash_table_destroy (self->documents);
  g_free (self);
}

static CacheDoc *
ensure_document (XulCache   *self,
                 const char *name)
{
  CacheDoc *doc = g_hash_table_lookup (self->documents, name);

  if (doc == NULL)
    {
      doc = g_new0 (CacheDoc, 1);
      doc->name = g_strdup (name);
      doc->entries = g_tree_new_full (compare_in_document, NULL,
                                      (GDestroyNotify) xul_cache_entry_free, NULL);
      g_hash_table_insert (self->documents, doc->name, doc);
    }
  return doc;
}

static XulCacheEntry *
find_entry (XulCache   *self,
            const char *doc,
            const char *id,
            const char *attr)
{
  XulCacheEntry probe = { doc, (char *) id, (char *) attr, NULL };

  return g_hash_table_lookup (self->entries, &probe);
}

const char *
xul_cache_lookup (XulCache   *self,
                  const char *doc,
                  const char *id,
                  const char *attr)
{
  XulCacheEntry *entry = find_entry (self, doc, id, attr);

  return entry != NULL ? entry->value : NULL;
}

gboolean
xul_cache_is_loaded (XulCache   *self,
                     const char *doc)
{
  CacheDoc *found = g_hash_table_lookup (self->documents, doc);

  return found != NULL && found->loaded;
}

void
xul_cache_mark_loaded (XulCache   *self,
                       const char *doc)
{
  ensure_document (self, doc)->loaded = TRUE;
}

void
xul_cache_add_known (XulCache   *self,
                     const char *doc)
{
  ensure_document (self, doc);
}

gboolean
xul_cache_set (XulCache   *self,
               const char *doc,
               const char *id,
               const char *attr,
               const char *value)
{
  XulCacheEntry *entry = find_entry (self, doc, id, attr);
  CacheDoc *owner;

  if (entry != NULL)
    {
      if (strcmp (entry->value, value) == 0)
        return FALSE;
      g_free (entry->value);
      entry->value = g_strdup (value);
      return TRUE;
    }

  owner = ensure_document (self, doc);
  entry = g_new (XulCacheEntry, 1);
  entry->doc = owner->name;
  entry->id = g_strdup (id);
  entry->attr = g_strdup (attr);
  entry->value = g_strdup (value);
  g_tree_insert (owner->entries, entry, entry);
  g_hash_table_add (self->entries, entry);
  return TRUE;
}

gboolean
xul_cache_remove (XulCache   *self,
                  const char *doc,
                  const char *id,
                  const char *attr)
{
  XulCacheEntry *entry = find_entry (self, doc, id, attr);
  CacheDoc *owner;

  if (entry == NULL)
    return FALSE;
  owner = g_hash_table_lookup (self->documents, doc);
  g_hash_table_remove (self->entries, entry);
  g_tree_remove (owner->entries, entry); /* frees it */
  return TRUE;
}

static gboolean
collect_entry (gpointer key,
               gpointer value,
               gpointer data)
{
  g_ptr_array_add (data, key);
  return FALSE;
}

GPtrArray *
xul_cache_remove_document (XulCache   *self,
                           const char *doc)
{
  GPtrArray *removed = g_ptr_array_new_with_free_func ((GDestroyNotify) xul_cache_entry_free);
  CacheDoc *owner = g_hash_table_lookup (self->documents, doc);

  if (owner == NULL)
    return removed;
  g_tree_foreach (owner->entries, collect_entry, removed);
  for (guint i = 0; i < removed->len; i++)
    {
      XulCacheEntry *entry = g_ptr_array_index (removed, i);
      g_hash_table_remove (self->entries, entry);
      g_tree_steal (owner->entries, entry);
    }
  return removed;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

char **
xul_cache_list_documents (XulCache *self)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  GHashTableIter iter;
  CacheDoc *doc;

  g_hash_table_iter_init (&iter, self->documents);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &doc))
    if (!doc->loaded || g_tree_nnodes (doc->entries) > 0)
      g_ptr_array_add (names, g_strdup (doc->name));
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

char **
xul_cache_list_ids (XulCache   *self,
                    const char *doc)
{
  g_autoptr (GStrvBuilder) ids = g_strv_builder_new ();
  CacheDoc *owner = g_hash_table_lookup (self->documents, doc);
  const char *previous = NULL;

  if (owner == NULL)
    return g_strv_builder_end (ids);
  for (GTreeNode *node = g_tree_node_first (owner->entries); node != NULL;
       node = g_tree_node_next (node))
    {
      const XulCacheEntry *entry = g_tree_node_key (node);
      if (previous == NULL || strcmp (previous, entry->id) != 0)
        g_strv_builder_add (ids, entry->id);
      previous = entry->id;
    }
  return g_strv_builder_end (ids);
}

char **
xul_cache_list_attributes (XulCache   *self,
                           const char *doc,
                           const char *id)
{
  g_autoptr (GStrvBuilder) attrs = g_strv_builder_new ();
  CacheDoc *owner = g_hash_table_lookup (self->documents, doc);
  XulCacheEntry first = { doc, (char *) id, (char *) "", NULL };

  if (owner == NULL)
    return g_strv_builder_end (attrs);
  for (GTreeNode *node = g_tree_lower_bound (owner->entries, &first); node != NULL;
       node = g_tree_node_next (node))
    {
      const XulCacheEntry *entry = g_tree_node_key (node);
      if (strcmp (entry->id, id) != 0)
        break;
      g_strv_builder_add (attrs, entry->attr);
    }
  return g_strv_builder_end (attrs);
}
