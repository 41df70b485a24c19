/* xul-legacy-error.c: the XUL_LEGACY_ERROR domain. Its errors carry where in the file
 * the problem is (byte offset, line, column), readable without parsing the message. */
#include "config.h"

#include "xul-legacy-private.h"

typedef struct {
  gint64 offset; /* -1 when the error is not about a position */
  guint line, column;
} XulLegacyErrorPrivate;

static void
xul_legacy_error_private_init (XulLegacyErrorPrivate *priv)
{
  priv->offset = -1;
}

static void
xul_legacy_error_private_copy (const XulLegacyErrorPrivate *src,
                               XulLegacyErrorPrivate       *dest)
{
  *dest = *src;
}

static void
xul_legacy_error_private_clear (XulLegacyErrorPrivate *priv)
{
}

/* GLib's macro passes pointers that it has checked itself; GCC cannot see that. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
G_DEFINE_EXTENDED_ERROR (XulLegacyError, xul_legacy_error)
#pragma GCC diagnostic pop

/**
 * xul_legacy_error_get_offset:
 * @error: an error in the %XUL_LEGACY_ERROR domain
 *
 * Returns: the byte offset of the problem in the file, or -1 when it has none
 */
gint64
xul_legacy_error_get_offset (const GError *error)
{
  XulLegacyErrorPrivate *priv = xul_legacy_error_get_private (error);
  return priv != NULL ? priv->offset : -1;
}

/**
 * xul_legacy_error_get_line:
 * @error: an error in the %XUL_LEGACY_ERROR domain
 *
 * Returns: the line of the problem, from 1; 0 when it has no position
 */
guint
xul_legacy_error_get_line (const GError *error)
{
  XulLegacyErrorPrivate *priv = xul_legacy_error_get_private (error);
  return priv != NULL ? priv->line : 0;
}

/**
 * xul_legacy_error_get_column:
 * @error: an error in the %XUL_LEGACY_ERROR domain
 *
 * Returns: the column of the problem, from 1, in bytes; 0 when it has no position
 */
guint
xul_legacy_error_get_column (const GError *error)
{
  XulLegacyErrorPrivate *priv = xul_legacy_error_get_private (error);
  return priv != NULL ? priv->column : 0;
}

void
xul_legacy_mark_advance (XulLegacyMark *mark,
                         const char    *text,
                         gsize          offset)
{
  for (gsize i = mark->offset; i < offset; i++)
    {
      mark->column++;
      if (text[i] == '\n')
        {
          mark->line++;
          mark->column = 1;
        }
    }
  mark->offset = MAX (mark->offset, offset);
}

/* Sets an error about the byte at @offset of @text: "file:line:column: message". */
void
xul_legacy_set_error_at (GError             **error,
                         XulLegacyError       code,
                         const char          *text,
                         const XulLegacyMark *from,
                         gsize                offset,
                         const char          *filename,
                         const char          *format,
                         ...)
{
  g_autofree char *message = NULL;
  XulLegacyErrorPrivate *priv;
  XulLegacyMark at = *from;
  va_list args;

  if (error == NULL)
    return;
  xul_legacy_mark_advance (&at, text, offset);
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, XUL_LEGACY_ERROR, code, "%s:%u:%u: %s (byte %" G_GSIZE_FORMAT ")",
               filename, at.line, at.column, message, offset);
  priv = xul_legacy_error_get_private (*error);
  if (priv != NULL)
    {
      priv->offset = (gint64) offset;
      priv->line = at.line;
      priv->column = at.column;
    }
}
