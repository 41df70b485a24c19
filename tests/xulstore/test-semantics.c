/* test-semantics.c: what a XulStore user sees: the nsIXULStore semantics, the limits,
 * argument checking, arbitrary strings, the changed signal, read-only and closed
 * stores, lazy loading, and records on disk that do not decode. */
#include "config.h"

#include <string.h>

#include "xs-test.h"

/* ---- helpers ------------------------------------------------------------------- */

/* @unit repeated @n times. */
static char *
repeat (const char *unit,
        guint       n)
{
  GString *text = g_string_sized_new (strlen (unit) * n + 1);

  for (guint i = 0; i < n; i++)
    g_string_append (text, unit);
  return g_string_free (text, FALSE);
}

static char *
store_path (TuTmpdir *dir)
{
  return tu_tmpdir_file (dir, "store.sqlite");
}

static XulStore *
reopen (TuTmpdir *dir,
        XulStore *store)
{
  xs_close (store);
  g_object_unref (store);
  return xs_open (dir, 0);
}

static void
flush (XulStore *store)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_store_flush (store, &error));
  tu_assert_no_error (error);
}

static void
assert_empty_list (char **list)
{
  g_auto (GStrv) owned = list;

  assert_non_null (owned);
  assert_null (owned[0]);
}

static void
assert_documents (XulStore          *store,
                  const char *const *expected)
{
  g_autoptr (GError) error = NULL;
  char **docs = xul_store_get_documents (store, &error);

  tu_assert_no_error (error);
  xs_assert_strv (docs, expected);
}

static void
assert_ids (XulStore          *store,
            const char        *doc,
            const char *const *expected)
{
  g_autoptr (GError) error = NULL;
  char **ids = xul_store_get_ids (store, doc, &error);

  tu_assert_no_error (error);
  xs_assert_strv (ids, expected);
}

static void
assert_attributes (XulStore          *store,
                   const char        *doc,
                   const char        *id,
                   const char *const *expected)
{
  g_autoptr (GError) error = NULL;
  char **attrs = xul_store_get_attributes (store, doc, id, &error);

  tu_assert_no_error (error);
  xs_assert_strv (attrs, expected);
}

static void
remove_document (XulStore   *store,
                 const char *doc)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_store_remove_document (store, doc, &error));
  tu_assert_no_error (error);
}

static void
clear (XulStore *store)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_store_clear (store, &error));
  tu_assert_no_error (error);
}

/* Records every emission of XulStore::changed as "doc|id|attr|value" ("value" is
 * "(null)" for a removal), and what get_value/has_value said from inside the handler. */
typedef struct {
  XulStore *store;
  gulong handler;
  GPtrArray *events;
  GPtrArray *seen;
} Recorder;

static void
on_changed (XulStore   *store,
            const char *doc,
            const char *id,
            const char *attr,
            const char *value,
            gpointer    data)
{
  Recorder *recorder = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *current = xul_store_get_value (store, doc, id, attr, &error);
  gboolean present = error == NULL && xul_store_has_value (store, doc, id, attr, &error);

  g_ptr_array_add (recorder->events,
                   g_strdup_printf ("%s|%s|%s|%s", doc, id, attr,
                                    value != NULL ? value : "(null)"));
  g_ptr_array_add (recorder->seen,
                   error != NULL ? g_strdup_printf ("error: %s", error->message)
                   : present     ? g_strdup_printf ("%s", current)
                                 : g_strdup ("(null)"));
}

static Recorder *
recorder_new (XulStore *store)
{
  Recorder *recorder = g_new0 (Recorder, 1);

  recorder->store = store;
  recorder->events = g_ptr_array_new_with_free_func (g_free);
  recorder->seen = g_ptr_array_new_with_free_func (g_free);
  recorder->handler = g_signal_connect (store, "changed", G_CALLBACK (on_changed),
                                        recorder);
  return recorder;
}

static void
recorder_free (Recorder *recorder)
{
  g_signal_handler_disconnect (recorder->store, recorder->handler);
  g_ptr_array_unref (recorder->events);
  g_ptr_array_unref (recorder->seen);
  g_free (recorder);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Recorder, recorder_free)

static void
recorder_reset (Recorder *recorder)
{
  g_ptr_array_set_size (recorder->events, 0);
  g_ptr_array_set_size (recorder->seen, 0);
}

static int
compare_string_pointers (gconstpointer a,
                         gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Asserts the recorded events, as a set (sorted), against a NULL-terminated list. */
static void
assert_event_set (Recorder          *recorder,
                  const char *const *expected)
{
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();

  for (guint i = 0; i < recorder->events->len; i++)
    g_ptr_array_add (sorted, g_ptr_array_index (recorder->events, i));
  g_ptr_array_sort (sorted, compare_string_pointers);
  g_ptr_array_add (sorted, NULL);
  if (!g_strv_equal ((const char *const *) sorted->pdata, expected))
    {
      g_autofree char *got = g_strjoinv (" ; ", (char **) sorted->pdata);
      g_autofree char *want = g_strjoinv (" ; ", (char **) expected);
      fail_msg ("events differ: got [%s], expected [%s]", got, want);
    }
}

/* A model of what the store should hold: (doc, id, attr) -> value, and the checks of
 * every value and every enumeration against it. */
typedef struct {
  char *doc, *id, *attr, *value;
} Tuple;

static void
tuple_free (Tuple *tuple)
{
  g_free (tuple->doc);
  g_free (tuple->id);
  g_free (tuple->attr);
  g_free (tuple->value);
  g_free (tuple);
}

static GPtrArray *
model_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) tuple_free);
}

static void
model_set (GPtrArray  *model,
           const char *doc,
           const char *id,
           const char *attr,
           const char *value)
{
  Tuple *tuple;

  for (guint i = 0; i < model->len; i++)
    {
      tuple = g_ptr_array_index (model, i);
      if (g_str_equal (tuple->doc, doc) && g_str_equal (tuple->id, id) &&
          g_str_equal (tuple->attr, attr))
        {
          g_free (tuple->value);
          tuple->value = g_strdup (value);
          return;
        }
    }
  tuple = g_new (Tuple, 1);
  tuple->doc = g_strdup (doc);
  tuple->id = g_strdup (id);
  tuple->attr = g_strdup (attr);
  tuple->value = g_strdup (value);
  g_ptr_array_add (model, tuple);
}

/* Sets in both the store and the model. */
static void
set_both (XulStore   *store,
          GPtrArray  *model,
          const char *doc,
          const char *id,
          const char *attr,
          const char *value)
{
  xs_set (store, doc, id, attr, value);
  model_set (model, doc, id, attr, value);
}

/* The sorted, distinct names of the model's tuples that match @doc and @id (NULL:
 * any); @level 0 lists docs, 1 ids, 2 attributes. */
static char **
model_names (GPtrArray  *model,
             int         level,
             const char *doc,
             const char *id)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autoptr (GPtrArray) unique = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < model->len; i++)
    {
      Tuple *tuple = g_ptr_array_index (model, i);
      if ((doc != NULL && !g_str_equal (tuple->doc, doc)) ||
          (id != NULL && !g_str_equal (tuple->id, id)))
        continue;
      g_ptr_array_add (names, level == 0 ? tuple->doc : level == 1 ? tuple->id : tuple->attr);
    }
  g_ptr_array_sort (names, compare_string_pointers);
  for (guint i = 0; i < names->len; i++)
    if (i == 0 || strcmp (names->pdata[i - 1], names->pdata[i]) != 0)
      g_ptr_array_add (unique, g_strdup (names->pdata[i]));
  g_ptr_array_add (unique, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&unique), FALSE);
}

static void
model_check (XulStore  *store,
             GPtrArray *model)
{
  g_auto (GStrv) docs = model_names (model, 0, NULL, NULL);

  for (guint i = 0; i < model->len; i++)
    {
      Tuple *tuple = g_ptr_array_index (model, i);
      xs_assert_value (store, tuple->doc, tuple->id, tuple->attr, tuple->value);
    }
  assert_documents (store, (const char *const *) docs);
  for (guint d = 0; docs[d] != NULL; d++)
    {
      g_auto (GStrv) ids = model_names (model, 1, docs[d], NULL);
      assert_ids (store, docs[d], (const char *const *) ids);
      for (guint i = 0; ids[i] != NULL; i++)
        {
          g_auto (GStrv) attrs = model_names (model, 2, docs[d], ids[i]);
          assert_attributes (store, docs[d], ids[i], (const char *const *) attrs);
        }
    }
}

/* ---- nsIXULStore semantics ----------------------------------------------------- */

static void
test_get_of_a_missing_value_is_empty_and_absent (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);

  /* nsIXULStore.getValue returns "" rather than failing, on an unknown document and
   * on a known one. */
  xs_assert_value (store, "doc", "id", "attr", NULL);
  xs_set (store, "doc", "id", "other", "1");
  xs_assert_value (store, "doc", "id", "attr", NULL);
  xs_assert_value (store, "doc", "other-id", "other", NULL);
  xs_close (store);
}

static void
test_a_stored_empty_value_is_present (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);

  /* "" is a value like any other: has_value tells it apart from no value. */
  xs_set (store, "doc", "id", "attr", "");
  xs_assert_value (store, "doc", "id", "attr", "");
  assert_ids (store, "doc", (const char *const[]) { "id", NULL });

  store = reopen (dir, store);
  xs_assert_value (store, "doc", "id", "attr", "");
  xs_close (store);
}

static void
test_overwriting_never_duplicates_ids_or_attributes (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);

  xs_set (store, "doc", "id", "attr", "1");
  xs_set (store, "doc", "id", "attr", "2");
  xs_set (store, "doc", "id", "attr", "2");
  xs_set (store, "doc", "id", "attr", "");
  xs_set (store, "doc", "id", "attr", "3");
  xs_assert_value (store, "doc", "id", "attr", "3");
  assert_documents (store, (const char *const[]) { "doc", NULL });
  assert_ids (store, "doc", (const char *const[]) { "id", NULL });
  assert_attributes (store, "doc", "id", (const char *const[]) { "attr", NULL });

  /* The last write wins on disk too, as one record. */
  store = reopen (dir, store);
  xs_set (store, "doc", "id", "attr", "4");
  xs_assert_value (store, "doc", "id", "attr", "4");
  assert_attributes (store, "doc", "id", (const char *const[]) { "attr", NULL });
  xs_close (store);
}

static void
test_removing_a_missing_value_or_unknown_document_is_not_an_error (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);

  xs_remove_value (store, "nowhere", "id", "attr");
  remove_document (store, "nowhere");
  xs_set (store, "doc", "id", "attr", "1");
  xs_remove_value (store, "doc", "id", "other");
  xs_remove_value (store, "doc", "other", "attr");
  /* Neither touched what is stored. */
  xs_assert_value (store, "doc", "id", "attr", "1");
  xs_remove_value (store, "doc", "id", "attr");
  xs_remove_value (store, "doc", "id", "attr");
  xs_assert_value (store, "doc", "id", "attr", NULL);
  xs_close (store);
}

static void
test_removing_the_last_attribute_drops_the_id (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);

  xs_set (store, "doc", "a", "x", "1");
  xs_set (store, "doc", "a", "y", "2");
  xs_set (store, "doc", "b", "x", "3");
  xs_remove_value (store, "doc", "a", "x");
  assert_ids (store, "doc", (const char *const[]) { "a", "b", NULL });
  assert_attributes (store, "doc", "a", (const char *const[]) { "y", NULL });
  xs_remove_value (store, "doc", "a", "y");
  assert_ids (store, "doc", (const char *const[]) { "b", NULL });
  assert_empty_list (xul_store_get_attributes (store, "doc", "a", NULL));

  /* And it stays dropped on disk. */
  store = reopen (dir, store);
  assert_ids (store, "doc", (const char *const[]) { "b", NULL });
  xs_close (store);
}

static void
test_removing_the_last_value_drops_the_document (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);

  xs_set (store, "a", "id", "attr", "1");
  xs_set (store, "b", "id", "attr", "2");
  xs_set (store, "b", "id", "other", "3");
  xs_remove_value (store, "b", "id", "attr");
  assert_documents (store, (const char *const[]) { "a", "b", NULL });
  xs_remove_value (store, "b", "id", "other");
  assert_documents (store, (const char *const[]) { "a", NULL });
  assert_empty_list (xul_store_get_ids (store, "b", NULL));

  store = reopen (dir, store);
  assert_documents (store, (const char *const[]) { "a", NULL });
  /* Also when the document was only on disk when its last value went. */
  xs_remove_value (store, "a", "id", "attr");
  assert_documents (store, (const char *const[]) { NULL });
  store = reopen (dir, store);
  assert_documents (store, (const char *const[]) { NULL });
  xs_close (store);
}

static void
test_remove_document_removes_every_value_of_that_document_only (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);

  xs_set (store, "a", "i", "x", "1");
  xs_set (store, "a", "j", "y", "2");
  /* Documents whose names extend or prefix "a" are other documents. */
  xs_set (store, "ab", "i", "x", "3");
  xs_set (store, "", "i", "x", "4");
  remove_document (store, "a");
  xs_assert_value (store, "a", "i", "x", NULL);
  xs_assert_value (store, "a", "j", "y", NULL);
  xs_assert_value (store, "ab", "i", "x", "3");
  xs_assert_value (store, "", "i", "x", "4");
  assert_documents (store, (const char *const[]) { "", "ab", NULL });
  assert_empty_list (xul_store_get_ids (store, "a", NULL));

  store = reopen (dir, store);
  assert_documents (store, (const char *const[]) { "", "ab", NULL });
  xs_assert_value (store, "a", "i", "x", NULL);
  /* A document that is only on disk is removed all the same. */
  remove_document (store, "ab");
  store = reopen (dir, store);
  assert_documents (store, (const char *const[]) { "", NULL });
  xs_assert_value (store, "", "i", "x", "4");
  xs_close (store);
}

static void
test_clear_removes_everything (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);

  xs_set (store, "a", "i", "x", "1");
  xs_set (store, "b", "i", "x", "2");
  xs_set (store, "", "", "", "3");
  clear (store);
  assert_documents (store, (const char *const[]) { NULL });
  xs_assert_value (store, "a", "i", "x", NULL);
  xs_assert_value (store, "", "", "", NULL);

  /* Again with documents that are only on disk, never loaded. */
  xs_set (store, "c", "i", "x", "4");
  xs_set (store, "d", "i", "x", "5");
  store = reopen (dir, store);
  clear (store);
  assert_documents (store, (const char *const[]) { NULL });
  store = reopen (dir, store);
  assert_documents (store, (const char *const[]) { NULL });
  xs_assert_value (store, "c", "i", "x", NULL);
  xs_assert_value (store, "d", "i", "x", NULL);
  /* The store still works after being emptied. */
  xs_set (store, "e", "i", "x", "6");
  xs_assert_value (store, "e", "i", "x", "6");
  xs_close (store);
}

static void
test_unknown_document_or_id_lists_nothing (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (GError) error = NULL;

  /* An empty array, not NULL (NULL means an error). */
  assert_empty_list (xul_store_get_documents (store, &error));
  assert_empty_list (xul_store_get_ids (store, "nowhere", &error));
  assert_empty_list (xul_store_get_attributes (store, "nowhere", "id", &error));
  xs_set (store, "doc", "id", "attr", "1");
  assert_empty_list (xul_store_get_attributes (store, "doc", "other", &error));
  assert_empty_list (xul_store_get_ids (store, "doc2", &error));
  tu_assert_no_error (error);
  xs_close (store);
}

static void
test_empty_strings_are_valid_everywhere (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (GPtrArray) model = model_new ();

  set_both (store, model, "", "", "", "");
  set_both (store, model, "", "", "a", "1");
  set_both (store, model, "", "i", "", "2");
  set_both (store, model, "d", "", "", "3");
  set_both (store, model, "d", "i", "a", "");
  model_check (store, model);

  store = reopen (dir, store);
  model_check (store, model);
  xs_close (store);
}

static void
test_lists_are_sorted_by_utf8_bytes (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  const char *const non_ascii[] = { "Z", "a", "é", "中", "😀", NULL };

  /* Insertion order must not show through. */
  xs_set (store, "doc", "3", "c", "v");
  xs_set (store, "doc", "1", "c", "v");
  xs_set (store, "doc", "2", "c", "v");
  xs_set (store, "doc", "1", "3", "v");
  xs_set (store, "doc", "1", "1", "v");
  xs_set (store, "doc", "1", "2", "v");
  assert_ids (store, "doc", (const char *const[]) { "1", "2", "3", NULL });
  assert_attributes (store, "doc", "1", (const char *const[]) { "1", "2", "3", "c", NULL });

  /* Bytes, not collation: uppercase before lowercase, non-ASCII after ASCII, and by
   * code point among themselves. */
  for (int i = 4; i >= 0; i--)
    {
      xs_set (store, non_ascii[i], "id", "attr", "v");
      xs_set (store, "doc", non_ascii[i], "attr", "v");
      xs_set (store, "doc", "id", non_ascii[i], "v");
    }
  assert_documents (store, (const char *const[]) { "Z", "a", "doc", "é", "中", "😀", NULL });
  assert_ids (store, "doc",
              (const char *const[]) { "1", "2", "3", "Z", "a", "id", "é", "中", "😀", NULL });
  assert_attributes (store, "doc", "id", non_ascii);

  /* A prefix sorts first, and "a\t" (0x09) before "a " (0x20). */
  xs_set (store, "doc", "p", "ab", "v");
  xs_set (store, "doc", "p", "a ", "v");
  xs_set (store, "doc", "p", "a\t", "v");
  xs_set (store, "doc", "p", "a", "v");
  assert_attributes (store, "doc", "p", (const char *const[]) { "a", "a\t", "a ", "ab", NULL });

  /* The same order when the names come from disk. */
  store = reopen (dir, store);
  assert_documents (store, (const char *const[]) { "Z", "a", "doc", "é", "中", "😀", NULL });
  assert_attributes (store, "doc", "id", non_ascii);
  assert_attributes (store, "doc", "p", (const char *const[]) { "a", "a\t", "a ", "ab", NULL });
  xs_close (store);
}

/* ---- limits -------------------------------------------------------------------- */

static guint changed_count;

static void
count_changed (XulStore   *store,
               const char *doc,
               const char *id,
               const char *attr,
               const char *value,
               gpointer    data)
{
  changed_count++;
}

/* Asserts that set_value fails with @code and that nothing changed: no signal, no new
 * value, no new document. */
static void
assert_set_refused (XulStore   *store,
                    const char *doc,
                    const char *id,
                    const char *attr,
                    const char *value,
                    int         code)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) docs_before = xul_store_get_documents (store, NULL);
  gulong handler = g_signal_connect (store, "changed", G_CALLBACK (count_changed), NULL);

  changed_count = 0;
  assert_false (xul_store_set_value (store, doc, id, attr, value, &error));
  tu_assert_error (error, XUL_STORE_ERROR, code);
  g_signal_handler_disconnect (store, handler);
  assert_int_equal (changed_count, 0);
  assert_documents (store, (const char *const *) docs_before);
}

/* For one name position (1: id, 2: attr; 0: doc): @max characters of @unit are
 * accepted and read back, also after reopening; @max + 1 are refused. */
static void
check_limit (int         position,
             guint       max,
             const char *unit)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *longest = repeat (unit, max);
  g_autofree char *too_long = repeat (unit, max + 1);
  const char *ok[3] = { "doc", "id", "attr" };
  const char *bad[3] = { "doc", "id", "attr" };

  ok[position] = longest;
  bad[position] = too_long;
  xs_set (store, ok[0], ok[1], ok[2], "v");
  xs_assert_value (store, ok[0], ok[1], ok[2], "v");

  assert_set_refused (store, bad[0], bad[1], bad[2], "v", XUL_STORE_ERROR_TOO_LONG);
  /* An over-long name can hold nothing: looking it up is not an error. */
  xs_assert_value (store, bad[0], bad[1], bad[2], NULL);
  /* The refusal did not disturb what was stored: one id, one attribute. */
  assert_ids (store, ok[0], (const char *const[]) { ok[1], NULL });
  assert_attributes (store, ok[0], ok[1], (const char *const[]) { ok[2], NULL });

  store = reopen (dir, store);
  xs_assert_value (store, ok[0], ok[1], ok[2], "v");
  assert_documents (store, (const char *const[]) { ok[0], NULL });
  xs_close (store);
}

static void
test_names_of_512_characters_are_accepted_and_513_refused (void **state)
{
  /* Characters, not bytes: 512 "é" are 1024 bytes and fit, 513 "a" do not. */
  static const char *const units[] = { "a", "é", "中", "😀" };

  for (int position = 1; position <= 2; position++)
    for (gsize u = 0; u < G_N_ELEMENTS (units); u++)
      check_limit (position, XUL_STORE_MAX_NAME_LENGTH, units[u]);
}

static void
test_documents_of_2048_characters_are_accepted_and_2049_refused (void **state)
{
  static const char *const units[] = { "a", "é", "中", "😀" };

  assert_int_equal (XUL_STORE_MAX_DOCUMENT_LENGTH, 2048);
  for (gsize u = 0; u < G_N_ELEMENTS (units); u++)
    check_limit (0, XUL_STORE_MAX_DOCUMENT_LENGTH, units[u]);
}

static void
test_values_of_4096_characters_are_accepted_and_4097_refused (void **state)
{
  static const char *const units[] = { "a", "é", "中", "😀" };
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);

  assert_int_equal (XUL_STORE_MAX_VALUE_LENGTH, 4096);
  for (gsize u = 0; u < G_N_ELEMENTS (units); u++)
    {
      g_autofree char *longest = repeat (units[u], XUL_STORE_MAX_VALUE_LENGTH);
      g_autofree char *too_long = repeat (units[u], XUL_STORE_MAX_VALUE_LENGTH + 1);

      xs_set (store, "doc", "id", units[u], longest);
      assert_set_refused (store, "doc", "id", units[u], too_long, XUL_STORE_ERROR_TOO_LONG);
      /* The value in place stays. */
      xs_assert_value (store, "doc", "id", units[u], longest);
      /* And a refused value is not stored under a fresh key either. */
      assert_set_refused (store, "doc", "fresh", units[u], too_long,
                          XUL_STORE_ERROR_TOO_LONG);
      xs_assert_value (store, "doc", "fresh", units[u], NULL);
    }

  store = reopen (dir, store);
  for (gsize u = 0; u < G_N_ELEMENTS (units); u++)
    {
      g_autofree char *longest = repeat (units[u], XUL_STORE_MAX_VALUE_LENGTH);
      xs_assert_value (store, "doc", "id", units[u], longest);
    }
  assert_ids (store, "doc", (const char *const[]) { "id", NULL });
  xs_close (store);
}

static void
test_the_largest_tuple_fits_on_disk (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  /* Every component at its limit in 4-byte characters: the longest key and value. */
  g_autofree char *doc = repeat ("😀", XUL_STORE_MAX_DOCUMENT_LENGTH);
  g_autofree char *id = repeat ("😀", XUL_STORE_MAX_NAME_LENGTH);
  g_autofree char *attr = repeat ("😀", XUL_STORE_MAX_NAME_LENGTH);
  g_autofree char *value = repeat ("😀", XUL_STORE_MAX_VALUE_LENGTH);

  xs_set (store, doc, id, attr, value);
  flush (store);
  store = reopen (dir, store);
  xs_assert_value (store, doc, id, attr, value);
  xs_close (store);
}

static void
test_over_long_names_in_lookups_are_not_errors (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (GError) error = NULL;
  g_autofree char *long_doc = repeat ("é", XUL_STORE_MAX_DOCUMENT_LENGTH + 1);
  g_autofree char *long_name = repeat ("中", XUL_STORE_MAX_NAME_LENGTH + 1);
  g_autoptr (Recorder) recorder = recorder_new (store);
  const char *lookups[][3] = {
    { long_doc, "id", "attr" },
    { "doc", long_name, "attr" },
    { "doc", "id", long_name },
  };

  xs_set (store, "doc", "id", "attr", "1");
  recorder_reset (recorder);
  /* Nothing can be stored under them, so there is nothing to find or remove. */
  for (gsize i = 0; i < G_N_ELEMENTS (lookups); i++)
    {
      xs_assert_value (store, lookups[i][0], lookups[i][1], lookups[i][2], NULL);
      xs_remove_value (store, lookups[i][0], lookups[i][1], lookups[i][2]);
    }
  assert_empty_list (xul_store_get_ids (store, long_doc, &error));
  assert_empty_list (xul_store_get_attributes (store, long_doc, "id", &error));
  assert_empty_list (xul_store_get_attributes (store, "doc", long_name, &error));
  tu_assert_no_error (error);
  assert_int_equal (recorder->events->len, 0);
  xs_assert_value (store, "doc", "id", "attr", "1");
  xs_close (store);
}

/* ---- invalid UTF-8 ------------------------------------------------------------- */

static const char *const invalid_utf8[] = {
  "\xff",
  "abc\xc3",          /* truncated */
  "\xc0\xaf",         /* overlong */
  "\xed\xa0\x80",     /* surrogate */
  "\xf4\x90\x80\x80", /* beyond U+10FFFF */
};

static void
test_invalid_utf8_in_set_value_is_refused_and_stores_nothing (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);

  for (gsize i = 0; i < G_N_ELEMENTS (invalid_utf8); i++)
    {
      const char *bad = invalid_utf8[i];
      assert_set_refused (store, bad, "id", "attr", "v", XUL_STORE_ERROR_INVALID_ARGUMENT);
      assert_set_refused (store, "doc", bad, "attr", "v", XUL_STORE_ERROR_INVALID_ARGUMENT);
      assert_set_refused (store, "doc", "id", bad, "v", XUL_STORE_ERROR_INVALID_ARGUMENT);
      assert_set_refused (store, "doc", "id", "attr", bad, XUL_STORE_ERROR_INVALID_ARGUMENT);
      xs_assert_value (store, "doc", "id", "attr", NULL);
      assert_empty_list (xul_store_get_ids (store, "doc", NULL));
    }
  /* Nothing reached the disk either. */
  store = reopen (dir, store);
  assert_documents (store, (const char *const[]) { NULL });
  xs_close (store);
}

static void
test_invalid_utf8_in_lookups_is_refused (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (GError) error = NULL;

  xs_set (store, "doc", "id", "attr", "1");
  for (gsize i = 0; i < G_N_ELEMENTS (invalid_utf8); i++)
    {
      const char *bad = invalid_utf8[i];
      const char *tuples[][3] = {
        { bad, "id", "attr" },
        { "doc", bad, "attr" },
        { "doc", "id", bad },
      };

      for (gsize t = 0; t < G_N_ELEMENTS (tuples); t++)
        {
          const char *doc = tuples[t][0], *id = tuples[t][1], *attr = tuples[t][2];

          assert_null (xul_store_get_value (store, doc, id, attr, &error));
          tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_INVALID_ARGUMENT);
          assert_false (xul_store_has_value (store, doc, id, attr, &error));
          tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_INVALID_ARGUMENT);
          assert_false (xul_store_remove_value (store, doc, id, attr, &error));
          tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_INVALID_ARGUMENT);
          if (t == 2)
            continue; /* get_attributes takes no attribute */
          assert_null (xul_store_get_attributes (store, doc, id, &error));
          tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_INVALID_ARGUMENT);
        }
      assert_null (xul_store_get_ids (store, bad, &error));
      tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_INVALID_ARGUMENT);
      assert_false (xul_store_remove_document (store, bad, &error));
      tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_INVALID_ARGUMENT);
    }
  xs_assert_value (store, "doc", "id", "attr", "1");
  xs_close (store);
}

/* ---- arbitrary strings --------------------------------------------------------- */

/* Strings that break naive encodings, escapings and parsers. */
static const char *const awkward[] = {
  "\t",
  "a\tb",
  "\t\t",
  "\n",
  "line one\nline two\r\n",
  "\"quoted\"",
  "'single'",
  "back\\slash\\",
  "\\t",
  ("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
   "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f"),
  "\x1f",
  "%00%09",
  " padded ",
  "é",
  "中文字符",
  "😀👍🏽",
  "\xc2\xa0",         /* no-break space */
  "\xef\xbb\xbf",     /* byte order mark */
  "\xe2\x80\xae",     /* right-to-left override */
  "\xf4\x8f\xbf\xbf", /* U+10FFFF */
  "<a href=\"x\">&amp;</a>",
  "' OR 1=1; --",
};

static void
test_awkward_strings_round_trip_in_every_component (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (GPtrArray) model = model_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (awkward); i++)
    {
      const char *s = awkward[i];
      g_autofree char *tag = g_strdup_printf ("v%zu", i);

      set_both (store, model, s, "id", "attr", tag);
      set_both (store, model, "doc", s, "attr", tag);
      set_both (store, model, "doc", "id", s, tag);
      set_both (store, model, "doc", "id", tag, s);
      /* And every component awkward at once. */
      set_both (store, model, s, awkward[(i + 1) % G_N_ELEMENTS (awkward)],
                awkward[(i + 2) % G_N_ELEMENTS (awkward)],
                awkward[(i + 3) % G_N_ELEMENTS (awkward)]);
    }
  model_check (store, model);

  /* Read back from disk, byte for byte, and enumerated in the same order. */
  store = reopen (dir, store);
  model_check (store, model);
  xs_close (store);
}

static void
test_tuples_that_collide_under_tab_joining_stay_distinct (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (GPtrArray) model = model_new ();

  /* All of these are "a\tb\tc\td" when joined with TABs. */
  set_both (store, model, "a\tb", "c", "d", "1");
  set_both (store, model, "a", "b\tc", "d", "2");
  set_both (store, model, "a", "b", "c\td", "3");
  set_both (store, model, "a\tb\tc", "", "d", "4");
  set_both (store, model, "a", "b\tc\td", "", "5");
  set_both (store, model, "", "a\tb", "c\td", "6");
  /* And these two are "a\nb" when joined with newlines. */
  set_both (store, model, "a\nb", "", "", "7");
  set_both (store, model, "a", "b", "", "8");
  model_check (store, model);
  assert_documents (store,
                    (const char *const[]) { "", "a", "a\tb", "a\tb\tc", "a\nb", NULL });
  assert_ids (store, "a", (const char *const[]) { "b", "b\tc", "b\tc\td", NULL });

  store = reopen (dir, store);
  model_check (store, model);
  xs_close (store);
}

/* ---- the changed signal -------------------------------------------------------- */

static void
test_changed_is_emitted_after_memory_changed (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (Recorder) recorder = recorder_new (store);

  xs_set (store, "doc", "id", "attr", "1");
  xs_set (store, "doc", "id", "attr", "2");
  xs_set (store, "doc", "id", "empty", "");
  xs_remove_value (store, "doc", "id", "attr");

  assert_int_equal (recorder->events->len, 4);
  assert_string_equal (recorder->events->pdata[0], "doc|id|attr|1");
  assert_string_equal (recorder->events->pdata[1], "doc|id|attr|2");
  assert_string_equal (recorder->events->pdata[2], "doc|id|empty|");
  /* A removal reports a NULL value. */
  assert_string_equal (recorder->events->pdata[3], "doc|id|attr|(null)");
  /* Inside the handler the store already answered with the new state. */
  assert_string_equal (recorder->seen->pdata[0], "1");
  assert_string_equal (recorder->seen->pdata[1], "2");
  assert_string_equal (recorder->seen->pdata[2], "");
  assert_string_equal (recorder->seen->pdata[3], "(null)");
  xs_close (store);
}

static void
test_changed_is_not_emitted_when_nothing_changes (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (Recorder) recorder = recorder_new (store);

  xs_set (store, "doc", "id", "attr", "1");
  xs_set (store, "doc", "id", "empty", "");
  recorder_reset (recorder);
  xs_set (store, "doc", "id", "attr", "1");
  xs_set (store, "doc", "id", "empty", "");
  xs_remove_value (store, "doc", "id", "missing");
  xs_remove_value (store, "nowhere", "id", "attr");
  remove_document (store, "nowhere");
  assert_int_equal (recorder->events->len, 0);

  /* Also when the unchanged value comes from disk. */
  flush (store);
  recorder_free (g_steal_pointer (&recorder));
  store = reopen (dir, store);
  recorder = recorder_new (store);
  xs_set (store, "doc", "id", "attr", "1");
  assert_int_equal (recorder->events->len, 0);
  xs_close (store);
}

static void
test_remove_document_emits_once_per_removed_value (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (Recorder) recorder = NULL;

  xs_set (store, "a", "i", "x", "1");
  xs_set (store, "a", "i", "y", "2");
  xs_set (store, "a", "j", "x", "3");
  xs_set (store, "b", "i", "x", "4");
  xs_set (store, "c", "i", "x", "5");
  xs_set (store, "c", "k", "z", "6");
  recorder = recorder_new (store);
  remove_document (store, "a");
  assert_event_set (recorder, (const char *const[]) { "a|i|x|(null)", "a|i|y|(null)",
                                                      "a|j|x|(null)", NULL });
  /* Each handler already saw its value gone. */
  for (guint i = 0; i < recorder->seen->len; i++)
    assert_string_equal (recorder->seen->pdata[i], "(null)");

  /* A document only on disk reports the values it had there. */
  recorder_free (g_steal_pointer (&recorder));
  store = reopen (dir, store);
  recorder = recorder_new (store);
  remove_document (store, "c");
  assert_event_set (recorder, (const char *const[]) { "c|i|x|(null)", "c|k|z|(null)", NULL });
  xs_close (store);
}

static void
test_clear_emits_once_per_removed_value (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (Recorder) recorder = NULL;
  const char *const expected[] = { "a|i|x|(null)", "a|i|y|(null)", "b|i|x|(null)",
                                   "c|k|z|(null)", NULL };

  xs_set (store, "a", "i", "x", "1");
  xs_set (store, "a", "i", "y", "2");
  xs_set (store, "b", "i", "x", "3");
  xs_set (store, "c", "k", "z", "4");
  recorder = recorder_new (store);
  clear (store);
  assert_event_set (recorder, expected);
  for (guint i = 0; i < recorder->seen->len; i++)
    assert_string_equal (recorder->seen->pdata[i], "(null)");

  /* Same values again, this time cleared from disk: one document loaded, the others
   * not. */
  recorder_free (g_steal_pointer (&recorder));
  xs_set (store, "a", "i", "x", "1");
  xs_set (store, "a", "i", "y", "2");
  xs_set (store, "b", "i", "x", "3");
  xs_set (store, "c", "k", "z", "4");
  store = reopen (dir, store);
  xs_assert_value (store, "b", "i", "x", "3");
  recorder = recorder_new (store);
  clear (store);
  assert_event_set (recorder, expected);

  /* Clearing an empty store emits nothing. */
  recorder_reset (recorder);
  clear (store);
  assert_int_equal (recorder->events->len, 0);
  xs_close (store);
}

typedef struct {
  guint calls;
  gboolean saw_own_value;
  gboolean listed; /* get_documents succeeded inside the handler */
} ReentrantState;

static void
on_changed_reenter (XulStore   *store,
                    const char *doc,
                    const char *id,
                    const char *attr,
                    const char *value,
                    gpointer    data)
{
  ReentrantState *reentrant = data;
  g_autofree char *current = xul_store_get_value (store, doc, id, attr, NULL);
  /* Listings too may be called from a handler. */
  g_auto (GStrv) docs = xul_store_get_documents (store, NULL);

  reentrant->calls++;
  reentrant->listed |= docs != NULL;
  reentrant->saw_own_value |= current != NULL && value != NULL && g_str_equal (current, value);
  /* A change from inside a handler: a nested emission, not a deadlock. */
  if (g_str_equal (attr, "trigger") && value != NULL)
    xul_store_set_value (store, doc, id, "echo", value, NULL);
}

static void
test_a_changed_handler_may_call_back_into_the_store (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  ReentrantState reentrant = { 0 };

  g_signal_connect (store, "changed", G_CALLBACK (on_changed_reenter), &reentrant);
  xs_set (store, "doc", "id", "trigger", "ping");
  /* trigger, then echo from inside the first handler. */
  assert_int_equal (reentrant.calls, 2);
  assert_true (reentrant.saw_own_value);
  assert_true (reentrant.listed);
  xs_assert_value (store, "doc", "id", "echo", "ping");

  remove_document (store, "doc");
  assert_int_equal (reentrant.calls, 4);
  clear (store);
  xs_close (store);
  g_signal_handlers_disconnect_by_data (store, &reentrant);
}

/* ---- read-only stores ---------------------------------------------------------- */

static void
test_a_read_only_store_reads_but_refuses_changes (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = store_path (dir);
  g_autoptr (XulStore) writer = xs_open (dir, 0);
  g_autoptr (XulStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (Recorder) recorder = NULL;

  xs_set (writer, "doc", "id", "attr", "1");
  xs_set (writer, "doc", "id", "other", "2");
  xs_set (writer, "doc2", "id", "attr", "3");
  xs_close (writer);

  store = xs_open_path (path, XUL_STORE_FLAGS_READ_ONLY);
  recorder = recorder_new (store);
  assert_int_equal (xul_store_get_flags (store), XUL_STORE_FLAGS_READ_ONLY);
  xs_assert_value (store, "doc", "id", "attr", "1");
  xs_assert_value (store, "doc", "id", "missing", NULL);
  assert_documents (store, (const char *const[]) { "doc", "doc2", NULL });
  assert_ids (store, "doc", (const char *const[]) { "id", NULL });
  assert_attributes (store, "doc", "id", (const char *const[]) { "attr", "other", NULL });

  assert_false (xul_store_set_value (store, "doc", "id", "attr", "9", &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_READ_ONLY);
  assert_false (xul_store_set_value (store, "new", "id", "attr", "9", &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_READ_ONLY);
  assert_false (xul_store_remove_value (store, "doc", "id", "attr", &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_READ_ONLY);
  assert_false (xul_store_remove_document (store, "doc", &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_READ_ONLY);
  assert_false (xul_store_clear (store, &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_READ_ONLY);
  /* There is nothing to flush, and that is success. */
  assert_true (xul_store_flush (store, &error));
  tu_assert_no_error (error);

  /* Nothing changed, in memory or on disk. */
  assert_int_equal (recorder->events->len, 0);
  xs_assert_value (store, "doc", "id", "attr", "1");
  xs_assert_value (store, "new", "id", "attr", NULL);
  assert_documents (store, (const char *const[]) { "doc", "doc2", NULL });
  xs_close (store);
  recorder_free (g_steal_pointer (&recorder));
  g_clear_object (&store);
  store = xs_open_path (path, XUL_STORE_FLAGS_READ_ONLY);
  xs_assert_value (store, "doc", "id", "attr", "1");
  xs_assert_value (store, "doc2", "id", "attr", "3");
  xs_close (store);
}

static void
test_read_only_open_of_a_missing_file_fails_and_creates_nothing (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "missing.sqlite");
  g_autoptr (GError) error = NULL;
  g_autoptr (XulStore) store = xul_store_new (path, XUL_STORE_FLAGS_READ_ONLY, &error);

  assert_null (store);
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_NOT_FOUND);
  /* No database, journal or lock file appeared. */
  assert_false (tu_file_exists (path));
  assert_int_equal (tu_count_entries_containing (dir->path, "missing"), 0);
}

static void
test_read_only_beside_a_writer_reads_committed_state (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = store_path (dir);
  g_autoptr (XulStore) writer = xs_open (dir, 0);
  g_autoptr (XulStore) reader = NULL;
  g_autoptr (GError) error = NULL;

  xs_set (writer, "doc", "id", "attr", "1");
  xs_set (writer, "doc", "id", "empty", "");
  xs_set (writer, "other", "id", "attr", "2");
  xs_remove_value (writer, "doc", "id", "attr");
  xs_set (writer, "doc", "id", "attr", "3");
  flush (writer);

  /* The writer keeps its lock; a reader does not need it. */
  reader = xs_open_path (path, XUL_STORE_FLAGS_READ_ONLY);
  xs_assert_value (reader, "doc", "id", "attr", "3");
  xs_assert_value (reader, "doc", "id", "empty", "");
  xs_assert_value (reader, "other", "id", "attr", "2");
  assert_documents (reader, (const char *const[]) { "doc", "other", NULL });
  assert_false (xul_store_set_value (reader, "doc", "id", "attr", "4", &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_READ_ONLY);

  /* The writer is unaffected by the reader. */
  xs_set (writer, "doc", "id", "attr", "5");
  xs_assert_value (writer, "doc", "id", "attr", "5");
  xs_close (reader);
  xs_close (writer);
}

static void
test_a_read_only_file_without_records_is_an_empty_store (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = store_path (dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvDb) db = xul_kv_db_open (path, XUL_KV_OPEN_NONE, &error);
  g_autoptr (XulStore) store = NULL;

  /* A kvcore file that no XulStore has written to: no "xulstore" store in it. */
  tu_assert_no_error (error);
  assert_true (xul_kv_db_close (db, &error));
  tu_assert_no_error (error);

  store = xs_open_path (path, XUL_STORE_FLAGS_READ_ONLY);
  xs_assert_value (store, "doc", "id", "attr", NULL);
  assert_documents (store, (const char *const[]) { NULL });
  assert_empty_list (xul_store_get_ids (store, "doc", &error));
  assert_empty_list (xul_store_get_attributes (store, "doc", "id", &error));
  tu_assert_no_error (error);
  assert_false (xul_store_set_value (store, "doc", "id", "attr", "1", &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_READ_ONLY);
  xs_close (store);
}

/* ---- closed stores ------------------------------------------------------------- */

static void
test_every_call_on_a_closed_store_fails (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (GError) error = NULL;

  xs_set (store, "doc", "id", "attr", "1");
  xs_close (store);

  assert_null (xul_store_get_value (store, "doc", "id", "attr", &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED);
  assert_false (xul_store_has_value (store, "doc", "id", "attr", &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED);
  assert_false (xul_store_set_value (store, "doc", "id", "attr", "2", &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED);
  assert_false (xul_store_remove_value (store, "doc", "id", "attr", &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED);
  assert_false (xul_store_remove_document (store, "doc", &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED);
  assert_false (xul_store_clear (store, &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED);
  assert_null (xul_store_get_documents (store, &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED);
  assert_null (xul_store_get_ids (store, "doc", &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED);
  assert_null (xul_store_get_attributes (store, "doc", "id", &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED);
  assert_false (xul_store_flush (store, &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED);
  /* Also for a document never loaded, which would otherwise hit the disk. */
  assert_null (xul_store_get_value (store, "unloaded", "id", "attr", &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED);
}

static void
test_closing_twice_succeeds (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (GError) error = NULL;

  xs_set (store, "doc", "id", "attr", "1");
  assert_true (xul_store_close (store, &error));
  tu_assert_no_error (error);
  assert_true (xul_store_close (store, &error));
  tu_assert_no_error (error);
  /* The first close committed the value. */
  store = reopen (dir, store);
  xs_assert_value (store, "doc", "id", "attr", "1");
  xs_close (store);
}

static void
test_get_db_stays_valid_and_closed_after_close (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (GError) error = NULL;
  XulKvDb *db = xul_store_get_db (store);
  g_auto (GStrv) stores = NULL;

  assert_non_null (db);
  xs_close (store);
  /* Documented: "it is closed with the store and stays valid as long as the store".
   * (An earlier version promised NULL once closed.) */
  assert_ptr_equal (xul_store_get_db (store), db);
  stores = xul_kv_db_list_stores (db, &error);
  assert_null (stores);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
}

/* ---- lazy loading -------------------------------------------------------------- */

#define LAZY_DOCS 5
#define LAZY_VALUES 200

static void
populate_lazy (XulStore  *store,
               GPtrArray *model)
{
  for (guint d = 0; d < LAZY_DOCS; d++)
    for (guint v = 0; v < LAZY_VALUES; v++)
      {
        g_autofree char *doc = g_strdup_printf ("chrome://doc%u/content.xhtml", d);
        g_autofree char *id = g_strdup_printf ("element-%u", v % 20);
        g_autofree char *attr = g_strdup_printf ("attr-%u", v / 20);
        g_autofree char *value = g_strdup_printf ("value %u/%u", d, v);
        set_both (store, model, doc, id, attr, value);
      }
}

static void
test_a_reopened_store_loads_documents_on_demand (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (GPtrArray) model = model_new ();

  populate_lazy (store, model);
  store = reopen (dir, store);

  /* One value of one document first: the answer must not depend on what else was
   * loaded. */
  xs_assert_value (store, "chrome://doc3/content.xhtml", "element-7", "attr-2",
                   "value 3/47");
  /* The document list comes from a scan of the names, before the documents load. */
  assert_documents (store, (const char *const[]) {
                             "chrome://doc0/content.xhtml", "chrome://doc1/content.xhtml",
                             "chrome://doc2/content.xhtml", "chrome://doc3/content.xhtml",
                             "chrome://doc4/content.xhtml", NULL });
  /* A change to a document not loaded yet keeps the rest of it. */
  set_both (store, model, "chrome://doc1/content.xhtml", "element-0", "attr-0", "new");
  xs_remove_value (store, "chrome://doc2/content.xhtml", "element-0", "attr-0");
  g_ptr_array_remove_index (model, 2 * LAZY_VALUES);
  model_check (store, model);

  store = reopen (dir, store);
  model_check (store, model);
  xs_close (store);
}

/* ---- records that do not decode ------------------------------------------------ */

static void
put_raw (XulKvStore *kv,
         const void *key,
         gsize       key_len,
         const void *value,
         gsize       value_len)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_kv_store_put (kv, key, key_len, value, value_len, &error));
  tu_assert_no_error (error);
}

#define PUT_RAW(kv, key, value) put_raw ((kv), (key), sizeof (key) - 1, (value), sizeof (value) - 1)

/* Writes records straight into the kvcore store under a XulStore, before it opens. */
static void
write_raw_records (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvDb) db = xul_kv_db_open (path, XUL_KV_OPEN_NONE, &error);
  g_autoptr (XulKvStore) kv = NULL;

  tu_assert_no_error (error);
  kv = xul_kv_db_open_store (db, "xulstore", XUL_KV_STORE_CREATE, &error);
  tu_assert_no_error (error);

  /* Good records around the bad ones. */
  PUT_RAW (kv, "doc\0id\0a", "1");
  PUT_RAW (kv, "doc\0id\0z", "2");
  PUT_RAW (kv, "doc\0other\0a", "3");
  PUT_RAW (kv, "other\0id\0a", "4");
  /* Keys that are not three components. */
  PUT_RAW (kv, "doc", "no separator");
  PUT_RAW (kv, "doc\0id", "one separator");
  PUT_RAW (kv, "doc\0id\0b\0c", "three separators");
  PUT_RAW (kv, "zzz", "no separator, last");
  /* Components that are not UTF-8. */
  PUT_RAW (kv, "\xff\xfe\0id\0a", "bad document");
  PUT_RAW (kv, "doc\0\xff\0a", "bad id");
  PUT_RAW (kv, "doc\0id\0\xc3", "bad attribute");
  /* Values that are not UTF-8 text. */
  PUT_RAW (kv, "doc\0id\0m", "\xff\xfe");
  PUT_RAW (kv, "doc\0id\0n", "a\0b");

  g_clear_pointer (&kv, xul_kv_store_unref);
  assert_true (xul_kv_db_close (db, &error));
  tu_assert_no_error (error);
}

static void
test_records_that_do_not_decode_are_skipped (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = store_path (dir);
  g_autoptr (XulStore) store = NULL;

  write_raw_records (path);
  store = xs_open (dir, 0);

  /* A warning is logged for the skipped records; the good ones load. */
  xs_assert_value (store, "doc", "id", "a", "1");
  xs_assert_value (store, "doc", "id", "z", "2");
  xs_assert_value (store, "doc", "other", "a", "3");
  xs_assert_value (store, "other", "id", "a", "4");
  xs_assert_value (store, "doc", "id", "b", NULL);
  xs_assert_value (store, "doc", "id", "m", NULL);
  xs_assert_value (store, "doc", "id", "n", NULL);
  assert_ids (store, "doc", (const char *const[]) { "id", "other", NULL });
  assert_attributes (store, "doc", "id", (const char *const[]) { "a", "z", NULL });
  assert_documents (store, (const char *const[]) { "doc", "other", NULL });

  /* The store stays usable around them. */
  xs_set (store, "doc", "id", "c", "5");
  xs_remove_value (store, "doc", "id", "a");
  store = reopen (dir, store);
  assert_attributes (store, "doc", "id", (const char *const[]) { "c", "z", NULL });
  assert_documents (store, (const char *const[]) { "doc", "other", NULL });
  xs_close (store);
}

static void
test_document_list_skips_undecodable_names_before_loading (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = store_path (dir);
  g_autoptr (XulStore) store = NULL;

  write_raw_records (path);
  store = xs_open (dir, 0);

  /* The name scan runs first here, with no document loaded: keys without a
   * separator and a document name that is not UTF-8 are passed over. */
  assert_documents (store, (const char *const[]) { "doc", "other", NULL });
  xs_assert_value (store, "other", "id", "a", "4");
  assert_attributes (store, "doc", "id", (const char *const[]) { "a", "z", NULL });
  /* clear removes what decodes, and emits nothing for the rest. */
  clear (store);
  xs_assert_value (store, "doc", "id", "a", NULL);
  assert_empty_list (xul_store_get_ids (store, "doc", NULL));
  xs_close (store);
}

static void
test_a_document_with_only_undecodable_records_is_not_listed (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = store_path (dir);
  g_autoptr (XulStore) store = NULL;

  write_raw_records (path);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (XulKvDb) db = xul_kv_db_open (path, XUL_KV_OPEN_NONE, &error);
    g_autoptr (XulKvStore) kv = xul_kv_db_open_store (db, "xulstore", XUL_KV_STORE_NONE,
                                                      &error);
    tu_assert_no_error (error);
    PUT_RAW (kv, "junk\0id\0\xff", "bad attribute");
    PUT_RAW (kv, "junk\0id\0a", "\xff");
    g_clear_pointer (&kv, xul_kv_store_unref);
    assert_true (xul_kv_db_close (db, &error));
    tu_assert_no_error (error);
  }
  store = xs_open (dir, 0);

  /* "junk" holds no value: get_ids says so, and get_documents ("the documents that
   * hold at least one value") must agree, whether or not "junk" was loaded yet. */
  assert_documents (store, (const char *const[]) { "doc", "other", NULL });
  assert_empty_list (xul_store_get_ids (store, "junk", NULL));
  assert_documents (store, (const char *const[]) { "doc", "other", NULL });

  /* After a clear, nothing that holds a value is left, on reopening too. */
  clear (store);
  assert_documents (store, (const char *const[]) { NULL });
  store = reopen (dir, store);
  assert_documents (store, (const char *const[]) { NULL });
  xs_close (store);
}

/* ---- construction and properties ----------------------------------------------- */

static void
test_new_with_an_empty_path_is_an_invalid_argument (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XulStore) store = xul_store_new ("", XUL_STORE_FLAGS_NONE, &error);

  assert_null (store);
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_INVALID_ARGUMENT);
  store = xul_store_new ("", XUL_STORE_FLAGS_READ_ONLY, &error);
  assert_null (store);
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_INVALID_ARGUMENT);
}

static void
test_getters_return_what_was_given (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = store_path (dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (XulStore) store = xul_store_new (path, XUL_STORE_FLAGS_NONE, &error);
  g_autoptr (XulStore) reader = NULL;

  tu_assert_no_error (error);
  assert_non_null (store);
  assert_string_equal (xul_store_get_path (store), path);
  assert_int_equal (xul_store_get_flags (store), XUL_STORE_FLAGS_NONE);
  assert_non_null (xul_store_get_db (store));
  assert_string_equal (xul_kv_db_get_path (xul_store_get_db (store)), path);
  xs_set (store, "doc", "id", "attr", "1");
  flush (store);

  reader = xul_store_new (path, XUL_STORE_FLAGS_READ_ONLY, &error);
  tu_assert_no_error (error);
  assert_non_null (reader);
  assert_string_equal (xul_store_get_path (reader), path);
  assert_int_equal (xul_store_get_flags (reader), XUL_STORE_FLAGS_READ_ONLY);
  assert_non_null (xul_store_get_db (reader));
  assert_true (xul_kv_db_get_flags (xul_store_get_db (reader)) & XUL_KV_OPEN_READ_ONLY);
  xs_close (reader);
  xs_close (store);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_get_of_a_missing_value_is_empty_and_absent),
    cmocka_unit_test (test_a_stored_empty_value_is_present),
    cmocka_unit_test (test_overwriting_never_duplicates_ids_or_attributes),
    cmocka_unit_test (test_removing_a_missing_value_or_unknown_document_is_not_an_error),
    cmocka_unit_test (test_removing_the_last_attribute_drops_the_id),
    cmocka_unit_test (test_removing_the_last_value_drops_the_document),
    cmocka_unit_test (test_remove_document_removes_every_value_of_that_document_only),
    cmocka_unit_test (test_clear_removes_everything),
    cmocka_unit_test (test_unknown_document_or_id_lists_nothing),
    cmocka_unit_test (test_empty_strings_are_valid_everywhere),
    cmocka_unit_test (test_lists_are_sorted_by_utf8_bytes),
    cmocka_unit_test (test_names_of_512_characters_are_accepted_and_513_refused),
    cmocka_unit_test (test_documents_of_2048_characters_are_accepted_and_2049_refused),
    cmocka_unit_test (test_values_of_4096_characters_are_accepted_and_4097_refused),
    cmocka_unit_test (test_the_largest_tuple_fits_on_disk),
    cmocka_unit_test (test_over_long_names_in_lookups_are_not_errors),
    cmocka_unit_test (test_invalid_utf8_in_set_value_is_refused_and_stores_nothing),
    cmocka_unit_test (test_invalid_utf8_in_lookups_is_refused),
    cmocka_unit_test (test_awkward_strings_round_trip_in_every_component),
    cmocka_unit_test (test_tuples_that_collide_under_tab_joining_stay_distinct),
    cmocka_unit_test (test_changed_is_emitted_after_memory_changed),
    cmocka_unit_test (test_changed_is_not_emitted_when_nothing_changes),
    cmocka_unit_test (test_remove_document_emits_once_per_removed_value),
    cmocka_unit_test (test_clear_emits_once_per_removed_value),
    cmocka_unit_test (test_a_changed_handler_may_call_back_into_the_store),
    cmocka_unit_test (test_a_read_only_store_reads_but_refuses_changes),
    cmocka_unit_test (test_read_only_open_of_a_missing_file_fails_and_creates_nothing),
    cmocka_unit_test (test_read_only_beside_a_writer_reads_committed_state),
    cmocka_unit_test (test_a_read_only_file_without_records_is_an_empty_store),
    cmocka_unit_test (test_every_call_on_a_closed_store_fails),
    cmocka_unit_test (test_closing_twice_succeeds),
    cmocka_unit_test (test_get_db_stays_valid_and_closed_after_close),
    cmocka_unit_test (test_a_reopened_store_loads_documents_on_demand),
    cmocka_unit_test (test_records_that_do_not_decode_are_skipped),
    cmocka_unit_test (test_document_list_skips_undecodable_names_before_loading),
    cmocka_unit_test (test_a_document_with_only_undecodable_records_is_not_listed),
    cmocka_unit_test (test_new_with_an_empty_path_is_an_invalid_argument),
    cmocka_unit_test (test_getters_return_what_was_given),
  };
  return tu_run ("xulstore-semantics", tests);
}
