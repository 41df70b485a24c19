/* kv-error.h: the one error domain of kvcore.
 *
 * Every kvcore failure is reported as a GError in XUL_KV_ERROR; SQLite result codes are
 * mapped to these codes and never leak as raw numbers. Messages name the database file
 * and the operation. */
#pragma once

#if !defined(XUL_KV_INSIDE) && !defined(XULSTORE_COMPILATION)
#error "Only <kvcore.h> can be included directly."
#endif

#include <glib.h>

#include "xul-version.h"

G_BEGIN_DECLS

/**
 * XUL_KV_ERROR:
 *
 * Error domain of kvcore. Errors in this domain are from the #XulKvError enumeration.
 */
#define XUL_KV_ERROR (xul_kv_error_quark ())

/**
 * XulKvError:
 * @XUL_KV_ERROR_NOT_FOUND: the key or meta record does not exist, or a database opened
 *   read-only does not exist
 * @XUL_KV_ERROR_NO_SUCH_STORE: the named store does not exist
 * @XUL_KV_ERROR_INVALID_STORE: the store name is not acceptable (empty, too long,
 *   invalid UTF-8 or containing control characters)
 * @XUL_KV_ERROR_INVALID_ARGUMENT: an argument is not acceptable (e.g. an empty key)
 * @XUL_KV_ERROR_TOO_LARGE: a key, value or meta record exceeds its size limit
 * @XUL_KV_ERROR_READ_ONLY: the database was opened read-only, or its file cannot be
 *   written
 * @XUL_KV_ERROR_BUSY: another connection holds a lock for longer than the busy timeout
 * @XUL_KV_ERROR_CORRUPT: the database file is damaged
 * @XUL_KV_ERROR_IO: reading or writing the file failed
 * @XUL_KV_ERROR_FULL: the disk is full
 * @XUL_KV_ERROR_INCOMPATIBLE_VERSION: the file was written by a newer version of the
 *   library, or is not a kvcore database
 * @XUL_KV_ERROR_CLOSED: the database was closed
 * @XUL_KV_ERROR_FAILED: any other failure
 *
 * Error codes of the %XUL_KV_ERROR domain.
 */
typedef enum {
  XUL_KV_ERROR_NOT_FOUND,
  XUL_KV_ERROR_NO_SUCH_STORE,
  XUL_KV_ERROR_INVALID_STORE,
  XUL_KV_ERROR_INVALID_ARGUMENT,
  XUL_KV_ERROR_TOO_LARGE,
  XUL_KV_ERROR_READ_ONLY,
  XUL_KV_ERROR_BUSY,
  XUL_KV_ERROR_CORRUPT,
  XUL_KV_ERROR_IO,
  XUL_KV_ERROR_FULL,
  XUL_KV_ERROR_INCOMPATIBLE_VERSION,
  XUL_KV_ERROR_CLOSED,
  XUL_KV_ERROR_FAILED,
} XulKvError;

XUL_AVAILABLE_IN_1_0
GQuark xul_kv_error_quark (void);

G_END_DECLS
