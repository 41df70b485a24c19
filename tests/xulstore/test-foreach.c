/* test-foreach.c: xul_store_foreach, every value as one consistent, committed state. */
#include "xs-test.h"

#define DOC_A "chrome://a/content/a.xhtml"
#define DOC_B "chrome://b/content/b.xhtml"

typedef struct {
  GPtrArray *seen;   /* "doc|id|attr=value" */
  guint stop_after;  /* 0: never stop */
} Visit;

static gboolean
record_value (const char *doc,
              const char *id,
              const char *attr,
              const char *value,
              gpointer    data)
{
  Visit *visit = data;

  g_ptr_array_add (visit->seen, g_strdup_printf ("%s|%s|%s=%s", doc, id, attr, value));
  return visit->stop_after == 0 || visit->seen->len < visit->stop_after;
}

/* The values of @store as foreach gives them, NULL-terminated. */
static char **
visit_all (XulStore *store,
           guint     stop_after)
{
  g_autoptr (GError) error = NULL;
  Visit visit = { g_ptr_array_new_with_free_func (g_free), stop_after };

  assert_true (xul_store_foreach (store, record_value, &visit, &error));
  tu_assert_no_error (error);
  g_ptr_array_add (visit.seen, NULL);
  return (char **) g_ptr_array_free (visit.seen, FALSE);
}

static void
test_foreach_visits_every_value_sorted_by_bytes (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  const char *const expected[] = {
    DOC_A "|main|height=2",
    DOC_A "|main|width=1",
    DOC_A "|side|width=3",
    DOC_B "|Main|x=4",
    DOC_B "|main|x=5",
    DOC_B "|é|x=6",
    NULL,
  };

  xs_assert_strv (visit_all (store, 0), (const char *const[]){ NULL });
  xs_set (store, DOC_B, "é", "x", "6");
  xs_set (store, DOC_B, "main", "x", "5");
  xs_set (store, DOC_B, "Main", "x", "4");
  xs_set (store, DOC_A, "side", "width", "3");
  xs_set (store, DOC_A, "main", "width", "1");
  xs_set (store, DOC_A, "main", "height", "2");
  xs_assert_strv (visit_all (store, 0), expected);
  xs_close (store);
}

static void
test_foreach_stops_when_asked (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);

  xs_set (store, DOC_A, "a", "x", "1");
  xs_set (store, DOC_A, "b", "x", "2");
  xs_set (store, DOC_B, "c", "x", "3");
  xs_assert_strv (visit_all (store, 2),
                  (const char *const[]){ DOC_A "|a|x=1", DOC_A "|b|x=2", NULL });
  xs_close (store);
}

/* What foreach sees is on disk: a reader opened afterwards finds it, although the
 * write delay has not passed. */
static void
test_foreach_commits_what_it_visits (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 60000);
  g_autoptr (XulStore) reader = NULL;
  const char *const expected[] = { DOC_A "|main|width=800", NULL };

  xs_set (store, DOC_A, "main", "width", "800");
  xs_assert_strv (visit_all (store, 0), expected);
  reader = xs_open_path (xul_store_get_path (store), XUL_STORE_FLAGS_READ_ONLY);
  xs_assert_value (reader, DOC_A, "main", "width", "800");
  xs_assert_strv (visit_all (reader, 0), expected);
  xs_close (reader);
  xs_close (store);
}

static void
test_foreach_of_a_closed_store_fails (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (GError) error = NULL;
  Visit visit = { g_ptr_array_new_with_free_func (g_free), 0 };

  xs_close (store);
  assert_false (xul_store_foreach (store, record_value, &visit, &error));
  tu_assert_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED);
  assert_int_equal (visit.seen->len, 0);
  g_ptr_array_unref (visit.seen);
}

/* A thread sets "a" then "z" to the same counter, over and over: in any state that
 * existed, z is a or a - 1. Separate reads could see z ahead of a. */
typedef struct {
  XulStore *store;
  gint stop;
} Counter;

static gpointer
count_up (gpointer data)
{
  Counter *counter = data;

  for (guint n = 1; !g_atomic_int_get (&counter->stop); n++)
    {
      g_autofree char *value = g_strdup_printf ("%u", n);
      xs_set (counter->store, DOC_A, "counter", "a", value);
      xs_set (counter->store, DOC_A, "counter", "z", value);
    }
  return NULL;
}

typedef struct {
  gint64 a, z;
} Pair;

static gboolean
read_pair (const char *doc,
           const char *id,
           const char *attr,
           const char *value,
           gpointer    data)
{
  Pair *pair = data;

  if (g_str_equal (attr, "a"))
    pair->a = g_ascii_strtoll (value, NULL, 10);
  else
    pair->z = g_ascii_strtoll (value, NULL, 10);
  return TRUE;
}

static void
test_foreach_sees_one_state_while_another_thread_writes (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 1);
  Counter counter = { store, 0 };
  GThread *thread;

  xs_set (store, DOC_A, "counter", "a", "0");
  xs_set (store, DOC_A, "counter", "z", "0");
  thread = g_thread_new ("count-up", count_up, &counter);
  for (guint i = 0; i < 200; i++)
    {
      g_autoptr (GError) error = NULL;
      Pair pair = { -1, -1 };

      assert_true (xul_store_foreach (store, read_pair, &pair, &error));
      tu_assert_no_error (error);
      assert_true (pair.z == pair.a || pair.z == pair.a - 1);
    }
  g_atomic_int_set (&counter.stop, TRUE);
  g_thread_join (thread);
  xs_close (store);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_foreach_visits_every_value_sorted_by_bytes),
    cmocka_unit_test (test_foreach_stops_when_asked),
    cmocka_unit_test (test_foreach_commits_what_it_visits),
    cmocka_unit_test (test_foreach_of_a_closed_store_fails),
    cmocka_unit_test (test_foreach_sees_one_state_while_another_thread_writes),
  };

  return tu_run ("xulstore-foreach", tests);
}
