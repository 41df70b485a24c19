/* test-batch.c: atomic batches across stores: all or nothing, last write wins. */
#include "test-util.h"

#include "kvcore.h"

typedef struct {
  TuTmpdir *dir;
  XulKvDb *db;
  XulKvStore *a, *b;
} Fixture;

static XulKvDb *
open_db (const char    *path,
         XulKvOpenFlags flags)
{
  g_autoptr (GError) error = NULL;
  XulKvDb *db = g_initable_new (XUL_TYPE_KV_DB, NULL, &error, "path", path, "flags",
                                flags, "backup-interval", (gint64) 0, NULL);

  tu_assert_no_error (error);
  return db;
}

static int
setup (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  Fixture *f = g_new0 (Fixture, 1);

  f->dir = tu_tmpdir_new ();
  path = tu_tmpdir_file (f->dir, "kv.sqlite");
  f->db = open_db (path, XUL_KV_OPEN_NONE);
  f->a = xul_kv_db_open_store (f->db, "a", XUL_KV_STORE_CREATE, &error);
  tu_assert_no_error (error);
  f->b = xul_kv_db_open_store (f->db, "b", XUL_KV_STORE_CREATE, &error);
  tu_assert_no_error (error);
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

/* The value under @key, or NULL when absent. */
static char *
lookup (XulKvStore *store,
        const char *key)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) value = xul_kv_store_get (store, key, strlen (key), &error);

  if (g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND))
    return NULL;
  tu_assert_no_error (error);
  return g_strndup (g_bytes_get_data (value, NULL), g_bytes_get_size (value));
}

static void
assert_lookup (XulKvStore *store,
               const char *key,
               const char *expected)
{
  g_autofree char *actual = lookup (store, key);

  if (expected == NULL)
    assert_null (actual);
  else
    assert_string_equal (actual, expected);
}

static void
commit_ok (XulKvDb    *db,
           XulKvBatch *batch)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_kv_db_commit (db, batch, XUL_KV_COMMIT_NONE, &error));
  tu_assert_no_error (error);
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
  commit_ok (f->db, batch);
  assert_lookup (f->a, "x", "1");
  assert_lookup (f->b, "x", "2");
  assert_lookup (f->a, "y", "3");
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
  commit_ok (f->db, batch);
  assert_lookup (f->a, "k", "second");
  assert_lookup (f->a, "gone", NULL);
  assert_lookup (f->a, "back", "again");
}

static void
test_clear_in_a_batch_applies_in_order (void **state)
{
  Fixture *f = *state;
  g_autoptr (XulKvBatch) setup_batch = xul_kv_batch_new ();
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();

  batch_put (setup_batch, f->a, "old", "1");
  batch_put (setup_batch, f->b, "other", "2");
  commit_ok (f->db, setup_batch);

  batch_put (batch, f->a, "before", "lost");
  xul_kv_batch_clear (batch, f->a);
  batch_put (batch, f->a, "after", "kept");
  commit_ok (f->db, batch);
  assert_lookup (f->a, "old", NULL);
  assert_lookup (f->a, "before", NULL);
  assert_lookup (f->a, "after", "kept");
  assert_lookup (f->b, "other", "2");
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
  commit_ok (f->db, setup_batch);

  /* Two operations apply, then the third reaches a store that is gone. */
  batch_put (batch, f->a, "existing", "after");
  batch_put (batch, f->a, "new", "value");
  xul_kv_batch_clear (batch, f->b);
  batch_put (batch, doomed, "k", "v");
  assert_true (xul_kv_db_drop_store (f->db, "doomed", &error));
  tu_assert_no_error (error);

  assert_false (xul_kv_db_commit (f->db, batch, XUL_KV_COMMIT_NONE, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NO_SUCH_STORE);
  assert_lookup (f->a, "existing", "before");
  assert_lookup (f->a, "new", NULL);
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

  assert_lookup (f->a, "valid", NULL);
}

static void
test_store_of_another_database_is_refused (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *other_path = tu_tmpdir_file (f->dir, "other.sqlite");
  g_autoptr (XulKvDb) other = open_db (other_path, XUL_KV_OPEN_NONE);
  g_autoptr (XulKvStore) foreign =
    xul_kv_db_open_store (other, "a", XUL_KV_STORE_CREATE, &error);
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();

  batch_put (batch, f->a, "mine", "1");
  batch_put (batch, foreign, "theirs", "2");
  assert_false (xul_kv_db_commit (f->db, batch, XUL_KV_COMMIT_NONE, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);
  assert_lookup (f->a, "mine", NULL);
  assert_lookup (foreign, "theirs", NULL);
}

static void
test_meta_records_commit_with_the_data (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  g_autoptr (XulKvBatch) failing = xul_kv_batch_new ();
  g_autofree char *value = NULL;

  batch_put (batch, f->a, "k", "v");
  xul_kv_batch_set_meta (batch, "app.migrated", "yes");
  commit_ok (f->db, batch);
  value = xul_kv_db_get_meta (f->db, "app.migrated", &error);
  tu_assert_no_error (error);
  assert_string_equal (value, "yes");

  /* Rolled back with the rest when a later operation fails. */
  xul_kv_batch_delete_meta (failing, "app.migrated");
  xul_kv_batch_set_meta (failing, "app.other", "x");
  xul_kv_batch_put (failing, f->a, "", 0, "bad", 3);
  assert_false (xul_kv_db_commit (f->db, failing, XUL_KV_COMMIT_NONE, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);
  g_free (value);
  value = xul_kv_db_get_meta (f->db, "app.migrated", &error);
  tu_assert_no_error (error);
  assert_string_equal (value, "yes");
  assert_null (xul_kv_db_get_meta (f->db, "app.other", &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND);
}

static void
test_empty_batch_and_recommit_are_fine (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvBatch) empty = xul_kv_batch_new ();
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  guint64 count = 0;

  commit_ok (f->db, empty);
  assert_true (xul_kv_db_commit (f->db, empty, XUL_KV_COMMIT_DURABLE, &error));
  tu_assert_no_error (error);

  batch_put (batch, f->a, "k", "v");
  commit_ok (f->db, batch);
  commit_ok (f->db, batch);
  assert_true (xul_kv_store_count (f->a, &count, &error));
  assert_int_equal (count, 1);
}

static void
test_read_only_database_refuses_commits (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvDb) reader = open_db (xul_kv_db_get_path (f->db), XUL_KV_OPEN_READ_ONLY);
  g_autoptr (XulKvStore) store =
    xul_kv_db_open_store (reader, "a", XUL_KV_STORE_NONE, &error);
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();

  tu_assert_no_error (error);
  batch_put (batch, store, "k", "v");
  assert_false (xul_kv_db_commit (reader, batch, XUL_KV_COMMIT_NONE, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_READ_ONLY);
  assert_lookup (f->a, "k", NULL);
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
  assert_true (xul_kv_db_commit (f->db, batch, XUL_KV_COMMIT_DURABLE, &error));
  tu_assert_no_error (error);
  assert_true (xul_kv_store_count (f->a, &count, &error));
  assert_int_equal (count, 10000);
  assert_lookup (f->b, "key-19998", "key-19998");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown (name, setup, teardown)
    T (test_batch_across_stores_commits_everything),
    T (test_last_write_to_a_key_wins),
    T (test_clear_in_a_batch_applies_in_order),
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
