/* xul-store.h: the XulStore object, persistent (document, id, attribute) values.
 *
 * Reads are served from memory; writes are queued to a writer thread and committed in
 * order, in batches. See docs/architecture.md for the threading model. */
#pragma once

#if !defined(XULSTORE_INSIDE) && !defined(XULSTORE_COMPILATION)
#error "Only <xulstore.h> can be included directly."
#endif

#include <gio/gio.h>

#include "kvcore.h"
#include "xul-changes.h"
#include "xul-version.h"

G_BEGIN_DECLS

/**
 * XUL_STORE_ERROR:
 *
 * Error domain of #XulStore. Errors in this domain are from the #XulStoreError
 * enumeration.
 */
#define XUL_STORE_ERROR (xul_store_error_quark ())

/**
 * XulStoreError:
 * @XUL_STORE_ERROR_INVALID_ARGUMENT: a string is not valid UTF-8, or another argument
 *   is not acceptable
 * @XUL_STORE_ERROR_TOO_LONG: a string is longer than its limit; nothing was stored
 * @XUL_STORE_ERROR_READ_ONLY: the store was opened read-only
 * @XUL_STORE_ERROR_BUSY: another #XulStore, in this process or another, has the file
 *   open for writing
 * @XUL_STORE_ERROR_CLOSED: the store was closed
 * @XUL_STORE_ERROR_CORRUPT: the database file is damaged
 * @XUL_STORE_ERROR_NOT_FOUND: the file opened read-only does not exist
 * @XUL_STORE_ERROR_IO: reading or writing the file failed
 * @XUL_STORE_ERROR_FULL: the disk is full
 * @XUL_STORE_ERROR_INCOMPATIBLE: the file was written by a newer version, or is not a
 *   xulstore database
 * @XUL_STORE_ERROR_FAILED: any other failure
 *
 * Error codes of the %XUL_STORE_ERROR domain.
 */
typedef enum {
  XUL_STORE_ERROR_INVALID_ARGUMENT,
  XUL_STORE_ERROR_TOO_LONG,
  XUL_STORE_ERROR_READ_ONLY,
  XUL_STORE_ERROR_BUSY,
  XUL_STORE_ERROR_CLOSED,
  XUL_STORE_ERROR_CORRUPT,
  XUL_STORE_ERROR_NOT_FOUND,
  XUL_STORE_ERROR_IO,
  XUL_STORE_ERROR_FULL,
  XUL_STORE_ERROR_INCOMPATIBLE,
  XUL_STORE_ERROR_FAILED,
} XulStoreError;

XUL_AVAILABLE_IN_1_0
GQuark xul_store_error_quark (void);

/**
 * XulStoreFlags:
 * @XUL_STORE_FLAGS_NONE: open for reading and writing, creating the file if needed;
 *   only one writable #XulStore may have a file open at a time
 * @XUL_STORE_FLAGS_READ_ONLY: open an existing file for reading, beside a writer if
 *   there is one; every change fails with %XUL_STORE_ERROR_READ_ONLY
 *
 * Flags for xul_store_new().
 */
typedef enum /*< flags >*/ {
  XUL_STORE_FLAGS_NONE = 0,
  XUL_STORE_FLAGS_READ_ONLY = 1 << 0,
} XulStoreFlags;

/**
 * XUL_STORE_MAX_DOCUMENT_LENGTH:
 *
 * The longest document URL, in Unicode characters.
 */
#define XUL_STORE_MAX_DOCUMENT_LENGTH 2048

/**
 * XUL_STORE_MAX_NAME_LENGTH:
 *
 * The longest element id or attribute name, in Unicode characters.
 */
#define XUL_STORE_MAX_NAME_LENGTH 512

/**
 * XUL_STORE_MAX_VALUE_LENGTH:
 *
 * The longest value, in Unicode characters.
 */
#define XUL_STORE_MAX_VALUE_LENGTH 4096

#define XUL_TYPE_STORE (xul_store_get_type ())
XUL_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (XulStore, xul_store, XUL, STORE, GObject)

XUL_AVAILABLE_IN_1_0
XulStore *xul_store_new (const char   *path,
                         XulStoreFlags flags,
                         GError      **error);

XUL_AVAILABLE_IN_1_0
gboolean xul_store_set_value (XulStore   *self,
                              const char *doc,
                              const char *id,
                              const char *attr,
                              const char *value,
                              GError    **error);
XUL_AVAILABLE_IN_1_0
char *xul_store_get_value (XulStore   *self,
                           const char *doc,
                           const char *id,
                           const char *attr,
                           GError    **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_store_has_value (XulStore   *self,
                              const char *doc,
                              const char *id,
                              const char *attr,
                              GError    **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_store_remove_value (XulStore   *self,
                                 const char *doc,
                                 const char *id,
                                 const char *attr,
                                 GError    **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_store_remove_document (XulStore   *self,
                                    const char *doc,
                                    GError    **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_store_clear (XulStore *self,
                          GError  **error);

XUL_AVAILABLE_IN_1_0
char **xul_store_get_documents (XulStore *self,
                                GError  **error);
XUL_AVAILABLE_IN_1_0
char **xul_store_get_ids (XulStore   *self,
                          const char *doc,
                          GError    **error);
XUL_AVAILABLE_IN_1_0
char **xul_store_get_attributes (XulStore   *self,
                                 const char *doc,
                                 const char *id,
                                 GError    **error);

/**
 * XulStoreForeachFunc:
 * @doc: the document URL
 * @id: the element id
 * @attr: the attribute name
 * @value: the value
 * @user_data: the data passed to xul_store_foreach()
 *
 * Called by xul_store_foreach() for each value, with the store's lock held: it must
 * not call the store.
 *
 * Returns: %TRUE to go on, %FALSE to stop
 */
typedef gboolean (*XulStoreForeachFunc) (const char *doc,
                                         const char *id,
                                         const char *attr,
                                         const char *value,
                                         gpointer    user_data);

XUL_AVAILABLE_IN_1_0
gboolean xul_store_foreach (XulStore           *self,
                            XulStoreForeachFunc func,
                            gpointer            user_data,
                            GError            **error);

XUL_AVAILABLE_IN_1_0
gboolean xul_store_apply (XulStore   *self,
                          XulChanges *changes,
                          GError    **error);

XUL_AVAILABLE_IN_1_0
gboolean xul_store_flush (XulStore *self,
                          GError  **error);
XUL_AVAILABLE_IN_1_0
void xul_store_flush_async (XulStore           *self,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data);
XUL_AVAILABLE_IN_1_0
gboolean xul_store_flush_finish (XulStore     *self,
                                 GAsyncResult *result,
                                 GError      **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_store_close (XulStore *self,
                          GError  **error);

XUL_AVAILABLE_IN_1_0
const char *xul_store_get_path (XulStore *self);
XUL_AVAILABLE_IN_1_0
XulStoreFlags xul_store_get_flags (XulStore *self);
XUL_AVAILABLE_IN_1_0
XulKvDb *xul_store_get_db (XulStore *self);

G_END_DECLS
