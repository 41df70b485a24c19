/* test-batch.c: atomic batches across stores: all or nothing, last write wins. */
#include "kv-test.h"

typedef struct {
  TuTmpdir *dir;
  XulKvDb *db;
  XulKvStore *a, *b;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->dir = tu_tmpdir_new ();
  f->db = kt_open_db_in (f->dir);
  f->a = kt_open_store (f->db, "a", TRUE);
  f->b = kt_open_store (f->db, "b", TRUE);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  xul_kv_store_unref (f->a);
  xul_kv_store_unref (f->b);
  g_clear_object (&f->db);
  tu_tmpdir_free (f->dir);
  g_free (f);
  return 0;
}

static void
batch_put (XulKvBatch *batch,
           XulKvStore *store,
           const char *key,
           const char *value)
{
  xul_kv_batch_put (batch, store, key, strlen (key), value, strlen (value));
}

static void
test_batch_across_stores_commits_everything (void **state)
{
  Fixture *f = *state;
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();

  batch_put (batch, f->a, "x", "1");
  batch_put (batch, f->b, "x", "2");
  batch_put (batch, f->a, "y", "3");
  assert_int_equal (xul_kv_batch_get_length (batch), 3);
  kt_commit (f->db, batch, XUL_KV_COMMIT_NONE);
  kt_assert_value (f->a, "x", "1");
  kt_assert_value (f->b, "x", "2");
  kt_assert_value (f->a, "y", "3");
}

static void
test_last_write_to_a_key_wins (void **state)
{
  Fixture *f = *state;
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();

  batch_put (batch, f->a, "k", "first");
  batch_put (batch, f->a, "k", "second");
  batch_put (batch, f->a, "gone", "soon");
  xul_kv_batch_delete (batch, f->a, "gone", 4);
  xul_kv_batch_delete (batch, f->a, "back", 4);
  batch_put (batch, f->a, "back", "again");
  kt_commit (f->db, batch, XUL_KV_COMMIT_NONE);
  kt_assert_value (f->a, "k", "second");
  kt_assert_value (f->a, "gone", NULL);
  kt_assert_value (f->a, "back", "again");
}

static void
test_clear_in_a_batch_applies_in_order (void **state)
{
  Fixture *f = *state;
  g_autoptr (XulKvBatch) setup_batch = xul_kv_batch_new ();
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();

  batch_put (setup_batch, f->a, "old", "1");
  batch_put (setup_batch, f->b, "other", "2");
  kt_commit (f->db, setup_batch, XUL_KV_COMMIT_NONE);

  batch_put (batch, f->a, "before", "lost");
  xul_kv_batch_clear (batch, f->a);
  batch_put (batch, f->a, "after", "kept");
  kt_commit (f->db, batch, XUL_KV_COMMIT_NONE);
  kt_assert_value (f->a, "old", NULL);
  kt_assert_value (f->a, "before", NULL);
  kt_assert_value (f->a, "after", "kept");
  kt_assert_value (f->b, "other", "2");
}

static void
test_delete_prefix_removes_exactly_the_keys_with_that_prefix (void **state)
{
  Fixture *f = *state;
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  static const char *const keys[] = { "a", "ab", "ab\xff", "ab\xff\xff", "ac", "b",
                                      "\xff", "\xff\x01", "\xfe\xff" };

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      kt_put (f->a, keys[i], "v");
      kt_put (f->b, keys[i], "v");
    }
  xul_kv_batch_delete_prefix (batch, f->a, "ab", 2);
  /* All 0xFF: no successor, so the deletion runs to the end of the store. */
  xul_kv_batch_delete_prefix (batch, f->a, "\xff", 1);
  kt_commit (f->db, batch, XUL_KV_COMMIT_NONE);

  kt_assert_value (f->a, "a", "v");
  kt_assert_value (f->a, "ab", NULL);
  kt_assert_value (f->a, "ab\xff", NULL);
  kt_assert_value (f->a, "ab\xff\xff", NULL);
  kt_assert_value (f->a, "ac", "v");
  kt_assert_value (f->a, "b", "v");
  kt_assert_value (f->a, "\xff", NULL);
  kt_assert_value (f->a, "\xff\x01", NULL);
  kt_assert_value (f->a, "\xfe\xff", "v");
  /* Another store's keys are untouched. */
  kt_assert_value (f->b, "ab", "v");
  kt_assert_value (f->b, "\xff", "v");
}

static void
test_batch_failing_midway_changes_nothing (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvBatch) setup_batch = xul_kv_batch_new ();
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  g_autoptr (XulKvStore) doomed =
    xul_kv_db_open_store (f->db, "doomed", XUL_KV_STORE_CREATE, &error);

  batch_put (setup_batch, f->a, "existing", "before");
  kt_commit (f->db, setup_batch, XUL_KV_COMMIT_NONE);

  /* Two operations apply, then the third reaches a store that is gone. */
  batch_put (batch, f->a, "existing", "after");
  batch_put (batch, f->a, "new", "value");
  xul_kv_batch_clear (batch, f->b);
  batch_put (batch, doomed, "k", "v");
  assert_true (xul_kv_db_drop_store (f->db, "doomed", &error));
  tu_assert_no_error (error);

  assert_false (xul_kv_db_commit (f->db, batch, XUL_KV_COMMIT_NONE, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NO_SUCH_STORE);
  kt_assert_value (f->a, "existing", "before");
  kt_assert_value (f->a, "new", NULL);
}

static void
test_invalid_operation_refuses_the_whole_batch (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *huge = g_malloc0 (XUL_KV_MAX_VALUE + 1);
  g_autoptr (XulKvBatch) empty_key = xul_kv_batch_new ();
  g_autoptr (XulKvBatch) too_large = xul_kv_batch_new ();
  g_autoptr (XulKvBatch) reserved_meta = xul_kv_batch_new ();

  batch_put (empty_key, f->a, "valid", "1");
  xul_kv_batch_put (empty_key, f->a, "", 0, "v", 1);
  assert_false (xul_kv_db_commit (f->db, empty_key, XUL_KV_COMMIT_NONE, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);

  batch_put (too_large, f->a, "valid", "1");
  xul_kv_batch_put (too_large, f->a, "k", 1, huge, XUL_KV_MAX_VALUE + 1);
  assert_false (xul_kv_db_commit (f->db, too_large, XUL_KV_COMMIT_NONE, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_TOO_LARGE);

  batch_put (reserved_meta, f->a, "valid", "1");
  xul_kv_batch_set_meta (reserved_meta, "kvcore.created-at", "forged");
  assert_false (xul_kv_db_commit (f->db, reserved_meta, XUL_KV_COMMIT_NONE, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);

  kt_assert_value (f->a, "valid", NULL);
}

static void
test_store_of_another_database_is_refused (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *other_path = tu_tmpdir_file (f->dir, "other.sqlite");
  g_autoptr (XulKvDb) other = kt_open_db (other_path, XUL_KV_OPEN_NONE);
  g_autoptr (XulKvStore) foreign =
    xul_kv_db_open_store (other, "a", XUL_KV_STORE_CREATE, &error);
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();

  batch_put (batch, f->a, "mine", "1");
  batch_put (batch, foreign, "theirs", "2");
  assert_false (xul_kv_db_commit (f->db, batch, XUL_KV_COMMIT_NONE, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);
  kt_assert_value (f->a, "mine", NULL);
  kt_assert_value (foreign, "theirs", NULL);
}

static void
test_meta_records_commit_with_the_data (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  g_autoptr (XulKvBatch) failing = xul_kv_batch_new ();

  batch_put (batch, f->a, "k", "v");
  xul_kv_batch_set_meta (batch, "app.migrated", "yes");
  kt_commit (f->db, batch, XUL_KV_COMMIT_NONE);
  kt_assert_meta (f->db, "app.migrated", "yes");

  /* Rolled back with the rest when a later operation fails. */
  xul_kv_batch_delete_meta (failing, "app.migrated");
  xul_kv_batch_set_meta (failing, "app.other", "x");
  xul_kv_batch_put (failing, f->a, "", 0, "bad", 3);
  assert_false (xul_kv_db_commit (f->db, failing, XUL_KV_COMMIT_NONE, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);
  kt_assert_meta (f->db, "app.migrated", "yes");
  kt_assert_meta (f->db, "app.other", NULL);
}

static void
test_empty_batch_and_recommit_are_fine (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvBatch) empty = xul_kv_batch_new ();
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  guint64 count = 0;

  kt_commit (f->db, empty, XUL_KV_COMMIT_NONE);
  kt_commit (f->db, empty, XUL_KV_COMMIT_DURABLE);

  batch_put (batch, f->a, "k", "v");
  kt_commit (f->db, batch, XUL_KV_COMMIT_NONE);
  kt_commit (f->db, batch, XUL_KV_COMMIT_NONE);
  assert_true (xul_kv_store_count (f->a, &count, &error));
  assert_int_equal (count, 1);
}

static void
test_read_only_database_refuses_commits (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvDb) reader = kt_open_db (xul_kv_db_get_path (f->db), XUL_KV_OPEN_READ_ONLY);
  g_autoptr (XulKvStore) store = kt_open_store (reader, "a", FALSE);
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();

  batch_put (batch, store, "k", "v");
  assert_false (xul_kv_db_commit (reader, batch, XUL_KV_COMMIT_NONE, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_READ_ONLY);
  kt_assert_value (f->a, "k", NULL);
}

static void
test_large_batch_commits_as_one (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  guint64 count = 0;

  for (int i = 0; i < 20000; i++)
    {
      g_autofree char *key = g_strdup_printf ("key-%05d", i);
      batch_put (batch, i % 2 ? f->a : f->b, key, key);
    }
  kt_commit (f->db, batch, XUL_KV_COMMIT_DURABLE);
  assert_true (xul_kv_store_count (f->a, &count, &error));
  assert_int_equal (count, 10000);
  kt_assert_value (f->b, "key-19998", "key-19998");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown (name, setup, teardown)
    T (test_batch_across_stores_commits_everything),
    T (test_last_write_to_a_key_wins),
    T (test_clear_in_a_batch_applies_in_order),
    T (test_delete_prefix_removes_exactly_the_keys_with_that_prefix),
    T (test_batch_failing_midway_changes_nothing),
    T (test_invalid_operation_refuses_the_whole_batch),
    T (test_store_of_another_database_is_refused),
    T (test_meta_records_commit_with_the_data),
    T (test_empty_batch_and_recommit_are_fine),
    T (test_read_only_database_refuses_commits),
    T (test_large_batch_commits_as_one),
#undef T
  };
  return tu_run ("kvcore-batch", tests);
}
