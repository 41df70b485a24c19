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

/* Decodes one record; FALSE when it is not a valid tuple with a NUL-free UTF-8 value. */
static gboolean
decode_record (const guint8 *key,
               gsize         key_len,
               const guint8 *value,
               gsize         value_len,
               char        **doc,
               char        **id,
               char        **attr,
               char        **text)
{
  if (memchr (value, 0, value_len) != NULL ||
      !g_utf8_validate_len ((const char *) value, value_len, NULL) ||
      g_utf8_strlen ((const char *) value, (gssize) value_len) > XUL_STORE_MAX_VALUE_LENGTH ||
      !xul_key_decode (key, key_len, doc, id, attr))
    return FALSE;
  /* Nothing over the limits can be set, so nothing over them is served either. */
  if (g_utf8_strlen (*doc, -1) > XUL_STORE_MAX_DOCUMENT_LENGTH ||
      g_utf8_strlen (*id, -1) > XUL_STORE_MAX_NAME_LENGTH ||
      g_utf8_strlen (*attr, -1) > XUL_STORE_MAX_NAME_LENGTH)
    {
      g_clear_pointer (doc, g_free);
      g_clear_pointer (id, g_free);
      g_clear_pointer (attr, g_free);
      return FALSE;
    }
  *text = g_strndup ((const char *) value, value_len);
  return TRUE;
}

/* Adds one record of @doc to the cache; FALSE when it does not decode. */
static gboolean
load_record (XulCache     *cache,
             const char   *doc,
             const guint8 *key,
             gsize         key_len,
             const guint8 *value,
             gsize         value_len)
{
  g_autofree char *key_doc = NULL, *id = NULL, *attr = NULL, *text = NULL;

  if (!decode_record (key, key_len, value, value_len, &key_doc, &id, &attr, &text) ||
      !g_str_equal (key_doc, doc))
    return FALSE;
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

static int
compare_bytes (const guint8 *key,
               gsize         len,
               GBytes       *other)
{
  gsize other_len;
  const guint8 *other_data = g_bytes_get_data (other, &other_len);
  int order = memcmp (key, other_data, MIN (len, other_len));

  return order != 0 ? order : (len > other_len) - (len < other_len);
}

/* Finds the first document at or after @from that has a record that decodes, adds it
 * to the cache, and returns where the next document starts (NULL at the end). Records
 * that do not decode are stepped over, so a document of nothing but those is never
 * listed. */
static gboolean
find_document (XulCache   *cache,
               XulKvStore *store,
               GBytes     *from,
               GBytes    **next,
               GError    **error)
{
  g_autoptr (XulKvIter) iter = xul_kv_store_iter_range (store, from, NULL, error);

  *next = NULL;
  if (iter == NULL)
    return FALSE;
  while (xul_kv_iter_next (iter, error))
    {
      g_autofree char *doc = NULL, *id = NULL, *attr = NULL, *text = NULL;
      gsize key_len, value_len, doc_len;
      const guint8 *key = xul_kv_iter_get_key (iter, &key_len);
      const guint8 *value = xul_kv_iter_get_value (iter, &value_len);
      guint8 *successor;

      /* A damaged index can hand back a key before the one asked for: the scan would
       * then never end. */
      if (from != NULL && compare_bytes (key, key_len, from) < 0)
        {
          g_set_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CORRUPT,
                       "Cannot list the documents of “%s”: its keys are out of order",
                       xul_kv_db_get_path (xul_kv_store_get_db (store)));
          return FALSE;
        }
      if (!decode_record (key, key_len, value, value_len, &doc, &id, &attr, &text))
        continue;
      xul_cache_add_known (cache, doc);
      /* "doc 0x01" is the successor of every key starting "doc 0x00". */
      doc_len = strlen (doc);
      successor = g_malloc (doc_len + 1);
      memcpy (successor, doc, doc_len);
      successor[doc_len] = 0x01;
      *next = g_bytes_new_take (successor, doc_len + 1);
      return TRUE;
    }
  return error == NULL || *error == NULL;
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
  do
    {
      GBytes *next = NULL;
      if (!find_document (cache, store, from, &next, &local_error))
        {
          xul_store_propagate_kv_error (error, local_error);
          return FALSE;
        }
      g_clear_pointer (&from, g_bytes_unref);
      from = next;
    }
  while (from != NULL);
  return TRUE;
}
