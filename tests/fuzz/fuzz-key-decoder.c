/* fuzz-key-decoder.c: the kvcore key of a XulStore tuple (xulstore/xul-key.c), read from
 * arbitrary bytes, as keys read from a hostile file are.
 *
 * Checks, for any input:
 * - xul_key_decode() accepts exactly the keys with two 0x00 bytes whose three parts are
 *   valid UTF-8 (an independent count), and leaves its outputs alone when it refuses;
 * - when it accepts, the parts are the bytes between the separators, and
 *   xul_key_encode() and xul_key_encode_prefix() give back the same bytes;
 * - xul_key_document_length() is the length up to the first 0x00 (so <= len);
 * - kv_prefix_successor() of the input is the smallest key after every key that starts
 *   with it (NULL only for an empty or all-0xFF prefix);
 * - the input cut in two: when both halves decode, bytewise key order is tuple order
 *   (docs/format.md). */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "kv-private.h"
#include "xul-key-private.h"

/* What the format says a key is: exactly two 0x00, three valid UTF-8 parts. */
static gboolean
oracle_decodes (const guint8 *key,
                gsize         len)
{
  gsize nuls[2], n = 0;

  for (gsize i = 0; i < len; i++)
    if (key[i] == 0)
      {
        if (n == 2)
          return FALSE;
        nuls[n++] = i;
      }
  return n == 2 && g_utf8_validate_len ((const char *) key, nuls[0], NULL) &&
         g_utf8_validate_len ((const char *) key + nuls[0] + 1, nuls[1] - nuls[0] - 1, NULL) &&
         g_utf8_validate_len ((const char *) key + nuls[1] + 1, len - nuls[1] - 1, NULL);
}

static int
compare_bytes (const guint8 *a,
               gsize         a_len,
               const guint8 *b,
               gsize         b_len)
{
  int c = memcmp (a, b, MIN (a_len, b_len));

  if (c != 0)
    return c < 0 ? -1 : 1;
  return a_len < b_len ? -1 : a_len > b_len ? 1 : 0;
}

static int
sign (int value)
{
  return value < 0 ? -1 : value > 0 ? 1 : 0;
}

static void
check_prefix (GByteArray   *scratch,
              const guint8 *key,
              gsize         len,
              const char   *doc,
              const char   *id)
{
  xul_key_encode_prefix (scratch, doc, id);
  fuzz_check (scratch->len <= len && memcmp (scratch->data, key, scratch->len) == 0 &&
              scratch->data[scratch->len - 1] == 0,
              "xul_key_encode_prefix (%s) is not a prefix of the key it was decoded from",
              id != NULL ? "doc, id" : "doc");
}

/* Decodes @key and checks everything about it; returns the parts when it decodes. */
static gboolean
check_key (GByteArray   *scratch,
           const guint8 *key,
           gsize         len,
           char        **doc,
           char        **id,
           char        **attr)
{
  char sentinel[] = "untouched";
  gsize doc_len = xul_key_document_length (key, len);
  const guint8 *first_nul = memchr (key, 0, len);
  gboolean decoded;

  fuzz_check (doc_len <= len, "xul_key_document_length = %" G_GSIZE_FORMAT " > %" G_GSIZE_FORMAT,
              doc_len, len);
  fuzz_check (doc_len == (first_nul != NULL ? (gsize) (first_nul - key) : len),
              "xul_key_document_length is not the length up to the first 0x00");

  *doc = *id = *attr = sentinel;
  decoded = xul_key_decode (key, len, doc, id, attr);
  fuzz_check (decoded == oracle_decodes (key, len),
              "xul_key_decode says %s a key of %" G_GSIZE_FORMAT " bytes that the format %s",
              decoded ? "yes to" : "no to", len, decoded ? "refuses" : "accepts");
  if (!decoded)
    {
      fuzz_check (*doc == sentinel && *id == sentinel && *attr == sentinel,
                  "xul_key_decode changed its outputs although it failed");
      *doc = *id = *attr = NULL;
      return FALSE;
    }

  fuzz_check (*doc != sentinel && *id != sentinel && *attr != sentinel,
              "xul_key_decode succeeded without setting every output");
  fuzz_check (strlen (*doc) + strlen (*id) + strlen (*attr) + 2 == len,
              "the decoded parts do not add up to the key");
  fuzz_check (strlen (*doc) == doc_len,
              "xul_key_document_length disagrees with the decoded document");
  fuzz_check (fuzz_is_text (*doc, -1) && fuzz_is_text (*id, -1) && fuzz_is_text (*attr, -1),
              "xul_key_decode returned a part that is not UTF-8");

  xul_key_encode (scratch, *doc, *id, *attr);
  fuzz_check (scratch->len == len && memcmp (scratch->data, key, len) == 0,
              "xul_key_encode of the decoded parts does not give back the key");
  check_prefix (scratch, key, len, *doc, NULL);
  check_prefix (scratch, key, len, *doc, *id);
  fuzz_check (xul_key_document_length (scratch->data, scratch->len) == strlen (*doc),
              "xul_key_document_length of a prefix is not the document length");
  return TRUE;
}

static void
check_successor (const guint8 *prefix,
                 gsize         len)
{
  g_autoptr (GBytes) successor = kv_prefix_successor (prefix, len);
  gsize keep = len, n;
  const guint8 *next;

  while (keep > 0 && prefix[keep - 1] == 0xff)
    keep--;
  if (keep == 0)
    {
      fuzz_check (successor == NULL, "kv_prefix_successor of an all-0xFF prefix is not NULL");
      return;
    }
  fuzz_check (successor != NULL, "kv_prefix_successor returned NULL for a prefix with an end");
  next = g_bytes_get_data (successor, &n);
  /* The smallest key after all "prefix...": the prefix without its trailing 0xFF, with
   * its last byte plus one. */
  fuzz_check (n == keep && memcmp (next, prefix, keep - 1) == 0 &&
              next[keep - 1] == prefix[keep - 1] + 1,
              "kv_prefix_successor is not the prefix without trailing 0xFF, plus one");
  fuzz_check (compare_bytes (next, n, prefix, len) > 0,
              "kv_prefix_successor is not after the prefix");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr (GByteArray) scratch = NULL;
  g_autofree char *doc = NULL, *id = NULL, *attr = NULL;
  g_autofree char *doc_a = NULL, *id_a = NULL, *attr_a = NULL;
  g_autofree char *doc_b = NULL, *id_b = NULL, *attr_b = NULL;
  gsize half = size / 2;

  fuzz_init (TRUE);
  if (size > 64 * 1024) /* keys are at most 16 KiB; more adds nothing */
    return 0;
  scratch = g_byte_array_new ();

  check_key (scratch, data, size, &doc, &id, &attr);
  check_successor (data, size);

  /* Both halves decoding: bytewise order must be tuple order. */
  if (check_key (scratch, data, half, &doc_a, &id_a, &attr_a) &&
      check_key (scratch, data + half, size - half, &doc_b, &id_b, &attr_b))
    {
      int by_tuple = sign (strcmp (doc_a, doc_b));
      if (by_tuple == 0)
        by_tuple = sign (strcmp (id_a, id_b));
      if (by_tuple == 0)
        by_tuple = sign (strcmp (attr_a, attr_b));
      fuzz_check (compare_bytes (data, half, data + half, size - half) == by_tuple,
                  "bytewise key order differs from tuple order");
    }
  return 0;
}
