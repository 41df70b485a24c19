/* xul-key.c: the kvcore key of a (document, id, attribute) tuple; see
 * xul-key-private.h for the encoding and why it is injective and order-preserving.
 *
 * Decoding must accept any bytes without crashing: keys come from a file. */
#include "config.h"

#include <string.h>

#include "xul-key-private.h"

static void
append_component (GByteArray *key,
                  const char *component,
                  gboolean    terminate)
{
  g_byte_array_append (key, (const guint8 *) component, strlen (component));
  if (terminate)
    g_byte_array_append (key, (const guint8 *) "", 1);
}

void
xul_key_encode (GByteArray *key,
                const char *doc,
                const char *id,
                const char *attr)
{
  g_byte_array_set_size (key, 0);
  append_component (key, doc, TRUE);
  append_component (key, id, TRUE);
  append_component (key, attr, FALSE);
}

void
xul_key_encode_prefix (GByteArray *key,
                       const char *doc,
                       const char *id)
{
  g_byte_array_set_size (key, 0);
  append_component (key, doc, TRUE);
  if (id != NULL)
    append_component (key, id, TRUE);
}

gsize
xul_key_document_length (const guint8 *key,
                         gsize         len)
{
  const guint8 *nul = memchr (key, 0, len);

  return nul != NULL ? (gsize) (nul - key) : len;
}

gboolean
xul_key_decode (const guint8 *key,
                gsize         len,
                char        **doc,
                char        **id,
                char        **attr)
{
  const guint8 *first = memchr (key, 0, len);
  const guint8 *second, *end = key + len;

  if (first == NULL)
    return FALSE;
  second = memchr (first + 1, 0, end - (first + 1));
  if (second == NULL || memchr (second + 1, 0, end - (second + 1)) != NULL)
    return FALSE;
  if (!g_utf8_validate_len ((const char *) key, first - key, NULL) ||
      !g_utf8_validate_len ((const char *) first + 1, second - (first + 1), NULL) ||
      !g_utf8_validate_len ((const char *) second + 1, end - (second + 1), NULL))
    return FALSE;

  *doc = g_strndup ((const char *) key, first - key);
  *id = g_strndup ((const char *) first + 1, second - (first + 1));
  *attr = g_strndup ((const char *) second + 1, end - (second + 1));
  return TRUE;
}
