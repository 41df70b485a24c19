/* kv-batch.h: XulKvBatch, many writes across stores committed all-or-nothing.
 *
 * A batch only records operations; nothing touches the database until
 * xul_kv_db_commit(), which applies them in order inside one transaction, so the last
 * write to a key wins. An invalid operation is reported by the commit, which then
 * changes nothing. */
#pragma once

#if !defined(XUL_KV_INSIDE) && !defined(XULSTORE_COMPILATION)
#error "Only <kvcore.h> can be included directly."
#endif

#include <glib-object.h>

#include "kv-db.h"
#include "kv-store.h"
#include "xul-version.h"

G_BEGIN_DECLS

typedef struct _XulKvBatch XulKvBatch;

#define XUL_TYPE_KV_BATCH (xul_kv_batch_get_type ())
XUL_AVAILABLE_IN_1_0
GType xul_kv_batch_get_type (void) G_GNUC_CONST;

XUL_AVAILABLE_IN_1_0
XulKvBatch *xul_kv_batch_new (void);
XUL_AVAILABLE_IN_1_0
XulKvBatch *xul_kv_batch_ref (XulKvBatch *self);
XUL_AVAILABLE_IN_1_0
void xul_kv_batch_unref (XulKvBatch *self);

XUL_AVAILABLE_IN_1_0
void xul_kv_batch_put (XulKvBatch *self,
                       XulKvStore *store,
                       const void *key,
                       gsize       key_len,
                       const void *value,
                       gsize       value_len);
XUL_AVAILABLE_IN_1_0
void xul_kv_batch_delete (XulKvBatch *self,
                          XulKvStore *store,
                          const void *key,
                          gsize       key_len);
XUL_AVAILABLE_IN_1_0
void xul_kv_batch_delete_prefix (XulKvBatch *self,
                                 XulKvStore *store,
                                 const void *prefix,
                                 gsize       prefix_len);
XUL_AVAILABLE_IN_1_0
void xul_kv_batch_clear (XulKvBatch *self,
                         XulKvStore *store);
XUL_AVAILABLE_IN_1_0
void xul_kv_batch_set_meta (XulKvBatch *self,
                            const char *key,
                            const char *value);
XUL_AVAILABLE_IN_1_0
void xul_kv_batch_delete_meta (XulKvBatch *self,
                               const char *key);
XUL_AVAILABLE_IN_1_0
guint xul_kv_batch_get_length (XulKvBatch *self);

XUL_AVAILABLE_IN_1_0
gboolean xul_kv_db_commit (XulKvDb         *db,
                           XulKvBatch      *batch,
                           XulKvCommitFlags flags,
                           GError         **error);

/**
 * XulKvBatchFill:
 * @batch: an empty batch to add the next operations to
 * @user_data: the data given to xul_kv_db_commit_stream()
 *
 * Adds the next operations of a streamed commit.
 *
 * Returns: %TRUE when more operations follow; %FALSE with the last ones
 */
typedef gboolean (*XulKvBatchFill) (XulKvBatch *batch,
                                    gpointer    user_data);

XUL_AVAILABLE_IN_1_0
gboolean xul_kv_db_commit_stream (XulKvDb         *db,
                                  XulKvCommitFlags flags,
                                  XulKvBatchFill   fill,
                                  gpointer         user_data,
                                  GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (XulKvBatch, xul_kv_batch_unref)

G_END_DECLS
