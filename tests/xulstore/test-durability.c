/* test-durability.c: what XulStore promises about the disk. A flush makes every change
 * durable and visible to readers; between flushes, changes are written behind the
 * caller's back; one writer at a time holds a file; a killed writer leaves the state
 * after some prefix of its changes, no older than its last flush; threads may share one
 * store.
 *
 * Children made with fork() never call cmocka (an assertion would longjmp into the
 * child's copy of the test runner): they report over pipes and end with _exit(). When
 * a child opens a store, the parent has none open, hence no writer thread, at the fork;
 * and the tests that fork run before flush_async leaves GTask's pool threads behind.
 * Children arm alarm() so that none outlives a failed parent.
 *
 * Worker threads cannot fail a cmocka test: they record their first problem as text
 * and the test thread asserts on it after joining them.
 *
 * Sizes and rounds come from the environment: XS_DUR_CRASH_ROUNDS, XS_DUR_CRASH_OPS and
 * XS_DUR_SEED (the killed writer), XS_DUR_THREAD_OPS, XS_DUR_LATENCY_CALLS,
 * XS_DUR_CLOSE_ROUNDS, XS_DUR_POLL_SECONDS, XS_DUR_HALF_VALUES, XS_DUR_HALF_ROUNDS; the defaults are smaller under valgrind and
 * ThreadSanitizer. Timings are printed as TAP comments, never asserted. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-process.h"
#include "xs-model.h"
#include "xs-test.h"

/* A write delay far beyond any test's length: only a flush or a close can write. */
#define LONG_DELAY_MS (60 * 1000)
/* No child may outlive its test by much, whatever happens to the parent. */
#define CHILD_ALARM_S 300

/* -- models: a GHashTable from "doc\1id\1attr" to the value -------------------------------- */

static void
model_set (GHashTable *model,
           const char *doc,
           const char *id,
           const char *attr,
           const char *value)
{
  g_hash_table_replace (model, xs_model_key (doc, id, attr), g_strdup (value));
}

static void
model_remove (GHashTable *model,
              const char *doc,
              const char *id,
              const char *attr)
{
  g_autofree char *key = xs_model_key (doc, id, attr);

  g_hash_table_remove (model, key);
}

static void
model_remove_document (GHashTable *model,
                       const char *doc)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, model);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (xs_model_key_in_document (key, doc))
      g_hash_table_iter_remove (&iter);
}

static gboolean
model_has_document (GHashTable *model,
                    const char *doc)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, model);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (xs_model_key_in_document (key, doc))
      return TRUE;
  return FALSE;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Part @part (1: id, 2: attribute) of the keys of @doc whose id is @id (any when NULL)
 * and starts with @prefix (any when NULL): sorted by bytes, without repeats. */
static GPtrArray *
model_names (GHashTable *model,
             const char *doc,
             const char *id,
             const char *prefix,
             guint       part)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, model);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_auto (GStrv) parts = NULL;
      if (!xs_model_key_in_document (key, doc))
        continue;
      parts = g_strsplit (key, XS_MODEL_SEP, 3);
      if ((id != NULL && strcmp (parts[1], id) != 0) ||
          (prefix != NULL && !g_str_has_prefix (parts[1], prefix)))
        continue;
      if (!g_hash_table_contains (seen, parts[part]))
        {
          char *name = g_strdup (parts[part]);
          g_ptr_array_add (names, name);
          g_hash_table_add (seen, name);
        }
    }
  g_ptr_array_sort (names, compare_strings);
  return names;
}

/* Whether @actual, restricted to the names starting with @prefix (all when NULL),
 * equals the sorted @expected. */
static gboolean
names_equal (char *const *actual,
             GPtrArray   *expected,
             const char  *prefix)
{
  guint j = 0;

  for (guint i = 0; actual[i] != NULL; i++)
    {
      if (prefix != NULL && !g_str_has_prefix (actual[i], prefix))
        continue;
      if (j >= expected->len || strcmp (actual[i], g_ptr_array_index (expected, j)) != 0)
        return FALSE;
      j++;
    }
  return j == expected->len;
}

static void
assert_sorted (char *const *names,
               const char  *what)
{
  for (guint i = 1; names[0] != NULL && names[i] != NULL; i++)
    if (strcmp (names[i - 1], names[i]) >= 0)
      fail_msg ("%s are not strictly sorted: \"%s\" before \"%s\"", what, names[i - 1],
                names[i]);
}

/* Reads @docs of @store into a model through the listings of ids and attributes,
 * asserting on the way that every listing is strictly sorted, that no listed element is
 * empty (nor, when @listed, any document) and that the point reads agree. */
static GHashTable *
dump_documents (XulStore          *store,
                const char *const *docs,
                gboolean           listed)
{
  g_autoptr (GError) error = NULL;
  GHashTable *dump = xs_model_new ();

  for (guint d = 0; docs[d] != NULL; d++)
    {
      g_auto (GStrv) ids = xul_store_get_ids (store, docs[d], &error);
      tu_assert_no_error (error);
      assert_non_null (ids);
      if (listed && ids[0] == NULL)
        fail_msg ("document \"%s\" is listed but has no element", docs[d]);
      assert_sorted (ids, "ids");
      for (guint i = 0; ids[i] != NULL; i++)
        {
          g_auto (GStrv) attrs = xul_store_get_attributes (store, docs[d], ids[i], &error);
          tu_assert_no_error (error);
          assert_non_null (attrs);
          if (attrs[0] == NULL)
            fail_msg ("element \"%s\" of \"%s\" is listed but has no attribute", ids[i],
                      docs[d]);
          assert_sorted (attrs, "attributes");
          for (guint a = 0; attrs[a] != NULL; a++)
            {
              char *value = xul_store_get_value (store, docs[d], ids[i], attrs[a], &error);
              tu_assert_no_error (error);
              assert_non_null (value);
              g_hash_table_insert (dump, xs_model_key (docs[d], ids[i], attrs[a]), value);
              assert_true (xul_store_has_value (store, docs[d], ids[i], attrs[a], &error));
              tu_assert_no_error (error);
            }
        }
    }
  return dump;
}

/* Reads all of @store through its listings, starting with the list of documents. */
static GHashTable *
dump_store (XulStore *store)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) docs = xul_store_get_documents (store, &error);

  tu_assert_no_error (error);
  assert_non_null (docs);
  assert_sorted (docs, "documents");
  return dump_documents (store, (const char *const *) docs, TRUE);
}

static void
assert_same_content (GHashTable *expected,
                     GHashTable *actual,
                     const char *what)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, expected);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *found = g_hash_table_lookup (actual, key);
      if (g_strcmp0 (found, value) != 0)
        fail_msg ("%s: [%s] holds %s%s%s instead of \"%s\"", what, xs_model_printable_key (key),
                  found != NULL ? "\"" : "", found != NULL ? found : "nothing",
                  found != NULL ? "\"" : "", (const char *) value);
    }
  g_hash_table_iter_init (&iter, actual);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (expected, key))
      fail_msg ("%s: [%s] holds \"%s\" instead of nothing", what, xs_model_printable_key (key),
                (const char *) value);
}

/* Asserts that the listings of @store show exactly @model. */
static void
assert_store_holds (XulStore   *store,
                    GHashTable *model,
                    const char *what)
{
  g_autoptr (GHashTable) dump = dump_store (store);

  assert_same_content (model, dump, what);
}

/* Asserts every value of @model with point reads, which load documents one by one
 * instead of through the list of documents. */
static void
assert_point_reads (XulStore   *store,
                    GHashTable *model)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, model);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_auto (GStrv) parts = g_strsplit (key, XS_MODEL_SEP, 3);
      xs_assert_value (store, parts[0], parts[1], parts[2], value);
    }
}

static XulStore *
open_reader (const char *path)
{
  return xs_open_path (path, XUL_STORE_FLAGS_READ_ONLY);
}

static XulStore *
open_writer (const char *path,
             guint       write_delay_ms)
{
  g_autoptr (GError) error = NULL;
  XulStore *store = g_initable_new (XUL_TYPE_STORE, NULL, &error, "path", path,
                                    "write-delay", write_delay_ms, NULL);

  tu_assert_no_error (error);
  assert_non_null (store);
  return store;
}

/* Asserts that the file at @path holds exactly @model, seen by fresh read-only stores
 * (a store caches what it has read): once through point reads, once through the
 * listings. */
static void
assert_file_holds (const char *path,
                   GHashTable *model,
                   const char *what)
{
  g_autoptr (XulStore) by_value = open_reader (path);
  g_autoptr (XulStore) by_listing = open_reader (path);

  assert_point_reads (by_value, model);
  assert_store_holds (by_listing, model, what);
  xs_close (by_value);
  xs_close (by_listing);
}

/* Asserts one value of the file at @path, through a fresh reader; NULL: none. */
static void
assert_file_value (const char *path,
                   const char *doc,
                   const char *id,
                   const char *attr,
                   const char *expected)
{
  g_autoptr (XulStore) reader = open_reader (path);

  xs_assert_value (reader, doc, id, attr, expected);
  xs_close (reader);
}

static void
flush_ok (XulStore *store)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_store_flush (store, &error));
  tu_assert_no_error (error);
}

/* -- processes --------------------------------------------------------------------------- */

/* Under memcheck, a child's exit code is 1 whenever memcheck found leaks in it
 * (tests/meson.build passes --error-exitcode=1), and a forked child always has some:
 * the stacks of the parent's other threads, the only references to their memory, are
 * not copied. ThreadSanitizer exits with 66 after any report, and GLib's mutexes are
 * invisible to it. So children report their outcome over a pipe, and their exit code
 * only counts without a checker (whose reports are in the log all the same). */
static void
assert_child_exited (int status)
{
  int code = WIFEXITED (status) ? WEXITSTATUS (status) : -1;

  if (!WIFEXITED (status))
    fail_msg ("the child did not exit: status 0x%x", (unsigned) status);
  if (code != 0 && !(tu_under_valgrind () && code == 1) && !(tu_under_tsan () && code == 66))
    fail_msg ("the child exited with %d", code);
}

/* Whether @message names @pid as a number of its own, after @path (which may hold
 * digits). */
static gboolean
message_names_pid (const char *message,
                   const char *path,
                   pid_t       pid)
{
  g_autofree char *digits = g_strdup_printf ("%d", (int) pid);
  const char *after_path = strstr (message, path);
  const char *p = after_path != NULL ? after_path + strlen (path) : message;

  while ((p = strstr (p, digits)) != NULL)
    {
      if ((p == message || !g_ascii_isdigit (p[-1])) &&
          !g_ascii_isdigit (p[strlen (digits)]))
        return TRUE;
      p++;
    }
  return FALSE;
}

/* Asserts and clears a BUSY error that names @pid. */
static void
assert_busy_naming (GError    **error,
                    const char *path,
                    pid_t       pid)
{
  assert_non_null (*error);
  if (g_error_matches (*error, XUL_STORE_ERROR, XUL_STORE_ERROR_BUSY) &&
      !message_names_pid ((*error)->message, path, pid))
    fail_msg ("the BUSY message does not name process %d: %s", (int) pid,
              (*error)->message);
  tu_assert_error (*error, XUL_STORE_ERROR, XUL_STORE_ERROR_BUSY);
}

/* -- 1. flush and close make changes durable ----------------------------------------- */

static const char *const some_docs[] = {
  "chrome://browser/content/browser.xhtml",
  "about:preferences",
  "chrome://global/content/ü-dialog.xhtml",
  "file:///home/user/page.html",
  "x",
};

/* Fills @store and @model with values over several documents, including empty and
 * non-ASCII strings and the longest value, then removes some values and a document. */
static void
populate (XulStore   *store,
          GHashTable *model,
          guint32     seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autofree char *longest = g_strnfill (XUL_STORE_MAX_VALUE_LENGTH, 'w');
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < 600; i++)
    {
      const char *doc = some_docs[g_rand_int_range (rand, 0, G_N_ELEMENTS (some_docs))];
      g_autofree char *id = g_strdup_printf ("element-%d", g_rand_int_range (rand, 0, 40));
      g_autofree char *attr = g_strdup_printf ("attr-%d", g_rand_int_range (rand, 0, 5));
      g_autofree char *value = g_strdup_printf ("value %u ✓", i);
      xs_set (store, doc, id, attr, value);
      model_set (model, doc, id, attr, value);
    }
  xs_set (store, some_docs[0], "", "width", "");
  model_set (model, some_docs[0], "", "width", "");
  xs_set (store, some_docs[1], "toolbar", "", "empty attribute");
  model_set (model, some_docs[1], "toolbar", "", "empty attribute");
  xs_set (store, some_docs[2], "ünïcode", "höhe", "längste");
  model_set (model, some_docs[2], "ünïcode", "höhe", "längste");
  xs_set (store, some_docs[3], "long", "value", longest);
  model_set (model, some_docs[3], "long", "value", longest);

  for (guint i = 0; i < 150; i++)
    {
      const char *doc = some_docs[g_rand_int_range (rand, 0, G_N_ELEMENTS (some_docs))];
      g_autofree char *id = g_strdup_printf ("element-%d", g_rand_int_range (rand, 0, 40));
      g_autofree char *attr = g_strdup_printf ("attr-%d", g_rand_int_range (rand, 0, 5));
      assert_true (xul_store_remove_value (store, doc, id, attr, &error));
      tu_assert_no_error (error);
      model_remove (model, doc, id, attr);
    }
  assert_true (xul_store_remove_document (store, some_docs[4], &error));
  tu_assert_no_error (error);
  model_remove_document (model, some_docs[4]);
}

static void
test_flush_makes_every_change_visible_to_a_reader_beside_the_writer (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "store.sqlite");
  g_autoptr (XulStore) writer = xs_open (dir, LONG_DELAY_MS);
  g_autoptr (GHashTable) model = xs_model_new ();

  populate (writer, model, 1);
  /* The test can fail: the populated model is not trivially empty. */
  assert_true (g_hash_table_size (model) > 100);
  assert_false (model_has_document (model, some_docs[4]));

  flush_ok (writer);
  assert_file_holds (path, model, "a reader beside the writer after flush");
  assert_store_holds (writer, model, "the writer");

  xs_close (writer);
  assert_file_holds (path, model, "a reader after close");
}

static void
test_values_set_before_close_are_there_after_reopening (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "store.sqlite");
  g_autoptr (XulStore) writer = xs_open (dir, LONG_DELAY_MS);
  g_autoptr (XulStore) reopened = NULL;
  g_autoptr (GHashTable) model = xs_model_new ();
  g_autoptr (GError) error = NULL;

  /* No flush: the close alone must write everything. */
  populate (writer, model, 2);
  xs_close (writer);

  reopened = open_writer (path, LONG_DELAY_MS);
  assert_true (xul_kv_db_check_integrity (xul_store_get_db (reopened), &error));
  tu_assert_no_error (error);
  assert_store_holds (reopened, model, "the writable store reopened after close");
  assert_point_reads (reopened, model);
  xs_close (reopened);
  assert_file_holds (path, model, "a reader after close");
}

static void
test_disposing_an_open_store_flushes_it_and_releases_the_file (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "store.sqlite");
  XulStore *writer = xs_open (dir, LONG_DELAY_MS);
  g_autoptr (XulStore) reopened = NULL;
  g_autoptr (GHashTable) model = xs_model_new ();

  populate (writer, model, 3);
  /* Neither flush nor close: the last reference goes. */
  g_object_unref (writer);

  assert_file_holds (path, model, "a reader after disposal");
  /* The writer lock went with it. */
  reopened = open_writer (path, 0);
  assert_store_holds (reopened, model, "the writable store reopened after disposal");
  xs_close (reopened);
}

/* -- 2. write-behind ----------------------------------------------------------------------- */

static void
test_set_value_is_written_behind_until_a_flush_that_does_not_wait_for_the_delay (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "store.sqlite");
  g_autoptr (XulStore) writer = xs_open (dir, LONG_DELAY_MS);
  const char *doc = some_docs[0];
  gint64 start, set_us, flush_us;

  start = g_get_monotonic_time ();
  xs_set (writer, doc, "main-window", "width", "1280");
  set_us = g_get_monotonic_time () - start;

  /* Memory changes at once... */
  xs_assert_value (writer, doc, "main-window", "width", "1280");
  /* ...the disk does not: give a writer that ignored the delay ample time to commit,
   * then look at the file. */
  g_usleep (300 * 1000);
  assert_file_value (path, doc, "main-window", "width", NULL);

  /* A flush that waited for the delay would take a minute here. */
  start = g_get_monotonic_time ();
  flush_ok (writer);
  flush_us = g_get_monotonic_time () - start;
  assert_file_value (path, doc, "main-window", "width", "1280");

  printf ("# write delay %u ms: set_value took %" G_GINT64_FORMAT " us, flush %"
          G_GINT64_FORMAT " us\n", LONG_DELAY_MS, set_us, flush_us);
  xs_close (writer);
}

static void
test_a_short_write_delay_reaches_the_file_without_flush (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "store.sqlite");
  g_autoptr (XulStore) writer = xs_open (dir, 50);
  const char *doc = some_docs[1];
  /* A bound on waiting, not a measurement: how long the write took is only printed. */
  guint poll_s = tu_config_uint ("XS_DUR_POLL_SECONDS", 5, 60);
  gint64 start = g_get_monotonic_time ();
  gint64 waited;
  guint polls = 0;

  xs_set (writer, doc, "sidebar", "collapsed", "true");
  for (;;)
    {
      g_autoptr (XulStore) reader = open_reader (path);
      g_autoptr (GError) error = NULL;
      gboolean has = xul_store_has_value (reader, doc, "sidebar", "collapsed", &error);

      tu_assert_no_error (error);
      polls++;
      if (has)
        {
          xs_assert_value (reader, doc, "sidebar", "collapsed", "true");
          break;
        }
      if (g_get_monotonic_time () - start > (gint64) poll_s * G_USEC_PER_SEC)
        fail_msg ("a value set with a write delay of 50 ms is not in the file after %u s",
                  poll_s);
      g_usleep (10 * 1000);
    }
  waited = g_get_monotonic_time () - start;
  printf ("# write delay 50 ms: the value reached the file after %" G_GINT64_FORMAT
          " us (%u polls)\n", waited, polls);
  xs_close (writer);
}

/* -- readers beside the writer see whole operations ---------------------------------------------- */

#define HALF_DOC "chrome://half/content/half.xhtml"

typedef struct {
  const char *path;
  guint n_values;
  gint stop;           /* atomic */
  gint n_reads;        /* atomic */
  gint done;           /* atomic */
  guint n_partial;     /* reads that saw neither all the values nor none */
  guint first_partial; /* the ids the first of them saw */
  char *failure;
} HalfReader;

/* Counts the ids of HALF_DOC in fresh read-only stores until stopped. */
static gpointer
read_until_stopped (gpointer data)
{
  HalfReader *h = data;

  while (!g_atomic_int_get (&h->stop))
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (XulStore) reader = xul_store_new (h->path, XUL_STORE_FLAGS_READ_ONLY, &error);
      g_auto (GStrv) ids = reader != NULL ? xul_store_get_ids (reader, HALF_DOC, &error) : NULL;
      guint n;

      if (ids == NULL)
        {
          h->failure = g_strdup_printf ("a read failed: %s", error->message);
          break;
        }
      n = g_strv_length (ids);
      if (n != 0 && n != h->n_values && h->n_partial++ == 0)
        h->first_partial = n;
      g_atomic_int_inc (&h->n_reads);
    }
  g_atomic_int_set (&h->done, 1);
  return NULL;
}

typedef struct {
  guint n_values, n_rounds, n_reads, n_partial, first_partial;
} HalfOutcome;

/* Removes a document of many values, in rounds, while a thread reads the file. */
static void
remove_documents_beside_a_reader (HalfOutcome *out)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "store.sqlite");
  /* No write delay: the writer commits whatever is queued as soon as it can, so every
   * moment of the removal has its chance to reach the file. */
  g_autoptr (XulStore) writer = xs_open (dir, 0);
  guint n_rounds = MAX (tu_config_uint ("XS_DUR_HALF_ROUNDS", 5, 2), 1);

  memset (out, 0, sizeof *out);
  out->n_values = MAX (tu_config_uint ("XS_DUR_HALF_VALUES", 20000, 3000), 2);
  for (; out->n_rounds < n_rounds && out->n_partial == 0; out->n_rounds++)
    {
      HalfReader h = { path, out->n_values, 0, 0, 0, 0, 0, NULL };
      g_autoptr (GError) error = NULL;
      GThread *thread;

      for (guint i = 0; i < out->n_values; i++)
        {
          g_autofree char *id = g_strdup_printf ("k%05u", i);
          xs_set (writer, HALF_DOC, id, "v", "x");
        }
      flush_ok (writer);
      thread = g_thread_new ("reader", read_until_stopped, &h);
      while (g_atomic_int_get (&h.n_reads) == 0 && !g_atomic_int_get (&h.done))
        g_usleep (100);
      assert_true (xul_store_remove_document (writer, HALF_DOC, &error));
      tu_assert_no_error (error);
      flush_ok (writer);
      g_atomic_int_set (&h.stop, 1);
      g_thread_join (thread);
      if (h.failure != NULL)
        fail_msg ("%s", h.failure);
      out->n_reads += (guint) h.n_reads;
      out->n_partial += h.n_partial;
      if (h.n_partial > 0)
        out->first_partial = h.first_partial;
      assert_file_value (path, HALF_DOC, "k00000", "v", NULL);
    }
  xs_close (writer);
}

static void
test_a_reader_beside_the_writer_never_sees_a_document_half_removed (void **state)
{
  HalfOutcome out;

  /* Asserted here, after the helper's clean-up, so that a failure leaks nothing. */
  remove_documents_beside_a_reader (&out);
  printf ("# remove_document of %u values, %u rounds: %u reads beside the writer, %u saw "
          "the document partly removed\n", out.n_values, out.n_rounds, out.n_reads,
          out.n_partial);
  if (out.n_partial > 0)
    fail_msg ("a reader beside the writer saw %u of the %u values of a document that one "
              "remove_document call removed: the removal reached the file in several "
              "commits", out.first_partial, out.n_values);
}

/* -- 4. one writer per file ------------------------------------------------------------------ */

static void
test_a_second_writable_open_in_this_process_is_busy_until_the_first_closes (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "store.sqlite");
  g_autoptr (XulStore) holder = xs_open (dir, 0);
  g_autoptr (XulStore) second = NULL;
  g_autoptr (XulStore) reader = NULL;
  g_autoptr (GError) error = NULL;

  second = xul_store_new (path, XUL_STORE_FLAGS_NONE, &error);
  assert_null (second);
  assert_busy_naming (&error, path, getpid ());

  /* The refused open left the holder's lock and data alone. */
  xs_set (holder, "doc", "id", "attr", "held");
  flush_ok (holder);
  second = xul_store_new (path, XUL_STORE_FLAGS_NONE, &error);
  assert_null (second);
  assert_busy_naming (&error, path, getpid ());

  /* Readers are welcome beside the writer. */
  reader = open_reader (path);
  xs_assert_value (reader, "doc", "id", "attr", "held");
  xs_close (reader);

  xs_close (holder);
  second = xul_store_new (path, XUL_STORE_FLAGS_NONE, &error);
  tu_assert_no_error (error);
  assert_non_null (second);
  xs_assert_value (second, "doc", "id", "attr", "held");
  xs_set (second, "doc", "id", "attr", "second");
  xs_close (second);
  assert_file_value (path, "doc", "id", "attr", "second");
}

/* What a child learnt by opening a store. */
typedef struct {
  gboolean opened;
  gboolean store_domain;
  gint code;
  char message[1024];
} OpenReport;

static void G_GNUC_NORETURN
child_try_open (const char *path,
                int         report_fd)
{
  OpenReport report;
  GError *error = NULL;
  XulStore *store;

  memset (&report, 0, sizeof report);
  store = xul_store_new (path, XUL_STORE_FLAGS_NONE, &error);
  report.opened = store != NULL;
  if (error != NULL)
    {
      report.store_domain = error->domain == XUL_STORE_ERROR;
      report.code = error->code;
      g_strlcpy (report.message, error->message, sizeof report.message);
      g_error_free (error);
    }
  /* A store opened by mistake is left as it is: closing it would write beside the
   * parent. */
  _exit (tu_write_full (report_fd, &report, sizeof report) == sizeof report ? 0 : 1);
}

static void
test_a_writable_open_in_a_child_is_busy_while_this_process_holds_the_file (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "store.sqlite");
  g_autoptr (XulStore) holder = xs_open (dir, 0);
  OpenReport report;
  gssize got;
  int fds[2], status;
  pid_t pid;

  xs_set (holder, "doc", "id", "attr", "parent");
  /* The writer thread is idle at the fork: the child only inherits quiet memory. */
  flush_ok (holder);

  tu_make_pipe (fds);
  pid = tu_fork_child (CHILD_ALARM_S);
  if (pid == 0)
    {
      close (fds[0]);
      child_try_open (path, fds[1]);
    }
  close (fds[1]);
  got = tu_read_full (fds[0], &report, sizeof report);
  close (fds[0]);
  status = tu_reap (pid);

  assert_child_exited (status);
  assert_int_equal (got, sizeof report);
  assert_false (report.opened);
  assert_true (report.store_domain);
  assert_int_equal (report.code, XUL_STORE_ERROR_BUSY);
  report.message[sizeof report.message - 1] = '\0';
  if (!message_names_pid (report.message, path, getpid ()))
    fail_msg ("the child's BUSY message does not name this process (%d): %s",
              (int) getpid (), report.message);

  /* The parent still holds the file and writes on. */
  xs_set (holder, "doc", "id", "attr", "still parent");
  xs_close (holder);
  assert_file_value (path, "doc", "id", "attr", "still parent");
}

#define HELD_DOC "chrome://held/content/held.xhtml"
#define HELD_VALUES 20

/* Opens the store, writes and flushes HELD_VALUES values, says so with a zero byte on
 * @ready_fd (another byte: the step that failed), holds the store until a byte or the
 * end of file on @release_fd, then closes it and writes its final status byte. */
static void G_GNUC_NORETURN
child_hold_store (const char *path,
                  int         ready_fd,
                  int         release_fd)
{
  GError *error = NULL;
  XulStore *store = xul_store_new (path, XUL_STORE_FLAGS_NONE, &error);
  guint8 status = store != NULL ? 0 : 1;
  char byte;

  for (guint i = 0; status == 0 && i < HELD_VALUES; i++)
    {
      g_autofree char *id = g_strdup_printf ("k%u", i);
      g_autofree char *value = g_strdup_printf ("%u", i);
      if (!xul_store_set_value (store, HELD_DOC, id, "v", value, &error))
        status = 2;
    }
  if (status == 0 && !xul_store_flush (store, &error))
    status = 3;
  if (tu_write_full (ready_fd, &status, 1) != 1 && status == 0)
    status = 4;
  if (tu_read_full (release_fd, &byte, 1) < 0 && status == 0)
    status = 5;
  if (store != NULL && !xul_store_close (store, NULL) && status == 0)
    status = 6;
  g_clear_object (&store);
  g_clear_error (&error);
  tu_write_full (ready_fd, &status, 1);
  _exit (status);
}

static void
test_a_child_holding_the_file_makes_this_process_busy_but_not_blind (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "store.sqlite");
  g_autoptr (XulStore) busy = NULL;
  g_autoptr (XulStore) after = NULL;
  g_autoptr (GError) busy_error = NULL;
  g_autoptr (GError) reader_error = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  guint8 ready = 0xff, final = 0xff;
  gboolean reader_opened;
  gssize got, got_final;
  int ready_fds[2], release_fds[2], status;
  pid_t pid;

  tu_make_pipe (ready_fds);
  tu_make_pipe (release_fds);
  pid = tu_fork_child (CHILD_ALARM_S);
  if (pid == 0)
    {
      close (ready_fds[0]);
      close (release_fds[1]);
      child_hold_store (path, ready_fds[1], release_fds[0]);
    }
  close (ready_fds[1]);
  close (release_fds[0]);

  /* Everything is only recorded until the child is released and reaped: a failed
   * assertion must not leave it waiting. */
  got = tu_read_full (ready_fds[0], &ready, 1);
  if (got == 1 && ready == 0)
    {
      g_autoptr (XulStore) reader = NULL;
      busy = xul_store_new (path, XUL_STORE_FLAGS_NONE, &busy_error);
      reader = xul_store_new (path, XUL_STORE_FLAGS_READ_ONLY, &reader_error);
      reader_opened = reader != NULL;
      for (guint i = 0; reader != NULL && reader_error == NULL && i < HELD_VALUES; i++)
        {
          g_autofree char *id = g_strdup_printf ("k%u", i);
          g_ptr_array_add (seen, xul_store_get_value (reader, HELD_DOC, id, "v",
                                                      &reader_error));
        }
    }
  else
    reader_opened = FALSE;
  tu_write_full (release_fds[1], "x", 1);
  close (release_fds[1]);
  got_final = tu_read_full (ready_fds[0], &final, 1);
  close (ready_fds[0]);
  status = tu_reap (pid);

  assert_int_equal (got, 1);
  assert_int_equal (ready, 0);
  assert_null (busy);
  assert_busy_naming (&busy_error, path, pid);
  tu_assert_no_error (reader_error);
  assert_true (reader_opened);
  assert_int_equal (seen->len, HELD_VALUES);
  for (guint i = 0; i < HELD_VALUES; i++)
    {
      g_autofree char *expected = g_strdup_printf ("%u", i);
      assert_string_equal (g_ptr_array_index (seen, i), expected);
    }
  /* 6: the child's close failed. */
  assert_int_equal (got_final, 1);
  assert_int_equal (final, 0);
  assert_child_exited (status);

  /* The child's lock went with its file: this process may write now. */
  after = xul_store_new (path, XUL_STORE_FLAGS_NONE, &error);
  tu_assert_no_error (error);
  assert_non_null (after);
  xs_assert_value (after, HELD_DOC, "k0", "v", "0");
  xs_close (after);
}

/* -- 5. a killed writer ------------------------------------------------------------------------ */

static const char *const crash_docs[] = {
  "chrome://browser/content/browser.xhtml",
  "about:preferences",
  "chrome://global/content/ü.xhtml",
  "doc-3",
  NULL,
};

/* The operations 1..@n_ops of a round, deterministic from @seed. Operation i sets
 * values to "<i>", so that every set changes the state; removals only remove what
 * exists. Flushes come after random operations and after the last. */
static GPtrArray *
crash_ops_new (guint32 seed,
               guint   n_ops)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (GHashTable) model = xs_model_new ();
  GPtrArray *ops = g_ptr_array_new_with_free_func ((GDestroyNotify) xs_op_free);

  for (guint i = 0; i < n_ops; i++)
    {
      XsOp *op = xs_op_new (XS_OP_SET);
      g_autofree char *existing = xs_model_random_key (model, rand);
      g_auto (GStrv) parts = existing != NULL ? g_strsplit (existing, XS_MODEL_SEP, 3) : NULL;
      gint r = g_rand_int_range (rand, 0, 100);
      g_autofree char *key = NULL;

      op->value = g_strdup_printf ("%u", i + 1);
      if (parts != NULL && r < 15)
        {
          /* overwrite a value */
          op->kind = XS_OP_SET;
          op->doc = g_strdup (parts[0]);
          op->id = g_strdup (parts[1]);
          op->attr = g_strdup (parts[2]);
        }
      else if (parts != NULL && r < 25)
        {
          /* another attribute of an element */
          op->kind = XS_OP_SET;
          op->doc = g_strdup (parts[0]);
          op->id = g_strdup (parts[1]);
          op->attr = g_strdup_printf ("a%u", i + 1);
        }
      else if (parts != NULL && r < 50)
        {
          op->kind = XS_OP_REMOVE;
          op->doc = g_strdup (parts[0]);
          op->id = g_strdup (parts[1]);
          op->attr = g_strdup (parts[2]);
          g_clear_pointer (&op->value, g_free);
        }
      else if (parts != NULL && r < 51)
        {
          op->kind = XS_OP_REMOVE_DOCUMENT;
          op->doc = g_strdup (parts[0]);
          g_clear_pointer (&op->value, g_free);
        }
      else
        {
          op->kind = XS_OP_SET;
          op->doc = g_strdup (crash_docs[g_rand_int_range (rand, 0, G_N_ELEMENTS (crash_docs) - 1)]);
          op->id = g_strdup_printf ("k%u", i + 1);
          op->attr = g_strdup ("v");
        }

      if (op->kind == XS_OP_REMOVE_DOCUMENT)
        {
          guint n = 0;
          g_autofree gpointer *keys = g_hash_table_get_keys_as_array (model, &n);
          g_autoptr (GPtrArray) doomed = g_ptr_array_new_with_free_func (g_free);
          for (guint k = 0; k < n; k++)
            if (xs_model_key_in_document (keys[k], op->doc))
              g_ptr_array_add (doomed, g_strdup (keys[k]));
          for (guint k = 0; k < doomed->len; k++)
            xs_op_record_change (op, model, g_ptr_array_index (doomed, k), NULL);
        }
      else
        {
          key = xs_model_key (op->doc, op->id, op->attr);
          xs_op_record_change (op, model, key, op->value);
        }
      op->flush_after = g_rand_int_range (rand, 0, 25) == 0 || i + 1 == n_ops;
      g_ptr_array_add (ops, op);
    }
  return ops;
}

/* Marks the last word a crash child writes: its status, after the acknowledgements. */
#define CRASH_STATUS 0x80000000u

/* The child of a round: runs @ops, writing the number of operations covered by each
 * successful flush to @ack_fd. Returns its status: 0 when all went well. */
static int
crash_child_run (const char *path,
                 guint       write_delay_ms,
                 GPtrArray  *ops,
                 int         ack_fd)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XulStore) store = g_initable_new (XUL_TYPE_STORE, NULL, &error, "path", path,
                                               "write-delay", write_delay_ms, NULL);

  if (store == NULL)
    return 2;
  for (guint i = 0; i < ops->len; i++)
    {
      XsOp *op = g_ptr_array_index (ops, i);
      gboolean ok = xs_op_apply (op, store, &error);

      if (!ok)
        return 3;
      if (op->flush_after)
        {
          guint32 covered = i + 1;
          if (!xul_store_flush (store, &error))
            return 4;
          if (tu_write_full (ack_fd, &covered, sizeof covered) != sizeof covered)
            return 5;
        }
    }
  return xul_store_close (store, &error) ? 0 : 6;
}

/* For a failure message: how @state differs from the state after operations 1..@n,
 * and which operations touched those keys. */
static char *
describe_difference (GPtrArray  *ops,
                     guint       n,
                     GHashTable *state)
{
  g_autoptr (GHashTable) model = xs_model_new ();
  GString *text = g_string_new (NULL);
  GHashTableIter iter;
  gpointer key, value;
  guint shown = 0;

  for (guint i = 0; i < n; i++)
    {
      XsOp *op = g_ptr_array_index (ops, i);
      for (guint c = 0; c < op->changes->len; c++)
        {
          XsChange *change = g_ptr_array_index (op->changes, c);
          if (change->new_value != NULL)
            g_hash_table_replace (model, g_strdup (change->key), g_strdup (change->new_value));
          else
            g_hash_table_remove (model, change->key);
        }
    }
  for (guint pass = 0; pass < 2; pass++)
    {
      GHashTable *from = pass == 0 ? model : state, *to = pass == 0 ? state : model;
      g_hash_table_iter_init (&iter, from);
      while (g_hash_table_iter_next (&iter, &key, &value) && shown < 8)
        {
          const char *other = g_hash_table_lookup (to, key);
          g_autofree char *printable = NULL;
          if (pass == 1 && other != NULL)
            continue;
          if (g_strcmp0 (other, value) == 0)
            continue;
          printable = xs_model_printable_key (key);
          g_string_append_printf (text, "\n#   [%s] after 1..%u: %s, file: %s; set or removed by",
                                  printable, n, pass == 0 ? (char *) value : "absent",
                                  pass == 0 ? (other != NULL ? other : "absent") : (char *) value);
          for (guint i = 0; i < ops->len; i++)
            {
              XsOp *op = g_ptr_array_index (ops, i);
              for (guint c = 0; c < op->changes->len; c++)
                if (strcmp (((XsChange *) g_ptr_array_index (op->changes, c))->key, key) == 0)
                  g_string_append_printf (text, " %u%s", i + 1,
                                          op->kind == XS_OP_REMOVE_DOCUMENT ? "(doc)" :
                                          op->kind == XS_OP_REMOVE ? "(rm)" : "");
            }
          shown++;
        }
    }
  return g_string_free (text, FALSE);
}

typedef struct {
  gint64 kill_after_us; /* 0: not killed */
  gboolean killed;      /* the signal arrived before the child reported its status */
  guint32 last_ack;
  gint prefix;
} CrashRound;

static void
crash_round (const char *path,
             guint32     seed,
             guint       n_ops,
             gint64      kill_after_us,
             CrashRound *result,
             gint64     *last_ack_us)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (GPtrArray) ops = crash_ops_new (seed, n_ops);
  g_autoptr (XulStore) store = NULL;
  g_autoptr (XulStore) reader = NULL;
  g_autoptr (GHashTable) state = NULL;
  g_autoptr (GHashTable) by_document = NULL;
  g_autoptr (GError) error = NULL;
  guint write_delay_ms = (guint) g_rand_int_range (rand, 0, 6);
  guint32 word, child_status = 0;
  guint closest;
  gboolean finished = FALSE;
  gint64 start;
  int fds[2], status = 0;
  pid_t pid;

  memset (result, 0, sizeof *result);
  result->kill_after_us = kill_after_us;
  tu_make_pipe (fds);
  start = g_get_monotonic_time ();
  pid = tu_fork_child (CHILD_ALARM_S);
  if (pid == 0)
    {
      int code;
      close (fds[0]);
      code = crash_child_run (path, write_delay_ms, ops, fds[1]);
      word = CRASH_STATUS | (guint32) code;
      tu_write_full (fds[1], &word, sizeof word);
      _exit (code);
    }
  close (fds[1]);
  if (kill_after_us > 0)
    {
      g_usleep ((gulong) kill_after_us);
      kill (pid, SIGKILL);
      status = tu_reap (pid);
    }
  while (tu_read_full (fds[0], &word, sizeof word) == sizeof word)
    {
      if ((word & CRASH_STATUS) != 0)
        {
          finished = TRUE;
          child_status = word & ~CRASH_STATUS;
        }
      else
        {
          result->last_ack = word;
          *last_ack_us = g_get_monotonic_time () - start;
        }
    }
  close (fds[0]);
  if (kill_after_us == 0)
    status = tu_reap (pid);

  result->killed = !finished;
  if (finished && child_status != 0)
    fail_msg ("seed %u: the child failed with %u (2 open, 3 change, 4 flush, 5 pipe, "
              "6 close)", seed, child_status);
  if (!finished && !(WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL))
    fail_msg ("seed %u: the child died unfinished, status 0x%x", seed, (unsigned) status);
  /* A child that finished may still have been killed while exiting. */
  if (finished && !WIFSIGNALED (status))
    assert_child_exited (status);

  /* Writable: the kernel dropped the child's lock with its file. */
  store = open_writer (path, 0);
  /* A killed process is not corruption: nothing may be quarantined. */
  assert_int_equal (xul_kv_db_get_recovery (xul_store_get_db (store)), XUL_KV_RECOVERY_NONE);
  if (!xul_kv_db_check_integrity (xul_store_get_db (store), &error))
    fail_msg ("seed %u: the integrity check failed: %s", seed, error->message);
  state = dump_store (store);
  xs_close (store);
  /* The same file read document by document, without the list of documents, in a
   * store of its own (a store caches what it read). */
  reader = open_reader (path);
  by_document = dump_documents (reader, crash_docs, FALSE);
  xs_close (reader);
  assert_same_content (state, by_document, "the file read document by document");

  result->prefix = xs_ops_longest_matching_prefix (ops, NULL, state, &closest, NULL);
  if (result->prefix < 0)
    fail_msg ("seed %u: the %u values in the file match no prefix of the %u operations "
              "(last flush acknowledged %u); the closest, 1..%u, differs on:%s", seed,
              g_hash_table_size (state), n_ops, result->last_ack, closest,
              describe_difference (ops, closest, state));
  if ((guint32) result->prefix < result->last_ack)
    fail_msg ("seed %u: the file holds operations 1..%d, but a flush acknowledged 1..%u",
              seed, result->prefix, result->last_ack);
  if (!result->killed && ((guint) result->prefix != n_ops || result->last_ack != n_ops))
    fail_msg ("seed %u: the child closed after %u operations, the file holds 1..%d "
              "(last flush acknowledged %u)", seed, n_ops, result->prefix, result->last_ack);
}

static void
test_a_killed_writer_leaves_a_prefix_no_older_than_its_last_flush (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  guint n_rounds = MAX (tu_config_uint ("XS_DUR_CRASH_ROUNDS", 40, 6), 2);
  guint n_ops = CLAMP (tu_config_uint ("XS_DUR_CRASH_OPS", 3000, 500), 1, 10000);
  guint32 base_seed = tu_config_uint ("XS_DUR_SEED", g_random_int (), g_random_int ());
  g_autoptr (GRand) rand = g_rand_new_with_seed (base_seed);
  g_autofree CrashRound *rounds = g_new0 (CrashRound, n_rounds);
  guint n_killed = 0, n_at_start = 0, n_complete = 0, n_beyond_ack = 0;
  gint64 ops_us = 0, last_ack_us = 0;
  gint lowest = G_MAXINT, highest = -1;

  printf ("# crash rounds: %u of %u operations, XS_DUR_SEED=%u\n", n_rounds, n_ops,
          base_seed);
  for (guint r = 0; r < n_rounds; r++)
    {
      g_autofree char *name = g_strdup_printf ("round-%u.sqlite", r);
      g_autofree char *path = tu_tmpdir_file (dir, name);
      gint64 kill_after_us = 0;

      /* Round 0 runs to the end and times the child's open and operations, up to its
       * last flush; the others are killed at a random moment of a window a little
       * longer than that, whatever the speed of the machine (or valgrind): mostly
       * during the open or the operations, sometimes during the close. */
      if (r > 0)
        kill_after_us = g_rand_int_range (rand, 200,
                                          (gint32) MIN (ops_us * 11 / 10 + 1000, G_MAXINT32));
      crash_round (path, base_seed + r, n_ops, kill_after_us, &rounds[r], &last_ack_us);
      if (r == 0)
        ops_us = last_ack_us;
      printf ("# round %2u: %s %7.1f ms, last flush acknowledged %4u, file holds 1..%d\n",
              r, r == 0 ? "last flush at" : rounds[r].killed ? "killed at    " : "done before  ",
              (r == 0 ? ops_us : kill_after_us) / 1000.0, rounds[r].last_ack,
              rounds[r].prefix);
    }

  for (guint r = 0; r < n_rounds; r++)
    {
      n_killed += rounds[r].killed;
      n_at_start += rounds[r].prefix == 0;
      n_complete += (guint) rounds[r].prefix == n_ops;
      n_beyond_ack += (guint32) rounds[r].prefix > rounds[r].last_ack;
      lowest = MIN (lowest, rounds[r].prefix);
      highest = MAX (highest, rounds[r].prefix);
    }
  printf ("# crash prefixes: %u rounds, %u killed; prefix 0 in %u, all %u in %u, "
          "lowest %d, highest %d; beyond the last acknowledged flush in %u\n",
          n_rounds, n_killed, n_at_start, n_ops, n_complete, lowest, highest, n_beyond_ack);
  fflush (stdout);
}

/* -- 3. flush_async --------------------------------------------------------------------------- */

typedef struct {
  GMainLoop *loop;
  GThread *thread;
  gboolean done;
  gboolean ok;
  GError *error;
} AsyncFlush;

static void
on_flushed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  AsyncFlush *flush = user_data;

  flush->thread = g_thread_self ();
  flush->ok = xul_store_flush_finish (XUL_STORE (source), result, &flush->error);
  flush->done = TRUE;
  g_main_loop_quit (flush->loop);
}

static void
test_flush_async_calls_back_in_the_callers_context_once_durable (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "store.sqlite");
  g_autoptr (XulStore) writer = xs_open (dir, LONG_DELAY_MS);
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GMainLoop) loop = g_main_loop_new (context, FALSE);
  AsyncFlush flush = { loop, NULL, FALSE, FALSE, NULL };

  xs_set (writer, "doc", "id", "attr", "async");
  g_main_context_push_thread_default (context);
  xul_store_flush_async (writer, NULL, on_flushed, &flush);
  /* The callback only runs from the caller's context, never from inside the call. */
  assert_false (flush.done);
  g_main_loop_run (loop);
  g_main_context_pop_thread_default (context);

  assert_true (flush.done);
  assert_ptr_equal (flush.thread, g_thread_self ());
  tu_assert_no_error (flush.error);
  assert_true (flush.ok);
  /* With a delay of a minute, only the flush can have written it. */
  assert_file_value (path, "doc", "id", "attr", "async");
  xs_close (writer);
}

/* -- 6. threads ------------------------------------------------------------------------------- */

#define N_WORKERS 4
#define WORKER_DOCS 3
#define WORKER_IDS 12
#define WORKER_ATTRS 4
#define SHARED_DOC "chrome://shared/content/shared.xhtml"

typedef struct {
  XulStore *store;
  guint index;
  guint n_ops;
  guint32 seed;
  GHashTable *model; /* this worker's tuples: its documents and its ids of SHARED_DOC */
  guint n_done;
  char *failure;     /* the first problem */
} Worker;

static gboolean G_GNUC_PRINTF (2, 3)
worker_fail (Worker     *w,
             const char *format,
             ...)
{
  va_list args;

  if (w->failure == NULL)
    {
      va_start (args, format);
      w->failure = g_strdup_vprintf (format, args);
      va_end (args);
    }
  return FALSE;
}

static gboolean
worker_check (Worker     *w,
              GError     *error,
              const char *what)
{
  if (error != NULL)
    return worker_fail (w, "thread %u: %s failed: %s", w->index, what, error->message);
  return TRUE;
}

static char *
worker_value (Worker *w,
              GRand  *rand)
{
  switch (g_rand_int_range (rand, 0, 20))
    {
    case 0:
      return g_strdup ("");
    case 1:
      return g_strdup ("ñ ✓ 𝄞");
    default:
      return g_strdup_printf ("t%u-%u", w->index, g_rand_int (rand));
    }
}

/* One random operation, checked against the worker's model. */
static gboolean
worker_step (Worker *w,
             GRand  *rand)
{
  g_autoptr (GError) error = NULL;
  gboolean shared = g_rand_int_range (rand, 0, 4) == 0;
  g_autofree char *own_doc = g_strdup_printf ("doc-%u-%d", w->index,
                                              g_rand_int_range (rand, 0, WORKER_DOCS));
  g_autofree char *id_prefix = g_strdup_printf ("t%u-", w->index);
  g_autofree char *id = g_strdup_printf ("%se%d", shared ? id_prefix : "",
                                         g_rand_int_range (rand, 0, WORKER_IDS));
  g_autofree char *attr = g_strdup_printf ("a%d", g_rand_int_range (rand, 0, WORKER_ATTRS));
  g_autofree char *key = NULL;
  const char *doc = shared ? SHARED_DOC : own_doc;
  const char *expected;
  gint r = g_rand_int_range (rand, 0, 100);

  key = xs_model_key (doc, id, attr);
  expected = g_hash_table_lookup (w->model, key);
  if (r < 30)
    {
      g_autofree char *value = worker_value (w, rand);
      xul_store_set_value (w->store, doc, id, attr, value, &error);
      if (!worker_check (w, error, "set_value"))
        return FALSE;
      model_set (w->model, doc, id, attr, value);
    }
  else if (r < 45)
    {
      xul_store_remove_value (w->store, doc, id, attr, &error);
      if (!worker_check (w, error, "remove_value"))
        return FALSE;
      model_remove (w->model, doc, id, attr);
    }
  else if (r < 46)
    {
      /* Only a document of this worker's own: the shared one holds the others'. */
      xul_store_remove_document (w->store, own_doc, &error);
      if (!worker_check (w, error, "remove_document"))
        return FALSE;
      model_remove_document (w->model, own_doc);
    }
  else if (r < 60)
    {
      g_autofree char *value = xul_store_get_value (w->store, doc, id, attr, &error);
      if (!worker_check (w, error, "get_value"))
        return FALSE;
      if (strcmp (value, expected != NULL ? expected : "") != 0)
        return worker_fail (w, "thread %u: get_value of %s|%s|%s gave \"%s\", not \"%s\"",
                            w->index, doc, id, attr, value, expected ? expected : "");
    }
  else if (r < 70)
    {
      gboolean has = xul_store_has_value (w->store, doc, id, attr, &error);
      if (!worker_check (w, error, "has_value"))
        return FALSE;
      if (has != (expected != NULL))
        return worker_fail (w, "thread %u: has_value of %s|%s|%s said %d", w->index, doc,
                            id, attr, has);
    }
  else if (r < 80)
    {
      g_auto (GStrv) ids = xul_store_get_ids (w->store, doc, &error);
      g_autoptr (GPtrArray) want = model_names (w->model, doc, NULL,
                                                shared ? id_prefix : NULL, 1);
      if (!worker_check (w, error, "get_ids"))
        return FALSE;
      /* In the shared document, only this worker's ids are predictable. */
      if (!names_equal (ids, want, shared ? id_prefix : NULL))
        return worker_fail (w, "thread %u: get_ids of %s differs from the model", w->index,
                            doc);
    }
  else if (r < 90)
    {
      g_auto (GStrv) attrs = xul_store_get_attributes (w->store, doc, id, &error);
      g_autoptr (GPtrArray) want = model_names (w->model, doc, id, NULL, 2);
      if (!worker_check (w, error, "get_attributes"))
        return FALSE;
      if (!names_equal (attrs, want, NULL))
        return worker_fail (w, "thread %u: get_attributes of %s|%s differs from the model",
                            w->index, doc, id);
    }
  else if (r < 99)
    {
      g_auto (GStrv) docs = xul_store_get_documents (w->store, &error);
      if (!worker_check (w, error, "get_documents"))
        return FALSE;
      /* This worker's documents are listed exactly when they hold something. */
      for (guint d = 0; d < WORKER_DOCS; d++)
        {
          g_autofree char *name = g_strdup_printf ("doc-%u-%u", w->index, d);
          gboolean listed = g_strv_contains ((const char *const *) docs, name);
          if (listed != model_has_document (w->model, name))
            return worker_fail (w, "thread %u: get_documents %s %s", w->index,
                                listed ? "lists the empty" : "misses", name);
        }
    }
  else
    {
      xul_store_flush (w->store, &error);
      if (!worker_check (w, error, "flush"))
        return FALSE;
    }
  return TRUE;
}

static gpointer
worker_thread (gpointer data)
{
  Worker *w = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (w->seed);

  for (w->n_done = 0; w->n_done < w->n_ops; w->n_done++)
    if (!worker_step (w, rand))
      break;
  return NULL;
}

static void
test_four_threads_hammering_one_store_agree_with_their_models (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "store.sqlite");
  g_autoptr (XulStore) store = xs_open (dir, 1);
  g_autoptr (XulStore) reopened = NULL;
  g_autoptr (GHashTable) all = xs_model_new ();
  g_autoptr (GError) error = NULL;
  guint n_ops = tu_config_uint ("XS_DUR_THREAD_OPS", 20000, 2000);
  guint32 seed = g_random_int ();
  Worker workers[N_WORKERS];
  GThread *threads[N_WORKERS];

  for (guint t = 0; t < N_WORKERS; t++)
    {
      workers[t] = (Worker) { store, t, n_ops, seed + t, xs_model_new (), 0, NULL };
      threads[t] = g_thread_new ("worker", worker_thread, &workers[t]);
    }
  for (guint t = 0; t < N_WORKERS; t++)
    g_thread_join (threads[t]);
  for (guint t = 0; t < N_WORKERS; t++)
    if (workers[t].failure != NULL)
      fail_msg ("%s (after %u operations, seed %u)", workers[t].failure,
                workers[t].n_done, workers[t].seed);

  for (guint t = 0; t < N_WORKERS; t++)
    {
      GHashTableIter iter;
      gpointer key, value;
      assert_int_equal (workers[t].n_done, n_ops);
      g_hash_table_iter_init (&iter, workers[t].model);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (all, g_strdup (key), g_strdup (value));
      g_hash_table_unref (workers[t].model);
    }
  /* Every worker leaves something, in its documents and in the shared one. */
  assert_true (model_has_document (all, SHARED_DOC));

  flush_ok (store);
  assert_store_holds (store, all, "the store the threads shared");
  assert_file_holds (path, all, "a reader after the threads' flush");
  xs_close (store);

  reopened = open_writer (path, 0);
  assert_true (xul_kv_db_check_integrity (xul_store_get_db (reopened), &error));
  tu_assert_no_error (error);
  assert_store_holds (reopened, all, "the store reopened after the threads");
  xs_close (reopened);
}

/* -- 7. set_value latency under a flushing writer ----------------------------------------------- */

typedef struct {
  XulStore *store;
  gint stop;       /* atomic */
  gint stopped;    /* atomic */
  gint n_flushes;  /* atomic */
  char *failure;
} Flusher;

static gpointer
flush_until_stopped (gpointer data)
{
  Flusher *f = data;

  while (!g_atomic_int_get (&f->stop))
    {
      g_autoptr (GError) error = NULL;
      if (!xul_store_flush (f->store, &error))
        {
          f->failure = g_strdup_printf ("flush failed: %s", error->message);
          break;
        }
      g_atomic_int_inc (&f->n_flushes);
    }
  g_atomic_int_set (&f->stopped, 1);
  return NULL;
}

static int
compare_gint64 (const void *a,
                const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
test_set_value_does_not_wait_for_a_flushing_writer (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "store.sqlite");
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (GHashTable) model = xs_model_new ();
  guint n_calls = MAX (tu_config_uint ("XS_DUR_LATENCY_CALLS", 10000, 10000), 1);
  g_autofree gint64 *took = g_new (gint64, n_calls);
  g_autofree char *padding = g_strnfill (100, 'p');
  Flusher flusher = { store, 0, 0, 0, NULL };
  GThread *thread;
  gint64 total = 0;
  guint over_1ms = 0;

  /* The first use of a document reads it from disk: that is not what is measured. */
  for (guint d = 0; d < 10; d++)
    {
      g_autofree char *doc = g_strdup_printf ("doc-%u", d);
      g_autoptr (GError) error = NULL;
      g_auto (GStrv) ids = xul_store_get_ids (store, doc, &error);
      tu_assert_no_error (error);
      assert_non_null (ids);
    }
  thread = g_thread_new ("flusher", flush_until_stopped, &flusher);
  /* Start measuring once the writer is busy. */
  while (g_atomic_int_get (&flusher.n_flushes) == 0 && !g_atomic_int_get (&flusher.stopped))
    g_usleep (100);
  for (guint i = 0; i < n_calls; i++)
    {
      g_autofree char *doc = g_strdup_printf ("doc-%u", i % 10);
      g_autofree char *id = g_strdup_printf ("k%u", i);
      g_autofree char *value = g_strdup_printf ("%u %s", i, padding);
      g_autoptr (GError) error = NULL;
      gint64 start = g_get_monotonic_time ();
      gboolean ok = xul_store_set_value (store, doc, "v", id, value, &error);

      took[i] = g_get_monotonic_time () - start;
      tu_assert_no_error (error);
      assert_true (ok);
      model_set (model, doc, "v", id, value);
      total += took[i];
    }
  g_atomic_int_set (&flusher.stop, 1);
  g_thread_join (thread);
  if (flusher.failure != NULL)
    fail_msg ("%s", flusher.failure);

  qsort (took, n_calls, sizeof *took, compare_gint64);
  for (guint i = 0; i < n_calls; i++)
    over_1ms += took[i] > 1000;
  printf ("# set_value beside a writer flushing in a loop (%d flushes): %u calls, mean %"
          G_GINT64_FORMAT " us, median %" G_GINT64_FORMAT " us, p99 %" G_GINT64_FORMAT
          " us, max %" G_GINT64_FORMAT " us, %u over 1 ms\n", flusher.n_flushes, n_calls,
          total / n_calls, took[n_calls / 2], took[(n_calls * 99) / 100],
          took[n_calls - 1], over_1ms);

  /* Fast is no use if wrong: everything reached the file. */
  flush_ok (store);
  xs_close (store);
  assert_file_holds (path, model, "a reader after the latency run");
}

/* -- 8. close during flush ------------------------------------------------------------------------ */

#define RACE_DOC "chrome://race/content/race.xhtml"
#define RACE_MAX_SETS 20000

typedef struct {
  XulStore *store;
  gint *progress;  /* atomic, shared: flushes completed */
  gint *finished;  /* atomic, shared: threads that stopped */
  guint n_ok;
  char *failure;
} Racer;

static gpointer
flush_until_closed (gpointer data)
{
  Racer *racer = data;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      if (!xul_store_flush (racer->store, &error))
        {
          if (!g_error_matches (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED))
            racer->failure = g_strdup_printf ("flush failed with %s:%d: %s",
                                              g_quark_to_string (error->domain),
                                              error->code, error->message);
          break;
        }
      racer->n_ok++;
      g_atomic_int_inc (racer->progress);
    }
  g_atomic_int_inc (racer->finished);
  return NULL;
}

/* Sets k0, k1, ... until the store is closed; n_ok is the number of values stored. */
static gpointer
set_until_closed (gpointer data)
{
  Racer *racer = data;

  for (guint i = 0; i < RACE_MAX_SETS; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *id = g_strdup_printf ("k%u", i);
      g_autofree char *value = g_strdup_printf ("%u", i);
      if (!xul_store_set_value (racer->store, RACE_DOC, id, "v", value, &error))
        {
          if (!g_error_matches (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED))
            racer->failure = g_strdup_printf ("set_value failed with %s:%d: %s",
                                              g_quark_to_string (error->domain),
                                              error->code, error->message);
          break;
        }
      racer->n_ok++;
    }
  g_atomic_int_inc (racer->finished);
  return NULL;
}

static void
test_closing_while_other_threads_flush_neither_crashes_nor_deadlocks (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  guint n_rounds = MAX (tu_config_uint ("XS_DUR_CLOSE_ROUNDS", 20, 5), 1);
  guint32 seed = g_random_int ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  guint total_flushes = 0, total_sets = 0;

  for (guint r = 0; r < n_rounds; r++)
    {
      g_autofree char *name = g_strdup_printf ("round-%u.sqlite", r);
      g_autofree char *path = tu_tmpdir_file (dir, name);
      g_autoptr (XulStore) store = open_writer (path, (guint) g_rand_int_range (rand, 0, 21));
      g_autoptr (XulStore) reader = NULL;
      g_autoptr (GError) error = NULL;
      gint progress = 0, finished = 0;
      Racer racers[3];
      GThread *threads[3];
      gboolean closed;

      for (guint t = 0; t < 3; t++)
        {
          racers[t] = (Racer) { store, &progress, &finished, 0, NULL };
          threads[t] = g_thread_new ("racer", t < 2 ? flush_until_closed : set_until_closed,
                                     &racers[t]);
        }
      /* Close while flushes are under way. */
      while (g_atomic_int_get (&progress) < 2 && g_atomic_int_get (&finished) == 0)
        g_usleep (100);
      g_usleep ((gulong) g_rand_int_range (rand, 0, 3000));
      closed = xul_store_close (store, &error);
      for (guint t = 0; t < 3; t++)
        g_thread_join (threads[t]);

      tu_assert_no_error (error);
      assert_true (closed);
      for (guint t = 0; t < 3; t++)
        if (racers[t].failure != NULL)
          fail_msg ("round %u (seed %u), thread %u: %s", r, seed, t, racers[t].failure);
      total_flushes += racers[0].n_ok + racers[1].n_ok;
      total_sets += racers[2].n_ok;

      /* Every set that succeeded came before the close, which flushed it. */
      reader = open_reader (path);
      for (guint i = 0; i <= racers[2].n_ok && i < RACE_MAX_SETS; i++)
        {
          g_autofree char *id = g_strdup_printf ("k%u", i);
          g_autofree char *value = g_strdup_printf ("%u", i);
          xs_assert_value (reader, RACE_DOC, id, "v", i < racers[2].n_ok ? value : NULL);
        }
      xs_close (reader);
    }
  printf ("# close during flush: %u rounds, %u flushes and %u sets before the closes\n",
          n_rounds, total_flushes, total_sets);
}

int
main (void)
{
  /* The tests that fork come before flush_async, which leaves GTask pool threads. */
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_flush_makes_every_change_visible_to_a_reader_beside_the_writer),
    cmocka_unit_test (test_values_set_before_close_are_there_after_reopening),
    cmocka_unit_test (test_disposing_an_open_store_flushes_it_and_releases_the_file),
    cmocka_unit_test (test_set_value_is_written_behind_until_a_flush_that_does_not_wait_for_the_delay),
    cmocka_unit_test (test_a_short_write_delay_reaches_the_file_without_flush),
    cmocka_unit_test (test_a_reader_beside_the_writer_never_sees_a_document_half_removed),
    cmocka_unit_test (test_a_second_writable_open_in_this_process_is_busy_until_the_first_closes),
    cmocka_unit_test (test_a_writable_open_in_a_child_is_busy_while_this_process_holds_the_file),
    cmocka_unit_test (test_a_child_holding_the_file_makes_this_process_busy_but_not_blind),
    cmocka_unit_test (test_a_killed_writer_leaves_a_prefix_no_older_than_its_last_flush),
    cmocka_unit_test (test_flush_async_calls_back_in_the_callers_context_once_durable),
    cmocka_unit_test (test_four_threads_hammering_one_store_agree_with_their_models),
    cmocka_unit_test (test_set_value_does_not_wait_for_a_flushing_writer),
    cmocka_unit_test (test_closing_while_other_threads_flush_neither_crashes_nor_deadlocks),
  };

  return tu_run ("xulstore-durability", tests);
}
