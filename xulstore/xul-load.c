/* xul-load.c: reading documents from kvcore into the cache, one range scan each.
 *
 * Records are read, never trusted: a key or value that does not decode is reported and
 * skipped, and the rest of the document still loads. */
#include "config.h"

#include "xul-key-private.h"
#include "xul-store-private.h"

static void
report_skipped (XulKvStore *store,
                const char *doc,
                guint       skipped)
{
  g_warning ("Skipped %u undecodable record%s of document “%s” in “%s”", skipped,
             skipped == 1 ? "" : "s", doc,
             xul_kv_db_get_path (xul_kv_store_get_db (store)));
}

/* Adds one record to the cache; FALSE when it does not decode. */
static gboolean
load_record (XulCache     *cache,
             const char   *doc,
             const guint8 *key,
             gsize         key_len,
             const guint8 *value,
             gsize         value_len)
{
  g_autofree char *key_doc = NULL, *id = NULL, *attr = NULL;
  g_autofree char *text = NULL;

  if (!xul_key_decode (key, key_len, &key_doc, &id, &attr) ||
      !g_str_equal (key_doc, doc) ||
      memchr (value, 0, value_len) != NULL ||
      !g_utf8_validate_len ((const char *) value, value_len, NULL))
    return FALSE;
  text = g_strndup ((const char *) value, value_len);
  xul_cache_set (cache, doc, id, attr, text);
  return TRUE;
}

gboolean
xul_load_document (XulCache   *cache,
                   XulKvStore *store,
                   const char *doc,
                   GError    **error)
{
  g_autoptr (GByteArray) prefix = g_byte_array_new ();
  g_autoptr (XulKvIter) iter = NULL;
  GError *local_error = NULL;
  guint skipped = 0;

  if (store != NULL)
    {
      xul_key_encode_prefix (prefix, doc, NULL);
      iter = xul_kv_store_iter_prefix (store, prefix->data, prefix->len, &local_error);
      while (iter != NULL && xul_kv_iter_next (iter, &local_error))
        {
          gsize key_len, value_len;
          const guint8 *key = xul_kv_iter_get_key (iter, &key_len);
          const guint8 *value = xul_kv_iter_get_value (iter, &value_len);
          if (!load_record (cache, doc, key, key_len, value, value_len))
            skipped++;
        }
      if (local_error != NULL)
        {
          /* Half a document must not pass for the whole of it. */
          g_ptr_array_unref (xul_cache_remove_document (cache, doc));
          xul_store_propagate_kv_error (error, local_error);
          return FALSE;
        }
      if (skipped > 0)
        report_skipped (store, doc, skipped);
    }
  xul_cache_mark_loaded (cache, doc);
  return TRUE;
}

/* The first key at or after @from (NULL: the first key), or NULL at the end. */
static GBytes *
first_key_from (XulKvStore *store,
                GBytes     *from,
                GError    **error)
{
  g_autoptr (XulKvIter) iter = xul_kv_store_iter_range (store, from, NULL, error);
  gsize len;
  const guint8 *key;

  if (iter == NULL || !xul_kv_iter_next (iter, error))
    return NULL;
  key = xul_kv_iter_get_key (iter, &len);
  return g_bytes_new (key, len);
}

/* Learns the names of all documents without reading their records: one seek per
 * document, each jumping past every key that starts with "doc 0x00". */
gboolean
xul_load_document_names (XulCache   *cache,
                         XulKvStore *store,
                         GError    **error)
{
  g_autoptr (GBytes) from = NULL;
  GError *local_error = NULL;

  if (store == NULL)
    return TRUE;
  for (;;)
    {
      g_autoptr (GBytes) key = first_key_from (store, from, &local_error);
      gsize len, doc_len;
      const guint8 *data;
      guint8 *next;

      if (key == NULL)
        break;
      data = g_bytes_get_data (key, &len);
      doc_len = xul_key_document_length (data, len);
      if (doc_len < len && g_utf8_validate_len ((const char *) data, doc_len, NULL))
        {
          g_autofree char *doc = g_strndup ((const char *) data, doc_len);
          xul_cache_add_known (cache, doc);
        }
      /* doc 0x01 is the successor of the prefix doc 0x00; a key without 0x00 (not
       * ours) is passed with key 0x00, its own successor. */
      next = g_malloc (doc_len + 1);
      memcpy (next, data, doc_len);
      next[doc_len] = doc_len < len ? 0x01 : 0x00;
      g_clear_pointer (&from, g_bytes_unref);
      from = g_bytes_new_take (next, doc_len + 1);
    }
  if (local_error != NULL)
    {
      xul_store_propagate_kv_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}
