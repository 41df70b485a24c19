/* test-reader.c: the streaming reader of legacy xulstore.json files (xul_legacy_parse),
 * JavaScript number formatting, blank files and JSON Pointers: against the data/
 * samples and their documented outcomes, hand-made inputs, json-c as an independent
 * JSON parser, and a seeded fuzzer. */
#include "config.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mg-test.h"
#include "xs-test.h"
#include "xul-legacy-private.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#endif
#endif
#ifndef UNDER_VALGRIND
#define UNDER_VALGRIND() FALSE
#endif

#define BROWSER "chrome://browser/content/browser.xhtml"
#define BROWSER_PTR "/chrome:~1~1browser~1content~1browser.xhtml"
#define PROFILE "profile/xulstore.json"

/* ------------------------------------------------------------------------------------ */
/* A visitor that records everything it is told. */

typedef struct {
  GPtrArray *records;   /* in file order: members ("M doc", "M doc|id", "M doc|id|attr")
                         * and values ("V doc|id|attr=value") */
  GPtrArray *skipped;   /* JSON Pointers, in order */
  GPtrArray *reasons;   /* the reason of each skipped entry */
  GPtrArray *truncated; /* JSON Pointers, in order */
  guint values;
  guint duplicates;
  gboolean refuse; /* the skipped callback refuses the file */
  gboolean quiet;  /* count values, but keep no records (the fuzzer's fast path) */
  guint progress_calls;
  gsize last_done, last_total;
  gboolean progress_wrong; /* done > total, or done went back */
} Record;

static Record *
record_new (void)
{
  Record *r = g_new0 (Record, 1);

  r->records = g_ptr_array_new_with_free_func (g_free);
  r->skipped = g_ptr_array_new_with_free_func (g_free);
  r->reasons = g_ptr_array_new_with_free_func (g_free);
  r->truncated = g_ptr_array_new_with_free_func (g_free);
  return r;
}

static void
record_free (Record *r)
{
  g_ptr_array_unref (r->records);
  g_ptr_array_unref (r->skipped);
  g_ptr_array_unref (r->reasons);
  g_ptr_array_unref (r->truncated);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Record, record_free)

static void
on_value (const char *doc,
          const char *id,
          const char *attr,
          const char *value,
          gpointer    data)
{
  Record *r = data;

  if (!r->quiet)
    g_ptr_array_add (r->records, g_strconcat ("V ", doc, "|", id, "|", attr, "=", value, NULL));
  r->values++;
}

static void
on_member (const char *doc,
           const char *id,
           const char *attr,
           gpointer    data)
{
  Record *r = data;

  if (r->quiet)
    return;
  if (id == NULL)
    g_ptr_array_add (r->records, g_strconcat ("M ", doc, NULL));
  else if (attr == NULL)
    g_ptr_array_add (r->records, g_strconcat ("M ", doc, "|", id, NULL));
  else
    g_ptr_array_add (r->records, g_strconcat ("M ", doc, "|", id, "|", attr, NULL));
}

static gboolean
on_skipped (const char *path,
            const char *reason,
            gpointer    data)
{
  Record *r = data;

  g_ptr_array_add (r->skipped, g_strdup (path));
  g_ptr_array_add (r->reasons, g_strdup (reason));
  return !r->refuse;
}

static void
on_truncated (const char *path,
              const char *reason,
              gpointer    data)
{
  Record *r = data;

  g_ptr_array_add (r->truncated, g_strdup (path));
}

static void
on_duplicate (gpointer data)
{
  ((Record *) data)->duplicates++;
}

static void
on_progress (gsize    done,
             gsize    total,
             gpointer data)
{
  Record *r = data;

  if (done > total || done < r->last_done)
    r->progress_wrong = TRUE;
  r->progress_calls++;
  r->last_done = done;
  r->last_total = total;
}

static const XulLegacyVisitor recorder = {
  on_value, on_member, on_skipped, on_truncated, on_duplicate, on_progress,
};

static gboolean
record_parse (Record     *r,
              const char *text,
              gsize       len,
              GError    **error)
{
  return xul_legacy_parse (text, len, "test.json", &recorder, r, error);
}

/* Parses @text (a C string), asserting success. */
static Record *
parse_ok (const char *text)
{
  g_autoptr (GError) error = NULL;
  Record *r = record_new ();

  assert_true (record_parse (r, text, strlen (text), &error));
  tu_assert_no_error (error);
  return r;
}

/* Only the "V ..." records, the values. */
static GPtrArray *
value_records (Record *r)
{
  GPtrArray *values = g_ptr_array_new ();

  for (guint i = 0; i < r->records->len; i++)
    {
      const char *record = g_ptr_array_index (r->records, i);
      if (record[0] == 'V')
        g_ptr_array_add (values, (gpointer) record);
    }
  g_ptr_array_add (values, NULL);
  return values;
}

static void
assert_list (GPtrArray         *actual,
             const char *const *expected)
{
  guint n = g_strv_length ((char **) expected);

  for (guint i = 0; i < MIN (n, actual->len); i++)
    if (strcmp (g_ptr_array_index (actual, i), expected[i]) != 0)
      fail_msg ("item %u: got \"%.300s\", expected \"%.300s\"", i,
                (const char *) g_ptr_array_index (actual, i), expected[i]);
  if (actual->len != n)
    fail_msg ("got %u items, expected %u (first extra: \"%.300s\")", actual->len, n,
              actual->len > n ? (const char *) g_ptr_array_index (actual, n)
                              : expected[actual->len]);
}

/* Asserts the values recorded (in order), ignoring members. */
static void
assert_values (Record            *r,
               const char *const *expected)
{
  g_autoptr (GPtrArray) values = value_records (r);

  g_ptr_array_remove_index (values, values->len - 1); /* the NULL */
  assert_list (values, expected);
}

static void
assert_same_lists (GPtrArray *expected,
                   GPtrArray *actual)
{
  for (guint i = 0; i < MIN (expected->len, actual->len); i++)
    if (strcmp (g_ptr_array_index (actual, i), g_ptr_array_index (expected, i)) != 0)
      fail_msg ("record %u: got \"%.300s\", expected \"%.300s\"", i,
                (const char *) g_ptr_array_index (actual, i),
                (const char *) g_ptr_array_index (expected, i));
  assert_int_equal (actual->len, expected->len);
}

/* Parses @len bytes, asserting a legacy error of @code at @offset; records nothing
 * about values afterwards (they may have been streamed before the error). */
static void
assert_parse_fails (const char *text,
                    gsize       len,
                    gboolean    refuse,
                    int         code,
                    gint64      offset)
{
  g_autoptr (Record) r = record_new ();
  g_autoptr (GError) error = NULL;

  r->refuse = refuse;
  assert_false (record_parse (r, text, len, &error));
  assert_non_null (error);
  if (!g_error_matches (error, XUL_LEGACY_ERROR, code))
    fail_msg ("expected legacy error %d, got %s:%d: %s", code,
              g_quark_to_string (error->domain), error->code, error->message);
  mg_assert_error_position (error, text, offset);
}

static char *
data_path (const char *name)
{
  return g_build_filename (XUL_TEST_DATA, name, NULL);
}

static GBytes *
read_data (const char *name)
{
  g_autofree char *path = data_path (name);

  return tu_read_bytes (path);
}

/* ------------------------------------------------------------------------------------ */
/* json-c: the independent oracle. */

/* The strings JavaScript's String() gives for the lexemes of the third-party sample,
 * as listed in data/README.md (keyed by the text json-c prints for them). */
static const char *const js_strings[][2] = {
  { "1280", "1280" },
  { "800", "800" },
  { "-8", "-8" },
  { "1.5", "1.5" },
  { "1e3", "1000" },
  { "12345678901234567890", "12345678901234567000" },
  { "0.000001", "0.000001" },
  { "1e-7", "1e-7" },
  { "-0", "0" },
  { "0", "0" },
  { "1.0", "1" },
  { "2.50", "2.5" },
  { "1E+2", "100" },
  { "true", "true" },
  { "false", "false" },
};

static const char *
js_string_of_lexeme (const char *lexeme)
{
  for (gsize i = 0; i < G_N_ELEMENTS (js_strings); i++)
    if (strcmp (js_strings[i][0], lexeme) == 0)
      return js_strings[i][1];
  fail_msg ("no JavaScript string known for the lexeme %s", lexeme);
  return NULL;
}

static json_object *
jsonc_parse (const char *text,
             gsize       len)
{
  struct json_tokener *tok = json_tokener_new_ex (128);
  json_object *root;

  json_tokener_set_flags (tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  root = json_tokener_parse_ex (tok, text, (int) len);
  if (root != NULL && (json_tokener_get_error (tok) != json_tokener_success ||
                       json_tokener_get_parse_end (tok) != len))
    g_clear_pointer (&root, json_object_put);
  json_tokener_free (tok);
  return root;
}

static gboolean
string_fits (json_object *string,
             glong        max_chars)
{
  const char *text = json_object_get_string (string);
  int len = json_object_get_string_len (string);

  /* U+0000 (a C string cannot hold it) or over the limit: not comparable. */
  return memchr (text, '\0', (size_t) len) == NULL &&
         g_utf8_strlen (text, len) <= max_chars;
}

/* json-c's reading of a legacy file as the records our visitor gives, in file order:
 * NULL unless it is an object of objects of objects whose leaves are strings (or, with
 * @numbers, also numbers and booleans, given as their JavaScript strings) and whose
 * names and values are within the XulStore limits. */
static GPtrArray *
jsonc_records (const char *text,
               gsize       len,
               gboolean    numbers)
{
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func (g_free);
  json_object *root = jsonc_parse (text, len);
  gboolean ok = root != NULL && json_object_is_type (root, json_type_object);

  if (ok)
    {
      json_object_object_foreach (root, doc, elements)
        {
          if (!ok || !json_object_is_type (elements, json_type_object) ||
              g_utf8_strlen (doc, -1) > XUL_STORE_MAX_DOCUMENT_LENGTH)
            {
              ok = FALSE;
              break;
            }
          g_ptr_array_add (records, g_strconcat ("M ", doc, NULL));
          json_object_object_foreach (elements, id, attrs)
            {
              if (!ok || !json_object_is_type (attrs, json_type_object) ||
                  g_utf8_strlen (id, -1) > XUL_STORE_MAX_NAME_LENGTH)
                {
                  ok = FALSE;
                  break;
                }
              g_ptr_array_add (records, g_strconcat ("M ", doc, "|", id, NULL));
              json_object_object_foreach (attrs, attr, value)
                {
                  const char *text_value = NULL;
                  if (g_utf8_strlen (attr, -1) > XUL_STORE_MAX_NAME_LENGTH)
                    ok = FALSE;
                  else if (json_object_is_type (value, json_type_string) &&
                           string_fits (value, XUL_STORE_MAX_VALUE_LENGTH))
                    text_value = json_object_get_string (value);
                  else if (numbers && (json_object_is_type (value, json_type_int) ||
                                       json_object_is_type (value, json_type_double) ||
                                       json_object_is_type (value, json_type_boolean)))
                    text_value = js_string_of_lexeme (
                      json_object_to_json_string_ext (value, JSON_C_TO_STRING_PLAIN));
                  else
                    ok = FALSE;
                  if (!ok)
                    break;
                  g_ptr_array_add (records, g_strconcat ("M ", doc, "|", id, "|", attr, NULL));
                  g_ptr_array_add (records, g_strconcat ("V ", doc, "|", id, "|", attr, "=",
                                                         text_value, NULL));
                }
            }
        }
    }
  json_object_put (root);
  return ok ? g_steal_pointer (&records) : NULL;
}

/* ------------------------------------------------------------------------------------ */
/* The samples of data/. */

static void
test_valid_samples_give_what_json_c_reads (void **state)
{
  static const struct {
    const char *name;
    guint values;
  } samples[] = {
    { PROFILE, 468 },
    { "samples/pretty.json", 17 },
    { "samples/unicode.json", 21 },
    { "samples/bom.json", 2 },
    { "samples/empty-object.json", 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      g_autoptr (GBytes) bytes = read_data (samples[i].name);
      g_autoptr (Record) r = record_new ();
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) expected = NULL;
      gsize len;
      const char *text = g_bytes_get_data (bytes, &len);
      gsize bom = len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;

      /* json-c refuses a byte-order mark: it gets the file without it. */
      expected = jsonc_records (text + bom, len - bom, FALSE);
      assert_non_null (expected);
      assert_true (record_parse (r, text, len, &error));
      tu_assert_no_error (error);
      assert_same_lists (expected, r->records);
      assert_int_equal (r->values, samples[i].values);
      assert_int_equal (r->skipped->len, 0);
      assert_int_equal (r->truncated->len, 0);
      assert_int_equal (r->duplicates, 0);
    }
}

static void
test_the_bom_is_never_part_of_the_first_key (void **state)
{
  g_autoptr (GBytes) bytes = read_data ("samples/bom.json");
  g_autoptr (Record) r = record_new ();
  g_autoptr (GError) error = NULL;
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);

  assert_true (record_parse (r, text, len, &error));
  tu_assert_no_error (error);
  assert_string_equal (g_ptr_array_index (r->records, 0), "M " BROWSER);
  assert_values (r, (const char *const[]) { "V " BROWSER "|main-window|width=1280",
                                            "V " BROWSER "|main-window|height=800", NULL });
}

static void
test_third_party_numbers_become_javascript_strings (void **state)
{
  g_autoptr (GBytes) bytes = read_data ("samples/third-party-numbers.json");
  g_autoptr (Record) r = record_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) expected = NULL;
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);

  expected = jsonc_records (text, len, TRUE);
  assert_non_null (expected);
  assert_true (record_parse (r, text, len, &error));
  tu_assert_no_error (error);
  assert_same_lists (expected, r->records);
  assert_int_equal (r->values, 19);
  /* A few by hand, independent of json-c's lexemes. */
  assert_true (g_ptr_array_find_with_equal_func (
    r->records, "V chrome://browser/content/places/places.xhtml|placesContentTitle|lastModified="
                "12345678901234567000", g_str_equal, NULL));
  assert_true (g_ptr_array_find_with_equal_func (
    r->records, "V chrome://browser/content/places/places.xhtml|placesContentDate|width=0",
    g_str_equal, NULL));
  assert_true (g_ptr_array_find_with_equal_func (
    r->records, "V " BROWSER "|PersonalToolbar|collapsed=false", g_str_equal, NULL));
}

static void
test_skipped_entries_are_announced_with_their_paths (void **state)
{
  g_autoptr (GBytes) bytes = read_data ("samples/skipped-entries.json");
  g_autoptr (Record) r = record_new ();
  g_autoptr (GError) error = NULL;
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);
  static const char *const kinds[] = { "null", "an array", "an object", "a number",
                                       "a string" };

  assert_true (record_parse (r, text, len, &error));
  tu_assert_no_error (error);
  assert_values (r, (const char *const[]) {
    "V " BROWSER "|main-window|width=1280",
    "V " BROWSER "|main-window|sizemode=normal",
    "V " BROWSER "|PersonalToolbar|collapsed=false",
    "V chrome://browser/content/pageinfo/pageInfo.xhtml|main-window|width=600",
    "V chrome://browser/content/pageinfo/pageInfo.xhtml|main-window|height=500",
    NULL });
  assert_list (r->skipped, (const char *const[]) {
    BROWSER_PTR "/main-window/height",
    BROWSER_PTR "/main-window/screenX",
    BROWSER_PTR "/main-window/screenY",
    BROWSER_PTR "/sidebar-box",
    "/chrome:~1~1browser~1content~1places~1places.xhtml",
    NULL });
  /* Each reason names what was found instead. */
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (strstr (g_ptr_array_index (r->reasons, i), kinds[i]) == NULL)
      fail_msg ("reason \"%s\" does not mention %s",
                (const char *) g_ptr_array_index (r->reasons, i), kinds[i]);
}

static void
test_over_limit_names_are_skipped_and_long_values_cut (void **state)
{
  g_autoptr (GBytes) bytes = read_data ("samples/over-limits.json");
  g_autoptr (Record) r = record_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = NULL;
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);
  const char *cut = NULL;
  json_object *root = jsonc_parse (text, len);
  json_object *browser, *element, *value;
  g_autofree char *id_path = NULL, *attr_path = NULL;

  assert_true (record_parse (r, text, len, &error));
  tu_assert_no_error (error);
  /* 12 values in the file: the id of 513 and the attribute of 600 characters are
   * skipped, the value of 5000 is imported cut. */
  assert_int_equal (r->values, 10);
  assert_int_equal (r->skipped->len, 2);
  assert_list (r->truncated,
               (const char *const[]) { BROWSER_PTR "/urlbar-container/value-5000", NULL });

  /* The skipped names, exactly, from json-c. */
  assert_non_null (root);
  assert_true (json_object_object_get_ex (root, BROWSER, &browser));
  json_object_object_foreach (browser, id, attrs)
    {
      if (g_str_has_prefix (id, "id-513-"))
        id_path = g_strdup_printf (BROWSER_PTR "/%s", id);
      if (strcmp (id, "sidebar-box") == 0)
        {
          json_object_object_foreach (attrs, attr, ignored)
            {
              (void) ignored;
              if (g_str_has_prefix (attr, "attr-600-"))
                attr_path = g_strdup_printf (BROWSER_PTR "/sidebar-box/%s", attr);
            }
        }
    }
  assert_non_null (id_path);
  assert_non_null (attr_path);
  assert_list (r->skipped, (const char *const[]) { id_path, attr_path, NULL });

  /* The cut value is the first 4096 characters of the original (é is 2 bytes). */
  all = value_records (r);
  for (guint i = 0; all->pdata[i] != NULL; i++)
    if (g_str_has_prefix (all->pdata[i], "V " BROWSER "|urlbar-container|value-5000="))
      cut = strchr (all->pdata[i], '=') + 1;
  assert_non_null (cut);
  assert_true (json_object_object_get_ex (browser, "urlbar-container", &element));
  assert_true (json_object_object_get_ex (element, "value-5000", &value));
  assert_int_equal (g_utf8_strlen (cut, -1), XUL_STORE_MAX_VALUE_LENGTH);
  assert_true (g_str_has_prefix (json_object_get_string (value), cut));
  assert_true (strlen (cut) > XUL_STORE_MAX_VALUE_LENGTH);
  /* Within the limits in characters, over them in UTF-16 units: imported whole. */
  {
    g_autoptr (GString) emoji_id = g_string_new (NULL);
    g_autoptr (GString) emoji_value = g_string_new (NULL);
    g_autofree char *expected = NULL;
    for (int i = 0; i < 257; i++)
      g_string_append (emoji_id, "😀");
    for (int i = 0; i < 2049; i++)
      g_string_append (emoji_value, "😀");
    expected = g_strdup_printf ("V %s|%s|value-emoji=%s", BROWSER, emoji_id->str,
                                emoji_value->str);
    assert_true (g_ptr_array_find_with_equal_func (r->records, expected, g_str_equal, NULL));
  }
  json_object_put (root);
}

static void
test_duplicate_keys_are_announced (void **state)
{
  g_autoptr (GBytes) bytes = read_data ("samples/duplicate-keys.json");
  g_autoptr (Record) r = record_new ();
  g_autoptr (GError) error = NULL;
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);

  assert_true (record_parse (r, text, len, &error));
  tu_assert_no_error (error);
  /* width twice, sidebar-box twice, café spelled two ways, dup-doc twice. */
  assert_int_equal (r->duplicates, 4);
  /* The stream itself gives every occurrence, in file order. */
  assert_values (r, (const char *const[]) {
    "V " BROWSER "|main-window|width=1024",
    "V " BROWSER "|main-window|height=768",
    "V " BROWSER "|main-window|width=1280",
    "V " BROWSER "|sidebar-box|width=200",
    "V " BROWSER "|sidebar-box|checked=true",
    "V " BROWSER "|sidebar-box|sidebarcommand=viewBookmarksSidebar",
    "V " BROWSER "|PersonalToolbar|collapsed=true",
    "V " BROWSER "|sidebar-box|width=300",
    "V " BROWSER "|café|spelled=escaped",
    "V " BROWSER "|café|spelled=raw",
    "V chrome://app/content/dup-doc.xhtml|first|a=1",
    "V chrome://browser/content/pageinfo/pageInfo.xhtml|main-window|width=600",
    "V chrome://app/content/dup-doc.xhtml|second|b=2",
    NULL });
}

static void
test_duplicates_are_counted_per_object (void **state)
{
  static const struct {
    const char *text;
    guint duplicates;
  } cases[] = {
    { "{\"d\":{\"i\":{\"a\":\"1\",\"a\":\"2\"}}}", 1 },
    { "{\"d\":{\"i\":{\"a\":\"1\"},\"i\":{\"b\":\"2\"}}}", 1 },
    { "{\"d\":{},\"d\":{}}", 1 },
    { "{\"d\":{\"i\":{\"a\":\"1\",\"a\":\"2\",\"a\":\"3\"}}}", 2 },
    /* The same names in different objects are not duplicates. */
    { "{\"d\":{\"i\":{\"a\":\"1\"}},\"e\":{\"i\":{\"a\":\"1\"}}}", 0 },
    { "{\"d\":{\"i\":{\"a\":\"1\"},\"j\":{\"a\":\"1\"}}}", 0 },
    /* One key spelled two ways. */
    { "{\"d\":{\"i\":{\"\\u0061\":\"1\",\"a\":\"2\"}}}", 1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (Record) r = parse_ok (cases[i].text);
      if (r->duplicates != cases[i].duplicates)
        fail_msg ("%s: %u duplicates announced, expected %u", cases[i].text, r->duplicates,
                  cases[i].duplicates);
    }
}

static void
test_blank_files_hold_no_data (void **state)
{
  static const char *const blank[] = { "samples/empty.json", "samples/whitespace-only.json" };
  static const struct {
    const char *text;
    gboolean blank;
  } cases[] = {
    { "", TRUE },
    { " \t\r\n", TRUE },
    { "\xef\xbb\xbf", TRUE },
    { "\xef\xbb\xbf \n", TRUE },
    { "{}", FALSE },
    { " \f ", FALSE },    /* form feed is not JSON white space */
    { "\xef\xbb", FALSE }, /* a partial byte-order mark is data */
    { "\xef\xbb\xbf\xef\xbb\xbf", FALSE },
    { "\xc2\xa0", FALSE }, /* U+00A0 is not JSON white space */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (blank); i++)
    {
      g_autoptr (GBytes) bytes = read_data (blank[i]);
      g_autoptr (Record) r = record_new ();
      g_autoptr (GError) error = NULL;
      gsize len;
      const char *text = g_bytes_get_data (bytes, &len);

      assert_true (xul_legacy_is_blank (text, len));
      assert_true (record_parse (r, text, len, &error));
      tu_assert_no_error (error);
      assert_int_equal (r->records->len, 0);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    if (xul_legacy_is_blank (cases[i].text, strlen (cases[i].text)) != cases[i].blank)
      fail_msg ("case %" G_GSIZE_FORMAT ": blank should be %d", i, cases[i].blank);
  /* Only the given length counts. */
  assert_true (xul_legacy_is_blank ("  {}", 2));
}

static void
test_broken_files_fail_at_their_first_offending_byte (void **state)
{
  /* data/README.md: kind, then offset (line and column follow from it). */
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
    /* broken/deep-nesting.json: with the nesting tests. */
    { "broken/not-an-object.json", XUL_LEGACY_ERROR_BAD_SHAPE, 0 },
    { "broken/top-level-string.json", XUL_LEGACY_ERROR_BAD_SHAPE, 0 },
    { "broken/binary-garbage.json", XUL_LEGACY_ERROR_SYNTAX, 0 },
    { "broken/single-quotes.json", XUL_LEGACY_ERROR_SYNTAX, 4 },
    { "broken/comments.json", XUL_LEGACY_ERROR_SYNTAX, 4 },
    { "broken/nan.json", XUL_LEGACY_ERROR_SYNTAX, 84 },
  };
  /* The README's line and column for a few, as a check on the derivation. */
  static const struct {
    const char *name;
    guint line, column;
  } lines[] = {
    { "broken/syntax-missing-colon.json", 3, 19 },
    { "broken/syntax-trailing-comma.json", 6, 5 },
    { "broken/syntax-unterminated-string.json", 1, 90 },
    { "broken/nan.json", 4, 16 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (broken); i++)
    {
      g_autoptr (GBytes) bytes = read_data (broken[i].name);
      gsize len;
      const char *text = g_bytes_get_data (bytes, &len);

      print_message ("# %s\n", broken[i].name);
      assert_parse_fails (text, len, FALSE, broken[i].code, broken[i].offset);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autoptr (GBytes) bytes = read_data (lines[i].name);
      g_autoptr (Record) r = record_new ();
      g_autoptr (GError) error = NULL;
      gsize len;
      const char *text = g_bytes_get_data (bytes, &len);

      assert_false (record_parse (r, text, len, &error));
      assert_non_null (error);
      assert_int_equal (xul_legacy_error_get_line (error), lines[i].line);
      assert_int_equal (xul_legacy_error_get_column (error), lines[i].column);
      /* The message names the file and the position. */
      assert_non_null (strstr (error->message, "test.json:"));
    }
}

static void
test_small_syntax_errors_point_at_the_first_offending_byte (void **state)
{
  /* The offset is that of the first byte at which no valid continuation exists;
   * end of input is the length. */
  static const struct {
    const char *text;
    int code;
    gint64 offset;
  } cases[] = {
    { "{", XUL_LEGACY_ERROR_SYNTAX, 1 },
    { "{\"d\"", XUL_LEGACY_ERROR_SYNTAX, 4 },
    { "{\"d\" \"e\"}", XUL_LEGACY_ERROR_SYNTAX, 5 },
    { "{\"d\":{\"i\":{\"a\":\"b\" \"c\"}}}", XUL_LEGACY_ERROR_SYNTAX, 19 },
    { "{\"d\":{\"i\":{\"a\":01}}}", XUL_LEGACY_ERROR_SYNTAX, 16 },
    { "{\"d\":{\"i\":{\"a\":-}}}", XUL_LEGACY_ERROR_SYNTAX, 16 },
    { "{\"d\":{\"i\":{\"a\":1.}}}", XUL_LEGACY_ERROR_SYNTAX, 17 },
    { "{\"d\":{\"i\":{\"a\":1e}}}", XUL_LEGACY_ERROR_SYNTAX, 17 },
    { "{\"d\":{\"i\":{\"a\":1e+}}}", XUL_LEGACY_ERROR_SYNTAX, 18 },
    { "{\"d\":{\"i\":{\"a\":.5}}}", XUL_LEGACY_ERROR_SYNTAX, 15 },
    { "{\"d\":{\"i\":{\"a\":+1}}}", XUL_LEGACY_ERROR_SYNTAX, 15 },
    { "{\"d\":{\"i\":{\"a\":tru}}}", XUL_LEGACY_ERROR_SYNTAX, 18 },
    { "{\"d\":{\"i\":{\"a\":nul", XUL_LEGACY_ERROR_SYNTAX, 18 },
    { "{\"d\":{\"i\":{\"a\":True}}}", XUL_LEGACY_ERROR_SYNTAX, 15 },
    { "{\"d\":{\"i\":{\"a\":\"\\x\"}}}", XUL_LEGACY_ERROR_SYNTAX, 17 },
    { "{\"d\":{\"i\":{\"a\":\"\\u12x4\"}}}", XUL_LEGACY_ERROR_SYNTAX, 20 },
    { "{\"d\":{\"i\":{\"a\":\"\\u12", XUL_LEGACY_ERROR_SYNTAX, 20 },
    { "{\"d\":{\"i\":{\"a\":\"\\ud800\\u12\"}}}", XUL_LEGACY_ERROR_SYNTAX, 26 },
    { "{\"d\":{\"i\":{\"a\":\"\\", XUL_LEGACY_ERROR_SYNTAX, 17 },
    { "{\"d\":{\"i\":{\"a\":[1,]}}}", XUL_LEGACY_ERROR_SYNTAX, 18 },
    { "{\"d\":{\"i\":{\"a\":[1 2]}}}", XUL_LEGACY_ERROR_SYNTAX, 18 },
    { "{\"d\":{\"i\":{\"a\":{\"x\" 1}}}}", XUL_LEGACY_ERROR_SYNTAX, 20 },
    { "{\"d\":{\"i\":{\"a\":\"b\"}}}}", XUL_LEGACY_ERROR_SYNTAX, 21 },
    { "{\"d\":{\"i\":{\"a\":\"b\"}}", XUL_LEGACY_ERROR_SYNTAX, 20 },
    { "{\"d\":{\"i\":{\"a\":\"b\",}}}", XUL_LEGACY_ERROR_SYNTAX, 19 },
    { "{} {}", XUL_LEGACY_ERROR_SYNTAX, 3 },
    { "{}\f", XUL_LEGACY_ERROR_SYNTAX, 2 },
    { "\xef\xbb\xbf\xef\xbb\xbf{}", XUL_LEGACY_ERROR_SYNTAX, 3 },
    { "[1,]", XUL_LEGACY_ERROR_SYNTAX, 3 },
    { "[", XUL_LEGACY_ERROR_SYNTAX, 1 },
    { "\n\n  x", XUL_LEGACY_ERROR_SYNTAX, 4 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *shown = g_strescape (cases[i].text, NULL);

      print_message ("# %s\n", shown);
      assert_parse_fails (cases[i].text, strlen (cases[i].text), FALSE, cases[i].code,
                          cases[i].offset);
    }
}

/* ------------------------------------------------------------------------------------ */
/* Numbers. */

/* The value a number lexeme imports as, through the parser. */
static char *
number_through_parser (const char *lexeme)
{
  g_autofree char *text = g_strdup_printf ("{\"d\":{\"i\":{\"a\":%s}}}", lexeme);
  g_autoptr (Record) r = parse_ok (text);
  g_autoptr (GPtrArray) values = value_records (r);
  const char *record;

  assert_int_equal (r->values, 1);
  record = g_ptr_array_index (values, 0);
  assert_true (g_str_has_prefix (record, "V d|i|a="));
  return g_strdup (record + strlen ("V d|i|a="));
}

static void
test_numbers_import_as_javascript_prints_them (void **state)
{
  /* JSON text, then JavaScript's String(JSON.parse(text)). */
  static const char *const numbers[][2] = {
    { "0", "0" },
    { "-0", "0" },
    { "-0.0e5", "0" },
    { "1280", "1280" },
    { "-8", "-8" },
    { "1.5", "1.5" },
    { "1.0", "1" },
    { "2.50", "2.5" },
    { "1e3", "1000" },
    { "1E+2", "100" },
    { "1e21", "1e+21" },
    { "1e20", "100000000000000000000" },
    { "999999999999999900000", "999999999999999900000" },
    /* Both ...568 and ...569 read back; ...569 is the nearer, and JavaScript takes
     * the nearer of the shortest (Node 20 prints ...569). */
    { "123456789012345678901234", "1.2345678901234569e+23" },
    { "12345678901234567890", "12345678901234567000" },
    { "9007199254740993", "9007199254740992" },
    { "0.000001", "0.000001" },
    { "0.0000015", "0.0000015" },
    { "1e-7", "1e-7" },
    { "-1e-7", "-1e-7" },
    { "1.5e-7", "1.5e-7" },
    { "123e-20", "1.23e-18" },
    { "0.1", "0.1" },
    { "0.30000000000000004", "0.30000000000000004" },
    { "4.35", "4.35" },
    { "5e-324", "5e-324" },
    { "2.4703282292062328e-324", "5e-324" },
    { "1e-400", "0" },
    { "1.7976931348623157e308", "1.7976931348623157e+308" },
    { "1e400", "Infinity" },
    { "-1e400", "-Infinity" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      g_autofree char *value = number_through_parser (numbers[i][0]);
      if (strcmp (value, numbers[i][1]) != 0)
        fail_msg ("%s imported as \"%s\", expected \"%s\"", numbers[i][0], value,
                  numbers[i][1]);
    }
  /* Booleans too. */
  {
    g_autofree char *t = number_through_parser ("true");
    g_autofree char *f = number_through_parser ("false");
    assert_string_equal (t, "true");
    assert_string_equal (f, "false");
  }
}

static void
test_format_number_matches_javascript (void **state)
{
  static const struct {
    double value;
    const char *text;
  } numbers[] = {
    { 0.0, "0" },
    { -0.0, "0" },
    { 0.1 + 0.2, "0.30000000000000004" },
    { 1e21, "1e+21" },
    { 1e-7, "1e-7" },
    { 1e-6, "0.000001" },
    { -1234.5, "-1234.5" },
    { 1.0 / 3.0, "0.3333333333333333" },
    { 100.0, "100" },
    { 5e-324, "5e-324" },
    { 1.7976931348623157e308, "1.7976931348623157e+308" },
    { 2.2250738585072014e-308, "2.2250738585072014e-308" },
    { 9007199254740992.0, "9007199254740992" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      g_autofree char *text = xul_legacy_format_number (numbers[i].value);
      assert_string_equal (text, numbers[i].text);
    }
  {
    g_autofree char *inf = xul_legacy_format_number (INFINITY);
    g_autofree char *minus_inf = xul_legacy_format_number (-INFINITY);
    g_autofree char *nan = xul_legacy_format_number (NAN);
    assert_string_equal (inf, "Infinity");
    assert_string_equal (minus_inf, "-Infinity");
    assert_string_equal (nan, "NaN");
  }
}

/* The significant digits of a JavaScript number text (no sign, point, exponent, or
 * leading and trailing zeros). */
static char *
significant_digits (const char *text)
{
  GString *digits = g_string_new (NULL);

  for (const char *c = text; *c != '\0' && *c != 'e'; c++)
    if (g_ascii_isdigit (*c))
      g_string_append_c (digits, *c);
  while (digits->len > 0 && digits->str[0] == '0')
    g_string_erase (digits, 0, 1);
  while (digits->len > 0 && digits->str[digits->len - 1] == '0')
    g_string_truncate (digits, digits->len - 1);
  return g_string_free (digits, FALSE);
}

/* Fails if a decimal with fewer than @k significant digits reads back as @value: for
 * each precision p < k, the correctly rounded p-digit decimal and its two neighbours
 * (the one on the far side of a power of two may be the one that fits). */
static void
assert_no_shorter_decimal (double value,
                           int    k,
                           const char *text)
{
  for (int p = 1; p < k; p++)
    {
      char rounded[64], candidate[64];
      char *e;
      guint64 mantissa = 0;
      int exponent;

      g_snprintf (rounded, sizeof rounded, "%.*e", p - 1, value);
      e = strchr (rounded, 'e');
      assert_non_null (e);
      exponent = atoi (e + 1) - (p - 1);
      for (const char *c = rounded; c < e; c++)
        if (g_ascii_isdigit (*c))
          mantissa = mantissa * 10 + (guint64) (*c - '0');
      for (int d = -1; d <= 1; d++)
        {
          if (mantissa == 0 && d < 0)
            continue;
          g_snprintf (candidate, sizeof candidate, "%" G_GUINT64_FORMAT "e%d",
                      mantissa + (guint64) (gint64) d, exponent);
          if (g_ascii_strtod (candidate, NULL) == value)
            fail_msg ("%.17g printed \"%s\" (%d digits), but %s (%d digits) reads back the "
                      "same", value, text, k, candidate, p);
        }
    }
}

/* 2^@e, for -1074 <= @e <= 1023, built from its bits. */
static double
power_of_two (int e)
{
  guint64 bits = e >= -1022 ? (guint64) (e + 1023) << 52 : G_GUINT64_CONSTANT (1) << (e + 1074);
  double value;

  memcpy (&value, &bits, sizeof value);
  return value;
}

/* Checks that @text is how JavaScript prints the finite, positive @value. */
static void
assert_javascript_number (double      value,
                          const char *text)
{
  g_autofree char *digits = significant_digits (text);
  gboolean plain = value >= 1e-6 && value < 1e21;
  int k = (int) strlen (digits);

  if (g_ascii_strtod (text, NULL) != value)
    fail_msg ("%.17g printed \"%s\", which reads back as %.17g", value, text,
              g_ascii_strtod (text, NULL));
  /* Plain notation from 1e-6 up to 1e21, exponent notation ("e+"/"e-") outside. */
  if (plain != (strchr (text, 'e') == NULL))
    fail_msg ("%.17g printed \"%s\": wrong notation", value, text);
  if (!plain && strstr (text, "e+") == NULL && strstr (text, "e-") == NULL)
    fail_msg ("%.17g printed \"%s\": the exponent has no sign", value, text);
  assert_true (k >= 1 && k <= 17);
  assert_no_shorter_decimal (value, k, text);
}

static void
test_random_doubles_print_the_shortest_text_that_reads_back (void **state)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (0x5eed1234);
  /* Fewer under valgrind: it looks for memory errors, not for more numbers. */
  int n = UNDER_VALGRIND () ? 5000 : 100000;

  for (int i = 0; i < n; i++)
    {
      double value;
      g_autofree char *text = NULL;

      if (i % 2 == 0)
        {
          /* Any bit pattern: every exponent, denormals included. */
          guint64 bits = (guint64) g_rand_int (rand) << 32 | g_rand_int (rand);
          memcpy (&value, &bits, sizeof value);
          if (!isfinite (value))
            continue;
        }
      else
        {
          /* Short decimals, the usual content of a profile. */
          char decimal[48];
          g_snprintf (decimal, sizeof decimal, "%de-%d", g_rand_int_range (rand, -1000000, 1000000),
                      g_rand_int_range (rand, 0, 9));
          value = g_ascii_strtod (decimal, NULL);
        }
      text = xul_legacy_format_number (value);
      if (value == 0)
        {
          assert_string_equal (text, "0");
          continue;
        }
      if (value < 0)
        {
          assert_int_equal (text[0], '-');
          assert_javascript_number (-value, text + 1);
        }
      else
        assert_javascript_number (value, text);
    }
}

static void
test_powers_of_two_print_the_shortest_text (void **state)
{
  /* At a power of two the doubles below are closer than those above: the shortest
   * decimal may be one that is not the nearest of its length. JavaScript (and
   * V8) print e.g. 2^-1017 as 7.120236347223045e-307, 16 digits. */
  {
    g_autofree char *text = xul_legacy_format_number (power_of_two (-1017));
    assert_string_equal (text, "7.120236347223045e-307");
  }
  for (int e = -1074; e <= 1023; e++)
    {
      double value = power_of_two (e);
      g_autofree char *text = xul_legacy_format_number (value);
      assert_javascript_number (value, text);
    }
}

/* ------------------------------------------------------------------------------------ */
/* Strings. */

static void
test_string_escapes_decode (void **state)
{
  g_autoptr (Record) r = parse_ok (
    "{\"\\u0064oc\":{\"\\/id\\\\\":{\"a\\tb\":"
    "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\u00E9 \\ud83d\\ude00 \\uD83D\\uDE00 "
    "\\u2028 \\u0041\\u007f \\uffff\"}}}");

  assert_values (r, (const char *const[]) {
    "V doc|/id\\|a\tb=\" \\ / \b \f \n \r \t é é 😀 😀 \xe2\x80\xa8 A\x7f \xef\xbf\xbf",
    NULL });
}

static void
test_raw_utf8_and_specials_pass_unchanged (void **state)
{
  /* DEL, U+0085, U+2028, a 4-byte character, U+10FFFF, U+FFFF: valid, kept raw. */
  g_autoptr (Record) r = parse_ok (
    "{\"中文\":{\"é\":{\"😀\":\"\x7f \xc2\x85 \xe2\x80\xa8 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf "
    "\xef\xbf\xbf\"}}}");

  assert_values (r, (const char *const[]) {
    "V 中文|é|😀=\x7f \xc2\x85 \xe2\x80\xa8 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xef\xbf\xbf",
    NULL });
}

static void
test_raw_control_characters_are_refused (void **state)
{
  for (int c = 0; c < 0x20; c++)
    {
      /* In a value (offset 16) and in a key (offset 3). */
      char value[] = "{\"d\":{\"i\":{\"a\":\"x?y\"}}}";
      char key[] = "{\"d?\":{\"i\":{\"a\":\"b\"}}}";
      value[17] = (char) c;
      key[3] = (char) c;
      assert_parse_fails (value, sizeof value - 1, FALSE, XUL_LEGACY_ERROR_SYNTAX, 17);
      assert_parse_fails (key, sizeof key - 1, FALSE, XUL_LEGACY_ERROR_SYNTAX, 3);
    }
}

static void
test_invalid_utf8_is_refused (void **state)
{
  /* The sequence starts at offset 17; the error is at its first byte or at the first
   * byte that cannot continue it (lowest to highest acceptable offset). */
  static const struct {
    const char *what;
    const char *bytes;
    gint64 first, last;
  } cases[] = {
    { "stray continuation byte", "\x80", 17, 17 },
    { "overlong C0 AF", "\xc0\xaf", 17, 17 },
    { "overlong E0 80 AF", "\xe0\x80\xaf", 17, 18 },
    { "surrogate ED A0 80", "\xed\xa0\x80", 17, 18 },
    { "over U+10FFFF F4 90 80 80", "\xf4\x90\x80\x80", 17, 18 },
    { "F5 lead byte", "\xf5\x80\x80\x80", 17, 17 },
    { "FF", "\xff", 17, 17 },
    { "truncated in the middle", "\xe4\xb8", 17, 19 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text =
        g_strdup_printf ("{\"d\":{\"i\":{\"a\":\"x%s\"}}}", cases[i].bytes);
      g_autoptr (Record) r = record_new ();
      g_autoptr (GError) error = NULL;
      gint64 offset;

      assert_false (record_parse (r, text, strlen (text), &error));
      if (!g_error_matches (error, XUL_LEGACY_ERROR, XUL_LEGACY_ERROR_INVALID_UTF8))
        fail_msg ("%s: expected INVALID_UTF8, got %s", cases[i].what, error->message);
      offset = xul_legacy_error_get_offset (error);
      if (offset < cases[i].first || offset > cases[i].last)
        fail_msg ("%s: error at %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT
                  "..%" G_GINT64_FORMAT, cases[i].what, offset, cases[i].first, cases[i].last);
      mg_assert_error_position (error, text, offset);
      assert_int_equal (r->values, 0);
    }
  /* A sequence cut by the end of the file: the error is at its lead byte or at the
   * end. */
  {
    static const char text[] = "{\"d\":{\"i\":{\"a\":\"x\xe4\xb8";
    g_autoptr (Record) r = record_new ();
    g_autoptr (GError) error = NULL;
    gint64 offset;

    assert_false (record_parse (r, text, sizeof text - 1, &error));
    assert_non_null (error);
    offset = xul_legacy_error_get_offset (error);
    assert_true (offset >= 17 && offset <= (gint64) sizeof text - 1);
    tu_assert_error (error, XUL_LEGACY_ERROR, XUL_LEGACY_ERROR_INVALID_UTF8);
  }
  /* In a key, and outside strings. */
  assert_parse_fails ("{\"d\xff\":{}}", 8, FALSE, XUL_LEGACY_ERROR_INVALID_UTF8, 3);
  assert_parse_fails ("{\"d\":{}\xc3\xa9}", 10, FALSE, XUL_LEGACY_ERROR_SYNTAX, 7);
}

/* The only pointer in @r->skipped, which must start with @prefix, be valid UTF-8, and
 * differ from @not_this (the name cut at the NUL would collide with a real one). */
static void
assert_one_skip_under (Record     *r,
                       const char *prefix,
                       const char *not_this)
{
  const char *path;

  assert_int_equal (r->skipped->len, 1);
  path = g_ptr_array_index (r->skipped, 0);
  if (!g_str_has_prefix (path, prefix))
    fail_msg ("skipped \"%s\", expected a path under \"%s\"", path, prefix);
  assert_true (g_utf8_validate (path, -1, NULL));
  assert_string_not_equal (path, not_this);
}

static void
test_nul_and_lone_surrogates_are_skipped_with_their_paths (void **state)
{
  static const char *const bad_values[] = {
    "\\u0000", "a\\u0000b", "a\\ud800b", "\\udc00", "\\ud800\\u0041", "\\ude00\\ud83d",
    "\\ud83d", "x\\uDBFF",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad_values); i++)
    {
      g_autofree char *text = g_strdup_printf (
        "{\"d\":{\"i\":{\"a\":\"1\",\"b~/\":\"%s\",\"c\":\"3\"}}}", bad_values[i]);
      g_autoptr (Record) r = parse_ok (text);

      print_message ("# %s\n", bad_values[i]);
      assert_values (r, (const char *const[]) { "V d|i|a=1", "V d|i|c=3", NULL });
      assert_list (r->skipped, (const char *const[]) { "/d/i/b~0~1", NULL });
    }
  /* Keys at each level: the entry and everything in it are skipped. */
  {
    g_autoptr (Record) r = parse_ok (
      "{\"d\":{\"i\":{\"a\\u0000x\":\"v\",\"a\":\"1\"}}}");
    assert_values (r, (const char *const[]) { "V d|i|a=1", NULL });
    assert_one_skip_under (r, "/d/i/a", "/d/i/a");
  }
  {
    g_autoptr (Record) r = parse_ok (
      "{\"d\":{\"i\\ud800\":{\"a\":\"v\"},\"i\":{\"a\":\"1\"}}}");
    assert_values (r, (const char *const[]) { "V d|i|a=1", NULL });
    assert_one_skip_under (r, "/d/i", "/d/i");
  }
  {
    g_autoptr (Record) r = parse_ok (
      "{\"d\\u0000\":{\"i\":{\"a\":\"v\"}},\"d\":{\"i\":{\"a\":\"1\"}}}");
    assert_values (r, (const char *const[]) { "V d|i|a=1", NULL });
    assert_one_skip_under (r, "/d", "/d");
  }
  /* The two broken/ files that are valid JSON. */
  {
    g_autoptr (GBytes) bytes = read_data ("broken/nul-in-key.json");
    g_autoptr (Record) r = record_new ();
    g_autoptr (GError) error = NULL;
    gsize len;
    const char *text = g_bytes_get_data (bytes, &len);

    assert_true (record_parse (r, text, len, &error));
    tu_assert_no_error (error);
    /* Never cut at the NUL: main-window keeps 1280. */
    assert_values (r, (const char *const[]) { "V " BROWSER "|main-window|width=1280", NULL });
    assert_one_skip_under (r, BROWSER_PTR "/main-window", BROWSER_PTR "/main-window");
  }
  {
    g_autoptr (GBytes) bytes = read_data ("broken/lone-surrogate.json");
    g_autoptr (Record) r = record_new ();
    g_autoptr (GError) error = NULL;
    gsize len;
    const char *text = g_bytes_get_data (bytes, &len);

    assert_true (record_parse (r, text, len, &error));
    tu_assert_no_error (error);
    assert_values (r, (const char *const[]) { "V " BROWSER "|main-window|width=1280", NULL });
    assert_list (r->skipped, (const char *const[]) { BROWSER_PTR "/main-window/title", NULL });
  }
}

static void
test_a_refusing_visitor_turns_a_skip_into_bad_shape (void **state)
{
  /* data/README.md: the offset is the backslash of the escape a C string cannot
   * hold. */
  static const struct {
    const char *name;
    gint64 offset;
  } files[] = {
    { "broken/nul-in-key.json", 86 },
    { "broken/lone-surrogate.json", 86 },
  };
  static const struct {
    const char *text;
    gint64 offset;
  } cases[] = {
    { "{\"d\":{\"i\":{\"a\":null}}}", 15 },
    { "{\"d\":{\"i\":{\"a\":[1]}}}", 15 },
    { "{\"d\":{\"i\":{\"a\":{}}}}", 15 },
    { "{\"d\":{\"i\":7}}", 10 },
    { "{\"d\":\"x\"}", 5 },
    { "{\"d\":{\"i\":{\"a\":\"xy\\u0000\"}}}", 18 },
    { "{\"d\":{\"i\":{\"a\":\"xy\\udc00\"}}}", 18 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr (GBytes) bytes = read_data (files[i].name);
      gsize len;
      const char *text = g_bytes_get_data (bytes, &len);

      print_message ("# %s\n", files[i].name);
      assert_parse_fails (text, len, TRUE, XUL_LEGACY_ERROR_BAD_SHAPE, files[i].offset);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *shown = g_strescape (cases[i].text, NULL);

      print_message ("# %s\n", shown);
      assert_parse_fails (cases[i].text, strlen (cases[i].text), TRUE,
                          XUL_LEGACY_ERROR_BAD_SHAPE, cases[i].offset);
    }
  /* A file with nothing to skip passes a refusing visitor. */
  {
    g_autoptr (Record) r = record_new ();
    g_autoptr (GError) error = NULL;
    static const char text[] = "{\"d\":{\"i\":{\"a\":\"1\"}}}";

    r->refuse = TRUE;
    assert_true (record_parse (r, text, sizeof text - 1, &error));
    tu_assert_no_error (error);
  }
}

/* ------------------------------------------------------------------------------------ */
/* Shape. */

static void
test_the_top_level_must_be_an_object (void **state)
{
  static const struct {
    const char *text;
    int code;
    gint64 offset;
  } cases[] = {
    { "[]", XUL_LEGACY_ERROR_BAD_SHAPE, 0 },
    { "\"x\"", XUL_LEGACY_ERROR_BAD_SHAPE, 0 },
    { "42", XUL_LEGACY_ERROR_BAD_SHAPE, 0 },
    { "null", XUL_LEGACY_ERROR_BAD_SHAPE, 0 },
    { "true", XUL_LEGACY_ERROR_BAD_SHAPE, 0 },
    /* At the value, after white space and a byte-order mark. */
    { " \n [1]", XUL_LEGACY_ERROR_BAD_SHAPE, 3 },
    { "\xef\xbb\xbf[]", XUL_LEGACY_ERROR_BAD_SHAPE, 3 },
    { "\xef\xbb\xbf  \"x\"", XUL_LEGACY_ERROR_BAD_SHAPE, 5 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *shown = g_strescape (cases[i].text, NULL);

      print_message ("# %s\n", shown);
      assert_parse_fails (cases[i].text, strlen (cases[i].text), FALSE, cases[i].code,
                          cases[i].offset);
    }
}

static void
test_a_top_level_that_is_not_json_is_a_syntax_error (void **state)
{
  /* Whatever its shape: a syntax error says more about the file than its shape. */
  static const struct {
    const char *text;
    gint64 offset;
  } cases[] = {
    { "[1,]", 3 },
    { "\"abc", 4 },
    { "[] x", 3 },
    { "\"x\" \"y\"", 4 },
    { "1 2", 2 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *shown = g_strescape (cases[i].text, NULL);

      print_message ("# %s\n", shown);
      assert_parse_fails (cases[i].text, strlen (cases[i].text), FALSE,
                          XUL_LEGACY_ERROR_SYNTAX, cases[i].offset);
    }
}

static void
test_non_object_documents_and_elements_are_skipped (void **state)
{
  g_autoptr (Record) r = parse_ok (
    "{\"d1\":\"s\",\"d2\":1,\"d3\":null,\"d4\":[],\"d5\":true,"
    "\"d6\":{\"e1\":\"s\",\"e2\":[1,{\"x\":\"y\"}],\"e3\":{},\"e4\":{\"a\":\"v\"},\"e5\":false},"
    "\"d7\":{\"e\":{\"n\":null,\"l\":[1,[2]],\"o\":{\"x\":\"y\"},\"s\":\"ok\"}}}");

  /* Every member is announced, whatever its value; empty objects are no entries to
   * skip, but nothing to import either. */
  assert_list (r->records, (const char *const[]) {
    "M d1", "M d2", "M d3", "M d4", "M d5",
    "M d6", "M d6|e1", "M d6|e2", "M d6|e3", "M d6|e4", "M d6|e4|a", "V d6|e4|a=v", "M d6|e5",
    "M d7", "M d7|e", "M d7|e|n", "M d7|e|l", "M d7|e|o", "M d7|e|s", "V d7|e|s=ok", NULL });
  assert_list (r->skipped, (const char *const[]) {
    "/d1", "/d2", "/d3", "/d4", "/d5", "/d6/e1", "/d6/e2", "/d6/e5", "/d7/e/n", "/d7/e/l",
    "/d7/e/o", NULL });
}

/* A string of @n copies of @unit. */
static char *
repeat (const char *unit,
        int         n)
{
  GString *s = g_string_new (NULL);

  for (int i = 0; i < n; i++)
    g_string_append (s, unit);
  return g_string_free (s, FALSE);
}

static void
test_names_over_the_limits_are_skipped (void **state)
{
  /* Counted in characters: é is 2 bytes, 中 3. */
  g_autofree char *doc_ok = repeat ("é", XUL_STORE_MAX_DOCUMENT_LENGTH);
  g_autofree char *doc_long = repeat ("é", XUL_STORE_MAX_DOCUMENT_LENGTH + 1);
  g_autofree char *name_ok = repeat ("中", XUL_STORE_MAX_NAME_LENGTH);
  g_autofree char *name_long = repeat ("中", XUL_STORE_MAX_NAME_LENGTH + 1);
  g_autofree char *slashes = repeat ("/", XUL_STORE_MAX_NAME_LENGTH);
  g_autofree char *text = g_strdup_printf (
    "{\"%s\":{\"i\":{\"a\":\"1\"}},\"%s\":{\"i\":{\"a\":\"2\"}},"
    "\"d\":{\"%s\":{\"a\":\"3\"},\"%s\":{\"a\":\"4\"},"
    "\"i\":{\"%s\":\"5\",\"%s\":\"6\",\"%s\":\"7\"}}}",
    doc_ok, doc_long, name_ok, name_long, name_ok, name_long, slashes);
  g_autoptr (Record) r = parse_ok (text);
  g_autofree char *v1 = g_strdup_printf ("V %s|i|a=1", doc_ok);
  g_autofree char *v3 = g_strdup_printf ("V d|%s|a=3", name_ok);
  g_autofree char *v5 = g_strdup_printf ("V d|i|%s=5", name_ok);
  g_autofree char *v7 = g_strdup_printf ("V d|i|%s=7", slashes);
  g_autofree char *p2 = g_strdup_printf ("/%s", doc_long);
  g_autofree char *p4 = g_strdup_printf ("/d/%s", name_long);
  g_autofree char *p6 = g_strdup_printf ("/d/i/%s", name_long);

  /* "/" is one character, however the pointer escapes it. */
  assert_values (r, (const char *const[]) { v1, v3, v5, v7, NULL });
  assert_list (r->skipped, (const char *const[]) { p2, p4, p6, NULL });
}

static void
test_long_values_are_cut_at_a_character_boundary (void **state)
{
  g_autofree char *e4097 = repeat ("é", XUL_STORE_MAX_VALUE_LENGTH + 1);
  g_autofree char *e4096 = repeat ("é", XUL_STORE_MAX_VALUE_LENGTH);
  g_autofree char *emoji4096 = repeat ("😀", XUL_STORE_MAX_VALUE_LENGTH);
  g_autofree char *a4095 = repeat ("a", XUL_STORE_MAX_VALUE_LENGTH - 1);
  g_autofree char *escaped4097 = repeat ("\\ud83d\\ude00", XUL_STORE_MAX_VALUE_LENGTH + 1);
  g_autofree char *text = g_strdup_printf (
    "{\"d\":{\"i\":{\"a\":\"%s\",\"b\":\"%s\",\"c\":\"%s😀😀\",\"d\":\"%s\",\"e\":\"%s\"}}}",
    e4097, emoji4096, a4095, escaped4097, e4096);
  g_autoptr (Record) r = parse_ok (text);
  g_autofree char *va = g_strdup_printf ("V d|i|a=%s", e4096);
  g_autofree char *vb = g_strdup_printf ("V d|i|b=%s", emoji4096);
  g_autofree char *vc = g_strdup_printf ("V d|i|c=%s😀", a4095);
  g_autofree char *vd = g_strdup_printf ("V d|i|d=%s", emoji4096);
  g_autofree char *ve = g_strdup_printf ("V d|i|e=%s", e4096);

  assert_values (r, (const char *const[]) { va, vb, vc, vd, ve, NULL });
  assert_list (r->truncated, (const char *const[]) { "/d/i/a", "/d/i/c", "/d/i/d", NULL });
  assert_int_equal (r->skipped->len, 0);
}

/* @prefix, @n copies of @open, @n of @close, then @suffix. */
static char *
nested (const char *prefix,
        int         n,
        const char *open,
        const char *close,
        const char *suffix)
{
  g_autofree char *opens = repeat (open, n);
  g_autofree char *closes = repeat (close, n);

  return g_strconcat (prefix, opens, closes, suffix, NULL);
}

static void
test_nesting_is_limited_to_64_levels_wherever_it_is (void **state)
{
  /* The top-level object is depth 1, so an attribute's value is at depth 4, an
   * element's at 3: at most 61 and 62 nested arrays there. */
  g_autofree char *long_attr = repeat ("x", XUL_STORE_MAX_NAME_LENGTH + 1);
  g_autofree char *under_long = g_strdup_printf ("{\"d\":{\"i\":{\"%s\":", long_attr);
  static const char under_attr[] = "{\"d\":{\"i\":{\"a\":";
  static const char under_id[] = "{\"d\":{\"i\":";
  static const char under_doc[] = "{\"d\":";
  const struct {
    const char *prefix, *suffix;
    int max; /* arrays allowed */
  } places[] = {
    { under_attr, "}}}", 61 },
    { under_long, "}}}", 61 },
    { under_id, "}}", 62 },
    { under_doc, "}", 63 },
    { "", "", 64 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (places); i++)
    {
      g_autofree char *ok = nested (places[i].prefix, places[i].max, "[", "]",
                                    places[i].suffix);
      g_autofree char *deep = nested (places[i].prefix, places[i].max + 1, "[", "]",
                                      places[i].suffix);
      g_autofree char *objects = nested (places[i].prefix, places[i].max + 1, "{\"k\":",
                                         "}", places[i].suffix);
      g_autoptr (Record) r = record_new ();
      g_autoptr (GError) error = NULL;
      gsize start = strlen (places[i].prefix);

      print_message ("# %" G_GSIZE_FORMAT " arrays after %.20s\n", (gsize) places[i].max,
                     places[i].prefix);
      /* At the limit: skipped, or (at the top) the wrong shape, never NESTING. */
      if (record_parse (r, ok, strlen (ok), &error))
        assert_int_equal (r->skipped->len, 1);
      else
        tu_assert_error (error, XUL_LEGACY_ERROR, XUL_LEGACY_ERROR_BAD_SHAPE);
      /* One more: refused at the bracket over the limit. */
      assert_parse_fails (deep, strlen (deep), FALSE, XUL_LEGACY_ERROR_NESTING,
                          (gint64) (start + (gsize) places[i].max));
      assert_parse_fails (objects, strlen (objects), FALSE, XUL_LEGACY_ERROR_NESTING,
                          (gint64) (start + 5 * (gsize) places[i].max));
    }
}

static void
test_deep_nesting_sample_is_refused_at_the_limit (void **state)
{
  g_autoptr (GBytes) bytes = read_data ("broken/deep-nesting.json");
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);

  /* 20000 nested arrays from offset 66, at depth 4: with a depth limit of 64 the first
   * bracket over it is at 66 + 64 - 3 (data/README.md). Refused without recursing
   * 20000 deep. */
  assert_parse_fails (text, len, FALSE, XUL_LEGACY_ERROR_NESTING, 127);
}

static void
test_a_value_nested_60_deep_is_skipped (void **state)
{
  g_autofree char *text = nested ("{\"d\":{\"i\":{\"a\":", 60, "[", "]", ",\"b\":\"1\"}}}");
  g_autoptr (Record) r = parse_ok (text);

  assert_values (r, (const char *const[]) { "V d|i|b=1", NULL });
  assert_list (r->skipped, (const char *const[]) { "/d/i/a", NULL });
}

/* ------------------------------------------------------------------------------------ */
/* JSON Pointers and progress. */

static void
test_json_pointers_escape_tilde_and_slash (void **state)
{
  g_autoptr (GString) pointer = g_string_new (NULL);

  xul_legacy_pointer_append (pointer, "a/b");
  assert_string_equal (pointer->str, "/a~1b");
  /* "~" first: "~1" in a name must not read back as "/". */
  xul_legacy_pointer_append (pointer, "~1");
  assert_string_equal (pointer->str, "/a~1b/~01");
  xul_legacy_pointer_append (pointer, "");
  assert_string_equal (pointer->str, "/a~1b/~01/");
  xul_legacy_pointer_append (pointer, "~/~é");
  assert_string_equal (pointer->str, "/a~1b/~01//~0~1~0é");

  {
    g_autoptr (Record) r = parse_ok ("{\"a/b~c\":{\"i/~\":{\"~/\":null,\"\":[]}}}");
    assert_list (r->skipped,
                 (const char *const[]) { "/a~1b~0c/i~1~0/~0~1", "/a~1b~0c/i~1~0/", NULL });
  }
}

static void
test_progress_ends_at_the_size (void **state)
{
  g_autoptr (GBytes) bytes = read_data (PROFILE);
  g_autoptr (Record) r = record_new ();
  g_autoptr (GError) error = NULL;
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);

  assert_true (record_parse (r, text, len, &error));
  tu_assert_no_error (error);
  assert_true (r->progress_calls >= 1);
  assert_false (r->progress_wrong);
  assert_int_equal (r->last_done, len);
  assert_int_equal (r->last_total, len);
}

/* ------------------------------------------------------------------------------------ */
/* Fuzzing, with json-c as the reference. */

/* FALSE when json-c's reading of @text cannot be compared with ours: json-c (even
 * strict, validating UTF-8) accepts raw control characters in strings, single quotes,
 * overlong and surrogate UTF-8, and cuts keys at U+0000 and replaces lone surrogates
 * where our reader skips the entry. */
static gboolean
comparable_with_json_c (const char *text,
                        gsize       len)
{
  gboolean in_string = FALSE;

  if (!g_utf8_validate_len (text, len, NULL))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      guint8 c = (guint8) text[i];
      if (!in_string)
        {
          if (c == '"')
            in_string = TRUE;
          else if (c == '\'' || c == '\0')
            return FALSE;
          continue;
        }
      if (c < 0x20)
        return FALSE;
      if (c == '"')
        in_string = FALSE;
      else if (c == '\\' && i + 1 < len)
        {
          guint unit;
          i++;
          if (text[i] != 'u' || i + 4 >= len)
            continue;
          {
            char hex[5] = { text[i + 1], text[i + 2], text[i + 3], text[i + 4], 0 };
            char *end;
            unit = (guint) strtoul (hex, &end, 16);
            if (*end != '\0')
              continue;
          }
          if (unit == 0 || (unit >= 0xdc00 && unit <= 0xdfff))
            return FALSE;
          if (unit >= 0xd800 && unit <= 0xdbff)
            {
              /* Paired only with a following \uDC00-\uDFFF. */
              char low[5] = { 0 };
              if (i + 10 >= len || text[i + 5] != '\\' || text[i + 6] != 'u')
                return FALSE;
              memcpy (low, text + i + 7, 4);
              unit = (guint) strtoul (low, NULL, 16);
              if (unit < 0xdc00 || unit > 0xdfff)
                return FALSE;
              i += 6;
            }
          i += 4;
        }
    }
  return TRUE;
}

typedef struct {
  guint runs, accepted, compared;
} FuzzStats;

static void
fuzz_one (const char *text,
          gsize       len,
          gboolean    refuse,
          FuzzStats  *stats)
{
  g_autoptr (Record) r = record_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) expected = NULL;
  gboolean comparable = comparable_with_json_c (text, len);
  gboolean ok;

  r->refuse = refuse;
  r->quiet = !comparable;
  ok = record_parse (r, text, len, &error);
  stats->runs++;
  if (ok)
    {
      stats->accepted++;
      assert_null (error);
      assert_false (r->progress_wrong);
    }
  else
    {
      gint64 offset;
      if (error == NULL || error->domain != XUL_LEGACY_ERROR ||
          error->code == XUL_LEGACY_ERROR_IO || error->code == XUL_LEGACY_ERROR_TOO_LARGE)
        fail_msg ("unexpected failure: %s", error != NULL ? error->message : "no error");
      offset = xul_legacy_error_get_offset (error);
      if (offset < 0 || (guint64) offset > len)
        fail_msg ("error offset %" G_GINT64_FORMAT " outside 0..%" G_GSIZE_FORMAT ": %s",
                  offset, len, error->message);
      mg_assert_error_position (error, text, offset);
    }

  /* Differential: what json-c reads as legacy data we must read the same. */
  if (!comparable)
    return;
  expected = jsonc_records (text, len, FALSE);
  if (expected == NULL || (ok && r->duplicates > 0))
    return;
  if (!ok)
    {
      g_autofree char *copy = g_strndup (text, MIN (len, 200));
      fail_msg ("json-c reads legacy data that we refuse (%s): %s...", error->message, copy);
    }
  stats->compared++;
  assert_int_equal (r->skipped->len, 0);
  assert_int_equal (r->truncated->len, 0);
  assert_same_lists (expected, r->records);
}

static const char *const fuzz_tokens[] = {
  "{", "}", "[", "]", ":", ",", " ", "\n", "\"", "\\", "\"a\"", "\"b\"", "\"\"",
  "\"\\u00e9\"", "\"\\ud83d\\ude00\"", "\"\\ud800\"", "\"\\u0000\"", "\"é\"", "1", "-0.5e3",
  "true", "false", "null", "\xff", "\xc3", "\xef\xbb\xbf", "\"\\n\\t\"", "0", "e",
};

/* A random sequence of JSON tokens, or a random legacy file. */
static GString *
fuzz_random_input (GRand *rand)
{
  GString *s = g_string_new (NULL);

  if (g_rand_boolean (rand))
    {
      int n = g_rand_int_range (rand, 0, 40);
      for (int i = 0; i < n; i++)
        g_string_append (s, fuzz_tokens[g_rand_int_range (rand, 0, G_N_ELEMENTS (fuzz_tokens))]);
      return s;
    }
  /* Well-formed legacy data with odd names and values, to be mutated or not. */
  {
    static const char *const strings[] = {
      "", "a", "main-window", "é", "\\u00e9", "😀", "\\ud83d\\ude00", "a/b", "~", "\\\"q\\\"",
      "\\\\", "\\n", "\\t", "\\/", "-moz-missing\\n", "中文", "x y", "\\u001f",
    };
    int docs = g_rand_int_range (rand, 0, 4);
    g_string_append_c (s, '{');
    for (int d = 0; d < docs; d++)
      {
        int ids = g_rand_int_range (rand, 0, 4);
        g_string_append_printf (s, "%s\"doc%d%s\":{", d ? "," : "", d,
                                strings[g_rand_int_range (rand, 0, G_N_ELEMENTS (strings))]);
        for (int i = 0; i < ids; i++)
          {
            int attrs = g_rand_int_range (rand, 0, 4);
            g_string_append_printf (s, "%s \"id%d%s\" : {", i ? "," : "", i,
                                    strings[g_rand_int_range (rand, 0, G_N_ELEMENTS (strings))]);
            for (int a = 0; a < attrs; a++)
              g_string_append_printf (
                s, "%s\"a%d%s\":\"%s\"", a ? ",\n" : "", a,
                strings[g_rand_int_range (rand, 0, G_N_ELEMENTS (strings))],
                strings[g_rand_int_range (rand, 0, G_N_ELEMENTS (strings))]);
            g_string_append_c (s, '}');
          }
        g_string_append_c (s, '}');
      }
    g_string_append_c (s, '}');
  }
  return s;
}

/* Flips, inserts, deletes bytes, duplicates a slice or truncates. */
static void
fuzz_mutate (GRand   *rand,
             GString *s)
{
  static const char interesting[] = "\"\\{}[]:,u0e-. \n\x80\xc3\xed\xff\x01";
  int n = g_rand_int_range (rand, 1, 5);

  for (int m = 0; m < n; m++)
    {
      gsize pos = s->len > 0 ? (gsize) g_rand_int_range (rand, 0, (gint32) s->len) : 0;
      switch (g_rand_int_range (rand, 0, 6))
        {
        case 0:
          if (s->len > 0)
            s->str[pos] ^= (char) (1 << g_rand_int_range (rand, 0, 8));
          break;
        case 1:
          g_string_insert_c (s, (gssize) pos,
                             interesting[g_rand_int_range (rand, 0, sizeof interesting - 1)]);
          break;
        case 2:
          g_string_insert_c (s, (gssize) pos, (char) g_rand_int_range (rand, 0, 256));
          break;
        case 3:
          if (s->len > 0)
            {
              gsize n_erase = (gsize) g_rand_int_range (rand, 1, 4);
              g_string_erase (s, (gssize) pos, (gssize) MIN (n_erase, s->len - pos));
            }
          break;
        case 4:
          if (s->len > 0)
            {
              gsize n_copy = (gsize) g_rand_int_range (rand, 1, 40);
              g_autofree char *slice = NULL;
              n_copy = MIN (n_copy, s->len - pos);
              slice = g_strndup (s->str + pos, n_copy);
              g_string_insert_len (s, (gssize) pos, slice, (gssize) n_copy);
            }
          break;
        default:
          g_string_truncate (s, pos);
          break;
        }
    }
}

static void
test_mutated_inputs_never_crash_and_agree_with_json_c (void **state)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240607);
  g_autoptr (GBytes) profile = read_data (PROFILE);
  const char *samples[] = { "samples/pretty.json", "samples/unicode.json",
                            "samples/duplicate-keys.json", "samples/skipped-entries.json",
                            "samples/third-party-numbers.json", "samples/bom.json" };
  GBytes *bases[G_N_ELEMENTS (samples) + 1];
  /* Fewer under valgrind, which would take an hour over 200000. */
  int n = UNDER_VALGRIND () ? 3000 : 200000;
  FuzzStats stats = { 0 };

  bases[0] = profile;
  for (gsize i = 0; i < G_N_ELEMENTS (samples); i++)
    bases[i + 1] = read_data (samples[i]);
  for (int i = 0; i < n; i++)
    {
      g_autoptr (GString) input = NULL;
      int kind = g_rand_int_range (rand, 0, 10);

      if (kind < 3)
        {
          /* The profile; mostly cut short, where a torn write would leave it. */
          gsize len;
          const char *text = g_bytes_get_data (profile, &len);
          gsize keep = g_rand_int_range (rand, 0, 4) == 0
                         ? len : (gsize) g_rand_int_range (rand, 0, (gint32) len + 1);
          input = g_string_new_len (text, (gssize) keep);
          if (keep == len || g_rand_boolean (rand))
            fuzz_mutate (rand, input);
        }
      else if (kind < 7)
        {
          GBytes *base = bases[g_rand_int_range (rand, 1, G_N_ELEMENTS (bases))];
          gsize len;
          const char *text = g_bytes_get_data (base, &len);
          input = g_string_new_len (text, (gssize) len);
          fuzz_mutate (rand, input);
        }
      else
        {
          input = fuzz_random_input (rand);
          if (g_rand_boolean (rand))
            fuzz_mutate (rand, input);
        }
      fuzz_one (input->str, input->len, i % 3 == 0, &stats);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (samples); i++)
    g_bytes_unref (bases[i + 1]);
  print_message ("# %u inputs, %u accepted, %u compared with json-c\n", stats.runs,
                 stats.accepted, stats.compared);
  /* The differential check must have had something to compare. */
  assert_true (stats.compared > (guint) n / 50);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_valid_samples_give_what_json_c_reads),
    cmocka_unit_test (test_the_bom_is_never_part_of_the_first_key),
    cmocka_unit_test (test_third_party_numbers_become_javascript_strings),
    cmocka_unit_test (test_skipped_entries_are_announced_with_their_paths),
    cmocka_unit_test (test_over_limit_names_are_skipped_and_long_values_cut),
    cmocka_unit_test (test_duplicate_keys_are_announced),
    cmocka_unit_test (test_duplicates_are_counted_per_object),
    cmocka_unit_test (test_blank_files_hold_no_data),
    cmocka_unit_test (test_broken_files_fail_at_their_first_offending_byte),
    cmocka_unit_test (test_small_syntax_errors_point_at_the_first_offending_byte),
    cmocka_unit_test (test_numbers_import_as_javascript_prints_them),
    cmocka_unit_test (test_format_number_matches_javascript),
    cmocka_unit_test (test_random_doubles_print_the_shortest_text_that_reads_back),
    cmocka_unit_test (test_powers_of_two_print_the_shortest_text),
    cmocka_unit_test (test_string_escapes_decode),
    cmocka_unit_test (test_raw_utf8_and_specials_pass_unchanged),
    cmocka_unit_test (test_raw_control_characters_are_refused),
    cmocka_unit_test (test_invalid_utf8_is_refused),
    cmocka_unit_test (test_nul_and_lone_surrogates_are_skipped_with_their_paths),
    cmocka_unit_test (test_a_refusing_visitor_turns_a_skip_into_bad_shape),
    cmocka_unit_test (test_the_top_level_must_be_an_object),
    cmocka_unit_test (test_a_top_level_that_is_not_json_is_a_syntax_error),
    cmocka_unit_test (test_non_object_documents_and_elements_are_skipped),
    cmocka_unit_test (test_names_over_the_limits_are_skipped),
    cmocka_unit_test (test_long_values_are_cut_at_a_character_boundary),
    cmocka_unit_test (test_nesting_is_limited_to_64_levels_wherever_it_is),
    cmocka_unit_test (test_deep_nesting_sample_is_refused_at_the_limit),
    cmocka_unit_test (test_a_value_nested_60_deep_is_skipped),
    cmocka_unit_test (test_json_pointers_escape_tilde_and_slash),
    cmocka_unit_test (test_progress_ends_at_the_size),
    cmocka_unit_test (test_mutated_inputs_never_crash_and_agree_with_json_c),
  };
  return tu_run ("reader", tests);
}
