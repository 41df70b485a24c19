/* kv-test.c: helpers shared by the kvcore tests. */
#include "kv-test.h"

#include <string.h>

/* ---- databases and stores --------------------------------------------------------- */

XulKvDb *
kt_try_open_db (const char    *path,
                XulKvOpenFlags flags,
                gint64         backup_interval,
                GError       **error)
{
  return g_initable_new (XUL_TYPE_KV_DB, NULL, error, "path", path, "flags", flags,
                         "backup-interval", backup_interval, NULL);
}

XulKvDb *
kt_open_db_with_interval (const char    *path,
                          XulKvOpenFlags flags,
                          gint64         backup_interval)
{
  g_autoptr (GError) error = NULL;
  XulKvDb *db = kt_try_open_db (path, flags, backup_interval, &error);

  tu_assert_no_error (error);
  assert_non_null (db);
  return db;
}

XulKvDb *
kt_open_db (const char    *path,
            XulKvOpenFlags flags)
{
  return kt_open_db_with_interval (path, flags, 0);
}

XulKvDb *
kt_open_db_in (TuTmpdir *dir)
{
  g_autofree char *path = tu_tmpdir_file (dir, "kv.sqlite");

  return kt_open_db (path, XUL_KV_OPEN_NONE);
}

void
kt_close_db (XulKvDb *db)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_kv_db_close (db, &error));
  tu_assert_no_error (error);
}

XulKvStore *
kt_open_store (XulKvDb    *db,
               const char *name,
               gboolean    create)
{
  g_autoptr (GError) error = NULL;
  XulKvStore *store =
    xul_kv_db_open_store (db, name, create ? XUL_KV_STORE_CREATE : XUL_KV_STORE_NONE,
                          &error);

  tu_assert_no_error (error);
  assert_non_null (store);
  return store;
}

void
kt_commit (XulKvDb         *db,
           XulKvBatch      *batch,
           XulKvCommitFlags flags)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_kv_db_commit (db, batch, flags, &error));
  tu_assert_no_error (error);
}

/* ---- values and meta records ------------------------------------------------------ */

void
kt_put_bytes (XulKvStore *store,
              const void *key,
              gsize       key_len,
              const void *value,
              gsize       value_len)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_kv_store_put (store, key, key_len, value, value_len, &error));
  tu_assert_no_error (error);
}

void
kt_put (XulKvStore *store,
        const char *key,
        const char *value)
{
  kt_put_bytes (store, key, strlen (key), value, strlen (value));
}

char *
kt_lookup (XulKvStore *store,
           const char *key)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) value = xul_kv_store_get (store, key, strlen (key), &error);
  const char *data;
  gsize len;

  if (g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND))
    {
      assert_null (value);
      return NULL;
    }
  tu_assert_no_error (error);
  assert_non_null (value);
  data = g_bytes_get_data (value, &len);
  if (len == 0)
    return g_strdup ("");
  assert_null (memchr (data, '\0', len));
  return g_strndup (data, len);
}

void
kt_assert_value (XulKvStore *store,
                 const char *key,
                 const char *expected)
{
  g_autofree char *actual = kt_lookup (store, key);

  if (expected == NULL)
    {
      assert_null (actual);
      return;
    }
  assert_non_null (actual);
  assert_string_equal (actual, expected);
}

void
kt_assert_meta (XulKvDb    *db,
                const char *key,
                const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *value = xul_kv_db_get_meta (db, key, &error);

  if (expected == NULL)
    {
      assert_null (value);
      tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND);
      return;
    }
  tu_assert_no_error (error);
  assert_non_null (value);
  assert_string_equal (value, expected);
}

void
kt_populate (XulKvDb    *db,
             const char *store_name,
             guint       n_keys,
             gsize       min_value_len,
             gsize       max_value_len,
             guint32     seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (XulKvStore) store = kt_open_store (db, store_name, TRUE);
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  g_autofree guint8 *value = g_malloc (max_value_len + 1);

  for (guint i = 0; i < n_keys; i++)
    {
      gsize len = (gsize) g_rand_int_range (rand, (gint32) min_value_len,
                                            (gint32) max_value_len + 1);
      char key[32];

      g_snprintf (key, sizeof key, "key-%06u", i);
      for (gsize j = 0; j < len; j++)
        value[j] = (guint8) g_rand_int_range (rand, 0, 256);
      xul_kv_batch_put (batch, store, key, strlen (key), value, len);
    }
  kt_commit (db, batch, XUL_KV_COMMIT_NONE);
}

/* Tagged and length-prefixed, so that different data never dumps to the same bytes. */
static void
append_field (GByteArray *out,
              guint8      tag,
              const void *data,
              gsize       len)
{
  guint32 len32 = (guint32) len;

  g_byte_array_append (out, &tag, 1);
  g_byte_array_append (out, (const guint8 *) &len32, sizeof len32);
  g_byte_array_append (out, data, (guint) len);
}

GBytes *
kt_dump_db (XulKvDb *db)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) names = xul_kv_db_list_stores (db, &error);
  GByteArray *out = g_byte_array_new ();

  tu_assert_no_error (error);
  assert_non_null (names);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr (XulKvStore) store = kt_open_store (db, names[i], FALSE);
      g_autoptr (GPtrArray) rows = kt_iterate_prefix (store, NULL, 0);

      append_field (out, 'S', names[i], strlen (names[i]));
      for (guint j = 0; j < rows->len; j++)
        {
          KtRow *row = g_ptr_array_index (rows, j);
          gsize key_len, value_len;
          const void *key = g_bytes_get_data (row->key, &key_len);
          const void *value = g_bytes_get_data (row->value, &value_len);

          append_field (out, 'K', key, key_len);
          append_field (out, 'V', value, value_len);
        }
    }
  return g_byte_array_free_to_bytes (out);
}

/* ---- rows and models -------------------------------------------------------------- */

KtRow *
kt_row_new (const void *key,
            gsize       key_len,
            const void *value,
            gsize       value_len)
{
  KtRow *row = g_new0 (KtRow, 1);

  row->key = g_bytes_new (key, key_len);
  row->value = g_bytes_new (value, value_len);
  return row;
}

KtRow *
kt_row_from_iter (XulKvIter *iter)
{
  gsize key_len = 0, value_len = 0;
  const guint8 *key = xul_kv_iter_get_key (iter, &key_len);
  const guint8 *value = xul_kv_iter_get_value (iter, &value_len);

  return kt_row_new (key, key_len, value, value_len);
}

void
kt_row_free (gpointer data)
{
  KtRow *row = data;

  g_bytes_unref (row->key);
  g_bytes_unref (row->value);
  g_free (row);
}

GPtrArray *
kt_rows_new (void)
{
  return g_ptr_array_new_with_free_func (kt_row_free);
}

gboolean
kt_rows_equal_upto (GPtrArray *a,
                    GPtrArray *b,
                    guint      n)
{
  if (a->len < n || b->len < n)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      KtRow *ra = g_ptr_array_index (a, i);
      KtRow *rb = g_ptr_array_index (b, i);
      if (!g_bytes_equal (ra->key, rb->key) || !g_bytes_equal (ra->value, rb->value))
        return FALSE;
    }
  return TRUE;
}

gboolean
kt_rows_equal (GPtrArray *a,
               GPtrArray *b)
{
  return a->len == b->len && kt_rows_equal_upto (a, b, a->len);
}

GHashTable *
kt_model_new (void)
{
  return g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                (GDestroyNotify) g_bytes_unref,
                                (GDestroyNotify) g_bytes_unref);
}

/* Bytewise order, written out here rather than borrowed from the library or from
 * g_bytes_compare, so that the expectation is independent of what is tested. */
static int
compare_rows (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  const KtRow *ra = *(const KtRow *const *) a;
  const KtRow *rb = *(const KtRow *const *) b;
  gsize a_len, b_len;
  const void *a_data = g_bytes_get_data (ra->key, &a_len);
  const void *b_data = g_bytes_get_data (rb->key, &b_len);
  int c = memcmp (a_data, b_data, MIN (a_len, b_len));

  if (c != 0)
    return c;
  return (a_len > b_len) - (a_len < b_len);
}

GPtrArray *
kt_model_rows (GHashTable *model,
               const void *prefix,
               gsize       prefix_len)
{
  GPtrArray *rows = kt_rows_new ();
  GHashTableIter it;
  gpointer k, v;

  g_hash_table_iter_init (&it, model);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      gsize key_len, value_len;
      const guint8 *key = g_bytes_get_data (k, &key_len);
      const guint8 *value = g_bytes_get_data (v, &value_len);
      if (key_len >= prefix_len && (prefix_len == 0 || memcmp (key, prefix, prefix_len) == 0))
        g_ptr_array_add (rows, kt_row_new (key, key_len, value, value_len));
    }
  g_qsort_with_data (rows->pdata, (gint) rows->len, sizeof (gpointer), compare_rows, NULL);
  return rows;
}

GPtrArray *
kt_collect (XulKvIter *iter)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *rows = kt_rows_new ();

  while (xul_kv_iter_next (iter, &error))
    {
      gsize len;
      /* NULL is never right, not even for an empty value. */
      assert_non_null (xul_kv_iter_get_key (iter, &len));
      assert_non_null (xul_kv_iter_get_value (iter, &len));
      g_ptr_array_add (rows, kt_row_from_iter (iter));
    }
  tu_assert_no_error (error);
  assert_false (xul_kv_iter_next (iter, &error));
  tu_assert_no_error (error);
  return rows;
}

GPtrArray *
kt_iterate_prefix (XulKvStore *store,
                   const void *prefix,
                   gsize       prefix_len)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvIter) iter = xul_kv_store_iter_prefix (store, prefix, prefix_len, &error);

  tu_assert_no_error (error);
  assert_non_null (iter);
  return kt_collect (iter);
}
