/* xul-changes.h: XulChanges, a list of changes that xul_store_apply() makes all at
 * once, in one transaction. */
#pragma once

#if !defined(XULSTORE_INSIDE) && !defined(XULSTORE_COMPILATION)
#error "Only <xulstore.h> can be included directly."
#endif

#include <glib-object.h>

#include "xul-version.h"

G_BEGIN_DECLS

typedef struct _XulChanges XulChanges;

#define XUL_TYPE_CHANGES (xul_changes_get_type ())
XUL_AVAILABLE_IN_1_0
GType xul_changes_get_type (void) G_GNUC_CONST;

XUL_AVAILABLE_IN_1_0
XulChanges *xul_changes_new (void);
XUL_AVAILABLE_IN_1_0
XulChanges *xul_changes_ref (XulChanges *self);
XUL_AVAILABLE_IN_1_0
void xul_changes_unref (XulChanges *self);

XUL_AVAILABLE_IN_1_0
void xul_changes_set_value (XulChanges *self,
                            const char *doc,
                            const char *id,
                            const char *attr,
                            const char *value);
XUL_AVAILABLE_IN_1_0
void xul_changes_remove_value (XulChanges *self,
                               const char *doc,
                               const char *id,
                               const char *attr);
XUL_AVAILABLE_IN_1_0
void xul_changes_remove_document (XulChanges *self,
                                  const char *doc);
XUL_AVAILABLE_IN_1_0
void xul_changes_clear (XulChanges *self);
XUL_AVAILABLE_IN_1_0
void xul_changes_set_meta (XulChanges *self,
                           const char *key,
                           const char *value);
XUL_AVAILABLE_IN_1_0
guint xul_changes_get_length (XulChanges *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (XulChanges, xul_changes_unref)

G_END_DECLS
