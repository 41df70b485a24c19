/* bench-store.c: the cost of XulStore's hot paths, as ratios against baselines
 * measured in the same run.
 *
 *   get:  cached xul_store_get_value vs a bare GHashTable lookup of the composite key
 *         plus copying the value (what the API must at least do);
 *   set:  xul_store_set_value caller latency, p50/p99/max, with the writer thread
 *         committing in the background.
 *
 * Usage: bench-store [RECORDS] */
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "xulstore.h"

#define DOC "chrome://browser/content/browser.xhtml"
#define ROUNDS 2000000

typedef struct {
  char *id;
  char *attr;
  char *composite;
} Tuple;

static Tuple *
make_tuples (guint n)
{
  static const char *const attrs[] = { "width", "height", "screenX", "screenY",
                                       "sizemode" };
  Tuple *tuples = g_new (Tuple, n);

  for (guint i = 0; i < n; i++)
    {
      tuples[i].id = g_strdup_printf ("place:%08x", g_str_hash (&i) ^ i);
      tuples[i].attr = g_strdup (attrs[i % G_N_ELEMENTS (attrs)]);
      tuples[i].composite = g_strdup_printf ("%s|%s|%s", DOC, tuples[i].id, tuples[i].attr);
    }
  return tuples;
}

static double
ns_per_op (gint64 start_us,
           guint  ops)
{
  return (double) (g_get_monotonic_time () - start_us) * 1000.0 / ops;
}

static double
bench_baseline_get (const Tuple *tuples,
                    guint        n)
{
  g_autoptr (GHashTable) table = g_hash_table_new (g_str_hash, g_str_equal);
  gsize checksum = 0;
  gint64 start;

  for (guint i = 0; i < n; i++)
    g_hash_table_insert (table, tuples[i].composite, (gpointer) "1280");
  start = g_get_monotonic_time ();
  for (guint r = 0; r < ROUNDS; r++)
    {
      char *value = g_strdup (g_hash_table_lookup (table, tuples[r % n].composite));
      checksum += value[0];
      g_free (value);
    }
  if (checksum == 0)
    fprintf (stderr, "impossible\n");
  return ns_per_op (start, ROUNDS);
}

static double
bench_store_get (XulStore    *store,
                 const Tuple *tuples,
                 guint        n)
{
  gsize checksum = 0;
  gint64 start = g_get_monotonic_time ();

  for (guint r = 0; r < ROUNDS; r++)
    {
      char *value = xul_store_get_value (store, DOC, tuples[r % n].id, tuples[r % n].attr,
                                         NULL);
      checksum += value[0];
      g_free (value);
    }
  if (checksum == 0)
    fprintf (stderr, "impossible\n");
  return ns_per_op (start, ROUNDS);
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static void
bench_store_set (XulStore    *store,
                 const Tuple *tuples,
                 guint        n)
{
  guint samples = MIN (n * 4, 200000);
  g_autofree gint64 *latency = g_new (gint64, samples);

  for (guint i = 0; i < samples; i++)
    {
      g_autofree char *value = g_strdup_printf ("%u", i);
      gint64 start = g_get_monotonic_time ();
      xul_store_set_value (store, DOC, tuples[i % n].id, tuples[i % n].attr, value, NULL);
      latency[i] = g_get_monotonic_time () - start;
    }
  qsort (latency, samples, sizeof *latency, compare_gint64);
  printf ("set_value caller latency over %u calls: p50 %" G_GINT64_FORMAT " us, "
          "p99 %" G_GINT64_FORMAT " us, max %" G_GINT64_FORMAT " us\n", samples,
          latency[samples / 2], latency[samples * 99 / 100], latency[samples - 1]);
}

static void
remove_dir (const char *dir)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *file = g_build_filename (dir, name, NULL);
      g_unlink (file);
    }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? (guint) atoi (argv[1]) : 10000;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("xulstore-bench-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "bench.sqlite", NULL);
  g_autoptr (XulStore) store = xul_store_new (path, XUL_STORE_FLAGS_NONE, &error);
  Tuple *tuples = make_tuples (n);
  double baseline, measured;

  if (store == NULL)
    {
      fprintf (stderr, "bench-store: %s\n", error->message);
      return 1;
    }
  for (guint i = 0; i < n; i++)
    xul_store_set_value (store, DOC, tuples[i].id, tuples[i].attr, "1280", NULL);

  baseline = bench_baseline_get (tuples, n);
  measured = bench_store_get (store, tuples, n);
  printf ("get_value on a loaded document, %u records: %.1f ns/op; baseline "
          "(GHashTable lookup + copy) %.1f ns/op; ratio %.2f\n", n, measured, baseline,
          measured / baseline);
  bench_store_set (store, tuples, n);

  xul_store_close (store, NULL);
  g_clear_object (&store);
  remove_dir (dir);
  return 0;
}
