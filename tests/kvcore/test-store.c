/* test-store.c: named stores and the single-key operations of kvcore. */
#include "kv-test.h"

typedef struct {
  TuTmpdir *dir;
  XulKvDb *db;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->dir = tu_tmpdir_new ();
  f->db = kt_open_db_in (f->dir);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  g_clear_object (&f->db);
  tu_tmpdir_free (f->dir);
  g_free (f);
  return 0;
}

static void
test_put_then_get_returns_the_value (void **state)
{
  Fixture *f = *state;
  g_autoptr (XulKvStore) store = kt_open_store (f->db, "prefs", TRUE);

  kt_put (store, "width", "1280");
  kt_assert_value (store, "width", "1280");
  assert_true (xul_kv_store_has (store, "width", 5, NULL));
}

static void
test_put_overwrites_without_duplicating (void **state)
{
  Fixture *f = *state;
  g_autoptr (XulKvStore) store = kt_open_store (f->db, "prefs", TRUE);
  g_autoptr (GError) error = NULL;
  guint64 count = 0;

  kt_put (store, "width", "1280");
  kt_put (store, "width", "640");
  kt_assert_value (store, "width", "640");
  assert_true (xul_kv_store_count (store, &count, &error));
  tu_assert_no_error (error);
  assert_int_equal (count, 1);
}

static void
test_get_of_a_missing_key_is_not_found (void **state)
{
  Fixture *f = *state;
  g_autoptr (XulKvStore) store = kt_open_store (f->db, "prefs", TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) value = xul_kv_store_get (store, "nope", 4, &error);

  assert_null (value);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND);
  assert_false (xul_kv_store_has (store, "nope", 4, &error));
  tu_assert_no_error (error);
}

static void
test_delete_removes_and_missing_delete_is_fine (void **state)
{
  Fixture *f = *state;
  g_autoptr (XulKvStore) store = kt_open_store (f->db, "prefs", TRUE);
  g_autoptr (GError) error = NULL;

  kt_put (store, "a", "1");
  assert_true (xul_kv_store_delete (store, "a", 1, &error));
  tu_assert_no_error (error);
  assert_false (xul_kv_store_has (store, "a", 1, &error));
  assert_true (xul_kv_store_delete (store, "a", 1, &error));
  tu_assert_no_error (error);
}

static void
test_empty_and_binary_values_round_trip (void **state)
{
  Fixture *f = *state;
  g_autoptr (XulKvStore) store = kt_open_store (f->db, "bin", TRUE);
  g_autoptr (GError) error = NULL;
  const guint8 key[] = { 0x00, 0xff, 0x00 };
  const guint8 value[] = { 0x00, 0x01, 0x00, 0xfe };
  g_autoptr (GBytes) empty = NULL;
  g_autoptr (GBytes) binary = NULL;

  assert_true (xul_kv_store_put (store, "e", 1, NULL, 0, &error));
  tu_assert_no_error (error);
  empty = xul_kv_store_get (store, "e", 1, &error);
  tu_assert_no_error (error);
  assert_int_equal (g_bytes_get_size (empty), 0);

  assert_true (xul_kv_store_put (store, key, sizeof key, value, sizeof value, &error));
  tu_assert_no_error (error);
  binary = xul_kv_store_get (store, key, sizeof key, &error);
  tu_assert_no_error (error);
  assert_int_equal (g_bytes_get_size (binary), sizeof value);
  assert_memory_equal (g_bytes_get_data (binary, NULL), value, sizeof value);
  /* A key is the exact byte string: a prefix of it is another key. */
  assert_false (xul_kv_store_has (store, key, 1, NULL));
}

static void
test_empty_key_is_invalid (void **state)
{
  Fixture *f = *state;
  g_autoptr (XulKvStore) store = kt_open_store (f->db, "prefs", TRUE);
  g_autoptr (GError) error = NULL;

  assert_false (xul_kv_store_put (store, "", 0, "v", 1, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);
  assert_null (xul_kv_store_get (store, "", 0, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);
  assert_false (xul_kv_store_delete (store, "", 0, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);
}

static void
test_key_and_value_limits_are_enforced (void **state)
{
  Fixture *f = *state;
  g_autoptr (XulKvStore) store = kt_open_store (f->db, "big", TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree char *key = g_malloc (XUL_KV_MAX_KEY + 1);
  g_autofree char *value = g_malloc (XUL_KV_MAX_VALUE + 1);
  guint64 count = 99;

  memset (key, 'k', XUL_KV_MAX_KEY + 1);
  memset (value, 'v', XUL_KV_MAX_VALUE + 1);

  assert_true (xul_kv_store_put (store, key, XUL_KV_MAX_KEY, value, XUL_KV_MAX_VALUE,
                                 &error));
  tu_assert_no_error (error);
  assert_false (xul_kv_store_put (store, key, XUL_KV_MAX_KEY + 1, "v", 1, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_TOO_LARGE);
  assert_false (xul_kv_store_put (store, "k", 1, value, XUL_KV_MAX_VALUE + 1, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_TOO_LARGE);

  assert_true (xul_kv_store_count (store, &count, &error));
  assert_int_equal (count, 1);
}

static void
test_bad_store_names_are_invalid_store (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *long_name = g_strnfill (XUL_KV_MAX_STORE_NAME + 1, 'n');
  g_autofree char *longest = g_strnfill (XUL_KV_MAX_STORE_NAME, 'n');
  const char *bad[] = { "", "tab\there", "nul-less\x7f", "bad\xc3\x28utf8", "c1\xc2\x85",
                        long_name };
  g_autoptr (XulKvStore) ok = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (XulKvStore) store =
        xul_kv_db_open_store (f->db, bad[i], XUL_KV_STORE_CREATE, &error);
      assert_null (store);
      tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_STORE);
    }
  assert_false (xul_kv_db_drop_store (f->db, "", &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_STORE);

  /* The limits themselves are accepted, and so is non-ASCII text. */
  ok = kt_open_store (f->db, longest, TRUE);
  g_clear_pointer (&ok, xul_kv_store_unref);
  ok = kt_open_store (f->db, "fenêtre — ウィンドウ", TRUE);
}

static void
test_opening_a_missing_store_without_create_fails (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvStore) store =
    xul_kv_db_open_store (f->db, "absent", XUL_KV_STORE_NONE, &error);

  assert_null (store);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NO_SUCH_STORE);
}

static void
test_stores_are_listed_in_byte_order_and_isolated (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvStore) b = kt_open_store (f->db, "b", TRUE);
  g_autoptr (XulKvStore) a = kt_open_store (f->db, "a", TRUE);
  g_autoptr (XulKvStore) upper = kt_open_store (f->db, "B", TRUE);
  g_autoptr (XulKvStore) again = kt_open_store (f->db, "a", TRUE);
  g_auto (GStrv) names = NULL;
  const char *expected[] = { "B", "a", "b", NULL };

  kt_put (a, "k", "from a");
  kt_put (b, "k", "from b");
  kt_assert_value (a, "k", "from a");
  kt_assert_value (again, "k", "from a");
  kt_assert_value (b, "k", "from b");
  assert_false (xul_kv_store_has (upper, "k", 1, NULL));

  names = xul_kv_db_list_stores (f->db, &error);
  tu_assert_no_error (error);
  assert_true (g_strv_equal ((const char *const *) names, expected));
}

static void
test_drop_store_deletes_its_data_and_handles_fail (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvStore) store = kt_open_store (f->db, "doomed", TRUE);
  g_autoptr (XulKvStore) keeper = kt_open_store (f->db, "keeper", TRUE);
  g_autoptr (XulKvStore) reborn = NULL;
  g_auto (GStrv) names = NULL;
  guint64 count = 0;

  kt_put (store, "k", "v");
  kt_put (keeper, "k", "v");
  assert_true (xul_kv_db_drop_store (f->db, "doomed", &error));
  tu_assert_no_error (error);

  assert_null (xul_kv_store_get (store, "k", 1, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NO_SUCH_STORE);
  assert_false (xul_kv_store_put (store, "k", 1, "v", 1, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NO_SUCH_STORE);
  assert_false (xul_kv_store_count (store, &count, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NO_SUCH_STORE);
  assert_false (xul_kv_db_drop_store (f->db, "doomed", &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NO_SUCH_STORE);

  names = xul_kv_db_list_stores (f->db, &error);
  assert_int_equal (g_strv_length (names), 1);
  kt_assert_value (keeper, "k", "v");

  /* Re-created under the same name, it starts empty and old handles follow the name. */
  reborn = kt_open_store (f->db, "doomed", TRUE);
  assert_true (xul_kv_store_count (store, &count, &error));
  tu_assert_no_error (error);
  assert_int_equal (count, 0);
}

static void
test_clear_empties_one_store_only (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvStore) a = kt_open_store (f->db, "a", TRUE);
  g_autoptr (XulKvStore) b = kt_open_store (f->db, "b", TRUE);
  guint64 count = 99;

  for (int i = 0; i < 50; i++)
    {
      g_autofree char *key = g_strdup_printf ("key-%d", i);
      kt_put (a, key, "x");
      kt_put (b, key, "y");
    }
  assert_true (xul_kv_store_clear (a, &error));
  tu_assert_no_error (error);
  assert_true (xul_kv_store_count (a, &count, &error));
  assert_int_equal (count, 0);
  assert_true (xul_kv_store_count (b, &count, &error));
  assert_int_equal (count, 50);
  /* The store itself remains. */
  kt_put (a, "again", "z");
}

static void
test_data_survives_close_and_reopen (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvStore) store = kt_open_store (f->db, "prefs", TRUE);
  g_autoptr (XulKvDb) reopened = NULL;
  g_autoptr (XulKvStore) again = NULL;
  g_autofree char *path = g_strdup (xul_kv_db_get_path (f->db));

  kt_put (store, "width", "1280");
  kt_close_db (f->db);

  reopened = xul_kv_db_open (path, XUL_KV_OPEN_NONE, &error);
  tu_assert_no_error (error);
  assert_int_equal (xul_kv_db_get_recovery (reopened), XUL_KV_RECOVERY_NONE);
  again = kt_open_store (reopened, "prefs", FALSE);
  kt_assert_value (again, "width", "1280");
}

static void
test_errors_name_the_file (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvStore) store = kt_open_store (f->db, "prefs", TRUE);

  assert_true (xul_kv_db_drop_store (f->db, "prefs", &error));
  assert_null (xul_kv_store_get (store, "k", 1, &error));
  assert_non_null (error);
  assert_non_null (strstr (error->message, xul_kv_db_get_path (f->db)));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown (name, setup, teardown)
    T (test_put_then_get_returns_the_value),
    T (test_put_overwrites_without_duplicating),
    T (test_get_of_a_missing_key_is_not_found),
    T (test_delete_removes_and_missing_delete_is_fine),
    T (test_empty_and_binary_values_round_trip),
    T (test_empty_key_is_invalid),
    T (test_key_and_value_limits_are_enforced),
    T (test_bad_store_names_are_invalid_store),
    T (test_opening_a_missing_store_without_create_fails),
    T (test_stores_are_listed_in_byte_order_and_isolated),
    T (test_drop_store_deletes_its_data_and_handles_fail),
    T (test_clear_empties_one_store_only),
    T (test_data_survives_close_and_reopen),
    T (test_errors_name_the_file),
#undef T
  };
  return tu_run ("kvcore-store", tests);
}
