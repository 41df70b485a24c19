/* xul-lock-private.h: the single-writer lock of a store file. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _XulLock XulLock;

/* Takes the writer lock of @db_path (the file `<db_path>.lock`), or fails at once with
 * XUL_STORE_ERROR_BUSY naming the process that holds it. */
XulLock *xul_lock_acquire (const char *db_path,
                           GError    **error);
void xul_lock_release (XulLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XulLock, xul_lock_release)

G_END_DECLS
