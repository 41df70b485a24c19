/* xul-legacy-reader.c: a streaming reader for the legacy xulstore.json file.
 *
 * The file is an object of documents, each an object of elements, each an object of
 * attribute values. The reader walks that shape once, without building a tree, and
 * hands each value to a visitor as soon as it is read; entries of any other shape are
 * reported and skipped, but the whole file is still checked, so a JSON or UTF-8 error
 * anywhere fails it. Input is hostile: every read is bounds-checked and nesting is
 * limited. */
#include "config.h"

#include <string.h>

#include "xul-legacy-private.h"

/* Deeper values are refused: they cannot be legacy data, and each level costs stack.
 * The top-level object is level 1; attribute values are at level 4. */
#define MAX_DEPTH 64
#define PROGRESS_STEP (256 * 1024)

typedef struct {
  const guint8 *text;
  gsize len, pos;
  const char *filename;
  const XulLegacyVisitor *visitor;
  gpointer data;
  GError **error;
  gsize next_progress;
  XulLegacyMark mark;  /* line and column of the last progress point */
  GString *pointer; /* the JSON Pointer of the current entry */
} Parser;

/* A decoded JSON string. It may hold what a C string cannot: U+0000, or a lone
 * surrogate (JavaScript strings are UTF-16); then it is not importable. */
typedef struct {
  GString *text;
  gboolean importable;
  gsize problem; /* offset of the first escape that makes it not importable */
} JsonString;

static gboolean parse_any (Parser *p, int depth);

static gboolean
fail (Parser        *p,
      XulLegacyError code,
      gsize          offset,
      const char    *message)
{
  xul_legacy_set_error_at (p->error, code, (const char *) p->text, &p->mark, offset,
                           p->filename,
                           "%s", message);
  return FALSE;
}

static gboolean
fail_here (Parser     *p,
           const char *expected)
{
  g_autofree char *message = NULL;

  if (p->pos >= p->len)
    return fail (p, XUL_LEGACY_ERROR_SYNTAX, p->pos,
                 (message = g_strdup_printf ("expected %s, but the file ends", expected)));
  message = g_strdup_printf ("expected %s", expected);
  return fail (p, XUL_LEGACY_ERROR_SYNTAX, p->pos, message);
}

static void
skip_space (Parser *p)
{
  while (p->pos < p->len)
    {
      guint8 c = p->text[p->pos];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
        break;
      p->pos++;
    }
}

static gboolean
at (Parser *p,
    char    c)
{
  return p->pos < p->len && p->text[p->pos] == (guint8) c;
}

static void
report_progress (Parser *p)
{
  if (p->visitor->progress != NULL && p->pos >= p->next_progress)
    {
      /* The visitor may release what is before p->pos: count its lines now. */
      xul_legacy_mark_advance (&p->mark, (const char *) p->text, p->pos);
      p->visitor->progress (p->pos, p->len, p->data);
      p->next_progress = p->pos + PROGRESS_STEP;
    }
}

static int
hex_value (guint8 c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Reads the four hex digits of a \u escape at p->pos. */
static gboolean
read_hex4 (Parser  *p,
           guint32 *out)
{
  guint32 value = 0;

  for (int i = 0; i < 4; i++, p->pos++)
    {
      int digit = p->pos < p->len ? hex_value (p->text[p->pos]) : -1;
      if (digit < 0)
        return fail_here (p, "a hexadecimal digit in a \\u escape");
      value = value << 4 | (guint32) digit;
    }
  *out = value;
  return TRUE;
}

static gboolean
read_unicode_escape (Parser     *p,
                     JsonString *out)
{
  guint32 unit, low;

  if (!read_hex4 (p, &unit))
    return FALSE;
  if (unit >= 0xd800 && unit <= 0xdbff && p->len - p->pos >= 6 &&
      p->text[p->pos] == '\\' && p->text[p->pos + 1] == 'u')
    {
      gsize mark = p->pos;
      p->pos += 2;
      if (!read_hex4 (p, &low))
        return FALSE;
      if (low >= 0xdc00 && low <= 0xdfff)
        {
          g_string_append_unichar (out->text, 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00));
          return TRUE;
        }
      p->pos = mark; /* not a pair: the next escape is read on its own */
    }
  if ((unit >= 0xd800 && unit <= 0xdfff) || unit == 0)
    {
      if (out->importable)
        out->problem = p->pos - 6; /* the backslash of \uXXXX */
      out->importable = FALSE;
      g_string_append_unichar (out->text, 0xfffd);
      return TRUE;
    }
  g_string_append_unichar (out->text, unit);
  return TRUE;
}

static gboolean
read_escape (Parser     *p,
             JsonString *out)
{
  static const char simple[][2] = {
    { '"', '"' }, { '\\', '\\' }, { '/', '/' }, { 'b', '\b' },
    { 'f', '\f' }, { 'n', '\n' }, { 'r', '\r' }, { 't', '\t' },
  };
  guint8 c;

  p->pos++; /* the backslash */
  if (p->pos >= p->len)
    return fail_here (p, "an escape after \\");
  c = p->text[p->pos++];
  if (c == 'u')
    return read_unicode_escape (p, out);
  for (gsize i = 0; i < G_N_ELEMENTS (simple); i++)
    if (c == (guint8) simple[i][0])
      {
        g_string_append_c (out->text, simple[i][1]);
        return TRUE;
      }
  p->pos--;
  return fail_here (p, "one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u after a backslash");
}

/* Reads a string at p->pos (which is at its opening quote) into @out. */
static gboolean
read_string (Parser     *p,
             JsonString *out)
{
  g_string_truncate (out->text, 0);
  out->importable = TRUE;
  p->pos++;
  for (;;)
    {
      gsize start = p->pos;
      guint8 c;

      /* The common case: a run of plain ASCII. */
      while (p->pos < p->len && (c = p->text[p->pos]) >= 0x20 && c < 0x80 && c != '"' &&
             c != '\\')
        p->pos++;
      g_string_append_len (out->text, (const char *) p->text + start, p->pos - start);
      if (p->pos >= p->len)
        return fail_here (p, "the closing quote of a string");
      c = p->text[p->pos];
      if (c == '"')
        {
          p->pos++;
          return TRUE;
        }
      if (c == '\\')
        {
          if (!read_escape (p, out))
            return FALSE;
        }
      else if (c < 0x20)
        return fail (p, XUL_LEGACY_ERROR_SYNTAX, p->pos,
                     "control character inside a string (it must be escaped)");
      else
        {
          gunichar ch = g_utf8_get_char_validated ((const char *) p->text + p->pos,
                                                   (gssize) (p->len - p->pos));
          if (ch == (gunichar) -1 || ch == (gunichar) -2)
            return fail (p, XUL_LEGACY_ERROR_INVALID_UTF8, p->pos, "invalid UTF-8");
          start = p->pos;
          p->pos = (const guint8 *) g_utf8_next_char (p->text + p->pos) - p->text;
          g_string_append_len (out->text, (const char *) p->text + start, p->pos - start);
        }
    }
}

static gboolean
skip_digits (Parser *p)
{
  gsize start = p->pos;

  while (p->pos < p->len && g_ascii_isdigit (p->text[p->pos]))
    p->pos++;
  return p->pos > start;
}

/* Reads a number (JSON grammar, strictly) and gives its text as Firefox serves it. */
static gboolean
read_number (Parser  *p,
             char   **out)
{
  gsize start = p->pos;
  g_autofree char *literal = NULL;

  if (at (p, '-'))
    p->pos++;
  if (at (p, '0'))
    p->pos++;
  else if (!skip_digits (p))
    return fail_here (p, "a digit");
  if (at (p, '.'))
    {
      p->pos++;
      if (!skip_digits (p))
        return fail_here (p, "a digit after the decimal point");
    }
  if (at (p, 'e') || at (p, 'E'))
    {
      p->pos++;
      if (at (p, '+') || at (p, '-'))
        p->pos++;
      if (!skip_digits (p))
        return fail_here (p, "a digit in the exponent");
    }
  literal = g_strndup ((const char *) p->text + start, p->pos - start);
  *out = xul_legacy_format_number (g_ascii_strtod (literal, NULL));
  return TRUE;
}

static gboolean
read_word (Parser     *p,
           const char *word)
{
  for (const char *c = word; *c != '\0'; c++, p->pos++)
    if (p->pos >= p->len || p->text[p->pos] != (guint8) *c)
      {
        g_autofree char *expected = g_strdup_printf ("“%s”", word);
        return fail_here (p, expected);
      }
  return TRUE;
}

/* Reads "key" : at p->pos into @key, leaving p->pos at the value. */
static gboolean
read_key (Parser     *p,
          JsonString *key)
{
  skip_space (p);
  if (!at (p, '"'))
    return fail_here (p, "a string key");
  if (!read_string (p, key))
    return FALSE;
  skip_space (p);
  if (!at (p, ':'))
    return fail_here (p, "':' after a key");
  p->pos++;
  skip_space (p);
  return TRUE;
}

/* After a member: ',' (returns TRUE, *more) or '}' (returns TRUE, !*more). */
static gboolean
read_member_end (Parser   *p,
                 gboolean *more)
{
  skip_space (p);
  if (at (p, ','))
    {
      p->pos++;
      *more = TRUE;
      return TRUE;
    }
  if (at (p, '}'))
    {
      p->pos++;
      *more = FALSE;
      return TRUE;
    }
  return fail_here (p, "',' or '}'");
}

/* Opens an object at p->pos; *empty when it is "{}". */
static gboolean
open_object (Parser   *p,
             gboolean *empty)
{
  p->pos++;
  skip_space (p);
  *empty = at (p, '}');
  if (*empty)
    p->pos++;
  return TRUE;
}

static gboolean
parse_array (Parser *p,
             int     depth)
{
  gboolean more = TRUE;

  p->pos++;
  skip_space (p);
  if (at (p, ']'))
    {
      p->pos++;
      return TRUE;
    }
  while (more)
    {
      if (!parse_any (p, depth + 1))
        return FALSE;
      skip_space (p);
      if (at (p, ']'))
        {
          p->pos++;
          more = FALSE;
        }
      else if (at (p, ','))
        p->pos++;
      else
        return fail_here (p, "',' or ']'");
    }
  return TRUE;
}

static gboolean
parse_object (Parser *p,
              int     depth)
{
  JsonString key = { g_string_new (NULL), TRUE };
  gboolean empty, more = TRUE, ok = open_object (p, &empty);

  for (more = !empty; ok && more;)
    ok = read_key (p, &key) && parse_any (p, depth + 1) && read_member_end (p, &more);
  g_string_free (key.text, TRUE);
  return ok;
}

/* Checks any JSON value whose content is not imported. */
static gboolean
parse_any (Parser *p,
           int     depth)
{
  JsonString ignored = { NULL, TRUE };
  g_autofree char *number = NULL;
  gboolean ok;

  if (depth > MAX_DEPTH)
    return fail (p, XUL_LEGACY_ERROR_NESTING, p->pos,
                 "values nest deeper than " G_STRINGIFY (MAX_DEPTH) " levels");
  skip_space (p);
  if (p->pos >= p->len)
    return fail_here (p, "a value");
  switch (p->text[p->pos])
    {
    case '{':
      return parse_object (p, depth);
    case '[':
      return parse_array (p, depth);
    case '"':
      ignored.text = g_string_new (NULL);
      ok = read_string (p, &ignored);
      g_string_free (ignored.text, TRUE);
      return ok;
    case 't':
      return read_word (p, "true");
    case 'f':
      return read_word (p, "false");
    case 'n':
      return read_word (p, "null");
    default:
      if (p->text[p->pos] != '-' && !g_ascii_isdigit (p->text[p->pos]))
        return fail_here (p, "a value");
      return read_number (p, &number);
    }
}

static const char *
kind_of_value (guint8 c)
{
  switch (c)
    {
    case '{':
      return "an object";
    case '[':
      return "an array";
    case '"':
      return "a string";
    case 't':
    case 'f':
      return "a boolean";
    case 'n':
      return "null";
    default:
      return "a number";
    }
}

/* Tells the visitor that the current entry cannot be imported; FALSE (with the error
 * set) when the visitor refuses the file for it. */
static gboolean
report_skipped (Parser     *p,
                gsize       offset,
                const char *reason)
{
  g_autofree char *message = NULL;

  if (p->visitor->skipped (p->pointer->str, reason, p->data))
    return TRUE;
  message = g_strdup_printf ("%s: %s", p->pointer->str, reason);
  return fail (p, XUL_LEGACY_ERROR_BAD_SHAPE, offset, message);
}

/* Reports the current entry as skipped, then checks its value. */
static gboolean
skip_entry (Parser     *p,
            const char *reason,
            int         depth)
{
  return report_skipped (p, p->pos, reason) && parse_any (p, depth);
}

/* Remembers a key of the current object; a repeated one is announced. */
static void
note_key (Parser     *p,
          GHashTable *seen,
          const char *key)
{
  if (!g_hash_table_add (seen, g_strdup (key)))
    p->visitor->duplicate (p->data);
}

/* Cuts a value over the XulStore limit at a character boundary, as Firefox serves it. */
static void
truncate_value (Parser  *p,
                GString *value)
{
  glong length = g_utf8_strlen (value->str, (gssize) value->len);
  g_autofree char *reason = NULL;

  if (length <= XUL_STORE_MAX_VALUE_LENGTH)
    return;
  g_string_truncate (value, g_utf8_offset_to_pointer (value->str, XUL_STORE_MAX_VALUE_LENGTH) -
                              value->str);
  reason = g_strdup_printf ("the value of %ld characters was cut to %d", length,
                            XUL_STORE_MAX_VALUE_LENGTH);
  p->visitor->truncated (p->pointer->str, reason, p->data);
}

/* Reads the value of an attribute: strings, numbers and booleans are imported. */
static gboolean
parse_attribute_value (Parser     *p,
                       const char *doc,
                       const char *id,
                       const char *attr,
                       JsonString *scratch)
{
  g_autofree char *number = NULL;
  guint8 c;

  if (p->pos >= p->len)
    return fail_here (p, "a value");
  c = p->text[p->pos];
  if (c == '"')
    {
      if (!read_string (p, scratch))
        return FALSE;
      if (!scratch->importable)
        return report_skipped (p, scratch->problem,
                               "the value holds U+0000 or an unpaired surrogate");
      truncate_value (p, scratch->text);
      p->visitor->value (doc, id, attr, scratch->text->str, p->data);
      return TRUE;
    }
  if (c == 't' || c == 'f')
    {
      const char *word = c == 't' ? "true" : "false";
      if (!read_word (p, word))
        return FALSE;
      p->visitor->value (doc, id, attr, word, p->data);
      return TRUE;
    }
  if (c == '-' || g_ascii_isdigit (c))
    {
      if (!read_number (p, &number))
        return FALSE;
      p->visitor->value (doc, id, attr, number, p->data);
      return TRUE;
    }
  if (c == 'n' || c == '[' || c == '{')
    {
      g_autofree char *reason = g_strdup_printf ("the value is %s", kind_of_value (c));
      return skip_entry (p, reason, 4);
    }
  return fail_here (p, "a value");
}

/* Runs @member for each member of the object at p->pos, with the pointer extended by
 * its key; keys that cannot be C strings are skipped with their value. */
typedef gboolean (*MemberFunc) (Parser     *p,
                                JsonString *key,
                                gpointer    data);

/* What the keys of each level name, and the XulStore limit on them. */
static const struct {
  const char *what;
  glong max_chars;
} key_kinds[] = {
  [1] = { "document name", XUL_STORE_MAX_DOCUMENT_LENGTH },
  [2] = { "element id", XUL_STORE_MAX_NAME_LENGTH },
  [3] = { "attribute name", XUL_STORE_MAX_NAME_LENGTH },
};

/* Why the key cannot be stored, or NULL when it can; *offset is where the problem is. */
static char *
key_problem (const JsonString *key,
             gsize             key_start,
             int               depth,
             gsize            *offset)
{
  glong length;

  *offset = key_start;
  if (!key->importable)
    *offset = key->problem;
  if (!key->importable)
    return g_strdup_printf ("the %s holds U+0000 or an unpaired surrogate",
                            key_kinds[depth].what);
  length = g_utf8_strlen (key->text->str, (gssize) key->text->len);
  if (length > key_kinds[depth].max_chars)
    return g_strdup_printf ("the %s is %ld characters long, over the limit of %ld",
                            key_kinds[depth].what, length, key_kinds[depth].max_chars);
  return NULL;
}

static gboolean
parse_members (Parser     *p,
               int         depth,
               GHashTable *seen,
               MemberFunc  member,
               gpointer    data)
{
  JsonString key = { g_string_new (NULL), TRUE };
  gsize pointer_len = p->pointer->len;
  gboolean empty, more, ok = open_object (p, &empty);

  for (more = !empty; ok && more;)
    {
      g_autofree char *problem = NULL;
      gsize key_start, offset;

      skip_space (p);
      key_start = p->pos;
      ok = read_key (p, &key);
      if (!ok)
        break;
      xul_legacy_pointer_append (p->pointer, key.text->str);
      problem = key_problem (&key, key_start, depth, &offset);
      if (problem != NULL)
        ok = report_skipped (p, offset, problem) && parse_any (p, depth + 1);
      else
        {
          note_key (p, seen, key.text->str);
          ok = member (p, &key, data);
        }
      g_string_truncate (p->pointer, pointer_len);
      ok = ok && read_member_end (p, &more);
      report_progress (p);
    }
  g_string_free (key.text, TRUE);
  return ok;
}

typedef struct {
  const char *doc, *id;
  JsonString scratch;
} Context;

static gboolean
attribute_member (Parser     *p,
                  JsonString *key,
                  gpointer    data)
{
  Context *context = data;

  p->visitor->member (context->doc, context->id, key->text->str, p->data);
  return parse_attribute_value (p, context->doc, context->id, key->text->str,
                                &context->scratch);
}

static gboolean
element_member (Parser     *p,
                JsonString *key,
                gpointer    data)
{
  Context *context = data;
  g_autoptr (GHashTable) seen = NULL;
  gboolean ok;

  p->visitor->member (context->doc, key->text->str, NULL, p->data);
  if (!at (p, '{'))
    {
      g_autofree char *reason = NULL;
      if (p->pos >= p->len)
        return fail_here (p, "a value");
      reason = g_strdup_printf ("the element is %s, not an object",
                                kind_of_value (p->text[p->pos]));
      return skip_entry (p, reason, 3);
    }
  context->id = key->text->str;
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ok = parse_members (p, 3, seen, attribute_member, context);
  context->id = NULL;
  return ok;
}

static gboolean
document_member (Parser     *p,
                 JsonString *key,
                 gpointer    data)
{
  Context context = { key->text->str, NULL, { g_string_new (NULL), TRUE } };
  g_autoptr (GHashTable) seen = NULL;
  gboolean ok;

  p->visitor->member (context.doc, NULL, NULL, p->data);
  if (!at (p, '{'))
    {
      g_autofree char *reason = NULL;
      g_string_free (context.scratch.text, TRUE);
      if (p->pos >= p->len)
        return fail_here (p, "a value");
      reason = g_strdup_printf ("the document is %s, not an object",
                                kind_of_value (p->text[p->pos]));
      return skip_entry (p, reason, 2);
    }
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ok = parse_members (p, 2, seen, element_member, &context);
  g_string_free (context.scratch.text, TRUE);
  return ok;
}

static gsize
bom_length (const char *text,
            gsize       len)
{
  return len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

gboolean
xul_legacy_is_blank (const char *text,
                     gsize       len)
{
  for (gsize i = bom_length (text, len); i < len; i++)
    if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n')
      return FALSE;
  return TRUE;
}

gboolean
xul_legacy_parse (const char             *text,
                  gsize                   len,
                  const char             *filename,
                  const XulLegacyVisitor *visitor,
                  gpointer                data,
                  GError                **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GString) pointer = g_string_new (NULL);
  Parser p = {
    .text = (const guint8 *) text,
    .len = len,
    .pos = bom_length (text, len),
    .filename = filename,
    .visitor = visitor,
    .data = data,
    .error = error,
    .pointer = pointer,
    .mark = { 0, 1, 1 },
  };

  skip_space (&p);
  if (p.pos >= p.len)
    return TRUE;
  if (!at (&p, '{'))
    {
      gsize start = p.pos;
      g_autofree char *message = g_strdup_printf (
        "the file must hold an object of documents, not %s", kind_of_value (p.text[p.pos]));
      /* A syntax error beats a shape error: report what the file really is. */
      if (!parse_any (&p, 1))
        return FALSE;
      skip_space (&p);
      if (p.pos < p.len)
        return fail (&p, XUL_LEGACY_ERROR_SYNTAX, p.pos, "unexpected data after the value");
      return fail (&p, XUL_LEGACY_ERROR_BAD_SHAPE, start, message);
    }
  if (!parse_members (&p, 1, seen, document_member, NULL))
    return FALSE;
  skip_space (&p);
  if (p.pos < p.len)
    return fail (&p, XUL_LEGACY_ERROR_SYNTAX, p.pos, "unexpected data after the object");
  if (visitor->progress != NULL)
    visitor->progress (p.len, p.len, data);
  return TRUE;
}

void
xul_legacy_pointer_append (GString    *pointer,
                           const char *component)
{
  g_string_append_c (pointer, '/');
  for (const char *c = component; *c != '\0'; c++)
    {
      if (*c == '~')
        g_string_append (pointer, "~0");
      else if (*c == '/')
        g_string_append (pointer, "~1");
      else
        g_string_append_c (pointer, *c);
    }
}
