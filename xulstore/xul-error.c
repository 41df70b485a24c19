/* xul-error.c: the XUL_STORE_ERROR domain, and how kvcore errors map onto it. */
#include "config.h"

#include "xul-store-private.h"

G_DEFINE_QUARK (xul-store-error-quark, xul_store_error)

static XulStoreError
code_from_kv (const GError *kv_error)
{
  if (kv_error->domain != XUL_KV_ERROR)
    return XUL_STORE_ERROR_FAILED;
  switch ((XulKvError) kv_error->code)
    {
    case XUL_KV_ERROR_INVALID_ARGUMENT:
    case XUL_KV_ERROR_INVALID_STORE:
      return XUL_STORE_ERROR_INVALID_ARGUMENT;
    case XUL_KV_ERROR_TOO_LARGE:
      return XUL_STORE_ERROR_TOO_LONG;
    case XUL_KV_ERROR_READ_ONLY:
      return XUL_STORE_ERROR_READ_ONLY;
    case XUL_KV_ERROR_BUSY:
      return XUL_STORE_ERROR_BUSY;
    case XUL_KV_ERROR_CLOSED:
      return XUL_STORE_ERROR_CLOSED;
    case XUL_KV_ERROR_CORRUPT:
      return XUL_STORE_ERROR_CORRUPT;
    case XUL_KV_ERROR_NOT_FOUND:
      return XUL_STORE_ERROR_NOT_FOUND;
    case XUL_KV_ERROR_IO:
      return XUL_STORE_ERROR_IO;
    case XUL_KV_ERROR_FULL:
      return XUL_STORE_ERROR_FULL;
    case XUL_KV_ERROR_INCOMPATIBLE_VERSION:
      return XUL_STORE_ERROR_INCOMPATIBLE;
    case XUL_KV_ERROR_NO_SUCH_STORE:
    case XUL_KV_ERROR_FAILED:
    default:
      return XUL_STORE_ERROR_FAILED;
    }
}

/* Takes @kv_error (any domain) and sets @error to the same message in this domain. */
void
xul_store_propagate_kv_error (GError **error,
                              GError  *kv_error)
{
  g_set_error_literal (error, XUL_STORE_ERROR, code_from_kv (kv_error), kv_error->message);
  g_error_free (kv_error);
}
