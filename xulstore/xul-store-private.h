/* xul-store-private.h: what the xul-*.c files of the XulStore layer share. */
#pragma once

#include "kvcore.h"
#include "xul-cache-private.h"
#include "xul-changes.h"
#include "xul-enum-types.h"
#include "xul-store.h"

G_BEGIN_DECLS

/* The kvcore store that holds the tuples. */
#define XUL_STORE_KV_NAME "xulstore"

/* xul-error.c */
void xul_store_propagate_kv_error (GError **error,
                                   GError  *kv_error);

/* xul-limits.c: checks a document, id, attribute or value for the store at @path;
 * @what names it in the message ("element id"), @max_chars is its limit in characters. */
gboolean xul_store_check_string (const char *path,
                                 const char *what,
                                 const char *text,
                                 glong       max_chars,
                                 GError    **error);

/* xul-load.c: fill @cache from @store (NULL when the file has no store yet). */
gboolean xul_load_document (XulCache   *cache,
                            XulKvStore *store,
                            const char *doc,
                            GError    **error);
gboolean xul_load_document_names (XulCache   *cache,
                                  XulKvStore *store,
                                  GError    **error);

G_END_DECLS
