/* fuzz-legacy-reader.c: the legacy xulstore.json reader and importer (migrate/) on
 * arbitrary bytes, with a round trip through a real store.
 *
 * For every input:
 * 1. xul_legacy_parse() with a checking visitor, leniently (skips allowed) and strictly
 *    (the first skip refuses the file). Every callback's arguments are checked (NUL-free
 *    UTF-8 within the XulStore limits, JSON Pointers starting with "/", values reported
 *    right after their member, progress within the size), errors must be
 *    XUL_LEGACY_ERROR with an offset <= size and the line and column of that offset.
 *    The strict parse must see exactly what the lenient one saw up to its first skip,
 *    and then fail with BAD_SHAPE; without skips both must agree. The visitor also
 *    builds its own model of the file with JSON.parse's rules (a repeated member
 *    replaces the earlier one whole), independently of the importer.
 * 2. The input is written to a file and the importer (XUL_IMPORT_REPLACE, and STRICT)
 *    collects it as an import does (xul_legacy_importer_read, then
 *    xul_legacy_importer_collect): it must fail exactly when the parse fails, its
 *    fingerprint must be the file's SHA-256, its report counts must match the model.
 * 3. The changes are applied to store A (a file in a per-process temporary directory):
 *    it must succeed (the reader only passes what the store accepts), and the store
 *    must then hold exactly the model.
 * 4. Round trip: A is exported (xul_store_export_legacy_bytes); the export must parse
 *    without a skip, a cut or a repeated key into the same model (the pretty export
 *    too); it is written with xul_store_export_legacy() and imported with
 *    xul_store_import_legacy() into store B, whose export must equal A's byte for byte.
 * 5. xul_legacy_format_number() on the first 8 bytes read as a double: the text must
 *    read back as the same double and use exponent notation exactly where JavaScript
 *    does.
 * Any g_warning or g_critical aborts. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "fuzz-common.h"
#include "xul-legacy-private.h"
#include "xul-migrate-private.h"

#define FUZZ_MAX_INPUT (1024 * 1024)
/* Stores are closed and started again now and then: a long-lived cache only grows. */
#define STORE_RECYCLE_RUNS 512
#define FILENAME "fuzz.json"

/* doc -> (id -> (attr -> value)), as JSON.parse would see the file. */
typedef GHashTable Model;

typedef struct {
  const char *text;
  gsize size;
  gboolean strict;

  Model *model;
  GHashTable *elements; /* the current document's table */
  GHashTable *attrs;    /* the current element's table */
  char *member_doc, *member_id, *member_attr; /* the last member announced */

  GString *log; /* every callback, in order */
  gsize first_skip_end; /* log length after the first skip */
  guint values, skipped, truncated, duplicates, members;
  gsize progress;
} Walk;

static GHashTable *
string_table (GDestroyNotify value_free)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, value_free);
}

static void
log_strings (Walk       *w,
             char        tag,
             const char *a,
             const char *b,
             const char *c,
             const char *d)
{
  const char *parts[] = { a, b, c, d };

  g_string_append_c (w->log, tag);
  for (gsize i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      /* Strings hold no NUL, so NUL separates them; absent ones are marked. */
      if (parts[i] != NULL)
        g_string_append_len (w->log, parts[i], (gssize) strlen (parts[i]) + 1);
      else
        g_string_append_len (w->log, "\x01", 2);
    }
}

static void
check_names (const char *doc,
             const char *id,
             const char *attr,
             const char *what)
{
  fuzz_check (fuzz_is_text (doc, XUL_STORE_MAX_DOCUMENT_LENGTH),
              "%s: the document is not UTF-8 within its limit", what);
  fuzz_check (id == NULL || fuzz_is_text (id, XUL_STORE_MAX_NAME_LENGTH),
              "%s: the id is not UTF-8 within its limit", what);
  fuzz_check (attr == NULL || fuzz_is_text (attr, XUL_STORE_MAX_NAME_LENGTH),
              "%s: the attribute is not UTF-8 within its limit", what);
}

static void
visit_value (const char *doc,
             const char *id,
             const char *attr,
             const char *value,
             gpointer    data)
{
  Walk *w = data;

  fuzz_check (doc != NULL && id != NULL && attr != NULL && value != NULL,
              "value callback with a NULL argument");
  check_names (doc, id, attr, "value callback");
  fuzz_check (fuzz_is_text (value, XUL_STORE_MAX_VALUE_LENGTH),
              "value callback: the value is not NUL-free UTF-8 within %d characters",
              XUL_STORE_MAX_VALUE_LENGTH);
  fuzz_check (g_strcmp0 (doc, w->member_doc) == 0 && g_strcmp0 (id, w->member_id) == 0 &&
              g_strcmp0 (attr, w->member_attr) == 0 && w->attrs != NULL,
              "a value was reported without its member callback just before it");
  g_hash_table_replace (w->attrs, g_strdup (attr), g_strdup (value));
  w->values++;
  log_strings (w, 'V', doc, id, attr, value);
}

static void
visit_member (const char *doc,
              const char *id,
              const char *attr,
              gpointer    data)
{
  Walk *w = data;

  fuzz_check (doc != NULL, "member callback without a document");
  fuzz_check (id != NULL || attr == NULL, "member callback with an attribute but no id");
  check_names (doc, id, attr, "member callback");
  if (id == NULL)
    {
      w->elements = string_table ((GDestroyNotify) g_hash_table_unref);
      g_hash_table_replace (w->model, g_strdup (doc), w->elements);
      w->attrs = NULL;
    }
  else if (attr == NULL)
    {
      fuzz_check (w->elements != NULL && g_strcmp0 (doc, w->member_doc) == 0,
                  "element member outside its document");
      w->attrs = string_table (g_free);
      g_hash_table_replace (w->elements, g_strdup (id), w->attrs);
    }
  else
    {
      fuzz_check (w->attrs != NULL && g_strcmp0 (doc, w->member_doc) == 0 &&
                  g_strcmp0 (id, w->member_id) == 0,
                  "attribute member outside its element");
      g_hash_table_remove (w->attrs, attr);
    }
  if (id == NULL || attr == NULL)
    {
      g_free (w->member_doc);
      w->member_doc = g_strdup (doc);
    }
  if (attr == NULL)
    {
      g_free (w->member_id);
      w->member_id = g_strdup (id);
    }
  g_free (w->member_attr);
  w->member_attr = g_strdup (attr);
  w->members++;
  log_strings (w, 'M', doc, id, attr, NULL);
}

static void
check_pointer (const char *path,
               const char *reason,
               const char *what)
{
  fuzz_check (path != NULL && path[0] == '/' && fuzz_is_text (path, -1),
              "%s callback with a path that is not a UTF-8 JSON Pointer", what);
  fuzz_check (fuzz_is_text (reason, -1) && reason[0] != '\0',
              "%s callback without a UTF-8 reason", what);
}

static gboolean
visit_skipped (const char *path,
               const char *reason,
               gpointer    data)
{
  Walk *w = data;

  check_pointer (path, reason, "skipped");
  w->skipped++;
  log_strings (w, 'S', path, NULL, NULL, NULL);
  if (w->skipped == 1)
    w->first_skip_end = w->log->len;
  return !w->strict;
}

static void
visit_truncated (const char *path,
                 const char *reason,
                 gpointer    data)
{
  Walk *w = data;

  check_pointer (path, reason, "truncated");
  w->truncated++;
  log_strings (w, 'T', path, NULL, NULL, NULL);
}

static void
visit_duplicate (gpointer data)
{
  Walk *w = data;

  w->duplicates++;
  g_string_append_c (w->log, 'D');
}

static void
visit_progress (gsize    done,
                gsize    total,
                gpointer data)
{
  Walk *w = data;

  fuzz_check (total == w->size && done <= total && done >= w->progress,
              "progress %" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT " after %" G_GSIZE_FORMAT
              " for %" G_GSIZE_FORMAT " bytes", done, total, w->progress, w->size);
  w->progress = done;
}

static const XulLegacyVisitor checking_visitor = {
  visit_value, visit_member, visit_skipped, visit_truncated, visit_duplicate,
  visit_progress,
};

static void
walk_init (Walk       *w,
           const char *text,
           gsize       size,
           gboolean    strict)
{
  memset (w, 0, sizeof *w);
  w->text = text;
  w->size = size;
  w->strict = strict;
  w->model = string_table ((GDestroyNotify) g_hash_table_unref);
  w->log = g_string_new (NULL);
}

static void
walk_clear (Walk *w)
{
  g_hash_table_unref (w->model);
  g_string_free (w->log, TRUE);
  g_free (w->member_doc);
  g_free (w->member_id);
  g_free (w->member_attr);
}

/* Checks a parse error: domain, code, and a position that is in the file. */
static void
check_parse_error (const GError *error,
                   const char   *text,
                   gsize         size,
                   const char   *what)
{
  gint64 offset;
  guint line = 1, column = 1;

  fuzz_check_error (error, XUL_LEGACY_ERROR, what);
  fuzz_check (error->code == XUL_LEGACY_ERROR_SYNTAX ||
              error->code == XUL_LEGACY_ERROR_INVALID_UTF8 ||
              error->code == XUL_LEGACY_ERROR_BAD_SHAPE ||
              error->code == XUL_LEGACY_ERROR_NESTING,
              "%s: a parse cannot fail with code %d: %s", what, error->code, error->message);
  offset = xul_legacy_error_get_offset (error);
  fuzz_check (offset >= 0 && (guint64) offset <= size,
              "%s: error offset %" G_GINT64_FORMAT " is outside the %" G_GSIZE_FORMAT
              " bytes of the file: %s", what, offset, size, error->message);
  for (gint64 i = 0; i < offset; i++)
    {
      column++;
      if (text[i] == '\n')
        {
          line++;
          column = 1;
        }
    }
  fuzz_check (xul_legacy_error_get_line (error) == line &&
              xul_legacy_error_get_column (error) == column,
              "%s: error at line %u column %u, but its offset is at line %u column %u",
              what, xul_legacy_error_get_line (error), xul_legacy_error_get_column (error),
              line, column);
}

static gboolean
walk_run (Walk    *w,
          GError **error)
{
  gboolean ok = xul_legacy_parse (w->text, w->size, FILENAME, &checking_visitor, w, error);

  if (!ok)
    check_parse_error (*error, w->text, w->size, w->strict ? "strict parse" : "parse");
  else
    fuzz_check (*error == NULL, "xul_legacy_parse succeeded but set an error");
  return ok;
}

/* The model as one canonical string: sorted, without empty documents and elements. */
static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static GPtrArray *
sorted_keys (GHashTable *table)
{
  GPtrArray *keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);
  return keys;
}

static void
append_tuple (GString    *out,
              const char *doc,
              const char *id,
              const char *attr,
              const char *value)
{
  g_string_append_printf (out, "%zu:%s %zu:%s %zu:%s %zu:%s\n", strlen (doc), doc,
                          strlen (id), id, strlen (attr), attr, strlen (value), value);
}

typedef struct {
  GString *text;
  guint documents, ids, values;
} Canonical;

static void
canonical_clear (Canonical *c)
{
  g_string_free (c->text, TRUE);
}

static Canonical
canonical_model (Model *model)
{
  Canonical c = { g_string_new (NULL), 0, 0, 0 };
  g_autoptr (GPtrArray) docs = sorted_keys (model);

  for (guint d = 0; d < docs->len; d++)
    {
      GHashTable *elements = g_hash_table_lookup (model, docs->pdata[d]);
      g_autoptr (GPtrArray) ids = sorted_keys (elements);
      guint ids_before = c.ids;
      for (guint i = 0; i < ids->len; i++)
        {
          GHashTable *attrs = g_hash_table_lookup (elements, ids->pdata[i]);
          g_autoptr (GPtrArray) names = sorted_keys (attrs);
          for (guint a = 0; a < names->len; a++)
            append_tuple (c.text, docs->pdata[d], ids->pdata[i], names->pdata[a],
                          g_hash_table_lookup (attrs, names->pdata[a]));
          c.values += names->len;
          c.ids += names->len > 0;
        }
      c.documents += c.ids > ids_before;
    }
  return c;
}

static Canonical
canonical_store (XulStore *store)
{
  Canonical c = { g_string_new (NULL), 0, 0, 0 };
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) docs = xul_store_get_documents (store, &error);

  fuzz_check (docs != NULL, "xul_store_get_documents failed: %s", error->message);
  for (guint d = 0; docs[d] != NULL; d++)
    {
      g_auto (GStrv) ids = xul_store_get_ids (store, docs[d], &error);
      fuzz_check (ids != NULL, "xul_store_get_ids failed: %s", error->message);
      fuzz_check (ids[0] != NULL, "xul_store_get_documents lists a document without ids");
      c.documents++;
      for (guint i = 0; ids[i] != NULL; i++)
        {
          g_auto (GStrv) attrs = xul_store_get_attributes (store, docs[d], ids[i], &error);
          fuzz_check (attrs != NULL, "xul_store_get_attributes failed: %s", error->message);
          fuzz_check (attrs[0] != NULL, "xul_store_get_ids lists an id without attributes");
          c.ids++;
          for (guint a = 0; attrs[a] != NULL; a++)
            {
              g_autofree char *value =
                xul_store_get_value (store, docs[d], ids[i], attrs[a], &error);
              fuzz_check (value != NULL, "xul_store_get_value failed: %s", error->message);
              fuzz_check (xul_store_has_value (store, docs[d], ids[i], attrs[a], NULL),
                          "xul_store_has_value is FALSE for a listed attribute");
              append_tuple (c.text, docs[d], ids[i], attrs[a], value);
              c.values++;
            }
        }
    }
  return c;
}

/* Parses @content (an export) and checks that it holds exactly @expected, cleanly. */
static void
check_export (GBytes     *content,
              const char *expected,
              const char *what)
{
  g_autoptr (GError) error = NULL;
  gsize len;
  const char *text = g_bytes_get_data (content, &len);
  Canonical got;
  Walk w;

  walk_init (&w, text != NULL ? text : "", len, TRUE);
  fuzz_check (walk_run (&w, &error), "the %s does not parse: %s", what, error->message);
  fuzz_check (w.skipped == 0 && w.truncated == 0 && w.duplicates == 0,
              "the %s has %u skipped entries, %u cut values, %u repeated keys", what,
              w.skipped, w.truncated, w.duplicates);
  got = canonical_model (w.model);
  fuzz_check (g_str_equal (got.text->str, expected),
              "the %s does not hold what the store holds", what);
  canonical_clear (&got);
  walk_clear (&w);
}

/* The report as JSON must at least be JSON: the reader may refuse its shape, never its
 * syntax. */
static void
check_report_json (XulMigrationReport *report)
{
  g_autofree char *json = xul_migration_report_to_json (report);
  g_autofree char *text = xul_migration_report_to_text (report);
  g_autoptr (GError) error = NULL;
  Walk w;

  fuzz_check (fuzz_is_text (text, -1), "the report's text is not UTF-8");
  walk_init (&w, json, strlen (json), FALSE);
  if (!walk_run (&w, &error))
    fuzz_check (error->code == XUL_LEGACY_ERROR_BAD_SHAPE,
                "xul_migration_report_to_json wrote invalid JSON: %s", error->message);
  walk_clear (&w);
}

static void
check_number (const uint8_t *data,
              size_t         size)
{
  g_autofree char *text = NULL;
  char *end = NULL;
  double value, back;

  if (size < sizeof value)
    return;
  memcpy (&value, data, sizeof value);
  text = xul_legacy_format_number (value);
  if (isnan (value))
    {
      fuzz_check (g_str_equal (text, "NaN"), "String(NaN) gave %s", text);
      return;
    }
  if (isinf (value))
    {
      fuzz_check (g_str_equal (text, value > 0 ? "Infinity" : "-Infinity"),
                  "String(%s) gave %s", value > 0 ? "Infinity" : "-Infinity", text);
      return;
    }
  back = g_ascii_strtod (text, &end);
  fuzz_check (end != NULL && *end == '\0' && back == value,
              "String(%.17g) gave %s, which reads back as %.17g", value, text, back);
  fuzz_check (strlen (text) <= 25, "String(%.17g) gave %s, too long", value, text);
  if (value != 0)
    {
      gboolean exponent = fabs (value) >= 1e21 || fabs (value) < 1e-6;
      fuzz_check ((strchr (text, 'e') != NULL) == exponent,
                  "String(%.17g) gave %s: JavaScript uses %s notation there", value, text,
                  exponent ? "exponent" : "plain");
    }
}

/* Two stores in the process's temporary directory, reused across inputs. */
static XulStore *store_a, *store_b;
static XulLegacyImporter *importer, *strict_importer;

static XulStore *
open_store (const char *name)
{
  g_autofree char *path = g_build_filename (fuzz_tmpdir (), name, NULL);
  g_autoptr (GError) error = NULL;
  XulStore *store = xul_store_new (path, XUL_STORE_FLAGS_NONE, &error);

  fuzz_check (store != NULL, "cannot open %s: %s", path, error->message);
  return store;
}

static void
close_store (XulStore **store)
{
  g_autoptr (GError) error = NULL;

  if (*store == NULL)
    return;
  fuzz_check (xul_store_close (*store, &error), "closing a store failed: %s",
              error->message);
  g_clear_object (store);
}

static void
setup_stores (void)
{
  static guint runs;

  if (importer == NULL)
    {
      importer = xul_legacy_importer_new (XUL_IMPORT_REPLACE);
      strict_importer = xul_legacy_importer_new (XUL_IMPORT_REPLACE | XUL_IMPORT_STRICT);
    }
  if (runs++ % STORE_RECYCLE_RUNS != 0 && store_a != NULL)
    return;
  close_store (&store_a);
  close_store (&store_b);
  fuzz_clear_dir (fuzz_tmpdir ());
  store_a = open_store ("a.db");
  store_b = open_store ("b.db");
}

/* Parses the input both ways and compares them; returns the lenient walk. */
static gboolean
check_parses (Walk    *lenient,
              GError **lenient_error)
{
  g_autoptr (GError) strict_error = NULL;
  gboolean ok, strict_ok;
  Walk strict;

  ok = walk_run (lenient, lenient_error);
  walk_init (&strict, lenient->text, lenient->size, TRUE);
  strict_ok = walk_run (&strict, &strict_error);

  if (lenient->skipped == 0)
    {
      fuzz_check (strict_ok == ok && g_string_equal (strict.log, lenient->log),
                  "without skipped entries, the strict parse differs from the lenient one");
      if (!ok)
        fuzz_check (strict_error->code == (*lenient_error)->code &&
                    xul_legacy_error_get_offset (strict_error) ==
                      xul_legacy_error_get_offset (*lenient_error),
                    "without skipped entries, strict and lenient parses fail differently");
    }
  else
    {
      fuzz_check (!strict_ok && strict_error->code == XUL_LEGACY_ERROR_BAD_SHAPE,
                  "the lenient parse skipped an entry, but the strict one did not refuse "
                  "the file with BAD_SHAPE");
      fuzz_check (strict.skipped == 1 && strict.log->len == lenient->first_skip_end &&
                  memcmp (strict.log->str, lenient->log->str, strict.log->len) == 0,
                  "the strict parse does not stop at the first skipped entry");
    }
  if (xul_legacy_is_blank (lenient->text, lenient->size))
    fuzz_check (ok && lenient->log->len == 0, "a blank file is not an empty parse");
  walk_clear (&strict);
  return ok;
}

/* Runs @with's collect on the input file, as an import does: the content comes from
 * xul_legacy_importer_read() (the reader gives its pages back as it parses, so it is
 * read afresh each time), and a file whose keys repeat is read a second time. The
 * fingerprint must be the SHA-256 of the input when the collect succeeds. */
static XulChanges *
collect (XulLegacyImporter  *with,
         const char         *path,
         const char         *sha256,
         XulMigrationReport *report,
         GError            **error)
{
  g_autoptr (GBytes) content = NULL;
  g_autofree char *fingerprint = NULL;
  GError *read_error = NULL;
  XulChanges *changes;

  content = xul_legacy_importer_read (with, path, &read_error);
  fuzz_check (content != NULL, "cannot read the input back: %s", read_error->message);
  changes = xul_legacy_importer_collect (with, content, path, report, &fingerprint, error);
  if (changes != NULL)
    fuzz_check (g_strcmp0 (fingerprint, sha256) == 0,
                "the importer's fingerprint %s is not the SHA-256 of the file, %s",
                fingerprint, sha256);
  else
    fuzz_check (fingerprint == NULL, "a failed collect left a fingerprint");
  return changes;
}

/* Collects with the strict importer: it must agree with the lenient walk. */
static void
check_strict_import (Walk       *lenient,
                     const char *path,
                     const char *sha256,
                     gboolean    parsed)
{
  g_autoptr (XulMigrationReport) report = xul_migration_report_new (path);
  g_autoptr (GError) error = NULL;
  XulChanges *changes = collect (strict_importer, path, sha256, report, &error);

  if (changes != NULL)
    {
      fuzz_check (parsed && lenient->skipped == 0,
                  "a strict import accepted a file with skipped entries or errors");
      xul_changes_unref (changes);
    }
  else
    {
      check_parse_error (error, lenient->text, lenient->size, "strict import");
      fuzz_check (!parsed || lenient->skipped > 0,
                  "a strict import refused a clean file: %s", error->message);
    }
  check_report_json (report);
}

static void
round_trip (const char *expected)
{
  g_autofree char *path = g_build_filename (fuzz_tmpdir (), "export.json", NULL);
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (GBytes) compact = NULL, pretty = NULL, written = NULL, again = NULL;
  g_autoptr (GError) error = NULL;

  compact = xul_store_export_legacy_bytes (store_a, XUL_EXPORT_COMPACT, &error);
  fuzz_check (compact != NULL, "export failed: %s", error->message);
  check_export (compact, expected, "export");
  pretty = xul_store_export_legacy_bytes (store_a, XUL_EXPORT_PRETTY, &error);
  fuzz_check (pretty != NULL, "pretty export failed: %s", error->message);
  check_export (pretty, expected, "pretty export");

  fuzz_check (xul_store_export_legacy (store_a, path, &error),
              "export to a file failed: %s", error->message);
  written = fuzz_read_file (path);
  fuzz_check (written != NULL && g_bytes_equal (written, compact),
              "the exported file differs from the exported bytes");
  fuzz_check (xul_store_import_legacy (store_b, path, XUL_IMPORT_REPLACE, &report, &error),
              "importing the export failed: %s", error->message);
  fuzz_check (xul_migration_report_get_entries (report)->len == 0,
              "importing the export reported entries");
  again = xul_store_export_legacy_bytes (store_b, XUL_EXPORT_COMPACT, &error);
  fuzz_check (again != NULL, "export of the second store failed: %s", error->message);
  fuzz_check (g_bytes_equal (again, compact),
              "round trip: the store imported from an export exports differently");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *text = data != NULL ? (const char *) data : "";
  g_autofree char *path = NULL, *sha256 = NULL;
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulChanges) changes = NULL;
  g_autoptr (GError) parse_error = NULL, error = NULL;
  Canonical model, stored;
  gboolean parsed;
  Walk lenient;

  fuzz_init (TRUE);
  if (size > FUZZ_MAX_INPUT)
    return 0;
  check_number (data, size);

  walk_init (&lenient, text, size, FALSE);
  parsed = check_parses (&lenient, &parse_error);

  setup_stores ();
  path = g_build_filename (fuzz_tmpdir (), FILENAME, NULL);
  fuzz_write_file (path, text, size);
  sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) text, size);
  check_strict_import (&lenient, path, sha256, parsed);

  report = xul_migration_report_new (path);
  changes = collect (importer, path, sha256, report, &error);
  if (changes == NULL)
    {
      check_parse_error (error, text, size, "import");
      fuzz_check (!parsed && error->code == parse_error->code &&
                  xul_legacy_error_get_offset (error) ==
                    xul_legacy_error_get_offset (parse_error),
                  "the importer refused what the parse accepted, or otherwise: %s",
                  error->message);
      check_report_json (report);
      walk_clear (&lenient);
      return 0;
    }
  fuzz_check (parsed, "the importer accepted what the parse refused: %s",
              parse_error->message);
  check_report_json (report);
  fuzz_check (xul_migration_report_get_entries (report)->len ==
                lenient.skipped + lenient.truncated,
              "the report has %u entries for %u skipped and %u cut",
              xul_migration_report_get_entries (report)->len, lenient.skipped,
              lenient.truncated);
  if (xul_legacy_is_blank (text, size))
    {
      fuzz_check (xul_changes_get_length (changes) == 0, "a blank file gave changes");
      walk_clear (&lenient);
      return 0;
    }

  model = canonical_model (lenient.model);
  fuzz_check (xul_migration_report_get_documents (report) == model.documents &&
              xul_migration_report_get_ids (report) == model.ids &&
              xul_migration_report_get_values (report) == model.values,
              "the report counts %u documents, %u ids, %u values; the file holds %u, %u, %u",
              xul_migration_report_get_documents (report),
              xul_migration_report_get_ids (report), xul_migration_report_get_values (report),
              model.documents, model.ids, model.values);

  fuzz_check (xul_store_apply (store_a, changes, &error),
              "applying the changes of a file that parsed failed: %s", error->message);
  stored = canonical_store (store_a);
  fuzz_check (g_str_equal (stored.text->str, model.text->str),
              "after the import, the store does not hold what the file holds");
  round_trip (model.text->str);

  canonical_clear (&stored);
  canonical_clear (&model);
  walk_clear (&lenient);
  return 0;
}
