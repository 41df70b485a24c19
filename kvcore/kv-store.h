/* kv-store.h: XulKvStore, a handle on one named keyspace of a XulKvDb.
 *
 * Keys and values are byte strings; keys are ordered bytewise (memcmp). A handle binds a
 * store name: it stays valid across backups, restores and recoveries, and fails with
 * %XUL_KV_ERROR_NO_SUCH_STORE once the store is dropped. */
#pragma once

#if !defined(XUL_KV_INSIDE) && !defined(XULSTORE_COMPILATION)
#error "Only <kvcore.h> can be included directly."
#endif

#include <glib-object.h>

#include "kv-db.h"
#include "xul-version.h"

G_BEGIN_DECLS

/**
 * XUL_KV_MAX_STORE_NAME:
 *
 * The longest store name, in bytes of UTF-8.
 */
#define XUL_KV_MAX_STORE_NAME 255

/**
 * XUL_KV_MAX_KEY:
 *
 * The longest key, in bytes. Keys are never empty.
 */
#define XUL_KV_MAX_KEY (16 * 1024)

/**
 * XUL_KV_MAX_VALUE:
 *
 * The longest value, in bytes. Values may be empty.
 */
#define XUL_KV_MAX_VALUE (1024 * 1024)

/**
 * XUL_KV_MAX_META_VALUE:
 *
 * The longest meta record value, in bytes of UTF-8.
 */
#define XUL_KV_MAX_META_VALUE (64 * 1024)

/**
 * XulKvStoreFlags:
 * @XUL_KV_STORE_NONE: open an existing store
 * @XUL_KV_STORE_CREATE: create the store if it does not exist
 *
 * Flags for xul_kv_db_open_store().
 */
typedef enum /*< flags >*/ {
  XUL_KV_STORE_NONE = 0,
  XUL_KV_STORE_CREATE = 1 << 0,
} XulKvStoreFlags;

typedef struct _XulKvStore XulKvStore;

#define XUL_TYPE_KV_STORE (xul_kv_store_get_type ())
XUL_AVAILABLE_IN_1_0
GType xul_kv_store_get_type (void) G_GNUC_CONST;

XUL_AVAILABLE_IN_1_0
XulKvStore *xul_kv_db_open_store (XulKvDb        *db,
                                  const char     *name,
                                  XulKvStoreFlags flags,
                                  GError        **error);
XUL_AVAILABLE_IN_1_0
XulKvStore *xul_kv_store_ref (XulKvStore *self);
XUL_AVAILABLE_IN_1_0
void xul_kv_store_unref (XulKvStore *self);

XUL_AVAILABLE_IN_1_0
const char *xul_kv_store_get_name (XulKvStore *self);
XUL_AVAILABLE_IN_1_0
XulKvDb *xul_kv_store_get_db (XulKvStore *self);

XUL_AVAILABLE_IN_1_0
GBytes *xul_kv_store_get (XulKvStore *self,
                          const void *key,
                          gsize       key_len,
                          GError    **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_kv_store_has (XulKvStore *self,
                           const void *key,
                           gsize       key_len,
                           GError    **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_kv_store_put (XulKvStore *self,
                           const void *key,
                           gsize       key_len,
                           const void *value,
                           gsize       value_len,
                           GError    **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_kv_store_delete (XulKvStore *self,
                              const void *key,
                              gsize       key_len,
                              GError    **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_kv_store_count (XulKvStore *self,
                             guint64    *out_count,
                             GError    **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_kv_store_clear (XulKvStore *self,
                             GError    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (XulKvStore, xul_kv_store_unref)

G_END_DECLS
