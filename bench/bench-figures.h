/* bench-figures.h: one measured row per store size, and the measurements that run in
 * the benchmark's own process. Cold starts and migrations run in fresh processes
 * (xulstore-bench.c). */
#pragma once

#include "bench.h"

G_BEGIN_DECLS

typedef struct {
  guint size;
  double get_xul, get_hash, get_json, get_sqlite;                 /* ns per lookup */
  double set_xul_p50, set_xul_p99, set_json_p50, set_json_p99;    /* ns per call */
  double set_sqlite_p50, set_sqlite_p99;
  double persist_xul_ns, persist_xul_bytes;                       /* one durable change */
  double persist_json_ns, persist_json_bytes;
  double cold_xul_ns, cold_json_ns;                               /* fresh process */
  double sustained_xul, sustained_sqlite;                         /* writes per second */
  double migrate_ns, migrate_rss_bytes, legacy_bytes;             /* import of the file */
} BenchRow;

/* What the in-process measurements work on, all holding the same records. */
typedef struct {
  BenchData *data;
  XulStore *store;        /* write delay 1 ms */
  json_object *json;      /* the legacy in-memory store */
  sqlite3 *sqlite;        /* table t (doc, id, attr, value), WAL, synchronous NORMAL */
  char *legacy_path;      /* where the legacy store saves */
} BenchContext;

void bench_get (BenchContext *ctx,
                BenchRow     *row);
void bench_set (BenchContext *ctx,
                BenchRow     *row);
void bench_persist (BenchContext *ctx,
                    BenchRow     *row);
void bench_sustained (BenchContext *ctx,
                      BenchRow     *row);

G_END_DECLS
