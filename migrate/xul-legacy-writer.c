/* xul-legacy-writer.c: a XulStore as a legacy xulstore.json file, byte for byte what
 * Firefox writes (JSON.stringify): compact, non-ASCII raw, only quotes, backslashes and
 * control characters escaped. Documents, ids and attributes come out sorted, so the
 * same store always gives the same bytes. */
#include "config.h"

#include <string.h>

#include "xul-legacy-private.h"

/* The export is streamed from xul_store_foreach(): a document or an element is opened
 * at its first value and closed when a value of the next one (or the end) comes. */
typedef struct {
  GString *out;
  gboolean pretty;
  char *doc;  /* the open document, NULL before the first value */
  char *id;   /* the open element of doc */
  gboolean first_attr;
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

static void
close_element_and_document (Writer *w)
{
  close_object (w, FALSE, 2);
  close_object (w, FALSE, 1);
}

static gboolean
write_value (const char *doc,
             const char *id,
             const char *attr,
             const char *value,
             gpointer    data)
{
  Writer *w = data;

  if (w->doc == NULL || strcmp (doc, w->doc) != 0)
    {
      if (w->doc != NULL)
        close_element_and_document (w);
      write_key (w, doc, w->doc == NULL, 1);
      g_string_append_c (w->out, '{');
      g_free (w->doc);
      w->doc = g_strdup (doc);
      g_clear_pointer (&w->id, g_free);
    }
  if (w->id == NULL || strcmp (id, w->id) != 0)
    {
      if (w->id != NULL)
        close_object (w, FALSE, 2);
      write_key (w, id, w->id == NULL, 2);
      g_string_append_c (w->out, '{');
      g_free (w->id);
      w->id = g_strdup (id);
      w->first_attr = TRUE;
    }
  write_key (w, attr, w->first_attr, 3);
  write_string (w, value);
  w->first_attr = FALSE;
  return TRUE;
}

/**
 * xul_store_export_legacy_bytes:
 * @self: a #XulStore
 * @flags: %XUL_EXPORT_PRETTY for an indented file
 * @error: return location for a #GError
 *
 * Writes the whole store in the legacy shape, in memory. Documents, ids and
 * attributes are sorted, so equal stores give equal bytes. The content is one
 * consistent state, the one on disk: see xul_store_foreach().
 *
 * Returns: (transfer full): the file's content, or %NULL on error
 */
GBytes *
xul_store_export_legacy_bytes (XulStore      *self,
                               XulExportFlags flags,
                               GError       **error)
{
  Writer w = { g_string_new (NULL), (flags & XUL_EXPORT_PRETTY) != 0 };
  gboolean ok;

  g_return_val_if_fail (XUL_IS_STORE (self), NULL);
  g_string_append_c (w.out, '{');
  ok = xul_store_foreach (self, write_value, &w, error);
  if (ok && w.doc != NULL)
    close_element_and_document (&w);
  close_object (&w, w.doc == NULL, 0);
  if (w.pretty)
    g_string_append_c (w.out, '\n');
  g_free (w.doc);
  g_free (w.id);
  if (!ok)
    {
      g_string_free (w.out, TRUE);
      return NULL;
    }
  return g_string_free_to_bytes (w.out);
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
