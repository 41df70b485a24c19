/* test-corruption.c: corruption campaign against kvcore and XulStore files.
 *
 * Two populated files are built once: a kvcore database of about 1.25 MiB (four stores,
 * 2700 keys, values up to 8 KiB so that some spill to overflow pages, a few meta
 * records, a dropped store leaving free pages; over 1 MiB, so that an open after a clean
 * close does not check it) and a XulStore file of 700 values (under 1 MiB: checked at
 * every open). Each exists with and without a backup
 * (<db>.bak, written by xul_kv_db_backup() before the last changes, so that the backup's
 * content differs from the file's).
 *
 * Each case copies one of them and damages the copy in one way (see damage_names): bit
 * flips at random offsets (1, 10, 100 bits, or 1 in the 100-byte header), a run of random
 * bytes, a zeroed page, truncation (to 0, to a page boundary, mid-page), a zeroed header
 * or first page, a stray -wal (from another database, full or partial, or garbage), a
 * -shm of garbage, the whole file replaced by garbage, a directory in place of the file.
 * The damaged copy is opened twice, each time from a fresh copy and in a child process
 * with an alarm() watchdog: writable with recovery allowed, and read-only without
 * recovery (XUL_KV_OPEN_READ_ONLY | XUL_KV_OPEN_NO_RECOVERY; a read-only XulStore). The
 * child reads everything (every store by iteration and point reads, the meta records;
 * every document, element and value), runs integrity_check and classifies the outcome:
 *
 *   intact            opened without recovery, data equal to the original (the damage
 *                     hit unused space), integrity_check passes
 *   restored          recovery from the backup: quarantine file kept with the damaged
 *                     bytes, data equal to the backup's
 *   started-empty     recovery without a (usable) backup: quarantine kept, no data
 *   refused-corrupt   the open failed with CORRUPT naming the file (the file untouched)
 *   refused-foreign   the open failed with INCOMPATIBLE_VERSION: a damaged header that
 *                     reads as another application's or a newer version's file
 *   refused-other     any other error (expected only for the directory: IO)
 *   late-corrupt      opened without recovery, a later read failed with CORRUPT (the
 *                     library checks at open only files under 1 MiB or after a crash);
 *                     writable opens then call xul_kv_db_recover() and check it
 *   silent-undetected opened without recovery, data differs, integrity_check passes:
 *                     damage SQLite cannot see (a flipped bit in a value)
 *   silent-left       opened without recovery, data differs or reads disagree, and
 *                     integrity_check fails: corruption left in place
 *   intact-but-damaged data equal, but integrity_check fails
 *   crash, hang       the child died of a signal, or the watchdog fired
 *
 * and checks the outcome's promises (quarantine bytes, restored data, no recovery in a
 * read-only open, read-only opens leave the files as they were, errors name the file).
 * Counts per damage kind and outcome are printed as TAP comments; details of every
 * silent corruption and every broken promise too. The test fails on crashes, hangs and
 * broken promises, and on silent data loss that the library could have detected
 * (see is_failure()).
 *
 * Environment: XUL_CORRUPT_CASES (damaged files, default 200; each is opened twice),
 * XUL_CORRUPT_SEED, XUL_CORRUPT_FIRST (the number of the first case: with the seed and
 * XUL_CORRUPT_CASES=1, replays one case), XUL_CORRUPT_KEEP (a directory where the
 * damaged files of failing cases are kept, as case-<n>/), XUL_CORRUPT_VERBOSE (print
 * every case). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "test-process.h"
#include "xs-test.h"

/* An open and a full read take well under a second (a few under valgrind). */
#define CASE_ALARM_S 20
#define CASE_ALARM_VALGRIND_S 300
#define PAGE_SIZE_DEFAULT 4096

/* -- models: printable key -> GBytes value ----------------------------------------------- */

static GHashTable *
model_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                (GDestroyNotify) g_bytes_unref);
}

static GHashTable *
model_copy (GHashTable *model)
{
  GHashTable *copy = model_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, model);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy, g_strdup (key), g_bytes_ref (value));
  return copy;
}

/* "<store>/<key in hex>" */
static char *
kv_model_key (const char   *store,
              const guint8 *key,
              gsize         len)
{
  GString *out = g_string_new (store);

  g_string_append_c (out, '/');
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (out, "%02x", key[i]);
  return g_string_free (out, FALSE);
}

static char *
xul_model_key (const char *doc,
               const char *id,
               const char *attr)
{
  return g_strconcat (doc, " | ", id, " | ", attr, NULL);
}

/* How many keys hold different values in @a and @b (absent counts as a value). */
static guint
model_distance (GHashTable *a,
                GHashTable *b)
{
  GHashTableIter iter;
  gpointer key, value;
  guint n = 0;

  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GBytes *other = g_hash_table_lookup (b, key);
      n += other == NULL || !g_bytes_equal (value, other);
    }
  g_hash_table_iter_init (&iter, b);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    n += !g_hash_table_contains (a, key);
  return n;
}

/* -- fixtures ---------------------------------------------------------------------------- */

typedef enum {
  TARGET_KV,
  TARGET_XUL,
} Target;

static const char *const target_names[] = { "kvcore", "xulstore" };

typedef struct {
  Target target;
  char *dir;            /* the pristine files: <db>, <db>.bak */
  char *db_name;
  GHashTable *original; /* the file's content */
  GHashTable *backup;   /* the backup's content */
  gsize size;           /* of the file */
} Fixture;

static const char *const kv_stores[] = { "alpha", "beta", "gamma", "delta" };
static const char *const kv_meta_keys[] = { "app.version", "app.note", "app.empty" };

static void
random_fill (GRand  *rand,
             guint8 *data,
             gsize   len)
{
  for (gsize i = 0; i < len; i++)
    data[i] = (guint8) g_rand_int_range (rand, 0, 256);
}

/* A value that compresses nothing and shows its key: a random body behind a header. */
static GBytes *
kv_value (GRand      *rand,
          const char *store,
          guint       i,
          guint       generation,
          gsize       len)
{
  g_autofree char *head = g_strdup_printf ("%s:%u:%u:", store, i, generation);
  guint8 *data = g_malloc (MAX (len, strlen (head)));

  random_fill (rand, data, MAX (len, strlen (head)));
  memcpy (data, head, strlen (head));
  return g_bytes_new_take (data, MAX (len, strlen (head)));
}

static GBytes *
kv_key (GRand      *rand,
        const char *store,
        guint       i)
{
  if (strcmp (store, "delta") == 0)
    {
      /* binary keys, with zero bytes */
      guint8 key[12];
      random_fill (rand, key, sizeof key);
      key[0] = 0;
      key[1] = (guint8) (i >> 8);
      key[2] = (guint8) i;
      return g_bytes_new (key, sizeof key);
    }
  {
    char *text = g_strdup_printf ("key/%s/%06u", store, i);
    return g_bytes_new_take (text, strlen (text));
  }
}

static gsize
kv_value_length (GRand      *rand,
                 const char *store)
{
  if (strcmp (store, "alpha") == 0)
    return (gsize) g_rand_int_range (rand, 20, 200);
  if (strcmp (store, "beta") == 0)
    return (gsize) g_rand_int_range (rand, 100, 900);
  if (strcmp (store, "gamma") == 0)
    return g_rand_int_range (rand, 0, 4) == 0 ? (gsize) g_rand_int_range (rand, 3000, 8000)
                                              : (gsize) g_rand_int_range (rand, 200, 900);
  return (gsize) g_rand_int_range (rand, 1, 64);
}

static void
kv_put (XulKvBatch *batch,
        XulKvStore *store,
        GHashTable *model,
        GBytes     *key,
        GBytes     *value)
{
  gsize key_len, value_len;
  const guint8 *key_data = g_bytes_get_data (key, &key_len);
  const guint8 *value_data = g_bytes_get_data (value, &value_len);

  xul_kv_batch_put (batch, store, key_data, key_len, value_data, value_len);
  g_hash_table_replace (model, kv_model_key (xul_kv_store_get_name (store), key_data, key_len),
                        g_bytes_ref (value));
}

static void
commit (XulKvDb    *db,
        XulKvBatch *batch)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_kv_db_commit (db, batch, XUL_KV_COMMIT_NONE, &error));
  tu_assert_no_error (error);
}

static XulKvDb *
open_kv_without_backups (const char *path)
{
  g_autoptr (GError) error = NULL;
  XulKvDb *db = g_initable_new (XUL_TYPE_KV_DB, NULL, &error, "path", path,
                                "backup-interval", (gint64) 0, NULL);

  tu_assert_no_error (error);
  assert_non_null (db);
  return db;
}

static void
set_meta (XulKvDb    *db,
          GHashTable *model,
          const char *key,
          const char *value)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_kv_db_set_meta (db, key, value, &error));
  tu_assert_no_error (error);
  g_hash_table_replace (model, g_strconcat ("#meta/", key, NULL),
                        g_bytes_new (value, strlen (value)));
}

/* The kvcore fixture: about 1.25 MiB (over 1 MiB, so that opens after a clean close do
 * not check it). */
static void
build_kv_fixture (Fixture *f,
                  guint32  seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autofree char *path = g_build_filename (f->dir, f->db_name, NULL);
  g_autoptr (XulKvDb) db = open_kv_without_backups (path);
  g_autoptr (GError) error = NULL;
  static const guint counts[] = { 1500, 800, 200, 250 };
  XulKvStore *stores[G_N_ELEMENTS (kv_stores)];
  g_autoptr (XulKvStore) scratch = NULL;
  GHashTable *model = model_new ();

  for (guint s = 0; s < G_N_ELEMENTS (kv_stores); s++)
    {
      stores[s] = xul_kv_db_open_store (db, kv_stores[s], XUL_KV_STORE_CREATE, &error);
      tu_assert_no_error (error);
      for (guint i = 0; i < counts[s];)
        {
          g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
          for (guint end = MIN (i + 200, counts[s]); i < end; i++)
            {
              g_autoptr (GBytes) key = kv_key (rand, kv_stores[s], i);
              g_autoptr (GBytes) value =
                kv_value (rand, kv_stores[s], i, 0, kv_value_length (rand, kv_stores[s]));
              kv_put (batch, stores[s], model, key, value);
            }
          commit (db, batch);
        }
    }
  /* A store dropped whole leaves free pages (fewer than a quarter of the file, so that
   * no incremental vacuum gives them back). */
  scratch = xul_kv_db_open_store (db, "scratch", XUL_KV_STORE_CREATE, &error);
  tu_assert_no_error (error);
  {
    g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
    g_autoptr (GHashTable) ignored = model_new ();
    for (guint i = 0; i < 150; i++)
      {
        g_autoptr (GBytes) key = kv_key (rand, "scratch", i);
        g_autoptr (GBytes) value = kv_value (rand, "scratch", i, 0, 900);
        kv_put (batch, scratch, ignored, key, value);
      }
    commit (db, batch);
  }
  assert_true (xul_kv_db_drop_store (db, "scratch", &error));
  tu_assert_no_error (error);
  set_meta (db, model, kv_meta_keys[0], "1.0");
  set_meta (db, model, kv_meta_keys[1], "a note, with ü and \"quotes\"");

  /* The backup, then changes the backup does not have. */
  assert_true (xul_kv_db_backup (db, NULL, &error));
  tu_assert_no_error (error);
  f->backup = model_copy (model);
  {
    g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
    for (guint i = 0; i < 200; i++)
      {
        guint k = (guint) g_rand_int_range (rand, 0, (gint32) counts[0]);
        g_autoptr (GRand) key_rand = g_rand_new_with_seed (0);
        g_autoptr (GBytes) key = kv_key (key_rand, "alpha", k);
        g_autoptr (GBytes) value = kv_value (rand, "alpha", k, 1, kv_value_length (rand, "alpha"));
        kv_put (batch, stores[0], model, key, value);
      }
    for (guint i = 0; i < 50; i++)
      {
        g_autoptr (GRand) key_rand = g_rand_new_with_seed (0);
        g_autoptr (GBytes) key = kv_key (key_rand, "beta", i * 7);
        gsize len;
        const guint8 *data = g_bytes_get_data (key, &len);
        g_autofree char *model_key = kv_model_key ("beta", data, len);

        xul_kv_batch_delete (batch, stores[1], data, len);
        g_hash_table_remove (model, model_key);
      }
    commit (db, batch);
  }
  set_meta (db, model, kv_meta_keys[0], "1.1");
  for (guint s = 0; s < G_N_ELEMENTS (kv_stores); s++)
    xul_kv_store_unref (stores[s]);
  assert_true (xul_kv_db_close (db, &error));
  tu_assert_no_error (error);
  f->original = model;
}

static void
xul_set (XulStore   *store,
         GHashTable *model,
         const char *doc,
         const char *id,
         const char *attr,
         const char *value)
{
  xs_set (store, doc, id, attr, value);
  g_hash_table_replace (model, xul_model_key (doc, id, attr), g_bytes_new (value, strlen (value)));
}

/* The XulStore fixture: a few hundred values, well under 1 MiB. */
static void
build_xul_fixture (Fixture *f,
                   guint32  seed)
{
  static const char *const xdocs[] = {
    "chrome://browser/content/browser.xhtml", "about:preferences", "about:addons",
    "chrome://global/content/ü.xhtml", "chrome://devtools/content/toolbox.xhtml",
    "doc-6",
  };
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autofree char *path = g_build_filename (f->dir, f->db_name, NULL);
  g_autoptr (XulStore) store = NULL;
  g_autoptr (GError) error = NULL;
  GHashTable *model = model_new ();

  /* Only flushes commit (the write delay is a minute), every 50 values: the same seed
   * gives the same batches, hence the same pages, and a case replays exactly. */
  store = g_initable_new (XUL_TYPE_STORE, NULL, &error, "path", path, "write-delay", 60000, NULL);
  tu_assert_no_error (error);
  for (guint i = 0; i < 600; i++)
    {
      if (i % 50 == 49)
        {
          assert_true (xul_store_flush (store, &error));
          tu_assert_no_error (error);
        }
      g_autofree char *id = g_strdup_printf ("element-%u", i / 4);
      g_autofree char *attr = g_strdup_printf ("attr-%u", i % 4);
      g_autofree char *value = g_strdup_printf ("%u %s", i, i % 7 == 0 ? "a longer value, "
                                                "to spread the records over more pages "
                                                "than a few" : "v");
      xul_set (store, model, xdocs[g_rand_int_range (rand, 0, G_N_ELEMENTS (xdocs))], id,
               attr, value);
    }
  assert_true (xul_store_flush (store, &error));
  tu_assert_no_error (error);
  assert_true (xul_kv_db_backup (xul_store_get_db (store), NULL, &error));
  tu_assert_no_error (error);
  f->backup = model_copy (model);
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *attr = g_strdup_printf ("attr-%u", i);
      g_autofree char *value = g_strdup_printf ("after the backup %u", i);
      xul_set (store, model, xdocs[i % G_N_ELEMENTS (xdocs)], "late", attr, value);
    }
  xs_close (store);
  f->original = model;
}

/* -- reading everything, in the child ---------------------------------------------------- */

/* Whether @error means corruption, in either domain. */
static gboolean
is_corrupt (const GError *error)
{
  return g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_CORRUPT) ||
         g_error_matches (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CORRUPT);
}

/* Sets *inconsistent when two ways of reading the same record disagree. */
static GHashTable *
dump_kv (XulKvDb  *db,
         gboolean *inconsistent,
         GError  **error)
{
  g_autoptr (GHashTable) dump = model_new ();
  g_auto (GStrv) names = xul_kv_db_list_stores (db, error);

  *inconsistent = FALSE;
  if (names == NULL)
    return NULL;
  for (guint s = 0; names[s] != NULL; s++)
    {
      g_autoptr (XulKvStore) store = xul_kv_db_open_store (db, names[s], XUL_KV_STORE_NONE, error);
      g_autoptr (XulKvIter) iter = NULL;
      g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      guint64 count = 0;

      if (store == NULL)
        return NULL;
      iter = xul_kv_store_iter_prefix (store, NULL, 0, error);
      if (iter == NULL)
        return NULL;
      while (xul_kv_iter_next (iter, error))
        {
          gsize key_len, value_len;
          const guint8 *key = xul_kv_iter_get_key (iter, &key_len);
          const guint8 *value = xul_kv_iter_get_value (iter, &value_len);
          g_hash_table_replace (dump, kv_model_key (names[s], key, key_len),
                                g_bytes_new (value, value_len));
          g_ptr_array_add (keys, g_bytes_new (key, key_len));
        }
      if (*error != NULL)
        return NULL;
      /* Point reads and the count must agree with the iteration. */
      for (guint k = 0; k < keys->len; k++)
        {
          gsize key_len;
          const guint8 *key = g_bytes_get_data (g_ptr_array_index (keys, k), &key_len);
          g_autoptr (GBytes) value = xul_kv_store_get (store, key, key_len, error);
          g_autofree char *model_key = kv_model_key (names[s], key, key_len);
          if (value == NULL && !g_error_matches (*error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND))
            return NULL;
          g_clear_error (error);
          if (value == NULL || !g_bytes_equal (value, g_hash_table_lookup (dump, model_key)))
            *inconsistent = TRUE;
        }
      if (!xul_kv_store_count (store, &count, error))
        return NULL;
      if (count != keys->len)
        *inconsistent = TRUE;
    }
  for (guint m = 0; m < G_N_ELEMENTS (kv_meta_keys); m++)
    {
      g_autofree char *value = xul_kv_db_get_meta (db, kv_meta_keys[m], error);
      if (value == NULL && *error == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "xul_kv_db_get_meta (\"%s\") returned NULL without an error",
                       kv_meta_keys[m]);
          return NULL;
        }
      if (value == NULL && !g_error_matches (*error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND))
        return NULL;
      g_clear_error (error);
      if (value != NULL)
        g_hash_table_replace (dump, g_strconcat ("#meta/", kv_meta_keys[m], NULL),
                              g_bytes_new (value, strlen (value)));
    }
  return g_steal_pointer (&dump);
}

static GHashTable *
dump_xul (XulStore *store,
          gboolean *inconsistent,
          GError  **error)
{
  g_autoptr (GHashTable) dump = model_new ();
  g_auto (GStrv) documents = xul_store_get_documents (store, error);

  *inconsistent = FALSE;
  if (documents == NULL)
    return NULL;
  for (guint d = 0; documents[d] != NULL; d++)
    {
      g_auto (GStrv) ids = xul_store_get_ids (store, documents[d], error);
      if (ids == NULL)
        return NULL;
      if (ids[0] == NULL)
        *inconsistent = TRUE; /* listed, but holds nothing */
      for (guint i = 0; ids[i] != NULL; i++)
        {
          g_auto (GStrv) attrs = xul_store_get_attributes (store, documents[d], ids[i], error);
          if (attrs == NULL)
            return NULL;
          for (guint a = 0; attrs[a] != NULL; a++)
            {
              g_autofree char *value = xul_store_get_value (store, documents[d], ids[i],
                                                            attrs[a], error);
              if (value == NULL)
                return NULL;
              if (!xul_store_has_value (store, documents[d], ids[i], attrs[a], error))
                {
                  if (*error != NULL)
                    return NULL;
                  *inconsistent = TRUE;
                }
              g_hash_table_replace (dump, xul_model_key (documents[d], ids[i], attrs[a]),
                                    g_bytes_new (value, strlen (value)));
            }
        }
    }
  return g_steal_pointer (&dump);
}

/* -- damage ------------------------------------------------------------------------------ */

typedef enum {
  DMG_BITFLIP_1,
  DMG_BITFLIP_10,
  DMG_BITFLIP_100,
  DMG_BITFLIP_HEADER,
  DMG_BYTE_RUN,
  DMG_ZERO_PAGE,
  DMG_TRUNCATE_0,
  DMG_TRUNCATE_PAGE,
  DMG_TRUNCATE_MID,
  DMG_ZERO_HEADER,
  DMG_ZERO_PAGE1,
  DMG_WAL_FOREIGN_FULL,
  DMG_WAL_FOREIGN_PARTIAL,
  DMG_WAL_GARBAGE,
  DMG_SHM_GARBAGE,
  DMG_GARBAGE_FILE,
  DMG_DIRECTORY,
  N_DAMAGES
} Damage;

static const char *const damage_names[N_DAMAGES] = {
  "bitflip-1", "bitflip-10", "bitflip-100", "bitflip-header", "byte-run", "zero-page",
  "truncate-0", "truncate-page", "truncate-mid", "zero-header", "zero-page1",
  "wal-foreign-full", "wal-foreign-partial", "wal-garbage", "shm-garbage", "garbage-file",
  "directory",
};

/* Stray WAL files, built once. */
static GBytes *wal_foreign_full, *wal_foreign_partial;

static guint8 *
read_file (const char *path,
           gsize      *len)
{
  g_autoptr (GError) error = NULL;
  char *data = NULL;

  if (!g_file_get_contents (path, &data, len, &error))
    fail_msg ("%s", error->message);
  return (guint8 *) data;
}

/* Creates or truncates @path (mode 0600) and writes @data: g_file_set_contents_full()
 * without G_FILE_SET_CONTENTS_CONSISTENT does not truncate an existing file (GLib 2.74),
 * and with it, it syncs. */
static void
write_file (const char   *path,
            const guint8 *data,
            gsize         len)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  if (fd < 0)
    fail_msg ("cannot write %s: %s", path, g_strerror (errno));
  if (tu_write_full (fd, data, len) != (gssize) len)
    fail_msg ("cannot write %s: %s", path, g_strerror (errno));
  close (fd);
}

static void
write_bytes (const char *path,
             GBytes     *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  write_file (path, data, len);
}

static GBytes *
random_bytes (GRand *rand,
              gsize  len)
{
  guint8 *data = g_malloc (MAX (len, 1));

  random_fill (rand, data, len);
  return g_bytes_new_take (data, len);
}

/* Damages <dir>/<name>; appends what was done to @what. */
static void
apply_damage (Damage      damage,
              const char *dir,
              const char *name,
              GRand      *rand,
              GString    *what)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  gsize len = 0;
  g_autofree guint8 *data = read_file (path, &len);
  gsize page = data != NULL && len >= 18 ? (gsize) ((data[16] << 8) | data[17]) : 0;
  gsize n_pages;

  if (page == 1)
    page = 65536;
  if (page < 512)
    page = PAGE_SIZE_DEFAULT;
  n_pages = len / page;

  switch (damage)
    {
    case DMG_BITFLIP_1:
    case DMG_BITFLIP_10:
    case DMG_BITFLIP_100:
    case DMG_BITFLIP_HEADER:
      {
        guint n = damage == DMG_BITFLIP_1 || damage == DMG_BITFLIP_HEADER ? 1
                  : damage == DMG_BITFLIP_10 ? 10 : 100;
        g_string_append (what, "bits");
        for (guint b = 0; b < n; b++)
          {
            gsize at = damage == DMG_BITFLIP_HEADER
                         ? (gsize) g_rand_int_range (rand, 0, 100)
                         : (gsize) g_rand_int_range (rand, 0, (gint32) len);
            guint bit = (guint) g_rand_int_range (rand, 0, 8);
            data[at] ^= (guint8) (1u << bit);
            if (b < 4)
              g_string_append_printf (what, " %" G_GSIZE_FORMAT ".%u(page %" G_GSIZE_FORMAT ")",
                                      at, bit, at / page + 1);
          }
        if (n > 4)
          g_string_append (what, " ...");
        write_file (path, data, len);
        break;
      }
    case DMG_BYTE_RUN:
      {
        gsize run = (gsize) g_rand_int_range (rand, 1, 4097);
        gsize at = (gsize) g_rand_int_range (rand, 0, (gint32) len);
        run = MIN (run, len - at);
        random_fill (rand, data + at, run);
        g_string_append_printf (what, "%" G_GSIZE_FORMAT " random bytes at %" G_GSIZE_FORMAT
                                " (page %" G_GSIZE_FORMAT ")", run, at, at / page + 1);
        write_file (path, data, len);
        break;
      }
    case DMG_ZERO_PAGE:
      {
        gsize p = n_pages > 1 ? (gsize) g_rand_int_range (rand, 1, (gint32) n_pages) : 0;
        memset (data + p * page, 0, MIN (page, len - p * page));
        g_string_append_printf (what, "page %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " zeroed",
                                p + 1, n_pages);
        write_file (path, data, len);
        break;
      }
    case DMG_TRUNCATE_0:
      write_file (path, data, 0);
      g_string_append (what, "to 0 bytes");
      break;
    case DMG_TRUNCATE_PAGE:
      {
        gsize keep = (gsize) g_rand_int_range (rand, 1, (gint32) MAX (n_pages, 2)) * page;
        write_file (path, data, MIN (keep, len));
        g_string_append_printf (what, "to %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " pages",
                                MIN (keep, len) / page, n_pages);
        break;
      }
    case DMG_TRUNCATE_MID:
      {
        gsize keep;
        do
          keep = (gsize) g_rand_int_range (rand, 1, (gint32) len);
        while (keep % page == 0);
        write_file (path, data, keep);
        g_string_append_printf (what, "to %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes",
                                keep, len);
        break;
      }
    case DMG_ZERO_HEADER:
      memset (data, 0, MIN (len, 100));
      write_file (path, data, len);
      g_string_append (what, "bytes 0-99 zeroed");
      break;
    case DMG_ZERO_PAGE1:
      memset (data, 0, MIN (len, page));
      write_file (path, data, len);
      g_string_append (what, "page 1 zeroed");
      break;
    case DMG_WAL_FOREIGN_FULL:
      write_bytes (wal, wal_foreign_full);
      g_string_append_printf (what, "-wal of another database, %" G_GSIZE_FORMAT " bytes",
                              g_bytes_get_size (wal_foreign_full));
      break;
    case DMG_WAL_FOREIGN_PARTIAL:
      write_bytes (wal, wal_foreign_partial);
      g_string_append_printf (what, "-wal of another database, %" G_GSIZE_FORMAT " bytes",
                              g_bytes_get_size (wal_foreign_partial));
      break;
    case DMG_WAL_GARBAGE:
    case DMG_SHM_GARBAGE:
      {
        gsize n = (gsize) g_rand_int_range (rand, 1, 65537);
        g_autoptr (GBytes) garbage = random_bytes (rand, n);
        write_bytes (damage == DMG_WAL_GARBAGE ? wal : shm, garbage);
        g_string_append_printf (what, "%s of %" G_GSIZE_FORMAT " random bytes",
                                damage == DMG_WAL_GARBAGE ? "-wal" : "-shm", n);
        break;
      }
    case DMG_GARBAGE_FILE:
      {
        gsize n = g_rand_boolean (rand) ? len : (gsize) g_rand_int_range (rand, 1, 1 << 20);
        g_autoptr (GBytes) garbage = random_bytes (rand, n);
        write_bytes (path, garbage);
        g_string_append_printf (what, "%" G_GSIZE_FORMAT " random bytes", n);
        break;
      }
    case DMG_DIRECTORY:
      if (g_unlink (path) != 0 || g_mkdir (path, 0700) != 0)
        fail_msg ("cannot put a directory at %s: %s", path, g_strerror (errno));
      g_string_append (what, "a directory");
      break;
    case N_DAMAGES:
      g_assert_not_reached ();
    }
}

/* -- outcomes ---------------------------------------------------------------------------- */

typedef enum {
  OUT_INTACT,
  OUT_RESTORED,
  OUT_STARTED_EMPTY,
  OUT_REFUSED_CORRUPT,
  OUT_REFUSED_FOREIGN,
  OUT_REFUSED_OTHER,
  OUT_LATE_CORRUPT,
  OUT_SILENT_UNDETECTED,
  OUT_SILENT_LEFT,
  OUT_INTACT_BUT_DAMAGED,
  OUT_CRASH,
  OUT_HANG,
  N_OUTCOMES
} Outcome;

static const char *const outcome_names[N_OUTCOMES] = {
  "intact", "restored", "started-empty", "refused-corrupt", "refused-foreign",
  "refused-other", "late-corrupt", "silent-undetected", "silent-left",
  "intact-but-damaged", "crash", "hang",
};

/* Promises broken, as bits. */
enum {
  BROKEN_UNNAMED = 1 << 0,           /* a CORRUPT error does not name the file */
  BROKEN_QUARANTINE_MISSING = 1 << 1,
  BROKEN_QUARANTINE_DIFFERS = 1 << 2, /* the quarantined file is not the damaged one */
  BROKEN_QUARANTINE_WAL = 1 << 3,     /* the damaged -wal was not kept beside it */
  BROKEN_RESTORED_DATA = 1 << 4,      /* restored, but not the backup's data */
  BROKEN_EMPTY_DATA = 1 << 5,         /* started empty, but holds data */
  BROKEN_BACKUP_IGNORED = 1 << 6,     /* started empty beside a sound backup */
  BROKEN_RECOVERED_READ_ONLY = 1 << 7,
  BROKEN_FILES_CHANGED = 1 << 8,      /* a read-only open or a refusal changed the file */
  BROKEN_CHECK_AFTER_RECOVERY = 1 << 9,
  BROKEN_LATE_RECOVER = 1 << 10,      /* xul_kv_db_recover() after a late CORRUPT failed */
  BROKEN_API = 1 << 11,               /* NULL without an error, and the like */
  BROKEN_QUARANTINE_UNEXPECTED = 1 << 12, /* a quarantine path without recovery */
  BROKEN_NOT_RECORDED = 1 << 13,      /* no kvcore.last-recovery naming the quarantine */
};

static const char *const broken_names[] = {
  "error does not name the file", "quarantine missing",
  "quarantine differs from the damaged file", "damaged -wal not kept", "restored data is not the backup's",
  "started empty but holds data", "started empty beside a sound backup",
  "recovered in a read-only open", "a read-only open or a refusal changed the files",
  "integrity_check fails after recovery", "xul_kv_db_recover() after a late CORRUPT failed",
  "API misbehaviour", "quarantine path without recovery",
  "recovery not recorded in kvcore.last-recovery",
};

enum {
  NOTE_LATE_RECOVERED = 1 << 0, /* a late CORRUPT, then xul_kv_db_recover() worked */
  NOTE_INCONSISTENT = 1 << 1,   /* reads disagreed with each other */
  NOTE_CHECK_FAILS = 1 << 2,    /* integrity_check fails after the open */
  NOTE_EMPTY = 1 << 3,          /* opened, holding nothing at all */
  NOTE_BACKUP_DUE_AT_OPEN = 1 << 4,
};

typedef struct {
  gint outcome;
  guint broken;
  guint notes;
  gint error_code;
  guint n_differing;
  guint n_warnings;
  char text[600];
  char warning[400];
} CaseResult;

/* -- the child ---------------------------------------------------------------------------- */

static guint child_warnings;
static char child_first_warning[400];

static GLogWriterOutput
count_warnings (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  if (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
    {
      if (child_warnings++ == 0)
        for (gsize i = 0; i < n_fields; i++)
          if (strcmp (fields[i].key, "MESSAGE") == 0)
            g_strlcpy (child_first_warning, fields[i].value, sizeof child_first_warning);
      if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
        return g_log_writer_default (level, fields, n_fields, user_data);
      return G_LOG_WRITER_HANDLED;
    }
  return G_LOG_WRITER_HANDLED;
}

static void G_GNUC_PRINTF (2, 3)
note_text (CaseResult *result,
           const char *format,
           ...)
{
  va_list args;
  gsize used = strlen (result->text);

  if (used + 3 >= sizeof result->text)
    return;
  if (used > 0)
    {
      strcat (result->text, "; ");
      used += 2;
    }
  va_start (args, format);
  g_vsnprintf (result->text + used, sizeof result->text - used, format, args);
  va_end (args);
  /* one line: the text ends up in a TAP comment */
  for (char *c = result->text + used; *c != '\0'; c++)
    if (*c == '\n')
      *c = '|';
}

typedef struct {
  Fixture *fixture;
  gboolean with_backup;
  gboolean writable;
  const char *path;    /* the damaged database in the child's directory */
  GBytes *damaged;     /* its bytes before the open, NULL when it is not a file */
  GBytes *damaged_wal; /* the -wal's, NULL when absent */
  Damage damage;
} Case;

/* Whether @path holds @bytes (NULL: no regular file). With @loose, the header's file
 * change counter and version-valid-for number (bytes 24-27 and 92-95) may differ: a
 * writable connection bumps them without changing any content. */
static gboolean
file_holds_full (const char *path,
                 GBytes     *bytes,
                 gboolean    loose)
{
  g_autofree char *data = NULL;
  const char *expected;
  gsize len;

  if (bytes == NULL)
    return !g_file_test (path, G_FILE_TEST_IS_REGULAR);
  if (!g_file_get_contents (path, &data, &len, NULL) || len != g_bytes_get_size (bytes))
    return FALSE;
  expected = g_bytes_get_data (bytes, NULL);
  for (gsize i = 0; i < len; i++)
    if (data[i] != expected[i] && !(loose && ((i >= 24 && i < 28) || (i >= 92 && i < 96))))
      return FALSE;
  return TRUE;
}

static gboolean
file_holds (const char *path,
            GBytes     *bytes)
{
  return file_holds_full (path, bytes, FALSE);
}

static void
check_quarantine (Case       *c,
                  const char *quarantine,
                  CaseResult *result)
{
  g_autofree char *wal = NULL;

  if (quarantine == NULL || !g_file_test (quarantine, G_FILE_TEST_EXISTS))
    {
      result->broken |= BROKEN_QUARANTINE_MISSING;
      return;
    }
  if (c->damaged != NULL && !file_holds (quarantine, c->damaged))
    {
      GStatBuf st;
      result->broken |= BROKEN_QUARANTINE_DIFFERS;
      note_text (result, "quarantine %s has %" G_GINT64_FORMAT " bytes, the damaged file had "
                 "%" G_GSIZE_FORMAT, quarantine,
                 g_stat (quarantine, &st) == 0 ? (gint64) st.st_size : (gint64) -1,
                 g_bytes_get_size (c->damaged));
    }
  wal = g_strconcat (quarantine, "-wal", NULL);
  if (c->damaged_wal != NULL && g_bytes_get_size (c->damaged_wal) > 0 &&
      !file_holds (wal, c->damaged_wal))
    {
      result->broken |= BROKEN_QUARANTINE_WAL;
      note_text (result, "the damaged -wal (%" G_GSIZE_FORMAT " bytes) is %s", g_bytes_get_size (c->damaged_wal),
                 g_file_test (wal, G_FILE_TEST_EXISTS) ? "changed beside the quarantine"
                                                       : "gone");
    }
}

/* Classifies an open that succeeded. */
static void
classify_open (Case       *c,
               XulKvDb    *db,
               XulStore   *xstore,
               CaseResult *result)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) check_error = NULL;
  g_autoptr (GHashTable) dump = NULL;
  g_autofree char *quarantine = xul_kv_db_get_quarantine_path (db);
  XulKvRecovery recovery = xul_kv_db_get_recovery (db);
  gboolean inconsistent = FALSE, sound;

  dump = c->fixture->target == TARGET_KV ? dump_kv (db, &inconsistent, &error)
                                         : dump_xul (xstore, &inconsistent, &error);
  if (dump == NULL && error->domain == G_IO_ERROR)
    {
      result->broken |= BROKEN_API;
      note_text (result, "%s", error->message);
      g_clear_error (&error);
    }
  if (inconsistent)
    result->notes |= NOTE_INCONSISTENT;
  sound = xul_kv_db_check_integrity (db, &check_error);
  if (!sound)
    {
      result->notes |= NOTE_CHECK_FAILS;
      note_text (result, "integrity_check: %.160s", check_error->message);
    }
  if (dump != NULL && g_hash_table_size (dump) == 0)
    result->notes |= NOTE_EMPTY;

  if (recovery != XUL_KV_RECOVERY_NONE)
    {
      GHashTable *expected = recovery == XUL_KV_RECOVERY_RESTORED_FROM_BACKUP
                               ? c->fixture->backup : NULL;
      g_autofree char *record = xul_kv_db_get_meta (db, "kvcore.last-recovery", NULL);
      if (!c->writable)
        result->broken |= BROKEN_RECOVERED_READ_ONLY;
      check_quarantine (c, quarantine, result);
      if (record == NULL || quarantine == NULL || strstr (record, quarantine) == NULL)
        result->broken |= BROKEN_NOT_RECORDED;
      result->outcome = recovery == XUL_KV_RECOVERY_RESTORED_FROM_BACKUP ? OUT_RESTORED
                                                                        : OUT_STARTED_EMPTY;
      if (dump == NULL)
        {
          note_text (result, "reading after recovery failed: %s", error != NULL ? error->message : "?");
          result->broken |= expected != NULL ? BROKEN_RESTORED_DATA : BROKEN_EMPTY_DATA;
        }
      else if (expected != NULL && (model_distance (dump, expected) != 0 || inconsistent))
        {
          result->broken |= BROKEN_RESTORED_DATA;
          result->n_differing = model_distance (dump, expected);
        }
      else if (expected == NULL && g_hash_table_size (dump) != 0)
        result->broken |= BROKEN_EMPTY_DATA;
      if (recovery == XUL_KV_RECOVERY_STARTED_EMPTY && c->with_backup)
        result->broken |= BROKEN_BACKUP_IGNORED;
      if (!sound)
        result->broken |= BROKEN_CHECK_AFTER_RECOVERY;
      return;
    }

  if (quarantine != NULL)
    result->broken |= BROKEN_QUARANTINE_UNEXPECTED;
  if (dump == NULL && error != NULL && is_corrupt (error))
    {
      result->outcome = OUT_LATE_CORRUPT;
      note_text (result, "%s", error->message);
      if (strstr (error->message, c->path) == NULL)
        result->broken |= BROKEN_UNNAMED;
      /* What an application does next: recover, and find the backup or nothing. */
      if (c->writable && c->fixture->target == TARGET_KV)
        {
          g_autoptr (GError) recover_error = NULL;
          g_autoptr (GHashTable) after = NULL;
          g_autofree char *moved = NULL;
          if (!xul_kv_db_recover (db, &recover_error))
            {
              result->broken |= BROKEN_LATE_RECOVER;
              note_text (result, "recover: %s", recover_error->message);
              return;
            }
          moved = xul_kv_db_get_quarantine_path (db);
          check_quarantine (c, moved, result);
          after = dump_kv (db, &inconsistent, &recover_error);
          if (after == NULL)
            {
              result->broken |= BROKEN_LATE_RECOVER;
              note_text (result, "reading after recover: %s", recover_error->message);
            }
          else if (c->with_backup
                     ? xul_kv_db_get_recovery (db) != XUL_KV_RECOVERY_RESTORED_FROM_BACKUP ||
                       model_distance (after, c->fixture->backup) != 0
                     : g_hash_table_size (after) != 0)
            {
              result->broken |= BROKEN_LATE_RECOVER;
              note_text (result, "after recover (%d): %u records", (int) xul_kv_db_get_recovery (db),
                         g_hash_table_size (after));
            }
          else if (!xul_kv_db_check_integrity (db, NULL))
            {
              result->broken |= BROKEN_LATE_RECOVER;
              note_text (result, "integrity_check fails after recover");
            }
          else
            result->notes |= NOTE_LATE_RECOVERED;
        }
      return;
    }
  if (dump == NULL)
    {
      result->outcome = OUT_SILENT_LEFT;
      note_text (result, "a read failed: %s", error != NULL ? error->message : "?");
      return;
    }
  result->n_differing = model_distance (dump, c->fixture->original);
  if (result->n_differing == 0 && !inconsistent)
    result->outcome = sound ? OUT_INTACT : OUT_INTACT_BUT_DAMAGED;
  else
    {
      result->outcome = sound && !inconsistent ? OUT_SILENT_UNDETECTED : OUT_SILENT_LEFT;
      note_text (result, "%u records differ from the original (%u found, %u expected)%s",
                 result->n_differing, g_hash_table_size (dump),
                 g_hash_table_size (c->fixture->original),
                 inconsistent ? ", reads disagree" : "");
    }
}

static void
child_run (Case       *c,
           CaseResult *result)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvDb) kv = NULL;
  g_autoptr (XulStore) xstore = NULL;
  XulKvDb *db = NULL;

  memset (result, 0, sizeof *result);
  if (c->fixture->target == TARGET_KV)
    {
      kv = xul_kv_db_open (c->path, c->writable ? XUL_KV_OPEN_NONE
                                                : XUL_KV_OPEN_READ_ONLY | XUL_KV_OPEN_NO_RECOVERY,
                           &error);
      db = kv;
    }
  else
    {
      xstore = xul_store_new (c->path, c->writable ? XUL_STORE_FLAGS_NONE
                                                   : XUL_STORE_FLAGS_READ_ONLY, &error);
      db = xstore != NULL ? xul_store_get_db (xstore) : NULL;
    }

  if (db == NULL)
    {
      result->error_code = error->code;
      note_text (result, "%s", error->message);
      if (is_corrupt (error))
        result->outcome = OUT_REFUSED_CORRUPT;
      else if (g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_INCOMPATIBLE_VERSION) ||
               g_error_matches (error, XUL_STORE_ERROR, XUL_STORE_ERROR_INCOMPATIBLE))
        result->outcome = OUT_REFUSED_FOREIGN;
      else
        result->outcome = OUT_REFUSED_OTHER;
      if (result->outcome == OUT_REFUSED_CORRUPT && strstr (error->message, c->path) == NULL)
        result->broken |= BROKEN_UNNAMED;
      /* A refusal leaves the files as they were (a writable one may bump the change
       * counter in the header). */
      if (c->damaged != NULL && !file_holds_full (c->path, c->damaged, c->writable))
        {
          result->broken |= BROKEN_FILES_CHANGED;
          note_text (result, "the file changed");
        }
    }
  else
    {
      classify_open (c, db, xstore, result);
      /* A read-only open leaves the files as they were (it may create -shm). */
      if (!c->writable && c->damaged != NULL && !file_holds (c->path, c->damaged))
        {
          result->broken |= BROKEN_FILES_CHANGED;
          note_text (result, "the read-only open changed the file");
        }
      if (xstore != NULL)
        xul_store_close (xstore, NULL);
      else
        xul_kv_db_close (kv, NULL);
    }
  result->n_warnings = child_warnings;
  g_strlcpy (result->warning, child_first_warning, sizeof result->warning);
}

/* cmocka catches SIGSEGV and friends and longjmps into the test runner: in a child,
 * that would run the parent's test on. A child dies of its signal instead. */
static void
child_default_signals (void)
{
  static const int signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS };

  for (gsize i = 0; i < G_N_ELEMENTS (signals); i++)
    signal (signals[i], SIG_DFL);
}

/* Runs one open of @c in a child under a watchdog. */
static void
run_case (Case       *c,
          CaseResult *result)
{
  pid_t pid;
  int fds[2], status = 0;
  gssize got = 0;

  if (pipe (fds) != 0)
    fail_msg ("pipe: %s", g_strerror (errno));
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid < 0)
    fail_msg ("fork: %s", g_strerror (errno));
  if (pid == 0)
    {
      CaseResult mine;
      gsize done = 0;
      child_default_signals ();
      alarm (tu_under_valgrind () ? CASE_ALARM_VALGRIND_S : CASE_ALARM_S);
      close (fds[0]);
      g_log_set_writer_func (count_warnings, NULL, NULL);
      child_run (c, &mine);
      while (done < sizeof mine)
        {
          ssize_t n = write (fds[1], (const char *) &mine + done, sizeof mine - done);
          if (n <= 0 && errno != EINTR)
            break;
          if (n > 0)
            done += (gsize) n;
        }
      _exit (0);
    }
  close (fds[1]);
  memset (result, 0, sizeof *result);
  while ((gsize) got < sizeof *result)
    {
      ssize_t n = read (fds[0], (char *) result + got, sizeof *result - (gsize) got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      got += n;
    }
  close (fds[0]);
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      fail_msg ("waitpid: %s", g_strerror (errno));
  if ((gsize) got != sizeof *result)
    {
      memset (result, 0, sizeof *result);
      if (WIFSIGNALED (status) && WTERMSIG (status) == SIGALRM)
        {
          result->outcome = OUT_HANG;
          g_snprintf (result->text, sizeof result->text, "no answer after %d s",
                      tu_under_valgrind () ? CASE_ALARM_VALGRIND_S : CASE_ALARM_S);
        }
      else
        {
          result->outcome = OUT_CRASH;
          g_snprintf (result->text, sizeof result->text, "the child %s %d",
                      WIFSIGNALED (status) ? "died of signal" : "exited with",
                      WIFSIGNALED (status) ? WTERMSIG (status) : WEXITSTATUS (status));
        }
    }
}

/* -- the campaign ---------------------------------------------------------------------- */

/* Whether an outcome fails the test. Silent damage SQLite cannot see (a flipped bit in
 * a value, a WAL that replays cleanly) is counted and shown, not failed; damage the
 * library could have seen is: corruption left in place in a file the library checks at
 * every open (under 1 MiB), and data lost silently while the backup was there. */
static gboolean
is_failure (Case       *c,
            CaseResult *r)
{
  if (r->outcome == OUT_CRASH || r->outcome == OUT_HANG || r->broken != 0)
    return TRUE;
  if (r->outcome == OUT_REFUSED_OTHER)
    return !(c->damage == DMG_DIRECTORY && r->error_code == (c->fixture->target == TARGET_KV
                                                               ? XUL_KV_ERROR_IO
                                                               : XUL_STORE_ERROR_IO));
  if (c->writable && r->outcome == OUT_SILENT_LEFT && c->fixture->target == TARGET_XUL)
    return TRUE;
  /* An empty file opens as a new database even though <db>.bak is sound. */
  if (c->writable && c->with_backup && c->damaged != NULL && g_bytes_get_size (c->damaged) == 0 &&
      (r->outcome == OUT_SILENT_UNDETECTED || r->outcome == OUT_SILENT_LEFT))
    return TRUE;
  return FALSE;
}

typedef struct {
  guint counts[N_DAMAGES][2][N_OUTCOMES]; /* [damage][writable] */
  guint by_target[2][2][N_OUTCOMES];      /* [target][writable] */
  guint n_cases, n_opens, n_failures, n_late_recovered, n_check_fails_intact;
  guint broken_counts[G_N_ELEMENTS (broken_names)];
  guint silent_by_target[2][2]; /* [target][undetected, left] */
  GString *details;  /* silent and intact-but-damaged cases */
  guint n_details;
  GString *failures; /* failing cases */
  guint n_failure_lines;
  GHashTable *warnings; /* text -> count (GUINT_TO_POINTER) */
  GHashTable *failure_kinds; /* "target mode damage: outcome, broken" -> count */
} Tally;

#define MAX_DETAILS 100
#define MAX_FAILURES 200

static void
detail (Tally      *t,
        gboolean    failure,
        const char *format,
        ...) G_GNUC_PRINTF (3, 4);

static void
detail (Tally      *t,
        gboolean    failure,
        const char *format,
        ...)
{
  va_list args;

  if (failure ? t->n_failure_lines++ >= MAX_FAILURES : t->n_details++ >= MAX_DETAILS)
    return;
  va_start (args, format);
  g_string_append_vprintf (failure ? t->failures : t->details, format, args);
  va_end (args);
}

static void
print_table (Tally *t)
{
  printf ("# corruption campaign: %u damaged files, %u opens (writable with recovery, and "
          "READ_ONLY|NO_RECOVERY)\n", t->n_cases, t->n_opens);
  for (guint w = 2; w-- > 0;)
    {
      printf ("# %s opens:\n", w ? "writable (recovery allowed)" : "read-only, no recovery");
      printf ("# %-20s", "damage");
      for (guint o = 0; o < N_OUTCOMES; o++)
        printf (" %*s", (int) MAX (strlen (outcome_names[o]), 5), outcome_names[o]);
      printf ("\n");
      for (guint d = 0; d < N_DAMAGES; d++)
        {
          printf ("# %-20s", damage_names[d]);
          for (guint o = 0; o < N_OUTCOMES; o++)
            printf (" %*u", (int) MAX (strlen (outcome_names[o]), 5), t->counts[d][w][o]);
          printf ("\n");
        }
      printf ("# %-20s", "total");
      for (guint o = 0; o < N_OUTCOMES; o++)
        {
          guint sum = 0;
          for (guint d = 0; d < N_DAMAGES; d++)
            sum += t->counts[d][w][o];
          printf (" %*u", (int) MAX (strlen (outcome_names[o]), 5), sum);
        }
      printf ("\n");
    }
  for (guint target = 0; target < 2; target++)
    for (guint w = 2; w-- > 0;)
      {
        printf ("# %-8s %-9s:", target_names[target], w ? "writable" : "read-only");
        for (guint o = 0; o < N_OUTCOMES; o++)
          if (t->by_target[target][w][o] > 0)
            printf (" %s %u", outcome_names[o], t->by_target[target][w][o]);
        printf ("\n");
      }
  printf ("# silent corruption (opened without recovery, data differs): kvcore %u "
          "undetectable + %u left in place; xulstore %u undetectable + %u left in place\n",
          t->silent_by_target[0][0], t->silent_by_target[0][1], t->silent_by_target[1][0],
          t->silent_by_target[1][1]);
  printf ("# late CORRUPT followed by a successful xul_kv_db_recover(): %u\n",
          t->n_late_recovered);
  for (guint b = 0; b < G_N_ELEMENTS (broken_names); b++)
    if (t->broken_counts[b] > 0)
      printf ("# broken promise \"%s\": %u\n", broken_names[b], t->broken_counts[b]);
  if (g_hash_table_size (t->failure_kinds) > 0)
    {
      GHashTableIter iter;
      gpointer kind, count;
      printf ("# failing opens by kind (%u in all):\n", t->n_failures);
      g_hash_table_iter_init (&iter, t->failure_kinds);
      while (g_hash_table_iter_next (&iter, &kind, &count))
        printf ("#   %5u  %s\n", GPOINTER_TO_UINT (count), (const char *) kind);
    }
  if (g_hash_table_size (t->warnings) > 0)
    {
      GHashTableIter iter;
      gpointer text, count;
      printf ("# warnings logged by the library (first of each open; distinct texts up to 10):\n");
      g_hash_table_iter_init (&iter, t->warnings);
      while (g_hash_table_iter_next (&iter, &text, &count))
        printf ("#   %ux %s\n", GPOINTER_TO_UINT (count), (const char *) text);
    }
}

/* Removes what a case left in @dir. */
static void
empty_dir (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        {
          empty_dir (child);
          g_rmdir (child);
        }
      else
        g_unlink (child);
    }
}

/* Copies the regular files of @from into @to; a directory at @dir_name too. */
static void
copy_dir (const char *from,
          const char *to)
{
  g_autoptr (GDir) dir = g_dir_open (from, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *src = g_build_filename (from, name, NULL);
      g_autofree char *dst = g_build_filename (to, name, NULL);
      if (g_file_test (src, G_FILE_TEST_IS_DIR))
        g_mkdir (dst, 0700);
      else
        {
          gsize len;
          g_autofree guint8 *data = read_file (src, &len);
          write_file (dst, data, len);
        }
    }
}

static GBytes *
bytes_or_null (const char *path)
{
  g_autofree char *data = NULL;
  gsize len;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) || !g_file_get_contents (path, &data, &len, NULL))
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&data), len);
}

/* A -wal of another kvcore database. @full: of a new database, holding every page;
 * otherwise of one checkpointed first, holding page 1 and the few pages of its last
 * commits. Taken while the database is open, before any checkpoint. */
static GBytes *
make_foreign_wal (const char *dir,
                  gboolean    full)
{
  g_autofree char *path = g_build_filename (dir, full ? "other-full.sqlite" : "other-part.sqlite", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autoptr (GHashTable) ignored = model_new ();
  XulKvDb *db = open_kv_without_backups (path);
  g_autoptr (XulKvStore) store = xul_kv_db_open_store (db, "alpha", XUL_KV_STORE_CREATE, &error);
  GBytes *bytes;

  tu_assert_no_error (error);
  for (guint round = 0; round < (full ? 3u : 1u); round++)
    {
      g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
      for (guint i = 0; i < 300; i++)
        {
          g_autoptr (GBytes) key = kv_key (rand, "alpha", i);
          g_autoptr (GBytes) value = kv_value (rand, "alpha", i, 9, 100);
          kv_put (batch, store, ignored, key, value);
        }
      commit (db, batch);
    }
  if (!full)
    {
      /* close (checkpoint), reopen, and change a few records */
      g_clear_pointer (&store, xul_kv_store_unref);
      assert_true (xul_kv_db_close (db, &error));
      g_object_unref (db);
      db = open_kv_without_backups (path);
      store = xul_kv_db_open_store (db, "alpha", XUL_KV_STORE_NONE, &error);
      tu_assert_no_error (error);
      for (guint round = 0; round < 3; round++)
        {
          g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
          for (guint i = 0; i < 5; i++)
            {
              g_autoptr (GBytes) key = kv_key (rand, "alpha", (guint) g_rand_int_range (rand, 0, 300));
              g_autoptr (GBytes) value = kv_value (rand, "alpha", i, 10, 100);
              kv_put (batch, store, ignored, key, value);
            }
          commit (db, batch);
        }
    }
  bytes = bytes_or_null (wal);
  assert_non_null (bytes);
  assert_true (g_bytes_get_size (bytes) > 32);
  g_clear_pointer (&store, xul_kv_store_unref);
  xul_kv_db_close (db, NULL);
  g_object_unref (db);
  return bytes;
}

static void
fixture_clear (Fixture *f)
{
  g_free (f->db_name);
  g_free (f->dir);
  g_clear_pointer (&f->original, g_hash_table_unref);
  g_clear_pointer (&f->backup, g_hash_table_unref);
}

static void
test_damaged_files_open_recovered_refused_or_intact_never_crash (void **state)
{
  g_autoptr (TuTmpdir) tmp = tu_tmpdir_new ();
  guint n_cases = MAX (tu_config_uint ("XUL_CORRUPT_CASES", 200, 34), 1);
  guint first = tu_config_uint ("XUL_CORRUPT_FIRST", 0, 0);
  const char *keep = g_getenv ("XUL_CORRUPT_KEEP");
  guint32 seed = (g_getenv ("XUL_RANDOM_SEED") != NULL
           ? g_random_int ()
           : tu_config_uint ("XUL_CORRUPT_SEED", g_random_int (), g_random_int ()));
  g_autoptr (GString) details = g_string_new (NULL);
  g_autoptr (GString) failures = g_string_new (NULL);
  g_autoptr (GHashTable) warnings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) failure_kinds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *scratch = g_build_filename (tmp->path, "case", NULL);
  g_autofree char *open_dir = g_build_filename (tmp->path, "open", NULL);
  Fixture fixtures[2] = { { 0 } };
  Tally *t = g_new0 (Tally, 1);
  gint64 started = g_get_monotonic_time ();

  t->details = details;
  t->failures = failures;
  t->warnings = warnings;
  t->failure_kinds = failure_kinds;
  printf ("# corruption campaign: %u cases, XUL_CORRUPT_SEED=%u\n", n_cases, seed);
  for (guint i = 0; i < 2; i++)
    {
      fixtures[i].target = (Target) i;
      fixtures[i].dir = g_build_filename (tmp->path, target_names[i], NULL);
      fixtures[i].db_name = g_strdup (i == TARGET_KV ? "kv.sqlite" : "xul.sqlite");
      g_mkdir (fixtures[i].dir, 0700);
      if (i == TARGET_KV)
        build_kv_fixture (&fixtures[i], seed);
      else
        build_xul_fixture (&fixtures[i], seed);
      {
        g_autofree char *db = g_build_filename (fixtures[i].dir, fixtures[i].db_name, NULL);
        g_autofree char *wal = g_strconcat (db, "-wal", NULL);
        fixtures[i].size = (gsize) tu_file_size (db);
        /* the premise of the two fixtures: one checked at every open, one not */
        if (i == TARGET_KV ? fixtures[i].size <= 1024 * 1024 : fixtures[i].size >= 1024 * 1024)
          fail_msg ("fixture %s has %" G_GSIZE_FORMAT " bytes", target_names[i], fixtures[i].size);
        /* a clean close leaves no -wal */
        assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
      }
      printf ("# fixture %s: %" G_GSIZE_FORMAT " bytes, %u records (%u in its backup)\n",
              target_names[i], fixtures[i].size, g_hash_table_size (fixtures[i].original),
              g_hash_table_size (fixtures[i].backup));
    }
  wal_foreign_full = make_foreign_wal (tmp->path, TRUE);
  wal_foreign_partial = make_foreign_wal (tmp->path, FALSE);
  g_mkdir (scratch, 0700);
  g_mkdir (open_dir, 0700);

  for (guint n = first; n < first + n_cases; n++)
    {
      Fixture *f = &fixtures[n % 2];
      gboolean with_backup = (n / 2) % 2 == 1;
      Damage damage = (Damage) ((n / 4) % N_DAMAGES);
      g_autoptr (GRand) rand = g_rand_new_with_seed (seed + n);
      g_autoptr (GString) what = g_string_new (NULL);
      g_autofree char *db_src = g_build_filename (f->dir, f->db_name, NULL);
      g_autofree char *bak_src = g_strconcat (db_src, ".bak", NULL);
      g_autofree char *db_case = g_build_filename (scratch, f->db_name, NULL);
      g_autofree char *db_open = g_build_filename (open_dir, f->db_name, NULL);
      g_autofree char *wal_case = g_strconcat (db_case, "-wal", NULL);
      g_autoptr (GBytes) damaged = NULL;
      g_autoptr (GBytes) damaged_wal = NULL;

      /* the pristine file (and backup), damaged */
      empty_dir (scratch);
      {
        gsize len;
        g_autofree guint8 *data = read_file (db_src, &len);
        write_file (db_case, data, len);
        if (with_backup)
          {
            g_autofree char *bak_case = g_strconcat (db_case, ".bak", NULL);
            g_autofree guint8 *bak = read_file (bak_src, &len);
            write_file (bak_case, bak, len);
          }
      }
      apply_damage (damage, scratch, f->db_name, rand, what);
      damaged = bytes_or_null (db_case);
      damaged_wal = bytes_or_null (wal_case);
      t->n_cases++;

      for (guint w = 0; w < 2; w++)
        {
          Case c = { f, with_backup, w == 1, db_open, damaged, damaged_wal, damage };
          CaseResult result;

          empty_dir (open_dir);
          copy_dir (scratch, open_dir);
          run_case (&c, &result);
          t->n_opens++;
          t->counts[damage][w][result.outcome]++;
          t->by_target[f->target][w][result.outcome]++;
          if (result.notes & NOTE_LATE_RECOVERED)
            t->n_late_recovered++;
          for (guint b = 0; b < G_N_ELEMENTS (broken_names); b++)
            t->broken_counts[b] += (result.broken >> b) & 1;
          if (result.n_warnings > 0)
            {
              gpointer count = g_hash_table_lookup (t->warnings, result.warning);
              if (count != NULL || g_hash_table_size (t->warnings) < 10)
                g_hash_table_insert (t->warnings, g_strdup (result.warning),
                                     GUINT_TO_POINTER (GPOINTER_TO_UINT (count) + 1));
            }
          if (result.outcome == OUT_SILENT_UNDETECTED || result.outcome == OUT_SILENT_LEFT)
            t->silent_by_target[f->target][result.outcome == OUT_SILENT_LEFT]++;
          if (is_failure (&c, &result))
            {
              GString *broken = g_string_new (NULL);
              t->n_failures++;
              if (keep != NULL && w == 0)
                {
                  g_autofree char *name = g_strdup_printf ("case-%u", n);
                  g_autofree char *kept = g_build_filename (keep, name, NULL);
                  g_mkdir_with_parents (kept, 0700);
                  copy_dir (scratch, kept);
                }
              for (guint b = 0; b < G_N_ELEMENTS (broken_names); b++)
                if (result.broken & (1u << b))
                  g_string_append_printf (broken, "%s%s", broken->len > 0 ? ", " : "",
                                          broken_names[b]);
              {
                g_autofree char *kind = g_strdup_printf ("%s, %s, %s: %s%s%s",
                                                         target_names[f->target],
                                                         w ? "writable" : "read-only",
                                                         damage_names[damage],
                                                         outcome_names[result.outcome],
                                                         broken->len > 0 ? " — " : "",
                                                         broken->str);
                gpointer count = g_hash_table_lookup (t->failure_kinds, kind);
                g_hash_table_insert (t->failure_kinds, g_steal_pointer (&kind),
                                     GUINT_TO_POINTER (GPOINTER_TO_UINT (count) + 1));
              }
              detail (t, TRUE, "# FAIL case %u (%s, %s backup, %s, %s): %s%s%s: %s\n", n,
                      target_names[f->target], with_backup ? "with" : "no",
                      w ? "writable" : "read-only", damage_names[damage],
                      outcome_names[result.outcome], broken->len > 0 ? " — " : "",
                      broken->str, result.text);
              detail (t, TRUE, "#   damage: %s\n", what->str);
              if (result.outcome == OUT_CRASH || result.outcome == OUT_HANG)
                {
                  printf ("# %s in case %u (%s, %s backup, %s, %s: %s): %s\n",
                          outcome_names[result.outcome], n, target_names[f->target],
                          with_backup ? "with" : "no", w ? "writable" : "read-only",
                          damage_names[damage], what->str, result.text);
                  fflush (stdout);
                }
              g_string_free (broken, TRUE);
            }
          else if (result.outcome == OUT_SILENT_UNDETECTED || result.outcome == OUT_SILENT_LEFT ||
                   result.outcome == OUT_INTACT_BUT_DAMAGED ||
                   g_getenv ("XUL_CORRUPT_VERBOSE") != NULL)
            detail (t, FALSE, "# case %u (%s, %s backup, %s, %s): %s: %s [damage: %s]\n", n,
                    target_names[f->target], with_backup ? "with" : "no",
                    w ? "writable" : "read-only", damage_names[damage],
                    outcome_names[result.outcome], result.text, what->str);
        }
    }

  print_table (t);
  printf ("# %u cases in %.1f s\n", t->n_cases, (g_get_monotonic_time () - started) / 1e6);
  if (t->n_details > 0)
    printf ("# silent damage, details (%u opens%s):\n%s", t->n_details,
            t->n_details > MAX_DETAILS ? ", the first shown" : "", t->details->str);
  if (t->n_failure_lines > 0)
    printf ("# failures (%u lines%s):\n%s", t->n_failure_lines,
            t->n_failure_lines > MAX_FAILURES ? ", the first shown" : "", t->failures->str);
  fflush (stdout);
  for (guint i = 0; i < 2; i++)
    fixture_clear (&fixtures[i]);
  g_clear_pointer (&wal_foreign_full, g_bytes_unref);
  g_clear_pointer (&wal_foreign_partial, g_bytes_unref);
  if (t->n_failures > 0)
    {
      guint n_failures = t->n_failures;
      g_free (t);
      /* cmocka's failure longjmps: nothing of this scope is freed after it */
      g_clear_pointer (&tmp, tu_tmpdir_free);
      fail_msg ("%u opens broke a promise, crashed or hung (XUL_CORRUPT_SEED=%u); see above",
                n_failures, seed);
    }
  g_free (t);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_damaged_files_open_recovered_refused_or_intact_never_crash),
  };

  return tu_run ("reliability-corruption", tests);
}
