/* bench-data.c: the generated data sets of the benchmark, and the helpers around them.
 *
 * Shapes follow real profiles: the browser document holds one window's geometry and
 * some toolbar and sidebar state; the long tail is "place:<hash>" ids with an "open"
 * attribute in the places and sidebar documents. The same n gives the same records. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static const char *const window_attrs[][2] = {
  { "width", "1520" }, { "height", "980" }, { "screenX", "48" }, { "screenY", "27" },
  { "sizemode", "normal" },
};

/* Where the long tail goes: places and bookmark trees, never the browser window's
 * document (whose few elements are set by hand below). */
static const char *const tail_docs[] = {
  "chrome://browser/content/places/places.xhtml",
  "chrome://browser/content/places/bookmarksSidebar.xhtml",
  "chrome://browser/content/places/historySidebar.xhtml",
  "chrome://devtools/content/framework/toolbox-window.xhtml",
};

static const char *const browser_extras[][3] = {
  { "sidebar-box", "width", "240" },       { "sidebar-box", "sidebarcommand", "viewBookmarksSidebar" },
  { "PersonalToolbar", "collapsed", "false" }, { "toolbar-menubar", "autohide", "true" },
  { "urlbar-container", "width", "1020" },
};

static void
add (BenchData  *data,
     guint       i,
     const char *doc,
     const char *id,
     const char *attr,
     const char *value)
{
  BenchRecord *r = &data->records[i];

  r->doc = g_string_chunk_insert_const (data->strings, doc);
  r->id = g_string_chunk_insert (data->strings, id);
  r->attr = g_string_chunk_insert_const (data->strings, attr);
  r->value = g_string_chunk_insert (data->strings, value);
  r->composite = g_strdup_printf ("%s|%s|%s", doc, id, attr);
}

BenchData *
bench_data_new (guint n)
{
  BenchData *data = g_new0 (BenchData, 1);
  guint i = 0;

  data->n = MAX (n, G_N_ELEMENTS (window_attrs));
  data->records = g_new0 (BenchRecord, data->n);
  data->strings = g_string_chunk_new (64 * 1024);
  for (; i < G_N_ELEMENTS (window_attrs); i++)
    add (data, i, BENCH_WINDOW_DOC, BENCH_WINDOW_ID, window_attrs[i][0], window_attrs[i][1]);
  for (guint k = 0; i < data->n && k < G_N_ELEMENTS (browser_extras); i++, k++)
    add (data, i, BENCH_WINDOW_DOC, browser_extras[k][0], browser_extras[k][1],
         browser_extras[k][2]);
  for (guint k = 0; i < data->n; i++, k++)
    {
      g_autofree char *hash = g_compute_checksum_for_data (G_CHECKSUM_MD5, (guint8 *) &k,
                                                           sizeof k);
      g_autofree char *id = g_strdup_printf ("place:%s", hash);
      /* Every fourth id also has a width, like resizable tree columns. */
      gboolean width = k % 4 == 3;
      add (data, i, tail_docs[k % G_N_ELEMENTS (tail_docs)], id, width ? "width" : "open",
           width ? "240" : "true");
    }
  return data;
}

void
bench_data_free (BenchData *data)
{
  for (guint i = 0; i < data->n; i++)
    g_free (data->records[i].composite);
  g_free (data->records);
  g_string_chunk_free (data->strings);
  g_free (data);
}

GBytes *
bench_data_to_json (BenchData *data)
{
  g_autoptr (XulStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("xulstore-bench-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "json.sqlite", NULL);
  GBytes *json;

  /* The exporter writes exactly what Firefox writes. */
  store = xul_store_new (path, XUL_STORE_FLAGS_NONE, &error);
  g_assert_no_error (error);
  bench_data_fill_store (data, store);
  json = xul_store_export_legacy_bytes (store, XUL_EXPORT_COMPACT, &error);
  g_assert_no_error (error);
  xul_store_close (store, NULL);
  g_clear_object (&store);
  for (const char *const *suffix = (const char *const[]) { "", ".bak", ".lock", NULL };
       *suffix != NULL; suffix++)
    {
      g_autofree char *file = g_strconcat (path, *suffix, NULL);
      g_unlink (file);
    }
  g_rmdir (dir);
  return json;
}

void
bench_data_fill_store (BenchData *data,
                       XulStore  *store)
{
  g_autoptr (XulChanges) changes = xul_changes_new ();
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < data->n; i++)
    xul_changes_set_value (changes, data->records[i].doc, data->records[i].id,
                           data->records[i].attr, data->records[i].value);
  xul_store_apply (store, changes, &error);
  g_assert_no_error (error);
}

gint64
bench_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

guint64
bench_bytes_written (void)
{
  g_autofree char *io = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/io", &io, NULL, NULL))
    return 0;
  line = strstr (io, "wchar:");
  return line != NULL ? g_ascii_strtoull (line + 6, NULL, 10) : 0;
}

void
bench_write_atomically (const char *path,
                        const char *content,
                        gsize       len)
{
  g_autofree char *tmp = g_strconcat (path, ".tmp-XXXXXX", NULL);
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  gsize done = 0;

  g_assert (fd >= 0);
  while (done < len)
    {
      ssize_t n = write (fd, content + done, len - done);
      g_assert (n > 0);
      done += (gsize) n;
    }
  fsync (fd);
  close (fd);
  g_rename (tmp, path);
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

double
bench_percentile (gint64 *samples,
                  guint   n,
                  double  fraction)
{
  qsort (samples, n, sizeof *samples, compare_gint64);
  return (double) samples[MIN ((guint) (fraction * n), n - 1)];
}
