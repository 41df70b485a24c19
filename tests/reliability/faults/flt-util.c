/* flt-util.c: see flt-util.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "flt-util.h"

void
flt_add_problem_valist (GString    *problems,
                        const char *format,
                        va_list     args)
{
  if (problems->len > 0)
    g_string_append (problems, "; ");
  g_string_append_vprintf (problems, format, args);
  g_strdelimit (problems->str, "\n", '|');
}

const char *
flt_use_fast_tmpdir (void)
{
  const char *dir = g_getenv ("FLT_TMPDIR");

  if (dir == NULL && g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) &&
      g_access ("/dev/shm", W_OK | X_OK) == 0)
    dir = "/dev/shm";
  if (dir != NULL)
    g_setenv ("TMPDIR", dir, TRUE);
  return g_get_tmp_dir ();
}

static guint warnings;
static gboolean verbose;

static GLogWriterOutput
count_warnings (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return g_log_writer_default (level, fields, n_fields, user_data);
  if (level & G_LOG_LEVEL_WARNING)
    g_atomic_int_inc (&warnings);
  if (verbose)
    return g_log_writer_default (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

void
flt_capture_log (void)
{
  verbose = g_strcmp0 (g_getenv ("FLT_VERBOSE"), "1") == 0;
  g_log_set_writer_func (count_warnings, NULL, NULL);
}

guint
flt_warnings_logged (void)
{
  return (guint) g_atomic_int_get (&warnings);
}

void
flt_note (const char *format,
          ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  printf ("# %s\n", text);
  fflush (stdout);
}

/* ---- kvcore ---------------------------------------------------------------------------- */

static GBytes *
composite (const char *store,
           const void *key,
           gsize       key_len)
{
  gsize store_len = strlen (store);
  guint8 *data = g_malloc (store_len + 1 + key_len);

  memcpy (data, store, store_len);
  data[store_len] = 0;
  if (key_len > 0)
    memcpy (data + store_len + 1, key, key_len);
  return g_bytes_new_take (data, store_len + 1 + key_len);
}

/* Values may be NULL (a store's own entry). */
static void
bytes_unref0 (gpointer bytes)
{
  if (bytes != NULL)
    g_bytes_unref (bytes);
}

GHashTable *
flt_kv_model_new (void)
{
  return g_hash_table_new_full (g_bytes_hash, g_bytes_equal, bytes_unref0, bytes_unref0);
}

GHashTable *
flt_kv_model_copy (GHashTable *model)
{
  GHashTable *copy = flt_kv_model_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, model);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy, g_bytes_ref (key), value != NULL ? g_bytes_ref (value) : NULL);
  return copy;
}

void
flt_kv_model_put (GHashTable *model,
                  const char *store,
                  const void *key,
                  gsize       key_len,
                  const void *value,
                  gsize       value_len)
{
  g_hash_table_replace (model, composite (store, key, key_len),
                        g_bytes_new (value, value_len));
}

void
flt_kv_model_delete (GHashTable *model,
                     const char *store,
                     const void *key,
                     gsize       key_len)
{
  g_autoptr (GBytes) k = composite (store, key, key_len);

  g_hash_table_remove (model, k);
}

/* A store is the composite key "store \0" with no value. */
void
flt_kv_model_add_store (GHashTable *model,
                        const char *store)
{
  GBytes *k = composite (store, NULL, 0);

  if (!g_hash_table_contains (model, k))
    g_hash_table_insert (model, k, NULL);
  else
    g_bytes_unref (k);
}

/* The keys of @table, borrowed (GLib 2.74 has no g_hash_table_get_keys_as_ptr_array). */
static GPtrArray *
keys_of (GHashTable *table)
{
  GPtrArray *keys = g_ptr_array_sized_new (g_hash_table_size (table));
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  return keys;
}

static gint
compare_bytes (gconstpointer a,
               gconstpointer b)
{
  return g_bytes_compare (*(GBytes *const *) a, *(GBytes *const *) b);
}

static void
append_field (GByteArray *out,
              char        tag,
              GBytes     *bytes)
{
  gsize len = 0;
  const guint8 *data = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;
  guint32 len32 = (guint32) len;

  g_byte_array_append (out, (const guint8 *) &tag, 1);
  g_byte_array_append (out, (const guint8 *) &len32, sizeof len32);
  if (len > 0)
    g_byte_array_append (out, data, len);
}

/* Serialises @table (GBytes -> GBytes or NULL) in key order. */
static GBytes *
dump_table (GHashTable *table)
{
  g_autoptr (GPtrArray) keys = keys_of (table);
  GByteArray *out = g_byte_array_new ();

  g_ptr_array_sort (keys, compare_bytes);
  for (guint i = 0; i < keys->len; i++)
    {
      GBytes *key = g_ptr_array_index (keys, i);
      GBytes *value = g_hash_table_lookup (table, key);
      append_field (out, value != NULL ? 'K' : 'S', key);
      if (value != NULL)
        append_field (out, 'V', value);
    }
  return g_byte_array_free_to_bytes (out);
}

GBytes *
flt_kv_model_dump (GHashTable *model)
{
  return dump_table (model);
}

GBytes *
flt_kv_db_dump (XulKvDb           *db,
                const char *const *meta_keys,
                GError           **error)
{
  g_autoptr (GHashTable) table = flt_kv_model_new ();
  g_auto (GStrv) names = xul_kv_db_list_stores (db, error);

  if (names == NULL)
    return NULL;
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr (XulKvStore) store = xul_kv_db_open_store (db, names[i], XUL_KV_STORE_NONE,
                                                           error);
      g_autoptr (XulKvIter) iter = NULL;
      GError *local_error = NULL;

      if (store == NULL)
        return NULL;
      flt_kv_model_add_store (table, names[i]);
      iter = xul_kv_store_iter_prefix (store, NULL, 0, error);
      if (iter == NULL)
        return NULL;
      while (xul_kv_iter_next (iter, &local_error))
        {
          gsize key_len, value_len;
          const guint8 *key = xul_kv_iter_get_key (iter, &key_len);
          const guint8 *value = xul_kv_iter_get_value (iter, &value_len);
          flt_kv_model_put (table, names[i], key, key_len, value, value_len);
        }
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
    }
  for (guint i = 0; meta_keys != NULL && meta_keys[i] != NULL; i++)
    {
      GError *local_error = NULL;
      g_autofree char *value = xul_kv_db_get_meta (db, meta_keys[i], &local_error);

      if (value != NULL)
        flt_kv_model_put (table, FLT_META_STORE, meta_keys[i], strlen (meta_keys[i]), value,
                          strlen (value));
      else if (g_error_matches (local_error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND))
        g_clear_error (&local_error);
      else
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
    }
  return dump_table (table);
}

/* ---- XulStore ---------------------------------------------------------------------------- */

char *
flt_xs_tuple (const char *doc,
              const char *id,
              const char *attr)
{
  return g_strconcat (doc, "\001", id, "\001", attr, NULL);
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GBytes *
flt_xs_model_dump (GHashTable *model)
{
  g_autoptr (GPtrArray) keys = keys_of (model);
  GString *out = g_string_new (NULL);

  g_ptr_array_sort (keys, compare_strings);
  for (guint i = 0; i < keys->len; i++)
    {
      const char *key = g_ptr_array_index (keys, i);
      g_string_append_printf (out, "%s\002%s\n", key, (const char *) g_hash_table_lookup (model, key));
    }
  return g_string_free_to_bytes (out);
}

GBytes *
flt_xs_store_dump (XulStore *store,
                   GError  **error)
{
  g_autoptr (GHashTable) model = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) docs = xul_store_get_documents (store, error);

  if (docs == NULL)
    return NULL;
  for (guint d = 0; docs[d] != NULL; d++)
    {
      g_auto (GStrv) ids = xul_store_get_ids (store, docs[d], error);
      if (ids == NULL)
        return NULL;
      for (guint i = 0; ids[i] != NULL; i++)
        {
          g_auto (GStrv) attrs = xul_store_get_attributes (store, docs[d], ids[i], error);
          if (attrs == NULL)
            return NULL;
          for (guint a = 0; attrs[a] != NULL; a++)
            {
              char *value = xul_store_get_value (store, docs[d], ids[i], attrs[a], error);
              if (value == NULL)
                return NULL;
              g_hash_table_insert (model, flt_xs_tuple (docs[d], ids[i], attrs[a]), value);
            }
        }
    }
  return flt_xs_model_dump (model);
}
