/* kv-iter.h: XulKvIter, ordered iteration over a prefix or a range of one store.
 *
 * An iterator reads one consistent snapshot: writes made while it runs, from any thread,
 * are not seen. Rows are fetched one at a time; nothing is materialised. Free the
 * iterator promptly: while it lives, it holds a read transaction open. */
#pragma once

#if !defined(XUL_KV_INSIDE) && !defined(XULSTORE_COMPILATION)
#error "Only <kvcore.h> can be included directly."
#endif

#include <glib-object.h>

#include "kv-store.h"
#include "xul-version.h"

G_BEGIN_DECLS

typedef struct _XulKvIter XulKvIter;

#define XUL_TYPE_KV_ITER (xul_kv_iter_get_type ())
XUL_AVAILABLE_IN_1_0
GType xul_kv_iter_get_type (void) G_GNUC_CONST;

XUL_AVAILABLE_IN_1_0
XulKvIter *xul_kv_store_iter_prefix (XulKvStore *store,
                                     const void *prefix,
                                     gsize       prefix_len,
                                     GError    **error);
XUL_AVAILABLE_IN_1_0
XulKvIter *xul_kv_store_iter_range (XulKvStore *store,
                                    GBytes     *from,
                                    GBytes     *to,
                                    GError    **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_kv_iter_next (XulKvIter *self,
                           GError   **error);
XUL_AVAILABLE_IN_1_0
const guint8 *xul_kv_iter_get_key (XulKvIter *self,
                                   gsize     *len);
XUL_AVAILABLE_IN_1_0
const guint8 *xul_kv_iter_get_value (XulKvIter *self,
                                     gsize     *len);
XUL_AVAILABLE_IN_1_0
XulKvIter *xul_kv_iter_ref (XulKvIter *self);
XUL_AVAILABLE_IN_1_0
void xul_kv_iter_unref (XulKvIter *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (XulKvIter, xul_kv_iter_unref)

G_END_DECLS
