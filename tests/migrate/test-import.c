/* test-import.c: importing legacy xulstore.json files into a XulStore
 * (xul_store_import_legacy, XulLegacyImporter), exporting a store to one
 * (xul_store_export_legacy, xul_store_export_legacy_bytes), and the migration report;
 * json-c is the independent reading of the files on both sides. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mg-test.h"
#include "xs-test.h"

#define BROWSER "chrome://browser/content/browser.xhtml"
#define BROWSER_PTR "/chrome:~1~1browser~1content~1browser.xhtml"
#define PLACES "chrome://browser/content/places/places.xhtml"
#define PAGEINFO "chrome://browser/content/pageinfo/pageInfo.xhtml"
#define PROFILE "profile/xulstore.json"

/* ------------------------------------------------------------------------------------ */
/* Helpers. */

static char *
data_path (const char *name)
{
  return g_build_filename (XUL_TEST_DATA, name, NULL);
}

/* Copies data/@name into @dir (as its base name): imports never touch data/ itself,
 * and the copy shows whether the importer changed its file. */
static char *
copy_data (TuTmpdir   *dir,
           const char *name)
{
  g_autofree char *source = data_path (name);
  g_autofree char *base = g_path_get_basename (name);
  g_autoptr (GBytes) bytes = tu_read_bytes (source);
  char *path = tu_tmpdir_file (dir, base);

  tu_write_file (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return path;
}

/* Writes @text to @name in @dir. */
static char *
write_json (TuTmpdir   *dir,
            const char *name,
            const char *text)
{
  char *path = tu_tmpdir_file (dir, name);

  tu_write_file (path, text, strlen (text));
  return path;
}

/* One value as an unambiguous string (lengths first: names may hold any character). */
static char *
record (const char *doc,
        const char *id,
        const char *attr,
        const char *value)
{
  return g_strdup_printf ("%" G_GSIZE_FORMAT ":%s|%" G_GSIZE_FORMAT ":%s|%" G_GSIZE_FORMAT
                          ":%s=%s", strlen (doc), doc, strlen (id), id, strlen (attr), attr,
                          value);
}

static gint
compare_records (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Every value of @store, sorted. */
static GPtrArray *
store_dump (XulStore *store)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) docs = xul_store_get_documents (store, &error);
  GPtrArray *records = g_ptr_array_new_with_free_func (g_free);

  tu_assert_no_error (error);
  for (guint d = 0; docs[d] != NULL; d++)
    {
      g_auto (GStrv) ids = xul_store_get_ids (store, docs[d], &error);
      tu_assert_no_error (error);
      for (guint i = 0; ids[i] != NULL; i++)
        {
          g_auto (GStrv) attrs = xul_store_get_attributes (store, docs[d], ids[i], &error);
          tu_assert_no_error (error);
          for (guint a = 0; attrs[a] != NULL; a++)
            {
              g_autofree char *value =
                xul_store_get_value (store, docs[d], ids[i], attrs[a], &error);
              tu_assert_no_error (error);
              g_ptr_array_add (records, record (docs[d], ids[i], attrs[a], value));
            }
        }
    }
  g_ptr_array_sort (records, compare_records);
  return records;
}

static json_object *
jsonc_parse (const char *text,
             gsize       len)
{
  struct json_tokener *tok = json_tokener_new ();
  json_object *root;

  json_tokener_set_flags (tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  root = json_tokener_parse_ex (tok, text, (int) len);
  if (json_tokener_get_error (tok) != json_tokener_success ||
      json_tokener_get_parse_end (tok) != len)
    fail_msg ("json-c cannot parse: %s", json_tokener_error_desc (json_tokener_get_error (tok)));
  json_tokener_free (tok);
  assert_non_null (root);
  return root;
}

/* json-c's reading of a legacy file (three levels of objects, string leaves) as a
 * sorted dump; a byte-order mark is dropped first, as json-c refuses it. */
static GPtrArray *
jsonc_dump (const char *text,
            gsize       len)
{
  GPtrArray *records = g_ptr_array_new_with_free_func (g_free);
  json_object *root;

  if (len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    text += 3, len -= 3;
  root = jsonc_parse (text, len);
  assert_true (json_object_is_type (root, json_type_object));
  {
    json_object_object_foreach (root, doc, elements)
      {
        assert_true (json_object_is_type (elements, json_type_object));
        json_object_object_foreach (elements, id, attrs)
          {
            assert_true (json_object_is_type (attrs, json_type_object));
            json_object_object_foreach (attrs, attr, value)
              {
                assert_true (json_object_is_type (value, json_type_string));
                g_ptr_array_add (records,
                                 record (doc, id, attr, json_object_get_string (value)));
              }
          }
      }
  }
  json_object_put (root);
  g_ptr_array_sort (records, compare_records);
  return records;
}

static GPtrArray *
jsonc_dump_file (const char *path)
{
  g_autoptr (GBytes) bytes = tu_read_bytes (path);

  return jsonc_dump (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
assert_same_records (GPtrArray *expected,
                     GPtrArray *actual)
{
  for (guint i = 0; i < MIN (expected->len, actual->len); i++)
    if (strcmp (g_ptr_array_index (actual, i), g_ptr_array_index (expected, i)) != 0)
      fail_msg ("record %u: got \"%.300s\", expected \"%.300s\"", i,
                (const char *) g_ptr_array_index (actual, i),
                (const char *) g_ptr_array_index (expected, i));
  assert_int_equal (actual->len, expected->len);
}

static void
assert_store_equals (XulStore  *store,
                     GPtrArray *expected)
{
  g_autoptr (GPtrArray) actual = store_dump (store);

  assert_same_records (expected, actual);
}

static XulMigrationReport *
import_ok (XulStore      *store,
           const char    *path,
           XulImportFlags flags)
{
  g_autoptr (GError) error = NULL;
  XulMigrationReport *report = NULL;

  assert_true (xul_store_import_legacy (store, path, flags, &report, &error));
  tu_assert_no_error (error);
  assert_non_null (report);
  assert_int_equal (xul_migration_report_get_action (report), XUL_MIGRATION_IMPORTED);
  assert_string_equal (xul_migration_report_get_source (report), path);
  return report;
}

/* Asserts that importing @path fails with @code at @offset (-1: not checked) and
 * changes neither the store nor the file. */
static void
assert_import_refused (XulStore      *store,
                       const char    *path,
                       XulImportFlags flags,
                       int            code,
                       gint64         offset)
{
  g_autoptr (GPtrArray) before = store_dump (store);
  g_autoptr (GBytes) file_before = tu_read_bytes (path);
  g_autoptr (GBytes) file_after = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (XulMigrationReport) report = NULL;

  assert_false (xul_store_import_legacy (store, path, flags, &report, &error));
  assert_non_null (error);
  if (!g_error_matches (error, XUL_LEGACY_ERROR, code))
    fail_msg ("%s: expected legacy error %d, got %s:%d: %s", path, code,
              g_quark_to_string (error->domain), error->code, error->message);
  if (offset >= 0)
    mg_assert_error_position (error, g_bytes_get_data (file_before, NULL), offset);
  assert_null (report);
  assert_store_equals (store, before);
  file_after = tu_read_bytes (path);
  tu_assert_same_bytes (file_before, file_after);
}

static XulReportEntry *
entry_at (XulMigrationReport *report,
          guint               i)
{
  GPtrArray *entries = xul_migration_report_get_entries (report);

  assert_true (i < entries->len);
  return g_ptr_array_index (entries, i);
}

static void
assert_entry (XulMigrationReport *report,
              guint               i,
              XulReportEntryKind  kind,
              const char         *path)
{
  XulReportEntry *entry = entry_at (report, i);

  assert_int_equal (xul_report_entry_get_kind (entry), kind);
  assert_string_equal (xul_report_entry_get_path (entry), path);
  assert_non_null (xul_report_entry_get_reason (entry));
  assert_true (strlen (xul_report_entry_get_reason (entry)) > 0);
}

static void
assert_counts (XulMigrationReport *report,
               guint               documents,
               guint               ids,
               guint               values)
{
  assert_int_equal (xul_migration_report_get_documents (report), documents);
  assert_int_equal (xul_migration_report_get_ids (report), ids);
  assert_int_equal (xul_migration_report_get_values (report), values);
}

/* A store with a few values of its own, not in any sample. */
static void
seed (XulStore *store)
{
  xs_set (store, BROWSER, "main-window", "width", "1");
  xs_set (store, BROWSER, "own-element", "open", "true");
  xs_set (store, "chrome://own/content/own.xhtml", "x", "y", "z");
}

/* ------------------------------------------------------------------------------------ */
/* Importing. */

static void
test_the_profile_imports_every_record (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *path = copy_data (dir, PROFILE);
  g_autoptr (XulMigrationReport) report = import_ok (store, path, XUL_IMPORT_MERGE);
  g_autoptr (GPtrArray) expected = jsonc_dump_file (path);
  g_autoptr (XulStore) reopened = NULL;

  assert_counts (report, 8, 432, 468);
  assert_int_equal (xul_migration_report_get_entries (report)->len, 0);
  assert_null (xul_migration_report_get_problem (report));
  assert_true (xul_migration_report_get_duration (report) >= 0);
  assert_store_equals (store, expected);

  xs_assert_value (store, BROWSER, "main-window", "width", "1520");
  xs_assert_value (store, BROWSER, "main-window", "height", "980");
  xs_assert_value (store, BROWSER, "main-window", "sizemode", "normal");
  xs_assert_value (store, BROWSER, "main-window", "gtktiledwindow", "-moz-missing\n");
  xs_assert_value (store, BROWSER, "sidebar-box", "positionend", "");
  xs_assert_value (store, BROWSER, "sidebar-box", "style",
                   "width: 286px; font-family: \"Fira Sans\", sans-serif;");
  xs_assert_value (store, PLACES, "place:98e3969fac458439e1ad6d43e4552381", "open", "true");

  /* Imported durably: a new store on the file sees it all. */
  xs_close (store);
  reopened = xs_open (dir, 0);
  assert_store_equals (reopened, expected);
}

static void
test_valid_samples_import_what_json_c_reads (void **state)
{
  static const struct {
    const char *name;
    guint documents, ids, values;
  } samples[] = {
    { "samples/pretty.json", 3, 8, 17 },
    { "samples/unicode.json", 3, 9, 21 },
    { "samples/bom.json", 1, 1, 2 },
    { "samples/empty-object.json", 0, 0, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
      g_autoptr (XulStore) store = xs_open (dir, 0);
      g_autofree char *path = copy_data (dir, samples[i].name);
      g_autoptr (XulMigrationReport) report = import_ok (store, path, XUL_IMPORT_MERGE);
      g_autoptr (GPtrArray) expected = jsonc_dump_file (path);

      print_message ("# %s\n", samples[i].name);
      assert_store_equals (store, expected);
      assert_counts (report, samples[i].documents, samples[i].ids, samples[i].values);
      assert_int_equal (xul_migration_report_get_entries (report)->len, 0);
    }
}

static void
test_numbers_and_booleans_import_as_text (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *path = copy_data (dir, "samples/third-party-numbers.json");
  g_autoptr (XulMigrationReport) report = import_ok (store, path, XUL_IMPORT_STRICT);
  g_autoptr (GPtrArray) dump = NULL;
  /* String(JSON.parse(lexeme)), data/README.md. */
  static const char *const expected[][4] = {
    { BROWSER, "main-window", "width", "1280" },
    { BROWSER, "main-window", "height", "800" },
    { BROWSER, "main-window", "screenX", "-8" },
    { BROWSER, "main-window", "screenY", "-8" },
    { BROWSER, "main-window", "sizemode", "maximized" },
    { BROWSER, "sidebar-box", "width", "1000" },
    { BROWSER, "sidebar-box", "checked", "true" },
    { BROWSER, "sidebar-box", "sidebarcommand", "viewBookmarksSidebar" },
    { BROWSER, "PersonalToolbar", "collapsed", "false" },
    { BROWSER, "urlbar-container", "width", "1" },
    { BROWSER, "urlbar-container", "zoom", "1.5" },
    { PLACES, "places", "width", "2.5" },
    { PLACES, "places", "height", "100" },
    { PLACES, "placesContentDate", "ordinal", "0" },
    { PLACES, "placesContentDate", "width", "0" },
    { PLACES, "placesContentTitle", "lastModified", "12345678901234567000" },
    { PLACES, "placesContentURL", "tiny", "0.000001" },
    { PLACES, "placesContentURL", "tinier", "1e-7" },
    { PLACES, "placesContentURL", "ordinal", "3" },
  };

  /* Not entries to skip: even a strict import takes them. */
  assert_counts (report, 2, 8, G_N_ELEMENTS (expected));
  assert_int_equal (xul_migration_report_get_entries (report)->len, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    xs_assert_value (store, expected[i][0], expected[i][1], expected[i][2], expected[i][3]);
  dump = store_dump (store);
  assert_int_equal (dump->len, G_N_ELEMENTS (expected));
}

static void
test_skipped_entries_are_listed_in_the_report (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *path = copy_data (dir, "samples/skipped-entries.json");
  g_autoptr (XulMigrationReport) report = import_ok (store, path, XUL_IMPORT_MERGE);
  g_autoptr (GPtrArray) dump = store_dump (store);

  assert_counts (report, 2, 3, 5);
  assert_int_equal (xul_migration_report_get_entries (report)->len, 5);
  assert_entry (report, 0, XUL_REPORT_ENTRY_SKIPPED, BROWSER_PTR "/main-window/height");
  assert_entry (report, 1, XUL_REPORT_ENTRY_SKIPPED, BROWSER_PTR "/main-window/screenX");
  assert_entry (report, 2, XUL_REPORT_ENTRY_SKIPPED, BROWSER_PTR "/main-window/screenY");
  assert_entry (report, 3, XUL_REPORT_ENTRY_SKIPPED, BROWSER_PTR "/sidebar-box");
  assert_entry (report, 4, XUL_REPORT_ENTRY_SKIPPED,
                "/chrome:~1~1browser~1content~1places~1places.xhtml");

  assert_int_equal (dump->len, 5);
  xs_assert_value (store, BROWSER, "main-window", "width", "1280");
  xs_assert_value (store, BROWSER, "main-window", "sizemode", "normal");
  xs_assert_value (store, BROWSER, "main-window", "height", NULL);
  xs_assert_value (store, BROWSER, "main-window", "screenX", NULL);
  xs_assert_value (store, BROWSER, "PersonalToolbar", "collapsed", "false");
  xs_assert_value (store, PAGEINFO, "main-window", "height", "500");
  xs_assert_strv (xul_store_get_ids (store, BROWSER, NULL),
                  (const char *const[]) { "PersonalToolbar", "main-window", NULL });
}

static void
test_over_limit_entries_are_skipped_or_truncated (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *path = copy_data (dir, "samples/over-limits.json");
  g_autoptr (XulMigrationReport) report = import_ok (store, path, XUL_IMPORT_MERGE);
  g_autofree char *cut = xul_store_get_value (store, BROWSER, "urlbar-container",
                                              "value-5000", NULL);
  g_autofree char *whole = xul_store_get_value (store, BROWSER, "urlbar-container",
                                                "value-4096", NULL);
  g_autoptr (GPtrArray) dump = store_dump (store);
  g_autoptr (GBytes) bytes = tu_read_bytes (path);
  json_object *root = jsonc_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  json_object *browser, *element, *value;

  /* 12 values: the id of 513 and the attribute of 600 characters are skipped, the value
   * of 5000 is cut to 4096 and reported. */
  assert_counts (report, 2, 6, 10);
  assert_int_equal (dump->len, 10);
  assert_int_equal (xul_migration_report_get_entries (report)->len, 3);
  assert_int_equal (xul_report_entry_get_kind (entry_at (report, 0)), XUL_REPORT_ENTRY_SKIPPED);
  assert_true (g_str_has_prefix (xul_report_entry_get_path (entry_at (report, 0)),
                                 BROWSER_PTR "/id-513-abcdé"));
  assert_int_equal (xul_report_entry_get_kind (entry_at (report, 1)), XUL_REPORT_ENTRY_SKIPPED);
  assert_true (g_str_has_prefix (xul_report_entry_get_path (entry_at (report, 1)),
                                 BROWSER_PTR "/sidebar-box/attr-600-abcdé"));
  assert_entry (report, 2, XUL_REPORT_ENTRY_TRUNCATED,
                BROWSER_PTR "/urlbar-container/value-5000");

  assert_non_null (root);
  assert_true (json_object_object_get_ex (root, BROWSER, &browser));
  assert_true (json_object_object_get_ex (browser, "urlbar-container", &element));
  assert_true (json_object_object_get_ex (element, "value-5000", &value));
  assert_int_equal (g_utf8_strlen (cut, -1), XUL_STORE_MAX_VALUE_LENGTH);
  assert_true (g_str_has_prefix (json_object_get_string (value), cut));
  assert_true (json_object_object_get_ex (element, "value-4096", &value));
  assert_string_equal (whole, json_object_get_string (value));
  json_object_put (root);
}

static void
test_strict_refuses_a_file_with_entries_to_skip (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *skipped = copy_data (dir, "samples/skipped-entries.json");
  g_autofree char *limits = copy_data (dir, "samples/over-limits.json");
  g_autofree char *pretty = copy_data (dir, "samples/pretty.json");
  g_autoptr (GBytes) content = tu_read_bytes (skipped);
  const char *text = g_bytes_get_data (content, NULL);
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) limits_content = tu_read_bytes (limits);
  const char *limits_text = g_bytes_get_data (limits_content, NULL);
  gint64 key_start, value_start, offset;

  seed (store);
  /* The first entry it cannot take is the null of main-window/height: refused there,
   * nothing imported (the width before it neither). */
  assert_import_refused (store, skipped, XUL_IMPORT_STRICT, XUL_LEGACY_ERROR_BAD_SHAPE,
                         strstr (text, "null") - text);
  assert_import_refused (store, skipped, XUL_IMPORT_STRICT | XUL_IMPORT_REPLACE,
                         XUL_LEGACY_ERROR_BAD_SHAPE, strstr (text, "null") - text);
  xs_assert_value (store, BROWSER, "main-window", "width", "1");

  /* The id of 513 characters: at its key (or its value). */
  assert_false (xul_store_import_legacy (store, limits, XUL_IMPORT_STRICT, NULL, &error));
  assert_non_null (error);
  offset = xul_legacy_error_get_offset (error);
  key_start = strstr (limits_text, "\"id-513-") - limits_text;
  value_start = strchr (limits_text + key_start + 1, '{') - limits_text;
  if (offset < key_start || offset > value_start)
    fail_msg ("over-long id refused at %" G_GINT64_FORMAT ", not in %" G_GINT64_FORMAT
              "..%" G_GINT64_FORMAT, offset, key_start, value_start);
  tu_assert_error (error, XUL_LEGACY_ERROR, XUL_LEGACY_ERROR_BAD_SHAPE);
  xs_assert_value (store, BROWSER, "main-window", "width", "1");

  /* A file with nothing to skip is imported whole. */
  report = import_ok (store, pretty, XUL_IMPORT_STRICT);
  assert_counts (report, 3, 8, 17);
  xs_assert_value (store, BROWSER, "main-window", "width", "1280");
}

static void
test_strings_a_c_string_cannot_hold_are_skipped (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *nul = copy_data (dir, "broken/nul-in-key.json");
  g_autofree char *surrogate = copy_data (dir, "broken/lone-surrogate.json");
  g_autoptr (XulMigrationReport) nul_report = import_ok (store, nul, XUL_IMPORT_MERGE);
  const char *path;

  /* Never cut at the NUL: that would overwrite main-window's width with 9999. */
  xs_assert_value (store, BROWSER, "main-window", "width", "1280");
  xs_assert_strv (xul_store_get_ids (store, BROWSER, NULL),
                  (const char *const[]) { "main-window", NULL });
  assert_int_equal (xul_migration_report_get_entries (nul_report)->len, 1);
  path = xul_report_entry_get_path (entry_at (nul_report, 0));
  assert_int_equal (xul_report_entry_get_kind (entry_at (nul_report, 0)),
                    XUL_REPORT_ENTRY_SKIPPED);
  assert_true (g_str_has_prefix (path, BROWSER_PTR "/main-window"));
  assert_string_not_equal (path, BROWSER_PTR "/main-window");

  {
    g_autoptr (XulMigrationReport) report = import_ok (store, surrogate, XUL_IMPORT_MERGE);
    assert_int_equal (xul_migration_report_get_entries (report)->len, 1);
    assert_entry (report, 0, XUL_REPORT_ENTRY_SKIPPED, BROWSER_PTR "/main-window/title");
    /* Neither CESU-8 nor a silent U+FFFD. */
    xs_assert_value (store, BROWSER, "main-window", "title", NULL);
  }

  /* Strict: refused at the backslash of the escape (data/README.md). */
  assert_import_refused (store, nul, XUL_IMPORT_STRICT, XUL_LEGACY_ERROR_BAD_SHAPE, 86);
  assert_import_refused (store, surrogate, XUL_IMPORT_STRICT, XUL_LEGACY_ERROR_BAD_SHAPE, 86);
}

static void
test_merge_keeps_values_the_file_does_not_have (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *path = copy_data (dir, "samples/pretty.json");
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (GPtrArray) expected = jsonc_dump_file (path);

  seed (store);
  report = import_ok (store, path, XUL_IMPORT_MERGE);
  /* The file's values win; the store's own stay. */
  xs_assert_value (store, BROWSER, "main-window", "width", "1280");
  xs_assert_value (store, BROWSER, "own-element", "open", "true");
  xs_assert_value (store, "chrome://own/content/own.xhtml", "x", "y", "z");
  g_ptr_array_add (expected, record (BROWSER, "own-element", "open", "true"));
  g_ptr_array_add (expected, record ("chrome://own/content/own.xhtml", "x", "y", "z"));
  g_ptr_array_sort (expected, compare_records);
  assert_store_equals (store, expected);
}

static void
test_replace_makes_the_store_equal_to_the_file (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *path = copy_data (dir, "samples/pretty.json");
  g_autofree char *skipped = copy_data (dir, "samples/skipped-entries.json");
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulMigrationReport) second = NULL;
  g_autoptr (GPtrArray) expected = jsonc_dump_file (path);
  g_autoptr (GPtrArray) dump = NULL;

  seed (store);
  report = import_ok (store, path, XUL_IMPORT_REPLACE);
  assert_store_equals (store, expected);
  xs_assert_value (store, BROWSER, "own-element", "open", NULL);
  assert_counts (report, 3, 8, 17);

  /* Skipped entries are not kept from before either. */
  xs_set (store, BROWSER, "main-window", "height", "1");
  second = import_ok (store, skipped, XUL_IMPORT_REPLACE);
  dump = store_dump (store);
  assert_int_equal (dump->len, 5);
  xs_assert_value (store, BROWSER, "main-window", "height", NULL);
  xs_assert_value (store, PLACES, "places", "width", NULL);
}

static void
test_blank_files_change_nothing (void **state)
{
  static const char *const blank[] = { "samples/empty.json", "samples/whitespace-only.json" };
  static const XulImportFlags modes[] = { XUL_IMPORT_MERGE, XUL_IMPORT_REPLACE,
                                          XUL_IMPORT_REPLACE | XUL_IMPORT_STRICT };

  for (gsize i = 0; i < G_N_ELEMENTS (blank); i++)
    for (gsize m = 0; m < G_N_ELEMENTS (modes); m++)
      {
        g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
        g_autoptr (XulStore) store = xs_open (dir, 0);
        g_autofree char *path = copy_data (dir, blank[i]);
        g_autoptr (GBytes) file_before = tu_read_bytes (path);
        g_autoptr (GBytes) file_after = NULL;
        g_autoptr (GPtrArray) before = NULL;
        g_autoptr (XulMigrationReport) report = NULL;

        seed (store);
        before = store_dump (store);
        /* No data is not "no values": even REPLACE keeps the store. */
        report = import_ok (store, path, modes[m]);
        assert_store_equals (store, before);
        assert_non_null (xul_migration_report_get_problem (report));
        assert_counts (report, 0, 0, 0);
        assert_int_equal (xul_migration_report_get_entries (report)->len, 0);
        file_after = tu_read_bytes (path);
        tu_assert_same_bytes (file_before, file_after);
      }
}

static void
test_broken_files_are_refused_whole (void **state)
{
  /* data/README.md: kind and offset of each. */
  static const struct {
    const char *name;
    int code;
    gint64 offset;
  } broken[] = {
    { "broken/syntax-missing-colon.json", XUL_LEGACY_ERROR_SYNTAX, 66 },
    { "broken/syntax-unterminated-string.json", XUL_LEGACY_ERROR_SYNTAX, 89 },
    { "broken/syntax-trailing-comma.json", XUL_LEGACY_ERROR_SYNTAX, 119 },
    { "broken/truncated.json", XUL_LEGACY_ERROR_SYNTAX, 12832 },
    { "broken/trailing-garbage.json", XUL_LEGACY_ERROR_SYNTAX, 75 },
    { "broken/invalid-utf8.json", XUL_LEGACY_ERROR_INVALID_UTF8, 73 },
    { "broken/not-an-object.json", XUL_LEGACY_ERROR_BAD_SHAPE, 0 },
    { "broken/top-level-string.json", XUL_LEGACY_ERROR_BAD_SHAPE, 0 },
    { "broken/binary-garbage.json", XUL_LEGACY_ERROR_SYNTAX, 0 },
    { "broken/single-quotes.json", XUL_LEGACY_ERROR_SYNTAX, 4 },
    { "broken/comments.json", XUL_LEGACY_ERROR_SYNTAX, 4 },
    { "broken/nan.json", XUL_LEGACY_ERROR_SYNTAX, 84 },
  };
  static const XulImportFlags modes[] = { XUL_IMPORT_MERGE, XUL_IMPORT_REPLACE,
                                          XUL_IMPORT_STRICT };
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *profile = copy_data (dir, PROFILE);
  g_autoptr (XulMigrationReport) report G_GNUC_UNUSED = import_ok (store, profile, XUL_IMPORT_MERGE);

  /* A full store: a REPLACE that went wrong would lose all of it. Some broken files
   * have valid values before their error: none of them may land. */
  seed (store);
  for (gsize i = 0; i < G_N_ELEMENTS (broken); i++)
    {
      g_autofree char *path = copy_data (dir, broken[i].name);

      print_message ("# %s\n", broken[i].name);
      for (gsize m = 0; m < G_N_ELEMENTS (modes); m++)
        assert_import_refused (store, path, modes[m], broken[i].code, broken[i].offset);
    }
  xs_assert_value (store, BROWSER, "main-window", "width", "1");
}

static void
test_deep_nesting_is_refused_at_the_depth_limit (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *path = copy_data (dir, "broken/deep-nesting.json");

  seed (store);
  /* 20000 arrays from offset 66 (depth 4): refused at the first over depth 64. */
  assert_import_refused (store, path, XUL_IMPORT_REPLACE, XUL_LEGACY_ERROR_NESTING, 127);
}

static void
test_a_missing_file_is_an_io_error (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *path = tu_tmpdir_file (dir, "missing.json");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) before = NULL;

  seed (store);
  before = store_dump (store);
  assert_false (xul_store_import_legacy (store, path, XUL_IMPORT_REPLACE, NULL, &error));
  tu_assert_error (error, XUL_LEGACY_ERROR, XUL_LEGACY_ERROR_IO);
  assert_store_equals (store, before);
}

static void
test_a_file_over_the_size_cap_is_refused (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *path = copy_data (dir, PROFILE);
  g_autoptr (XulLegacyImporter) importer = xul_legacy_importer_new (XUL_IMPORT_REPLACE);
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) before = NULL;
  guint64 size = (guint64) tu_file_size (path), max_size = 0;

  g_object_get (importer, "max-size", &max_size, NULL);
  assert_int_equal (max_size, XUL_LEGACY_DEFAULT_MAX_SIZE);
  seed (store);
  before = store_dump (store);

  /* One byte over the cap. */
  g_object_set (importer, "max-size", size - 1, NULL);
  assert_false (xul_legacy_importer_run (importer, store, path, &report, &error));
  assert_non_null (error);
  /* Refused before it is parsed: no position in it. */
  assert_int_equal (xul_legacy_error_get_offset (error), -1);
  tu_assert_error (error, XUL_LEGACY_ERROR, XUL_LEGACY_ERROR_TOO_LARGE);
  assert_null (report);
  assert_store_equals (store, before);

  /* Exactly at the cap. */
  g_object_set (importer, "max-size", size, NULL);
  assert_true (xul_legacy_importer_run (importer, store, path, &report, &error));
  tu_assert_no_error (error);
  assert_counts (report, 8, 432, 468);
}

typedef struct {
  guint calls;
  guint64 last_done, last_total;
  gboolean wrong; /* done > total, or done went back, or total changed */
} Progress;

static void
on_progress (XulLegacyImporter *importer,
             guint64            done,
             guint64            total,
             Progress          *progress)
{
  if (done > total || done < progress->last_done ||
      (progress->calls > 0 && total != progress->last_total))
    progress->wrong = TRUE;
  progress->calls++;
  progress->last_done = done;
  progress->last_total = total;
}

static void
test_progress_ends_at_the_file_size (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *path = tu_tmpdir_file (dir, "big.json");
  g_autofree char *value = g_strnfill (4000, 'v');
  g_autoptr (GString) big = g_string_new ("{\"" BROWSER "\":{");
  g_autoptr (XulLegacyImporter) importer = xul_legacy_importer_new (XUL_IMPORT_MERGE);
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (GError) error = NULL;
  Progress progress = { 0 };

  /* 2.4 MB in 600 values: several steps of progress. */
  for (int i = 0; i < 600; i++)
    g_string_append_printf (big, "%s\"e%d\":{\"a\":\"%s\"}", i ? "," : "", i, value);
  g_string_append (big, "}}");
  tu_write_file (path, big->str, big->len);

  g_signal_connect (importer, "progress", G_CALLBACK (on_progress), &progress);
  assert_true (xul_legacy_importer_run (importer, store, path, &report, &error));
  tu_assert_no_error (error);
  assert_int_equal (xul_migration_report_get_values (report), 600);
  assert_true (progress.calls >= 3);
  assert_false (progress.wrong);
  assert_int_equal (progress.last_total, big->len);
  assert_int_equal (progress.last_done, big->len);
}

static void
test_duplicate_keys_import_as_json_parse_reads_them (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *path = copy_data (dir, "samples/duplicate-keys.json");
  g_autoptr (XulMigrationReport) report = import_ok (store, path, XUL_IMPORT_MERGE);
  g_autoptr (GPtrArray) expected = jsonc_dump_file (path);

  /* json-c keeps the last occurrence too. */
  assert_store_equals (store, expected);
  assert_counts (report, 3, 6, 7);
  xs_assert_value (store, BROWSER, "main-window", "width", "1280");
  xs_assert_value (store, BROWSER, "main-window", "height", "768");
  /* The repeated element replaced the first whole, not merged into it. */
  xs_assert_strv (xul_store_get_attributes (store, BROWSER, "sidebar-box", NULL),
                  (const char *const[]) { "width", NULL });
  xs_assert_value (store, BROWSER, "sidebar-box", "width", "300");
  xs_assert_value (store, BROWSER, "café", "spelled", "raw");
  xs_assert_strv (xul_store_get_ids (store, "chrome://app/content/dup-doc.xhtml", NULL),
                  (const char *const[]) { "second", NULL });
}

static void
test_a_repeated_key_whose_last_value_is_skipped_keeps_nothing (void **state)
{
  /* JSON.parse keeps the last value of a repeated key; when that one cannot be
   * imported, nothing of the earlier one may be. */
  static const char *const files[] = {
    "{\"d\":{\"e\":{\"a\":\"1\"}},\"d\":\"gone\"}",
    "{\"d\":{\"e\":{\"a\":\"1\"},\"e\":null}}",
    "{\"d\":{\"e\":{\"a\":\"1\",\"a\":null}}}",
    "{\"d\":{\"e\":{\"a\":\"1\",\"a\":[\"2\"]}}}",
  };
  g_autoptr (GString) wrong = g_string_new (NULL);

  /* Every case is tried before failing, to show which levels are affected. */
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
      g_autoptr (XulStore) store = xs_open (dir, 0);
      g_autofree char *path = write_json (dir, "dup.json", files[i]);
      g_autoptr (XulMigrationReport) report = import_ok (store, path, XUL_IMPORT_MERGE);
      g_autoptr (GPtrArray) dump = store_dump (store);

      if (dump->len != 0 || xul_migration_report_get_values (report) != 0)
        g_string_append_printf (wrong, " %s imported %u values (%s);", files[i], dump->len,
                                dump->len > 0 ? (const char *) dump->pdata[0] : "");
      /* The skipped last value is reported. */
      if (xul_migration_report_get_entries (report)->len < 1)
        g_string_append_printf (wrong, " %s reported no skipped entry;", files[i]);
    }
  if (wrong->len > 0)
    {
      /* Freed before failing: cmocka leaves the function by longjmp. */
      char message[1024];
      g_strlcpy (message, wrong->str, sizeof message);
      g_string_free (g_steal_pointer (&wrong), TRUE);
      fail_msg ("%s", message);
    }
}

/* ------------------------------------------------------------------------------------ */
/* Exporting. */

static char *
export_text (XulStore      *store,
             XulExportFlags flags)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = xul_store_export_legacy_bytes (store, flags, &error);
  gsize len;
  const char *data;

  tu_assert_no_error (error);
  assert_non_null (bytes);
  data = g_bytes_get_data (bytes, &len);
  assert_null (memchr (data, '\0', len));
  return g_strndup (data, len);
}

static void
export_ok (XulStore   *store,
           const char *path)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_store_export_legacy (store, path, &error));
  tu_assert_no_error (error);
}

static void
test_export_writes_what_json_stringify_writes (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *path = tu_tmpdir_file (dir, "xulstore.json");
  g_autofree char *text = NULL;
  g_autoptr (GBytes) file = NULL;
  /* JSON.stringify (Node 20): only quotes, backslashes and controls are escaped,
   * controls without a short form as \u00xx in lower case; "/" and DEL, U+2028 and
   * non-ASCII stay raw. */
  static const char expected[] =
    "{\"chrome://a/content/a.xhtml\":{\"main\":{\"backslash\":\"C:\\\\Users\","
    "\"ctl\":\"\\u0001\\u001f\",\"del\":\"x\x7fy\",\"more\":\"\\b\\f\\r\","
    "\"newline\":\"a\\nb\",\"quote\":\"say \\\"hi\\\"\",\"slash\":\"a/b\","
    "\"tab\":\"a\\tb\",\"u2028\":\"\xe2\x80\xa8\",\"utf8\":\"é中😀\"}}}";

  xs_set (store, "chrome://a/content/a.xhtml", "main", "utf8", "é中😀");
  xs_set (store, "chrome://a/content/a.xhtml", "main", "quote", "say \"hi\"");
  xs_set (store, "chrome://a/content/a.xhtml", "main", "backslash", "C:\\Users");
  xs_set (store, "chrome://a/content/a.xhtml", "main", "newline", "a\nb");
  xs_set (store, "chrome://a/content/a.xhtml", "main", "tab", "a\tb");
  xs_set (store, "chrome://a/content/a.xhtml", "main", "ctl", "\x01\x1f");
  xs_set (store, "chrome://a/content/a.xhtml", "main", "more", "\b\f\r");
  xs_set (store, "chrome://a/content/a.xhtml", "main", "slash", "a/b");
  xs_set (store, "chrome://a/content/a.xhtml", "main", "del", "x\x7fy");
  xs_set (store, "chrome://a/content/a.xhtml", "main", "u2028", "\xe2\x80\xa8");

  text = export_text (store, XUL_EXPORT_COMPACT);
  assert_string_equal (text, expected);
  /* The file holds the same bytes, with no newline at the end, as Firefox writes it. */
  export_ok (store, path);
  file = tu_read_bytes (path);
  assert_int_equal (g_bytes_get_size (file), sizeof expected - 1);
  assert_memory_equal (g_bytes_get_data (file, NULL), expected, sizeof expected - 1);
}

static void
test_export_escapes_names_too (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *text = NULL;

  xs_set (store, "a\"b", "\\", "\n", "\t");
  xs_set (store, "", "", "", "");
  text = export_text (store, XUL_EXPORT_COMPACT);
  assert_string_equal (text, "{\"\":{\"\":{\"\":\"\"}},\"a\\\"b\":{\"\\\\\":{\"\\n\":\"\\t\"}}}");
}

static void
test_export_sorts_by_bytes (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *text = NULL;

  /* Inserted out of order; byte order puts upper case first and é, 😀 last. */
  xs_set (store, "é", "i", "x", "11");
  xs_set (store, "b", "i", "x", "10");
  xs_set (store, "a", "place:2", "x", "8");
  xs_set (store, "a", "_", "😀", "6");
  xs_set (store, "a", "_", "width", "4");
  xs_set (store, "a", "_", "é", "5");
  xs_set (store, "a", "_", "height", "3");
  xs_set (store, "a", "_", "Width", "2");
  xs_set (store, "a", "place:10", "x", "7");
  xs_set (store, "aa", "i", "x", "9");
  xs_set (store, "B", "Z", "x", "1");
  text = export_text (store, XUL_EXPORT_COMPACT);
  assert_string_equal (text,
                       "{\"B\":{\"Z\":{\"x\":\"1\"}},"
                       "\"a\":{\"_\":{\"Width\":\"2\",\"height\":\"3\",\"width\":\"4\","
                       "\"é\":\"5\",\"😀\":\"6\"},\"place:10\":{\"x\":\"7\"},"
                       "\"place:2\":{\"x\":\"8\"}},"
                       "\"aa\":{\"i\":{\"x\":\"9\"}},\"b\":{\"i\":{\"x\":\"10\"}},"
                       "\"é\":{\"i\":{\"x\":\"11\"}}}");
}

static void
test_pretty_export_indents_by_two_spaces (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *text = NULL;

  xs_set (store, "e", "j", "c", "x");
  xs_set (store, "d", "i", "b", "w");
  xs_set (store, "d", "i", "a", "v");
  text = export_text (store, XUL_EXPORT_PRETTY);
  /* JSON.stringify (data, null, 2), then a newline, as samples/pretty.json. */
  assert_string_equal (text, "{\n"
                             "  \"d\": {\n"
                             "    \"i\": {\n"
                             "      \"a\": \"v\",\n"
                             "      \"b\": \"w\"\n"
                             "    }\n"
                             "  },\n"
                             "  \"e\": {\n"
                             "    \"j\": {\n"
                             "      \"c\": \"x\"\n"
                             "    }\n"
                             "  }\n"
                             "}\n");
}

static void
test_an_empty_store_exports_an_empty_object (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *path = tu_tmpdir_file (dir, "xulstore.json");
  g_autofree char *compact = export_text (store, XUL_EXPORT_COMPACT);
  g_autofree char *pretty = export_text (store, XUL_EXPORT_PRETTY);
  g_autoptr (GBytes) file = NULL;

  assert_string_equal (compact, "{}");
  assert_string_equal (pretty, "{}\n");
  export_ok (store, path);
  file = tu_read_bytes (path);
  assert_int_equal (g_bytes_get_size (file), 2);
  assert_memory_equal (g_bytes_get_data (file, NULL), "{}", 2);

  /* A value removed again leaves nothing behind. */
  xs_set (store, "d", "i", "a", "v");
  assert_true (xul_store_remove_value (store, "d", "i", "a", NULL));
  g_free (compact);
  compact = export_text (store, XUL_EXPORT_COMPACT);
  assert_string_equal (compact, "{}");
}

static void
test_export_replaces_the_file_atomically_with_mode_0600 (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *path = tu_tmpdir_file (dir, "xulstore.json");
  g_autofree char *fresh = tu_tmpdir_file (dir, "fresh.json");
  g_autofree char *expected = NULL;
  g_autoptr (GBytes) file = NULL;

  xs_set (store, "d", "i", "a", "v");
  expected = export_text (store, XUL_EXPORT_COMPACT);

  /* A new file: private, as Firefox's profile files are. */
  export_ok (store, fresh);
  assert_int_equal (tu_file_mode (fresh), 0600);

  /* An existing, world-readable, longer file is replaced whole. */
  tu_write_file (path, "{\"old\":{\"old\":{\"old\":\"a long old value, longer than the new\"}}}",
                 63);
  assert_int_equal (g_chmod (path, 0644), 0);
  export_ok (store, path);
  assert_int_equal (tu_file_mode (path), 0600);
  file = tu_read_bytes (path);
  assert_int_equal (g_bytes_get_size (file), strlen (expected));
  assert_memory_equal (g_bytes_get_data (file, NULL), expected, strlen (expected));
  /* Nothing left beside it. */
  assert_int_equal (tu_count_entries_containing (dir->path, ".tmp-"), 0);
  assert_int_equal (tu_count_entries_containing (dir->path, "xulstore.json"), 1);
}

static void
test_export_replaces_a_symlink_instead_of_following_it (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *path = tu_tmpdir_file (dir, "xulstore.json");
  g_autofree char *victim = tu_tmpdir_file (dir, "victim");
  g_autoptr (GBytes) victim_after = NULL;
  g_autofree char *expected = NULL;
  g_autoptr (GBytes) file = NULL;
  GStatBuf st;

  xs_set (store, "d", "i", "a", "v");
  expected = export_text (store, XUL_EXPORT_COMPACT);
  tu_write_file (victim, "precious", 8);
  if (symlink (victim, path) != 0)
    fail_msg ("symlink: %s", g_strerror (errno));

  export_ok (store, path);
  assert_int_equal (g_lstat (path, &st), 0);
  assert_true (S_ISREG (st.st_mode));
  assert_int_equal (st.st_mode & 0777, 0600);
  file = tu_read_bytes (path);
  assert_memory_equal (g_bytes_get_data (file, NULL), expected, strlen (expected));
  /* The file the link pointed to is untouched. */
  victim_after = tu_read_bytes (victim);
  assert_int_equal (g_bytes_get_size (victim_after), 8);
  assert_memory_equal (g_bytes_get_data (victim_after, NULL), "precious", 8);
  assert_int_equal (tu_count_entries_containing (dir->path, ".tmp-"), 0);
}

static void
test_export_where_no_file_can_be_is_an_io_error (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *path = g_build_filename (dir->path, "missing", "xulstore.json", NULL);
  g_autoptr (GError) error = NULL;

  xs_set (store, "d", "i", "a", "v");
  assert_false (xul_store_export_legacy (store, path, &error));
  tu_assert_error (error, XUL_LEGACY_ERROR, XUL_LEGACY_ERROR_IO);
  assert_false (tu_file_exists (path));

  /* A directory where the file should be: left alone, and no temporary file stays. */
  g_free (path);
  path = tu_tmpdir_file (dir, "xulstore.json");
  assert_int_equal (g_mkdir (path, 0700), 0);
  assert_false (xul_store_export_legacy (store, path, &error));
  tu_assert_error (error, XUL_LEGACY_ERROR, XUL_LEGACY_ERROR_IO);
  assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));
  assert_int_equal (tu_count_entries_containing (dir->path, ".tmp-"), 0);
}

/* Strings that tend to break writers and readers. */
static const char *const unusual[] = {
  "",
  "\t",
  "say \"hi\"",
  "C:\\Users\\me\\",
  "\x01\x02\x1f\x7f",
  "line\nbreak\r\n",
  "\b\f",
  "é",
  "中文",
  "😀",
  "\xe2\x80\xa8\xe2\x80\xa9",
  "/",
  "~1",
  "-moz-missing\n",
  "  spaces  ",
  "\xef\xbb\xbf",
  "\\u0000",
  "a|b=c:d",
  "\xef\xbf\xbf\xf4\x8f\xbf\xbf",
  "cafe\xcc\x81",
};

static void
fill_with_unusual_strings (XulStore *store)
{
  g_autoptr (GString) long_value = g_string_new (NULL);
  guint n = G_N_ELEMENTS (unusual);

  /* Every string in every place, each once with each neighbour. */
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < 3; j++)
      xs_set (store, unusual[i], unusual[(i + j + 1) % n], unusual[(i + 2 * j + 2) % n],
              unusual[(i + j + 3) % n]);
  /* The longest value, made of 4-byte characters and escapes. */
  for (int i = 0; i < XUL_STORE_MAX_VALUE_LENGTH / 2; i++)
    g_string_append (long_value, i % 2 ? "😀\"" : "\x01\\");
  xs_set (store, "long", "long", "long", long_value->str);
}

static void
test_unusual_strings_survive_a_round_trip (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (TuTmpdir) other_dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (XulStore) other = xs_open (other_dir, 0);
  g_autofree char *path = tu_tmpdir_file (dir, "xulstore.json");
  g_autofree char *pretty_path = tu_tmpdir_file (dir, "pretty.json");
  g_autofree char *again = tu_tmpdir_file (other_dir, "again.json");
  g_autofree char *pretty = NULL;
  g_autoptr (GPtrArray) expected = NULL;
  g_autoptr (GPtrArray) from_json_c = NULL;
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulMigrationReport) pretty_report = NULL;
  g_autoptr (GBytes) first = NULL;
  g_autoptr (GBytes) second = NULL;

  fill_with_unusual_strings (store);
  expected = store_dump (store);
  assert_true (expected->len >= 3 * G_N_ELEMENTS (unusual) - 3);
  export_ok (store, path);

  /* json-c reads the same content... */
  from_json_c = jsonc_dump_file (path);
  assert_same_records (expected, from_json_c);

  /* ...and so does the importer, into another store, whatever it held. */
  xs_set (other, "x", "y", "z", "w");
  report = import_ok (other, path, XUL_IMPORT_REPLACE | XUL_IMPORT_STRICT);
  assert_store_equals (other, expected);
  assert_int_equal (xul_migration_report_get_values (report), expected->len);
  assert_int_equal (xul_migration_report_get_entries (report)->len, 0);

  /* Equal stores give equal bytes. */
  export_ok (other, again);
  first = tu_read_bytes (path);
  second = tu_read_bytes (again);
  tu_assert_same_bytes (first, second);

  /* The pretty form reads back the same too. */
  pretty = export_text (store, XUL_EXPORT_PRETTY);
  tu_write_file (pretty_path, pretty, strlen (pretty));
  {
    g_autoptr (GPtrArray) pretty_json_c = jsonc_dump_file (pretty_path);
    assert_same_records (expected, pretty_json_c);
  }
  pretty_report = import_ok (other, pretty_path, XUL_IMPORT_REPLACE | XUL_IMPORT_STRICT);
  assert_store_equals (other, expected);
}

static void
test_the_profile_survives_a_round_trip (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (TuTmpdir) other_dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autoptr (XulStore) other = xs_open (other_dir, 0);
  g_autofree char *profile = copy_data (dir, PROFILE);
  g_autofree char *exported = tu_tmpdir_file (dir, "exported.json");
  g_autoptr (XulMigrationReport) report G_GNUC_UNUSED = import_ok (store, profile, XUL_IMPORT_MERGE);
  g_autoptr (XulMigrationReport) second = NULL;
  g_autoptr (GPtrArray) original = jsonc_dump_file (profile);
  g_autoptr (GPtrArray) from_export = NULL;
  g_autoptr (GBytes) exported_bytes = NULL;

  export_ok (store, exported);
  exported_bytes = tu_read_bytes (exported);
  /* The same size as Firefox's file: same content, same compact syntax, other order. */
  assert_int_equal (g_bytes_get_size (exported_bytes), tu_file_size (profile));
  from_export = jsonc_dump_file (exported);
  assert_same_records (original, from_export);
  second = import_ok (other, exported, XUL_IMPORT_MERGE);
  assert_counts (second, 8, 432, 468);
  assert_store_equals (other, original);
}

/* ------------------------------------------------------------------------------------ */
/* Reports. */

static void
test_the_report_reads_as_text_and_as_json (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *source = data_path ("samples/skipped-entries.json");
  /* A file name that needs escaping in JSON. */
  g_autofree char *path = tu_tmpdir_file (dir, "odd \"name\" \\ é.json");
  g_autoptr (GBytes) bytes = tu_read_bytes (source);
  g_autoptr (XulMigrationReport) report = NULL;
  g_autofree char *text = NULL;
  g_autofree char *json = NULL;
  g_autofree char *line = NULL;
  json_object *root, *member, *entries;

  tu_write_file (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  report = import_ok (store, path, XUL_IMPORT_MERGE);

  text = xul_migration_report_to_text (report);
  assert_non_null (strstr (text, "action: imported\n"));
  line = g_strdup_printf ("legacy file: %s\n", path);
  assert_non_null (strstr (text, line));
  assert_non_null (strstr (text, "imported: 2 documents, 3 elements, 5 values\n"));
  assert_non_null (strstr (text, "skipped: " BROWSER_PTR "/main-window/height: "));
  assert_non_null (strstr (text, "skipped: /chrome:~1~1browser~1content~1places~1places.xhtml: "));
  assert_null (strstr (text, "problem:"));

  json = xul_migration_report_to_json (report);
  root = jsonc_parse (json, strlen (json));
  assert_true (json_object_object_get_ex (root, "action", &member));
  assert_string_equal (json_object_get_string (member), "imported");
  assert_true (json_object_object_get_ex (root, "source", &member));
  assert_string_equal (json_object_get_string (member), path);
  assert_true (json_object_object_get_ex (root, "documents", &member));
  assert_int_equal (json_object_get_int (member), 2);
  assert_true (json_object_object_get_ex (root, "ids", &member));
  assert_int_equal (json_object_get_int (member), 3);
  assert_true (json_object_object_get_ex (root, "values", &member));
  assert_int_equal (json_object_get_int (member), 5);
  assert_true (json_object_object_get_ex (root, "problem", &member));
  assert_null (member);
  assert_true (json_object_object_get_ex (root, "entries", &entries));
  assert_true (json_object_is_type (entries, json_type_array));
  assert_int_equal (json_object_array_length (entries), 5);
  for (guint i = 0; i < 5; i++)
    {
      json_object *entry = json_object_array_get_idx (entries, i);
      XulReportEntry *expected = entry_at (report, i);
      assert_true (json_object_object_get_ex (entry, "kind", &member));
      assert_string_equal (json_object_get_string (member), "skipped");
      assert_true (json_object_object_get_ex (entry, "path", &member));
      assert_string_equal (json_object_get_string (member),
                           xul_report_entry_get_path (expected));
      assert_true (json_object_object_get_ex (entry, "reason", &member));
      assert_string_equal (json_object_get_string (member),
                           xul_report_entry_get_reason (expected));
    }
  json_object_put (root);
}

static void
test_the_report_names_truncations_and_problems (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (XulStore) store = xs_open (dir, 0);
  g_autofree char *limits = copy_data (dir, "samples/over-limits.json");
  g_autofree char *empty = copy_data (dir, "samples/empty.json");
  g_autoptr (XulMigrationReport) report = import_ok (store, limits, XUL_IMPORT_MERGE);
  g_autoptr (XulMigrationReport) blank = import_ok (store, empty, XUL_IMPORT_MERGE);
  g_autofree char *text = xul_migration_report_to_text (report);
  g_autofree char *json = xul_migration_report_to_json (report);
  g_autofree char *blank_text = xul_migration_report_to_text (blank);
  g_autofree char *blank_json = xul_migration_report_to_json (blank);
  json_object *root = jsonc_parse (json, strlen (json));
  json_object *blank_root = jsonc_parse (blank_json, strlen (blank_json));
  json_object *entries, *member;

  assert_non_null (strstr (text, "truncated: " BROWSER_PTR "/urlbar-container/value-5000: "));
  assert_true (json_object_object_get_ex (root, "entries", &entries));
  assert_int_equal (json_object_array_length (entries), 3);
  assert_true (json_object_object_get_ex (json_object_array_get_idx (entries, 2), "kind",
                                          &member));
  assert_string_equal (json_object_get_string (member), "truncated");
  assert_true (json_object_object_get_ex (json_object_array_get_idx (entries, 0), "kind",
                                          &member));
  assert_string_equal (json_object_get_string (member), "skipped");

  /* A blank file: its problem, in both forms. */
  assert_non_null (strstr (blank_text, "problem: "));
  assert_true (json_object_object_get_ex (blank_root, "problem", &member));
  assert_true (json_object_is_type (member, json_type_string));
  assert_string_equal (json_object_get_string (member), xul_migration_report_get_problem (blank));
  json_object_put (root);
  json_object_put (blank_root);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_the_profile_imports_every_record),
    cmocka_unit_test (test_valid_samples_import_what_json_c_reads),
    cmocka_unit_test (test_numbers_and_booleans_import_as_text),
    cmocka_unit_test (test_skipped_entries_are_listed_in_the_report),
    cmocka_unit_test (test_over_limit_entries_are_skipped_or_truncated),
    cmocka_unit_test (test_strict_refuses_a_file_with_entries_to_skip),
    cmocka_unit_test (test_strings_a_c_string_cannot_hold_are_skipped),
    cmocka_unit_test (test_merge_keeps_values_the_file_does_not_have),
    cmocka_unit_test (test_replace_makes_the_store_equal_to_the_file),
    cmocka_unit_test (test_blank_files_change_nothing),
    cmocka_unit_test (test_broken_files_are_refused_whole),
    cmocka_unit_test (test_deep_nesting_is_refused_at_the_depth_limit),
    cmocka_unit_test (test_a_missing_file_is_an_io_error),
    cmocka_unit_test (test_a_file_over_the_size_cap_is_refused),
    cmocka_unit_test (test_progress_ends_at_the_file_size),
    cmocka_unit_test (test_duplicate_keys_import_as_json_parse_reads_them),
    cmocka_unit_test (test_a_repeated_key_whose_last_value_is_skipped_keeps_nothing),
    cmocka_unit_test (test_export_writes_what_json_stringify_writes),
    cmocka_unit_test (test_export_escapes_names_too),
    cmocka_unit_test (test_export_sorts_by_bytes),
    cmocka_unit_test (test_pretty_export_indents_by_two_spaces),
    cmocka_unit_test (test_an_empty_store_exports_an_empty_object),
    cmocka_unit_test (test_export_replaces_the_file_atomically_with_mode_0600),
    cmocka_unit_test (test_export_replaces_a_symlink_instead_of_following_it),
    cmocka_unit_test (test_export_where_no_file_can_be_is_an_io_error),
    cmocka_unit_test (test_unusual_strings_survive_a_round_trip),
    cmocka_unit_test (test_the_profile_survives_a_round_trip),
    cmocka_unit_test (test_the_report_reads_as_text_and_as_json),
    cmocka_unit_test (test_the_report_names_truncations_and_problems),
  };
  return tu_run ("import", tests);
}
