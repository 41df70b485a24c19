/* bench.h: what the files of the benchmark share: the generated data sets, timing and
 * I/O counters, and the figures. */
#pragma once

#include <json-c/json.h>
#include <sqlite3.h>
#include <xulstore.h>

G_BEGIN_DECLS

#define BENCH_WINDOW_DOC "chrome://browser/content/browser.xhtml"
#define BENCH_WINDOW_ID "main-window"

/* One record of a generated data set. */
typedef struct {
  const char *doc, *id, *attr, *value;
  char *composite; /* "doc|id|attr", for the GHashTable baseline */
} BenchRecord;

/* A deterministic, realistic data set: a main window's five geometry attributes, the
 * rest spread over a few documents, most as places ids (as in real profiles). */
typedef struct {
  guint n;
  BenchRecord *records;
  GStringChunk *strings;
} BenchData;

BenchData *bench_data_new (guint n);
void bench_data_free (BenchData *data);
/* The legacy xulstore.json for @data, as Firefox writes it. */
GBytes *bench_data_to_json (BenchData *data);
/* Fills a store through one apply. */
void bench_data_fill_store (BenchData *data,
                            XulStore  *store);

/* Time and I/O. */
gint64 bench_now_ns (void);
/* Bytes this process passed to write() so far (/proc/self/io wchar). */
guint64 bench_bytes_written (void);
/* Writes @content to @path as the legacy implementation saves: temporary file, fsync,
 * rename. */
void bench_write_atomically (const char *path,
                             const char *content,
                             gsize       len);
double bench_percentile (gint64 *samples,
                         guint   n,
                         double  fraction);

G_END_DECLS
