/* kv-test.h: helpers shared by the kvcore tests: databases and stores opened with
 * assertions, text reads and writes, dumps, and rows read back or modelled. */
#pragma once

#include "test-util.h"

#include "kvcore.h"

/* ---- databases and stores --------------------------------------------------------- */

/* Opens without asserting anything, for tests that expect the open to fail. */
XulKvDb *kt_try_open_db (const char    *path,
                         XulKvOpenFlags flags,
                         gint64         backup_interval,
                         GError       **error);

XulKvDb *kt_open_db_with_interval (const char    *path,
                                   XulKvOpenFlags flags,
                                   gint64         backup_interval);

/* Automatic backups off, so that only explicit backups exist. */
XulKvDb *kt_open_db (const char    *path,
                     XulKvOpenFlags flags);

/* A writable database at "kv.sqlite" in @dir, automatic backups off. */
XulKvDb *kt_open_db_in (TuTmpdir *dir);

void kt_close_db (XulKvDb *db);

XulKvStore *kt_open_store (XulKvDb    *db,
                           const char *name,
                           gboolean    create);

void kt_commit (XulKvDb         *db,
                XulKvBatch      *batch,
                XulKvCommitFlags flags);

/* ---- values and meta records ------------------------------------------------------ */

void kt_put_bytes (XulKvStore *store,
                   const void *key,
                   gsize       key_len,
                   const void *value,
                   gsize       value_len);

void kt_put (XulKvStore *store,
             const char *key,
             const char *value);

/* The text value under @key, or NULL when absent; a value with a NUL byte inside
 * fails the test, so that string comparisons of the result are exact. */
char *kt_lookup (XulKvStore *store,
                 const char *key);

/* @expected NULL asserts that @key is absent (NOT_FOUND, not another error). */
void kt_assert_value (XulKvStore *store,
                      const char *key,
                      const char *expected);

/* @expected NULL asserts that the record is absent (NOT_FOUND, not another error). */
void kt_assert_meta (XulKvDb    *db,
                     const char *key,
                     const char *expected);

/* Fills @store_name with @n_keys values of random bytes ("key-000000" on), each from
 * @min_value_len to @max_value_len bytes long, in one commit. */
void kt_populate (XulKvDb    *db,
                  const char *store_name,
                  guint       n_keys,
                  gsize       min_value_len,
                  gsize       max_value_len,
                  guint32     seed);

/* Every store, key and value, in order: two databases hold the same data exactly when
 * their dumps are equal. Meta records are left out: recovery adds its own. */
GBytes *kt_dump_db (XulKvDb *db);

/* ---- rows and models -------------------------------------------------------------- */

/* One key-value pair, as a model holds it or as an iterator returned it. */
typedef struct {
  GBytes *key;
  GBytes *value;
} KtRow;

KtRow *kt_row_new (const void *key,
                   gsize       key_len,
                   const void *value,
                   gsize       value_len);

/* The pair @iter is on. Asserts nothing, so worker threads may use it. */
KtRow *kt_row_from_iter (XulKvIter *iter);

void kt_row_free (gpointer row);

/* An empty array that owns its rows. */
GPtrArray *kt_rows_new (void);

/* Whether @a and @b both have at least @n rows and their first @n are equal. Asserts
 * nothing, so worker threads may use it. */
gboolean kt_rows_equal_upto (GPtrArray *a,
                             GPtrArray *b,
                             guint      n);

gboolean kt_rows_equal (GPtrArray *a,
                        GPtrArray *b);

/* A model of a store: GBytes keys to GBytes values. */
GHashTable *kt_model_new (void);

/* The model's rows whose key starts with @prefix, in unsigned bytewise order. */
GPtrArray *kt_model_rows (GHashTable *model,
                          const void *prefix,
                          gsize       prefix_len);

/* Reads the rest of @iter, then checks that the end is final. */
GPtrArray *kt_collect (XulKvIter *iter);

GPtrArray *kt_iterate_prefix (XulKvStore *store,
                              const void *prefix,
                              gsize       prefix_len);
