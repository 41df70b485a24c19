/* test-backup.c: explicit backups and restores, automatic backups, maintenance and
 * durability. */
#include "config.h" /* _GNU_SOURCE, for utimensat() */

#include "kv-test.h"
#include "kv-private.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#define HOUR_SECONDS (60 * 60)

/* ---- helpers ---------------------------------------------------------------------- */

/* The dump of the database file at @path, opened read-only on its own. */
static GBytes *
dump_file (const char *path)
{
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_READ_ONLY);
  GBytes *dump = kt_dump_db (db);

  kt_close_db (db);
  return dump;
}

/* Modification time in nanoseconds. */
static gint64
mtime_ns (const char *path)
{
  struct stat st;

  assert_int_equal (stat (path, &st), 0);
  return (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec;
}

/* Sets the modification time of @path to @seconds ago. */
static void
backdate (const char *path,
          gint64      seconds)
{
  gint64 then = g_get_real_time () / G_USEC_PER_SEC - seconds;
  struct timespec times[2] = {
    { .tv_sec = (time_t) then, .tv_nsec = 0 },
    { .tv_sec = (time_t) then, .tv_nsec = 0 },
  };

  assert_int_equal (utimensat (AT_FDCWD, path, times, 0), 0);
}

/* TRUE when @path was modified within the last few minutes. */
static gboolean
is_recent (const char *path)
{
  gint64 now_ns = g_get_real_time () * 1000;

  return now_ns - mtime_ns (path) < G_GINT64_CONSTANT (5) * 60 * 1000000000;
}

/* Whether the database file at @path has @key in @store_name. */
static gboolean
file_has_key (const char *path,
              const char *store_name,
              const char *key)
{
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_READ_ONLY);
  g_autoptr (XulKvStore) store = kt_open_store (db, store_name, FALSE);
  g_autoptr (GError) error = NULL;
  gboolean found = xul_kv_store_has (store, key, strlen (key), &error);

  tu_assert_no_error (error);
  kt_close_db (db);
  return found;
}

/* ---- explicit backups ------------------------------------------------------------- */

static void
test_backup_to_default_path_is_private_and_self_contained (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (TuTmpdir) elsewhere = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "data.db");
  g_autofree char *expected_bak = g_strconcat (path, ".bak", NULL);
  g_autofree char *copy = tu_tmpdir_file (elsewhere, "copy.db");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (GError) error = NULL;
  g_autofree char *bak = NULL;
  g_autoptr (GBytes) expected = NULL;
  g_autoptr (GBytes) bak_bytes = NULL;
  g_autoptr (GBytes) actual = NULL;
  const guint8 *header;

  /* Not checkpointed: the data sits in the WAL, and the backup must include it. */
  kt_populate (db, "alpha", 200, 0, 300, 1);
  kt_populate (db, "beta", 50, 0, 20, 2);
  expected = kt_dump_db (db);

  bak = xul_kv_db_get_backup_path (db);
  assert_string_equal (bak, expected_bak);
  assert_false (tu_file_exists (bak));
  assert_true (xul_kv_db_backup (db, NULL, &error));
  tu_assert_no_error (error);
  assert_true (tu_file_exists (bak));
  assert_int_equal (tu_file_mode (bak), 0600);
  assert_int_equal (tu_count_entries_containing (dir->path, ".tmp-"), 0);

  /* Bytes 18 and 19 of the header are 1 in rollback-journal mode, 2 in WAL mode: a
   * backup must not need a -wal beside it. */
  bak_bytes = tu_read_bytes (bak);
  assert_true (g_bytes_get_size (bak_bytes) > 100);
  header = g_bytes_get_data (bak_bytes, NULL);
  assert_int_equal (header[18], 1);
  assert_int_equal (header[19], 1);

  /* Alone in another directory, it opens and holds the same data. */
  tu_write_file (copy, g_bytes_get_data (bak_bytes, NULL), g_bytes_get_size (bak_bytes));
  actual = dump_file (copy);
  tu_assert_same_bytes (expected, actual);
  kt_close_db (db);
}

static void
test_backup_to_explicit_path_writes_a_copy (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (TuTmpdir) other = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "data.db");
  g_autofree char *dest = tu_tmpdir_file (other, "explicit.backup");
  g_autofree char *bak = g_strconcat (path, ".bak", NULL);
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (XulKvStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) expected = NULL;
  g_autoptr (GBytes) actual = NULL;
  g_autoptr (GBytes) again = NULL;

  kt_populate (db, "s", 100, 0, 100, 3);
  expected = kt_dump_db (db);
  assert_true (xul_kv_db_backup (db, dest, &error));
  tu_assert_no_error (error);
  assert_true (tu_file_exists (dest));
  assert_int_equal (tu_file_mode (dest), 0600);
  /* Only the asked-for file is written. */
  assert_false (tu_file_exists (bak));
  assert_int_equal (tu_count_entries_containing (other->path, ".tmp-"), 0);
  assert_int_equal (tu_count_entries_containing (dir->path, ".tmp-"), 0);
  actual = dump_file (dest);
  tu_assert_same_bytes (expected, actual);

  /* A second backup replaces the first. */
  store = kt_open_store (db, "s", FALSE);
  kt_put (store, "extra", "value");
  g_clear_pointer (&expected, g_bytes_unref);
  expected = kt_dump_db (db);
  assert_true (xul_kv_db_backup (db, dest, &error));
  tu_assert_no_error (error);
  again = dump_file (dest);
  tu_assert_same_bytes (expected, again);
  assert_int_equal (tu_count_entries_containing (other->path, ".tmp-"), 0);
  kt_close_db (db);
}

/* ---- restore ---------------------------------------------------------------------- */

static void
test_restore_brings_back_backup_state_exactly (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "data.db");
  g_autofree char *bak = NULL;
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (XulKvStore) kept = NULL;
  g_autoptr (XulKvStore) dropped = NULL;
  g_autoptr (XulKvStore) added = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) expected = NULL;
  g_autoptr (GBytes) modified = NULL;
  g_autoptr (GBytes) restored = NULL;
  g_autoptr (GBytes) reopened = NULL;
  g_autoptr (GBytes) value = NULL;
  guint64 count = 0;

  kt_populate (db, "kept", 300, 0, 200, 4);
  kt_populate (db, "dropped", 100, 0, 50, 5);
  kept = kt_open_store (db, "kept", FALSE);
  dropped = kt_open_store (db, "dropped", FALSE);
  assert_true (xul_kv_db_backup (db, NULL, &error));
  tu_assert_no_error (error);
  bak = xul_kv_db_get_backup_path (db);
  expected = kt_dump_db (db);

  /* Every kind of change after the backup. */
  kt_put (kept, "key-000000", "overwritten");
  kt_put (kept, "new-key", "new");
  assert_true (xul_kv_store_delete (kept, "key-000001", 10, &error));
  tu_assert_no_error (error);
  assert_true (xul_kv_db_drop_store (db, "dropped", &error));
  tu_assert_no_error (error);
  added = kt_open_store (db, "added", TRUE);
  kt_put (added, "a", "b");
  modified = kt_dump_db (db);
  assert_false (g_bytes_equal (expected, modified));

  assert_true (xul_kv_db_restore (db, bak, &error));
  tu_assert_no_error (error);
  restored = kt_dump_db (db);
  tu_assert_same_bytes (expected, restored);

  /* Handles opened before the restore follow their names. */
  kt_assert_value (kept, "new-key", NULL);
  assert_true (xul_kv_store_has (kept, "key-000001", 10, &error));
  tu_assert_no_error (error);
  assert_true (xul_kv_store_count (dropped, &count, &error));
  tu_assert_no_error (error);
  assert_int_equal (count, 100);
  kt_put (dropped, "back", "again");
  kt_assert_value (dropped, "back", "again");
  /* The store made after the backup is gone with the rest. */
  value = xul_kv_store_get (added, "a", 1, &error);
  assert_null (value);
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NO_SUCH_STORE);
  assert_true (xul_kv_db_check_integrity (db, &error));
  tu_assert_no_error (error);

  /* The restore is on disk, not just in this connection. */
  assert_true (xul_kv_store_delete (dropped, "back", 4, &error));
  tu_assert_no_error (error);
  kt_close_db (db);
  g_clear_pointer (&kept, xul_kv_store_unref);
  g_clear_pointer (&dropped, xul_kv_store_unref);
  g_clear_pointer (&added, xul_kv_store_unref);
  g_clear_object (&db);
  db = kt_open_db (path, XUL_KV_OPEN_NONE);
  assert_int_equal (xul_kv_db_get_recovery (db), XUL_KV_RECOVERY_NONE);
  reopened = kt_dump_db (db);
  tu_assert_same_bytes (expected, reopened);
  kt_close_db (db);
}

static void
test_restore_refuses_garbage_and_leaves_database_unchanged (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "data.db");
  g_autofree char *garbage_path = tu_tmpdir_file (dir, "garbage.bak");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (GRand) rand = g_rand_new_with_seed (99);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) before = NULL;
  g_autoptr (GBytes) after = NULL;
  guint8 garbage[8192];

  for (gsize i = 0; i < sizeof garbage; i++)
    garbage[i] = (guint8) g_rand_int_range (rand, 0, 256);
  tu_write_file (garbage_path, garbage, sizeof garbage);
  kt_populate (db, "s", 100, 0, 100, 6);
  before = kt_dump_db (db);

  assert_false (xul_kv_db_restore (db, garbage_path, &error));
  assert_non_null (error);
  /* Damaged or foreign: either way not a backup we can use. */
  if (!g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_CORRUPT) &&
      !g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_INCOMPATIBLE_VERSION))
    fail_msg ("expected CORRUPT or INCOMPATIBLE_VERSION, got %s:%d: %s",
              g_quark_to_string (error->domain), error->code, error->message);
  g_clear_error (&error);

  after = kt_dump_db (db);
  tu_assert_same_bytes (before, after);
  assert_true (xul_kv_db_check_integrity (db, &error));
  tu_assert_no_error (error);
  kt_close_db (db);
}

static void
test_restore_refuses_missing_file_and_leaves_database_unchanged (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "data.db");
  g_autofree char *missing = tu_tmpdir_file (dir, "missing.bak");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) before = NULL;
  g_autoptr (GBytes) after = NULL;

  kt_populate (db, "s", 100, 0, 100, 7);
  before = kt_dump_db (db);

  assert_false (xul_kv_db_restore (db, missing, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND);
  /* Nothing is created in its place. */
  assert_false (tu_file_exists (missing));

  after = kt_dump_db (db);
  tu_assert_same_bytes (before, after);
  kt_close_db (db);
}

static void
test_restore_refuses_foreign_database (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "data.db");
  g_autofree char *foreign = tu_tmpdir_file (dir, "foreign.db");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) before = NULL;
  g_autoptr (GBytes) after = NULL;
  sqlite3 *handle = NULL;

  /* A sound SQLite file that is not ours. */
  assert_int_equal (sqlite3_open (foreign, &handle), SQLITE_OK);
  assert_int_equal (sqlite3_exec (handle, "CREATE TABLE t (x); INSERT INTO t VALUES (1);",
                                  NULL, NULL, NULL),
                    SQLITE_OK);
  assert_int_equal (sqlite3_close (handle), SQLITE_OK);
  kt_populate (db, "s", 20, 0, 20, 8);
  before = kt_dump_db (db);

  assert_false (xul_kv_db_restore (db, foreign, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_INCOMPATIBLE_VERSION);
  after = kt_dump_db (db);
  tu_assert_same_bytes (before, after);
  kt_close_db (db);
}

/* ---- automatic backups ------------------------------------------------------------ */

static void
test_writable_open_with_default_settings_writes_a_backup (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "data.db");
  g_autofree char *bak = g_strconcat (path, ".bak", NULL);
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GError) error = NULL;

  kt_put (store, "k", "v");
  kt_close_db (db);
  g_clear_pointer (&store, xul_kv_store_unref);
  g_clear_object (&db);
  assert_false (tu_file_exists (bak));

  /* An existing database without a backup gets one as soon as it is opened. */
  db = xul_kv_db_open (path, XUL_KV_OPEN_NONE, &error);
  tu_assert_no_error (error);
  assert_non_null (db);
  assert_true (tu_file_exists (bak));
  assert_int_equal (tu_file_mode (bak), 0600);
  assert_true (file_has_key (bak, "s", "k"));
  assert_int_equal (tu_count_entries_containing (dir->path, ".tmp-"), 0);
  kt_close_db (db);
}

static void
test_new_database_with_default_settings_is_backed_up_by_close (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "data.db");
  g_autofree char *bak = g_strconcat (path, ".bak", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvDb) db = xul_kv_db_open (path, XUL_KV_OPEN_NONE, &error);
  g_autoptr (XulKvStore) store = NULL;

  tu_assert_no_error (error);
  assert_non_null (db);
  store = kt_open_store (db, "s", TRUE);
  kt_put (store, "k", "v");
  kt_close_db (db);
  assert_true (tu_file_exists (bak));
  assert_int_equal (tu_file_mode (bak), 0600);
  assert_true (file_has_key (bak, "s", "k"));
}

static void
test_recent_backup_is_not_rewritten_within_interval (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "data.db");
  g_autofree char *bak = g_strconcat (path, ".bak", NULL);
  g_autoptr (XulKvDb) db = kt_open_db_with_interval (path, XUL_KV_OPEN_NONE, HOUR_SECONDS);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GBytes) first = NULL;
  g_autoptr (GBytes) later = NULL;
  gint64 first_mtime;

  kt_put (store, "before", "1");
  kt_close_db (db);
  g_clear_pointer (&store, xul_kv_store_unref);
  g_clear_object (&db);
  assert_true (tu_file_exists (bak));
  first = tu_read_bytes (bak);
  first_mtime = mtime_ns (bak);

  /* Well within the hour: neither this open nor this close backs up again. */
  db = kt_open_db_with_interval (path, XUL_KV_OPEN_NONE, HOUR_SECONDS);
  store = kt_open_store (db, "s", FALSE);
  kt_put (store, "after", "2");
  kt_close_db (db);

  later = tu_read_bytes (bak);
  tu_assert_same_bytes (first, later);
  assert_true (mtime_ns (bak) == first_mtime);
  assert_true (file_has_key (bak, "s", "before"));
  assert_false (file_has_key (bak, "s", "after"));
}

static void
test_stale_backup_is_rewritten_at_open_and_close (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "data.db");
  g_autofree char *bak = g_strconcat (path, ".bak", NULL);
  g_autoptr (XulKvDb) db = kt_open_db_with_interval (path, XUL_KV_OPEN_NONE, HOUR_SECONDS);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);

  kt_put (store, "first", "1");
  kt_close_db (db);
  g_clear_pointer (&store, xul_kv_store_unref);
  g_clear_object (&db);
  assert_true (tu_file_exists (bak));

  /* Another write made without automatic backups, so the backup lacks it. */
  {
    g_autoptr (XulKvDb) writer = kt_open_db (path, XUL_KV_OPEN_NONE);
    g_autoptr (XulKvStore) s = kt_open_store (writer, "s", FALSE);

    kt_put (s, "second", "2");
    kt_close_db (writer);
  }
  assert_false (file_has_key (bak, "s", "second"));
  /* Two hours old, with an interval of one: the open backs up again. */
  backdate (bak, 2 * HOUR_SECONDS);
  assert_false (is_recent (bak));

  db = kt_open_db_with_interval (path, XUL_KV_OPEN_NONE, HOUR_SECONDS);
  assert_true (is_recent (bak));
  assert_true (file_has_key (bak, "s", "second"));
  assert_int_equal (tu_file_mode (bak), 0600);

  /* Gone stale while open: the close backs up again. */
  store = kt_open_store (db, "s", FALSE);
  kt_put (store, "third", "3");
  backdate (bak, 2 * HOUR_SECONDS);
  assert_false (file_has_key (bak, "s", "third"));
  kt_close_db (db);
  assert_true (is_recent (bak));
  assert_true (file_has_key (bak, "s", "third"));
  assert_int_equal (tu_count_entries_containing (dir->path, ".tmp-"), 0);
}

static void
test_zero_backup_interval_writes_no_backup (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "data.db");
  g_autofree char *bak = g_strconcat (path, ".bak", NULL);
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GError) error = NULL;

  kt_put (store, "k", "v");
  assert_true (xul_kv_db_maintain (db, &error));
  tu_assert_no_error (error);
  kt_close_db (db);
  g_clear_pointer (&store, xul_kv_store_unref);
  g_clear_object (&db);
  assert_false (tu_file_exists (bak));

  /* Not at a reopen of an existing file either. */
  db = kt_open_db (path, XUL_KV_OPEN_NONE);
  assert_false (tu_file_exists (bak));
  kt_close_db (db);
  assert_false (tu_file_exists (bak));
  assert_int_equal (tu_count_entries_containing (dir->path, ".bak"), 0);
}

static void
test_read_only_open_never_writes_a_backup (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "data.db");
  g_autofree char *bak = g_strconcat (path, ".bak", NULL);
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (GError) error = NULL;

  kt_put (store, "k", "v");
  kt_close_db (db);
  g_clear_pointer (&store, xul_kv_store_unref);
  g_clear_object (&db);

  /* Default settings, with a backup due: still nothing is written. */
  db = xul_kv_db_open (path, XUL_KV_OPEN_READ_ONLY, &error);
  tu_assert_no_error (error);
  assert_non_null (db);
  assert_false (tu_file_exists (bak));
  store = kt_open_store (db, "s", FALSE);
  kt_assert_value (store, "k", "v");
  kt_close_db (db);
  assert_false (tu_file_exists (bak));
  assert_int_equal (tu_count_entries_containing (dir->path, ".bak"), 0);
}

/* ---- maintenance and durability --------------------------------------------------- */

/* A backup cut short by a crash leaves its temporary file; a writable open removes the
 * old ones, and only those of this database. */
static void
test_writable_open_removes_old_leftover_backup_files (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "data.db");
  g_autofree char *old = tu_tmpdir_file (dir, "data.db.bak.tmp-A1b2C3");
  g_autofree char *young = tu_tmpdir_file (dir, "data.db.bak.tmp-D4e5F6");
  g_autofree char *not_ours = tu_tmpdir_file (dir, "data.db.bak.tmp-short");
  g_autofree char *other_db = tu_tmpdir_file (dir, "other.db.bak.tmp-G7h8I9");
  g_autoptr (XulKvDb) db = NULL;

  tu_write_aged_file (old, 3600);
  tu_write_aged_file (young, 10);
  tu_write_aged_file (not_ours, 3600);
  tu_write_aged_file (other_db, 3600);
  db = kt_open_db (path, XUL_KV_OPEN_NONE);
  assert_false (tu_file_exists (old));
  /* Young: perhaps another process's backup in progress. */
  assert_true (tu_file_exists (young));
  assert_true (tu_file_exists (not_ours));
  assert_true (tu_file_exists (other_db));
  kt_close_db (db);
}

static void
test_maintain_shrinks_file_after_mass_delete (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "big.db");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (XulKvStore) store = NULL;
  g_autoptr (GError) error = NULL;
  goffset full_size, after_maintain, after_close;
  guint64 count = 0;

  kt_populate (db, "big", 5000, 1024, 1024, 10);
  kt_close_db (db);
  g_clear_object (&db);
  full_size = tu_file_size (path);
  assert_true (full_size > 5000 * 1024);

  db = kt_open_db (path, XUL_KV_OPEN_NONE);
  store = kt_open_store (db, "big", FALSE);
  kt_put (store, "survivor", "still here");
  assert_true (xul_kv_store_delete (store, "survivor", 8, &error));
  tu_assert_no_error (error);
  assert_true (xul_kv_store_clear (store, &error));
  tu_assert_no_error (error);
  kt_put (store, "survivor", "still here");
  /* Deleting frees pages inside the file; only maintenance gives them back. */
  assert_int_equal (tu_file_size (path), full_size);

  assert_true (xul_kv_db_maintain (db, &error));
  tu_assert_no_error (error);
  /* With nothing else reading, the checkpoint copies the vacuumed file in full. */
  after_maintain = tu_file_size (path);
  assert_true (after_maintain < full_size / 10);
  kt_close_db (db);
  after_close = tu_file_size (path);
  assert_true (after_close < full_size / 10);

  /* What was kept is intact. */
  g_clear_pointer (&store, xul_kv_store_unref);
  g_clear_object (&db);
  db = kt_open_db (path, XUL_KV_OPEN_NONE);
  store = kt_open_store (db, "big", FALSE);
  assert_true (xul_kv_store_count (store, &count, &error));
  tu_assert_no_error (error);
  assert_int_equal (count, 1);
  kt_assert_value (store, "survivor", "still here");
  assert_true (xul_kv_db_check_integrity (db, &error));
  tu_assert_no_error (error);
  kt_close_db (db);
}

static void
test_sync_and_durable_commit_persist_data (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "durable.db");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (XulKvStore) store = kt_open_store (db, "s", TRUE);
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  g_autoptr (GError) error = NULL;

  /* Before any write there may be no WAL at all: sync is still fine. */
  assert_true (xul_kv_db_sync (db, &error));
  tu_assert_no_error (error);
  kt_put (store, "plain", "1");
  assert_true (xul_kv_db_sync (db, &error));
  tu_assert_no_error (error);
  xul_kv_batch_put (batch, store, "durable", 7, "2", 1);
  xul_kv_batch_set_meta (batch, "app.durable", "yes");
  kt_commit (db, batch, XUL_KV_COMMIT_DURABLE);
  kt_close_db (db);
  g_clear_pointer (&store, xul_kv_store_unref);
  g_clear_object (&db);

  db = kt_open_db (path, XUL_KV_OPEN_NONE);
  store = kt_open_store (db, "s", FALSE);
  kt_assert_value (store, "plain", "1");
  kt_assert_value (store, "durable", "2");
  kt_assert_meta (db, "app.durable", "yes");
  kt_close_db (db);
}

static void
test_sync_of_read_only_database_is_refused (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "ro.db");
  g_autoptr (XulKvDb) db = kt_open_db (path, XUL_KV_OPEN_NONE);
  g_autoptr (GError) error = NULL;

  kt_close_db (db);
  g_clear_object (&db);
  db = kt_open_db (path, XUL_KV_OPEN_READ_ONLY);
  assert_false (xul_kv_db_sync (db, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_READ_ONLY);
  assert_false (xul_kv_db_maintain (db, &error));
  tu_assert_error (error, XUL_KV_ERROR, XUL_KV_ERROR_READ_ONLY);
  kt_close_db (db);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_backup_to_default_path_is_private_and_self_contained),
    cmocka_unit_test (test_backup_to_explicit_path_writes_a_copy),
    cmocka_unit_test (test_restore_brings_back_backup_state_exactly),
    cmocka_unit_test (test_restore_refuses_garbage_and_leaves_database_unchanged),
    cmocka_unit_test (test_restore_refuses_missing_file_and_leaves_database_unchanged),
    cmocka_unit_test (test_restore_refuses_foreign_database),
    cmocka_unit_test (test_writable_open_with_default_settings_writes_a_backup),
    cmocka_unit_test (test_new_database_with_default_settings_is_backed_up_by_close),
    cmocka_unit_test (test_recent_backup_is_not_rewritten_within_interval),
    cmocka_unit_test (test_stale_backup_is_rewritten_at_open_and_close),
    cmocka_unit_test (test_zero_backup_interval_writes_no_backup),
    cmocka_unit_test (test_read_only_open_never_writes_a_backup),
    cmocka_unit_test (test_writable_open_removes_old_leftover_backup_files),
    cmocka_unit_test (test_maintain_shrinks_file_after_mass_delete),
    cmocka_unit_test (test_sync_and_durable_commit_persist_data),
    cmocka_unit_test (test_sync_of_read_only_database_is_refused),
  };

  /* A file created without an explicit mode would then show as 0644, not 0600. */
  umask (022);
  return tu_run ("kvcore-backup", tests);
}
