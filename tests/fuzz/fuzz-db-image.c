/* fuzz-db-image.c: kvcore and XulStore opening a hostile database file.
 *
 * The input is a database image: the whole input is the database file, unless it holds
 * the markers below, which cut it into the database, its -wal file and its .bak
 * backup (used by recovery):
 *
 *   <db bytes> "\n--xulstore-fuzz:wal--\n" <-wal bytes> "\n--xulstore-fuzz:bak--\n" <.bak>
 *
 * (in any order; a later part of the same kind replaces an earlier one). The files are
 * written to a fresh directory and opened four ways, each from the same bytes:
 * 1. xul_kv_db_open (READ_ONLY | NO_RECOVERY), then everything is read: stores (their
 *    number compared with what SQLite itself counts), every record of every store
 *    (iterations, point reads, counts), meta records, an integrity check. The files must
 *    be left exactly as they were.
 * 2. xul_store_new (READ_ONLY): every document, id, attribute and value, which must be
 *    NUL-free UTF-8, and listed only when they hold something; the legacy export, which
 *    must be JSON. Files unchanged.
 * 3. xul_kv_db_open with recovery, which must either open (a recovery keeping the
 *    damaged file at its quarantine path) or refuse with a documented code other than
 *    CORRUPT or FAILED; reads as in 1, then writes (meta record, a store, puts, a batch,
 *    maintenance); an operation that reports corruption is answered with
 *    xul_kv_db_recover(), as documented, and it all runs again.
 * 4. xul_store_new writable (same rule for its failure): reads as in 2, then a set, the
 *    removal of a value read from the file (which must then be gone) and of its
 *    document, a flush.
 * Nothing may crash, hang, leak, or log a critical; every failure must be a GError of
 * the library's domain for that call, with a code of its enumeration and a UTF-8
 * message. The checks that are promises of the API rather than safety are contracts
 * (fuzz_contract): XULSTORE_FUZZ_LAX=1 relaxes them. Work per input is bounded: inputs
 * over 1 MiB are ignored, and reads stop after a fixed number of records. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fuzz-common.h"
#include "kv-private.h"
#include "xul-legacy-private.h"

#define FUZZ_MAX_INPUT (1024 * 1024)
#define MAX_RECORDS 2048
#define MAX_NAMES 256

static const char wal_marker[] = "\n--xulstore-fuzz:wal--\n";
static const char bak_marker[] = "\n--xulstore-fuzz:bak--\n";

enum { PART_DB, PART_WAL, PART_BAK, N_PARTS };

typedef struct {
  const guint8 *data;
  gsize len;
  gboolean present;
} Part;

typedef struct {
  Part parts[N_PARTS];
  char *dir;
  char *paths[N_PARTS];
} Image;

static const char *const part_suffixes[N_PARTS] = { "", "-wal", ".bak" };

static void
split_image (const guint8 *data,
             gsize         size,
             Image        *image)
{
  const guint8 *start = data, *end = data + size;
  int current = PART_DB;

  for (;;)
    {
      const guint8 *wal = memmem (start, end - start, wal_marker, strlen (wal_marker));
      const guint8 *bak = memmem (start, end - start, bak_marker, strlen (bak_marker));
      const guint8 *next = wal == NULL ? bak : bak == NULL ? wal : MIN (wal, bak);
      Part *part = &image->parts[current];

      part->data = start;
      part->len = (gsize) ((next != NULL ? next : end) - start);
      part->present = TRUE;
      if (next == NULL)
        return;
      current = next == wal ? PART_WAL : PART_BAK;
      start = next + strlen (next == wal ? wal_marker : bak_marker);
    }
}

/* Writes the image's files into its directory, which holds nothing else after. */
static void
write_image (Image *image)
{
  fuzz_clear_dir (image->dir);
  for (int i = 0; i < N_PARTS; i++)
    if (image->parts[i].present)
      fuzz_write_file (image->paths[i], image->parts[i].data, image->parts[i].len);
}

/* A read-only open must leave every file as it was (SQLite may add a -shm). */
static void
check_unchanged (Image      *image,
                 const char *what)
{
  for (int i = 0; i < N_PARTS; i++)
    {
      g_autoptr (GBytes) now = fuzz_read_file (image->paths[i]);
      g_autoptr (GBytes) before =
        image->parts[i].present ? g_bytes_new_static (image->parts[i].data, image->parts[i].len)
                                : NULL;

      if (before == NULL)
        {
          /* A read-only open may leave an empty -wal behind, nothing else. */
          fuzz_check (now == NULL || (i == PART_WAL && g_bytes_get_size (now) == 0),
                      "%s created %s", what, image->paths[i]);
          continue;
        }
      fuzz_check (now != NULL, "%s removed or moved %s", what, image->paths[i]);
      fuzz_check (g_bytes_equal (now, before), "%s changed %s", what, image->paths[i]);
    }
}

static void
check_kv_error (const GError *error,
                const char   *what)
{
  fuzz_check_error (error, XUL_KV_ERROR, what);
}

static void
check_store_error (const GError *error,
                   const char   *what)
{
  fuzz_check_error (error, XUL_STORE_ERROR, what);
}

/* Notes whether an operation reported corruption, which calls for recovery. */
static void
note_kv_error (GError  **error,
               gboolean *corrupt,
               const char *what)
{
  check_kv_error (*error, what);
  if (g_error_matches (*error, XUL_KV_ERROR, XUL_KV_ERROR_CORRUPT))
    *corrupt = TRUE;
  g_clear_error (error);
}

/* Reads every byte, so that AddressSanitizer checks the length that came with them. */
static void
touch (const guint8 *data,
       gsize         len)
{
  guint8 sum = 0;

  for (gsize i = 0; i < len; i++)
    sum ^= data[i];
  fuzz_sink ^= sum;
}

/* Iterates @iter to its end (or the record budget); point reads on some records. */
static void
read_iteration (XulKvStore *store,
                XulKvIter  *iter,
                guint      *budget,
                gboolean   *corrupt,
                GBytes    **first_key)
{
  GError *error = NULL;
  guint n = 0;

  while (*budget > 0 && xul_kv_iter_next (iter, &error))
    {
      gsize key_len, value_len;
      const guint8 *key = xul_kv_iter_get_key (iter, &key_len);
      const guint8 *value = xul_kv_iter_get_value (iter, &value_len);

      (*budget)--;
      fuzz_check (value != NULL, "xul_kv_iter_get_value returned NULL");
      fuzz_check (key != NULL || key_len == 0, "xul_kv_iter_get_key: NULL with a length");
      touch (key, key_len);
      touch (value, value_len);
      if (first_key != NULL && *first_key == NULL && key_len > 0)
        *first_key = g_bytes_new (key, key_len);
      if (n++ % 16 == 0 && key_len > 0)
        {
          g_autoptr (GBytes) got = xul_kv_store_get (store, key, key_len, &error);
          if (got == NULL)
            note_kv_error (&error, corrupt, "xul_kv_store_get");
          if (!xul_kv_store_has (store, key, key_len, &error) && error != NULL)
            note_kv_error (&error, corrupt, "xul_kv_store_has");
        }
    }
  if (error != NULL)
    note_kv_error (&error, corrupt, "xul_kv_iter_next");
}

static void
read_kv_store (XulKvDb    *db,
               const char *name,
               guint      *budget,
               gboolean   *corrupt)
{
  g_autoptr (XulKvStore) store = NULL;
  g_autoptr (GBytes) first_key = NULL;
  GError *error = NULL;
  guint64 count = 0;

  store = xul_kv_db_open_store (db, name, XUL_KV_STORE_NONE, &error);
  if (store == NULL)
    {
      note_kv_error (&error, corrupt, "xul_kv_db_open_store");
      return;
    }
  fuzz_check (g_str_equal (xul_kv_store_get_name (store), name), "store name changed");
  if (!xul_kv_store_count (store, &count, &error))
    note_kv_error (&error, corrupt, "xul_kv_store_count");

  {
    g_autoptr (XulKvIter) iter = xul_kv_store_iter_prefix (store, NULL, 0, &error);
    if (iter == NULL)
      note_kv_error (&error, corrupt, "xul_kv_store_iter_prefix");
    else
      read_iteration (store, iter, budget, corrupt, &first_key);
  }
  if (first_key != NULL)
    {
      /* A prefix (the first byte of the first key) and a range from the first key. */
      gsize len;
      const guint8 *key = g_bytes_get_data (first_key, &len);
      g_autoptr (XulKvIter) prefix = xul_kv_store_iter_prefix (store, key, 1, &error);
      if (prefix == NULL)
        note_kv_error (&error, corrupt, "xul_kv_store_iter_prefix");
      else
        read_iteration (store, prefix, budget, corrupt, NULL);
      {
        g_autoptr (XulKvIter) range = xul_kv_store_iter_range (store, first_key, NULL, &error);
        if (range == NULL)
          note_kv_error (&error, corrupt, "xul_kv_store_iter_range");
        else
          read_iteration (store, range, budget, corrupt, NULL);
      }
      (void) len;
    }
}

/* The number of rows of the stores table, read with SQLite directly (read-only), or -1
 * when that cannot be read. */
static gint64
count_store_rows (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 rows = -1;
  GStatBuf st;

  /* SQLite itself deletes a -wal beside an empty database file, even read-only: this
   * check must not do what it checks the library does not do. */
  if (g_stat (path, &st) == 0 && st.st_size == 0)
    return 0;
  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2 (db, "SELECT count(*) FROM stores", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    rows = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return rows;
}

static const char *const meta_keys[] = {
  "kvcore.created-at", "kvcore.library-version", "kvcore.last-recovery",
  "migrate.legacy-import", "migrate.mirror-sha256", "fuzz.meta",
};

/* Reads everything a XulKvDb offers. */
static void
read_kv_db (XulKvDb  *db,
            gboolean *corrupt)
{
  g_auto (GStrv) stores = NULL;
  GError *error = NULL;
  guint budget = MAX_RECORDS;

  (void) xul_kv_db_get_schema_version (db);
  stores = xul_kv_db_list_stores (db, &error);
  if (stores == NULL)
    note_kv_error (&error, corrupt, "xul_kv_db_list_stores");
  else
    {
      gint64 rows = count_store_rows (xul_kv_db_get_path (db));
      fuzz_contract (rows < 0 || (gint64) g_strv_length (stores) == rows,
                     "xul_kv_db_list_stores lists %u stores; the file has %" G_GINT64_FORMAT,
                     g_strv_length (stores), rows);
    }
  for (guint i = 0; stores != NULL && stores[i] != NULL && i < MAX_NAMES; i++)
    read_kv_store (db, stores[i], &budget, corrupt);
  /* The XulStore one even when it is not listed. */
  read_kv_store (db, "xulstore", &budget, corrupt);

  for (gsize i = 0; i < G_N_ELEMENTS (meta_keys); i++)
    {
      g_autofree char *value = xul_kv_db_get_meta (db, meta_keys[i], &error);
      if (value == NULL)
        note_kv_error (&error, corrupt, "xul_kv_db_get_meta");
    }
  if (!xul_kv_db_check_integrity (db, &error))
    note_kv_error (&error, corrupt, "xul_kv_db_check_integrity");
}

static void
close_kv_db (XulKvDb *db)
{
  GError *error = NULL;

  if (!xul_kv_db_close (db, &error))
    {
      check_kv_error (error, "xul_kv_db_close");
      g_clear_error (&error);
    }
  g_object_unref (db);
}

static void
phase_kv_read_only (Image *image)
{
  GError *error = NULL;
  gboolean corrupt = FALSE;
  XulKvDb *db;

  write_image (image);
  db = xul_kv_db_open (image->paths[PART_DB], XUL_KV_OPEN_READ_ONLY | XUL_KV_OPEN_NO_RECOVERY,
                       &error);
  if (db == NULL)
    {
      check_kv_error (error, "xul_kv_db_open (READ_ONLY | NO_RECOVERY)");
      g_clear_error (&error);
    }
  else
    {
      fuzz_check (xul_kv_db_get_recovery (db) == XUL_KV_RECOVERY_NONE,
                  "a read-only open recovered");
      read_kv_db (db, &corrupt);
      close_kv_db (db);
    }
  check_unchanged (image, "a read-only kvcore open");
}

/* Writes through kvcore; corruption reported on the way is answered by a recovery. */
static void
write_kv_db (XulKvDb  *db,
             gboolean *corrupt)
{
  g_autoptr (XulKvStore) store = NULL;
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  GError *error = NULL;

  if (!xul_kv_db_set_meta (db, "fuzz.meta", "written", &error))
    note_kv_error (&error, corrupt, "xul_kv_db_set_meta");
  store = xul_kv_db_open_store (db, "fuzz", XUL_KV_STORE_CREATE, &error);
  if (store == NULL)
    {
      note_kv_error (&error, corrupt, "xul_kv_db_open_store (CREATE)");
      return;
    }
  if (!xul_kv_store_put (store, "key", 3, "value", 5, &error))
    note_kv_error (&error, corrupt, "xul_kv_store_put");
  xul_kv_batch_put (batch, store, "a", 1, "1", 1);
  xul_kv_batch_put (batch, store, "b", 1, "2", 1);
  xul_kv_batch_delete (batch, store, "key", 3);
  xul_kv_batch_delete_prefix (batch, store, "a", 1);
  xul_kv_batch_set_meta (batch, "fuzz.batch", "yes");
  if (!xul_kv_db_commit (db, batch, XUL_KV_COMMIT_DURABLE, &error))
    note_kv_error (&error, corrupt, "xul_kv_db_commit");
  if (!xul_kv_db_maintain (db, &error))
    note_kv_error (&error, corrupt, "xul_kv_db_maintain");
}

static void
phase_kv_recovering (Image *image)
{
  GError *error = NULL;
  gboolean corrupt = FALSE;
  XulKvDb *db;

  write_image (image);
  db = xul_kv_db_open (image->paths[PART_DB], XUL_KV_OPEN_NONE, &error);
  if (db == NULL)
    {
      check_kv_error (error, "xul_kv_db_open (NONE)");
      fuzz_contract (!g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_CORRUPT) &&
                     !g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_FAILED),
                     "xul_kv_db_open (NONE) neither recovered nor refused a foreign or "
                     "newer file: %s", error->message);
      g_clear_error (&error);
      return;
    }
  if (xul_kv_db_get_recovery (db) != XUL_KV_RECOVERY_NONE)
    {
      g_autofree char *quarantine = xul_kv_db_get_quarantine_path (db);
      fuzz_check (quarantine != NULL && g_file_test (quarantine, G_FILE_TEST_EXISTS),
                  "a recovery at open did not keep the damaged file at its quarantine path");
    }
  read_kv_db (db, &corrupt);
  write_kv_db (db, &corrupt);
  if (corrupt)
    {
      if (xul_kv_db_recover (db, &error))
        {
          fuzz_check (xul_kv_db_get_recovery (db) != XUL_KV_RECOVERY_NONE,
                      "xul_kv_db_recover succeeded, but the recovery reads NONE");
          corrupt = FALSE;
          read_kv_db (db, &corrupt);
          write_kv_db (db, &corrupt);
        }
      else
        {
          check_kv_error (error, "xul_kv_db_recover");
          g_clear_error (&error);
        }
    }
  close_kv_db (db);
}

static void
ignore_value (const char *doc,
              const char *id,
              const char *attr,
              const char *value,
              gpointer    data)
{
}

static void
ignore_member (const char *doc,
               const char *id,
               const char *attr,
               gpointer    data)
{
}

static gboolean
ignore_skipped (const char *path,
                const char *reason,
                gpointer    data)
{
  return TRUE;
}

static void
ignore_truncated (const char *path,
                  const char *reason,
                  gpointer    data)
{
}

static void
ignore_duplicate (gpointer data)
{
}

static const XulLegacyVisitor ignoring_visitor = {
  ignore_value, ignore_member, ignore_skipped, ignore_truncated, ignore_duplicate, NULL,
};

/* A tuple found in the store, for the writable phase to change. */
typedef struct {
  char *doc, *id, *attr;
} Tuple;

static void
tuple_clear (Tuple *t)
{
  g_clear_pointer (&t->doc, g_free);
  g_clear_pointer (&t->id, g_free);
  g_clear_pointer (&t->attr, g_free);
}

/* Reads every value of a XulStore. Whatever the file holds, the listings must keep
 * their documented promises: a listed document has ids, a listed id has attributes, a
 * listed attribute has a value, and every string is NUL-free UTF-8. */
static void
read_xul_store (XulStore *store,
                Tuple    *first)
{
  g_autoptr (GBytes) exported = NULL;
  g_auto (GStrv) docs = NULL;
  GError *error = NULL;
  guint budget = MAX_RECORDS;

  docs = xul_store_get_documents (store, &error);
  if (docs == NULL)
    {
      check_store_error (error, "xul_store_get_documents");
      g_clear_error (&error);
      return;
    }
  for (guint d = 0; docs[d] != NULL && d < MAX_NAMES && budget > 0; d++)
    {
      g_auto (GStrv) ids = NULL;

      fuzz_check (fuzz_is_text (docs[d], -1), "xul_store_get_documents: a name is not UTF-8");
      ids = xul_store_get_ids (store, docs[d], &error);
      if (ids == NULL)
        {
          check_store_error (error, "xul_store_get_ids");
          g_clear_error (&error);
          continue;
        }
      fuzz_contract (ids[0] != NULL,
                     "xul_store_get_documents lists a document (%" G_GSIZE_FORMAT
                     " bytes) for which xul_store_get_ids returns nothing", strlen (docs[d]));
      for (guint i = 0; ids[i] != NULL && budget > 0; i++)
        {
          g_auto (GStrv) attrs = xul_store_get_attributes (store, docs[d], ids[i], &error);

          fuzz_check (fuzz_is_text (ids[i], -1), "xul_store_get_ids: an id is not UTF-8");
          if (attrs == NULL)
            {
              check_store_error (error, "xul_store_get_attributes");
              g_clear_error (&error);
              continue;
            }
          fuzz_contract (attrs[0] != NULL,
                         "xul_store_get_ids lists an id (%" G_GSIZE_FORMAT " bytes) for "
                         "which xul_store_get_attributes returns nothing", strlen (ids[i]));
          for (guint a = 0; attrs[a] != NULL && budget > 0; a++, budget--)
            {
              g_autofree char *value = NULL;

              fuzz_check (fuzz_is_text (attrs[a], -1),
                          "xul_store_get_attributes: a name is not UTF-8");
              value = xul_store_get_value (store, docs[d], ids[i], attrs[a], &error);
              if (value == NULL)
                {
                  check_store_error (error, "xul_store_get_value");
                  g_clear_error (&error);
                  continue;
                }
              fuzz_check (fuzz_is_text (value, -1), "xul_store_get_value: not UTF-8");
              fuzz_contract (xul_store_has_value (store, docs[d], ids[i], attrs[a], NULL),
                             "xul_store_has_value is FALSE for a listed attribute");
              if (first != NULL && first->doc == NULL)
                {
                  first->doc = g_strdup (docs[d]);
                  first->id = g_strdup (ids[i]);
                  first->attr = g_strdup (attrs[a]);
                }
            }
        }
    }
  if (budget == 0)
    return;

  exported = xul_store_export_legacy_bytes (store, XUL_EXPORT_COMPACT, &error);
  if (exported == NULL)
    {
      check_store_error (error, "xul_store_export_legacy_bytes");
      g_clear_error (&error);
    }
  else
    {
      gsize len;
      const char *text = g_bytes_get_data (exported, &len);
      fuzz_check (len >= 2 && text[0] == '{' && text[len - 1] == '}',
                  "the export is not an object");
      /* Names over the limits are exported, and skipped when read back: only the
       * syntax must be right. */
      if (!xul_legacy_parse (text, len, "export", &ignoring_visitor, NULL, &error))
        fuzz_fail ("the export of the store is not JSON: %s", error->message);
    }
}

static void
close_xul_store (XulStore *store)
{
  GError *error = NULL;

  if (!xul_store_close (store, &error))
    {
      check_store_error (error, "xul_store_close");
      g_clear_error (&error);
    }
  g_object_unref (store);
}

static void
phase_store_read_only (Image *image)
{
  GError *error = NULL;
  XulStore *store;

  write_image (image);
  store = xul_store_new (image->paths[PART_DB], XUL_STORE_FLAGS_READ_ONLY, &error);
  if (store == NULL)
    {
      check_store_error (error, "xul_store_new (READ_ONLY)");
      g_clear_error (&error);
    }
  else
    {
      read_xul_store (store, NULL);
      close_xul_store (store);
    }
  check_unchanged (image, "a read-only XulStore");
}

static void
phase_store_writable (Image *image)
{
  static const char doc[] = "chrome://fuzz/content/fuzz.xhtml";
  Tuple first = { NULL };
  GError *error = NULL;
  XulStore *store;

  write_image (image);
  store = xul_store_new (image->paths[PART_DB], XUL_STORE_FLAGS_NONE, &error);
  if (store == NULL)
    {
      check_store_error (error, "xul_store_new (NONE)");
      fuzz_contract (!g_error_matches (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CORRUPT) &&
                     !g_error_matches (error, XUL_STORE_ERROR, XUL_STORE_ERROR_FAILED),
                     "xul_store_new (NONE) neither recovered nor refused a foreign or "
                     "newer file: %s", error->message);
      g_clear_error (&error);
      return;
    }
  read_xul_store (store, &first);
  if (xul_store_set_value (store, doc, "main-window", "width", "1280", &error))
    {
      g_autofree char *value = xul_store_get_value (store, doc, "main-window", "width", NULL);
      fuzz_check (g_strcmp0 (value, "1280") == 0, "a value set is not read back");
    }
  else
    {
      check_store_error (error, "xul_store_set_value");
      g_clear_error (&error);
    }
  if (first.doc != NULL)
    {
      /* A value read from the file can be removed like any other. */
      if (xul_store_remove_value (store, first.doc, first.id, first.attr, &error))
        fuzz_contract (!xul_store_has_value (store, first.doc, first.id, first.attr, NULL),
                       "xul_store_remove_value succeeded, but the value is still there");
      else
        {
          check_store_error (error, "xul_store_remove_value");
          g_clear_error (&error);
        }
      if (!xul_store_remove_document (store, first.doc, &error))
        {
          check_store_error (error, "xul_store_remove_document");
          g_clear_error (&error);
        }
    }
  if (!xul_store_flush (store, &error))
    {
      check_store_error (error, "xul_store_flush");
      g_clear_error (&error);
    }
  close_xul_store (store);
  tuple_clear (&first);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static char *dir;
  Image image;

  fuzz_init (FALSE);
  if (size > FUZZ_MAX_INPUT)
    return 0;
  if (dir == NULL)
    dir = g_build_filename (fuzz_tmpdir (), "image", NULL);
  g_mkdir_with_parents (dir, 0700);

  memset (&image, 0, sizeof image);
  image.dir = dir;
  for (int i = 0; i < N_PARTS; i++)
    image.paths[i] = g_strconcat (dir, "/db", part_suffixes[i], NULL);
  split_image (data != NULL ? data : (const guint8 *) "", size, &image);

  phase_kv_read_only (&image);
  phase_store_read_only (&image);
  phase_kv_recovering (&image);
  phase_store_writable (&image);

  fuzz_clear_dir (dir);
  for (int i = 0; i < N_PARTS; i++)
    g_free (image.paths[i]);
  return 0;
}
