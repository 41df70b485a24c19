/* xul-legacy-writer.c: a XulStore as a legacy xulstore.json file, byte for byte what
 * Firefox writes (JSON.stringify): compact, non-ASCII raw, only quotes, backslashes and
 * control characters escaped. Documents, ids and attributes come out sorted, so the
 * same store always gives the same bytes. */
#include "config.h"

#include "xul-legacy-private.h"

typedef struct {
  GString *out;
  gboolean pretty;
} Writer;

/* As JSON.stringify writes a string. */
void
xul_legacy_append_json_string (GString    *out,
                               const char *text)
{
  static const char hex[] = "0123456789abcdef";

  g_string_append_c (out, '"');
  for (const guint8 *c = (const guint8 *) text; *c != '\0'; c++)
    {
      switch (*c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if (*c < 0x20)
            {
              g_string_append (out, "\\u00");
              g_string_append_c (out, hex[*c >> 4]);
              g_string_append_c (out, hex[*c & 0xf]);
            }
          else
            g_string_append_c (out, (char) *c);
        }
    }
  g_string_append_c (out, '"');
}

static void
write_string (Writer     *w,
              const char *text)
{
  xul_legacy_append_json_string (w->out, text);
}

static void
write_newline (Writer *w,
               int     depth)
{
  if (!w->pretty)
    return;
  g_string_append_c (w->out, '\n');
  for (int i = 0; i < depth; i++)
    g_string_append (w->out, "  ");
}

/* Writes "key": before a member, with the separator from the previous one. */
static void
write_key (Writer     *w,
           const char *key,
           gboolean    first,
           int         depth)
{
  if (!first)
    g_string_append_c (w->out, ',');
  write_newline (w, depth);
  write_string (w, key);
  g_string_append (w->out, w->pretty ? ": " : ":");
}

static void
close_object (Writer  *w,
              gboolean empty,
              int      depth)
{
  if (!empty)
    write_newline (w, depth);
  g_string_append_c (w->out, '}');
}

static gboolean
write_element (Writer     *w,
               XulStore   *store,
               const char *doc,
               const char *id,
               GError    **error)
{
  g_auto (GStrv) attrs = xul_store_get_attributes (store, doc, id, error);

  if (attrs == NULL)
    return FALSE;
  g_string_append_c (w->out, '{');
  for (guint i = 0; attrs[i] != NULL; i++)
    {
      g_autofree char *value = xul_store_get_value (store, doc, id, attrs[i], error);
      if (value == NULL)
        return FALSE;
      write_key (w, attrs[i], i == 0, 3);
      write_string (w, value);
    }
  close_object (w, attrs[0] == NULL, 2);
  return TRUE;
}

static gboolean
write_document (Writer     *w,
                XulStore   *store,
                const char *doc,
                GError    **error)
{
  g_auto (GStrv) ids = xul_store_get_ids (store, doc, error);

  if (ids == NULL)
    return FALSE;
  g_string_append_c (w->out, '{');
  for (guint i = 0; ids[i] != NULL; i++)
    {
      write_key (w, ids[i], i == 0, 2);
      if (!write_element (w, store, doc, ids[i], error))
        return FALSE;
    }
  close_object (w, ids[0] == NULL, 1);
  return TRUE;
}

/**
 * xul_store_export_legacy_bytes:
 * @self: a #XulStore
 * @flags: %XUL_EXPORT_PRETTY for an indented file
 * @error: return location for a #GError
 *
 * Writes the whole store in the legacy shape, in memory. Documents, ids and
 * attributes are sorted, so equal stores give equal bytes.
 *
 * Returns: (transfer full): the file's content, or %NULL on error
 */
GBytes *
xul_store_export_legacy_bytes (XulStore      *self,
                               XulExportFlags flags,
                               GError       **error)
{
  Writer w = { g_string_new (NULL), (flags & XUL_EXPORT_PRETTY) != 0 };
  g_auto (GStrv) docs = NULL;

  g_return_val_if_fail (XUL_IS_STORE (self), NULL);
  docs = xul_store_get_documents (self, error);
  if (docs == NULL)
    goto fail;
  g_string_append_c (w.out, '{');
  for (guint i = 0; docs[i] != NULL; i++)
    {
      write_key (&w, docs[i], i == 0, 1);
      if (!write_document (&w, self, docs[i], error))
        goto fail;
    }
  close_object (&w, docs[0] == NULL, 0);
  if (w.pretty)
    g_string_append_c (w.out, '\n');
  return g_string_free_to_bytes (w.out);

fail:
  g_string_free (w.out, TRUE);
  return NULL;
}

/**
 * xul_store_export_legacy:
 * @self: a #XulStore
 * @json_path: (type filename): the file to write
 * @error: return location for a #GError
 *
 * Writes the whole store to a legacy file, compact as Firefox writes it. The file is
 * replaced atomically (a temporary file beside it, synced, renamed), with mode 0600;
 * importing it gives back exactly the store's values.
 *
 * Returns: %TRUE on success
 */
gboolean
xul_store_export_legacy (XulStore   *self,
                         const char *json_path,
                         GError    **error)
{
  g_autoptr (GBytes) content = NULL;

  g_return_val_if_fail (XUL_IS_STORE (self), FALSE);
  g_return_val_if_fail (json_path != NULL, FALSE);
  content = xul_store_export_legacy_bytes (self, XUL_EXPORT_COMPACT, error);
  return content != NULL && xul_legacy_replace_file (json_path, content, NULL, NULL, error);
}
