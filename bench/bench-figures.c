/* bench-figures.c: the measurements, each against its baselines in the same run.
 *
 * Every figure measures the same records the same way for xulstore and its baselines;
 * only medians and percentiles of many operations are reported. */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench-figures.h"

#define GET_ROUNDS 2000000

/* A permutation of the records, so that lookups do not walk memory in order. */
static guint *
shuffled_order (guint n)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  guint *order = g_new (guint, n);

  for (guint i = 0; i < n; i++)
    order[i] = i;
  for (guint i = n; i > 1; i--)
    {
      guint j = g_rand_int_range (rand, 0, (gint32) i);
      guint t = order[i - 1];
      order[i - 1] = order[j];
      order[j] = t;
    }
  return order;
}

/* Per-operation time of @rounds lookups; @checksum keeps the work from being elided. */
#define TIME_LOOKUPS(result, n, order, lookup)                                          \
  do {                                                                                  \
    gsize checksum_ = 0;                                                                \
    gint64 start_ = bench_now_ns ();                                                    \
    for (guint r_ = 0; r_ < GET_ROUNDS; r_++)                                           \
      {                                                                                 \
        const BenchRecord *rec = &data->records[(order)[r_ % (n)]];                     \
        char *value_ = (lookup);                                                        \
        checksum_ += (guchar) value_[0];                                                \
        g_free (value_);                                                                \
      }                                                                                 \
    (result) = (double) (bench_now_ns () - start_) / GET_ROUNDS;                        \
    if (checksum_ == 1)                                                                 \
      fprintf (stderr, "-");                                                            \
  } while (0)

static char *
json_lookup (json_object *root,
             const BenchRecord *rec)
{
  json_object *doc, *id, *value;

  json_object_object_get_ex (root, rec->doc, &doc);
  json_object_object_get_ex (doc, rec->id, &id);
  json_object_object_get_ex (id, rec->attr, &value);
  return g_strdup (json_object_get_string (value));
}

static char *
sqlite_lookup (sqlite3_stmt      *stmt,
               const BenchRecord *rec)
{
  char *value;

  sqlite3_bind_text (stmt, 1, rec->doc, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, rec->id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, rec->attr, -1, SQLITE_STATIC);
  g_assert (sqlite3_step (stmt) == SQLITE_ROW);
  value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return value;
}

void
bench_get (BenchContext *ctx,
           BenchRow     *row)
{
  BenchData *data = ctx->data;
  g_autofree guint *order = shuffled_order (data->n);
  g_autoptr (GHashTable) table = g_hash_table_new (g_str_hash, g_str_equal);
  sqlite3_stmt *stmt = NULL;

  for (guint i = 0; i < data->n; i++)
    {
      g_hash_table_insert (table, data->records[i].composite, (gpointer) data->records[i].value);
      g_free (xul_store_get_value (ctx->store, data->records[i].doc, data->records[i].id,
                                   data->records[i].attr, NULL)); /* loads every document */
    }
  sqlite3_prepare_v2 (ctx->sqlite,
                      "SELECT value FROM t WHERE doc = ?1 AND id = ?2 AND attr = ?3", -1,
                      &stmt, NULL);

  TIME_LOOKUPS (row->get_hash, data->n, order,
                g_strdup (g_hash_table_lookup (table, rec->composite)));
  TIME_LOOKUPS (row->get_xul, data->n, order,
                xul_store_get_value (ctx->store, rec->doc, rec->id, rec->attr, NULL));
  TIME_LOOKUPS (row->get_json, data->n, order, json_lookup (ctx->json, rec));
  TIME_LOOKUPS (row->get_sqlite, data->n, order, sqlite_lookup (stmt, rec));
  sqlite3_finalize (stmt);
}

/* Latency of each run of the block (the last argument), in ns: p50 and p99. */
#define TIME_CALLS(p50, p99, samples, ...)                                              \
  do {                                                                                  \
    g_autofree gint64 *t_ = g_new (gint64, (samples));                                  \
    for (guint s_ = 0; s_ < (samples); s_++)                                            \
      {                                                                                 \
        gint64 start_ = bench_now_ns ();                                                \
        __VA_ARGS__                                                                     \
        t_[s_] = bench_now_ns () - start_;                                              \
      }                                                                                 \
    (p50) = bench_percentile (t_, (samples), 0.50);                                     \
    (p99) = bench_percentile (t_, (samples), 0.99);                                     \
  } while (0)

void
bench_set (BenchContext *ctx,
           BenchRow     *row)
{
  BenchData *data = ctx->data;
  sqlite3_stmt *upsert = NULL;
  char value[32];

  /* The writer commits continuously meanwhile: the store was opened with a 1 ms delay. */
  TIME_CALLS (row->set_xul_p50, row->set_xul_p99, 20000,
              {
                const BenchRecord *rec = &data->records[s_ % data->n];
                g_snprintf (value, sizeof value, "%u", s_);
                xul_store_set_value (ctx->store, rec->doc, rec->id, rec->attr, value, NULL);
              });
  TIME_CALLS (row->set_json_p50, row->set_json_p99, 20000,
              {
                const BenchRecord *rec = &data->records[s_ % data->n];
                json_object *doc, *id;
                g_snprintf (value, sizeof value, "%u", s_);
                json_object_object_get_ex (ctx->json, rec->doc, &doc);
                json_object_object_get_ex (doc, rec->id, &id);
                json_object_object_add (id, rec->attr, json_object_new_string (value));
              });
  sqlite3_prepare_v2 (ctx->sqlite,
                      "INSERT INTO t (doc, id, attr, value) VALUES (?1, ?2, ?3, ?4)"
                      " ON CONFLICT DO UPDATE SET value = excluded.value", -1, &upsert, NULL);
  TIME_CALLS (row->set_sqlite_p50, row->set_sqlite_p99, 2000,
              {
                const BenchRecord *rec = &data->records[s_ % data->n];
                g_snprintf (value, sizeof value, "%u", s_);
                sqlite3_bind_text (upsert, 1, rec->doc, -1, SQLITE_STATIC);
                sqlite3_bind_text (upsert, 2, rec->id, -1, SQLITE_STATIC);
                sqlite3_bind_text (upsert, 3, rec->attr, -1, SQLITE_STATIC);
                sqlite3_bind_text (upsert, 4, value, -1, SQLITE_STATIC);
                sqlite3_step (upsert);
                sqlite3_reset (upsert);
              });
  sqlite3_finalize (upsert);
}

void
bench_persist (BenchContext *ctx,
               BenchRow     *row)
{
  guint reps = ctx->data->n >= 100000 ? 5 : 20;
  const BenchRecord *rec = &ctx->data->records[0];
  gint64 start;
  guint64 bytes;

  /* One change made durable: xulstore writes it alone... */
  xul_store_flush (ctx->store, NULL);
  bytes = bench_bytes_written ();
  start = bench_now_ns ();
  for (guint i = 0; i < reps; i++)
    {
      char value[16];
      g_snprintf (value, sizeof value, "%u", 2000 + i);
      xul_store_set_value (ctx->store, rec->doc, rec->id, rec->attr, value, NULL);
      xul_store_flush (ctx->store, NULL);
    }
  row->persist_xul_ns = (double) (bench_now_ns () - start) / reps;
  row->persist_xul_bytes = (double) (bench_bytes_written () - bytes) / reps;

  /* ...the legacy store rewrites the whole file. */
  bytes = bench_bytes_written ();
  start = bench_now_ns ();
  for (guint i = 0; i < reps; i++)
    {
      size_t len;
      const char *json = json_object_to_json_string_length (
        ctx->json, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
      bench_write_atomically (ctx->legacy_path, json, len);
    }
  row->persist_json_ns = (double) (bench_now_ns () - start) / reps;
  row->persist_json_bytes = (double) (bench_bytes_written () - bytes) / reps;
}

void
bench_sustained (BenchContext *ctx,
                 BenchRow     *row)
{
  enum { WRITES = 100000 };
  BenchData *data = ctx->data;
  sqlite3_stmt *upsert = NULL;
  gint64 start = bench_now_ns ();
  char value[32];

  for (guint i = 0; i < WRITES; i++)
    {
      const BenchRecord *rec = &data->records[i % data->n];
      g_snprintf (value, sizeof value, "s%u", i);
      xul_store_set_value (ctx->store, rec->doc, rec->id, rec->attr, value, NULL);
    }
  xul_store_flush (ctx->store, NULL);
  row->sustained_xul = WRITES / ((double) (bench_now_ns () - start) / 1e9);

  sqlite3_prepare_v2 (ctx->sqlite,
                      "INSERT INTO t (doc, id, attr, value) VALUES (?1, ?2, ?3, ?4)"
                      " ON CONFLICT DO UPDATE SET value = excluded.value", -1, &upsert, NULL);
  start = bench_now_ns ();
  sqlite3_exec (ctx->sqlite, "BEGIN", NULL, NULL, NULL);
  for (guint i = 0; i < WRITES; i++)
    {
      const BenchRecord *rec = &data->records[i % data->n];
      g_snprintf (value, sizeof value, "q%u", i);
      sqlite3_bind_text (upsert, 1, rec->doc, -1, SQLITE_STATIC);
      sqlite3_bind_text (upsert, 2, rec->id, -1, SQLITE_STATIC);
      sqlite3_bind_text (upsert, 3, rec->attr, -1, SQLITE_STATIC);
      sqlite3_bind_text (upsert, 4, value, -1, SQLITE_TRANSIENT);
      sqlite3_step (upsert);
      sqlite3_reset (upsert);
    }
  sqlite3_exec (ctx->sqlite, "COMMIT", NULL, NULL, NULL);
  row->sustained_sqlite = WRITES / ((double) (bench_now_ns () - start) / 1e9);
  sqlite3_finalize (upsert);
}
