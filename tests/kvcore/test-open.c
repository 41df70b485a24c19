/* test-open.c: opening and closing a database: the files it creates, read-only opens,
 * files it must refuse, meta records, and recovery from a damaged file. */
#include "config.h" /* _GNU_SOURCE, for truncate() and pwrite() */

#include "kv-test.h"
#include "kv-private.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Enough pages that cutting the file in half loses real data, yet under the 1 MiB below
 * which every open runs quick_check. */
#define MANY_KEYS 2000
#define MANY_VALUE_LEN 200

typedef enum {
  DAMAGE_GARBAGE,
  DAMAGE_TRUNCATED,
  DAMAGE_ZEROED_HEADER,
  DAMAGE_LOST_VERSION,
  DAMAGE_NEGATIVE_VERSION,
  DAMAGE_DROPPED_TABLE,
  DAMAGE_EMPTIED, /* not in all_damages: a read-only open sees an empty database */
} Damage;

static const Damage all_damages[] = {
  DAMAGE_GARBAGE,  DAMAGE_TRUNCATED,        DAMAGE_ZEROED_HEADER,
  DAMAGE_LOST_VERSION, DAMAGE_NEGATIVE_VERSION, DAMAGE_DROPPED_TABLE,
};

/* ---- helpers ---------------------------------------------------------------------- */

static guint
count_entries (const char *dir)
{
  return tu_count_entries_containing (dir, "");
}

/* The one entry of @dir whose name starts with @prefix, as a full path. */
static char *
find_entry_with_prefix (const char *dir,
                        const char *prefix)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  char *found = NULL;

  assert_non_null (d);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, prefix))
      {
        if (found != NULL)
          fail_msg ("more than one entry starting with “%s” in %s", prefix, dir);
        found = g_build_filename (dir, name, NULL);
      }
  return found;
}

/* @aside must be "<original>.<tag>-<YYYYMMDDTHHMMSSZ>", stamped with the current UTC
 * time (give or take the test's own run time). */
static void
assert_aside_name (const char *original,
                   const char *tag,
                   const char *aside)
{
  g_autofree char *escaped = g_regex_escape_string (original, -1);
  g_autofree char *pattern =
    g_strdup_printf ("^%s\\.%s-([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z$",
                     escaped, tag);
  g_autoptr (GRegex) regex = g_regex_new (pattern, 0, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) stamp = NULL;
  int fields[6];

  assert_non_null (regex);
  if (!g_regex_match (regex, aside, 0, &match))
    fail_msg ("“%s” is not named “%s.%s-<YYYYMMDDTHHMMSSZ>”", aside, original, tag);
  for (int i = 0; i < 6; i++)
    {
      g_autofree char *field = g_match_info_fetch (match, i + 1);
      fields[i] = atoi (field);
    }
  stamp = g_date_time_new_utc (fields[0], fields[1], fields[2], fields[3], fields[4],
                               fields[5]);
  assert_non_null (stamp);
  /* UTC, not local time: within a few minutes of now. */
  assert_true (ABS (g_date_time_difference (now, stamp)) < 5 * 60 * G_TIME_SPAN_SECOND);
}

static void
damage_file (const char *path,
             Damage      damage)
{
  switch (damage)
    {
    case DAMAGE_GARBAGE:
      {
        g_autoptr (GRand) rand = g_rand_new_with_seed (0xbadf00d);
        guint8 garbage[8192];

        for (gsize i = 0; i < sizeof garbage; i++)
          garbage[i] = (guint8) g_rand_int_range (rand, 0, 256);
        tu_write_file (path, garbage, sizeof garbage);
        break;
      }
    case DAMAGE_TRUNCATED:
      {
        GStatBuf st;

        assert_int_equal (g_stat (path, &st), 0);
        /* Many pages, and still small enough to be checked at every open. */
        assert_true (st.st_size > 64 * 1024);
        assert_true (st.st_size / 2 < 1024 * 1024);
        assert_int_equal (truncate (path, st.st_size / 2), 0);
        break;
      }
    case DAMAGE_ZEROED_HEADER:
      {
        static const guint8 zeros[100] = { 0 };
        int fd = g_open (path, O_WRONLY | O_CLOEXEC, 0);

        assert_true (fd >= 0);
        assert_int_equal (pwrite (fd, zeros, sizeof zeros, 0), (ssize_t) sizeof zeros);
        close (fd);
        break;
      }
    case DAMAGE_LOST_VERSION:
    case DAMAGE_NEGATIVE_VERSION:
      {
        /* The header's user_version, big-endian at offset 60. */
        const guint8 version[4] = { 0, 0, 0, 0 };
        const guint8 negative[4] = { 0xff, 0xff, 0xff, 0xff };
        int fd = g_open (path, O_WRONLY | O_CLOEXEC, 0);

        assert_true (fd >= 0);
        assert_int_equal (pwrite (fd, damage == DAMAGE_LOST_VERSION ? version : negative, 4, 60),
                          4);
        close (fd);
        break;
      }
    case DAMAGE_EMPTIED:
      assert_int_equal (truncate (path, 0), 0);
      break;
    case DAMAGE_DROPPED_TABLE:
      {
        /* A sound SQLite file whose schema is no longer the one kvcore writes. */
        sqlite3 *handle = NULL;

        assert_int_equal (sqlite3_open (path, &handle), SQLITE_OK);
        assert_int_equal (sqlite3_exec (handle, "DROP TABLE meta", NULL, NULL, NULL),
                          SQLITE_OK);
        assert_int_equal (sqlite3_close (handle), SQLITE_OK);
        break;
      }
    }
}

static const char *
damage_name (Damage damage)
{
  switch (damage)
    {
    case DAMAGE_GARBAGE:
      return "garbage.db";
    case DAMAGE_TRUNCATED:
      return "truncated.db";
    case DAMAGE_ZEROED_HEADER:
      return "zeroed.db";
    case DAMAGE_LOST_VERSION:
      return "lost-version.db";
    case DAMAGE_NEGATIVE_VERSION:
      return "negative-version.db";
    case DAMAGE_DROPPED_TABLE:
      return "dropped-table.db";
    case DAMAGE_EMPTIED:
      return "emptied.db";
    }
  g_assert_not_reached ();
}

/* Creates a closed database at @path holding MANY_KEYS values, with no -wal left. */
static void
make_populated_db (const char *path,
                   gboolean    with_backup,
                   GBytes    **out_backup_dump)
{
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);

  kt_populate (db, "many", MANY_KEYS, MANY_VALUE_LEN, MANY_VALUE_LEN, 42);
  kt_populate (db, "few", 3, 10, 10, 43);
  if (with_backup)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (XulKvStore) few = kt_open_store (db, "few", FALSE);

      assert_true (xul_kv_db_backup (db, NULL, &error));
      tu_assert_no_error (error);
      if (out_backup_dump != NULL)
        *out_backup_dump = kt_dump_db (db);
      /* Written after the backup, so a restored database must not have it. */
      kt_put (few, "after-backup", "lost");
    }
  kt_close_db (db);
  /* The damage must hit the database itself: nothing is left in a WAL beside it. */
  assert_true (!tu_file_exists (wal) || tu_file_size (wal) == 0);
}

static void
raw_exec (const char *path,
          const char *sql)
{
  sqlite3 *handle = NULL;
  char *message = NULL;

  assert_int_equal (sqlite3_open_v2 (path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                     NULL),
                    SQLITE_OK);
  if (sqlite3_exec (handle, sql, NULL, NULL, &message) != SQLITE_OK)
    fail_msg ("%s: %s", sql, message);
  assert_int_equal (sqlite3_close (handle), SQLITE_OK);
}

/* The first column of the first row of @sql, as text. */
static char *
raw_query (const char *path,
           const char *sql)
{
  sqlite3 *handle = NULL;
  sqlite3_stmt *stmt = NULL;
  char *result;

  assert_int_equal (sqlite3_open_v2 (path, &handle, SQLITE_OPEN_READWRITE, NULL),
                    SQLITE_OK);
  assert_int_equal (sqlite3_prepare_v2 (handle, sql, -1, &stmt, NULL), SQLITE_OK);
  assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
  result = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  assert_int_equal (sqlite3_close (handle), SQLITE_OK);
  return result;
}

static gint64
raw_query_int (const char *path,
               const char *sql)
{
  g_autofree char *text = raw_query (path, sql);

  return g_ascii_strtoll (text, NULL, 10);
}

/* ---- creation --------------------------------------------------------------------- */

static void
test_open_creates_private_files_with_current_schema (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "new.db");
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  g_autofree char *bak = g_strconcat (path, ".bak", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvDb) db = NULL;
  g_autoptr (XulKvStore) store = NULL;
  g_autofree char *created_at = NULL;
  g_autoptr (GDateTime) created = NULL;
  g_autofree char *journal_mode = NULL;

  assert_false (tu_file_exists (path));
  db = xul_kv_db_open (path, XUL_KV_OPEN_NONE, &error);
  tu_assert_no_error (error);
  assert_non_null (db);
  assert_int_equal (xul_kv_db_get_recovery (db), XUL_KV_RECOVERY_NONE);
  assert_null (xul_kv_db_get_quarantine_path (db));

  assert_true (tu_file_exists (path));
  assert_int_equal (tu_file_mode (path), 0600);

  /* A write goes to the WAL, so -wal and -shm exist now, and must be private too. */
  store = kt_open_store (db, "s", TRUE);
  kt_put (store, "k", "v");
  assert_true (tu_file_exists (wal));
  assert_true (tu_file_exists (shm));
  assert_int_equal (tu_file_mode (wal), 0600);
  assert_int_equal (tu_file_mode (shm), 0600);

  assert_int_equal (xul_kv_db_get_schema_version (db), KV_SCHEMA_VERSION);
  created_at = xul_kv_db_get_meta (db, "kvcore.created-at", &error);
  tu_assert_no_error (error);
  assert_non_null (created_at);
  created = g_date_time_new_from_iso8601 (created_at, NULL);
  assert_non_null (created);
  kt_assert_meta (db, "kvcore.library-version", XUL_VERSION_STRING);

  kt_close_db (db);
  /* With the default settings a backup is due at close, and it is private too. */
  assert_true (tu_file_exists (bak));
  assert_int_equal (tu_file_mode (bak), 0600);

  /* What SQLite itself records in the file. */
  assert_int_equal (raw_query_int (path, "PRAGMA auto_vacuum"), 2); /* INCREMENTAL */
  journal_mode = raw_query (path, "PRAGMA journal_mode");
  assert_string_equal (journal_mode, "wal");
  assert_int_equal (raw_query_int (path, "PRAGMA application_id"), KV_APPLICATION_ID);
  assert_int_equal (raw_query_int (path, "PRAGMA user_version"), KV_SCHEMA_VERSION);
  assert_int_equal (tu_file_mode (path), 0600);
}

static void
test_reopen_keeps_data_and_creation_time (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "reopen.db");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree char *created_at = xul_kv_db_get_meta (db, "kvcore.created-at", &error);

  tu_assert_no_error (error);
  kt_put (store, "k", "v");
  kt_close_db (db);
  g_clear_pointer (&store, xul_kv_store_unref);
  g_clear_object (&db);

  db = kt_open_db (path, XUL_KV_OPEN_NONE);
  assert_int_equal (xul_kv_db_get_recovery (db), XUL_KV_RECOVERY_NONE);
  store = kt_open_store (db, "s", FALSE);
  kt_assert_value (store, "k", "v");
  /* An existing file is not re-created. */
  kt_assert_meta (db, "kvcore.created-at", created_at);
  kt_close_db (db);
}

/* ---- read-only -------------------------------------------------------------------- */

static void
test_read_only_open_of_missing_file_fails_and_creates_nothing (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "missing.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvDb) db = xul_kv_db_open (path, XUL_KV_OPEN_READ_ONLY, &error);

  assert_null (db);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND);
  assert_int_equal (count_entries (dir->path), 0);
}

static void
test_read_only_open_reads_but_refuses_writes (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "ro.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (XulKvStore) s = kt_open_store (db, "s", TRUE);
  g_autoptr (XulKvStore) t = kt_open_store (db, "t", TRUE);
  g_autoptr (XulKvStore) existing = NULL;
  g_autoptr (XulKvStore) created = NULL;
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  g_autoptr (GBytes) before = NULL;
  g_autoptr (GBytes) after = NULL;
  g_auto (GStrv) names = NULL;

  kt_put (s, "k", "v");
  kt_put (t, "x", "y");
  assert_true (xul_kv_db_set_meta (db, "app.note", "hello", &error));
  tu_assert_no_error (error);
  kt_close_db (db);
  g_clear_pointer (&s, xul_kv_store_unref);
  g_clear_pointer (&t, xul_kv_store_unref);
  g_clear_object (&db);
  before = tu_read_bytes (path);

  db = xul_kv_db_open (path, XUL_KV_OPEN_READ_ONLY, &error);
  tu_assert_no_error (error);
  assert_non_null (db);
  assert_int_equal (xul_kv_db_get_flags (db), XUL_KV_OPEN_READ_ONLY);

  /* Reading works. */
  s = kt_open_store (db, "s", FALSE);
  t = kt_open_store (db, "t", FALSE);
  kt_assert_value (s, "k", "v");
  kt_assert_meta (db, "app.note", "hello");
  names = xul_kv_db_list_stores (db, &error);
  tu_assert_no_error (error);
  assert_int_equal (g_strv_length (names), 2);
  assert_string_equal (names[0], "s");
  assert_string_equal (names[1], "t");
  /* CREATE of a store that exists needs no write. */
  existing = xul_kv_db_open_store (db, "s", XUL_KV_STORE_CREATE, &error);
  tu_assert_no_error (error);
  assert_non_null (existing);

  /* Every kind of write is refused. */
  assert_false (xul_kv_store_put (s, "k", 1, "w", 1, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_READ_ONLY);
  assert_false (xul_kv_store_delete (s, "k", 1, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_READ_ONLY);
  assert_false (xul_kv_store_clear (t, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_READ_ONLY);
  xul_kv_batch_put (batch, s, "b", 1, "c", 1);
  assert_false (xul_kv_db_commit (db, batch, XUL_KV_COMMIT_NONE, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_READ_ONLY);
  assert_false (xul_kv_db_set_meta (db, "app.note", "changed", &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_READ_ONLY);
  assert_false (xul_kv_db_delete_meta (db, "app.note", &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_READ_ONLY);
  created = xul_kv_db_open_store (db, "new", XUL_KV_STORE_CREATE, &error);
  assert_null (created);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_READ_ONLY);
  assert_false (xul_kv_db_drop_store (db, "t", &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_READ_ONLY);

  /* Nothing changed, as seen from this connection and on disk. */
  kt_assert_value (s, "k", "v");
  kt_assert_value (t, "x", "y");
  kt_assert_value (s, "b", NULL);
  kt_assert_meta (db, "app.note", "hello");
  kt_close_db (db);
  after = tu_read_bytes (path);
  tu_assert_same_bytes (before, after);
}

/* ---- files that must be refused --------------------------------------------------- */

/* Opening @path in both modes fails with @code and leaves its bytes as they were. */
static void
assert_refused_untouched (const char *dir,
                          const char *path,
                          int         code)
{
  static const XulKvOpenFlags modes[] = { XUL_KV_OPEN_NONE, XUL_KV_OPEN_READ_ONLY };
  g_autoptr (GBytes) before = tu_read_bytes (path);
  g_autofree char *bak = g_strconcat (path, ".bak", NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autoptr (GError) error = NULL;
      /* Default settings: a refused file must not get an automatic backup either. */
      g_autoptr (XulKvDb) db = xul_kv_db_open (path, modes[i], &error);
      g_autoptr (GBytes) after = NULL;

      assert_null (db);
      tu_assert_error (error, XUL_KV_ERROR, code);
      after = tu_read_bytes (path);
      tu_assert_same_bytes (before, after);
      assert_int_equal (tu_count_entries_containing (dir, ".corrupt-"), 0);
      assert_false (tu_file_exists (bak));
    }
}

static void
test_newer_schema_version_is_refused_and_left_untouched (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "future.db");
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);

  kt_put (store, "k", "v");
  kt_close_db (db);
  /* As if a later version of the library had upgraded the file. */
  raw_exec (path, "PRAGMA user_version = 99");
  assert_false (tu_file_exists (wal));
  assert_int_equal (raw_query_int (path, "PRAGMA user_version"), 99);

  assert_refused_untouched (dir->path, path, XUL_KV_ERROR_INCOMPATIBLE_VERSION);
  assert_int_equal (raw_query_int (path, "PRAGMA user_version"), 99);
}

static void
test_foreign_sqlite_database_is_refused_and_left_untouched (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "foreign.db");

  raw_exec (path, "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT);"
                  "INSERT INTO things (name) VALUES ('mine');");
  assert_int_equal (raw_query_int (path, "PRAGMA application_id"), 0);

  assert_refused_untouched (dir->path, path, XUL_KV_ERROR_INCOMPATIBLE_VERSION);
  assert_int_equal (raw_query_int (path, "SELECT count(*) FROM things"), 1);
}

static void
test_empty_path_is_invalid (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvDb) db = xul_kv_db_open ("", XUL_KV_OPEN_NONE, &error);
  g_autoptr (XulKvDb) ro = NULL;

  assert_null (db);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);
  ro = xul_kv_db_open ("", XUL_KV_OPEN_READ_ONLY, &error);
  assert_null (ro);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);
}

static void
test_path_in_missing_directory_fails_and_creates_nothing (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *missing_dir = tu_tmpdir_file (dir, "missing");
  g_autofree char *path = g_build_filename (missing_dir, "db.sqlite", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvDb) db = xul_kv_db_open (path, XUL_KV_OPEN_NONE, &error);

  assert_null (db);
  assert_non_null (error);
  /* The message says which file could not be opened. */
  assert_non_null (strstr (error->message, path));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_IO);
  assert_false (tu_file_exists (missing_dir));
  assert_int_equal (count_entries (dir->path), 0);
}

/* ---- close ------------------------------------------------------------------------ */

static void
test_closing_twice_is_fine (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "twice.db");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (GError) error = NULL;

  assert_true (xul_kv_db_close (db, &error));
  tu_assert_no_error (error);
  assert_true (xul_kv_db_close (db, &error));
  tu_assert_no_error (error);
}

/* A clean close leaves no -wal: its presence at the next open means the session did
 * not end cleanly, which makes that open check the whole file. Iterators use pooled
 * reader connections, and these must not keep the WAL alive past the close. */
static void
test_clean_close_removes_wal_even_after_iterating (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "clean.db");
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  gboolean wal_left, shm_left;

  {
    g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
    g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);

    kt_put (store, "k", "v");
    kt_close_db (db);
  }
  assert_false (tu_file_exists (wal));
  assert_false (tu_file_exists (shm));

  /* Checked after everything is freed, so that a failure leaks nothing. */
  {
    g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
    g_autoptr (XulKvStore) store = kt_open_store (db, "s", FALSE);
    g_autoptr (GError) error = NULL;
    g_autoptr (XulKvIter) iter = xul_kv_store_iter_prefix (store, NULL, 0, &error);
    guint n = 0;

    tu_assert_no_error (error);
    while (xul_kv_iter_next (iter, &error))
      n++;
    tu_assert_no_error (error);
    assert_int_equal (n, 1);
    g_clear_pointer (&iter, xul_kv_iter_unref);
    kt_put (store, "k2", "v2");
    kt_close_db (db);
    wal_left = tu_file_exists (wal);
    shm_left = tu_file_exists (shm);
  }
  /* Removed by hand so that the directory can go even when the checks below fail. */
  g_unlink (wal);
  g_unlink (shm);
  g_clear_pointer (&path, g_free);
  g_clear_pointer (&wal, g_free);
  g_clear_pointer (&shm, g_free);
  g_clear_pointer (&dir, tu_tmpdir_free);
  assert_false (wal_left);
  assert_false (shm_left);
}

static void
test_every_operation_after_close_fails_with_closed (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "closed.db");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (XulKvStore) reopened = NULL;
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  g_autoptr (XulKvIter) iter = NULL;
  g_autoptr (GBytes) value = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) names = NULL;
  g_autofree char *meta = NULL;
  guint64 count = 0;

  kt_put (store, "k", "v");
  assert_true (xul_kv_db_set_meta (db, "app.m", "x", &error));
  tu_assert_no_error (error);
  kt_close_db (db);

  value = xul_kv_store_get (store, "k", 1, &error);
  assert_null (value);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  assert_false (xul_kv_store_has (store, "k", 1, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  assert_false (xul_kv_store_count (store, &count, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  assert_false (xul_kv_store_put (store, "k", 1, "w", 1, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  assert_false (xul_kv_store_delete (store, "k", 1, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  reopened = xul_kv_db_open_store (db, "s", XUL_KV_STORE_NONE, &error);
  assert_null (reopened);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  names = xul_kv_db_list_stores (db, &error);
  assert_null (names);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  assert_false (xul_kv_db_drop_store (db, "s", &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  meta = xul_kv_db_get_meta (db, "app.m", &error);
  assert_null (meta);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  assert_false (xul_kv_db_set_meta (db, "app.m", "y", &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  xul_kv_batch_put (batch, store, "b", 1, "c", 1);
  assert_false (xul_kv_db_commit (db, batch, XUL_KV_COMMIT_NONE, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  iter = xul_kv_store_iter_prefix (store, NULL, 0, &error);
  assert_null (iter);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  assert_false (xul_kv_db_sync (db, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  assert_false (xul_kv_db_maintain (db, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  assert_false (xul_kv_db_check_integrity (db, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  assert_false (xul_kv_db_backup (db, NULL, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);
  assert_false (xul_kv_db_recover (db, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED);

  /* The file is still whole: reopening finds the data. */
  g_clear_pointer (&store, xul_kv_store_unref);
  g_clear_object (&db);
  db = kt_open_db (path, XUL_KV_OPEN_NONE);
  store = kt_open_store (db, "s", FALSE);
  kt_assert_value (store, "k", "v");
  kt_close_db (db);
}

/* ---- meta records ----------------------------------------------------------------- */

static void
test_meta_records_can_be_set_read_and_deleted (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "meta.db");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (GError) error = NULL;

  kt_assert_meta (db, "app.version", NULL);
  assert_true (xul_kv_db_set_meta (db, "app.version", "1", &error));
  tu_assert_no_error (error);
  kt_assert_meta (db, "app.version", "1");
  assert_true (xul_kv_db_set_meta (db, "app.version", "2 ✓", &error));
  tu_assert_no_error (error);
  kt_assert_meta (db, "app.version", "2 ✓");
  /* An empty value is a value. */
  assert_true (xul_kv_db_set_meta (db, "app.empty", "", &error));
  tu_assert_no_error (error);
  kt_assert_meta (db, "app.empty", "");

  /* Meta records persist. */
  kt_close_db (db);
  g_clear_object (&db);
  db = kt_open_db (path, XUL_KV_OPEN_NONE);
  kt_assert_meta (db, "app.version", "2 ✓");

  assert_true (xul_kv_db_delete_meta (db, "app.version", &error));
  tu_assert_no_error (error);
  kt_assert_meta (db, "app.version", NULL);
  kt_assert_meta (db, "app.empty", "");
  /* Deleting what is not there is not an error. */
  assert_true (xul_kv_db_delete_meta (db, "app.version", &error));
  tu_assert_no_error (error);
  kt_close_db (db);
}

static void
test_reserved_meta_keys_cannot_be_written (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "reserved.db");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (GError) error = NULL;

  assert_false (xul_kv_db_set_meta (db, "kvcore.mine", "x", &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);
  kt_assert_meta (db, "kvcore.mine", NULL);
  assert_false (xul_kv_db_set_meta (db, "kvcore.library-version", "0.0.0", &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);
  kt_assert_meta (db, "kvcore.library-version", XUL_VERSION_STRING);
  assert_false (xul_kv_db_delete_meta (db, "kvcore.library-version", &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);
  kt_assert_meta (db, "kvcore.library-version", XUL_VERSION_STRING);
  /* Only the exact prefix is reserved. */
  assert_true (xul_kv_db_set_meta (db, "kvcore", "x", &error));
  tu_assert_no_error (error);
  kt_assert_meta (db, "kvcore", "x");
  kt_close_db (db);
}

static void
test_invalid_meta_keys_are_refused (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "keys.db");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autofree char *too_long = g_strnfill (XUL_KV_MAX_STORE_NAME + 1, 'k');
  const char *const invalid[] = { "", "tab\there", "bell\x07", "del\x7f", "bad\xff\xfeutf8",
                                   too_long };

  for (gsize i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *value = NULL;

      assert_false (xul_kv_db_set_meta (db, invalid[i], "v", &error));
      tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);
      value = xul_kv_db_get_meta (db, invalid[i], &error);
      assert_null (value);
      tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);
      assert_false (xul_kv_db_delete_meta (db, invalid[i], &error));
      tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);
    }
  kt_close_db (db);
}

static void
test_meta_values_are_bounded_utf8 (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "values.db");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (GError) error = NULL;
  g_autofree char *largest = g_strnfill (XUL_KV_MAX_META_VALUE, 'v');
  g_autofree char *too_large = g_strnfill (XUL_KV_MAX_META_VALUE + 1, 'v');

  assert_false (xul_kv_db_set_meta (db, "app.big", too_large, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_TOO_LARGE);
  kt_assert_meta (db, "app.big", NULL);
  assert_false (xul_kv_db_set_meta (db, "app.bad", "bad\xff", &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);
  kt_assert_meta (db, "app.bad", NULL);

  /* The limit itself is allowed. */
  assert_true (xul_kv_db_set_meta (db, "app.big", largest, &error));
  tu_assert_no_error (error);
  kt_assert_meta (db, "app.big", largest);
  kt_close_db (db);
}

static void
test_meta_in_batch_commits_atomically_with_data (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "atomic.db");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (XulKvStore) data = kt_open_store (db, "data", TRUE);
  g_autoptr (XulKvStore) gone = kt_open_store (db, "gone", TRUE);
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  g_autoptr (XulKvBatch) failing = xul_kv_batch_new ();
  g_autoptr (XulKvBatch) invalid = xul_kv_batch_new ();
  g_autoptr (GError) error = NULL;

  xul_kv_batch_put (batch, data, "k", 1, "1", 1);
  xul_kv_batch_set_meta (batch, "app.state", "one");
  kt_commit (db, batch, XUL_KV_COMMIT_NONE);
  kt_assert_value (data, "k", "1");
  kt_assert_meta (db, "app.state", "one");

  /* The meta write comes first and succeeds on its own; the later write to a dropped
   * store fails, and the whole transaction must roll back. */
  assert_true (xul_kv_db_drop_store (db, "gone", &error));
  tu_assert_no_error (error);
  xul_kv_batch_set_meta (failing, "app.state", "two");
  xul_kv_batch_put (failing, data, "k", 1, "2", 1);
  xul_kv_batch_put (failing, gone, "x", 1, "y", 1);
  assert_false (xul_kv_db_commit (db, failing, XUL_KV_COMMIT_NONE, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NO_SUCH_STORE);
  kt_assert_meta (db, "app.state", "one");
  kt_assert_value (data, "k", "1");

  /* An invalid meta write spoils the data written beside it. */
  xul_kv_batch_put (invalid, data, "k", 1, "3", 1);
  xul_kv_batch_set_meta (invalid, "kvcore.state", "three");
  assert_false (xul_kv_db_commit (db, invalid, XUL_KV_COMMIT_NONE, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INVALID_ARGUMENT);
  kt_assert_value (data, "k", "1");
  kt_assert_meta (db, "kvcore.state", NULL);

  /* Deleting meta in a batch goes with the data too. */
  g_clear_pointer (&batch, xul_kv_batch_unref);
  batch = xul_kv_batch_new ();
  xul_kv_batch_delete_meta (batch, "app.state");
  xul_kv_batch_delete (batch, data, "k", 1);
  kt_commit (db, batch, XUL_KV_COMMIT_NONE);
  kt_assert_meta (db, "app.state", NULL);
  kt_assert_value (data, "k", NULL);
  kt_close_db (db);
}

/* ---- recovery at open ------------------------------------------------------------- */

static void
check_damage_recovers_from_backup (Damage damage)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, damage_name (damage));
  g_autofree char *bak = g_strconcat (path, ".bak", NULL);
  g_autoptr (GBytes) expected = NULL;
  g_autoptr (GBytes) damaged = NULL;
  g_autoptr (GBytes) backup_before = NULL;
  g_autoptr (GBytes) actual = NULL;
  g_autoptr (GBytes) quarantined = NULL;
  g_autoptr (XulKvDb) db = NULL;
  g_autoptr (XulKvStore) few = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *quarantine = NULL;
  g_autofree char *last_recovery = NULL;

  make_populated_db (path, TRUE, &expected);
  damage_file (path, damage);
  damaged = tu_read_bytes (path);
  backup_before = tu_read_bytes (bak);

  db = kt_open_db (path, XUL_KV_OPEN_NONE);
  assert_int_equal (xul_kv_db_get_recovery (db), XUL_KV_RECOVERY_RESTORED_FROM_BACKUP);

  /* The data is the backup's: what was written after it is gone. */
  actual = kt_dump_db (db);
  tu_assert_same_bytes (expected, actual);
  few = kt_open_store (db, "few", FALSE);
  kt_assert_value (few, "after-backup", NULL);
  /* The restored database is writable and sound. */
  kt_put (few, "after-recovery", "kept");
  assert_true (xul_kv_db_check_integrity (db, &error));
  tu_assert_no_error (error);
  last_recovery = xul_kv_db_get_meta (db, "kvcore.last-recovery", &error);
  tu_assert_no_error (error);
  assert_non_null (last_recovery);

  /* Nothing was deleted: the damaged file is kept, byte for byte, privately. */
  quarantine = xul_kv_db_get_quarantine_path (db);
  assert_non_null (quarantine);
  assert_aside_name (path, "corrupt", quarantine);
  assert_true (tu_file_exists (quarantine));
  quarantined = tu_read_bytes (quarantine);
  tu_assert_same_bytes (damaged, quarantined);
  assert_int_equal (tu_file_mode (quarantine), 0600);
  /* The backup is copied, not consumed. */
  {
    g_autoptr (GBytes) backup_after = tu_read_bytes (bak);
    tu_assert_same_bytes (backup_before, backup_after);
  }
  kt_close_db (db);

  /* The recovery is done for good: the next open is a normal one. */
  g_clear_pointer (&few, xul_kv_store_unref);
  g_clear_object (&db);
  db = kt_open_db (path, XUL_KV_OPEN_NONE);
  assert_int_equal (xul_kv_db_get_recovery (db), XUL_KV_RECOVERY_NONE);
  few = kt_open_store (db, "few", FALSE);
  kt_assert_value (few, "after-recovery", "kept");
  kt_close_db (db);
}

static void
test_garbage_file_recovers_from_backup (void **state)
{
  check_damage_recovers_from_backup (DAMAGE_GARBAGE);
}

static void
test_truncated_file_recovers_from_backup (void **state)
{
  check_damage_recovers_from_backup (DAMAGE_TRUNCATED);
}

static void
test_zeroed_header_recovers_from_backup (void **state)
{
  check_damage_recovers_from_backup (DAMAGE_ZEROED_HEADER);
}

static void
check_damage_without_backup_starts_empty (Damage damage)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, damage_name (damage));
  g_autofree char *bak = g_strconcat (path, ".bak", NULL);
  g_autoptr (GBytes) damaged = NULL;
  g_autoptr (GBytes) quarantined = NULL;
  g_autoptr (XulKvDb) db = NULL;
  g_autoptr (XulKvStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) names = NULL;
  g_autofree char *quarantine = NULL;

  make_populated_db (path, FALSE, NULL);
  assert_false (tu_file_exists (bak));
  damage_file (path, damage);
  damaged = tu_read_bytes (path);

  db = kt_open_db (path, XUL_KV_OPEN_NONE);
  assert_int_equal (xul_kv_db_get_recovery (db), XUL_KV_RECOVERY_STARTED_EMPTY);
  assert_int_equal (xul_kv_db_get_schema_version (db), KV_SCHEMA_VERSION);
  names = xul_kv_db_list_stores (db, &error);
  tu_assert_no_error (error);
  assert_non_null (names);
  assert_int_equal (g_strv_length (names), 0);

  quarantine = xul_kv_db_get_quarantine_path (db);
  assert_non_null (quarantine);
  assert_aside_name (path, "corrupt", quarantine);
  quarantined = tu_read_bytes (quarantine);
  tu_assert_same_bytes (damaged, quarantined);
  assert_int_equal (tu_file_mode (quarantine), 0600);

  /* The fresh database works. */
  store = kt_open_store (db, "s", TRUE);
  kt_put (store, "k", "v");
  kt_assert_value (store, "k", "v");
  kt_close_db (db);
  assert_true (tu_file_exists (quarantine));
}

static void
test_lost_version_recovers_from_backup (void **state)
{
  check_damage_recovers_from_backup (DAMAGE_LOST_VERSION);
}

static void
test_negative_version_recovers_from_backup (void **state)
{
  check_damage_recovers_from_backup (DAMAGE_NEGATIVE_VERSION);
}

static void
test_dropped_table_recovers_from_backup (void **state)
{
  check_damage_recovers_from_backup (DAMAGE_DROPPED_TABLE);
}

/* What some file systems leave of a file after a power cut. */
static void
test_emptied_file_recovers_from_backup (void **state)
{
  check_damage_recovers_from_backup (DAMAGE_EMPTIED);
}

/* An empty file beside a -wal: SQLite would delete the -wal as belonging to no
 * database. Both are kept aside, as damage, even without a backup. */
static void
test_emptied_file_beside_a_wal_is_kept_aside_with_it (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "emptied.db");
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *quarantine = NULL;
  g_autofree char *quarantined_wal = NULL;
  g_autoptr (GBytes) wal_bytes = NULL;
  g_autoptr (GBytes) kept = NULL;
  g_autoptr (XulKvDb) db = NULL;
  static const char wal_content[] = "frames of commits the file never received";

  make_populated_db (path, FALSE, NULL);
  damage_file (path, DAMAGE_EMPTIED);
  tu_write_file (wal, wal_content, sizeof wal_content);
  wal_bytes = tu_read_bytes (wal);

  db = kt_open_db (path, XUL_KV_OPEN_NONE);
  assert_int_equal (xul_kv_db_get_recovery (db), XUL_KV_RECOVERY_STARTED_EMPTY);
  quarantine = xul_kv_db_get_quarantine_path (db);
  assert_non_null (quarantine);
  quarantined_wal = g_strconcat (quarantine, "-wal", NULL);
  kept = tu_read_bytes (quarantined_wal);
  tu_assert_same_bytes (wal_bytes, kept);
  kt_close_db (db);
}

static void
test_garbage_file_without_backup_starts_empty (void **state)
{
  check_damage_without_backup_starts_empty (DAMAGE_GARBAGE);
}

static void
test_truncated_file_without_backup_starts_empty (void **state)
{
  check_damage_without_backup_starts_empty (DAMAGE_TRUNCATED);
}

static void
test_zeroed_header_without_backup_starts_empty (void **state)
{
  check_damage_without_backup_starts_empty (DAMAGE_ZEROED_HEADER);
}

/* A damaged file opened with @flags fails with CORRUPT, even with a good backup beside
 * it, and stays exactly where and what it was. */
static void
check_damaged_file_is_left_alone (XulKvOpenFlags flags)
{
  for (gsize i = 0; i < G_N_ELEMENTS (all_damages); i++)
    {
      g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
      g_autofree char *path = tu_tmpdir_file (dir, damage_name (all_damages[i]));
      g_autofree char *bak = g_strconcat (path, ".bak", NULL);
      g_autoptr (GBytes) damaged = NULL;
      g_autoptr (GBytes) backup = NULL;
      g_autoptr (GBytes) after = NULL;
      g_autoptr (GBytes) backup_after = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (XulKvDb) db = NULL;

      make_populated_db (path, TRUE, NULL);
      damage_file (path, all_damages[i]);
      damaged = tu_read_bytes (path);
      backup = tu_read_bytes (bak);

      db = kt_try_open_db (path, flags, 0, &error);
      assert_null (db);
      tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_CORRUPT);

      after = tu_read_bytes (path);
      tu_assert_same_bytes (damaged, after);
      backup_after = tu_read_bytes (bak);
      tu_assert_same_bytes (backup, backup_after);
      assert_int_equal (tu_count_entries_containing (dir->path, ".corrupt-"), 0);
    }
}

static void
test_no_recovery_open_of_damaged_file_fails_with_corrupt (void **state)
{
  check_damaged_file_is_left_alone (XUL_KV_OPEN_NO_RECOVERY);
}

static void
test_read_only_open_of_damaged_file_fails_with_corrupt (void **state)
{
  check_damaged_file_is_left_alone (XUL_KV_OPEN_READ_ONLY);
}

static void
test_damaged_backup_beside_damaged_database_is_moved_aside (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "both.db");
  g_autofree char *bak = g_strconcat (path, ".bak", NULL);
  g_autoptr (GBytes) bad_backup = NULL;
  g_autoptr (GBytes) moved_backup = NULL;
  g_autoptr (XulKvDb) db = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) names = NULL;
  g_autofree char *quarantine = NULL;
  g_autofree char *backup_aside = NULL;

  make_populated_db (path, TRUE, NULL);
  damage_file (path, DAMAGE_ZEROED_HEADER);
  damage_file (bak, DAMAGE_GARBAGE);
  bad_backup = tu_read_bytes (bak);

  db = kt_open_db (path, XUL_KV_OPEN_NONE);
  assert_int_equal (xul_kv_db_get_recovery (db), XUL_KV_RECOVERY_STARTED_EMPTY);
  names = xul_kv_db_list_stores (db, &error);
  tu_assert_no_error (error);
  assert_int_equal (g_strv_length (names), 0);

  /* The damaged database is quarantined as usual. */
  quarantine = xul_kv_db_get_quarantine_path (db);
  assert_non_null (quarantine);
  assert_aside_name (path, "corrupt", quarantine);
  assert_true (tu_file_exists (quarantine));

  /* The bad backup is kept aside, not deleted, so that no later backup overwrites it. */
  assert_false (tu_file_exists (bak));
  backup_aside = find_entry_with_prefix (dir->path, "both.db.bak.corrupt-");
  assert_non_null (backup_aside);
  assert_aside_name (bak, "corrupt", backup_aside);
  moved_backup = tu_read_bytes (backup_aside);
  tu_assert_same_bytes (bad_backup, moved_backup);
  assert_int_equal (tu_file_mode (backup_aside), 0600);
  kt_close_db (db);
}

static void
test_missing_database_is_restored_from_backup (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "gone.db");
  g_autofree char *bak = g_strconcat (path, ".bak", NULL);
  g_autoptr (GBytes) expected = NULL;
  g_autoptr (GBytes) actual = NULL;
  g_autoptr (XulKvDb) db = NULL;

  make_populated_db (path, TRUE, &expected);
  assert_int_equal (g_unlink (path), 0);
  assert_true (tu_file_exists (bak));

  db = kt_open_db (path, XUL_KV_OPEN_NONE);
  assert_int_equal (xul_kv_db_get_recovery (db), XUL_KV_RECOVERY_RESTORED_FROM_BACKUP);
  /* Nothing was damaged, so nothing was quarantined. */
  assert_null (xul_kv_db_get_quarantine_path (db));
  assert_int_equal (tu_count_entries_containing (dir->path, ".corrupt-"), 0);
  actual = kt_dump_db (db);
  tu_assert_same_bytes (expected, actual);
  assert_int_equal (tu_file_mode (path), 0600);
  kt_close_db (db);
}

static void
test_recover_restores_backup_and_keeps_store_handles (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "live.db");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (XulKvStore) a = kt_open_store (db, "a", TRUE);
  g_autoptr (XulKvStore) later = NULL;
  g_autoptr (XulKvDb) old = NULL;
  g_autoptr (XulKvStore) old_a = NULL;
  g_autoptr (GBytes) expected = NULL;
  g_autoptr (GBytes) actual = NULL;
  g_autoptr (GBytes) value = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *quarantine = NULL;

  kt_put (a, "k1", "before");
  assert_true (xul_kv_db_backup (db, NULL, &error));
  tu_assert_no_error (error);
  expected = kt_dump_db (db);
  kt_put (a, "k2", "after");
  later = kt_open_store (db, "later", TRUE);
  kt_put (later, "x", "y");

  /* As if an operation had just failed with XUL_KV_ERROR_CORRUPT. */
  assert_true (xul_kv_db_recover (db, &error));
  tu_assert_no_error (error);
  assert_int_equal (xul_kv_db_get_recovery (db), XUL_KV_RECOVERY_RESTORED_FROM_BACKUP);
  actual = kt_dump_db (db);
  tu_assert_same_bytes (expected, actual);

  /* The handle follows its name into the restored file, for reads and writes. */
  kt_assert_value (a, "k1", "before");
  kt_assert_value (a, "k2", NULL);
  kt_put (a, "k3", "new");
  kt_assert_value (a, "k3", "new");
  /* A store the backup does not have is gone. */
  value = xul_kv_store_get (later, "x", 1, &error);
  assert_null (value);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NO_SUCH_STORE);

  /* The file as it was is quarantined, with everything written before the recovery. */
  quarantine = xul_kv_db_get_quarantine_path (db);
  assert_non_null (quarantine);
  assert_aside_name (path, "corrupt", quarantine);
  assert_int_equal (tu_file_mode (quarantine), 0600);
  old = xul_kv_db_open (quarantine, XUL_KV_OPEN_READ_ONLY, &error);
  tu_assert_no_error (error);
  assert_non_null (old);
  old_a = kt_open_store (old, "a", FALSE);
  kt_assert_value (old_a, "k2", "after");
  kt_close_db (old);
  kt_close_db (db);
}

static void
test_check_integrity_of_healthy_database_succeeds (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "healthy.db");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (GError) error = NULL;

  assert_true (xul_kv_db_check_integrity (db, &error));
  tu_assert_no_error (error);
  kt_populate (db, "s", 500, 100, 100, 7);
  assert_true (xul_kv_db_check_integrity (db, &error));
  tu_assert_no_error (error);
  kt_close_db (db);
  g_clear_object (&db);

  /* A read-only connection can check too. */
  db = xul_kv_db_open (path, XUL_KV_OPEN_READ_ONLY, &error);
  tu_assert_no_error (error);
  assert_true (xul_kv_db_check_integrity (db, &error));
  tu_assert_no_error (error);
  kt_close_db (db);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_open_creates_private_files_with_current_schema),
    cmocka_unit_test (test_reopen_keeps_data_and_creation_time),
    cmocka_unit_test (test_read_only_open_of_missing_file_fails_and_creates_nothing),
    cmocka_unit_test (test_read_only_open_reads_but_refuses_writes),
    cmocka_unit_test (test_newer_schema_version_is_refused_and_left_untouched),
    cmocka_unit_test (test_foreign_sqlite_database_is_refused_and_left_untouched),
    cmocka_unit_test (test_empty_path_is_invalid),
    cmocka_unit_test (test_path_in_missing_directory_fails_and_creates_nothing),
    cmocka_unit_test (test_closing_twice_is_fine),
    cmocka_unit_test (test_clean_close_removes_wal_even_after_iterating),
    cmocka_unit_test (test_every_operation_after_close_fails_with_closed),
    cmocka_unit_test (test_meta_records_can_be_set_read_and_deleted),
    cmocka_unit_test (test_reserved_meta_keys_cannot_be_written),
    cmocka_unit_test (test_invalid_meta_keys_are_refused),
    cmocka_unit_test (test_meta_values_are_bounded_utf8),
    cmocka_unit_test (test_meta_in_batch_commits_atomically_with_data),
    cmocka_unit_test (test_garbage_file_recovers_from_backup),
    cmocka_unit_test (test_truncated_file_recovers_from_backup),
    cmocka_unit_test (test_zeroed_header_recovers_from_backup),
    cmocka_unit_test (test_garbage_file_without_backup_starts_empty),
    cmocka_unit_test (test_truncated_file_without_backup_starts_empty),
    cmocka_unit_test (test_zeroed_header_without_backup_starts_empty),
    cmocka_unit_test (test_no_recovery_open_of_damaged_file_fails_with_corrupt),
    cmocka_unit_test (test_lost_version_recovers_from_backup),
    cmocka_unit_test (test_negative_version_recovers_from_backup),
    cmocka_unit_test (test_dropped_table_recovers_from_backup),
    cmocka_unit_test (test_emptied_file_recovers_from_backup),
    cmocka_unit_test (test_emptied_file_beside_a_wal_is_kept_aside_with_it),
    cmocka_unit_test (test_read_only_open_of_damaged_file_fails_with_corrupt),
    cmocka_unit_test (test_damaged_backup_beside_damaged_database_is_moved_aside),
    cmocka_unit_test (test_missing_database_is_restored_from_backup),
    cmocka_unit_test (test_recover_restores_backup_and_keeps_store_handles),
    cmocka_unit_test (test_check_integrity_of_healthy_database_succeeds),
  };

  /* A file created without an explicit mode would then show as 0644, not 0600. */
  umask (022);
  return tu_run ("kvcore-open", tests);
}
