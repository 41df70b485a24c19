/* test-apply.c: xul_store_apply, many changes in one durable transaction. */
#include "xs-test.h"

#define DOC_A "chrome://a/content/a.xhtml"
#define DOC_B "chrome://b/content/b.xhtml"

typedef struct {
  GPtrArray *seen; /* "doc|id|attr=value" or "doc|id|attr removed" */
} Recorder;

static void
on_changed (XulStore   *store,
            const char *doc,
            const char *id,
            const char *attr,
            const char *value,
            Recorder   *recorder)
{
  g_ptr_array_add (recorder->seen,
                   value != NULL ? g_strdup_printf ("%s|%s|%s=%s", doc, id, attr, value)
                                 : g_strdup_printf ("%s|%s|%s removed", doc, id, attr));
}

static void
record_changes (XulStore *store,
                Recorder *recorder)
{
  recorder->seen = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (store, "changed", G_CALLBACK (on_changed), recorder);
}

static gboolean
seen (Recorder   *recorder,
      const char *entry)
{
  return g_ptr_array_find_with_equal_func (recorder->seen, entry, g_str_equal, NULL);
}

static XulStore *
open_reader (XulStore *writer)
{
  return xs_open_path (xul_store_get_path (writer), XUL_STORE_FLAGS_READ_ONLY);
}

static void
apply_ok (XulStore   *store,
          XulChanges *changes)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_store_apply (store, changes, &error));
  tu_assert_no_error (error);
}

static void
test_applied_values_are_durable_at_once (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  /* A long write delay: only apply itself can have put the values on disk. */
  g_autoptr (XulStore) store = xs_open (dir, 60000);
  g_autoptr (XulChanges) changes = xul_changes_new ();
  g_autoptr (XulStore) reader = NULL;

  for (int i = 0; i < 500; i++)
    {
      g_autofree char *id = g_strdup_printf ("place:%03d", i);
      xul_changes_set_value (changes, i % 2 ? DOC_A : DOC_B, id, "open", "true");
    }
  assert_int_equal (xul_changes_get_length (changes), 500);
  apply_ok (store, changes);

  reader = open_reader (store);
  xs_assert_value (reader, DOC_A, "place:001", "open", "true");
  xs_assert_value (reader, DOC_B, "place:498", "open", "true");
  xs_assert_value (store, DOC_A, "place:499", "open", "true");
  xs_assert_strv (xul_store_get_documents (store, NULL),
                  (const char *const[]) { DOC_A, DOC_B, NULL });
}

static void
test_one_bad_change_refuses_all_of_them (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (XulChanges) changes = xul_changes_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *long_id = g_strnfill (XUL_STORE_MAX_NAME_LENGTH + 1, 'x');
  Recorder recorder;

  xs_set (store, DOC_A, "main", "width", "100");
  record_changes (store, &recorder);
  xul_changes_set_value (changes, DOC_A, "main", "width", "200");
  xul_changes_remove_document (changes, DOC_A);
  xul_changes_set_value (changes, DOC_B, long_id, "width", "1");
  assert_false (xul_store_apply (store, changes, &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_TOO_LONG);

  xs_assert_value (store, DOC_A, "main", "width", "100");
  assert_int_equal (recorder.seen->len, 0);
  g_ptr_array_unref (recorder.seen);
}

static void
test_clear_then_set_makes_the_store_equal_to_the_set (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (XulChanges) changes = xul_changes_new ();
  g_autoptr (XulStore) reopened = NULL;
  Recorder recorder;

  xs_set (store, DOC_A, "main", "width", "100");
  xs_set (store, DOC_B, "side", "open", "true");
  xs_close (store);
  g_clear_object (&store);

  /* Reopened: nothing is loaded, yet every removal is announced. */
  store = xs_open (dir, 0);
  record_changes (store, &recorder);
  xul_changes_clear (changes);
  xul_changes_set_value (changes, DOC_A, "main", "height", "300");
  apply_ok (store, changes);

  assert_true (seen (&recorder, DOC_A "|main|width removed"));
  assert_true (seen (&recorder, DOC_B "|side|open removed"));
  assert_true (seen (&recorder, DOC_A "|main|height=300"));
  assert_int_equal (recorder.seen->len, 3);
  g_ptr_array_unref (recorder.seen);

  xs_close (store);
  reopened = xs_open (dir, 0);
  xs_assert_strv (xul_store_get_documents (reopened, NULL),
                  (const char *const[]) { DOC_A, NULL });
  xs_assert_strv (xul_store_get_attributes (reopened, DOC_A, "main", NULL),
                  (const char *const[]) { "height", NULL });
}

static void
test_removals_apply_to_documents_not_yet_loaded (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (XulChanges) changes = xul_changes_new ();
  Recorder recorder;

  xs_set (store, DOC_A, "main", "width", "100");
  xs_set (store, DOC_A, "main", "height", "200");
  xs_set (store, DOC_B, "side", "width", "50");
  xs_set (store, DOC_B, "side", "open", "true");
  xs_close (store);
  g_clear_object (&store);

  store = xs_open (dir, 0);
  record_changes (store, &recorder);
  xul_changes_remove_document (changes, DOC_A);
  xul_changes_remove_value (changes, DOC_B, "side", "open");
  xul_changes_remove_value (changes, DOC_B, "side", "never-there");
  apply_ok (store, changes);

  assert_int_equal (recorder.seen->len, 3);
  assert_true (seen (&recorder, DOC_A "|main|width removed"));
  assert_true (seen (&recorder, DOC_B "|side|open removed"));
  g_ptr_array_unref (recorder.seen);
  xs_assert_strv (xul_store_get_documents (store, NULL),
                  (const char *const[]) { DOC_B, NULL });
  xs_assert_value (store, DOC_B, "side", "width", "50");
  xs_assert_value (store, DOC_B, "side", "open", NULL);
}

static void
test_meta_records_commit_with_the_values (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (XulChanges) changes = xul_changes_new ();
  g_autoptr (XulChanges) refused = xul_changes_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *value = NULL;

  xul_changes_set_value (changes, DOC_A, "main", "width", "100");
  xul_changes_set_meta (changes, "test.imported", "yes");
  apply_ok (store, changes);
  value = xul_kv_db_get_meta (xul_store_get_db (store), "test.imported", &error);
  tu_assert_no_error (error);
  assert_string_equal (value, "yes");

  /* A meta key kvcore refuses makes the values fail with it. */
  xul_changes_set_value (refused, DOC_A, "main", "width", "999");
  xul_changes_set_meta (refused, "kvcore.reserved", "no");
  assert_false (xul_store_apply (store, refused, &error));
  assert_non_null (error);
  g_clear_error (&error);
  xs_assert_value (store, DOC_A, "main", "width", "100");
}

static void
test_queued_changes_reach_the_disk_before_applied_ones (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 60000);
  g_autoptr (XulChanges) changes = xul_changes_new ();
  g_autoptr (XulStore) reader = NULL;

  xs_set (store, DOC_A, "main", "width", "queued");
  xs_set (store, DOC_A, "main", "height", "queued");
  xul_changes_set_value (changes, DOC_A, "main", "width", "applied");
  apply_ok (store, changes);

  /* Without a flush: apply itself committed the older queued change first. */
  reader = open_reader (store);
  xs_assert_value (reader, DOC_A, "main", "width", "applied");
  xs_assert_value (reader, DOC_A, "main", "height", "queued");
  xs_assert_value (store, DOC_A, "main", "width", "applied");
}

static void
test_apply_on_read_only_or_closed_store_fails (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (XulStore) reader = NULL;
  g_autoptr (XulChanges) changes = xul_changes_new ();
  g_autoptr (GError) error = NULL;

  xs_set (store, DOC_A, "main", "width", "1");
  xul_store_flush (store, NULL);
  xul_changes_set_value (changes, DOC_A, "main", "width", "2");
  reader = open_reader (store);
  assert_false (xul_store_apply (reader, changes, &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_READ_ONLY);

  xs_close (store);
  assert_false (xul_store_apply (store, changes, &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_applied_values_are_durable_at_once),
    cmocka_unit_test (test_one_bad_change_refuses_all_of_them),
    cmocka_unit_test (test_clear_then_set_makes_the_store_equal_to_the_set),
    cmocka_unit_test (test_removals_apply_to_documents_not_yet_loaded),
    cmocka_unit_test (test_meta_records_commit_with_the_values),
    cmocka_unit_test (test_queued_changes_reach_the_disk_before_applied_ones),
    cmocka_unit_test (test_apply_on_read_only_or_closed_store_fails),
  };
  return tu_run ("xulstore-apply", tests);
}
