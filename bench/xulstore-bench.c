/* xulstore-bench.c: xulstore against the legacy JSON store and plain SQLite, in one run,
 * for several store sizes: a table on stdout, CSV files and gnuplot plots.
 *
 *   xulstore-bench [--output DIR] [--sizes 10,1000,10000,100000]
 *
 * Cold starts and migrations run in fresh child processes (this program, re-executed
 * with --child), so that they pay what an application pays at start-up. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-figures.h"

extern char **environ;

#define COLD_RUNS 7
#define MIGRATE_RUNS 3

/* ---- children ----------------------------------------------------------------------- */

static const char *const window_attrs[] = { "width", "height", "screenX", "screenY",
                                            "sizemode" };

static int
child_cold_xul (const char *path)
{
  gint64 start = bench_now_ns ();
  g_autoptr (XulStore) store = xul_store_new (path, XUL_STORE_FLAGS_NONE, NULL);
  gint64 elapsed;

  for (gsize i = 0; i < G_N_ELEMENTS (window_attrs); i++)
    g_free (xul_store_get_value (store, BENCH_WINDOW_DOC, BENCH_WINDOW_ID, window_attrs[i],
                                 NULL));
  elapsed = bench_now_ns () - start;
  printf ("%" G_GINT64_FORMAT "\n", elapsed);
  xul_store_close (store, NULL);
  return 0;
}

static int
child_cold_json (const char *path)
{
  gint64 start = bench_now_ns ();
  g_autofree char *text = NULL;
  json_object *root, *doc, *id, *value;
  gint64 elapsed;

  g_file_get_contents (path, &text, NULL, NULL);
  root = json_tokener_parse (text);
  json_object_object_get_ex (root, BENCH_WINDOW_DOC, &doc);
  json_object_object_get_ex (doc, BENCH_WINDOW_ID, &id);
  for (gsize i = 0; i < G_N_ELEMENTS (window_attrs); i++)
    {
      json_object_object_get_ex (id, window_attrs[i], &value);
      g_free (g_strdup (json_object_get_string (value)));
    }
  elapsed = bench_now_ns () - start;
  printf ("%" G_GINT64_FORMAT "\n", elapsed);
  json_object_put (root);
  return 0;
}

/* VmHWM of /proc/self/status: the peak resident set of this process. */
static guint64
peak_rss_bytes (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmHWM:")) == NULL)
    return 0;
  return g_ascii_strtoull (line + 6, NULL, 10) * 1024;
}

static int
child_migrate (const char *profile)
{
  gint64 start = bench_now_ns (), elapsed;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulStore) store = xul_store_open_profile (profile, XUL_ROLLOUT_MIGRATE, NULL,
                                                       &error);

  g_assert_no_error (error);
  elapsed = bench_now_ns () - start;
  xul_store_close (store, NULL);
  /* The peak comes from the child itself: a spawned child's rusage can include the
   * parent's memory from before exec. */
  printf ("%" G_GINT64_FORMAT " %" G_GUINT64_FORMAT "\n", elapsed, peak_rss_bytes ());
  return 0;
}

static int
run_as_child (int    argc,
              char **argv)
{
  if (argc == 4 && g_str_equal (argv[2], "cold-xul"))
    return child_cold_xul (argv[3]);
  if (argc == 4 && g_str_equal (argv[2], "cold-json"))
    return child_cold_json (argv[3]);
  if (argc == 4 && g_str_equal (argv[2], "migrate"))
    return child_migrate (argv[3]);
  return 2;
}

/* Runs this program as a child; returns the first number it printed (ns), and the
 * second (its peak RSS in bytes) in @rss_bytes. */
static double
spawn_child (const char *mode,
             const char *arg,
             double     *rss_bytes)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  char *argv[] = { self, (char *) "--child", (char *) mode, (char *) arg, NULL };
  int out[2];
  pid_t pid;
  int status;
  char buffer[64] = "";
  ssize_t n;
  posix_spawn_file_actions_t actions;

  g_assert (pipe (out) == 0);
  posix_spawn_file_actions_init (&actions);
  posix_spawn_file_actions_adddup2 (&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose (&actions, out[0]);
  g_assert (posix_spawn (&pid, self, &actions, NULL, argv, environ) == 0);
  posix_spawn_file_actions_destroy (&actions);
  close (out[1]);
  n = read (out[0], buffer, sizeof buffer - 1);
  close (out[0]);
  g_assert (waitpid (pid, &status, 0) == pid && WIFEXITED (status) &&
            WEXITSTATUS (status) == 0);
  if (n <= 0)
    return -1;
  buffer[n] = '\0';
  {
    char *end;
    double value = g_ascii_strtod (buffer, &end);
    if (rss_bytes != NULL)
      *rss_bytes = g_ascii_strtod (end, NULL);
    return value;
  }
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median_child (const char *mode,
              const char *arg,
              guint       runs)
{
  double samples[COLD_RUNS];

  for (guint i = 0; i < runs; i++)
    samples[i] = spawn_child (mode, arg, NULL);
  qsort (samples, runs, sizeof *samples, compare_double);
  return samples[runs / 2];
}

/* ---- set-up ------------------------------------------------------------------------- */

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static XulStore *
open_store (const char *path,
            guint       write_delay_ms)
{
  g_autoptr (GError) error = NULL;
  XulStore *store = g_initable_new (XUL_TYPE_STORE, NULL, &error, "path", path,
                                    "write-delay", write_delay_ms, NULL);

  g_assert_no_error (error);
  return store;
}

static sqlite3 *
open_sqlite_baseline (const char *path,
                      BenchData  *data)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *insert = NULL;

  g_assert (sqlite3_open (path, &db) == SQLITE_OK);
  sqlite3_exec (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                    "CREATE TABLE t (doc TEXT, id TEXT, attr TEXT, value TEXT,"
                    " PRIMARY KEY (doc, id, attr)) WITHOUT ROWID; BEGIN", NULL, NULL, NULL);
  sqlite3_prepare_v2 (db, "INSERT INTO t VALUES (?1, ?2, ?3, ?4)", -1, &insert, NULL);
  for (guint i = 0; i < data->n; i++)
    {
      sqlite3_bind_text (insert, 1, data->records[i].doc, -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 2, data->records[i].id, -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 3, data->records[i].attr, -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 4, data->records[i].value, -1, SQLITE_STATIC);
      sqlite3_step (insert);
      sqlite3_reset (insert);
    }
  sqlite3_finalize (insert);
  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  return db;
}

static void
measure_size (guint     size,
              BenchRow *row)
{
  g_autofree char *dir = g_dir_make_tmp ("xulstore-bench-XXXXXX", NULL);
  g_autofree char *cold_path = g_build_filename (dir, "cold.sqlite", NULL);
  g_autofree char *work_path = g_build_filename (dir, "work.sqlite", NULL);
  g_autofree char *sqlite_path = g_build_filename (dir, "baseline.sqlite", NULL);
  g_autofree char *json_path = g_build_filename (dir, "xulstore.json", NULL);
  BenchContext ctx = { bench_data_new (size) };
  g_autoptr (GBytes) json = bench_data_to_json (ctx.data);
  XulStore *cold;

  row->size = size;
  row->legacy_bytes = g_bytes_get_size (json);
  g_file_set_contents (json_path, g_bytes_get_data (json, NULL), g_bytes_get_size (json), NULL);

  /* A store as an application leaves it: filled, closed cleanly, backed up. */
  cold = open_store (cold_path, 200);
  bench_data_fill_store (ctx.data, cold);
  xul_store_close (cold, NULL);
  g_object_unref (cold);
  row->cold_xul_ns = median_child ("cold-xul", cold_path, COLD_RUNS);
  row->cold_json_ns = median_child ("cold-json", json_path, COLD_RUNS);

  ctx.store = open_store (work_path, 1);
  bench_data_fill_store (ctx.data, ctx.store);
  ctx.json = json_tokener_parse (g_bytes_get_data (json, NULL));
  ctx.sqlite = open_sqlite_baseline (sqlite_path, ctx.data);
  ctx.legacy_path = g_build_filename (dir, "saved.json", NULL);
  bench_get (&ctx, row);
  bench_set (&ctx, row);
  bench_persist (&ctx, row);
  bench_sustained (&ctx, row);
  xul_store_close (ctx.store, NULL);
  g_object_unref (ctx.store);
  json_object_put (ctx.json);
  sqlite3_close (ctx.sqlite);

  {
    double times[MIGRATE_RUNS], rss = 0;
    for (guint i = 0; i < MIGRATE_RUNS; i++)
      {
        g_autofree char *profile = g_build_filename (dir, "profile", NULL);
        g_autofree char *legacy = g_build_filename (profile, "xulstore.json", NULL);
        double run_rss;
        remove_tree (profile);
        g_mkdir (profile, 0700);
        g_file_set_contents (legacy, g_bytes_get_data (json, NULL), g_bytes_get_size (json),
                             NULL);
        times[i] = spawn_child ("migrate", profile, &run_rss);
        rss = i == 0 ? run_rss : MIN (rss, run_rss);
      }
    qsort (times, MIGRATE_RUNS, sizeof *times, compare_double);
    row->migrate_ns = times[MIGRATE_RUNS / 2];
    row->migrate_rss_bytes = rss;
  }

  g_free (ctx.legacy_path);
  bench_data_free (ctx.data);
  remove_tree (dir);
}

/* ---- output ------------------------------------------------------------------------- */

typedef struct {
  const char *label;
  int decimals;       /* shown in the table */
  double scale;       /* the value is divided by it */
  gsize offset;       /* of the double in BenchRow */
} Line;

#define LINE(label, decimals, scale, field) \
  { label, decimals, scale, G_STRUCT_OFFSET (BenchRow, field) }

static const Line table[] = {
  LINE ("get_value, ns: xulstore (cached)", 1, 1, get_xul),
  LINE ("  GHashTable lookup + copy", 1, 1, get_hash),
  LINE ("  json-c tree lookup (legacy)", 1, 1, get_json),
  LINE ("  SQLite prepared point query", 1, 1, get_sqlite),
  LINE ("set_value p50, us: xulstore", 2, 1e3, set_xul_p50),
  LINE ("set_value p99, us: xulstore", 2, 1e3, set_xul_p99),
  LINE ("  legacy in-memory update p50", 2, 1e3, set_json_p50),
  LINE ("  legacy in-memory update p99", 2, 1e3, set_json_p99),
  LINE ("  SQLite autocommit upsert p50", 2, 1e3, set_sqlite_p50),
  LINE ("  SQLite autocommit upsert p99", 2, 1e3, set_sqlite_p99),
  LINE ("persist one change, bytes: xulstore", 0, 1, persist_xul_bytes),
  LINE ("  legacy whole-file rewrite", 0, 1, persist_json_bytes),
  LINE ("persist one change, us: xulstore", 0, 1e3, persist_xul_ns),
  LINE ("  legacy whole-file rewrite", 0, 1e3, persist_json_ns),
  LINE ("cold start, us: xulstore open + 5 reads", 0, 1e3, cold_xul_ns),
  LINE ("  legacy read + parse + 5 reads", 0, 1e3, cold_json_ns),
  LINE ("sustained writes/s: xulstore + flush", 0, 1, sustained_xul),
  LINE ("  SQLite batched transaction", 0, 1, sustained_sqlite),
  LINE ("migration, ms", 1, 1e6, migrate_ns),
  LINE ("migration peak RSS, MiB", 1, 1048576, migrate_rss_bytes),
  LINE ("legacy file, KiB", 1, 1024, legacy_bytes),
};

static double
field (const BenchRow *row,
       gsize           offset)
{
  return G_STRUCT_MEMBER (double, row, offset);
}

/* "12.5x better" when @baseline / @ours >= 1, else "3.2x worse": never "0.0x better". */
static char *
describe_ratio (double      baseline,
                double      ours,
                const char *better,
                const char *worse)
{
  if (baseline >= ours)
    return g_strdup_printf ("%.1fx %s", baseline / ours, better);
  return g_strdup_printf ("%.1fx %s", ours / baseline, worse);
}

static void
print_table (const BenchRow *rows,
             guint           n)
{
  printf ("%-42s", "records");
  for (guint i = 0; i < n; i++)
    printf ("%10u", rows[i].size);
  printf ("\n");
  for (gsize l = 0; l < G_N_ELEMENTS (table); l++)
    {
      printf ("%-42s", table[l].label);
      for (guint i = 0; i < n; i++)
        printf ("%10.*f", table[l].decimals, field (&rows[i], table[l].offset) / table[l].scale);
      printf ("\n");
    }
  printf ("\nratios\n");
  for (guint i = 0; i < n; i++)
    {
      const BenchRow *r = &rows[i];
      g_autofree char *persist = describe_ratio (r->persist_json_bytes, r->persist_xul_bytes,
                                                 "fewer bytes", "more bytes");
      g_autofree char *cold = describe_ratio (r->cold_json_ns, r->cold_xul_ns, "faster",
                                              "slower");

      printf ("  %6u records: get %.2fx GHashTable; persist %s than the rewrite; cold start "
              "%s than the parse (%.2fx the 10-record start); migration %.0f records/s, "
              "RSS %.1fx the file\n",
              r->size, r->get_xul / r->get_hash, persist, cold,
              r->cold_xul_ns / rows[0].cold_xul_ns, r->size / (r->migrate_ns / 1e9),
              r->migrate_rss_bytes / r->legacy_bytes);
    }
}

static void
write_csv (const char     *path,
           const BenchRow *rows,
           guint           n)
{
  g_autoptr (GString) csv = g_string_new ("records");

  for (gsize l = 0; l < G_N_ELEMENTS (table); l++)
    {
      /* A label holds commas ("get_value, ns: ..."): not in a CSV header. */
      g_autofree char *header = g_strdup (table[l].label);
      g_string_append_printf (csv, ",%s", g_strstrip (g_strdelimit (header, ",", ';')));
    }
  g_string_append_c (csv, '\n');
  for (guint i = 0; i < n; i++)
    {
      g_string_append_printf (csv, "%u", rows[i].size);
      for (gsize l = 0; l < G_N_ELEMENTS (table); l++)
        {
          char cell[G_ASCII_DTOSTR_BUF_SIZE];
          g_ascii_dtostr (cell, sizeof cell, field (&rows[i], table[l].offset) / table[l].scale);
          g_string_append_printf (csv, ",%s", cell);
        }
      g_string_append_c (csv, '\n');
    }
  g_file_set_contents (path, csv->str, (gssize) csv->len, NULL);
}

/* The name of a series in a legend: "xulstore (cached)" of "get_value, ns: xulstore
 * (cached)", "GHashTable lookup + copy" of "  GHashTable lookup + copy". */
static char *
series_title (const char *label)
{
  const char *colon = strstr (label, ": ");

  return g_strstrip (g_strdup (colon != NULL ? colon + 2 : label));
}

/* One plot per figure: xulstore and its baselines against the store size. Columns are
 * 1-based in gnuplot; column 1 is the size. */
static const struct {
  const char *name, *title, *ylabel;
  int columns[4];
} plots[] = {
  { "get", "Cached read", "ns per get", { 2, 3, 4, 5 } },
  { "set", "Caller latency of a write (p99)", "us", { 7, 9, 11, 0 } },
  { "persist-bytes", "Bytes written to persist one change", "bytes", { 12, 13, 0, 0 } },
  { "persist-time", "Time to persist one change durably", "us", { 14, 15, 0, 0 } },
  { "cold-start", "Cold start: open and read one window", "us", { 16, 17, 0, 0 } },
  { "sustained", "Sustained writes", "writes per second", { 18, 19, 0, 0 } },
  { "migration", "Migration of the legacy file", "ms", { 20, 0, 0, 0 } },
};

static void
write_plots (const char *dir,
             const char *csv)
{
  g_autofree char *gnuplot = g_find_program_in_path ("gnuplot");
  g_autoptr (GString) script = g_string_new (NULL);
  g_autofree char *script_path = g_build_filename (dir, "plots.gp", NULL);
  char *argv[] = { gnuplot, script_path, NULL };
  int status = 0;

  if (gnuplot == NULL)
    {
      printf ("\ngnuplot is not installed: no plots (the CSV is in %s)\n", csv);
      return;
    }
  g_string_append_printf (script, "set datafile separator ','\nset terminal pngcairo "
                                  "size 800,500\nset logscale x\nset key top left\n"
                                  "set xlabel 'records'\nset grid\n");
  for (gsize p = 0; p < G_N_ELEMENTS (plots); p++)
    {
      g_string_append_printf (script, "set output '%s/%s.png'\nset title '%s'\n"
                                      "set ylabel '%s'\nset logscale y\nplot ",
                              dir, plots[p].name, plots[p].title, plots[p].ylabel);
      for (int c = 0; c < 4 && plots[p].columns[c] != 0; c++)
        {
          g_autofree char *title = series_title (table[plots[p].columns[c] - 2].label);
          g_string_append_printf (script, "%s'%s' using 1:%d with linespoints title '%s'",
                                  c > 0 ? ", " : "", csv, plots[p].columns[c], title);
        }
      g_string_append_c (script, '\n');
    }
  g_file_set_contents (script_path, script->str, (gssize) script->len, NULL);
  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status,
                     NULL) || status != 0)
    printf ("\ngnuplot failed; the script is %s\n", script_path);
  else
    printf ("\nplots: %s/*.png\n", dir);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *output = g_strdup ("bench-results");
  g_autofree char *sizes_text = g_strdup ("10,1000,10000,100000");
  GOptionEntry entries[] = {
    { "output", 0, 0, G_OPTION_ARG_FILENAME, &output, "Where to write CSV and plots", "DIR" },
    { "sizes", 0, 0, G_OPTION_ARG_STRING, &sizes_text, "Store sizes, comma-separated",
      "N,N,..." },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) sizes = NULL;
  g_autofree BenchRow *rows = NULL;
  g_autofree char *csv = NULL;
  guint n;

  if (argc > 1 && g_str_equal (argv[1], "--child"))
    return run_as_child (argc, argv);
  context = g_option_context_new (NULL);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "xulstore-bench: %s\n", error->message);
      return 2;
    }
  sizes = g_strsplit (sizes_text, ",", -1);
  n = g_strv_length (sizes);
  rows = g_new0 (BenchRow, n);
  g_mkdir_with_parents (output, 0755);
  for (guint i = 0; i < n; i++)
    {
      fprintf (stderr, "measuring %s records...\n", sizes[i]);
      measure_size ((guint) g_ascii_strtoull (sizes[i], NULL, 10), &rows[i]);
    }
  print_table (rows, n);
  csv = g_build_filename (output, "results.csv", NULL);
  write_csv (csv, rows, n);
  printf ("\nCSV: %s\n", csv);
  write_plots (output, csv);
  return 0;
}
