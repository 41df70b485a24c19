/* xul-cache-private.h: the in-memory copy of the loaded documents of a XulStore.
 *
 * Not thread-safe: the XulStore lock guards every call. A document is either loaded
 * (its entries here are the whole truth) or only known to exist on disk. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _XulCache XulCache;

typedef struct {
  const char *doc; /* owned by the cache's document record */
  char *id;
  char *attr;
  char *value;
} XulCacheEntry;

void xul_cache_entry_free (XulCacheEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XulCacheEntry, xul_cache_entry_free)

XulCache *xul_cache_new (void);
void xul_cache_free (XulCache *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XulCache, xul_cache_free)

/* The value, or NULL when absent; valid until the next change to that entry. */
const char *xul_cache_lookup (XulCache   *self,
                              const char *doc,
                              const char *id,
                              const char *attr);

gboolean xul_cache_is_loaded (XulCache   *self,
                              const char *doc);
void xul_cache_mark_loaded (XulCache   *self,
                            const char *doc);
/* Records that @doc has values on disk, without loading it. */
void xul_cache_add_known (XulCache   *self,
                          const char *doc);

/* Returns TRUE when the stored value changed (it was absent or different). */
gboolean xul_cache_set (XulCache   *self,
                        const char *doc,
                        const char *id,
                        const char *attr,
                        const char *value);
/* Returns TRUE when there was a value to remove. */
gboolean xul_cache_remove (XulCache   *self,
                           const char *doc,
                           const char *id,
                           const char *attr);
/* Removes every value of a loaded @doc; returns them (XulCacheEntry *, owned by the
 * array) in order. Their doc field stays valid as long as the cache. */
GPtrArray *xul_cache_remove_document (XulCache   *self,
                                      const char *doc);

/* NULL-terminated, sorted by bytes, never NULL. */
char **xul_cache_list_documents (XulCache *self);
char **xul_cache_list_ids (XulCache   *self,
                           const char *doc);
char **xul_cache_list_attributes (XulCache   *self,
                                  const char *doc,
                                  const char *id);

G_END_DECLS
