/* test-iter.c: ordered iteration over prefixes and ranges of a store, and the snapshot
 * each iterator reads. */
#include "kv-test.h"

#include <string.h>

#include "kv-private.h"

/* A byte string written as a C literal, embedded and trailing NUL bytes included. */
typedef struct {
  const char *data;
  gsize len;
} Key;

#define KEY(s) { (s), sizeof (s) - 1 }

static void
append_escaped (GString *out,
                GBytes  *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  g_string_append_c (out, '"');
  for (gsize i = 0; i < len; i++)
    {
      if (data[i] >= 0x20 && data[i] < 0x7f && data[i] != '"' && data[i] != '\\')
        g_string_append_c (out, (char) data[i]);
      else
        g_string_append_printf (out, "\\x%02x", data[i]);
    }
  g_string_append_c (out, '"');
}

static char *
format_rows (GPtrArray *rows)
{
  GString *out = g_string_new ("[");

  for (guint i = 0; i < rows->len; i++)
    {
      KtRow *row = g_ptr_array_index (rows, i);
      if (i > 0)
        g_string_append (out, ", ");
      append_escaped (out, row->key);
      g_string_append (out, "=");
      append_escaped (out, row->value);
    }
  g_string_append (out, "]");
  return g_string_free (out, FALSE);
}

static void
assert_rows_equal (GPtrArray *actual,
                   GPtrArray *expected)
{
  if (!kt_rows_equal (actual, expected))
    {
      g_autofree char *a = format_rows (actual);
      g_autofree char *e = format_rows (expected);
      fail_msg ("iteration returned\n  %s\nexpected\n  %s", a, e);
    }
}

/* Compares keys only, against a list written in the expected order. */
static void
assert_keys (GPtrArray *rows,
             const Key *keys,
             gsize      n_keys)
{
  g_autoptr (GPtrArray) expected = kt_rows_new ();
  g_autoptr (GPtrArray) actual = kt_rows_new ();

  for (gsize i = 0; i < n_keys; i++)
    g_ptr_array_add (expected, kt_row_new (keys[i].data, keys[i].len, NULL, 0));
  for (guint i = 0; i < rows->len; i++)
    {
      KtRow *row = g_ptr_array_index (rows, i);
      gsize len;
      const void *data = g_bytes_get_data (row->key, &len);
      g_ptr_array_add (actual, kt_row_new (data, len, NULL, 0));
    }
  assert_rows_equal (actual, expected);
}

static void
delete (XulKvStore *store,
        const void *key,
        gsize       key_len)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_kv_store_delete (store, key, key_len, &error));
  tu_assert_no_error (error);
}

/* Writes to the store and to its model alike. */
static void
model_put (GHashTable *model,
           XulKvStore *store,
           const void *key,
           gsize       key_len,
           const void *value,
           gsize       value_len)
{
  kt_put_bytes (store, key, key_len, value, value_len);
  g_hash_table_replace (model, g_bytes_new (key, key_len), g_bytes_new (value, value_len));
}

static void
model_delete (GHashTable *model,
              XulKvStore *store,
              const void *key,
              gsize       key_len)
{
  g_autoptr (GBytes) k = g_bytes_new (key, key_len);

  delete (store, key, key_len);
  g_hash_table_remove (model, k);
}

/* Writes @keys in an order shuffled by @seed, each with a value derived from its index;
 * records them in @model when given. */
static void
put_shuffled (XulKvStore *store,
              const Key  *keys,
              gsize       n_keys,
              guint32     seed,
              GHashTable *model)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autofree gsize *order = g_new (gsize, n_keys);

  for (gsize i = 0; i < n_keys; i++)
    order[i] = i;
  for (gsize i = n_keys; i > 1; i--)
    {
      gsize j = (gsize) g_rand_int_range (rand, 0, (gint32) i);
      gsize tmp = order[i - 1];
      order[i - 1] = order[j];
      order[j] = tmp;
    }
  for (gsize i = 0; i < n_keys; i++)
    {
      const Key *key = &keys[order[i]];
      g_autofree char *value = g_strdup_printf ("v%" G_GSIZE_FORMAT, order[i]);
      kt_put_bytes (store, key->data, key->len, value, strlen (value));
      if (model != NULL)
        g_hash_table_replace (model, g_bytes_new (key->data, key->len),
                              g_bytes_new (value, strlen (value)));
    }
}

static GPtrArray *
iterate_range (XulKvStore *store,
               const Key  *from,
               const Key  *to)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) from_bytes = from != NULL ? g_bytes_new (from->data, from->len) : NULL;
  g_autoptr (GBytes) to_bytes = to != NULL ? g_bytes_new (to->data, to->len) : NULL;
  g_autoptr (XulKvIter) iter =
    xul_kv_store_iter_range (store, from_bytes, to_bytes, &error);

  tu_assert_no_error (error);
  assert_non_null (iter);
  return kt_collect (iter);
}

/* Steps @iter once and returns the key it landed on. */
static GBytes *
next_key (XulKvIter *iter)
{
  g_autoptr (GError) error = NULL;
  const guint8 *key;
  gsize len = 0;

  assert_true (xul_kv_iter_next (iter, &error));
  tu_assert_no_error (error);
  key = xul_kv_iter_get_key (iter, &len);
  return g_bytes_new (key, len);
}

static void
assert_bytes (GBytes     *bytes,
              const void *expected,
              gsize       expected_len)
{
  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);

  assert_int_equal (len, expected_len);
  if (len > 0)
    assert_memory_equal (data, expected, len);
}

/* -- order ------------------------------------------------------------------------- */

/* Written in the expected order: NUL bytes inside and at the end, prefixes before their
 * extensions, 0x80 and above after 0x7F (unsigned, not signed char). */
static const Key ordered_keys[] = {
  KEY ("\x00"),     KEY ("\x00\x00"), KEY ("\x00\x01"), KEY ("\x01"),
  KEY ("A"),        KEY ("a"),        KEY ("a\0"),      KEY ("a\0\0"),
  KEY ("a\0b"),     KEY ("a\x01"),    KEY ("ab"),       KEY ("b"),
  KEY ("\x7f"),     KEY ("\x7f\xff"), KEY ("\x80"),     KEY ("\x80\x00"),
  KEY ("\xfe"),     KEY ("\xff"),     KEY ("\xff\x00"), KEY ("\xff\xff"),
};

static void
test_whole_store_iterates_in_unsigned_bytewise_order (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GHashTable) model = kt_model_new ();
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) expected = NULL;

  put_shuffled (store, ordered_keys, G_N_ELEMENTS (ordered_keys), 1, model);

  rows = kt_iterate_prefix (store, NULL, 0);
  assert_keys (rows, ordered_keys, G_N_ELEMENTS (ordered_keys));
  expected = kt_model_rows (model, NULL, 0);
  assert_rows_equal (rows, expected);
}

static void
test_random_binary_keys_follow_memcmp_order_of_the_model (void **state)
{
  /* Bytes at the edges of every signedness and prefix mistake. */
  static const guint8 alphabet[] = { 0x00, 0x01, 'a', 0x7f, 0x80, 0xfe, 0xff };
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GHashTable) model = kt_model_new ();
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) all_expected = NULL;
  g_autoptr (GPtrArray) ranged = NULL;

  for (guint i = 0; i < 600; i++)
    {
      guint8 key[5], value[8];
      gsize key_len = (gsize) g_rand_int_range (rand, 1, sizeof key + 1);
      gsize value_len = (gsize) g_rand_int_range (rand, 0, sizeof value + 1);
      for (gsize j = 0; j < key_len; j++)
        key[j] = alphabet[g_rand_int_range (rand, 0, G_N_ELEMENTS (alphabet))];
      for (gsize j = 0; j < value_len; j++)
        value[j] = (guint8) g_rand_int_range (rand, 0, 256);
      xul_kv_batch_put (batch, store, key, key_len, value, value_len);
      g_hash_table_replace (model, g_bytes_new (key, key_len), g_bytes_new (value, value_len));
    }
  kt_commit (db, batch, XUL_KV_COMMIT_NONE);

  all = kt_iterate_prefix (store, NULL, 0);
  all_expected = kt_model_rows (model, NULL, 0);
  assert_rows_equal (all, all_expected);
  ranged = iterate_range (store, NULL, NULL);
  assert_rows_equal (ranged, all_expected);

  /* Every prefix of length 1 to 3 over the alphabet that some key has, many of them
   * ending in 0xFF or made only of 0xFF. */
  for (guint i = 0; i < all_expected->len; i++)
    {
      KtRow *row = g_ptr_array_index (all_expected, i);
      gsize key_len;
      const guint8 *key = g_bytes_get_data (row->key, &key_len);
      for (gsize len = 1; len <= MIN (key_len, 3); len++)
        {
          g_autoptr (GPtrArray) got = kt_iterate_prefix (store, key, len);
          g_autoptr (GPtrArray) want = kt_model_rows (model, key, len);
          assert_true (want->len > 0);
          assert_rows_equal (got, want);
        }
    }
}

/* -- prefixes ---------------------------------------------------------------------- */

static const Key prefix_keys[] = {
  KEY ("a"),    KEY ("ao\xff"), KEY ("ap"),    KEY ("ap\0"),  KEY ("ap\xff"),
  KEY ("app"),  KEY ("apple"),  KEY ("apply"), KEY ("apq"),   KEY ("aq"),
  KEY ("a\0"),  KEY ("a\0\0"),  KEY ("a\0b"),  KEY ("a\x01"), KEY ("b"),
};

static void
test_prefix_returns_only_its_keys_in_order (void **state)
{
  static const Key under_ap[] = {
    KEY ("ap"), KEY ("ap\0"), KEY ("app"), KEY ("apple"), KEY ("apply"), KEY ("apq"),
    KEY ("ap\xff"),
  };
  static const Key under_app[] = { KEY ("app"), KEY ("apple"), KEY ("apply") };
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GPtrArray) ap = NULL;
  g_autoptr (GPtrArray) app = NULL;

  put_shuffled (store, prefix_keys, G_N_ELEMENTS (prefix_keys), 2, NULL);

  /* "aq" is the successor bound of "ap": it must be excluded, "ao\xff" too. */
  ap = kt_iterate_prefix (store, "ap", 2);
  assert_keys (ap, under_ap, G_N_ELEMENTS (under_ap));
  app = kt_iterate_prefix (store, "app", 3);
  assert_keys (app, under_app, G_N_ELEMENTS (under_app));
}

static void
test_prefix_with_nul_bytes_is_not_cut_at_the_nul (void **state)
{
  static const Key under_a0[] = { KEY ("a\0"), KEY ("a\0\0"), KEY ("a\0b") };
  static const Key under_a00[] = { KEY ("a\0\0") };
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GPtrArray) a0 = NULL;
  g_autoptr (GPtrArray) a00 = NULL;

  put_shuffled (store, prefix_keys, G_N_ELEMENTS (prefix_keys), 3, NULL);

  /* A prefix taken as a C string would be "a" and return every key. */
  a0 = kt_iterate_prefix (store, "a\0", 2);
  assert_keys (a0, under_a0, G_N_ELEMENTS (under_a0));
  a00 = kt_iterate_prefix (store, "a\0\0", 3);
  assert_keys (a00, under_a00, G_N_ELEMENTS (under_a00));
}

static const Key ff_keys[] = {
  KEY ("\xfd"),         KEY ("\xfe"),     KEY ("\xfe\xfe\xff"), KEY ("\xfe\xff"),
  KEY ("\xfe\xff\x00"), KEY ("\xfe\xff\xff"), KEY ("\xff"),     KEY ("\xff\x00"),
  KEY ("\xff\xff"),     KEY ("\xff\xff\x00"), KEY ("\xff\xff\xff"),
};

static void
test_prefix_ending_in_ff_stops_before_the_next_prefix (void **state)
{
  static const Key under_fe_ff[] = {
    KEY ("\xfe\xff"), KEY ("\xfe\xff\x00"), KEY ("\xfe\xff\xff"),
  };
  static const Key under_fe[] = {
    KEY ("\xfe"), KEY ("\xfe\xfe\xff"), KEY ("\xfe\xff"), KEY ("\xfe\xff\x00"),
    KEY ("\xfe\xff\xff"),
  };
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GPtrArray) fe_ff = NULL;
  g_autoptr (GPtrArray) fe = NULL;

  put_shuffled (store, ff_keys, G_N_ELEMENTS (ff_keys), 4, NULL);

  /* The successor of fe ff is ff: nothing starting with 0xFF may leak in. */
  fe_ff = kt_iterate_prefix (store, "\xfe\xff", 2);
  assert_keys (fe_ff, under_fe_ff, G_N_ELEMENTS (under_fe_ff));
  fe = kt_iterate_prefix (store, "\xfe", 1);
  assert_keys (fe, under_fe, G_N_ELEMENTS (under_fe));
}

static void
test_prefix_of_ff_bytes_is_unbounded (void **state)
{
  static const Key under_ff[] = {
    KEY ("\xff"), KEY ("\xff\x00"), KEY ("\xff\xff"), KEY ("\xff\xff\x00"),
    KEY ("\xff\xff\xff"),
  };
  static const Key under_ff_ff[] = {
    KEY ("\xff\xff"), KEY ("\xff\xff\x00"), KEY ("\xff\xff\xff"),
  };
  static const Key under_ff_ff_ff[] = { KEY ("\xff\xff\xff") };
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GPtrArray) ff = NULL;
  g_autoptr (GPtrArray) ff_ff = NULL;
  g_autoptr (GPtrArray) ff_ff_ff = NULL;

  put_shuffled (store, ff_keys, G_N_ELEMENTS (ff_keys), 5, NULL);

  /* No key is greater than every key starting with ff...: there is no end bound, and
   * the start bound alone must keep 0xFE keys out. */
  ff = kt_iterate_prefix (store, "\xff", 1);
  assert_keys (ff, under_ff, G_N_ELEMENTS (under_ff));
  ff_ff = kt_iterate_prefix (store, "\xff\xff", 2);
  assert_keys (ff_ff, under_ff_ff, G_N_ELEMENTS (under_ff_ff));
  ff_ff_ff = kt_iterate_prefix (store, "\xff\xff\xff", 3);
  assert_keys (ff_ff_ff, under_ff_ff_ff, G_N_ELEMENTS (under_ff_ff_ff));
}

static void
test_absent_prefix_gives_an_empty_iteration (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GPtrArray) between = NULL;
  g_autoptr (GPtrArray) longer = NULL;
  g_autoptr (GPtrArray) after_all = NULL;

  put_shuffled (store, prefix_keys, G_N_ELEMENTS (prefix_keys), 6, NULL);

  between = kt_iterate_prefix (store, "ar", 2);
  assert_int_equal (between->len, 0);
  /* Longer than any key that shares its start. */
  longer = kt_iterate_prefix (store, "apples", 6);
  assert_int_equal (longer->len, 0);
  after_all = kt_iterate_prefix (store, "\xff", 1);
  assert_int_equal (after_all->len, 0);
}

/* -- ranges ------------------------------------------------------------------------ */

static const Key range_keys[] = {
  KEY ("a"), KEY ("b"), KEY ("b\0"), KEY ("bb"), KEY ("c"), KEY ("d"), KEY ("e"),
  KEY ("\xff"),
};

static void
test_range_includes_from_and_excludes_to (void **state)
{
  static const Key from_b = KEY ("b"), to_d = KEY ("d");
  static const Key from_b0 = KEY ("b\0"), to_bb = KEY ("bb");
  static const Key from_ba = KEY ("ba"), to_dd = KEY ("dd");
  static const Key b_to_d[] = { KEY ("b"), KEY ("b\0"), KEY ("bb"), KEY ("c") };
  static const Key b0_to_bb[] = { KEY ("b\0") };
  static const Key ba_to_dd[] = { KEY ("bb"), KEY ("c"), KEY ("d") };
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GPtrArray) rows1 = NULL;
  g_autoptr (GPtrArray) rows2 = NULL;
  g_autoptr (GPtrArray) rows3 = NULL;

  put_shuffled (store, range_keys, G_N_ELEMENTS (range_keys), 7, NULL);

  rows1 = iterate_range (store, &from_b, &to_d);
  assert_keys (rows1, b_to_d, G_N_ELEMENTS (b_to_d));
  rows2 = iterate_range (store, &from_b0, &to_bb);
  assert_keys (rows2, b0_to_bb, G_N_ELEMENTS (b0_to_bb));
  /* Bounds that are not keys themselves. */
  rows3 = iterate_range (store, &from_ba, &to_dd);
  assert_keys (rows3, ba_to_dd, G_N_ELEMENTS (ba_to_dd));
}

static void
test_range_without_from_starts_at_the_first_key (void **state)
{
  static const Key to_c = KEY ("c");
  static const Key before_c[] = { KEY ("a"), KEY ("b"), KEY ("b\0"), KEY ("bb") };
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GPtrArray) rows = NULL;

  put_shuffled (store, range_keys, G_N_ELEMENTS (range_keys), 8, NULL);

  rows = iterate_range (store, NULL, &to_c);
  assert_keys (rows, before_c, G_N_ELEMENTS (before_c));
}

static void
test_range_without_to_runs_to_the_last_key (void **state)
{
  static const Key from_c = KEY ("c");
  static const Key from_c_on[] = { KEY ("c"), KEY ("d"), KEY ("e"), KEY ("\xff") };
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GPtrArray) rows = NULL;

  put_shuffled (store, range_keys, G_N_ELEMENTS (range_keys), 9, NULL);

  rows = iterate_range (store, &from_c, NULL);
  assert_keys (rows, from_c_on, G_N_ELEMENTS (from_c_on));
}

static void
test_range_without_bounds_is_the_whole_store (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (XulKvStore) other = kt_open_store (db, "t", TRUE);
  g_autoptr (GHashTable) model = kt_model_new ();
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) expected = NULL;

  put_shuffled (store, range_keys, G_N_ELEMENTS (range_keys), 10, model);
  /* Another store's keys must not show up. */
  kt_put_bytes (other, "b", 1, "other", 5);
  kt_put_bytes (other, "zz", 2, "other", 5);

  rows = iterate_range (store, NULL, NULL);
  expected = kt_model_rows (model, NULL, 0);
  assert_rows_equal (rows, expected);
}

static void
test_range_with_from_not_before_to_is_empty (void **state)
{
  static const Key c = KEY ("c"), b = KEY ("b"), b0 = KEY ("b\0");
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GPtrArray) equal = NULL;
  g_autoptr (GPtrArray) reversed = NULL;
  g_autoptr (GPtrArray) reversed_by_prefix = NULL;

  put_shuffled (store, range_keys, G_N_ELEMENTS (range_keys), 11, NULL);

  /* c is both included (from) and excluded (to): exclusion wins. */
  equal = iterate_range (store, &c, &c);
  assert_int_equal (equal->len, 0);
  reversed = iterate_range (store, &c, &b);
  assert_int_equal (reversed->len, 0);
  reversed_by_prefix = iterate_range (store, &b0, &b);
  assert_int_equal (reversed_by_prefix->len, 0);
}

/* -- values ------------------------------------------------------------------------ */

static void
test_empty_and_binary_values_come_back_intact (void **state)
{
  static const guint8 binary[] = { 0x00, 0x00, 'x', 0x00, 0xff, 0x80, 0x00 };
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvIter) iter = NULL;
  g_autofree guint8 *large = g_malloc (100000);
  const guint8 *value;
  gsize len = 42;

  for (gsize i = 0; i < 100000; i++)
    large[i] = (guint8) (i * 7);
  kt_put_bytes (store, "a-empty-null", 12, NULL, 0);
  kt_put_bytes (store, "b-empty", 7, "", 0);
  kt_put_bytes (store, "c-binary", 8, binary, sizeof binary);
  kt_put_bytes (store, "d-large", 7, large, 100000);

  iter = xul_kv_store_iter_prefix (store, NULL, 0, &error);
  tu_assert_no_error (error);

  /* An empty value is stored as a zero-length blob, which SQLite hands back as NULL. */
  assert_true (xul_kv_iter_next (iter, &error));
  value = xul_kv_iter_get_value (iter, &len);
  assert_non_null (value);
  assert_int_equal (len, 0);

  len = 42;
  assert_true (xul_kv_iter_next (iter, &error));
  value = xul_kv_iter_get_value (iter, &len);
  assert_non_null (value);
  assert_int_equal (len, 0);

  assert_true (xul_kv_iter_next (iter, &error));
  value = xul_kv_iter_get_value (iter, &len);
  assert_int_equal (len, sizeof binary);
  assert_memory_equal (value, binary, sizeof binary);

  assert_true (xul_kv_iter_next (iter, &error));
  value = xul_kv_iter_get_value (iter, &len);
  assert_int_equal (len, 100000);
  assert_memory_equal (value, large, 100000);

  assert_false (xul_kv_iter_next (iter, &error));
  tu_assert_no_error (error);
}

/* -- snapshots --------------------------------------------------------------------- */

static const Key snapshot_keys[] = {
  KEY ("k0"), KEY ("k1"), KEY ("k2"), KEY ("k3"), KEY ("k4"),
  KEY ("k5"), KEY ("k6"), KEY ("k7"), KEY ("k8"), KEY ("k9"),
};

static void
test_iterator_ignores_writes_made_by_its_own_thread (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GHashTable) model = kt_model_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvIter) before = NULL;
  g_autoptr (XulKvIter) middle = NULL;
  g_autoptr (GBytes) first = NULL;
  g_autoptr (GPtrArray) before_rest = NULL;
  g_autoptr (GPtrArray) before_expected = NULL;
  g_autoptr (GPtrArray) middle_rows = NULL;
  g_autoptr (GPtrArray) middle_expected = NULL;
  g_autoptr (GPtrArray) after_rows = NULL;

  put_shuffled (store, snapshot_keys, G_N_ELEMENTS (snapshot_keys), 12, model);
  before_expected = kt_model_rows (model, NULL, 0);

  before = xul_kv_store_iter_prefix (store, NULL, 0, &error);
  tu_assert_no_error (error);
  first = next_key (before);
  assert_bytes (first, "k0", 2);

  /* New keys before and after the position, a changed value, deletions ahead. */
  model_put (model, store, "a", 1, "new", 3);
  model_put (model, store, "k5x", 3, "new", 3);
  model_put (model, store, "z", 1, "new", 3);
  model_put (model, store, "k3", 2, "changed", 7);
  model_delete (model, store, "k7", 2);
  model_delete (model, store, "k8", 2);
  middle_expected = kt_model_rows (model, NULL, 0);

  /* Opened after those writes, before the clear. */
  middle = xul_kv_store_iter_prefix (store, NULL, 0, &error);
  tu_assert_no_error (error);

  assert_true (xul_kv_store_clear (store, &error));
  tu_assert_no_error (error);
  kt_put_bytes (store, "after-clear", 11, "x", 1);

  before_rest = kt_collect (before);
  g_ptr_array_remove_index (before_expected, 0); /* k0, already consumed */
  assert_rows_equal (before_rest, before_expected);

  middle_rows = kt_collect (middle);
  assert_rows_equal (middle_rows, middle_expected);

  /* A fresh iterator sees the present. */
  after_rows = kt_iterate_prefix (store, NULL, 0);
  assert_int_equal (after_rows->len, 1);
  assert_bytes (((KtRow *) g_ptr_array_index (after_rows, 0))->key, "after-clear", 11);
}

static void
test_iterator_keeps_reading_a_store_dropped_after_it_started (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GHashTable) model = kt_model_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvIter) iter = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) expected = NULL;

  put_shuffled (store, snapshot_keys, G_N_ELEMENTS (snapshot_keys), 13, model);
  expected = kt_model_rows (model, NULL, 0);
  iter = xul_kv_store_iter_prefix (store, NULL, 0, &error);
  tu_assert_no_error (error);

  assert_true (xul_kv_db_drop_store (db, "s", &error));
  tu_assert_no_error (error);

  rows = kt_collect (iter);
  assert_rows_equal (rows, expected);
}

typedef struct {
  XulKvStore *store;
  guint n_writes;
  gint writes_done; /* atomic */
  char *failure;    /* cmocka cannot fail from another thread: reported by the main one */
} Writer;

/* Deletes every original key, adds new ones around them, then clears the store. */
static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < w->n_writes && error == NULL; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%u", i % 10);
      g_autofree char *added = g_strdup_printf ("%c%u", i % 2 ? 'a' : 'z', i);
      if (xul_kv_store_delete (w->store, key, strlen (key), &error))
        xul_kv_store_put (w->store, added, strlen (added), "w", 1, &error);
      g_atomic_int_inc (&w->writes_done);
    }
  if (error == NULL)
    xul_kv_store_clear (w->store, &error);
  if (error != NULL)
    w->failure = g_strdup (error->message);
  /* Whatever happened, never leave the reader waiting for more. */
  g_atomic_int_set (&w->writes_done, G_MAXINT);
  return NULL;
}

static void
test_iterator_ignores_writes_from_another_thread (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (XulKvStore) writer_store = NULL;
  g_autoptr (GHashTable) model = kt_model_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvIter) iter = NULL;
  g_autoptr (GPtrArray) rows = kt_rows_new ();
  g_autoptr (GPtrArray) expected = NULL;
  g_autoptr (GPtrArray) present = NULL;
  Writer w = { 0 };
  GThread *thread;

  put_shuffled (store, snapshot_keys, G_N_ELEMENTS (snapshot_keys), 14, model);
  expected = kt_model_rows (model, NULL, 0);
  writer_store = xul_kv_db_open_store (db, "s", XUL_KV_STORE_NONE, &error);
  tu_assert_no_error (error);
  w.store = writer_store;
  w.n_writes = 40;

  iter = xul_kv_store_iter_prefix (store, NULL, 0, &error);
  tu_assert_no_error (error);
  thread = g_thread_new ("writer", writer_thread, &w);

  /* Read half while the writer runs, the rest once it is done. The first read comes
   * after some writes: the snapshot dates from the iterator's creation, not its first
   * step. */
  for (guint i = 0; i < 5; i++)
    {
      while (g_atomic_int_get (&w.writes_done) < (gint) ((i + 1) * 8))
        g_thread_yield ();
      assert_true (xul_kv_iter_next (iter, &error));
      tu_assert_no_error (error);
      g_ptr_array_add (rows, kt_row_from_iter (iter));
    }
  g_thread_join (thread);
  if (w.failure != NULL)
    fail_msg ("writer failed: %s", w.failure);
  g_ptr_array_extend_and_steal (rows, kt_collect (iter));
  assert_rows_equal (rows, expected);

  /* The writes did happen. */
  present = kt_iterate_prefix (store, NULL, 0);
  assert_int_equal (present->len, 0);
}

/* -- resources --------------------------------------------------------------------- */

/* White box: idle reader connections must have no transaction open, or they would pin
 * an old snapshot (and the WAL) for as long as they sit in the pool. Returns how many
 * there are. */
static guint
count_idle_readers (XulKvDb *db)
{
  guint n;

  g_mutex_lock (&db->pool_lock);
  n = db->idle_readers->len;
  for (guint i = 0; i < n; i++)
    {
      KvConn *conn = g_ptr_array_index (db->idle_readers, i);
      assert_true (sqlite3_get_autocommit (conn->handle));
    }
  g_mutex_unlock (&db->pool_lock);
  return n;
}

static void
test_iterator_freed_early_releases_its_snapshot (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  g_autoptr (GError) error = NULL;
  XulKvIter *iter;
  guint64 count = 0;

  for (guint i = 0; i < 20000; i++)
    {
      char key[16];
      int len = g_snprintf (key, sizeof key, "k%05u", i);
      xul_kv_batch_put (batch, store, key, (gsize) len, key, (gsize) len);
    }
  kt_commit (db, batch, XUL_KV_COMMIT_NONE);

  iter = xul_kv_store_iter_prefix (store, NULL, 0, &error);
  tu_assert_no_error (error);
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr (GBytes) key = next_key (iter);
      g_autofree char *expected = g_strdup_printf ("k%05u", i);
      assert_bytes (key, expected, strlen (expected));
    }
  xul_kv_iter_unref (iter);
  assert_int_equal (count_idle_readers (db), 1);

  kt_put_bytes (store, "k20000", 6, "late", 4);
  assert_true (xul_kv_store_count (store, &count, &error));
  tu_assert_no_error (error);
  assert_int_equal (count, 20001);
  {
    /* The pooled connection is reused, and reads the present, not its old snapshot. */
    g_autoptr (XulKvIter) again = xul_kv_store_iter_prefix (store, "k20000", 6, &error);
    g_autoptr (GPtrArray) rows = NULL;
    tu_assert_no_error (error);
    assert_int_equal (count_idle_readers (db), 0);
    rows = kt_collect (again);
    assert_int_equal (rows->len, 1);
  }
  assert_int_equal (count_idle_readers (db), 1);
}

static void
test_many_live_iterators_each_keep_their_own_snapshot (void **state)
{
  enum { N = 20 };
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GHashTable) model = kt_model_new ();
  g_autoptr (GError) error = NULL;
  XulKvIter *iters[N];
  GPtrArray *expected[N];

  /* Iterator i is opened once keys 0..i exist, and has read its first key before the
   * next write. */
  for (guint i = 0; i < N; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%02u", i);
      g_autoptr (GBytes) first = NULL;
      kt_put_bytes (store, key, strlen (key), key, strlen (key));
      g_hash_table_replace (model, g_bytes_new (key, strlen (key)),
                            g_bytes_new (key, strlen (key)));
      expected[i] = kt_model_rows (model, NULL, 0);
      g_ptr_array_remove_index (expected[i], 0);
      iters[i] = xul_kv_store_iter_prefix (store, NULL, 0, &error);
      tu_assert_no_error (error);
      first = next_key (iters[i]);
      assert_bytes (first, "k00", 3);
    }
  assert_int_equal (count_idle_readers (db), 0);
  /* Deletions and a clear, none of which any iterator may see. */
  delete (store, "k05", 3);
  assert_true (xul_kv_store_clear (store, &error));
  tu_assert_no_error (error);

  /* Read in the reverse order of opening, so the newest snapshot goes first. */
  for (guint i = N; i-- > 0;)
    {
      g_autoptr (GPtrArray) rows = kt_collect (iters[i]);
      assert_rows_equal (rows, expected[i]);
      xul_kv_iter_unref (iters[i]);
      g_ptr_array_unref (expected[i]);
    }
  /* Every connection came back idle (a pool may keep fewer, none may stay busy). */
  assert_true (count_idle_readers (db) <= N);
}

/* -- dropped stores ---------------------------------------------------------------- */

static void
test_iterating_a_dropped_store_fails_with_no_such_store (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvIter) by_prefix = NULL;
  g_autoptr (XulKvIter) by_range = NULL;

  kt_put_bytes (store, "k", 1, "v", 1);
  assert_true (xul_kv_db_drop_store (db, "s", &error));
  tu_assert_no_error (error);

  by_prefix = xul_kv_store_iter_prefix (store, "k", 1, &error);
  assert_null (by_prefix);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NO_SUCH_STORE);
  by_range = xul_kv_store_iter_range (store, NULL, NULL, &error);
  assert_null (by_range);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NO_SUCH_STORE);
  /* The failed attempts gave their reader connection back, with no read open. */
  assert_int_equal (count_idle_readers (db), 1);
}

static void
test_old_handle_of_a_recreated_store_iterates_the_new_store (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) old = kt_open_store (db, "s", TRUE);
  g_autoptr (XulKvStore) renewed = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) empty = NULL;
  g_autoptr (GPtrArray) rows = NULL;

  kt_put_bytes (old, "old", 3, "1", 1);
  assert_true (xul_kv_db_drop_store (db, "s", &error));
  tu_assert_no_error (error);
  renewed = kt_open_store (db, "s", TRUE);

  empty = kt_iterate_prefix (old, NULL, 0);
  assert_int_equal (empty->len, 0);

  kt_put_bytes (renewed, "new", 3, "2", 1);
  kt_put_bytes (old, "via-old", 7, "3", 1);
  rows = kt_iterate_prefix (old, NULL, 0);
  assert_int_equal (rows->len, 2);
  assert_bytes (((KtRow *) g_ptr_array_index (rows, 0))->key, "new", 3);
  assert_bytes (((KtRow *) g_ptr_array_index (rows, 1))->key, "via-old", 7);
}

/* -- closing and the end ----------------------------------------------------------- */

static void
test_next_after_close_fails_with_closed (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) first = NULL;
  XulKvIter *iter;

  put_shuffled (store, snapshot_keys, G_N_ELEMENTS (snapshot_keys), 15, NULL);
  iter = xul_kv_store_iter_prefix (store, NULL, 0, &error);
  tu_assert_no_error (error);
  first = next_key (iter);

  kt_close_db (db);

  assert_false (xul_kv_iter_next (iter, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  /* Its reader connection must not go back to the pool of a closed database. */
  xul_kv_iter_unref (iter);
  assert_int_equal (count_idle_readers (db), 0);
}

static void
test_starting_an_iteration_after_close_fails_with_closed (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) warm = NULL;
  g_autoptr (XulKvIter) by_prefix = NULL;
  g_autoptr (XulKvIter) by_range = NULL;

  kt_put_bytes (store, "k", 1, "v", 1);
  /* Leaves an idle reader in the pool, which close must not hand out again. */
  warm = kt_iterate_prefix (store, NULL, 0);

  kt_close_db (db);

  by_prefix = xul_kv_store_iter_prefix (store, "k", 1, &error);
  assert_null (by_prefix);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  by_range = xul_kv_store_iter_range (store, NULL, NULL, &error);
  assert_null (by_range);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
}

static void
test_next_after_the_end_keeps_returning_false (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvIter) iter = NULL;
  g_autoptr (XulKvIter) empty = NULL;

  kt_put_bytes (store, "a", 1, "1", 1);
  kt_put_bytes (store, "b", 1, "2", 1);
  iter = xul_kv_store_iter_prefix (store, NULL, 0, &error);
  tu_assert_no_error (error);
  assert_true (xul_kv_iter_next (iter, &error));
  assert_true (xul_kv_iter_next (iter, &error));
  tu_assert_no_error (error);
  /* A write in between must not revive the ended iteration. */
  kt_put_bytes (store, "c", 1, "3", 1);
  for (guint i = 0; i < 3; i++)
    {
      assert_false (xul_kv_iter_next (iter, &error));
      tu_assert_no_error (error);
    }

  empty = xul_kv_store_iter_prefix (store, "x", 1, &error);
  tu_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      assert_false (xul_kv_iter_next (empty, &error));
      tu_assert_no_error (error);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_whole_store_iterates_in_unsigned_bytewise_order),
    cmocka_unit_test (test_random_binary_keys_follow_memcmp_order_of_the_model),
    cmocka_unit_test (test_prefix_returns_only_its_keys_in_order),
    cmocka_unit_test (test_prefix_with_nul_bytes_is_not_cut_at_the_nul),
    cmocka_unit_test (test_prefix_ending_in_ff_stops_before_the_next_prefix),
    cmocka_unit_test (test_prefix_of_ff_bytes_is_unbounded),
    cmocka_unit_test (test_absent_prefix_gives_an_empty_iteration),
    cmocka_unit_test (test_range_includes_from_and_excludes_to),
    cmocka_unit_test (test_range_without_from_starts_at_the_first_key),
    cmocka_unit_test (test_range_without_to_runs_to_the_last_key),
    cmocka_unit_test (test_range_without_bounds_is_the_whole_store),
    cmocka_unit_test (test_range_with_from_not_before_to_is_empty),
    cmocka_unit_test (test_empty_and_binary_values_come_back_intact),
    cmocka_unit_test (test_iterator_ignores_writes_made_by_its_own_thread),
    cmocka_unit_test (test_iterator_keeps_reading_a_store_dropped_after_it_started),
    cmocka_unit_test (test_iterator_ignores_writes_from_another_thread),
    cmocka_unit_test (test_iterator_freed_early_releases_its_snapshot),
    cmocka_unit_test (test_many_live_iterators_each_keep_their_own_snapshot),
    cmocka_unit_test (test_iterating_a_dropped_store_fails_with_no_such_store),
    cmocka_unit_test (test_old_handle_of_a_recreated_store_iterates_the_new_store),
    cmocka_unit_test (test_next_after_close_fails_with_closed),
    cmocka_unit_test (test_starting_an_iteration_after_close_fails_with_closed),
    cmocka_unit_test (test_next_after_the_end_keeps_returning_false),
  };
  return tu_run ("kvcore-iter", tests);
}
