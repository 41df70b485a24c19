/* test-store.c: named stores and the single-key operations of kvcore. */
#include "test-util.h"

#include "kvcore.h"

typedef struct {
  TuTmpdir *dir;
  XulKvDb *db;
} Fixture;

static int
setup (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  Fixture *f = g_new0 (Fixture, 1);

  f->dir = tu_tmpdir_new ();
  path = tu_tmpdir_file (f->dir, "kv.sqlite");
  f->db = g_initable_new (XUL_TYPE_KV_DB, NULL, &error, "path", path,
                          "backup-interval", (gint64) 0, NULL);
  tu_assert_no_error (error);
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

static XulKvStore *
create_store (XulKvDb    *db,
              const char *name)
{
  g_autoptr (GError) error = NULL;
  XulKvStore *store = xul_kv_db_open_store (db, name, XUL_KV_STORE_CREATE, &error);

  tu_assert_no_error (error);
  return store;
}

static void
put (XulKvStore *store,
     const char *key,
     const char *value)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_kv_store_put (store, key, strlen (key), value, strlen (value), &error));
  tu_assert_no_error (error);
}

static void
assert_value (XulKvStore *store,
              const char *key,
              const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) value = xul_kv_store_get (store, key, strlen (key), &error);
  gsize len;
  const char *data;

  tu_assert_no_error (error);
  data = g_bytes_get_data (value, &len);
  assert_int_equal (len, strlen (expected));
  assert_memory_equal (data, expected, len);
}

static void
test_put_then_get_returns_the_value (void **state)
{
  Fixture *f = *state;
  g_autoptr (XulKvStore) store = create_store (f->db, "prefs");

  put (store, "width", "1280");
  assert_value (store, "width", "1280");
  assert_true (xul_kv_store_has (store, "width", 5, NULL));
}

static void
test_put_overwrites_without_duplicating (void **state)
{
  Fixture *f = *state;
  g_autoptr (XulKvStore) store = create_store (f->db, "prefs");
  g_autoptr (GError) error = NULL;
  guint64 count = 0;

  put (store, "width", "1280");
  put (store, "width", "640");
  assert_value (store, "width", "640");
  assert_true (xul_kv_store_count (store, &count, &error));
  tu_assert_no_error (error);
  assert_int_equal (count, 1);
}

static void
test_get_of_a_missing_key_is_not_found (void **state)
{
  Fixture *f = *state;
  g_autoptr (XulKvStore) store = create_store (f->db, "prefs");
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
  g_autoptr (XulKvStore) store = create_store (f->db, "prefs");
  g_autoptr (GError) error = NULL;

  put (store, "a", "1");
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
  g_autoptr (XulKvStore) store = create_store (f->db, "bin");
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
  g_autoptr (XulKvStore) store = create_store (f->db, "prefs");
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
  g_autoptr (XulKvStore) store = create_store (f->db, "big");
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
  ok = create_store (f->db, longest);
  g_clear_pointer (&ok, xul_kv_store_unref);
  ok = create_store (f->db, "fenêtre — ウィンドウ");
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
  g_autoptr (XulKvStore) b = create_store (f->db, "b");
  g_autoptr (XulKvStore) a = create_store (f->db, "a");
  g_autoptr (XulKvStore) upper = create_store (f->db, "B");
  g_autoptr (XulKvStore) again = create_store (f->db, "a");
  g_auto (GStrv) names = NULL;
  const char *expected[] = { "B", "a", "b", NULL };

  put (a, "k", "from a");
  put (b, "k", "from b");
  assert_value (a, "k", "from a");
  assert_value (again, "k", "from a");
  assert_value (b, "k", "from b");
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
  g_autoptr (XulKvStore) store = create_store (f->db, "doomed");
  g_autoptr (XulKvStore) keeper = create_store (f->db, "keeper");
  g_autoptr (XulKvStore) reborn = NULL;
  g_auto (GStrv) names = NULL;
  guint64 count = 0;

  put (store, "k", "v");
  put (keeper, "k", "v");
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
  assert_value (keeper, "k", "v");

  /* Re-created under the same name, it starts empty and old handles follow the name. */
  reborn = create_store (f->db, "doomed");
  assert_true (xul_kv_store_count (store, &count, &error));
  tu_assert_no_error (error);
  assert_int_equal (count, 0);
}

static void
test_clear_empties_one_store_only (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvStore) a = create_store (f->db, "a");
  g_autoptr (XulKvStore) b = create_store (f->db, "b");
  guint64 count = 99;

  for (int i = 0; i < 50; i++)
    {
      g_autofree char *key = g_strdup_printf ("key-%d", i);
      put (a, key, "x");
      put (b, key, "y");
    }
  assert_true (xul_kv_store_clear (a, &error));
  tu_assert_no_error (error);
  assert_true (xul_kv_store_count (a, &count, &error));
  assert_int_equal (count, 0);
  assert_true (xul_kv_store_count (b, &count, &error));
  assert_int_equal (count, 50);
  /* The store itself remains. */
  put (a, "again", "z");
}

static void
test_data_survives_close_and_reopen (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvStore) store = create_store (f->db, "prefs");
  g_autoptr (XulKvDb) reopened = NULL;
  g_autoptr (XulKvStore) again = NULL;
  g_autofree char *path = g_strdup (xul_kv_db_get_path (f->db));

  put (store, "width", "1280");
  assert_true (xul_kv_db_close (f->db, &error));
  tu_assert_no_error (error);

  reopened = xul_kv_db_open (path, XUL_KV_OPEN_NONE, &error);
  tu_assert_no_error (error);
  assert_int_equal (xul_kv_db_get_recovery (reopened), XUL_KV_RECOVERY_NONE);
  again = xul_kv_db_open_store (reopened, "prefs", XUL_KV_STORE_NONE, &error);
  tu_assert_no_error (error);
  assert_value (again, "width", "1280");
}

static void
test_errors_name_the_file (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvStore) store = create_store (f->db, "prefs");

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
