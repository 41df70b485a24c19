/* kv-limits.c: the documented limits on names, keys, values and meta records, and the
 * bounds of key prefixes.
 *
 * Every check runs before SQLite sees the data, so a bad argument is always a clear
 * XUL_KV_ERROR and never an SQL problem. */
#include "config.h"

#include "kv-private.h"

static gboolean
has_control_character (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
        return TRUE;
    }
  return FALSE;
}

/* Store names and meta keys: non-empty, bounded, valid UTF-8, no control characters. */
gboolean
kv_check_name (const char *what,
               const char *name,
               int         code,
               GError    **error)
{
  const char *problem = NULL;

  if (name == NULL || name[0] == '\0')
    problem = "it is empty";
  else if (strlen (name) > XUL_KV_MAX_STORE_NAME)
    problem = "it is longer than " G_STRINGIFY (XUL_KV_MAX_STORE_NAME) " bytes";
  else if (!g_utf8_validate (name, -1, NULL))
    problem = "it is not valid UTF-8";
  else if (has_control_character (name))
    problem = "it contains a control character";

  if (problem == NULL)
    return TRUE;

  g_set_error (error, XUL_KV_ERROR, code, "Invalid %s: %s", what, problem);
  return FALSE;
}

gboolean
kv_check_key (gsize    key_len,
              GError **error)
{
  if (key_len == 0)
    {
      g_set_error_literal (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT,
                           "Invalid key: keys cannot be empty");
      return FALSE;
    }
  if (key_len > XUL_KV_MAX_KEY)
    {
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_TOO_LARGE,
                   "Key of %" G_GSIZE_FORMAT " bytes is over the limit of %d bytes",
                   key_len, XUL_KV_MAX_KEY);
      return FALSE;
    }
  return TRUE;
}

gboolean
kv_check_value (gsize    value_len,
                GError **error)
{
  if (value_len > XUL_KV_MAX_VALUE)
    {
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_TOO_LARGE,
                   "Value of %" G_GSIZE_FORMAT " bytes is over the limit of %d bytes",
                   value_len, XUL_KV_MAX_VALUE);
      return FALSE;
    }
  return TRUE;
}

/* Meta keys follow the store-name rules; the "kvcore." prefix is written only by
 * kvcore itself. Values are UTF-8 text. */
gboolean
kv_check_meta (const char *key,
               const char *value,
               gboolean    writing,
               GError    **error)
{
  if (!kv_check_name ("meta key", key, XUL_KV_ERROR_INVALID_ARGUMENT, error))
    return FALSE;
  if (writing && g_str_has_prefix (key, KV_META_RESERVED_PREFIX))
    {
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT,
                   "Invalid meta key “%s”: the prefix “" KV_META_RESERVED_PREFIX
                   "” is reserved", key);
      return FALSE;
    }
  if (value == NULL)
    return TRUE;
  if (!g_utf8_validate (value, -1, NULL))
    {
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT,
                   "Invalid value for meta key “%s”: it is not valid UTF-8", key);
      return FALSE;
    }
  if (strlen (value) > XUL_KV_MAX_META_VALUE)
    {
      g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_TOO_LARGE,
                   "Value for meta key “%s” is over the limit of %d bytes", key,
                   XUL_KV_MAX_META_VALUE);
      return FALSE;
    }
  return TRUE;
}

/* The smallest key greater than every key starting with @prefix, or NULL when there is
 * none (the prefix is all 0xFF bytes): drop trailing 0xFF bytes, increment the last. */
GBytes *
kv_prefix_successor (const guint8 *prefix,
                     gsize         len)
{
  guint8 *next;

  while (len > 0 && prefix[len - 1] == 0xff)
    len--;
  if (len == 0)
    return NULL;
  next = g_memdup2 (prefix, len);
  next[len - 1]++;
  return g_bytes_new_take (next, len);
}
