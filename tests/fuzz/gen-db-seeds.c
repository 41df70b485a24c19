/* gen-db-seeds.c: writes the seed corpus of fuzz-db-image into a directory.
 *
 * Usage: fuzz-gen-db-seeds OUTPUT-DIRECTORY
 *
 * The databases are made by the library itself (kvcore and XulStore), then rewritten
 * with 512-byte pages (VACUUM keeps application_id, user_version and auto_vacuum) so
 * that each seed is a few KiB and the fuzzer mutates pages, not padding. From those:
 * hostile variants that are valid SQLite files with content kvcore and XulStore never
 * write (values that break their schema's constraints, undecodable records, names over
 * the limits, foreign or newer files), a database with committed frames still in its
 * -wal, a damaged database with a good backup, and truncated or garbled copies; and the
 * bug-* reproducers of the findings in README.md. The layout of multi-file seeds is
 * described in fuzz-db-image.c. Output is not byte-for-byte reproducible (creation
 * times are recorded in the files). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "xulstore.h"

static const char wal_marker[] = "\n--xulstore-fuzz:wal--\n";
static const char bak_marker[] = "\n--xulstore-fuzz:bak--\n";

static char *work_dir, *out_dir;

static G_GNUC_NORETURN void
die (const char *what,
     const char *detail)
{
  fprintf (stderr, "fuzz-gen-db-seeds: %s: %s\n", what, detail);
  exit (1);
}

static char *
work_path (const char *name)
{
  return g_build_filename (work_dir, name, NULL);
}

static GBytes *
read_bytes (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *content;
  gsize len;

  if (!g_file_get_contents (path, &content, &len, &error))
    die ("read", error->message);
  return g_bytes_new_take (content, len);
}

static void
write_seed (const char *name,
            const void *data,
            gsize       len)
{
  g_autofree char *path = g_build_filename (out_dir, name, NULL);
  g_autoptr (GError) error = NULL;

  if (!g_file_set_contents (path, data, (gssize) len, &error))
    die ("write", error->message);
  printf ("%-40s %6" G_GSIZE_FORMAT " bytes\n", name, len);
}

static void
write_seed_bytes (const char *name,
                  GBytes     *bytes)
{
  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);

  write_seed (name, data, len);
}

/* A seed of several files, joined by the markers fuzz-db-image splits at. */
static void
write_seed_parts (const char *name,
                  GBytes     *db,
                  GBytes     *wal,
                  GBytes     *bak)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();

  g_byte_array_append (out, g_bytes_get_data (db, NULL), g_bytes_get_size (db));
  if (wal != NULL)
    {
      g_byte_array_append (out, (const guint8 *) wal_marker, strlen (wal_marker));
      g_byte_array_append (out, g_bytes_get_data (wal, NULL), g_bytes_get_size (wal));
    }
  if (bak != NULL)
    {
      g_byte_array_append (out, (const guint8 *) bak_marker, strlen (bak_marker));
      g_byte_array_append (out, g_bytes_get_data (bak, NULL), g_bytes_get_size (bak));
    }
  write_seed (name, out->data, out->len);
}

static sqlite3 *
sql_open (const char *path)
{
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    die ("open", sqlite3_errmsg (db));
  return db;
}

static void
sql_exec (sqlite3    *db,
          const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    die (sql, message);
}

static void
sql_close (sqlite3 *db)
{
  if (sqlite3_close (db) != SQLITE_OK)
    die ("close", sqlite3_errmsg (db));
}

/* Runs @sql on the database file at @path, with a plain connection. */
static void
sql_on_file (const char *path,
             const char *sql)
{
  sqlite3 *db = sql_open (path);

  sql_exec (db, sql);
  sql_close (db);
}

/* Rewrites the file with 512-byte pages, back in WAL mode as kvcore leaves it. */
static void
shrink (const char *path)
{
  sql_on_file (path, "PRAGMA journal_mode = DELETE; PRAGMA page_size = 512; VACUUM;"
                     "PRAGMA journal_mode = WAL;");
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autoptr (GBytes) bytes = read_bytes (from);
  g_autoptr (GError) error = NULL;

  if (!g_file_set_contents (to, g_bytes_get_data (bytes, NULL),
                            (gssize) g_bytes_get_size (bytes), &error))
    die ("copy", error->message);
}

static void
remove_companions (const char *path)
{
  static const char *const suffixes[] = { "-wal", "-shm", ".bak", ".lock" };

  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);
      g_unlink (file);
    }
}

static void
check (gboolean     ok,
       const GError *error)
{
  if (!ok)
    die ("library", error != NULL ? error->message : "failed");
}

/* An empty kvcore database, as the library creates it. */
static char *
make_fresh (void)
{
  char *path = work_path ("fresh.db");
  g_autoptr (GError) error = NULL;
  XulKvDb *db = xul_kv_db_open (path, XUL_KV_OPEN_NONE, &error);

  check (db != NULL, error);
  check (xul_kv_db_close (db, &error), error);
  g_object_unref (db);
  remove_companions (path);
  shrink (path);
  return path;
}

/* A small XulStore: two documents, non-ASCII names, an empty value. */
static char *
make_xulstore (void)
{
  static const char *const tuples[][4] = {
    { "chrome://browser/content/browser.xhtml", "main-window", "width", "1280" },
    { "chrome://browser/content/browser.xhtml", "main-window", "height", "800" },
    { "chrome://browser/content/browser.xhtml", "main-window", "sizemode", "normal" },
    { "chrome://browser/content/browser.xhtml", "sidebar-box", "checked", "" },
    { "chrome://browser/content/browser.xhtml", "sidebar-box", "style", "width: 2px; \"q\"" },
    { "chrome://browser/content/places/places.xhtml", "placesList", "open", "true" },
    { "chrome://app/content/caf\xc3\xa9.xhtml", "\xe4\xb8\xad\xe6\x96\x87",
      "\xf0\x9f\x98\x80", "-moz-missing\n" },
  };
  char *path = work_path ("xulstore.db");
  g_autoptr (GError) error = NULL;
  XulStore *store = xul_store_new (path, XUL_STORE_FLAGS_NONE, &error);

  check (store != NULL, error);
  for (gsize i = 0; i < G_N_ELEMENTS (tuples); i++)
    check (xul_store_set_value (store, tuples[i][0], tuples[i][1], tuples[i][2],
                                tuples[i][3], &error), error);
  check (xul_store_close (store, &error), error);
  g_object_unref (store);
  remove_companions (path);
  shrink (path);
  return path;
}

/* kvcore on its own: several stores, binary keys and values, meta records. */
static char *
make_kv_multi (void)
{
  char *path = work_path ("kv-multi.db");
  g_autoptr (GError) error = NULL;
  XulKvDb *db = xul_kv_db_open (path, XUL_KV_OPEN_NONE, &error);
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  const char *names[] = { "alpha", "beta", "\xc3\xa9t\xc3\xa9" };

  check (db != NULL, error);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (XulKvStore) store = xul_kv_db_open_store (db, names[i], XUL_KV_STORE_CREATE,
                                                           &error);
      check (store != NULL, error);
      for (guint k = 0; k < 6; k++)
        {
          guint8 key[] = { (guint8) ('a' + k), 0x00, 0xff, (guint8) k };
          guint8 value[8] = { 0 };
          memset (value, (int) (k * 37 + i), k);
          xul_kv_batch_put (batch, store, key, 1 + k % 4, value, k);
        }
    }
  xul_kv_batch_set_meta (batch, "migrate.legacy-import",
                         "{\"source\":\"xulstore.json\",\"documents\":1}");
  xul_kv_batch_set_meta (batch, "fuzz.meta", "seed");
  check (xul_kv_db_commit (db, batch, XUL_KV_COMMIT_DURABLE, &error), error);
  check (xul_kv_db_close (db, &error), error);
  g_object_unref (db);
  remove_companions (path);
  shrink (path);
  return path;
}

/* A copy of @base changed by @sql (run without SQLite's defensive mode, so that it can
 * write what kvcore never does), as a seed. */
static void
variant (const char *seed,
         const char *base,
         const char *sql)
{
  g_autofree char *path = work_path (seed);
  g_autoptr (GBytes) bytes = NULL;

  copy_file (base, path);
  sql_on_file (path, sql);
  bytes = read_bytes (path);
  write_seed_bytes (seed, bytes);
}

/* Inserts raw records into the store "xulstore" of the file at @path. */
static void
insert_records (const char         *path,
                const char *const  *records,
                gsize               n_records)
{
  sqlite3 *db = sql_open (path);
  sqlite3_stmt *stmt = NULL;

  sql_exec (db, "PRAGMA ignore_check_constraints = ON");
  if (sqlite3_prepare_v2 (db, "INSERT OR REPLACE INTO data (store_id, key, value) VALUES "
                              "((SELECT id FROM stores WHERE name = 'xulstore'), ?1, ?2)",
                          -1, &stmt, NULL) != SQLITE_OK)
    die ("prepare", sqlite3_errmsg (db));
  for (gsize i = 0; i < n_records; i += 2)
    {
      const char *key = records[i], *value = records[i + 1];
      /* Keys are written "doc|id|attr" here, '|' standing for 0x00. */
      g_autofree char *raw = g_strdup (key);
      gsize key_len = strlen (raw);
      for (gsize c = 0; c < key_len; c++)
        if (raw[c] == '|')
          raw[c] = '\0';
      sqlite3_bind_blob (stmt, 1, raw, (int) key_len, SQLITE_TRANSIENT);
      sqlite3_bind_blob (stmt, 2, value, (int) strlen (value), SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        die ("insert", sqlite3_errmsg (db));
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  sql_close (db);
}

static void
make_undecodable (const char *base)
{
  static const char *const records[] = {
    "doc|id", "two parts",
    "doc|id|attr|more", "four parts",
    "doc|id|attr\xff", "invalid UTF-8 in the attribute",
    "d\xc3\x28|id|attr", "invalid UTF-8 in the document",
    "doc|id|ok", "value\xc0\xaf",
    "doc|id|fine", "good value",
    "|||", "empty parts",
    "||", "",
  };
  g_autofree char *path = work_path ("undecodable.db");
  g_autoptr (GBytes) bytes = NULL;

  copy_file (base, path);
  insert_records (path, records, G_N_ELEMENTS (records));
  /* A value holding NUL cannot go through a C string above. */
  sql_on_file (path, "INSERT INTO data (store_id, key, value) SELECT id, "
                     "X'646F63006964006E756C', X'610062' FROM stores WHERE name = 'xulstore'");
  bytes = read_bytes (path);
  write_seed_bytes ("xulstore-undecodable.db", bytes);
}

static void
make_over_limits (const char *base)
{
  g_autofree char *long_doc = g_strnfill (2100, 'd');
  g_autofree char *long_id = g_strnfill (513, 'i');
  g_autofree char *long_attr = g_strnfill (513, 'a');
  g_autofree char *long_value = g_strnfill (4097, 'v');
  g_autofree char *key_doc = g_strdup_printf ("%s|id|attr", long_doc);
  g_autofree char *key_id = g_strdup_printf ("chrome://x|%s|attr", long_id);
  g_autofree char *key_attr = g_strdup_printf ("chrome://x|id|%s", long_attr);
  const char *records[] = {
    key_doc, "long document",
    key_id, "long id",
    key_attr, "long attribute",
    "chrome://x|id|value", long_value,
  };
  g_autofree char *path = work_path ("over-limits.db");
  g_autoptr (GBytes) bytes = NULL;

  copy_file (base, path);
  insert_records (path, records, G_N_ELEMENTS (records));
  bytes = read_bytes (path);
  write_seed_bytes ("bug-names-over-limits-listed.db", bytes);
}

/* Committed transactions still in the -wal, as a crash leaves them. */
static void
make_wal_pending (const char *base)
{
  g_autofree char *path = work_path ("wal.db");
  g_autofree char *wal_path = g_strconcat (path, "-wal", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) db_bytes = NULL, wal_bytes = NULL;
  XulStore *store;

  copy_file (base, path);
  store = xul_store_new (path, XUL_STORE_FLAGS_NONE, &error);
  check (store != NULL, error);
  check (xul_store_set_value (store, "chrome://wal/content/a.xhtml", "win", "width", "640",
                              &error), error);
  check (xul_store_set_value (store, "chrome://browser/content/browser.xhtml", "main-window",
                              "width", "1920", &error), error);
  check (xul_store_remove_value (store, "chrome://browser/content/browser.xhtml",
                                 "main-window", "height", &error), error);
  check (xul_store_flush (store, &error), error);
  /* Copied while the store is open: what a crash at this moment leaves. */
  db_bytes = read_bytes (path);
  wal_bytes = read_bytes (wal_path);
  check (xul_store_close (store, &error), error);
  g_object_unref (store);
  write_seed_parts ("xulstore-wal-pending.img", db_bytes, wal_bytes, NULL);

  /* The same -wal, torn: its last frame cut in half. */
  {
    gsize len = g_bytes_get_size (wal_bytes);
    g_autoptr (GBytes) torn = g_bytes_new_from_bytes (wal_bytes, 0, len > 300 ? len - 300 : len);
    write_seed_parts ("xulstore-wal-torn.img", db_bytes, torn, NULL);
  }
}

/* A damaged database whose backup is sound: what recovery restores. */
static void
make_with_backup (const char *base)
{
  g_autofree char *bak = work_path ("backup.db");
  g_autoptr (GBytes) good = NULL, bak_bytes = NULL, damaged = NULL;
  gsize len;
  guint8 *copy;

  copy_file (base, bak);
  sql_on_file (bak, "PRAGMA journal_mode = DELETE"); /* backups are self-contained */
  bak_bytes = read_bytes (bak);
  good = read_bytes (base);
  copy = g_bytes_unref_to_data (g_bytes_ref (good), &len);
  for (gsize i = 1024; i < len; i += 97) /* garble every page after the second */
    copy[i] ^= 0x5a;
  damaged = g_bytes_new_take (copy, len);
  write_seed_parts ("damaged-with-backup.img", damaged, NULL, bak_bytes);
  write_seed_parts ("good-with-backup.img", good, NULL, bak_bytes);
}

/* A damaged database whose backup fails with an error that is neither CORRUPT nor
 * INCOMPATIBLE_VERSION (its header names schema format 5). */
static void
make_bad_backup (const char *base)
{
  g_autoptr (GBytes) good = read_bytes (base);
  g_autoptr (GBytes) damaged = g_bytes_new_static ("this is not a database", 22);
  gsize len;
  guint8 *copy = g_bytes_unref_to_data (g_bytes_ref (good), &len);
  g_autoptr (GBytes) bak = NULL;

  copy[47] = 5; /* schema format number, big-endian at offset 44: 1 to 4 are valid */
  copy[18] = copy[19] = 1; /* rollback journal, as backups are */
  bak = g_bytes_new_take (copy, len);
  write_seed_parts ("bug-bad-backup-blocks-recovery.img", damaged, NULL, bak);
}

static void
make_garbled (const char *name,
              const char *base)
{
  g_autoptr (GBytes) bytes = read_bytes (base);
  gsize len = g_bytes_get_size (bytes);
  const guint8 *data = g_bytes_get_data (bytes, NULL);
  g_autofree char *seed = NULL;
  guint8 *copy;

  seed = g_strdup_printf ("%s-truncated-100", name);
  write_seed (seed, data, MIN (len, 100));
  g_free (seed);
  seed = g_strdup_printf ("%s-truncated-half", name);
  write_seed (seed, data, len / 2);
  g_free (seed);
  seed = g_strdup_printf ("%s-truncated-page", name);
  write_seed (seed, data, len > 512 ? len - 512 : len);

  /* Header: a page size that is not a power of two. */
  copy = g_memdup2 (data, len);
  copy[16] = 0x03;
  copy[17] = 0x00;
  g_free (seed);
  seed = g_strdup_printf ("%s-bad-page-size", name);
  write_seed (seed, copy, len);
  g_free (copy);

  /* The last page: every byte flipped. */
  copy = g_memdup2 (data, len);
  for (gsize i = len > 512 ? len - 512 : 0; i < len; i++)
    copy[i] = (guint8) ~copy[i];
  g_free (seed);
  seed = g_strdup_printf ("%s-last-page-flipped", name);
  write_seed (seed, copy, len);
  g_free (copy);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *fresh = NULL, *xulstore = NULL, *multi = NULL;

  if (argc != 2)
    {
      fprintf (stderr, "Usage: %s OUTPUT-DIRECTORY\n", argv[0]);
      return 2;
    }
  out_dir = argv[1];
  if (g_mkdir_with_parents (out_dir, 0755) != 0)
    die ("mkdir", out_dir);
  work_dir = g_dir_make_tmp ("fuzz-gen-db-seeds-XXXXXX", &error);
  if (work_dir == NULL)
    die ("tmpdir", error->message);

  fresh = make_fresh ();
  xulstore = make_xulstore ();
  multi = make_kv_multi ();
  write_seed ("empty-file.db", "", 0);
  {
    g_autoptr (GBytes) b = read_bytes (fresh);
    write_seed_bytes ("kvcore-fresh.db", b);
  }
  {
    g_autoptr (GBytes) b = read_bytes (xulstore);
    write_seed_bytes ("xulstore-small.db", b);
  }
  {
    g_autoptr (GBytes) b = read_bytes (multi);
    write_seed_bytes ("kvcore-multi.db", b);
  }

  /* Files that are not, or no longer, what kvcore accepts. */
  variant ("foreign-application-id.db", xulstore, "PRAGMA application_id = 305419896");
  variant ("newer-schema.db", xulstore, "PRAGMA user_version = 2");
  variant ("no-application-id.db", xulstore, "PRAGMA application_id = 0");
  variant ("rollback-journal.db", xulstore, "PRAGMA journal_mode = DELETE");
  variant ("schema-zero-empty.db", fresh,
           "DROP TABLE data; DROP TABLE stores; DROP TABLE meta; PRAGMA user_version = 0");
  variant ("missing-data-table.db", xulstore, "DROP TABLE data");
  /* Every write fails: flush and close must report it in the XulStore domain. */
  variant ("data-as-view.db", xulstore,
           "ALTER TABLE data RENAME TO data_old;"
           "CREATE VIEW data AS SELECT * FROM data_old");
  variant ("data-with-trigger.db", xulstore,
           "CREATE TRIGGER t AFTER INSERT ON data BEGIN DELETE FROM stores; END");

  /* Records kvcore's constraints forbid: constraints are checked on write only. */
  variant ("odd-keys.db", xulstore,
           "PRAGMA ignore_check_constraints = ON;"
           "INSERT INTO data SELECT id, 42, 4.5 FROM stores WHERE name = 'xulstore';"
           "INSERT INTO data SELECT id, X'6400690061', 'text value' FROM stores "
           "WHERE name = 'xulstore';");
  variant ("odd-store-names.db", multi,
           "INSERT INTO stores (name) VALUES (char(1) || 'ctl'), (''), (X'FFFE'),"
           "(printf('%.300c', 'n')), (CAST(X'78756C73746F7265' AS TEXT) || char(127)), (7);"
           "INSERT INTO data SELECT id, X'6B', X'76' FROM stores;");
  variant ("odd-meta.db", multi,
           "INSERT OR REPLACE INTO meta VALUES ('kvcore.last-recovery', CAST(X'C0AF' AS TEXT)),"
           "('migrate.mirror-sha256', 12), ('migrate.legacy-import', X'00');");
  variant ("orphan-records.db", xulstore,
           "PRAGMA foreign_keys = OFF;"
           "INSERT INTO data VALUES (999, X'610062006300', X'76');"
           "DELETE FROM stores WHERE name = 'xulstore';"
           "INSERT INTO stores (id, name) VALUES (9999999999, 'xulstore');");
  make_undecodable (xulstore);

  /* Reproducers of the bugs the fuzzers found (see README.md, "Findings"); each must
   * pass once its bug is fixed. */
  variant ("bug-empty-key-memchr-null.db", xulstore,
           "PRAGMA ignore_check_constraints = ON;"
           "INSERT INTO data SELECT id, X'', X'76' FROM stores WHERE name = 'xulstore';");
  variant ("bug-text-key-listed.db", xulstore,
           "PRAGMA ignore_check_constraints = ON;"
           "INSERT INTO data SELECT id, 'text' || char(0) || 'id' || char(0) || 'attr', "
           "X'76' FROM stores WHERE name = 'xulstore';");
  /* NOT NULL is in the schema's text only: without it, NULLs can be stored. */
  variant ("bug-null-meta-value.db", xulstore,
           "PRAGMA writable_schema = ON;"
           "UPDATE sqlite_schema SET sql = replace(sql, 'value TEXT NOT NULL', 'value TEXT') "
           "WHERE name = 'meta';");
  {
    g_autofree char *path = work_path ("bug-null-meta-value.db");
    g_autoptr (GBytes) bytes = NULL;
    sql_on_file (path, "INSERT INTO meta VALUES ('fuzz.meta', NULL);");
    bytes = read_bytes (path);
    write_seed_bytes ("bug-null-meta-value.db", bytes);
  }
  variant ("bug-null-store-name.db", multi,
           "PRAGMA writable_schema = ON;"
           "UPDATE sqlite_schema SET sql = replace(sql, 'name TEXT NOT NULL UNIQUE', "
           "'name TEXT UNIQUE') WHERE name = 'stores';");
  {
    g_autofree char *path = work_path ("bug-null-store-name.db");
    g_autoptr (GBytes) bytes = NULL;
    sql_on_file (path, "INSERT INTO stores (name) VALUES (NULL);");
    bytes = read_bytes (path);
    write_seed_bytes ("bug-null-store-name.db", bytes);
  }
  variant ("bug-schema-damage-not-recovered.db", xulstore,
           "PRAGMA writable_schema = ON;"
           "UPDATE sqlite_schema SET sql = replace(sql, 'typeof', 'tyeopf') WHERE name = 'data';");
  variant ("bug-user-version-zero.db", xulstore, "PRAGMA user_version = 0");
  variant ("bug-message-not-utf8.db", xulstore,
           "PRAGMA writable_schema = ON;"
           "UPDATE sqlite_schema SET sql = replace(sql, 'length', CAST(X'6CEC6E677468' AS TEXT)) "
           "WHERE name = 'data';");
  variant ("bug-store-open-corrupt-not-recovered.db", xulstore,
           "UPDATE stores SET name = 'renamed' WHERE name = 'xulstore';"
           "PRAGMA writable_schema = ON;"
           "UPDATE sqlite_schema SET sql = 'CREATE TABLE sqlite_sequence(name)' "
           "WHERE name = 'sqlite_sequence';");
  make_over_limits (xulstore);
  make_bad_backup (xulstore);

  make_wal_pending (xulstore);
  make_with_backup (xulstore);
  make_garbled ("xulstore", xulstore);
  make_garbled ("kvcore", multi);

  {
    g_autoptr (GDir) dir = g_dir_open (work_dir, 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = work_path (name);
        g_unlink (path);
      }
    g_rmdir (work_dir);
  }
  return 0;
}
