/* test-threads.c: one database used from several threads at once.
 *
 * cmocka cannot fail a test from a thread other than the one running it, so worker
 * threads record their first problem as text and the test thread asserts on it after
 * joining them. */
#include "kv-test.h"

#include <string.h>

#define N_THREADS 4
/* Keys per thread in the shared store: few enough that puts, deletes and gets often
 * meet the same keys. */
#define KEYS_PER_THREAD 64
/* Keys of the second store, written by every thread. */
#define COMMON_KEYS 8

/* Reads @prefix of @store into @rows. On error, @rows holds what came before it. */
static gboolean
read_prefix (XulKvStore *store,
             const char *prefix,
             GPtrArray  *rows,
             GError    **error)
{
  g_autoptr (XulKvIter) iter = xul_kv_store_iter_prefix (store, prefix, strlen (prefix),
                                                        error);

  if (iter == NULL)
    return FALSE;
  while (xul_kv_iter_next (iter, error))
    g_ptr_array_add (rows, kt_row_from_iter (iter));
  return error == NULL || *error == NULL;
}

/* Asserts that @store holds exactly the union of @models. */
static void
assert_store_is_union (XulKvStore  *store,
                       GHashTable **models,
                       guint        n_models)
{
  g_autoptr (GHashTable) all = kt_model_new ();
  g_autoptr (GPtrArray) expected = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GError) error = NULL;
  guint64 count = 0;

  for (guint i = 0; i < n_models; i++)
    {
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init (&it, models[i]);
      while (g_hash_table_iter_next (&it, &k, &v))
        g_hash_table_replace (all, g_bytes_ref (k), g_bytes_ref (v));
    }
  expected = kt_model_rows (all, NULL, 0);

  rows = kt_iterate_prefix (store, NULL, 0);
  if (!kt_rows_equal (rows, expected))
    fail_msg ("the store has %u keys, not the %u of the models, or other values",
              rows->len, expected->len);
  assert_true (xul_kv_store_count (store, &count, &error));
  tu_assert_no_error (error);
  assert_int_equal (count, expected->len);
}

/* The number of operations each worker runs; lower it for slow runs (valgrind). */
static guint
thread_ops (void)
{
  const char *text = g_getenv ("KVCORE_TEST_THREAD_OPS");
  guint64 n;

  if (text != NULL && g_ascii_string_to_unsigned (text, 10, 1, 1000000, &n, NULL))
    return (guint) n;
  return 10000;
}

/* -- mixed operations ---------------------------------------------------------------- */

typedef struct {
  XulKvDb *db;
  guint index;
  guint n_ops;
  GHashTable *model; /* the worker's keys: exact, since no other thread writes them */
  /* What this worker last wrote to each common key; NULL when it last deleted it. */
  GBytes *common_last[COMMON_KEYS];
  gboolean common_touched[COMMON_KEYS];
  guint n_done;  /* operations completed */
  char *failure; /* the first problem */
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

static GBytes *
own_key (Worker *w,
         GRand  *rand)
{
  char *key = g_strdup_printf ("t%u/k%03d", w->index,
                               g_rand_int_range (rand, 0, KEYS_PER_THREAD));

  return g_bytes_new_take (key, strlen (key));
}

/* Random bytes, NULs included, sometimes none at all. */
static GBytes *
random_value (GRand *rand)
{
  gsize len = (gsize) g_rand_int_range (rand, 0, 25);
  guint8 *data = g_malloc (MAX (len, 1));

  for (gsize i = 0; i < len; i++)
    data[i] = (guint8) g_rand_int_range (rand, 0, 256);
  return g_bytes_new_take (data, len);
}

static gboolean
op_put (Worker     *w,
        XulKvStore *store,
        GRand      *rand)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) key = own_key (w, rand);
  g_autoptr (GBytes) value = random_value (rand);

  xul_kv_store_put (store, g_bytes_get_data (key, NULL), g_bytes_get_size (key),
                    g_bytes_get_data (value, NULL), g_bytes_get_size (value), &error);
  if (!worker_check (w, error, "put"))
    return FALSE;
  g_hash_table_replace (w->model, g_bytes_ref (key), g_bytes_ref (value));
  return TRUE;
}

static gboolean
op_delete (Worker     *w,
           XulKvStore *store,
           GRand      *rand)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) key = own_key (w, rand);

  xul_kv_store_delete (store, g_bytes_get_data (key, NULL), g_bytes_get_size (key),
                       &error);
  if (!worker_check (w, error, "delete"))
    return FALSE;
  g_hash_table_remove (w->model, key);
  return TRUE;
}

static gboolean
op_get (Worker     *w,
        XulKvStore *store,
        GRand      *rand)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) key = own_key (w, rand);
  g_autoptr (GBytes) value =
    xul_kv_store_get (store, g_bytes_get_data (key, NULL), g_bytes_get_size (key), &error);
  GBytes *expected = g_hash_table_lookup (w->model, key);

  if (expected == NULL)
    {
      if (g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND))
        return TRUE;
      if (error == NULL)
        return worker_fail (w, "thread %u: get found a deleted key", w->index);
      return worker_check (w, error, "get of an absent key");
    }
  if (!worker_check (w, error, "get"))
    return FALSE;
  if (!g_bytes_equal (value, expected))
    return worker_fail (w, "thread %u: get returned another value", w->index);
  return TRUE;
}

static gboolean
op_has (Worker     *w,
        XulKvStore *store,
        GRand      *rand)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) key = own_key (w, rand);
  gboolean has = xul_kv_store_has (store, g_bytes_get_data (key, NULL),
                                   g_bytes_get_size (key), &error);

  if (!worker_check (w, error, "has"))
    return FALSE;
  if (has != g_hash_table_contains (w->model, key))
    return worker_fail (w, "thread %u: has said %d", w->index, has);
  return TRUE;
}

/* Several puts and deletes of the worker's keys, sometimes with a write to the common
 * store, in one commit; the model follows only once it succeeded. */
static gboolean
op_batch (Worker     *w,
          XulKvStore *store,
          XulKvStore *common,
          GRand      *rand)
{
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr (GError) error = NULL;
  g_autofree char *common_value = NULL;
  gint n = g_rand_int_range (rand, 2, 8);
  gint common_key = -1;

  for (gint i = 0; i < n; i++)
    {
      GBytes *key = own_key (w, rand);
      GBytes *value = g_rand_boolean (rand) ? random_value (rand) : NULL;
      if (value != NULL)
        xul_kv_batch_put (batch, store, g_bytes_get_data (key, NULL),
                          g_bytes_get_size (key), g_bytes_get_data (value, NULL),
                          g_bytes_get_size (value));
      else
        xul_kv_batch_delete (batch, store, g_bytes_get_data (key, NULL),
                             g_bytes_get_size (key));
      g_ptr_array_add (keys, key);
      g_ptr_array_add (values, value);
    }
  if (g_rand_int_range (rand, 0, 4) == 0)
    {
      g_autofree char *key = NULL;
      common_key = g_rand_int_range (rand, 0, COMMON_KEYS);
      key = g_strdup_printf ("c%d", common_key);
      common_value = g_strdup_printf ("t%u:b%u", w->index, g_rand_int (rand));
      xul_kv_batch_put (batch, common, key, strlen (key), common_value,
                        strlen (common_value));
    }

  xul_kv_db_commit (w->db, batch, XUL_KV_COMMIT_NONE, &error);
  if (!worker_check (w, error, "commit"))
    return FALSE;
  /* In order, so that the last write to a key wins, as in the commit. */
  for (guint i = 0; i < keys->len; i++)
    {
      GBytes *key = g_ptr_array_index (keys, i);
      GBytes *value = g_ptr_array_index (values, i);
      if (value != NULL)
        g_hash_table_replace (w->model, g_bytes_ref (key), g_bytes_ref (value));
      else
        g_hash_table_remove (w->model, key);
    }
  if (common_key >= 0)
    {
      g_clear_pointer (&w->common_last[common_key], g_bytes_unref);
      w->common_last[common_key] = g_bytes_new (common_value, strlen (common_value));
      w->common_touched[common_key] = TRUE;
    }
  return TRUE;
}

static gboolean
op_count (Worker     *w,
          XulKvStore *store)
{
  g_autoptr (GError) error = NULL;
  guint64 count = 0;

  xul_kv_store_count (store, &count, &error);
  if (!worker_check (w, error, "count"))
    return FALSE;
  /* Other threads' keys come and go: only bounds are certain. */
  if (count < g_hash_table_size (w->model) || count > N_THREADS * KEYS_PER_THREAD)
    return worker_fail (w, "thread %u: count %" G_GUINT64_FORMAT " with %u own keys",
                        w->index, count, g_hash_table_size (w->model));
  return TRUE;
}

static gboolean
op_iterate (Worker     *w,
            XulKvStore *store,
            GRand      *rand)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = kt_rows_new ();
  g_autoptr (GPtrArray) expected = NULL;
  g_autofree char *prefix = NULL;

  /* The worker's whole keyspace, or a tenth of it ("t1/k03" holds k030 to k039). */
  if (g_rand_boolean (rand))
    prefix = g_strdup_printf ("t%u/", w->index);
  else
    prefix = g_strdup_printf ("t%u/k0%d", w->index, g_rand_int_range (rand, 0, 7));

  read_prefix (store, prefix, rows, &error);
  if (!worker_check (w, error, "iteration"))
    return FALSE;
  expected = kt_model_rows (w->model, prefix, strlen (prefix));
  if (!kt_rows_equal (rows, expected))
    return worker_fail (w, "thread %u: iterating “%s” gave %u rows, the model %u",
                        w->index, prefix, rows->len, expected->len);
  return TRUE;
}

/* Contended keys: any thread may have written them last, so a value is only checked
 * for being one that some thread wrote. */
static gboolean
op_common (Worker     *w,
           XulKvStore *common,
           GRand      *rand)
{
  g_autoptr (GError) error = NULL;
  gint k = g_rand_int_range (rand, 0, COMMON_KEYS);
  g_autofree char *key = g_strdup_printf ("c%d", k);
  gint what = g_rand_int_range (rand, 0, 3);

  if (what == 0)
    {
      g_autofree char *value = g_strdup_printf ("t%u:p%u", w->index, g_rand_int (rand));
      xul_kv_store_put (common, key, strlen (key), value, strlen (value), &error);
      if (!worker_check (w, error, "put to the common store"))
        return FALSE;
      g_clear_pointer (&w->common_last[k], g_bytes_unref);
      w->common_last[k] = g_bytes_new (value, strlen (value));
      w->common_touched[k] = TRUE;
    }
  else if (what == 1)
    {
      xul_kv_store_delete (common, key, strlen (key), &error);
      if (!worker_check (w, error, "delete from the common store"))
        return FALSE;
      g_clear_pointer (&w->common_last[k], g_bytes_unref);
      w->common_touched[k] = TRUE;
    }
  else
    {
      g_autoptr (GBytes) value = xul_kv_store_get (common, key, strlen (key), &error);
      if (g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND))
        return TRUE;
      if (!worker_check (w, error, "get from the common store"))
        return FALSE;
      if (g_bytes_get_size (value) < 4 || ((const char *) g_bytes_get_data (value, NULL))[0] != 't')
        return worker_fail (w, "thread %u: common value not written by a worker", w->index);
    }
  return TRUE;
}

static gpointer
mixed_worker (gpointer data)
{
  Worker *w = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (7919 * (w->index + 1));
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvStore) store = xul_kv_db_open_store (w->db, "shared", XUL_KV_STORE_NONE,
                                                       &error);
  g_autoptr (XulKvStore) common = NULL;

  if (!worker_check (w, error, "open_store"))
    return NULL;
  common = xul_kv_db_open_store (w->db, "common", XUL_KV_STORE_NONE, &error);
  if (!worker_check (w, error, "open_store"))
    return NULL;

  for (guint i = 0; i < w->n_ops; i++)
    {
      gint choice = g_rand_int_range (rand, 0, 100);
      gboolean ok;
      if (choice < 30)
        ok = op_put (w, store, rand);
      else if (choice < 40)
        ok = op_delete (w, store, rand);
      else if (choice < 55)
        ok = op_get (w, store, rand);
      else if (choice < 65)
        ok = op_has (w, store, rand);
      else if (choice < 75)
        ok = op_batch (w, store, common, rand);
      else if (choice < 80)
        ok = op_count (w, store);
      else if (choice < 90)
        ok = op_iterate (w, store, rand);
      else
        ok = op_common (w, common, rand);
      if (!ok)
        break;
      w->n_done++;
    }
  return NULL;
}

/* The final value of a common key must be the last write of some worker (or absent
 * when some worker's last operation on it was a delete, or nobody touched it). */
static void
assert_common_store_is_plausible (XulKvStore *common,
                                  Worker     *workers)
{
  for (guint k = 0; k < COMMON_KEYS; k++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *key = g_strdup_printf ("c%u", k);
      g_autoptr (GBytes) value = xul_kv_store_get (common, key, strlen (key), &error);
      gboolean explained = FALSE, touched = FALSE;

      if (value == NULL)
        tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND);
      for (guint t = 0; t < N_THREADS; t++)
        {
          GBytes *last = workers[t].common_last[k];
          touched |= workers[t].common_touched[k];
          if (!workers[t].common_touched[k])
            continue;
          if (value == NULL ? last == NULL : last != NULL && g_bytes_equal (last, value))
            explained = TRUE;
        }
      if (!explained && !(value == NULL && !touched))
        fail_msg ("common key %s holds what no worker wrote last", key);
    }
}

static void
test_four_threads_of_mixed_operations_match_their_models (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "kv.sqlite");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (XulKvStore) shared = kt_open_store (db, "shared", TRUE);
  g_autoptr (XulKvStore) common = kt_open_store (db, "common", TRUE);
  Worker workers[N_THREADS] = { 0 };
  GThread *threads[N_THREADS];
  GHashTable *models[N_THREADS];

  for (guint i = 0; i < N_THREADS; i++)
    {
      workers[i].db = db;
      workers[i].index = i;
      workers[i].n_ops = thread_ops ();
      workers[i].model = models[i] = kt_model_new ();
    }
  for (guint i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new ("mixed", mixed_worker, &workers[i]);
  for (guint i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);
  for (guint i = 0; i < N_THREADS; i++)
    {
      if (workers[i].failure != NULL)
        fail_msg ("%s", workers[i].failure);
      assert_int_equal (workers[i].n_done, workers[i].n_ops);
      /* With puts three times as frequent as deletes, a model cannot end up empty. */
      assert_true (g_hash_table_size (models[i]) > 0);
    }

  assert_store_is_union (shared, models, N_THREADS);
  assert_common_store_is_plausible (common, workers);

  /* Everything was committed, not merely visible to this process. */
  kt_close_db (db);
  g_clear_pointer (&shared, xul_kv_store_unref);
  g_clear_pointer (&common, xul_kv_store_unref);
  g_clear_object (&db);
  db = kt_open_db (path, XUL_KV_OPEN_NONE);
  shared = kt_open_store (db, "shared", FALSE);
  common = kt_open_store (db, "common", FALSE);
  assert_store_is_union (shared, models, N_THREADS);
  assert_common_store_is_plausible (common, workers);

  for (guint i = 0; i < N_THREADS; i++)
    {
      g_hash_table_unref (models[i]);
      for (guint k = 0; k < COMMON_KEYS; k++)
        g_clear_pointer (&workers[i].common_last[k], g_bytes_unref);
    }
}

/* -- concurrent creation ------------------------------------------------------------- */

typedef struct {
  XulKvDb *db;
  const char *name;
  gint *ready; /* shared: threads spin until all are ready, to start together */
  XulKvStore *store;
  GError *error;
} Creator;

static gpointer
creator_thread (gpointer data)
{
  Creator *c = data;

  g_atomic_int_inc (c->ready);
  while (g_atomic_int_get (c->ready) < N_THREADS)
    g_thread_yield ();
  c->store = xul_kv_db_open_store (c->db, c->name, XUL_KV_STORE_CREATE, &c->error);
  return NULL;
}

static void
test_threads_creating_the_same_store_all_get_it_once (void **state)
{
  enum { ROUNDS = 20 };
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulKvDb) db = kt_open_db_in (dir);

  /* Several rounds: one alone would rarely hit the window between lookup and insert. */
  for (guint round = 0; round < ROUNDS; round++)
    {
      g_autofree char *name = g_strdup_printf ("fresh-%02u", round);
      g_auto (GStrv) names = NULL;
      g_autoptr (GError) error = NULL;
      Creator creators[N_THREADS] = { 0 };
      GThread *threads[N_THREADS];
      gint ready = 0;
      guint seen = 0;

      for (guint i = 0; i < N_THREADS; i++)
        {
          creators[i] = (Creator) { .db = db, .name = name, .ready = &ready };
          threads[i] = g_thread_new ("creator", creator_thread, &creators[i]);
        }
      for (guint i = 0; i < N_THREADS; i++)
        g_thread_join (threads[i]);
      for (guint i = 0; i < N_THREADS; i++)
        {
          tu_assert_no_error (creators[i].error);
          assert_non_null (creators[i].store);
        }

      names = xul_kv_db_list_stores (db, &error);
      tu_assert_no_error (error);
      assert_int_equal (g_strv_length (names), round + 1);
      for (guint i = 0; names[i] != NULL; i++)
        seen += g_str_equal (names[i], name);
      assert_int_equal (seen, 1);

      /* Every handle addresses that one store. */
      assert_true (xul_kv_store_put (creators[0].store, "k", 1, "v", 1, &error));
      tu_assert_no_error (error);
      for (guint i = 0; i < N_THREADS; i++)
        {
          assert_true (xul_kv_store_has (creators[i].store, "k", 1, &error));
          tu_assert_no_error (error);
          xul_kv_store_unref (creators[i].store);
        }
    }
}

/* -- close under load ---------------------------------------------------------------- */

typedef struct {
  XulKvDb *db;
  guint index;
  gint *closed;       /* shared, atomic: set once xul_kv_db_close has returned */
  GHashTable *model;  /* the worker's keys, as far as its operations succeeded */
  gint ops;           /* atomic: operations done */
  guint n_ok, n_closed;
  char *failure;
} Closee;

/* The only outcomes allowed: success, or CLOSED; success is not allowed for an
 * operation started after close returned. Clears *@error. */
static gboolean
closee_outcome (Closee     *w,
                gboolean    closed_before,
                GError    **error,
                const char *what)
{
  g_autoptr (GError) owned = error != NULL ? g_steal_pointer (error) : NULL;

  if (owned == NULL && closed_before)
    {
      if (w->failure == NULL)
        w->failure = g_strdup_printf ("thread %u: %s succeeded after close", w->index, what);
      return FALSE;
    }
  if (owned == NULL)
    {
      w->n_ok++;
      return TRUE;
    }
  if (g_error_matches (owned, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED))
    {
      w->n_closed++;
      return FALSE;
    }
  if (w->failure == NULL)
    w->failure = g_strdup_printf ("thread %u: %s failed with %s:%d: %s", w->index, what,
                                  g_quark_to_string (owned->domain), owned->code,
                                  owned->message);
  return FALSE;
}

/* Iterates the worker's keys step by step, checking after each step; a CLOSED error
 * may cut the iteration short, but what came before must be right. */
static void
closee_iterate (Closee     *w,
                XulKvStore *store,
                const char *prefix)
{
  g_autoptr (GPtrArray) expected = kt_model_rows (w->model, prefix, strlen (prefix));
  g_autoptr (GPtrArray) rows = kt_rows_new ();
  g_autoptr (XulKvIter) iter = NULL;
  GError *error = NULL;
  gboolean closed_before = g_atomic_int_get (w->closed);

  iter = xul_kv_store_iter_prefix (store, prefix, strlen (prefix), &error);
  if (!closee_outcome (w, closed_before, &error, "iter_prefix"))
    return;
  for (;;)
    {
      gboolean more;
      closed_before = g_atomic_int_get (w->closed);
      more = xul_kv_iter_next (iter, &error);
      if (more)
        {
          g_ptr_array_add (rows, kt_row_from_iter (iter));
          if (!closee_outcome (w, closed_before, NULL, "iter_next"))
            return;
          continue;
        }
      if (error != NULL)
        {
          if (!kt_rows_equal_upto (rows, expected, rows->len) && w->failure == NULL)
            w->failure = g_strdup_printf ("thread %u: wrong rows before close", w->index);
          closee_outcome (w, closed_before, &error, "iter_next");
          return;
        }
      break;
    }
  /* The end is reached without an error only by an iteration that read everything. */
  if (!kt_rows_equal (rows, expected) && w->failure == NULL)
    w->failure = g_strdup_printf ("thread %u: iteration gave %u rows, the model %u",
                                  w->index, rows->len, expected->len);
}

static void
closee_step (Closee     *w,
             XulKvStore *store,
             GRand      *rand)
{
  g_autofree char *key = g_strdup_printf ("t%u/k%03d", w->index,
                                          g_rand_int_range (rand, 0, KEYS_PER_THREAD));
  gsize key_len = strlen (key);
  gint choice = g_rand_int_range (rand, 0, 10);
  gboolean closed_before = g_atomic_int_get (w->closed);
  GError *error = NULL;

  switch (choice)
    {
    case 0:
    case 1:
      {
        g_autofree char *value = g_strdup_printf ("v%u", g_rand_int (rand));
        xul_kv_store_put (store, key, key_len, value, strlen (value), &error);
        if (closee_outcome (w, closed_before, &error, "put"))
          g_hash_table_replace (w->model, g_bytes_new (key, key_len),
                                g_bytes_new (value, strlen (value)));
        break;
      }
    case 2:
      {
        g_autoptr (GBytes) k = g_bytes_new (key, key_len);
        xul_kv_store_delete (store, key, key_len, &error);
        if (closee_outcome (w, closed_before, &error, "delete"))
          g_hash_table_remove (w->model, k);
        break;
      }
    case 3:
      {
        g_autoptr (GBytes) k = g_bytes_new (key, key_len);
        GBytes *expected = g_hash_table_lookup (w->model, k);
        g_autoptr (GBytes) value = xul_kv_store_get (store, key, key_len, &error);
        /* NOT_FOUND is the right answer for an absent key, not a failure. */
        if (expected == NULL && g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND))
          g_clear_error (&error);
        if (closee_outcome (w, closed_before, &error, "get") &&
            (expected == NULL ? value != NULL : !g_bytes_equal (expected, value)) &&
            w->failure == NULL)
          w->failure = g_strdup_printf ("thread %u: get returned the wrong value", w->index);
        break;
      }
    case 4:
      {
        g_autoptr (GBytes) k = g_bytes_new (key, key_len);
        gboolean has = xul_kv_store_has (store, key, key_len, &error);
        if (closee_outcome (w, closed_before, &error, "has") &&
            has != g_hash_table_contains (w->model, k) && w->failure == NULL)
          w->failure = g_strdup_printf ("thread %u: has said %d", w->index, has);
        break;
      }
    case 5:
      {
        g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
        g_autofree char *key2 = g_strdup_printf ("t%u/k%03d", w->index,
                                                 g_rand_int_range (rand, 0, KEYS_PER_THREAD));
        xul_kv_batch_put (batch, store, key, key_len, "b", 1);
        xul_kv_batch_delete (batch, store, key2, strlen (key2));
        xul_kv_db_commit (w->db, batch, XUL_KV_COMMIT_NONE, &error);
        if (closee_outcome (w, closed_before, &error, "commit"))
          {
            g_autoptr (GBytes) k2 = g_bytes_new (key2, strlen (key2));
            g_hash_table_replace (w->model, g_bytes_new (key, key_len), g_bytes_new ("b", 1));
            g_hash_table_remove (w->model, k2);
          }
        break;
      }
    case 6:
      {
        guint64 count;
        xul_kv_store_count (store, &count, &error);
        closee_outcome (w, closed_before, &error, "count");
        break;
      }
    case 7:
      {
        XulKvStore *again = xul_kv_db_open_store (w->db, "shared", XUL_KV_STORE_NONE, &error);
        g_auto (GStrv) names = NULL;
        g_clear_pointer (&again, xul_kv_store_unref);
        closee_outcome (w, closed_before, &error, "open_store");
        closed_before = g_atomic_int_get (w->closed);
        names = xul_kv_db_list_stores (w->db, &error);
        closee_outcome (w, closed_before, &error, "list_stores");
        break;
      }
    default:
      {
        g_autofree char *prefix = g_strdup_printf ("t%u/", w->index);
        closee_iterate (w, store, prefix);
        break;
      }
    }
}

static gpointer
closee_thread (gpointer data)
{
  Closee *w = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (104729 * (w->index + 1));
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvStore) store = xul_kv_db_open_store (w->db, "shared", XUL_KV_STORE_NONE,
                                                       &error);
  guint after_close = 0;

  if (store == NULL)
    {
      w->failure = g_strdup_printf ("thread %u: open_store failed: %s", w->index,
                                    error->message);
      g_atomic_int_set (&w->ops, G_MAXINT);
      return NULL;
    }
  /* Until well after close; bounded, should close never come. */
  for (guint i = 0; i < 1000000 && after_close < 50 && w->failure == NULL; i++)
    {
      if (g_atomic_int_get (w->closed))
        after_close++;
      closee_step (w, store, rand);
      g_atomic_int_inc (&w->ops);
    }
  if (after_close < 50 && w->failure == NULL)
    w->failure = g_strdup_printf ("thread %u: the database was never closed", w->index);
  /* Never leave the closer waiting on a worker that stopped early. */
  g_atomic_int_set (&w->ops, G_MAXINT);
  return NULL;
}

typedef struct {
  XulKvDb *db;
  Closee *workers;
  guint n_workers;
  gint *closed;
  gboolean ok;
  GError *error;
} Closer;

static gpointer
closer_thread (gpointer data)
{
  Closer *c = data;

  /* Every worker is well into its operations. */
  for (guint i = 0; i < c->n_workers; i++)
    while (g_atomic_int_get (&c->workers[i].ops) < 200)
      g_thread_yield ();
  c->ok = xul_kv_db_close (c->db, &c->error);
  g_atomic_int_set (c->closed, TRUE);
  return NULL;
}

static void
test_closing_while_threads_operate_gives_them_success_or_closed (void **state)
{
  enum { WORKERS = N_THREADS - 1 };
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "kv.sqlite");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (XulKvStore) shared = kt_open_store (db, "shared", TRUE);
  Closee workers[WORKERS] = { 0 };
  GThread *threads[WORKERS];
  GHashTable *models[WORKERS];
  gint closed = FALSE;
  Closer closer = { .db = db, .workers = workers, .n_workers = WORKERS, .closed = &closed };
  GThread *closing;

  for (guint i = 0; i < WORKERS; i++)
    {
      workers[i] = (Closee) { .db = db, .index = i, .closed = &closed };
      workers[i].model = models[i] = kt_model_new ();
    }
  for (guint i = 0; i < WORKERS; i++)
    threads[i] = g_thread_new ("closee", closee_thread, &workers[i]);
  closing = g_thread_new ("closer", closer_thread, &closer);
  g_thread_join (closing);
  for (guint i = 0; i < WORKERS; i++)
    g_thread_join (threads[i]);

  if (!closer.ok)
    fail_msg ("close failed: %s", closer.error->message);
  for (guint i = 0; i < WORKERS; i++)
    {
      if (workers[i].failure != NULL)
        fail_msg ("%s", workers[i].failure);
      assert_true (workers[i].n_ok > 0);
      assert_true (workers[i].n_closed >= 50);
      if (g_getenv ("KVCORE_TEST_VERBOSE"))
        g_printerr ("# closee %u: %u ok, %u closed, %u keys\n", i, workers[i].n_ok,
                    workers[i].n_closed, g_hash_table_size (models[i]));
    }

  /* An operation that reported CLOSED did nothing; one that succeeded is on disk. */
  g_clear_pointer (&shared, xul_kv_store_unref);
  g_clear_object (&db);
  db = kt_open_db (path, XUL_KV_OPEN_NONE);
  shared = kt_open_store (db, "shared", FALSE);
  assert_store_is_union (shared, models, WORKERS);

  for (guint i = 0; i < WORKERS; i++)
    g_hash_table_unref (models[i]);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_four_threads_of_mixed_operations_match_their_models),
    cmocka_unit_test (test_threads_creating_the_same_store_all_get_it_once),
    cmocka_unit_test (test_closing_while_threads_operate_gives_them_success_or_closed),
  };
  return tu_run ("kvcore-threads", tests);
}
