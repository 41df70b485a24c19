/* test-profile.c: the rollout modes of a profile (XulProfile). NEW_ONLY never touches
 * the legacy xulstore.json; MIGRATE imports it once, in one transaction, and leaves it
 * alone; DUAL_WRITE also keeps it equal to the store and takes in what an older version
 * wrote to it; FINALIZE renames it and stops mirroring; an unparseable legacy file is
 * moved aside before anything writes its path. See docs/migration.md.
 *
 * json-c plays the older version (Firefox): it parses the whole file, edits the object
 * tree and writes it back compactly through a temporary file and a rename. It is also
 * the independent reader that compares the legacy file with the store. SQLite itself,
 * in a child, leaves the hot journal of a writer killed in its first transaction.
 *
 * Children made with fork() never call cmocka (an assertion would longjmp into the
 * child's copy of the test runner): they report over a pipe and end with _exit(). The
 * parent has no store open when it forks, hence no writer or mirror thread.
 *
 * Sizes and rounds come from the environment: XUL_PROFILE_KILL_ROUNDS and
 * XUL_PROFILE_KILL_VALUES (the killed import), XUL_PROFILE_RACE_ROUNDS (flushes, closes
 * and disposals racing the mirror thread), XUL_PROFILE_SEED; the defaults are smaller
 * under valgrind. Timings are printed as TAP comments, never asserted. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-c/json.h>
#include <sqlite3.h>

#include "test-process.h"
#include "xs-model.h"
#include "xs-test.h"
#include "xul-migrate-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_object, json_object_put)

#define LEGACY_NAME "xulstore.json"
#define STORE_NAME "xulstore.sqlite"

/* Small enough for the tests to wait for, large enough to coalesce a burst. */
#define SHORT_DELAY_MS 20
/* The largest mirror delay: only a flush, a close or a disposal writes the mirror, so
 * the tests that are not about the mirror's timing do not race its thread. */
#define LONG_DELAY_MS (10 * 60 * 1000)
/* No child may outlive its test by much, whatever happens to the parent. */
#define CHILD_ALARM_S 240

/* The realistic profile (data/README.md): 8 documents, 432 ids, 468 values. */
#define PROFILE_DATA "profile/xulstore.json"
#define PROFILE_DOCUMENTS 8
#define PROFILE_IDS 432
#define PROFILE_VALUES 468
#define PROFILE_SIZE 25633

#define BROWSER "chrome://browser/content/browser.xhtml"
#define PLACES "chrome://browser/content/places/places.xhtml"
#define SIDEBAR "chrome://browser/content/places/bookmarksSidebar.xhtml"
#define PAGEINFO "chrome://browser/content/pageinfo/pageInfo.xhtml"
#define DOWNLOADS "chrome://mozapps/content/downloads/downloads.xhtml"
#define DEVTOOLS "chrome://devtools/content/framework/toolbox-window.xhtml"
#define NEW_DOC "chrome://app/content/new-version.xhtml"

/* An empty list, for xs_assert_strv. */
#define NONE ((const char *const[]) { NULL })

/* -- configuration ------------------------------------------------------------------- */

static guint32
config_seed (void)
{
  guint32 seed = tu_config_uint ("XUL_PROFILE_SEED", g_random_int (), g_random_int ());

  printf ("# XUL_PROFILE_SEED=%u\n", seed);
  return seed;
}

/* -- files --------------------------------------------------------------------------- */

static char *
legacy_path (TuTmpdir *dir)
{
  return tu_tmpdir_file (dir, LEGACY_NAME);
}

static char *
sqlite_path (TuTmpdir *dir)
{
  return tu_tmpdir_file (dir, STORE_NAME);
}

static GBytes *
data_bytes (const char *name)
{
  g_autofree char *path = g_build_filename (XUL_TEST_DATA, name, NULL);

  return tu_read_bytes (path);
}

static void
write_bytes (const char *path,
             GBytes     *bytes)
{
  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);

  tu_write_file (path, data != NULL ? data : "", len);
}

/* Copies data/@name into @dir as its legacy file and returns its bytes. */
static GBytes *
install_legacy (TuTmpdir   *dir,
                const char *name)
{
  g_autofree char *path = legacy_path (dir);
  GBytes *bytes = data_bytes (name);

  write_bytes (path, bytes);
  return bytes;
}

static char *
sha256_of_bytes (GBytes *bytes)
{
  gsize len;
  const guchar *data = g_bytes_get_data (bytes, &len);

  return g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                      data != NULL ? data : (const guchar *) "", len);
}

static char *
sha256_of_file (const char *path)
{
  g_autoptr (GBytes) bytes = tu_read_bytes (path);

  return sha256_of_bytes (bytes);
}

/* What a rewrite of a file changes: an atomic replacement gives a new inode. */
typedef struct {
  guint64 ino;
  gint64 size;
  gint64 mtime_s;
  gint64 mtime_ns;
} FileId;

static gboolean
file_id_get (const char *path,
             FileId     *id)
{
  GStatBuf st;

  memset (id, 0, sizeof *id);
  if (g_stat (path, &st) != 0)
    return FALSE;
  id->ino = (guint64) st.st_ino;
  id->size = (gint64) st.st_size;
  id->mtime_s = (gint64) st.st_mtim.tv_sec;
  id->mtime_ns = (gint64) st.st_mtim.tv_nsec;
  return TRUE;
}

static FileId
file_id (const char *path)
{
  FileId id;

  if (!file_id_get (path, &id))
    fail_msg ("cannot stat %s: %s", path, g_strerror (errno));
  return id;
}

static gboolean
file_id_equal (const FileId *a,
               const FileId *b)
{
  return a->ino == b->ino && a->size == b->size && a->mtime_s == b->mtime_s &&
         a->mtime_ns == b->mtime_ns;
}

/* The legacy file is exactly as it was: same bytes, same modification time, same inode
 * (never rewritten, not even with the same content). */
static void
assert_file_untouched (const char   *path,
                       GBytes       *bytes_before,
                       const FileId *id_before)
{
  g_autoptr (GBytes) bytes = tu_read_bytes (path);
  FileId now = file_id (path);

  tu_assert_same_bytes (bytes_before, bytes);
  if (!file_id_equal (id_before, &now))
    fail_msg ("%s was rewritten: inode %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT
              ", mtime %" G_GINT64_FORMAT ".%09" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT
              ".%09" G_GINT64_FORMAT, path, id_before->ino, now.ino, id_before->mtime_s,
              id_before->mtime_ns, now.mtime_s, now.mtime_ns);
}

/* The one entry of @dir named "xulstore.json.<tag>-<UTC YYYYMMDDTHHMMSSZ>[-N]", taken
 * between @before and @after (seconds since the epoch); NULL asserts there is none. */
static char *
find_aside (TuTmpdir   *dir,
            const char *tag,
            gint64      before,
            gint64      after)
{
  g_autofree char *prefix = g_strdup_printf (LEGACY_NAME ".%s-", tag);
  g_autofree char *pattern =
    g_strdup_printf ("^xulstore\\.json\\.%s-([0-9]{8}T[0-9]{6}Z)(-[0-9]+)?$", tag);
  g_autoptr (GRegex) regex = g_regex_new (pattern, G_REGEX_DEFAULT, G_REGEX_MATCH_DEFAULT,
                                          NULL);
  g_autoptr (GDir) d = g_dir_open (dir->path, 0, NULL);
  g_autofree char *found = NULL;
  const char *name;

  assert_non_null (regex);
  assert_non_null (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autoptr (GMatchInfo) match = NULL;
      g_autofree char *stamp = NULL, *iso = NULL;
      g_autoptr (GDateTime) when = NULL;

      if (!g_str_has_prefix (name, prefix))
        continue;
      if (found != NULL)
        fail_msg ("two files moved aside as %s: %s and %s", tag, found, name);
      if (!g_regex_match (regex, name, G_REGEX_MATCH_DEFAULT, &match))
        fail_msg ("%s is not named %s<UTC YYYYMMDDTHHMMSSZ>", name, prefix);
      stamp = g_match_info_fetch (match, 1);
      iso = g_strdup_printf ("%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", stamp, stamp + 4, stamp + 6,
                             stamp + 9, stamp + 11, stamp + 13);
      when = g_date_time_new_from_iso8601 (iso, NULL);
      if (when == NULL)
        fail_msg ("%s does not hold a valid time", name);
      /* UTC, the time of the move (a local time would be off by the UTC offset). */
      if (g_date_time_to_unix (when) < before - 5 || g_date_time_to_unix (when) > after + 5)
        fail_msg ("%s is not stamped with the UTC time of the move", name);
      found = g_strdup (name);
    }
  return found != NULL ? g_build_filename (dir->path, found, NULL) : NULL;
}

static gint64
unix_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* -- profiles ------------------------------------------------------------------------ */

static XulStore *
open_profile (TuTmpdir            *dir,
              XulRollout           rollout,
              guint                mirror_delay_ms,
              XulMigrationReport **report)
{
  g_autoptr (XulProfile) profile = xul_profile_new (dir->path, rollout);
  g_autoptr (GError) error = NULL;
  XulStore *store;

  g_object_set (profile, "mirror-delay", mirror_delay_ms, NULL);
  store = xul_profile_open (profile, report, &error);
  tu_assert_no_error (error);
  assert_non_null (store);
  assert_non_null (*report);
  return store;
}

static void
assert_action (XulMigrationReport *report,
               XulMigrationAction  expected)
{
  XulMigrationAction action = xul_migration_report_get_action (report);

  if (action != expected)
    {
      g_autofree char *want = g_enum_to_string (XUL_TYPE_MIGRATION_ACTION, expected);
      g_autofree char *got = g_enum_to_string (XUL_TYPE_MIGRATION_ACTION, action);
      g_autofree char *text = xul_migration_report_to_text (report);
      fail_msg ("expected the action %s, got %s; the report:\n%s", want, got, text);
    }
  assert_true (xul_migration_report_get_duration (report) >= 0);
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

/* A meta record, or NULL when there is none. */
static char *
meta_get (XulStore   *store,
          const char *key)
{
  g_autoptr (GError) error = NULL;
  char *value = xul_kv_db_get_meta (xul_store_get_db (store), key, &error);

  if (value == NULL)
    tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND);
  return value;
}

static void
meta_set (XulStore   *store,
          const char *key,
          const char *value)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_kv_db_set_meta (xul_store_get_db (store), key, value, &error));
  tu_assert_no_error (error);
}

static void
flush (XulStore *store)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_store_flush (store, &error));
  tu_assert_no_error (error);
}

/* -- contents: a GHashTable from "doc\1id\1attr" to the value ------------------------ */

static void
table_set (GHashTable *table,
           const char *doc,
           const char *id,
           const char *attr,
           const char *value)
{
  g_hash_table_insert (table, xs_model_key (doc, id, attr), g_strdup (value));
}

static char *
readable_key (const char *key)
{
  g_auto (GStrv) parts = g_strsplit (key, XS_MODEL_SEP, -1);

  return g_strjoinv (" / ", parts);
}

static GHashTable *
store_table (XulStore *store)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) docs = xul_store_get_documents (store, &error);
  GHashTable *table = xs_model_new ();

  tu_assert_no_error (error);
  assert_non_null (docs);
  for (guint d = 0; docs[d] != NULL; d++)
    {
      g_auto (GStrv) ids = xul_store_get_ids (store, docs[d], &error);

      tu_assert_no_error (error);
      assert_non_null (ids);
      for (guint i = 0; ids[i] != NULL; i++)
        {
          g_auto (GStrv) attrs = xul_store_get_attributes (store, docs[d], ids[i], &error);

          tu_assert_no_error (error);
          assert_non_null (attrs);
          for (guint a = 0; attrs[a] != NULL; a++)
            {
              g_autofree char *value =
                xul_store_get_value (store, docs[d], ids[i], attrs[a], &error);

              tu_assert_no_error (error);
              assert_non_null (value);
              table_set (table, docs[d], ids[i], attrs[a], value);
            }
        }
    }
  return table;
}

/* Asserts equal contents, naming the first difference. */
static void
assert_same_table (GHashTable *expected,
                   GHashTable *actual,
                   const char *what)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, expected);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *got = g_hash_table_lookup (actual, key);
      if (got == NULL || strcmp (got, value) != 0)
        {
          g_autofree char *name = readable_key (key);
          fail_msg ("%s: %s is %s%s%s, expected \"%s\" (%u values, expected %u)", what,
                    name, got != NULL ? "\"" : "", got != NULL ? got : "missing",
                    got != NULL ? "\"" : "", (const char *) value,
                    g_hash_table_size (actual), g_hash_table_size (expected));
        }
    }
  g_hash_table_iter_init (&iter, actual);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (expected, key))
      {
        g_autofree char *name = readable_key (key);
        fail_msg ("%s: %s = \"%s\" should not be there", what, name, (const char *) value);
      }
}

/* -- json-c: the independent reader, and the older version --------------------------- */

/* Parses a whole legacy file as JSON.parse would, or returns NULL (no cmocka: children
 * use it too). */
static json_object *
json_parse_quietly (GBytes *bytes)
{
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);
  json_tokener *tok = json_tokener_new ();
  json_object *root;
  size_t end;

  if (text == NULL || len == 0 || len > G_MAXINT)
    {
      json_tokener_free (tok);
      return NULL;
    }
  root = json_tokener_parse_ex (tok, text, (int) len);
  end = json_tokener_get_parse_end (tok);
  if (root != NULL && json_tokener_get_error (tok) != json_tokener_success)
    g_clear_pointer (&root, json_object_put);
  /* Nothing but white space may follow the value. */
  for (; root != NULL && end < len; end++)
    if (strchr (" \t\r\n", text[end]) == NULL)
      g_clear_pointer (&root, json_object_put);
  json_tokener_free (tok);
  return root;
}

static json_object *
json_load (const char *path)
{
  g_autoptr (GBytes) bytes = tu_read_bytes (path);
  json_object *root = json_parse_quietly (bytes);

  if (root == NULL)
    fail_msg ("json-c cannot parse %s", path);
  if (!json_object_is_type (root, json_type_object))
    fail_msg ("%s does not hold an object", path);
  return root;
}

/* The value under (doc, id, attr) in a legacy file, or NULL (no cmocka). */
static char *
json_file_lookup (const char *path,
                  const char *doc,
                  const char *id,
                  const char *attr)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (json_object) root = NULL;
  json_object *doc_obj, *id_obj, *value;
  char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return NULL;
  bytes = g_bytes_new_take (contents, len);
  root = json_parse_quietly (bytes);
  if (root == NULL || !json_object_object_get_ex (root, doc, &doc_obj) ||
      !json_object_object_get_ex (doc_obj, id, &id_obj) ||
      !json_object_object_get_ex (id_obj, attr, &value) ||
      !json_object_is_type (value, json_type_string))
    return NULL;
  return g_strdup (json_object_get_string (value));
}

/* The legacy file as json-c sees it: three levels of objects, strings at the leaves. */
static GHashTable *
json_table (json_object *root,
            guint       *n_documents,
            guint       *n_ids)
{
  GHashTable *table = xs_model_new ();
  guint documents = 0, ids = 0;

  assert_true (json_object_is_type (root, json_type_object));
  json_object_object_foreach (root, doc, doc_obj)
    {
      documents++;
      if (!json_object_is_type (doc_obj, json_type_object))
        fail_msg ("document %s is not an object", doc);
      json_object_object_foreach (doc_obj, id, id_obj)
        {
          ids++;
          if (!json_object_is_type (id_obj, json_type_object))
            fail_msg ("%s / %s is not an object", doc, id);
          json_object_object_foreach (id_obj, attr, value)
            {
              if (!json_object_is_type (value, json_type_string))
                fail_msg ("%s / %s / %s is not a string", doc, id, attr);
              table_set (table, doc, id, attr, json_object_get_string (value));
            }
        }
    }
  if (n_documents != NULL)
    *n_documents = documents;
  if (n_ids != NULL)
    *n_ids = ids;
  return table;
}

static GHashTable *
legacy_table (const char *path)
{
  g_autoptr (json_object) root = json_load (path);

  return json_table (root, NULL, NULL);
}

/* The legacy file equals the store, value for value, and is the file whose fingerprint
 * the mirror recorded, written atomically with mode 0600. */
static void
assert_mirror_equals_store (XulStore   *store,
                            const char *json_path)
{
  g_autoptr (GHashTable) expected = store_table (store);
  g_autoptr (GHashTable) actual = legacy_table (json_path);
  g_autofree char *recorded = meta_get (store, XUL_MIRROR_META_FINGERPRINT);
  g_autofree char *sha = sha256_of_file (json_path);
  g_autofree char *dir = g_path_get_dirname (json_path);

  assert_same_table (expected, actual, "the legacy file");
  assert_non_null (recorded);
  assert_string_equal (recorded, sha);
  assert_int_equal (tu_file_mode (json_path), 0600);
  /* Every temporary file was renamed into place. */
  assert_int_equal (tu_count_entries_containing (dir, ".tmp"), 0);
}

typedef enum {
  OLD_SET,
  OLD_REMOVE,
  OLD_REMOVE_DOCUMENT,
  OLD_REMOVE_ALL,
} OldEditKind;

typedef struct {
  OldEditKind kind;
  const char *doc, *id, *attr, *value;
} OldEdit;

static json_object *
child_object (json_object *parent,
              const char  *name)
{
  json_object *child;

  if (!json_object_object_get_ex (parent, name, &child))
    {
      child = json_object_new_object ();
      json_object_object_add (parent, name, child);
    }
  return child;
}

/* What an older version (Firefox's XULStore.sys.mjs) does to xulstore.json: parse the
 * whole file, change the object tree (removing the last attribute of an element removes
 * the element, and the last element of a document the document), write it back
 * compactly to a temporary file and rename it over the old one. */
static void
old_version_edit (const char    *path,
                  const OldEdit *edits,
                  gsize          n_edits)
{
  g_autoptr (json_object) root = json_load (path);
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  const char *text;

  for (gsize e = 0; e < n_edits; e++)
    {
      const OldEdit *edit = &edits[e];
      json_object *doc_obj = NULL, *id_obj = NULL;

      switch (edit->kind)
        {
        case OLD_SET:
          id_obj = child_object (child_object (root, edit->doc), edit->id);
          json_object_object_add (id_obj, edit->attr, json_object_new_string (edit->value));
          break;
        case OLD_REMOVE:
          if (!json_object_object_get_ex (root, edit->doc, &doc_obj) ||
              !json_object_object_get_ex (doc_obj, edit->id, &id_obj))
            fail_msg ("the old version cannot find %s / %s", edit->doc, edit->id);
          json_object_object_del (id_obj, edit->attr);
          if (json_object_object_length (id_obj) == 0)
            json_object_object_del (doc_obj, edit->id);
          if (json_object_object_length (doc_obj) == 0)
            json_object_object_del (root, edit->doc);
          break;
        case OLD_REMOVE_DOCUMENT:
          if (!json_object_object_get_ex (root, edit->doc, NULL))
            fail_msg ("the old version cannot find %s", edit->doc);
          json_object_object_del (root, edit->doc);
          break;
        case OLD_REMOVE_ALL:
          json_object_put (root);
          root = json_object_new_object ();
          break;
        }
    }
  text = json_object_to_json_string_ext (root, JSON_C_TO_STRING_PLAIN |
                                               JSON_C_TO_STRING_NOSLASHESCAPE);
  assert_non_null (text);
  tu_write_file (tmp, text, strlen (text));
  if (g_rename (tmp, path) != 0)
    fail_msg ("cannot rename %s: %s", tmp, g_strerror (errno));
}

/* -- children ------------------------------------------------------------------------ */

/* Ends a child with its outcome on the pipe: under memcheck a forked child's exit code
 * is 1 whenever it leaks, and it always does (the parent's other stacks are not
 * copied), so only the byte on the pipe counts. */
static G_NORETURN void
child_exit (int    fd,
            guint8 code)
{
  while (write (fd, &code, 1) < 0 && errno == EINTR)
    ;
  _exit (code);
}

/* The child's byte, or -1 when it never wrote one. */
static int
read_outcome (int fd)
{
  guint8 code;
  ssize_t n;

  while ((n = read (fd, &code, 1)) < 0 && errno == EINTR)
    ;
  close (fd);
  return n == 1 ? code : -1;
}

/* -- 1. a killed import -------------------------------------------------------------- */

/* A legacy file of @n_values values (rounded to a multiple of 100): 10 documents of
 * 10 attributes per id. @expected gets every value. */
static GBytes *
big_legacy_new (guint       n_values,
                GHashTable *expected)
{
  guint ids_per_doc = MAX (n_values / 100, 1);
  GString *json = g_string_new ("{");

  for (guint d = 0; d < 10; d++)
    {
      g_autofree char *doc = g_strdup_printf ("chrome://big/content/doc-%u.xhtml", d);

      g_string_append_printf (json, "%s\"%s\":{", d > 0 ? "," : "", doc);
      for (guint i = 0; i < ids_per_doc; i++)
        {
          g_autofree char *id = g_strdup_printf ("element-%u", i);

          g_string_append_printf (json, "%s\"%s\":{", i > 0 ? "," : "", id);
          for (guint a = 0; a < 10; a++)
            {
              g_autofree char *attr = g_strdup_printf ("attr-%u", a);
              g_autofree char *value = g_strdup_printf ("%u.%u.%u", d, i, a);

              g_string_append_printf (json, "%s\"%s\":\"%s\"", a > 0 ? "," : "", attr,
                                      value);
              table_set (expected, doc, id, attr, value);
            }
          g_string_append_c (json, '}');
        }
      g_string_append_c (json, '}');
    }
  g_string_append_c (json, '}');
  return g_string_free_to_bytes (json);
}

/* In the child: a MIGRATE open that must import, then a close. */
static guint8
migrate_in_child (const char *dir)
{
  g_autoptr (XulProfile) profile = xul_profile_new (dir, XUL_ROLLOUT_MIGRATE);
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulStore) store = xul_profile_open (profile, &report, NULL);

  if (store == NULL)
    return 2;
  if (xul_migration_report_get_action (report) != XUL_MIGRATION_IMPORTED)
    return 3;
  if (!xul_store_close (store, NULL))
    return 4;
  return 0;
}

/* Runs the MIGRATE open in a child, killed after @kill_after_us (or never, when
 * negative). Returns the child's outcome: -1 when it was killed before reporting. */
static int
run_migrate_child (const char *dir,
                   gint64      kill_after_us,
                   gint64     *elapsed_us)
{
  gint64 start = g_get_monotonic_time ();
  int fds[2], outcome, status;
  pid_t pid;

  tu_make_pipe (fds);
  pid = tu_fork_child (CHILD_ALARM_S);
  if (pid == 0)
    {
      close (fds[0]);
      child_exit (fds[1], migrate_in_child (dir));
    }
  close (fds[1]);
  if (kill_after_us >= 0)
    {
      g_usleep ((gulong) kill_after_us);
      kill (pid, SIGKILL);
    }
  outcome = read_outcome (fds[0]);
  status = tu_reap (pid);
  *elapsed_us = g_get_monotonic_time () - start;
  if (outcome < 0 && !(WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL))
    fail_msg ("the importing child died unfinished, status 0x%x", (unsigned) status);
  if (outcome > 0)
    fail_msg ("the importing child failed with %d (2 open, 3 not imported, 4 close)",
              outcome);
  return outcome;
}

/* After the child: the store holds none of the file or all of it, and the migration
 * record exactly when it holds all of it. Returns whether it held all of it. */
static gboolean
assert_all_or_nothing (TuTmpdir   *dir,
                       GHashTable *expected,
                       guint       round)
{
  g_autofree char *path = sqlite_path (dir);
  g_autoptr (XulStore) reader = NULL;
  g_autoptr (GHashTable) got = NULL;
  g_autofree char *record = NULL;
  g_autoptr (GError) error = NULL;

  if (!tu_file_exists (path))
    return FALSE; /* killed before the store was created */
  /* Even a file the child created and was killed before writing anything to is an
   * empty store to a reader. */
  reader = xul_store_new (path, XUL_STORE_FLAGS_READ_ONLY, &error);
  if (reader == NULL)
    fail_msg ("round %u: the store left by the killed import (%" G_GOFFSET_FORMAT
              " bytes) cannot be read: %s:%d: %s", round, tu_file_size (path),
              g_quark_to_string (error->domain), error->code, error->message);
  got = store_table (reader);
  record = meta_get (reader, XUL_MIGRATE_META_IMPORT);
  xs_close (reader);
  if (g_hash_table_size (got) == 0)
    {
      if (record != NULL)
        fail_msg ("round %u: a migration record without the values: %s", round, record);
      return FALSE;
    }
  if (g_hash_table_size (got) != g_hash_table_size (expected))
    fail_msg ("round %u: the killed import left %u of %u values", round,
              g_hash_table_size (got), g_hash_table_size (expected));
  assert_same_table (expected, got, "the store after the killed import");
  if (record == NULL)
    fail_msg ("round %u: every value was imported, but no migration record", round);
  return TRUE;
}

/* A later MIGRATE open finishes what the killed one began, or knows it was done. */
static void
assert_migration_completes (TuTmpdir   *dir,
                            GHashTable *expected,
                            gboolean    was_complete)
{
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulStore) store =
    open_profile (dir, XUL_ROLLOUT_MIGRATE, SHORT_DELAY_MS, &report);
  g_autoptr (GHashTable) got = store_table (store);

  assert_action (report,
                 was_complete ? XUL_MIGRATION_ALREADY_MIGRATED : XUL_MIGRATION_IMPORTED);
  assert_same_table (expected, got, "the store after the next open");
  xs_close (store);
}

static void
test_a_killed_migrate_open_leaves_none_or_all_of_the_import (void **state)
{
  guint n_rounds = MAX (tu_config_uint ("XUL_PROFILE_KILL_ROUNDS", 8, 3), 1);
  guint n_values = MAX (tu_config_uint ("XUL_PROFILE_KILL_VALUES", 200000, 20000), 100);
  guint32 seed = config_seed ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (GHashTable) expected = xs_model_new ();
  g_autoptr (GBytes) content = big_legacy_new (n_values, expected);
  guint n_none = 0, n_all = 0;
  gint64 full_us = 0;

  /* First a child that is not killed: the whole import, and how long it takes, which
   * spreads the kills over its length. */
  for (guint round = 0; round <= n_rounds; round++)
    {
      g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
      g_autofree char *json = legacy_path (dir);
      gint64 kill_after_us = -1, elapsed_us;
      g_autoptr (GBytes) left = NULL;
      gboolean complete;
      int outcome;

      /* Anywhere from before the open to a little after the commit. */
      if (round > 0)
        kill_after_us =
          g_rand_int_range (rand, 0, (gint32) MIN (full_us * 6 / 5 + 1, G_MAXINT32));
      write_bytes (json, content);
      outcome = run_migrate_child (dir->path, kill_after_us, &elapsed_us);
      if (round == 0)
        full_us = elapsed_us;
      complete = assert_all_or_nothing (dir, expected, round);
      if (outcome == 0 && !complete)
        fail_msg ("round %u: the child finished the import, but the store lacks it", round);
      if (complete)
        n_all++;
      else
        n_none++;
      /* MIGRATE never writes the legacy file, killed or not. */
      left = tu_read_bytes (json);
      tu_assert_same_bytes (content, left);
      assert_migration_completes (dir, expected, complete);
    }
  printf ("# %u values (%" G_GSIZE_FORMAT " bytes), full import in a child %"
          G_GINT64_FORMAT " ms; after %u kills: %u with none, %u with all\n",
          g_hash_table_size (expected), g_bytes_get_size (content), full_us / 1000,
          n_rounds, n_none, n_all - 1);
}

/* In a child: what a writer killed inside the first transaction on a new database file
 * leaves: the file and a hot rollback journal, the state before it being empty. */
static void
leave_a_hot_journal (const char *path)
{
  int fds[2], outcome;
  pid_t pid;

  tu_make_pipe (fds);
  pid = tu_fork_child (CHILD_ALARM_S);
  if (pid == 0)
    {
      sqlite3 *db = NULL;
      gboolean ok;

      close (fds[0]);
      /* A tiny cache spills the uncommitted pages into the file, journal first. */
      ok = sqlite3_open (path, &db) == SQLITE_OK &&
           sqlite3_exec (db,
                         "PRAGMA cache_size = 1; BEGIN; CREATE TABLE t (x);"
                         "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                         "FROM n WHERE i < 500) "
                         "INSERT INTO t SELECT randomblob (1000) FROM n;",
                         NULL, NULL, NULL) == SQLITE_OK;
      /* No commit, no close: the process dies inside the transaction. */
      child_exit (fds[1], ok ? 0 : 2);
    }
  close (fds[1]);
  outcome = read_outcome (fds[0]);
  tu_reap (pid);
  if (outcome != 0)
    fail_msg ("the child could not write the database (%d)", outcome);
}

static void
test_a_store_file_a_killed_open_left_behind_reads_as_nothing_imported (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = sqlite_path (dir);
  g_autofree char *journal = g_strconcat (path, "-journal", NULL);
  g_autoptr (GHashTable) expected = legacy_table (XUL_TEST_DATA "/" PROFILE_DATA);
  g_autoptr (GBytes) legacy G_GNUC_UNUSED = install_legacy (dir, PROFILE_DATA);

  /* The states a kill in the first milliseconds of the open leaves (the random kills
   * above hit them now and then): the database file just created, empty ... */
  tu_write_file (path, "", 0);
  assert_false (assert_all_or_nothing (dir, expected, 0));
  /* ... or inside its first transaction, with a hot journal only a writer may roll
   * back. */
  assert_int_equal (g_unlink (path), 0);
  leave_a_hot_journal (path);
  assert_true (tu_file_exists (journal));
  assert_false (assert_all_or_nothing (dir, expected, 0));
  /* Either way, the next open imports the file. */
  assert_migration_completes (dir, expected, FALSE);
}

/* -- 2. each mode on the realistic profile ------------------------------------------- */

static void
test_new_only_never_reads_or_writes_the_legacy_file (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (GBytes) legacy = install_legacy (dir, PROFILE_DATA);
  FileId before = file_id (json);
  g_autoptr (XulMigrationReport) report = NULL, again = NULL;
  g_autoptr (XulStore) store =
    open_profile (dir, XUL_ROLLOUT_NEW_ONLY, SHORT_DELAY_MS, &report);
  g_autoptr (XulStore) reopened = NULL;
  g_auto (GStrv) docs = NULL;

  assert_action (report, XUL_MIGRATION_NONE);
  assert_counts (report, 0, 0, 0);
  /* Nothing of the legacy file reached the store. */
  docs = xul_store_get_documents (store, NULL);
  assert_non_null (docs);
  assert_int_equal (g_strv_length (docs), 0);
  /* Changes, a flush, a wait longer than a mirror delay and a close do not write it. */
  xs_set (store, BROWSER, "main-window", "width", "999");
  flush (store);
  g_usleep (5 * SHORT_DELAY_MS * 1000);
  xs_close (store);
  assert_file_untouched (json, legacy, &before);
  assert_int_equal (tu_count_entries_containing (dir->path, LEGACY_NAME), 1);

  /* A second open does the same. */
  reopened = open_profile (dir, XUL_ROLLOUT_NEW_ONLY, SHORT_DELAY_MS, &again);
  assert_action (again, XUL_MIGRATION_NONE);
  xs_assert_value (reopened, BROWSER, "main-window", "width", "999");
  xs_assert_value (reopened, BROWSER, "main-window", "height", NULL);
  xs_close (reopened);
  assert_file_untouched (json, legacy, &before);
}

/* The migration record: what was imported, from which file, when. */
static void
assert_import_record (XulStore   *store,
                      const char *json,
                      GBytes     *legacy,
                      const FileId *legacy_id,
                      gint64      before,
                      gint64      after)
{
  g_autofree char *record = meta_get (store, XUL_MIGRATE_META_IMPORT);
  g_autofree char *sha = sha256_of_bytes (legacy);
  g_autoptr (json_object) root = NULL;
  g_autoptr (GDateTime) mtime = NULL, at = NULL;
  json_object *field;

  assert_non_null (record);
  root = json_tokener_parse (record);
  if (root == NULL || !json_object_is_type (root, json_type_object))
    fail_msg ("the migration record is not a JSON object: %s", record);
#define FIELD(name, type)                                                              \
  do {                                                                                 \
    if (!json_object_object_get_ex (root, (name), &field) ||                           \
        !json_object_is_type (field, (type)))                                          \
      fail_msg ("the migration record has no " name " of the right type: %s", record); \
  } while (0)
  FIELD ("source", json_type_string);
  assert_string_equal (json_object_get_string (field), json);
  FIELD ("size", json_type_int);
  assert_int_equal (json_object_get_int64 (field), g_bytes_get_size (legacy));
  FIELD ("sha256", json_type_string);
  assert_string_equal (json_object_get_string (field), sha);
  FIELD ("documents", json_type_int);
  assert_int_equal (json_object_get_int64 (field), PROFILE_DOCUMENTS);
  FIELD ("ids", json_type_int);
  assert_int_equal (json_object_get_int64 (field), PROFILE_IDS);
  FIELD ("values", json_type_int);
  assert_int_equal (json_object_get_int64 (field), PROFILE_VALUES);
  /* The file's modification time, and the time of the import. */
  FIELD ("mtime", json_type_string);
  mtime = g_date_time_new_from_iso8601 (json_object_get_string (field), NULL);
  if (mtime == NULL)
    fail_msg ("the migration record's mtime is not an ISO 8601 time: %s", record);
  assert_int_equal (g_date_time_to_unix (mtime), legacy_id->mtime_s);
  FIELD ("at", json_type_string);
  at = g_date_time_new_from_iso8601 (json_object_get_string (field), NULL);
  if (at == NULL)
    fail_msg ("the migration record's time is not an ISO 8601 time: %s", record);
  assert_in_range (g_date_time_to_unix (at), before - 5, after + 5);
#undef FIELD
}

static void
test_migrate_imports_the_profile_once_records_it_and_leaves_the_file_alone (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (GBytes) legacy = install_legacy (dir, PROFILE_DATA);
  g_autoptr (GHashTable) expected = legacy_table (json);
  FileId before = file_id (json);
  gint64 started = unix_now ();
  g_autoptr (XulMigrationReport) report = NULL, again = NULL;
  g_autoptr (XulStore) store =
    open_profile (dir, XUL_ROLLOUT_MIGRATE, SHORT_DELAY_MS, &report);
  gint64 opened = unix_now ();
  g_autoptr (GHashTable) imported = store_table (store);
  g_autoptr (XulStore) reopened = NULL;
  g_autoptr (GHashTable) kept = NULL;

  assert_int_equal (g_bytes_get_size (legacy), PROFILE_SIZE);
  assert_action (report, XUL_MIGRATION_IMPORTED);
  assert_counts (report, PROFILE_DOCUMENTS, PROFILE_IDS, PROFILE_VALUES);
  assert_string_equal (xul_migration_report_get_source (report), json);
  assert_null (xul_migration_report_get_quarantine_path (report));
  assert_same_table (expected, imported, "the store after MIGRATE");
  assert_import_record (store, json, legacy, &before, started, opened);
  /* MIGRATE does not mirror: a change, a wait and a close leave the file as it was. */
  xs_set (store, BROWSER, "main-window", "width", "1");
  g_usleep (5 * SHORT_DELAY_MS * 1000);
  xs_close (store);
  assert_file_untouched (json, legacy, &before);

  /* A second open does nothing: the change made since stays. */
  reopened = open_profile (dir, XUL_ROLLOUT_MIGRATE, SHORT_DELAY_MS, &again);
  assert_action (again, XUL_MIGRATION_ALREADY_MIGRATED);
  assert_counts (again, 0, 0, 0);
  kept = store_table (reopened);
  table_set (expected, BROWSER, "main-window", "width", "1");
  assert_same_table (expected, kept, "the store after the second MIGRATE");
  xs_close (reopened);
  assert_file_untouched (json, legacy, &before);
  assert_int_equal (tu_count_entries_containing (dir->path, LEGACY_NAME), 1);
}

static void
test_dual_write_imports_the_profile_and_keeps_the_file_equal_to_the_store (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (GBytes) legacy = install_legacy (dir, PROFILE_DATA);
  g_autoptr (GHashTable) expected = legacy_table (json);
  FileId before = file_id (json);
  gint64 started = unix_now ();
  g_autoptr (XulMigrationReport) report = NULL, again = NULL;
  g_autoptr (XulStore) store =
    open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &report);
  gint64 opened = unix_now ();
  g_autoptr (GHashTable) imported = store_table (store);
  g_autoptr (XulStore) reopened = NULL;
  g_autoptr (GHashTable) kept = NULL, mirrored = NULL;

  assert_action (report, XUL_MIGRATION_IMPORTED);
  assert_counts (report, PROFILE_DOCUMENTS, PROFILE_IDS, PROFILE_VALUES);
  assert_string_equal (xul_migration_report_get_source (report), json);
  assert_same_table (expected, imported, "the store after DUAL_WRITE");
  assert_import_record (store, json, legacy, &before, started, opened);
  flush (store);
  assert_mirror_equals_store (store, json);

  /* Changes reach the file by the time close returns. */
  xs_set (store, BROWSER, "main-window", "width", "1600");
  xs_set (store, NEW_DOC, "panel", "open", "true");
  xs_remove_value (store, BROWSER, "sidebar-box", "checked");
  table_set (expected, BROWSER, "main-window", "width", "1600");
  table_set (expected, NEW_DOC, "panel", "open", "true");
  g_hash_table_remove (expected, BROWSER XS_MODEL_SEP "sidebar-box" XS_MODEL_SEP "checked");
  xs_close (store);
  mirrored = legacy_table (json);
  assert_same_table (expected, mirrored, "the legacy file after close");
  assert_int_equal (tu_file_mode (json), 0600);
  assert_int_equal (tu_count_entries_containing (dir->path, ".tmp"), 0);

  /* A second open finds its own file: nothing to import, the store as it was. */
  reopened = open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &again);
  assert_action (again, XUL_MIGRATION_ALREADY_MIGRATED);
  kept = store_table (reopened);
  assert_same_table (expected, kept, "the store after the second DUAL_WRITE");
  flush (reopened);
  assert_mirror_equals_store (reopened, json);
  xs_close (reopened);
}

static void
test_finalize_imports_the_profile_renames_the_file_and_stops_mirroring (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (GBytes) legacy = install_legacy (dir, PROFILE_DATA);
  g_autoptr (GHashTable) expected = legacy_table (json);
  FileId before = file_id (json);
  gint64 started = unix_now ();
  g_autoptr (XulMigrationReport) report = NULL, again = NULL;
  g_autoptr (XulStore) store =
    open_profile (dir, XUL_ROLLOUT_FINALIZE, SHORT_DELAY_MS, &report);
  gint64 opened = unix_now ();
  g_autofree char *migrated = find_aside (dir, "migrated", started, opened);
  g_autoptr (GBytes) moved = NULL;
  g_autofree char *record = meta_get (store, XUL_MIGRATE_META_FINALIZED);
  g_autoptr (json_object) record_root = NULL;
  g_autoptr (GHashTable) imported = store_table (store);
  g_autoptr (XulStore) reopened = NULL;
  g_autoptr (GHashTable) kept = NULL;
  json_object *renamed_to;

  assert_action (report, XUL_MIGRATION_FINALIZED);
  assert_counts (report, PROFILE_DOCUMENTS, PROFILE_IDS, PROFILE_VALUES);
  assert_string_equal (xul_migration_report_get_source (report), json);
  assert_same_table (expected, imported, "the store after FINALIZE");
  assert_import_record (store, json, legacy, &before, started, opened);
  /* Renamed, not rewritten: the same bytes, nothing else moved aside or deleted. */
  assert_false (tu_file_exists (json));
  assert_non_null (migrated);
  moved = tu_read_bytes (migrated);
  tu_assert_same_bytes (legacy, moved);
  assert_int_equal (tu_count_entries_containing (dir->path, LEGACY_NAME), 1);
  /* The record says where the file went. */
  assert_non_null (record);
  record_root = json_tokener_parse (record);
  assert_non_null (record_root);
  assert_true (json_object_object_get_ex (record_root, "renamed-to", &renamed_to));
  assert_string_equal (json_object_get_string (renamed_to), migrated);

  /* No mirror any more: changes, a wait beyond the delay, a flush, a close. */
  xs_set (store, BROWSER, "main-window", "width", "1");
  g_usleep (5 * SHORT_DELAY_MS * 1000);
  flush (store);
  xs_close (store);
  assert_false (tu_file_exists (json));
  table_set (expected, BROWSER, "main-window", "width", "1");

  /* A second open has nothing left to do, and still writes nothing. */
  reopened = open_profile (dir, XUL_ROLLOUT_FINALIZE, SHORT_DELAY_MS, &again);
  assert_action (again, XUL_MIGRATION_ALREADY_MIGRATED);
  kept = store_table (reopened);
  assert_same_table (expected, kept, "the store after the second FINALIZE");
  xs_set (reopened, BROWSER, "main-window", "width", "2");
  xs_close (reopened);
  assert_false (tu_file_exists (json));
  g_clear_pointer (&moved, g_bytes_unref);
  moved = tu_read_bytes (migrated);
  tu_assert_same_bytes (legacy, moved);
  assert_int_equal (tu_count_entries_containing (dir->path, LEGACY_NAME), 1);
}

static void
test_migrate_reports_a_missing_legacy_file_and_creates_none (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (XulMigrationReport) report = NULL, again = NULL;
  g_autoptr (XulStore) store =
    open_profile (dir, XUL_ROLLOUT_MIGRATE, SHORT_DELAY_MS, &report);
  g_autoptr (XulStore) reopened = NULL;
  g_autofree char *record = meta_get (store, XUL_MIGRATE_META_IMPORT);
  g_autoptr (GBytes) legacy = NULL;

  assert_action (report, XUL_MIGRATION_LEGACY_MISSING);
  assert_counts (report, 0, 0, 0);
  assert_null (record);
  xs_set (store, BROWSER, "main-window", "width", "1");
  xs_close (store);
  assert_false (tu_file_exists (json));

  /* Nothing was recorded: a file that appears later is imported. */
  legacy = install_legacy (dir, PROFILE_DATA);
  reopened = open_profile (dir, XUL_ROLLOUT_MIGRATE, SHORT_DELAY_MS, &again);
  assert_action (again, XUL_MIGRATION_IMPORTED);
  assert_counts (again, PROFILE_DOCUMENTS, PROFILE_IDS, PROFILE_VALUES);
  xs_assert_value (reopened, PLACES, "placesList", "width", "215");
  xs_close (reopened);
}

static void
test_dual_write_writes_a_missing_legacy_file_at_open (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (XulMigrationReport) first = NULL, report = NULL;
  g_autoptr (XulStore) store = NULL;

  /* A store with values of its own, and no legacy file. */
  store = open_profile (dir, XUL_ROLLOUT_NEW_ONLY, SHORT_DELAY_MS, &first);
  xs_set (store, BROWSER, "main-window", "width", "1280");
  xs_set (store, NEW_DOC, "panel", "open", "true");
  xs_close (store);
  g_clear_object (&store);
  assert_false (tu_file_exists (json));

  store = open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &report);
  assert_action (report, XUL_MIGRATION_LEGACY_MISSING);
  /* Written during the open, without a change, a flush or the delay. */
  assert_true (tu_file_exists (json));
  assert_mirror_equals_store (store, json);
  xs_close (store);
}

static void
test_dual_write_writes_a_deleted_legacy_file_again_at_open (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (GBytes) legacy G_GNUC_UNUSED = install_legacy (dir, PROFILE_DATA);
  g_autoptr (XulMigrationReport) first = NULL, report = NULL;
  g_autoptr (XulStore) store =
    open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &first);

  assert_action (first, XUL_MIGRATION_IMPORTED);
  xs_close (store);
  g_clear_object (&store);

  /* Someone deleted the mirror after the migration: an older version started now
   * would find nothing. The next open writes it again at once. */
  assert_int_equal (g_unlink (json), 0);
  store = open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &report);
  if (!tu_file_exists (json))
    fail_msg ("the DUAL_WRITE open did not write the missing legacy file");
  assert_action (report, XUL_MIGRATION_LEGACY_MISSING);
  assert_mirror_equals_store (store, json);
  xs_close (store);
}

/* A profile migrated with MIGRATE, then changed: the legacy file is exactly the one
 * the migration record describes. */
static GHashTable *
migrate_then_change (TuTmpdir *dir,
                     GBytes  **legacy)
{
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulStore) store = NULL;
  GHashTable *expected;

  *legacy = install_legacy (dir, PROFILE_DATA);
  store = open_profile (dir, XUL_ROLLOUT_MIGRATE, SHORT_DELAY_MS, &report);
  assert_action (report, XUL_MIGRATION_IMPORTED);
  xs_set (store, BROWSER, "main-window", "width", "1700");
  xs_set (store, NEW_DOC, "panel", "open", "true");
  xs_remove_value (store, PLACES, "placesList", "width");
  expected = store_table (store);
  xs_close (store);
  return expected;
}

static void
test_dual_write_after_migrate_keeps_the_changes_made_since_the_import (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (GBytes) legacy = NULL;
  g_autoptr (GHashTable) expected = migrate_then_change (dir, &legacy);
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulStore) store = NULL;
  g_autoptr (GHashTable) kept = NULL;

  /* The legacy file has not changed since the import (its SHA-256 is the record's):
   * no older version edited it, so it must not replace the store. */
  store = open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &report);
  assert_action (report, XUL_MIGRATION_ALREADY_MIGRATED);
  kept = store_table (store);
  assert_same_table (expected, kept,
                     "the store after switching from MIGRATE to DUAL_WRITE");
  flush (store);
  assert_mirror_equals_store (store, json);
  xs_close (store);
}

static void
test_finalize_after_migrate_keeps_the_changes_made_since_the_import (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (GBytes) legacy = NULL;
  g_autoptr (GHashTable) expected = migrate_then_change (dir, &legacy);
  gint64 started = unix_now ();
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulStore) store =
    open_profile (dir, XUL_ROLLOUT_FINALIZE, SHORT_DELAY_MS, &report);
  g_autofree char *migrated = find_aside (dir, "migrated", started, unix_now ());
  g_autoptr (GHashTable) kept = store_table (store);
  g_autoptr (GBytes) moved = NULL;

  assert_action (report, XUL_MIGRATION_FINALIZED);
  assert_same_table (expected, kept, "the store after switching from MIGRATE to FINALIZE");
  assert_non_null (migrated);
  moved = tu_read_bytes (migrated);
  tu_assert_same_bytes (legacy, moved);
  xs_close (store);
}

/* -- 3. downgrades ------------------------------------------------------------------- */

/* The newer version opens after the older one edited the file: the store becomes
 * exactly what the older version left. */
static XulStore *
open_after_old_version (TuTmpdir *dir)
{
  g_autofree char *json = legacy_path (dir);
  g_autoptr (json_object) root = json_load (json);
  guint n_documents, n_ids;
  g_autoptr (GHashTable) old_state = json_table (root, &n_documents, &n_ids);
  g_autofree char *sha = sha256_of_file (json);
  g_autoptr (XulMigrationReport) report = NULL;
  XulStore *store = open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &report);
  g_autoptr (GHashTable) taken_in = store_table (store);
  g_autofree char *recorded = meta_get (store, XUL_MIRROR_META_FINGERPRINT);

  assert_action (report, XUL_MIGRATION_RECONCILED_FROM_LEGACY);
  assert_counts (report, n_documents, n_ids, g_hash_table_size (old_state));
  assert_same_table (old_state, taken_in, "the store after the downgrade");
  /* The file is known as ours from now on. */
  assert_non_null (recorded);
  assert_string_equal (recorded, sha);
  return store;
}

static void
test_dual_write_takes_in_each_downgrade_and_loses_nothing_either_way (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (GBytes) legacy G_GNUC_UNUSED = install_legacy (dir, PROFILE_DATA);
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulStore) store =
    open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &report);
  /* One document removed by the older version in each round. */
  static const char *const removed_docs[] = { PLACES, PAGEINFO, DOWNLOADS };

  assert_action (report, XUL_MIGRATION_IMPORTED);
  xs_set (store, NEW_DOC, "panel", "open", "true");
  xs_set (store, NEW_DOC, "panel", "width", "300");
  xs_close (store);
  g_clear_object (&store);

  for (guint round = 0; round < G_N_ELEMENTS (removed_docs); round++)
    {
      g_autofree char *width = g_strdup_printf ("%u", 1600 + round);
      g_autofree char *added = g_strdup_printf ("added-%u", round);
      g_autofree char *newer = g_strdup_printf ("newer-%u", round);
      const OldEdit edits[] = {
        { OLD_SET, BROWSER, "main-window", "width", width },
        { OLD_REMOVE, round == 0 ? BROWSER : NEW_DOC, round == 0 ? "sidebar-box" : "panel",
          round == 0 ? "checked" : (round == 1 ? "width" : "open"), NULL },
        { OLD_SET, DEVTOOLS, added, "height", "123" },
        { OLD_REMOVE_DOCUMENT, removed_docs[round], NULL, NULL, NULL },
      };
      g_autoptr (GHashTable) old_sees = NULL;
      g_autoptr (GHashTable) expected = NULL;
      g_autoptr (GHashTable) after_reopen = NULL;
      g_autoptr (XulMigrationReport) again = NULL;

      /* The older version runs on the mirror the newer one left: it sees everything
       * the newer version did. */
      old_sees = legacy_table (json);
      if (round > 0)
        {
          g_autofree char *prev = g_strdup_printf ("newer-%u", round - 1);
          g_autofree char *key = xs_model_key (NEW_DOC, prev, "value");
          assert_string_equal (g_hash_table_lookup (old_sees, key),
                               "from the newer version");
        }
      old_version_edit (json, edits, G_N_ELEMENTS (edits));

      /* The newer version takes the older one's state in, whole. */
      store = open_after_old_version (dir);
      xs_assert_value (store, BROWSER, "main-window", "width", width);
      xs_assert_value (store, DEVTOOLS, added, "height", "123");
      xs_assert_strv (xul_store_get_ids (store, removed_docs[round], NULL), NONE);

      /* ... and changes something itself; the close brings the mirror up to date. */
      xs_set (store, NEW_DOC, newer, "value", "from the newer version");
      xs_remove_value (store, DEVTOOLS, added, "height");
      expected = store_table (store);
      xs_close (store);
      g_clear_object (&store);
      {
        g_autoptr (GHashTable) mirrored = legacy_table (json);
        assert_same_table (expected, mirrored, "the legacy file after the newer version");
      }

      /* Opening again without an older version in between: the file is ours. */
      store = open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &again);
      assert_action (again, XUL_MIGRATION_ALREADY_MIGRATED);
      after_reopen = store_table (store);
      assert_same_table (expected, after_reopen, "the store opened again");
      xs_close (store);
      g_clear_object (&store);
    }
}

static void
test_dual_write_takes_in_an_old_version_that_removed_everything (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (GBytes) legacy G_GNUC_UNUSED = install_legacy (dir, PROFILE_DATA);
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulStore) store =
    open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &report);
  const OldEdit clear[] = { { OLD_REMOVE_ALL, NULL, NULL, NULL, NULL } };
  g_autoptr (GBytes) written = NULL;
  g_autoptr (GHashTable) mirrored = NULL;

  xs_set (store, NEW_DOC, "panel", "open", "true");
  xs_close (store);
  g_clear_object (&store);

  old_version_edit (json, clear, G_N_ELEMENTS (clear));
  written = tu_read_bytes (json);
  assert_int_equal (g_bytes_get_size (written), 2); /* "{}" */
  store = open_after_old_version (dir);
  xs_assert_strv (xul_store_get_documents (store, NULL), NONE);
  xs_assert_value (store, NEW_DOC, "panel", "open", NULL);
  /* Mirroring goes on from the empty store, down to empty again. */
  xs_set (store, NEW_DOC, "panel", "width", "10");
  flush (store);
  assert_mirror_equals_store (store, json);
  xs_remove_value (store, NEW_DOC, "panel", "width");
  xs_close (store);
  mirrored = legacy_table (json);
  assert_int_equal (g_hash_table_size (mirrored), 0);
}

static void
test_finalize_takes_in_an_old_version_edit_before_renaming_the_file (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (GBytes) legacy G_GNUC_UNUSED = install_legacy (dir, PROFILE_DATA);
  g_autoptr (XulMigrationReport) report = NULL, final = NULL;
  g_autoptr (XulStore) store =
    open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &report);
  const OldEdit edits[] = {
    { OLD_SET, BROWSER, "main-window", "width", "1999" },
    { OLD_REMOVE_DOCUMENT, SIDEBAR, NULL, NULL, NULL },
  };
  g_autoptr (GHashTable) old_state = NULL, kept = NULL;
  g_autoptr (GBytes) edited = NULL, moved = NULL;
  g_autofree char *migrated = NULL;
  gint64 started;

  xs_set (store, NEW_DOC, "panel", "open", "true");
  xs_close (store);
  g_clear_object (&store);
  old_version_edit (json, edits, G_N_ELEMENTS (edits));
  old_state = legacy_table (json);
  edited = tu_read_bytes (json);

  started = unix_now ();
  store = open_profile (dir, XUL_ROLLOUT_FINALIZE, SHORT_DELAY_MS, &final);
  migrated = find_aside (dir, "migrated", started, unix_now ());
  assert_action (final, XUL_MIGRATION_FINALIZED);
  kept = store_table (store);
  assert_same_table (old_state, kept, "the store after FINALIZE");
  xs_assert_value (store, NEW_DOC, "panel", "open", "true");
  assert_false (tu_file_exists (json));
  assert_non_null (migrated);
  moved = tu_read_bytes (migrated);
  tu_assert_same_bytes (edited, moved);
  xs_close (store);
}

/* -- 4. the mirror's timing ---------------------------------------------------------- */

static void
test_the_mirror_coalesces_a_burst_and_catches_up_without_a_flush (void **state)
{
  const guint delay_ms = 200;
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (GBytes) legacy G_GNUC_UNUSED = install_legacy (dir, PROFILE_DATA);
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulStore) store =
    open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, delay_ms, &report);
  FileId last = file_id (json);
  guint n_writes = 0, allowed;
  gint64 start, burst_us, deadline;
  gboolean caught_up = FALSE;

  assert_action (report, XUL_MIGRATION_IMPORTED);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *value = g_strdup_printf ("%u", i);
      FileId now;

      xs_set (store, BROWSER, "main-window", "width", value);
      /* A rewrite is a rename: a new inode and time. Seen after every call, so a
       * write per change would be counted. */
      if (file_id_get (json, &now) && !file_id_equal (&now, &last))
        n_writes++, last = now;
    }
  burst_us = g_get_monotonic_time () - start;

  /* No flush: the file catches up on its own, a delay after the burst. */
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!caught_up && g_get_monotonic_time () < deadline)
    {
      g_autofree char *width = json_file_lookup (json, BROWSER, "main-window", "width");
      FileId now;

      if (file_id_get (json, &now) && !file_id_equal (&now, &last))
        n_writes++, last = now;
      caught_up = g_strcmp0 (width, "99") == 0;
      if (!caught_up)
        g_usleep (5000);
    }
  if (!caught_up)
    fail_msg ("5 s after the last change, the legacy file does not hold it");

  /* One write per delay the burst lasted, and one after it, at most. */
  allowed = (guint) (burst_us / (delay_ms * 1000)) + 2;
  printf ("# 100 changes in %" G_GINT64_FORMAT " ms, %u rewrites seen (at most %u "
          "allowed)\n", burst_us / 1000, n_writes, allowed);
  assert_in_range (n_writes, 1, allowed);
  flush (store);
  assert_mirror_equals_store (store, json);
  xs_close (store);
}

static void
test_flush_and_close_return_only_once_the_mirror_equals_the_store (void **state)
{
  guint n_rounds = MAX (tu_config_uint ("XUL_PROFILE_RACE_ROUNDS", 40, 6), 1);
  guint32 seed = config_seed ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (GBytes) legacy G_GNUC_UNUSED = install_legacy (dir, PROFILE_DATA);
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulStore) store =
    open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, SHORT_DELAY_MS, &report);

  /* The flush or the close lands before, during or after the mirror thread's own
   * write: in every case the file must be complete when it returns. */
  for (guint round = 0; round < n_rounds; round++)
    {
      g_autofree char *value = g_strdup_printf ("flush-%u", round);
      g_autoptr (GHashTable) expected = NULL, mirrored = NULL;

      xs_set (store, BROWSER, "main-window", "width", value);
      expected = store_table (store);
      g_usleep ((gulong) g_rand_int_range (rand, 0, 2 * SHORT_DELAY_MS * 1000));
      flush (store);
      mirrored = legacy_table (json);
      assert_same_table (expected, mirrored, "the legacy file after the flush");
    }
  xs_close (store);
  g_clear_object (&store);

  for (guint round = 0; round < n_rounds; round++)
    {
      g_autofree char *value = g_strdup_printf ("close-%u", round);
      g_autoptr (GHashTable) expected = NULL, mirrored = NULL;
      g_autoptr (XulMigrationReport) again = NULL;

      store = open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, SHORT_DELAY_MS, &again);
      assert_action (again, XUL_MIGRATION_ALREADY_MIGRATED);
      xs_set (store, BROWSER, "main-window", "width", value);
      expected = store_table (store);
      g_usleep ((gulong) g_rand_int_range (rand, 0, 2 * SHORT_DELAY_MS * 1000));
      xs_close (store);
      g_clear_object (&store);
      mirrored = legacy_table (json);
      assert_same_table (expected, mirrored, "the legacy file after the close");
    }
}

/* -- 5. unparseable legacy files, and NEW_ONLY --------------------------------------- */

static const char *const broken_files[] = {
  "broken/truncated.json",
  "broken/syntax-missing-colon.json",
  "broken/trailing-garbage.json",
  "broken/invalid-utf8.json",
  "broken/binary-garbage.json",
  "broken/not-an-object.json",
  "broken/deep-nesting.json",
  "broken/nan.json",
};

static void
test_migrate_leaves_an_unparseable_legacy_file_where_it_is (void **state)
{
  for (guint f = 0; f < G_N_ELEMENTS (broken_files); f++)
    {
      g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
      g_autofree char *json = legacy_path (dir);
      g_autoptr (GBytes) broken = install_legacy (dir, broken_files[f]);
      FileId before = file_id (json);
      g_autoptr (XulMigrationReport) report = NULL, again = NULL;
      g_autoptr (XulStore) store =
        open_profile (dir, XUL_ROLLOUT_MIGRATE, SHORT_DELAY_MS, &report);
      g_autofree char *record = meta_get (store, XUL_MIGRATE_META_IMPORT);
      g_autoptr (GBytes) good = NULL;
      XulMigrationAction action;

      printf ("# %s\n", broken_files[f]);
      /* The store opens, empty; the report says why; nothing was recorded. */
      action = xul_migration_report_get_action (report);
      assert_int_not_equal (action, XUL_MIGRATION_IMPORTED);
      assert_int_not_equal (action, XUL_MIGRATION_LEGACY_QUARANTINED);
      assert_non_null (xul_migration_report_get_problem (report));
      assert_null (xul_migration_report_get_quarantine_path (report));
      assert_null (record);
      xs_assert_strv (xul_store_get_documents (store, NULL), NONE);
      xs_set (store, NEW_DOC, "panel", "open", "true");
      xs_close (store);
      g_clear_object (&store);
      /* An older version may still read it: not moved, not rewritten. */
      assert_file_untouched (json, broken, &before);
      assert_int_equal (tu_count_entries_containing (dir->path, LEGACY_NAME), 1);

      /* Repaired by hand, it is imported by the next open. */
      g_clear_pointer (&broken, g_bytes_unref);
      good = install_legacy (dir, PROFILE_DATA);
      store = open_profile (dir, XUL_ROLLOUT_MIGRATE, SHORT_DELAY_MS, &again);
      assert_action (again, XUL_MIGRATION_IMPORTED);
      xs_assert_value (store, NEW_DOC, "panel", "open", "true");
      xs_assert_value (store, PLACES, "placesList", "width", "215");
      xs_close (store);
    }
}

static void
test_new_only_leaves_an_unparseable_legacy_file_where_it_is (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (GBytes) broken = install_legacy (dir, "broken/truncated.json");
  FileId before = file_id (json);
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulStore) store =
    open_profile (dir, XUL_ROLLOUT_NEW_ONLY, SHORT_DELAY_MS, &report);

  assert_action (report, XUL_MIGRATION_NONE);
  assert_null (xul_migration_report_get_quarantine_path (report));
  xs_set (store, NEW_DOC, "panel", "open", "true");
  flush (store);
  xs_close (store);
  assert_file_untouched (json, broken, &before);
  assert_int_equal (tu_count_entries_containing (dir->path, LEGACY_NAME), 1);
}

/* A profile in DUAL_WRITE whose legacy file was then damaged (a torn write, a bad
 * disk): returns the store's content. */
static GHashTable *
dual_write_then_damage (TuTmpdir   *dir,
                        const char *broken_name,
                        GBytes    **broken)
{
  g_autoptr (GBytes) legacy G_GNUC_UNUSED = install_legacy (dir, PROFILE_DATA);
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulStore) store =
    open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &report);
  GHashTable *expected;

  assert_action (report, XUL_MIGRATION_IMPORTED);
  xs_set (store, NEW_DOC, "panel", "open", "true");
  xs_set (store, BROWSER, "main-window", "width", "1444");
  expected = store_table (store);
  xs_close (store);
  *broken = install_legacy (dir, broken_name);
  return expected;
}

static void
test_dual_write_quarantines_an_unparseable_legacy_file_then_mirrors_afresh (void **state)
{
  for (guint f = 0; f < G_N_ELEMENTS (broken_files); f++)
    {
      g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
      g_autofree char *json = legacy_path (dir);
      g_autoptr (GBytes) broken = NULL;
      g_autoptr (GHashTable) expected =
        dual_write_then_damage (dir, broken_files[f], &broken);
      gint64 started = unix_now ();
      g_autoptr (XulMigrationReport) report = NULL;
      g_autoptr (XulStore) store =
        open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &report);
      g_autofree char *aside = find_aside (dir, "corrupt", started, unix_now ());
      g_autoptr (GHashTable) kept = store_table (store);
      g_autoptr (GBytes) moved = NULL;

      printf ("# %s\n", broken_files[f]);
      assert_action (report, XUL_MIGRATION_LEGACY_QUARANTINED);
      assert_non_null (aside);
      assert_non_null (xul_migration_report_get_quarantine_path (report));
      assert_string_equal (xul_migration_report_get_quarantine_path (report), aside);
      assert_non_null (xul_migration_report_get_problem (report));
      /* Moved before anything wrote the path: every byte is there. */
      moved = tu_read_bytes (aside);
      tu_assert_same_bytes (broken, moved);
      /* The application opens with what the store held. */
      assert_same_table (expected, kept, "the store after the quarantine");
      /* A fresh mirror is written during the open. */
      assert_true (tu_file_exists (json));
      assert_mirror_equals_store (store, json);
      /* Mirroring goes on from there. */
      xs_set (store, NEW_DOC, "panel", "open", "false");
      table_set (expected, NEW_DOC, "panel", "open", "false");
      xs_close (store);
      {
        g_autoptr (GHashTable) mirrored = legacy_table (json);
        assert_same_table (expected, mirrored, "the legacy file after the close");
      }
    }
}

static void
test_finalize_quarantines_an_unparseable_legacy_file_and_writes_none (void **state)
{
  for (guint f = 0; f < G_N_ELEMENTS (broken_files); f += 3)
    {
      g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
      g_autofree char *json = legacy_path (dir);
      g_autoptr (GBytes) broken = NULL;
      g_autoptr (GHashTable) expected =
        dual_write_then_damage (dir, broken_files[f], &broken);
      gint64 started = unix_now ();
      g_autoptr (XulMigrationReport) report = NULL;
      g_autoptr (XulStore) store =
        open_profile (dir, XUL_ROLLOUT_FINALIZE, SHORT_DELAY_MS, &report);
      g_autofree char *aside = find_aside (dir, "corrupt", started, unix_now ());
      g_autofree char *migrated = find_aside (dir, "migrated", started, unix_now ());
      g_autoptr (GHashTable) kept = store_table (store);
      g_autoptr (GBytes) moved = NULL;

      printf ("# %s\n", broken_files[f]);
      assert_action (report, XUL_MIGRATION_LEGACY_QUARANTINED);
      assert_non_null (aside);
      assert_string_equal (xul_migration_report_get_quarantine_path (report), aside);
      moved = tu_read_bytes (aside);
      tu_assert_same_bytes (broken, moved);
      assert_null (migrated);
      assert_same_table (expected, kept, "the store after the quarantine");
      /* FINALIZE does not mirror: no new legacy file, now or after changes. */
      assert_false (tu_file_exists (json));
      xs_set (store, NEW_DOC, "panel", "open", "false");
      g_usleep (5 * SHORT_DELAY_MS * 1000);
      xs_close (store);
      assert_false (tu_file_exists (json));
    }
}

/* -- 6. a crash in the middle of a mirror write -------------------------------------- */

/* A profile in DUAL_WRITE whose mirror is up to date and recorded; returns the store
 * opened without a mirror, as the crashed process had it. */
static XulStore *
mirrored_profile (TuTmpdir *dir)
{
  g_autofree char *path = sqlite_path (dir);
  g_autoptr (GBytes) legacy G_GNUC_UNUSED = install_legacy (dir, PROFILE_DATA);
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulStore) store =
    open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &report);

  assert_action (report, XUL_MIGRATION_IMPORTED);
  xs_set (store, NEW_DOC, "panel", "open", "true");
  xs_close (store);
  return xs_open_path (path, XUL_STORE_FLAGS_NONE);
}

/* What the mirror does before its rename: the snapshot of the store, and its
 * fingerprint recorded durably as pending. */
static GBytes *
mirror_snapshot_with_pending (XulStore *store)
{
  g_autoptr (GError) error = NULL;
  GBytes *snapshot = xul_store_export_legacy_bytes (store, XUL_EXPORT_COMPACT, &error);
  g_autofree char *sha = NULL;

  tu_assert_no_error (error);
  assert_non_null (snapshot);
  sha = sha256_of_bytes (snapshot);
  meta_set (store, XUL_MIRROR_META_PENDING, sha);
  assert_true (xul_kv_db_sync (xul_store_get_db (store), &error));
  tu_assert_no_error (error);
  return snapshot;
}

/* The next DUAL_WRITE open after the crash: the file is ours, the store keeps what was
 * committed after the snapshot, and the mirror catches up. */
static void
assert_recovers_from_the_crash (TuTmpdir   *dir,
                                GHashTable *expected)
{
  g_autofree char *json = legacy_path (dir);
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulStore) store =
    open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &report);
  g_autoptr (GHashTable) kept = store_table (store);
  g_autofree char *pending = NULL;

  assert_action (report, XUL_MIGRATION_ALREADY_MIGRATED);
  assert_same_table (expected, kept, "the store after the crash");
  flush (store);
  assert_mirror_equals_store (store, json);
  /* The write that completed replaced the pending record. */
  pending = meta_get (store, XUL_MIRROR_META_PENDING);
  assert_null (pending);
  xs_close (store);
}

static void
test_a_crash_after_the_mirror_rename_is_not_taken_for_an_old_version (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (XulStore) store = mirrored_profile (dir);
  g_autoptr (GBytes) snapshot = NULL;
  g_autoptr (GHashTable) expected = NULL;
  g_autofree char *recorded = NULL, *sha = NULL;

  xs_set (store, BROWSER, "main-window", "width", "in the snapshot");
  snapshot = mirror_snapshot_with_pending (store);
  /* The new file renamed into place; the crash came before the final record. */
  write_bytes (json, snapshot);
  recorded = meta_get (store, XUL_MIRROR_META_FINGERPRINT);
  sha = sha256_of_bytes (snapshot);
  assert_string_not_equal (recorded, sha);
  /* Committed after the snapshot, so only in the store. */
  xs_set (store, BROWSER, "main-window", "height", "after the snapshot");
  xs_remove_value (store, NEW_DOC, "panel", "open");
  expected = store_table (store);
  xs_close (store);

  assert_recovers_from_the_crash (dir, expected);
}

static void
test_a_crash_before_the_mirror_rename_is_not_taken_for_an_old_version (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (XulStore) store = mirrored_profile (dir);
  g_autoptr (GBytes) before = tu_read_bytes (json);
  g_autoptr (GBytes) snapshot = NULL;
  g_autoptr (GHashTable) expected = NULL;

  xs_set (store, BROWSER, "main-window", "width", "in the snapshot");
  /* Pending recorded, then the crash: the rename never happened. */
  snapshot = mirror_snapshot_with_pending (store);
  xs_set (store, BROWSER, "main-window", "height", "after the snapshot");
  xs_remove_value (store, NEW_DOC, "panel", "open");
  expected = store_table (store);
  xs_close (store);
  {
    g_autoptr (GBytes) still = tu_read_bytes (json);
    tu_assert_same_bytes (before, still);
  }

  assert_recovers_from_the_crash (dir, expected);
}

/* The open after a crash between the mirror's rename and its final record finds the
 * file by its pending fingerprint, and records it as the mirror's: a second crash,
 * before the next mirror write's rename, must not leave a file that matches neither. */
static void
test_a_file_found_by_its_pending_fingerprint_is_recorded_as_the_mirrors (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (XulStore) store = mirrored_profile (dir);
  g_autoptr (GBytes) snapshot = NULL;
  g_autoptr (XulMigrationReport) report = NULL;
  g_autofree char *sha = NULL, *recorded = NULL, *pending = NULL;

  xs_set (store, BROWSER, "main-window", "width", "in the snapshot");
  snapshot = mirror_snapshot_with_pending (store);
  write_bytes (json, snapshot);
  xs_close (store);
  g_clear_object (&store);
  sha = sha256_of_bytes (snapshot);

  /* FINALIZE recognises the file as DUAL_WRITE does (nothing is taken in from it), and
   * writes no mirror after, which would replace the records. */
  store = open_profile (dir, XUL_ROLLOUT_FINALIZE, LONG_DELAY_MS, &report);
  assert_action (report, XUL_MIGRATION_FINALIZED);
  assert_counts (report, 0, 0, 0);
  recorded = meta_get (store, XUL_MIRROR_META_FINGERPRINT);
  assert_string_equal (recorded, sha);
  pending = meta_get (store, XUL_MIRROR_META_PENDING);
  assert_null (pending);
  xs_close (store);
}

/* A mirror write cut short by a crash leaves "xulstore.json.tmp-XXXXXX"; opening the
 * profile removes the old ones. */
static void
test_opening_a_profile_removes_old_leftover_mirror_files (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autofree char *old = g_strconcat (json, ".tmp-A1b2C3", NULL);
  g_autofree char *young = g_strconcat (json, ".tmp-D4e5F6", NULL);
  g_autofree char *not_ours = g_strconcat (json, ".tmp-short", NULL);
  g_autoptr (GBytes) legacy G_GNUC_UNUSED = install_legacy (dir, PROFILE_DATA);
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulStore) store = NULL;

  tu_write_aged_file (old, 3600);
  tu_write_aged_file (young, 10);
  tu_write_aged_file (not_ours, 3600);
  store = open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &report);
  assert_false (tu_file_exists (old));
  assert_true (tu_file_exists (young));
  assert_true (tu_file_exists (not_ours));
  xs_close (store);
}

/* -- 7. a store disposed without close ----------------------------------------------- */

static void
test_disposing_a_dual_write_store_without_close_brings_the_mirror_up_to_date (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *json = legacy_path (dir);
  g_autoptr (GBytes) legacy G_GNUC_UNUSED = install_legacy (dir, PROFILE_DATA);
  g_autoptr (XulMigrationReport) report = NULL, again = NULL;
  /* A delay no test waits for: only the disposal can write the change. */
  XulStore *store = open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &report);
  g_autoptr (GHashTable) expected = NULL, mirrored = NULL, kept = NULL;
  g_autoptr (XulStore) reopened = NULL;

  assert_action (report, XUL_MIGRATION_IMPORTED);
  xs_set (store, BROWSER, "main-window", "width", "disposed");
  xs_set (store, NEW_DOC, "panel", "open", "true");
  expected = store_table (store);
  g_object_unref (store);

  mirrored = legacy_table (json);
  assert_same_table (expected, mirrored, "the legacy file after the disposal");
  /* And the write was recorded as ours. */
  reopened = open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &again);
  assert_action (again, XUL_MIGRATION_ALREADY_MIGRATED);
  kept = store_table (reopened);
  assert_same_table (expected, kept, "the store after the disposal");
  xs_close (reopened);
}

/* In the child: open, change, wait about a mirror delay, drop the only reference; the
 * store must be gone and the file must hold the change. 2: open, 3: change, 4: the
 * file lacks the change, 5: the same, and the store outlived the caller's reference. */
static guint8
dispose_races_in_child (const char *dir,
                        guint       n_rounds,
                        guint32     seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autofree char *json = g_build_filename (dir, LEGACY_NAME, NULL);

  for (guint round = 0; round < n_rounds; round++)
    {
      g_autoptr (XulProfile) profile = xul_profile_new (dir, XUL_ROLLOUT_DUAL_WRITE);
      g_autofree char *value = g_strdup_printf ("dispose-%u", round);
      g_autofree char *found = NULL;
      XulStore *store;
      gpointer alive;

      g_object_set (profile, "mirror-delay", (guint) SHORT_DELAY_MS, NULL);
      store = xul_profile_open (profile, NULL, NULL);
      if (store == NULL)
        return 2;
      if (!xul_store_set_value (store, BROWSER, "main-window", "width", value, NULL))
        return 3;
      /* Around the delay: the mirror thread may be writing when the reference goes. */
      g_usleep ((gulong) g_rand_int_range (rand, SHORT_DELAY_MS * 500,
                                           SHORT_DELAY_MS * 2000));
      alive = store;
      g_object_add_weak_pointer (G_OBJECT (store), &alive);
      g_object_unref (store);
      found = json_file_lookup (json, BROWSER, "main-window", "width");
      if (g_strcmp0 (found, value) != 0)
        return alive != NULL ? 5 : 4;
      if (alive != NULL)
        g_object_remove_weak_pointer (G_OBJECT (alive), &alive);
    }
  return 0;
}

static void
test_disposing_a_dual_write_store_while_its_mirror_writes_loses_nothing (void **state)
{
  guint n_rounds = MAX (tu_config_uint ("XUL_PROFILE_RACE_ROUNDS", 40, 6), 1);
  guint32 seed = config_seed ();
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (GBytes) legacy G_GNUC_UNUSED = install_legacy (dir, PROFILE_DATA);
  g_autofree char *last = g_strdup_printf ("dispose-%u", n_rounds - 1);
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulStore) store = NULL;
  int fds[2], outcome, status;
  pid_t pid;

  /* In a child: a disposal on the mirror thread, if it comes to that, may crash. */
  tu_make_pipe (fds);
  pid = tu_fork_child (CHILD_ALARM_S);
  if (pid == 0)
    {
      close (fds[0]);
      child_exit (fds[1], dispose_races_in_child (dir->path, n_rounds, seed));
    }
  close (fds[1]);
  outcome = read_outcome (fds[0]);
  status = tu_reap (pid);
  if (outcome < 0)
    fail_msg ("the child died %s %d before it finished (seed %u)",
              WIFSIGNALED (status) ? "from signal" : "with status",
              WIFSIGNALED (status) ? WTERMSIG (status) : (int) status, seed);
  if (outcome != 0)
    fail_msg ("the child failed with %d (seed %u; 2 open, 3 change, 4 the legacy file "
              "lacks the change after the disposal, 5 the same and the store outlived the "
              "caller's last reference)", outcome, seed);

  store = open_profile (dir, XUL_ROLLOUT_DUAL_WRITE, LONG_DELAY_MS, &report);
  assert_action (report, XUL_MIGRATION_ALREADY_MIGRATED);
  xs_assert_value (store, BROWSER, "main-window", "width", last);
  flush (store);
  {
    g_autofree char *mirror = legacy_path (dir);
    assert_mirror_equals_store (store, mirror);
  }
  xs_close (store);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    /* The tests that fork come first, before any thread pool exists. */
    cmocka_unit_test (test_a_killed_migrate_open_leaves_none_or_all_of_the_import),
    cmocka_unit_test (
      test_a_store_file_a_killed_open_left_behind_reads_as_nothing_imported),
    cmocka_unit_test (
      test_disposing_a_dual_write_store_while_its_mirror_writes_loses_nothing),
    cmocka_unit_test (test_new_only_never_reads_or_writes_the_legacy_file),
    cmocka_unit_test (
      test_migrate_imports_the_profile_once_records_it_and_leaves_the_file_alone),
    cmocka_unit_test (
      test_dual_write_imports_the_profile_and_keeps_the_file_equal_to_the_store),
    cmocka_unit_test (
      test_finalize_imports_the_profile_renames_the_file_and_stops_mirroring),
    cmocka_unit_test (test_migrate_reports_a_missing_legacy_file_and_creates_none),
    cmocka_unit_test (test_dual_write_writes_a_missing_legacy_file_at_open),
    cmocka_unit_test (test_dual_write_writes_a_deleted_legacy_file_again_at_open),
    cmocka_unit_test (
      test_dual_write_after_migrate_keeps_the_changes_made_since_the_import),
    cmocka_unit_test (test_finalize_after_migrate_keeps_the_changes_made_since_the_import),
    cmocka_unit_test (test_dual_write_takes_in_each_downgrade_and_loses_nothing_either_way),
    cmocka_unit_test (test_dual_write_takes_in_an_old_version_that_removed_everything),
    cmocka_unit_test (test_finalize_takes_in_an_old_version_edit_before_renaming_the_file),
    cmocka_unit_test (test_the_mirror_coalesces_a_burst_and_catches_up_without_a_flush),
    cmocka_unit_test (test_flush_and_close_return_only_once_the_mirror_equals_the_store),
    cmocka_unit_test (test_migrate_leaves_an_unparseable_legacy_file_where_it_is),
    cmocka_unit_test (test_new_only_leaves_an_unparseable_legacy_file_where_it_is),
    cmocka_unit_test (
      test_dual_write_quarantines_an_unparseable_legacy_file_then_mirrors_afresh),
    cmocka_unit_test (test_finalize_quarantines_an_unparseable_legacy_file_and_writes_none),
    cmocka_unit_test (test_a_crash_after_the_mirror_rename_is_not_taken_for_an_old_version),
    cmocka_unit_test (test_a_file_found_by_its_pending_fingerprint_is_recorded_as_the_mirrors),
    cmocka_unit_test (test_opening_a_profile_removes_old_leftover_mirror_files),
    cmocka_unit_test (
      test_a_crash_before_the_mirror_rename_is_not_taken_for_an_old_version),
    cmocka_unit_test (
      test_disposing_a_dual_write_store_without_close_brings_the_mirror_up_to_date),
  };

  return tu_run ("profile", tests);
}
