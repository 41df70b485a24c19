/* xul-limits.c: the limits on documents, ids, attributes and values, as Firefox has
 * them, counted in Unicode characters. Checked before anything changes. */
#include "config.h"

#include "xul-store-private.h"

gboolean
xul_store_check_string (const char *path,
                        const char *what,
                        const char *text,
                        glong       max_chars,
                        GError    **error)
{
  glong length;

  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_INVALID_ARGUMENT,
                   "Cannot use the %s with “%s”: it is not valid UTF-8", what, path);
      return FALSE;
    }
  length = g_utf8_strlen (text, -1);
  if (length > max_chars)
    {
      g_set_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_TOO_LONG,
                   "Cannot use the %s with “%s”: it is %ld characters long, over the limit "
                   "of %ld", what, path, length, max_chars);
      return FALSE;
    }
  return TRUE;
}
