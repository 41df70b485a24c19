/* xul-legacy-private.h: what the files of migrate/ share: the legacy JSON reader and
 * writer, report building, and file helpers. */
#pragma once

#include "xulstore.h"

G_BEGIN_DECLS

/* Callbacks of xul_legacy_parse(), called in file order. */
typedef struct {
  /* A value to import, converted to the text Firefox would serve. */
  void (*value) (const char *doc,
                 const char *id,
                 const char *attr,
                 const char *value,
                 gpointer    data);
  /* A member is about to be read, whatever its value turns out to be: a document (@id
   * and @attr NULL), an element (@attr NULL) or an attribute. A repeated member replaces
   * the earlier one whole, as in JSON.parse, even when its new value is skipped. */
  void (*member) (const char *doc,
                  const char *id,
                  const char *attr,
                  gpointer    data);
  /* An entry that cannot be imported (@path is a JSON Pointer): not an object where one
   * is needed, null, an array, an object as a value, a name over its XulStore limit, a
   * string a C string cannot hold. Returning FALSE stops the parse with
   * XUL_LEGACY_ERROR_BAD_SHAPE. */
  gboolean (*skipped) (const char *path,
                       const char *reason,
                       gpointer    data);
  /* A value over XUL_STORE_MAX_VALUE_LENGTH characters, passed to @value cut to it. */
  void (*truncated) (const char *path,
                     const char *reason,
                     gpointer    data);
  /* A key repeats within its object: the later one wins, as in JSON.parse. */
  void (*duplicate) (gpointer data);
  /* Bytes parsed so far, now and then. */
  void (*progress) (gsize    done,
                    gsize    total,
                    gpointer data);
} XulLegacyVisitor;

/* Parses a legacy file's content (a UTF-8 byte-order mark is skipped; only white space
 * is no data). Any JSON or UTF-8 error fails the whole parse, with its position. */
gboolean xul_legacy_parse (const char             *text,
                           gsize                   len,
                           const char             *filename,
                           const XulLegacyVisitor *visitor,
                           gpointer                data,
                           GError                **error);

/* TRUE when @text holds nothing but an optional byte-order mark and white space. */
gboolean xul_legacy_is_blank (const char *text,
                              gsize       len);

/* xul-legacy-writer.c: appends @text as a JSON string, as JSON.stringify writes it. */
void xul_legacy_append_json_string (GString    *out,
                                    const char *text);

/* xul-legacy-number.c: String(number) in JavaScript. */
char *xul_legacy_format_number (double value);

/* Appends "/" and @component escaped as a JSON Pointer token (RFC 6901). */
void xul_legacy_pointer_append (GString    *pointer,
                                const char *component);

/* xul-legacy-file.c */

/* Reads @path into memory that xul_legacy_release() can give back piece by piece. */
GBytes *xul_legacy_read_file (const char *path,
                              guint64     max_size,
                              GError    **error);
/* Gives the memory of the first @len bytes of @content (from xul_legacy_read_file())
 * back to the system; reading them afterwards gives zeros. */
void xul_legacy_release (GBytes *content,
                         gsize   len);
/* SHA-256 of the content, in hex. */
char *xul_legacy_fingerprint (GBytes *content);
/* Called once the new content is synced in its temporary file, before it replaces the
 * old one; returning FALSE (with @error set) leaves the old file in place. */
typedef gboolean (*XulLegacyBeforeRename) (GBytes   *content,
                                           gpointer  data,
                                           GError  **error);
gboolean xul_legacy_replace_file (const char            *path,
                                  GBytes                *content,
                                  XulLegacyBeforeRename  before_rename,
                                  gpointer               data,
                                  GError               **error);
char *xul_legacy_move_aside (const char *path,
                             const char *tag,
                             GError    **error);

/* xul-legacy-error.c */

/* A position whose line and column are known; counting goes on from there, so text
 * before it need not be readable any more. */
typedef struct {
  gsize offset;
  guint line, column;
} XulLegacyMark;

/* Moves @mark forward to @offset of @text, counting lines. */
void xul_legacy_mark_advance (XulLegacyMark *mark,
                              const char    *text,
                              gsize          offset);

/* Sets an error about the byte at @offset (at or after @from) of @text. */
void xul_legacy_set_error_at (GError             **error,
                              XulLegacyError       code,
                              const char          *text,
                              const XulLegacyMark *from,
                              gsize                offset,
                              const char          *filename,
                              const char          *format,
                              ...) G_GNUC_PRINTF (7, 8);

G_END_DECLS
