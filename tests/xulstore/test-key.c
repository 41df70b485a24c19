/* test-key.c: the kvcore key of a (document, id, attribute) tuple. The whole store
 * leans on three properties of it: it is injective, its byte order is the order of the
 * tuples, and "doc 0x00" / "doc 0x00 id 0x00" prefix exactly one document's / element's
 * keys. Decoding reads bytes from a file, so it must refuse anything malformed. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "xs-test.h"
#include "xul-key-private.h"

typedef struct {
  char *doc, *id, *attr;
} Tuple;

static void
tuple_clear (Tuple *tuple)
{
  g_free (tuple->doc);
  g_free (tuple->id);
  g_free (tuple->attr);
}

/* Tuples over a deliberately tiny alphabet, so that collisions under a careless
 * encoding (TAB joining, missing separators) are likely and equal tuples occur. */
static char *
random_component (GRand *rand)
{
  static const char *const pieces[] = { "a", "b", "\t", "é", "\x01" };
  GString *text = g_string_new (NULL);
  gint32 n = g_rand_int_range (rand, 0, 4);

  for (gint32 i = 0; i < n; i++)
    g_string_append (text, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);
  return g_string_free (text, FALSE);
}

static Tuple *
random_tuples (GRand *rand,
               guint  n)
{
  Tuple *tuples = g_new0 (Tuple, n);

  for (guint i = 0; i < n; i++)
    {
      tuples[i].doc = random_component (rand);
      tuples[i].id = random_component (rand);
      tuples[i].attr = random_component (rand);
    }
  return tuples;
}

static void
free_tuples (Tuple *tuples,
             guint  n)
{
  for (guint i = 0; i < n; i++)
    tuple_clear (&tuples[i]);
  g_free (tuples);
}

static GBytes *
encode (const Tuple *tuple)
{
  g_autoptr (GByteArray) key = g_byte_array_new ();

  xul_key_encode (key, tuple->doc, tuple->id, tuple->attr);
  return g_byte_array_free_to_bytes (g_steal_pointer (&key));
}

static int
sign (int x)
{
  return (x > 0) - (x < 0);
}

/* The order the store promises: component by component, each by strcmp (unsigned
 * bytes). */
static int
compare_tuples (const Tuple *x,
                const Tuple *y)
{
  int c = strcmp (x->doc, y->doc);

  if (c == 0)
    c = strcmp (x->id, y->id);
  if (c == 0)
    c = strcmp (x->attr, y->attr);
  return sign (c);
}

/* memcmp order with a shorter prefix first: the order of kvcore (SQLite BLOB) keys. */
static int
compare_keys (GBytes *x,
              GBytes *y)
{
  return sign (g_bytes_compare (x, y));
}

static gboolean
bytes_start_with (GBytes     *bytes,
                  GByteArray *prefix)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return len >= prefix->len && memcmp (data, prefix->data, prefix->len) == 0;
}

static void
assert_decodes_to (const guint8 *key,
                   gsize         len,
                   const char   *doc,
                   const char   *id,
                   const char   *attr)
{
  g_autofree char *got_doc = NULL, *got_id = NULL, *got_attr = NULL;

  assert_true (xul_key_decode (key, len, &got_doc, &got_id, &got_attr));
  assert_string_equal (got_doc, doc);
  assert_string_equal (got_id, id);
  assert_string_equal (got_attr, attr);
}

/* Asserts that decoding fails and leaves the outputs exactly as they were. */
static void
assert_refused (const void *key,
                gsize       len)
{
  char sentinel[3];
  char *doc = &sentinel[0], *id = &sentinel[1], *attr = &sentinel[2];

  assert_false (xul_key_decode (key, len, &doc, &id, &attr));
  assert_ptr_equal (doc, &sentinel[0]);
  assert_ptr_equal (id, &sentinel[1]);
  assert_ptr_equal (attr, &sentinel[2]);
}

static void
test_encoding_is_doc_nul_id_nul_attr (void **state)
{
  g_autoptr (GByteArray) key = g_byte_array_new ();
  static const char expected[] = "doc\0id\0attr";

  /* The format is on disk (docs/format.md): it must not drift. */
  xul_key_encode (key, "doc", "id", "attr");
  assert_int_equal (key->len, sizeof expected - 1);
  assert_memory_equal (key->data, expected, sizeof expected - 1);
}

static void
test_encode_replaces_what_the_buffer_held (void **state)
{
  g_autoptr (GByteArray) key = g_byte_array_new ();

  /* The store reuses one scratch buffer for every key. */
  g_byte_array_append (key, (const guint8 *) "leftover", 8);
  xul_key_encode (key, "d", "i", "a");
  assert_int_equal (key->len, 5);
  assert_memory_equal (key->data, "d\0i\0a", 5);

  xul_key_encode_prefix (key, "d", NULL);
  assert_int_equal (key->len, 2);
  assert_memory_equal (key->data, "d\0", 2);
}

static void
test_encode_then_decode_gives_back_every_tuple (void **state)
{
  static const char *const samples[][3] = {
    { "", "", "" },
    { "doc", "", "" },
    { "", "id", "" },
    { "", "", "attr" },
    { "chrome://browser/content/browser.xhtml", "main-window", "width" },
    { "a\tb", "c\td", "e\tf" },
    { "\x01\x1f\x7f", "\"'\\", "\n\r" },
    { "é", "中文", "😀" },
    { "ÿ", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf" }, /* U+00FF, U+FFFF, U+10FFFF */
  };
  g_autoptr (GByteArray) key = g_byte_array_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      xul_key_encode (key, samples[i][0], samples[i][1], samples[i][2]);
      assert_decodes_to (key->data, key->len, samples[i][0], samples[i][1], samples[i][2]);
    }
}

static void
test_random_tuples_round_trip (void **state)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240501);
  const guint n = 2000;
  Tuple *tuples = random_tuples (rand, n);
  g_autoptr (GByteArray) key = g_byte_array_new ();

  for (guint i = 0; i < n; i++)
    {
      xul_key_encode (key, tuples[i].doc, tuples[i].id, tuples[i].attr);
      assert_decodes_to (key->data, key->len, tuples[i].doc, tuples[i].id, tuples[i].attr);
    }
  free_tuples (tuples, n);
}

static void
test_distinct_tuples_have_distinct_keys (void **state)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  const guint n = 400;
  Tuple *tuples = random_tuples (rand, n);
  GBytes **keys = g_new0 (GBytes *, n);
  guint equal_pairs = 0;

  for (guint i = 0; i < n; i++)
    keys[i] = encode (&tuples[i]);
  /* Key equality must coincide with tuple equality, in both directions. */
  for (guint i = 0; i < n; i++)
    for (guint j = i + 1; j < n; j++)
      {
        gboolean same_tuple = compare_tuples (&tuples[i], &tuples[j]) == 0;
        gboolean same_key = g_bytes_equal (keys[i], keys[j]);
        if (same_tuple != same_key)
          fail_msg ("tuples %u and %u: tuple equality %d, key equality %d", i, j,
                    same_tuple, same_key);
        equal_pairs += same_tuple;
      }
  /* The alphabet is small enough that equal tuples do occur: both sides are tested. */
  assert_true (equal_pairs > 0);

  for (guint i = 0; i < n; i++)
    g_bytes_unref (keys[i]);
  g_free (keys);
  free_tuples (tuples, n);
}

static void
test_tab_joined_collisions_stay_distinct (void **state)
{
  /* Under "doc\tid\tattr" these three would be one key. */
  const Tuple tuples[] = {
    { (char *) "a\tb", (char *) "c", (char *) "d" },
    { (char *) "a", (char *) "b\tc", (char *) "d" },
    { (char *) "a", (char *) "b", (char *) "c\td" },
  };
  g_autoptr (GBytes) k0 = encode (&tuples[0]);
  g_autoptr (GBytes) k1 = encode (&tuples[1]);
  g_autoptr (GBytes) k2 = encode (&tuples[2]);

  assert_false (g_bytes_equal (k0, k1));
  assert_false (g_bytes_equal (k0, k2));
  assert_false (g_bytes_equal (k1, k2));
}

static Tuple *sort_tuples_base;

static int
compare_tuple_indexes (gconstpointer a,
                       gconstpointer b)
{
  return compare_tuples (&sort_tuples_base[*(const guint *) a],
                         &sort_tuples_base[*(const guint *) b]);
}

static void
test_key_order_is_the_order_of_tuples (void **state)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (99);
  const guint n = 400;
  Tuple *tuples = random_tuples (rand, n);
  GBytes **keys = g_new0 (GBytes *, n);
  guint *order = g_new (guint, n);

  for (guint i = 0; i < n; i++)
    {
      keys[i] = encode (&tuples[i]);
      order[i] = i;
    }
  /* Pairwise: the sign of the key comparison is the sign of the tuple comparison. */
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      if (compare_keys (keys[i], keys[j]) != compare_tuples (&tuples[i], &tuples[j]))
        fail_msg ("tuples %u and %u: key order %d, tuple order %d", i, j,
                  compare_keys (keys[i], keys[j]), compare_tuples (&tuples[i], &tuples[j]));

  /* And as a whole: sorted by tuple, the keys come out in nondecreasing byte order. */
  sort_tuples_base = tuples;
  qsort (order, n, sizeof *order, compare_tuple_indexes);
  sort_tuples_base = NULL;
  for (guint i = 1; i < n; i++)
    assert_true (compare_keys (keys[order[i - 1]], keys[order[i]]) <= 0);

  for (guint i = 0; i < n; i++)
    g_bytes_unref (keys[i]);
  g_free (keys);
  g_free (order);
  free_tuples (tuples, n);
}

static void
test_non_ascii_keys_sort_after_ascii (void **state)
{
  const Tuple tuples[] = {
    { (char *) "Z", (char *) "", (char *) "" },
    { (char *) "a", (char *) "", (char *) "" },
    { (char *) "é", (char *) "", (char *) "" },
    { (char *) "中", (char *) "", (char *) "" },
    { (char *) "😀", (char *) "", (char *) "" },
  };

  /* UTF-8 byte order is code point order; a signed-char comparison would put these
   * before ASCII. */
  for (gsize i = 1; i < G_N_ELEMENTS (tuples); i++)
    {
      g_autoptr (GBytes) lower = encode (&tuples[i - 1]);
      g_autoptr (GBytes) higher = encode (&tuples[i]);
      assert_int_equal (compare_keys (lower, higher), -1);
    }
}

static void
test_document_prefix_starts_exactly_that_documents_keys (void **state)
{
  static const char *const docs[] = { "", "a", "ab", "a\tb", "b", "a\x01", "é" };
  static const char *const names[] = { "", "a", "b", "\t" };
  g_autoptr (GByteArray) prefix = g_byte_array_new ();

  /* "ab" extends "a" and "a\x01" sorts just after "a": neither may be mistaken for a
   * key of "a". */
  for (gsize p = 0; p < G_N_ELEMENTS (docs); p++)
    {
      xul_key_encode_prefix (prefix, docs[p], NULL);
      for (gsize d = 0; d < G_N_ELEMENTS (docs); d++)
        for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
          for (gsize a = 0; a < G_N_ELEMENTS (names); a++)
            {
              Tuple tuple = { (char *) docs[d], (char *) names[i], (char *) names[a] };
              g_autoptr (GBytes) key = encode (&tuple);
              if (bytes_start_with (key, prefix) != (p == d))
                fail_msg ("prefix of document %zu vs key of document %zu", p, d);
            }
    }
}

static void
test_element_prefix_starts_exactly_that_elements_keys (void **state)
{
  static const char *const docs[] = { "", "a", "ab" };
  static const char *const ids[] = { "", "i", "ij", "i\tj", "j", "中" };
  static const char *const attrs[] = { "", "x", "\t" };
  g_autoptr (GByteArray) prefix = g_byte_array_new ();

  for (gsize pd = 0; pd < G_N_ELEMENTS (docs); pd++)
    for (gsize pi = 0; pi < G_N_ELEMENTS (ids); pi++)
      {
        xul_key_encode_prefix (prefix, docs[pd], ids[pi]);
        for (gsize d = 0; d < G_N_ELEMENTS (docs); d++)
          for (gsize i = 0; i < G_N_ELEMENTS (ids); i++)
            for (gsize a = 0; a < G_N_ELEMENTS (attrs); a++)
              {
                Tuple tuple = { (char *) docs[d], (char *) ids[i], (char *) attrs[a] };
                g_autoptr (GBytes) key = encode (&tuple);
                if (bytes_start_with (key, prefix) != (pd == d && pi == i))
                  fail_msg ("prefix of (%zu, %zu) vs key of (%zu, %zu)", pd, pi, d, i);
              }
      }
}

static void
test_decode_refuses_keys_without_exactly_two_separators (void **state)
{
  assert_refused ("", 0);
  assert_refused ("docidattr", 9);
  assert_refused ("doc\0id", 6);
  assert_refused ("\0", 1);
  assert_refused ("doc\0id\0attr\0", 12);
  assert_refused ("doc\0id\0at\0tr", 12);
  assert_refused ("\0\0\0", 3);
  /* Two separators and nothing else is the valid key of ("", "", ""). */
  assert_decodes_to ((const guint8 *) "\0\0", 2, "", "", "");
}

static void
test_decode_refuses_invalid_utf8_in_each_component (void **state)
{
  static const char *const bad[] = {
    "\xff",             /* never valid */
    "\xc3",             /* truncated sequence */
    "\xc0\xaf",         /* overlong "/" */
    "\xed\xa0\x80",     /* UTF-16 surrogate */
    "\xf4\x90\x80\x80", /* beyond U+10FFFF */
    "ok\x80",           /* stray continuation byte */
  };
  g_autoptr (GByteArray) key = g_byte_array_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    for (int where = 0; where < 3; where++)
      {
        xul_key_encode (key, where == 0 ? bad[i] : "d", where == 1 ? bad[i] : "i",
                        where == 2 ? bad[i] : "a");
        assert_refused (key->data, key->len);
      }
}

/* Fills @buffer with up to @max bytes: either raw random bytes, or a sequence of whole
 * pieces (separators, ASCII, multi-byte characters) with the odd stray byte, so that a
 * fair share of the inputs decodes and the rest fails in every possible way. */
static gsize
random_key_bytes (GRand  *rand,
                  guint8 *buffer,
                  gsize   max)
{
  static const char *const pieces[] = { "", "", "a", "\t", "é", "中", "😀", "\x7f" };
  gsize len = g_rand_int_range (rand, 0, max + 1), filled = 0;

  if (g_rand_boolean (rand))
    {
      for (gsize i = 0; i < len; i++)
        buffer[i] = (guint8) g_rand_int_range (rand, 0, 256);
      return len;
    }
  while (filled < len)
    {
      const char *piece = pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))];
      gsize piece_len = MAX (strlen (piece), 1); /* "" stands for a 0x00 separator */
      if (g_rand_int_range (rand, 0, 20) == 0)
        {
          buffer[filled++] = (guint8) g_rand_int_range (rand, 0x80, 0x100);
          continue;
        }
      /* Cutting a multi-byte character short is one more way to be invalid. */
      piece_len = MIN (piece_len, len - filled);
      memcpy (buffer + filled, piece, piece_len);
      filled += piece_len;
    }
  return len;
}

static void
test_decode_of_random_bytes_never_crashes_and_round_trips (void **state)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (12345);
  g_autoptr (GByteArray) reencoded = g_byte_array_new ();
  guint8 buffer[40];
  guint decoded = 0;

  for (guint round = 0; round < 100000; round++)
    {
      gsize len = random_key_bytes (rand, buffer, sizeof buffer);
      g_autofree char *doc = NULL, *id = NULL, *attr = NULL;
      /* A heap copy of exactly @len bytes, so that valgrind sees any overread. */
      g_autofree guint8 *key = g_memdup2 (buffer, len);

      if (!xul_key_decode (key != NULL ? key : buffer, len, &doc, &id, &attr))
        continue;
      decoded++;
      xul_key_encode (reencoded, doc, id, attr);
      assert_int_equal (reencoded->len, len);
      assert_memory_equal (reencoded->data, buffer, len);
    }
  /* Both outcomes were exercised, many times. */
  assert_true (decoded > 1000);
  assert_true (decoded < 90000);
}

static void
test_document_length_stops_at_the_first_nul (void **state)
{
  assert_int_equal (xul_key_document_length ((const guint8 *) "doc\0id\0attr", 11), 3);
  assert_int_equal (xul_key_document_length ((const guint8 *) "\0id\0attr", 8), 0);
  /* Without a separator, the whole key is the document part. */
  assert_int_equal (xul_key_document_length ((const guint8 *) "document", 8), 8);
  assert_int_equal (xul_key_document_length ((const guint8 *) "x", 0), 0);
  /* Only @len bytes are looked at, even when a NUL follows them. */
  assert_int_equal (xul_key_document_length ((const guint8 *) "abc\0", 2), 2);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_encoding_is_doc_nul_id_nul_attr),
    cmocka_unit_test (test_encode_replaces_what_the_buffer_held),
    cmocka_unit_test (test_encode_then_decode_gives_back_every_tuple),
    cmocka_unit_test (test_random_tuples_round_trip),
    cmocka_unit_test (test_distinct_tuples_have_distinct_keys),
    cmocka_unit_test (test_tab_joined_collisions_stay_distinct),
    cmocka_unit_test (test_key_order_is_the_order_of_tuples),
    cmocka_unit_test (test_non_ascii_keys_sort_after_ascii),
    cmocka_unit_test (test_document_prefix_starts_exactly_that_documents_keys),
    cmocka_unit_test (test_element_prefix_starts_exactly_that_elements_keys),
    cmocka_unit_test (test_decode_refuses_keys_without_exactly_two_separators),
    cmocka_unit_test (test_decode_refuses_invalid_utf8_in_each_component),
    cmocka_unit_test (test_decode_of_random_bytes_never_crashes_and_round_trips),
    cmocka_unit_test (test_document_length_stops_at_the_first_nul),
  };
  return tu_run ("xulstore-key", tests);
}
