/* test-crash.c: crash campaigns against XulStore and the dual-write mirror.
 *
 * A child process runs a seeded, mixed workload through a XulStore: sets (new keys,
 * overwrites, new attributes), removals, document removals, an occasional clear, and
 * flushes; after each successful flush it writes the number of the last operation the
 * flush covered to a pipe. The parent kills it with SIGKILL at a random moment, then
 * checks a copy of the files it left (the original stays as the crash left it, and the
 * next round's child opens it: rounds form chains of XUL_CRASH_CHAIN rounds per file, so
 * that opening after a crash, and crashing during that open, are exercised too):
 *
 * - the store opens writable with recovery allowed, and no recovery happens (a killed
 *   process is not corruption: nothing may be quarantined);
 * - integrity_check passes;
 * - the content equals the state after some prefix 1..p of the round's operations
 *   (replayed on a model from the state the round started with), and p is at least the
 *   last acknowledged flush; a child that finished holds all of them.
 *
 * The dual-write variant opens the store with a XulProfile in DUAL_WRITE with a short
 * mirror delay, so that the mirror thread rewrites xulstore.json while the workload
 * runs. After each kill, before anything opens the profile again:
 *
 * - xulstore.json is a complete JSON document (json-c parses all of it; nothing after
 *   it), of three levels of objects with string values, and no empty object (the
 *   exporter writes none for a consistent state);
 * - its content equals the state after some prefix l of the operations (or is the file
 *   the previous round left, byte for byte, when the child died before rewriting it),
 *   with last acknowledged flush <= l <= p: never newer than the store, never older than
 *   a flush that returned;
 * - temporary files (xulstore.json.tmp-*) may be left behind, but nothing else takes the
 *   legacy file's name, and no legacy file is ever quarantined as unreadable;
 * - opening the profile again in DUAL_WRITE recognises the file as its own
 *   (already-migrated, never reconciled-from-legacy), keeps the store's content, and
 *   leaves xulstore.json equal to the store after closing.
 *
 * A third test kills a dual-write child at the one moment that matters for the last
 * promise, deterministically: right after the mirror thread wrote a change that the
 * store has not committed yet (its write delay is longer than the mirror's).
 *
 * Children made with fork() never call cmocka: they report over the pipe and end with
 * _exit(). The parent has no store open (hence no thread) when it forks. Problems are
 * collected, the campaign goes on, the figures are printed as TAP comments, and the test
 * fails at the end if there was any problem.
 *
 * Environment: XUL_CRASH_ROUNDS (total rounds, split between the two variants; default
 * 30), XUL_CRASH_OPS (operations per round of the plain variant; the dual-write variant
 * runs half as many), XUL_CRASH_CHAIN (rounds per file), XUL_CRASH_SEED, and
 * XUL_CRASH_VERBOSE (a line per round). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-c/json.h>

#include "test-process.h"
#include "xs-model.h"
#include "xs-test.h"

/* No child outlives its test by much, whatever happens to the parent. */
#define CHILD_ALARM_S 120
#define STORE_FILE "store.sqlite"
#define LEGACY_FILE "xulstore.json"
#define PROFILE_STORE_FILE "xulstore.sqlite"
#define KV_STORE_NAME "xulstore"

/* Words the child writes: an acknowledged flush is a plain number. */
#define WORD_STATUS 0x80000000u
#define WORD_ACTION 0x40000000u
#define WORD_OPENED 0x20000000u
#define WORD_MASK 0x0fffffffu

/* -- models: "doc\1id\1attr" -> value ------------------------------------------------ */

/* Up to @max keys on which @expected and @found differ, for a problem report. */
static void
describe_distance (GString    *out,
                   GHashTable *expected,
                   GHashTable *found,
                   guint       max)
{
  GHashTableIter iter;
  gpointer key, value;
  guint shown = 0;

  for (guint pass = 0; pass < 2; pass++)
    {
      GHashTable *from = pass == 0 ? expected : found, *to = pass == 0 ? found : expected;
      g_hash_table_iter_init (&iter, from);
      while (g_hash_table_iter_next (&iter, &key, &value) && shown < max)
        {
          const char *other = g_hash_table_lookup (to, key);
          const char *want = pass == 0 ? value : NULL, *got = pass == 0 ? other : value;
          g_autofree char *printable = NULL, *escaped_key = NULL;
          g_autofree char *escaped_want = NULL, *escaped_got = NULL;
          if (g_strcmp0 (other, value) == 0 || (pass == 1 && other != NULL))
            continue;
          /* one line each: values may hold newlines */
          printable = xs_model_printable_key (key);
          escaped_key = g_strescape (printable, "");
          escaped_want = want != NULL ? g_strescape (want, "") : NULL;
          escaped_got = got != NULL ? g_strescape (got, "") : NULL;
          g_string_append_printf (out, "\n#     [%s] expected %s%s%s, found %s%s%s", escaped_key,
                                  want != NULL ? "\"" : "", want != NULL ? escaped_want : "absent",
                                  want != NULL ? "\"" : "", got != NULL ? "\"" : "",
                                  got != NULL ? escaped_got : "absent", got != NULL ? "\"" : "");
          shown++;
        }
    }
}

/* -- the workload ---------------------------------------------------------------------- */

/* Documents with characters JSON must escape, and non-ASCII. */
static const char *const docs[] = {
  "chrome://browser/content/browser.xhtml",
  "about:preferences",
  "chrome://global/content/ü.xhtml",
  "doc \"quoted\" \\ back",
  "doc-4",
};

/* The value operation @i of round @tag sets: unique, so that every set changes the
 * state; some hold characters JSON must escape. */
static char *
op_value (guint   tag,
          guint   i,
          GRand  *rand)
{
  switch (g_rand_int_range (rand, 0, 8))
    {
    case 0:
      return g_strdup_printf ("r%u:%u \"q\" \\ \n\t ü ☃ \x01", tag, i);
    case 1:
      return g_strdup_printf ("r%u:%u %s", tag, i, "x x x x x x x x x x x x x x x x x x x x x x");
    default:
      return g_strdup_printf ("r%u:%u", tag, i);
    }
}

/* Operations 1..@n_ops of a round starting from @start, deterministic from @seed;
 * @tag (the round's number) makes the values unique across the rounds of a chain. A
 * flush follows one operation in @flush_every, and the last. */
static GPtrArray *
ops_new (guint32     seed,
         guint       tag,
         guint       n_ops,
         guint       flush_every,
         GHashTable *start)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (GHashTable) model = xs_model_copy (start);
  GPtrArray *ops = g_ptr_array_new_with_free_func ((GDestroyNotify) xs_op_free);

  for (guint i = 0; i < n_ops; i++)
    {
      XsOp *op = xs_op_new (XS_OP_SET);
      g_autofree char *existing = xs_model_random_key (model, rand);
      g_auto (GStrv) parts = existing != NULL ? g_strsplit (existing, XS_MODEL_SEP, 3) : NULL;
      gint r = g_rand_int_range (rand, 0, 10000);

      if (parts != NULL && r < 5)
        op->kind = XS_OP_CLEAR;
      else if (parts != NULL && r < 25)
        {
          op->kind = XS_OP_REMOVE_DOCUMENT;
          op->doc = g_strdup (parts[0]);
        }
      else if (r < 100)
        {
          /* a removal of nothing: no change, but still an operation */
          op->kind = XS_OP_REMOVE;
          op->doc = g_strdup (docs[g_rand_int_range (rand, 0, G_N_ELEMENTS (docs))]);
          op->id = g_strdup ("never-set");
          op->attr = g_strdup ("v");
        }
      else if (parts != NULL && r < 2500)
        {
          op->kind = XS_OP_REMOVE;
          op->doc = g_strdup (parts[0]);
          op->id = g_strdup (parts[1]);
          op->attr = g_strdup (parts[2]);
        }
      else if (parts != NULL && r < 4100)
        {
          op->kind = XS_OP_SET; /* overwrite */
          op->doc = g_strdup (parts[0]);
          op->id = g_strdup (parts[1]);
          op->attr = g_strdup (parts[2]);
        }
      else if (parts != NULL && r < 5100)
        {
          op->kind = XS_OP_SET; /* another attribute of an element */
          op->doc = g_strdup (parts[0]);
          op->id = g_strdup (parts[1]);
          op->attr = g_strdup_printf ("a%u_%u", tag, i + 1);
        }
      else
        {
          op->kind = XS_OP_SET;
          op->doc = g_strdup (docs[g_rand_int_range (rand, 0, G_N_ELEMENTS (docs))]);
          op->id = g_strdup_printf ("k%u_%u", tag, i + 1);
          op->attr = g_strdup (g_rand_boolean (rand) ? "width" : "sizemode");
        }
      if (op->kind == XS_OP_SET)
        op->value = op_value (tag, i + 1, rand);

      if (op->kind == XS_OP_REMOVE_DOCUMENT || op->kind == XS_OP_CLEAR)
        {
          guint n = 0;
          g_autofree gpointer *keys = g_hash_table_get_keys_as_array (model, &n);
          g_autoptr (GPtrArray) doomed = g_ptr_array_new_with_free_func (g_free);
          for (guint k = 0; k < n; k++)
            if (op->kind == XS_OP_CLEAR || xs_model_key_in_document (keys[k], op->doc))
              g_ptr_array_add (doomed, g_strdup (keys[k]));
          for (guint k = 0; k < doomed->len; k++)
            xs_op_record_change (op, model, g_ptr_array_index (doomed, k), NULL);
        }
      else
        {
          g_autofree char *key = xs_model_key (op->doc, op->id, op->attr);
          if (op->kind == XS_OP_SET || g_hash_table_contains (model, key))
            xs_op_record_change (op, model, key, op->value);
        }
      op->flush_after = g_rand_int_range (rand, 0, (gint32) flush_every) == 0 || i + 1 == n_ops;
      /* Now and then the application pauses: the writer thread commits (without a
       * flush) and the mirror thread rewrites the legacy file meanwhile. */
      if (g_rand_int_range (rand, 0, 150) == 0)
        op->pause_us = (guint) g_rand_int_range (rand, 0, 4000);
      g_ptr_array_add (ops, op);
    }
  return ops;
}

/* The state after operations 1..@n from @start. */
static GHashTable *
state_after (GPtrArray  *ops,
             GHashTable *start,
             guint       n)
{
  GHashTable *model = xs_model_copy (start);

  for (guint i = 0; i < n; i++)
    {
      XsOp *op = g_ptr_array_index (ops, i);
      for (guint c = 0; c < op->changes->len; c++)
        {
          XsChange *change = g_ptr_array_index (op->changes, c);
          if (change->new_value != NULL)
            g_hash_table_replace (model, g_strdup (change->key), g_strdup (change->new_value));
          else
            g_hash_table_remove (model, change->key);
        }
    }
  return model;
}

/* -- processes ------------------------------------------------------------------------- */

/* cmocka catches SIGSEGV and friends and longjmps into the test runner: in a child,
 * that would run the parent's test on. A child dies of its signal instead. */
static void
child_default_signals (void)
{
  static const int signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS };

  for (gsize i = 0; i < G_N_ELEMENTS (signals); i++)
    signal (signals[i], SIG_DFL);
}

static void
send_word (int     fd,
           guint32 word)
{
  tu_write_full (fd, &word, sizeof word);
}

/* The child's work once its store is open. Returns its status: 0 when all went well. */
static int
child_run_ops (XulStore  *store,
               GPtrArray *ops,
               int        fd)
{
  g_autoptr (GError) error = NULL;

  send_word (fd, WORD_OPENED);
  for (guint i = 0; i < ops->len; i++)
    {
      XsOp *op = g_ptr_array_index (ops, i);
      if (!xs_op_apply (op, store, &error))
        {
          g_printerr ("# child: %s %u failed: %s\n", xs_op_kind_name (op->kind), i + 1, error->message);
          return 3;
        }
      if (op->flush_after)
        {
          if (!xul_store_flush (store, &error))
            {
              g_printerr ("# child: flush after %u failed: %s\n", i + 1, error->message);
              return 4;
            }
          send_word (fd, i + 1);
        }
      if (op->pause_us > 0)
        g_usleep (op->pause_us);
    }
  if (!xul_store_close (store, &error))
    {
      g_printerr ("# child: close failed: %s\n", error->message);
      return 6;
    }
  return 0;
}

static int
child_plain (const char *dir,
             guint       write_delay_ms,
             GPtrArray  *ops,
             int         fd)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, STORE_FILE, NULL);
  XulStore *store = g_initable_new (XUL_TYPE_STORE, NULL, &error, "path", path,
                                    "write-delay", write_delay_ms, NULL);

  if (store == NULL)
    {
      g_printerr ("# child: open failed: %s\n", error->message);
      return 2;
    }
  return child_run_ops (store, ops, fd);
}

static int
child_profile (const char *dir,
               guint       mirror_delay_ms,
               GPtrArray  *ops,
               int         fd)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XulProfile) profile = xul_profile_new (dir, XUL_ROLLOUT_DUAL_WRITE);
  XulMigrationReport *report = NULL;
  XulStore *store;

  g_object_set (profile, "mirror-delay", mirror_delay_ms, NULL);
  store = xul_profile_open (profile, &report, &error);
  if (store == NULL)
    {
      g_printerr ("# child: profile open failed: %s\n", error->message);
      return 2;
    }
  send_word (fd, WORD_ACTION | (guint32) xul_migration_report_get_action (report));
  return child_run_ops (store, ops, fd);
}

typedef struct {
  gboolean finished;  /* the child reported its status */
  gboolean opened;    /* the child's open returned */
  int status;         /* waitpid status */
  guint32 child_code; /* what the child reported, when finished */
  guint32 last_ack;   /* 0: none */
  gint action;        /* the child's migration action, -1: none reported */
  gint64 elapsed_us;  /* fork to reaping */
} ChildResult;

/* Runs a child on @dir and kills it after @kill_after_us (0: never). */
static void
run_child (gboolean     dual,
           const char  *dir,
           guint        delay_ms,
           GPtrArray   *ops,
           gint64       kill_after_us,
           ChildResult *result)
{
  gint64 start = g_get_monotonic_time ();
  guint32 word;
  int fds[2];
  pid_t pid;

  memset (result, 0, sizeof *result);
  result->action = -1;
  tu_make_pipe (fds);
  pid = tu_fork_child (CHILD_ALARM_S);
  if (pid == 0)
    {
      int code;
      child_default_signals ();
      close (fds[0]);
      code = dual ? child_profile (dir, delay_ms, ops, fds[1])
                  : child_plain (dir, delay_ms, ops, fds[1]);
      send_word (fds[1], WORD_STATUS | (guint32) code);
      _exit (code);
    }
  close (fds[1]);
  if (kill_after_us > 0)
    {
      g_usleep ((gulong) kill_after_us);
      kill (pid, SIGKILL);
    }
  result->status = tu_reap (pid);
  result->elapsed_us = g_get_monotonic_time () - start;
  while (tu_read_full (fds[0], &word, sizeof word) == sizeof word)
    {
      if (word & WORD_STATUS)
        {
          result->finished = TRUE;
          result->child_code = word & WORD_MASK;
        }
      else if (word & WORD_ACTION)
        result->action = (gint) (word & WORD_MASK);
      else if (word & WORD_OPENED)
        result->opened = TRUE;
      else
        result->last_ack = word;
    }
  close (fds[0]);
}

/* -- files --------------------------------------------------------------------------- */

/* Copies the regular files of @from into @to. */
static void
copy_dir (const char *from,
          const char *to)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (from, 0, &error);
  const char *name;

  tu_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *src = g_build_filename (from, name, NULL);
      g_autofree char *dst = g_build_filename (to, name, NULL);
      g_autofree char *data = NULL;
      gsize len = 0;

      if (!g_file_test (src, G_FILE_TEST_IS_REGULAR))
        continue;
      int fd;

      if (!g_file_get_contents (src, &data, &len, &error))
        fail_msg ("copying %s: %s", src, error->message);
      fd = g_open (dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0)
        fail_msg ("copying to %s: %s", dst, g_strerror (errno));
      if (tu_write_full (fd, data, len) != (gssize) len)
        fail_msg ("copying to %s: %s", dst, g_strerror (errno));
      close (fd);
    }
}

/* Names in @dir that start with @prefix and contain @needle. */
static guint
count_names (const char *dir,
             const char *prefix,
             const char *needle)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    n += g_str_has_prefix (name, prefix) && strstr (name, needle) != NULL;
  return n;
}

typedef struct _Figures Figures;
static void note_leftovers (Figures *f, const char *work_dir, const char *copy_dir);
static guint count_leftovers (Figures *f, const char *needle);

/* -- reading a store without asserting ------------------------------------------------ */

/* Reads all of @store through its listings; NULL with @error set on failure. Checks on
 * the way that no listed document or element is empty and that point reads agree. */
static GHashTable *
dump_store (XulStore *store,
            GError  **error)
{
  g_autoptr (GHashTable) dump = xs_model_new ();
  g_auto (GStrv) documents = xul_store_get_documents (store, error);

  if (documents == NULL)
    return NULL;
  for (guint d = 0; documents[d] != NULL; d++)
    {
      g_auto (GStrv) ids = xul_store_get_ids (store, documents[d], error);
      if (ids == NULL)
        return NULL;
      if (ids[0] == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "document \"%s\" is listed but has no element", documents[d]);
          return NULL;
        }
      for (guint i = 0; ids[i] != NULL; i++)
        {
          g_auto (GStrv) attrs = xul_store_get_attributes (store, documents[d], ids[i], error);
          if (attrs == NULL)
            return NULL;
          if (attrs[0] == NULL)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "element \"%s\" of \"%s\" is listed but has no attribute", ids[i],
                           documents[d]);
              return NULL;
            }
          for (guint a = 0; attrs[a] != NULL; a++)
            {
              char *value = xul_store_get_value (store, documents[d], ids[i], attrs[a], error);
              if (value == NULL)
                return NULL;
              g_hash_table_insert (dump, xs_model_key (documents[d], ids[i], attrs[a]), value);
            }
        }
    }
  return g_steal_pointer (&dump);
}

/* The number of records in the kvcore store behind @store, which must equal the number
 * of values the listings show (no stray or unreadable key). */
static gboolean
raw_count (XulStore *store,
           guint64  *count,
           GError  **error)
{
  g_autoptr (XulKvStore) kv = xul_kv_db_open_store (xul_store_get_db (store), KV_STORE_NAME,
                                                    XUL_KV_STORE_NONE, error);

  return kv != NULL && xul_kv_store_count (kv, count, error);
}

/* -- the legacy file ------------------------------------------------------------------- */

/* Parses a legacy file with json-c into a model; NULL with *why set when it is not one
 * complete JSON document of three levels of objects with string values. */
static GHashTable *
legacy_parse (GBytes *bytes,
              guint  *n_empty,
              char  **why)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  struct json_tokener *tok = json_tokener_new ();
  json_object *root = NULL;
  g_autoptr (GHashTable) model = xs_model_new ();
  enum json_tokener_error jerr;
  size_t end;

  *why = NULL;
  *n_empty = 0;
  if (len == 0)
    {
      *why = g_strdup ("the file is empty");
      goto out;
    }
  root = json_tokener_parse_ex (tok, data, (int) len);
  jerr = json_tokener_get_error (tok);
  if (root == NULL || jerr != json_tokener_success)
    {
      *why = g_strdup_printf ("json-c: %s (%s), %" G_GSIZE_FORMAT " bytes",
                              json_tokener_error_desc (jerr),
                              jerr == json_tokener_continue ? "incomplete document" : "syntax",
                              len);
      goto out;
    }
  end = json_tokener_get_parse_end (tok);
  for (size_t i = end; i < len; i++)
    if (!g_ascii_isspace (data[i]))
      {
        *why = g_strdup_printf ("data after the document, at offset %zu of %" G_GSIZE_FORMAT, i,
                                len);
        goto out;
      }
  if (!json_object_is_type (root, json_type_object))
    {
      *why = g_strdup ("the top level is not an object");
      goto out;
    }
  for (struct json_object_iterator d = json_object_iter_begin (root),
                                   d_end = json_object_iter_end (root);
       !json_object_iter_equal (&d, &d_end); json_object_iter_next (&d))
    {
      const char *doc = json_object_iter_peek_name (&d);
      json_object *doc_obj = json_object_iter_peek_value (&d);
      if (!json_object_is_type (doc_obj, json_type_object))
        {
          *why = g_strdup_printf ("document \"%s\" is not an object", doc);
          goto out;
        }
      *n_empty += json_object_object_length (doc_obj) == 0;
      for (struct json_object_iterator e = json_object_iter_begin (doc_obj),
                                       e_end = json_object_iter_end (doc_obj);
           !json_object_iter_equal (&e, &e_end); json_object_iter_next (&e))
        {
          const char *id = json_object_iter_peek_name (&e);
          json_object *id_obj = json_object_iter_peek_value (&e);
          if (!json_object_is_type (id_obj, json_type_object))
            {
              *why = g_strdup_printf ("element \"%s\" of \"%s\" is not an object", id, doc);
              goto out;
            }
          *n_empty += json_object_object_length (id_obj) == 0;
          for (struct json_object_iterator a = json_object_iter_begin (id_obj),
                                           a_end = json_object_iter_end (id_obj);
               !json_object_iter_equal (&a, &a_end); json_object_iter_next (&a))
            {
              const char *attr = json_object_iter_peek_name (&a);
              json_object *value = json_object_iter_peek_value (&a);
              if (!json_object_is_type (value, json_type_string))
                {
                  *why = g_strdup_printf ("[%s | %s | %s] is not a string", doc, id, attr);
                  goto out;
                }
              g_hash_table_insert (model, xs_model_key (doc, id, attr),
                                   g_strdup (json_object_get_string (value)));
            }
        }
    }

out:
  if (root != NULL)
    json_object_put (root);
  json_tokener_free (tok);
  return *why == NULL ? g_steal_pointer (&model) : NULL;
}

/* -- figures ------------------------------------------------------------------------- */

struct _Figures {
  const char *name;
  guint rounds, killed, finished, killed_in_open, recovered;
  guint prefix_deciles[11]; /* p * 10 / n_ops; [10]: all operations */
  guint at_ack, beyond_ack, nothing_done, below_ack;
  guint64 ops_issued, ops_acked, ops_found;
  guint max_keys;
  /* dual-write */
  guint legacy_absent, legacy_unchanged, legacy_equal_store, legacy_behind_store;
  guint legacy_ahead_store, legacy_not_prefix, legacy_unparsable, legacy_behind_ack;
  guint legacy_empty_objects;
  guint64 legacy_lag_ops; /* sum of p - l */
  guint reopen_already_migrated, reopen_other;
  GHashTable *leftovers; /* temporary files seen after kills: "<chain dir>/<name>" */
  gint64 round_us;
  guint n_problems;
  GString *problems;
};

/* Remembers the temporary files in @copy_dir (a copy of @work_dir). */
static void
note_leftovers (Figures    *f,
                const char *work_dir,
                const char *copy_dir)
{
  g_autoptr (GDir) d = g_dir_open (copy_dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (strstr (name, ".tmp-") != NULL)
      g_hash_table_add (f->leftovers, g_build_filename (work_dir, name, NULL));
}

static guint
count_leftovers (Figures    *f,
                 const char *needle)
{
  GHashTableIter iter;
  gpointer key;
  guint n = 0;

  g_hash_table_iter_init (&iter, f->leftovers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    n += strstr (key, needle) != NULL;
  return n;
}

static void G_GNUC_PRINTF (3, 4)
problem (Figures    *f,
         guint       round,
         const char *format,
         ...)
{
  va_list args;

  f->n_problems++;
  if (f->n_problems > 40)
    return;
  g_string_append_printf (f->problems, "# %s round %u: ", f->name, round);
  va_start (args, format);
  g_string_append_vprintf (f->problems, format, args);
  va_end (args);
  g_string_append_c (f->problems, '\n');
}

static void
print_figures (Figures *f,
               guint    n_ops)
{
  printf ("# %s: %u rounds of %u operations: %u killed (%u before their open returned), "
          "%u finished before the kill; mean round %.1f ms\n",
          f->name, f->rounds, n_ops, f->killed, f->killed_in_open, f->finished,
          f->rounds > 0 ? f->round_us / 1000.0 / f->rounds : 0.0);
  printf ("# %s: recovery needed after a kill: %u (must be 0)\n", f->name, f->recovered);
  printf ("# %s: prefix found, in tenths of the round:", f->name);
  for (guint d = 0; d < 10; d++)
    printf (" %u0%%:%u", d, f->prefix_deciles[d]);
  printf (" all:%u\n", f->prefix_deciles[10]);
  printf ("# %s: nothing of the round in %u, exactly the last acknowledged flush in %u, "
          "beyond it in %u; largest state %u values\n", f->name, f->nothing_done, f->at_ack,
          f->beyond_ack, f->max_keys);
  printf ("# %s: operations issued %" G_GUINT64_FORMAT ", acknowledged %" G_GUINT64_FORMAT
          ", found %" G_GUINT64_FORMAT "; rounds where the store held less than acknowledged: "
          "%u (must be 0)\n", f->name, f->ops_issued, f->ops_acked, f->ops_found, f->below_ack);
  printf ("# %s: temporary files left behind by kills (never removed): %u backup "
          "(.bak.tmp-*), %u legacy (.json.tmp-*)\n", f->name,
          count_leftovers (f, ".bak.tmp-"), count_leftovers (f, ".json.tmp-"));
}

static void
print_legacy_figures (Figures *f)
{
  guint compared = f->legacy_equal_store + f->legacy_behind_store + f->legacy_ahead_store;

  printf ("# %s: xulstore.json after a kill: absent %u, unparsable %u (must be 0), not the "
          "state after any prefix %u (must be 0), with empty objects %u (must be 0), "
          "unchanged since the previous round %u\n", f->name, f->legacy_absent,
          f->legacy_unparsable, f->legacy_not_prefix, f->legacy_empty_objects,
          f->legacy_unchanged);
  printf ("# %s: xulstore.json vs the store: equal %u, older %u (mean lag %.1f operations), "
          "newer %u (must be 0), older than an acknowledged flush %u (must be 0)\n", f->name,
          f->legacy_equal_store, f->legacy_behind_store,
          f->legacy_behind_store > 0 ? (double) f->legacy_lag_ops / f->legacy_behind_store : 0.0,
          f->legacy_ahead_store, f->legacy_behind_ack);
  printf ("# %s: reopened in DUAL_WRITE: already-migrated %u, other %u (of %u compared)\n",
          f->name, f->reopen_already_migrated, f->reopen_other, compared);
}

/* -- one round --------------------------------------------------------------------------- */

typedef struct {
  gboolean dual;
  const char *work_dir;  /* the child's directory: store.sqlite, or a profile */
  guint round;           /* global round number, the values' tag */
  gboolean chain_start;  /* the files are new */
  GHashTable *start;     /* the state the round starts from (owned) */
  GBytes *prev_legacy;   /* the legacy file the previous round left (owned), or NULL */
} Chain;

/* Checks the profile's legacy file in @check_dir (a copy) before anything opens it;
 * @state is the store's content, the state after 1..@store_prefix (and maybe other
 * prefixes). */
static void
check_legacy (Figures     *f,
              Chain       *chain,
              const char  *check_dir,
              GPtrArray   *ops,
              ChildResult *child,
              GHashTable  *state,
              gint         store_prefix)
{
  g_autofree char *json_path = g_build_filename (check_dir, LEGACY_FILE, NULL);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GHashTable) legacy = NULL;
  g_autoptr (GArray) matches = g_array_new (FALSE, FALSE, sizeof (gint));
  g_autofree char *why = NULL;
  guint closest = 0, n_empty = 0;
  gint best = -1, lowest = -1;

  if (count_names (check_dir, LEGACY_FILE, ".corrupt-") > 0)
    problem (f, chain->round, "a legacy file was quarantined as unreadable");
  if (!g_file_test (json_path, G_FILE_TEST_EXISTS))
    {
      f->legacy_absent++;
      /* Only possible before the first mirror write of a new profile, which its open
       * makes before returning: nothing can have been done or acknowledged. */
      if (chain->prev_legacy != NULL || child->opened || g_hash_table_size (state) > 0 ||
          child->last_ack > 0)
        problem (f, chain->round, "xulstore.json is missing (child opened: %d, store holds "
                 "%u values, acknowledged %u)", child->opened, g_hash_table_size (state),
                 child->last_ack);
      return;
    }
  bytes = tu_read_bytes (json_path);
  legacy = legacy_parse (bytes, &n_empty, &why);
  if (legacy == NULL)
    {
      f->legacy_unparsable++;
      problem (f, chain->round, "xulstore.json is not a complete legacy document: %s", why);
      return;
    }
  if (n_empty > 0)
    {
      f->legacy_empty_objects++;
      problem (f, chain->round, "xulstore.json holds %u empty document or element objects, "
               "which the exporter never writes for a consistent state", n_empty);
    }
  xs_ops_longest_matching_prefix (ops, chain->start, legacy, &closest, matches);
  for (guint m = 0; m < matches->len; m++)
    {
      gint l = g_array_index (matches, gint, m);
      if (lowest < 0)
        lowest = l;
      if ((guint32) l >= child->last_ack && l <= store_prefix)
        best = l;
    }
  if (chain->prev_legacy != NULL && g_bytes_equal (bytes, chain->prev_legacy) &&
      (matches->len == 0 || (!child->opened && child->last_ack == 0)))
    {
      /* The child died before its open rewrote the file: the previous round's file,
       * checked then. It may also equal a state of this round (say "{}", and this round
       * clears the store), which says nothing of this round. */
      f->legacy_unchanged++;
      if (child->opened || child->last_ack > 0)
        problem (f, chain->round, "xulstore.json was not rewritten although the child's "
                 "open returned");
    }
  else if (matches->len == 0)
    {
      g_autoptr (GHashTable) near = state_after (ops, chain->start, closest);
      g_autoptr (GString) diff = g_string_new (NULL);
      describe_distance (diff, near, legacy, 6);
      f->legacy_not_prefix++;
      problem (f, chain->round, "xulstore.json (%u values) matches no prefix of the %u "
               "operations (the store holds 1..%d, acknowledged 1..%u); the closest, 1..%u, "
               "differs on %u keys:%s", g_hash_table_size (legacy), ops->len, store_prefix,
               child->last_ack, closest, xs_model_distance (near, legacy), diff->str);
    }
  else if (store_prefix < 0)
    ; /* the store is already reported */
  else if (best >= 0 && xs_model_distance (legacy, state) == 0)
    f->legacy_equal_store++;
  else if (best >= 0)
    {
      f->legacy_behind_store++;
      f->legacy_lag_ops += (guint64) (store_prefix - best);
    }
  else if ((guint32) g_array_index (matches, gint, matches->len - 1) < child->last_ack)
    {
      f->legacy_behind_ack++;
      problem (f, chain->round, "xulstore.json holds 1..%d, but a flush acknowledged 1..%u",
               g_array_index (matches, gint, matches->len - 1), child->last_ack);
    }
  else
    {
      gint highest = g_array_index (matches, gint, matches->len - 1);
      f->legacy_ahead_store++;
      if (highest != lowest)
        problem (f, chain->round, "xulstore.json holds the state after 1..%d (the same as "
                 "after 1..%d), newer than the store (1..%d) or older than the last "
                 "acknowledged flush (1..%u)", highest, lowest, store_prefix, child->last_ack);
      else
        problem (f, chain->round, "xulstore.json holds 1..%d, newer than the store (1..%d; "
                 "acknowledged 1..%u)", lowest, store_prefix, child->last_ack);
    }
  g_clear_pointer (&chain->prev_legacy, g_bytes_unref);
  chain->prev_legacy = g_bytes_ref (bytes);
}

/* Opens the copied profile again in DUAL_WRITE: it must take the legacy file for its
 * own, keep the store as it is, and leave the legacy file equal to the store. */
static void
reopen_profile (Figures    *f,
                Chain      *chain,
                const char *check_dir,
                GHashTable *state)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulStore) store = xul_store_open_profile (check_dir, XUL_ROLLOUT_DUAL_WRITE,
                                                        &report, &error);
  g_autoptr (GHashTable) after = NULL;
  g_autoptr (GHashTable) legacy = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *json_path = g_build_filename (check_dir, LEGACY_FILE, NULL);
  g_autofree char *why = NULL;
  guint n_empty = 0;
  XulMigrationAction action;

  if (store == NULL)
    {
      problem (f, chain->round, "the profile does not open again: %s", error->message);
      return;
    }
  action = xul_migration_report_get_action (report);
  if (action == XUL_MIGRATION_ALREADY_MIGRATED ||
      (action == XUL_MIGRATION_LEGACY_MISSING && g_hash_table_size (state) == 0))
    f->reopen_already_migrated++;
  else
    {
      f->reopen_other++;
      problem (f, chain->round, "the profile opened again with action %d (problem: %s), "
               "not already-migrated", (int) action,
               xul_migration_report_get_problem (report) != NULL
                 ? xul_migration_report_get_problem (report) : "none");
    }
  after = dump_store (store, &error);
  if (after == NULL)
    problem (f, chain->round, "the reopened profile cannot be read: %s", error->message);
  else if (xs_model_distance (after, state) != 0)
    problem (f, chain->round, "opening the profile again changed the store on %u keys",
             xs_model_distance (after, state));
  if (!xul_store_close (store, &error))
    {
      problem (f, chain->round, "closing the reopened profile failed: %s", error->message);
      return;
    }
  g_clear_object (&store);
  bytes = tu_read_bytes (json_path);
  legacy = legacy_parse (bytes, &n_empty, &why);
  if (legacy == NULL)
    problem (f, chain->round, "after the reopened profile closed, xulstore.json is not a "
             "legacy document: %s", why);
  else if (xs_model_distance (legacy, state) != 0)
    problem (f, chain->round, "after the reopened profile closed, xulstore.json differs "
             "from the store on %u keys", xs_model_distance (legacy, state));
}

/* Checks a copy of what the child left; returns the state found (the next round's start),
 * or NULL when the files cannot be used any more (the chain restarts). */
static GHashTable *
check_round (Figures     *f,
             Chain       *chain,
             GPtrArray   *ops,
             ChildResult *child)
{
  g_autoptr (TuTmpdir) check = tu_tmpdir_new ();
  g_autofree char *path = g_build_filename (check->path, chain->dual ? PROFILE_STORE_FILE
                                                                      : STORE_FILE, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (XulStore) store = NULL;
  g_autoptr (GHashTable) state = NULL;
  g_autofree char *quarantine = NULL;
  guint64 count = 0;
  guint closest = 0;
  gint prefix;
  XulKvDb *db;

  copy_dir (chain->work_dir, check->path);
  note_leftovers (f, chain->work_dir, check->path);
  /* In a profile, the store is read first with a plain XulStore, which never touches
   * the legacy file; the legacy file is judged after, against it. */

  store = g_initable_new (XUL_TYPE_STORE, NULL, &error, "path", path, "write-delay", 0, NULL);
  if (store == NULL)
    {
      problem (f, chain->round, "the store does not open after the kill: %s", error->message);
      return NULL;
    }
  db = xul_store_get_db (store);
  quarantine = xul_kv_db_get_quarantine_path (db);
  if (xul_kv_db_get_recovery (db) != XUL_KV_RECOVERY_NONE || quarantine != NULL ||
      count_names (check->path, "", ".corrupt-") > 0)
    {
      f->recovered++;
      problem (f, chain->round, "opening after the kill needed recovery %d (quarantine %s)",
               (int) xul_kv_db_get_recovery (db), quarantine != NULL ? quarantine : "none");
    }
  if (!xul_kv_db_check_integrity (db, &error))
    {
      problem (f, chain->round, "integrity_check failed after the kill: %s", error->message);
      g_clear_error (&error);
    }
  state = dump_store (store, &error);
  if (state == NULL)
    {
      problem (f, chain->round, "the store cannot be read after the kill: %s", error->message);
      xul_store_close (store, NULL);
      return NULL;
    }
  if (!raw_count (store, &count, &error))
    {
      /* A store killed before its first commit may not have its kvcore store yet. */
      if (!g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_NO_SUCH_STORE) ||
          g_hash_table_size (state) > 0)
        problem (f, chain->round, "counting the records failed: %s", error->message);
      g_clear_error (&error);
    }
  else if (count != g_hash_table_size (state))
    problem (f, chain->round, "the kvcore store holds %" G_GUINT64_FORMAT " records, the "
             "listings show %u values", count, g_hash_table_size (state));
  if (!xul_store_close (store, &error))
    {
      problem (f, chain->round, "closing the checked store failed: %s", error->message);
      g_clear_error (&error);
    }
  g_clear_object (&store);

  f->max_keys = MAX (f->max_keys, g_hash_table_size (state));
  prefix = xs_ops_longest_matching_prefix (ops, chain->start, state, &closest, NULL);
  if (prefix < 0)
    {
      g_autoptr (GHashTable) near = state_after (ops, chain->start, closest);
      g_autoptr (GString) diff = g_string_new (NULL);
      describe_distance (diff, near, state, 6);
      problem (f, chain->round, "the %u values found match no prefix of the %u operations "
               "(acknowledged 1..%u); the closest, 1..%u, differs on %u keys:%s",
               g_hash_table_size (state), ops->len, child->last_ack, closest,
               xs_model_distance (near, state), diff->str);
    }
  else
    {
      f->prefix_deciles[(guint) prefix == ops->len ? 10 : (guint) prefix * 10 / ops->len]++;
      f->ops_acked += child->last_ack;
      f->ops_found += (guint) prefix;
      if (prefix == 0)
        f->nothing_done++;
      if ((guint32) prefix == child->last_ack)
        f->at_ack++;
      else if ((guint32) prefix > child->last_ack)
        f->beyond_ack++;
      else
        {
          f->below_ack++;
          problem (f, chain->round, "the store holds 1..%d, but a flush acknowledged 1..%u",
                   prefix, child->last_ack);
        }
      if (child->finished && (guint) prefix != ops->len)
        problem (f, chain->round, "the child closed after %u operations; the store holds "
                 "1..%d", ops->len, prefix);
    }

  if (chain->dual)
    {
      /* A profile without a legacy file yet is "legacy-missing"; later, the file is
       * always the mirror's own. */
      if (child->action >= 0 && child->action != XUL_MIGRATION_ALREADY_MIGRATED &&
          !(chain->prev_legacy == NULL && child->action == XUL_MIGRATION_LEGACY_MISSING))
        problem (f, chain->round, "the child's open reported action %d", child->action);
      check_legacy (f, chain, check->path, ops, child, state, prefix);
      reopen_profile (f, chain, check->path, state);
    }
  return g_steal_pointer (&state);
}

/* -- the campaign ------------------------------------------------------------------------ */

static void
campaign (gboolean dual,
          guint    n_rounds,
          guint    n_ops,
          guint    chain_length,
          guint32  seed,
          Figures *f)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  Chain chain = { dual, NULL, 0, TRUE, xs_model_new (), NULL };
  g_autofree char *work_dir = NULL;
  gint64 window_us = 0;
  guint chain_no = 0, in_chain = 0;

  printf ("# %s: %u rounds of %u operations, chains of %u rounds per file, seed %u\n",
          f->name, n_rounds, n_ops, chain_length, seed);
  for (guint r = 0; r < n_rounds; r++)
    {
      g_autoptr (GPtrArray) ops = NULL;
      g_autoptr (GHashTable) found = NULL;
      ChildResult child;
      gint64 kill_after_us = 0;
      guint delay_ms;

      if (work_dir == NULL || in_chain >= chain_length)
        {
          g_free (work_dir);
          work_dir = g_strdup_printf ("%s/chain-%u", dir->path, chain_no++);
          g_mkdir (work_dir, 0700);
          chain.work_dir = work_dir;
          chain.chain_start = TRUE;
          g_hash_table_remove_all (chain.start);
          g_clear_pointer (&chain.prev_legacy, g_bytes_unref);
          in_chain = 0;
        }
      chain.round = r;
      /* An application flushes now and then; with the mirror, rarely (each flush
       * rewrites the legacy file), so that the store lags behind memory more. */
      ops = ops_new (seed + r, r, n_ops, dual ? 100 : 30, chain.start);
      /* The plain store's write delay (0-5 ms: many commits between flushes), or the
       * mirror's delay (1-10 ms: the mirror thread rewrites while the workload runs). */
      delay_ms = dual ? (guint) g_rand_int_range (rand, 1, 11)
                      : (guint) g_rand_int_range (rand, 0, 6);
      /* Round 0 runs to its end and times it; the others are killed at a random moment
       * of a window a little longer, and one in eight in its first milliseconds, during
       * the open (which, in a chain, opens what the previous kill left). */
      if (r > 0)
        {
          gint64 window = g_rand_int_range (rand, 0, 8) == 0 ? MIN (window_us, 5000) : window_us;
          kill_after_us = g_rand_int_range (rand, 100, (gint32) MAX (window, 200));
        }
      run_child (dual, work_dir, delay_ms, ops, kill_after_us, &child);
      /* The window follows the rounds' length, which grows with the state: shorter
       * after a child that finished first, a little longer after a kill. */
      if (r == 0)
        window_us = MIN (child.elapsed_us * 6 / 5 + 1000, G_MAXINT32);
      else if (child.finished)
        window_us = MAX (window_us * 4 / 5, 2000);
      else
        window_us = MIN (window_us * 103 / 100, G_MAXINT32 / 2);

      f->rounds++;
      f->round_us += child.elapsed_us;
      f->ops_issued += n_ops;
      if (child.finished)
        {
          f->finished++;
          if (child.child_code != 0)
            problem (f, r, "the child failed with %u (2 open, 3 change, 4 flush, 6 close)",
                     child.child_code);
        }
      else if (WIFSIGNALED (child.status) && WTERMSIG (child.status) == SIGKILL)
        {
          f->killed++;
          f->killed_in_open += !child.opened;
        }
      else
        problem (f, r, "the child died unfinished, status 0x%x", (unsigned) child.status);

      found = check_round (f, &chain, ops, &child);
      in_chain++;
      if (found == NULL)
        in_chain = chain_length; /* start a new file */
      else
        {
          g_hash_table_unref (chain.start);
          chain.start = g_steal_pointer (&found);
          chain.chain_start = FALSE;
        }
      if (g_getenv ("XUL_CRASH_VERBOSE") != NULL)
        printf ("# %s round %u: %s after %.1f ms, acknowledged %u\n", f->name, r,
                child.finished ? "finished" : "killed", child.elapsed_us / 1000.0,
                child.last_ack);
    }
  g_hash_table_unref (chain.start);
  g_clear_pointer (&chain.prev_legacy, g_bytes_unref);
}

static guint32 base_seed;

static void
finish (Figures *f,
        guint    n_ops)
{
  print_figures (f, n_ops);
  if (f->legacy_absent + f->legacy_unchanged + f->legacy_equal_store +
      f->legacy_behind_store + f->legacy_ahead_store + f->legacy_not_prefix +
      f->legacy_unparsable > 0)
    print_legacy_figures (f);
  if (f->n_problems > 0)
    {
      printf ("# %s: %u problems (XUL_CRASH_SEED=%u):\n%s", f->name, f->n_problems,
              base_seed, f->problems->str);
      fflush (stdout);
      fail_msg ("%s: %u problems, listed above", f->name, f->n_problems);
    }
  fflush (stdout);
}

static guint
total_rounds (void)
{
  return tu_config_uint ("XUL_CRASH_ROUNDS", 30, 6);
}

static void
test_a_killed_store_holds_a_prefix_no_older_than_its_last_flush (void **state)
{
  guint n_rounds = MAX (total_rounds () - total_rounds () / 2, 2);
  guint n_ops = MAX (tu_config_uint ("XUL_CRASH_OPS", 4000, 600), 10);
  guint chain = MAX (tu_config_uint ("XUL_CRASH_CHAIN", 8, 3), 1);
  g_autoptr (GString) problems = g_string_new (NULL);
  g_autoptr (GHashTable) leftovers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Figures f = { .name = "plain", .problems = problems, .leftovers = leftovers };

  campaign (FALSE, n_rounds, n_ops, chain, base_seed, &f);
  finish (&f, n_ops);
}

static void
test_a_killed_dual_write_profile_leaves_a_whole_legacy_file_no_newer_than_the_store (void **state)
{
  guint n_rounds = MAX (total_rounds () / 2, 2);
  guint n_ops = MAX (tu_config_uint ("XUL_CRASH_OPS", 4000, 600) / 2, 10);
  guint chain = MAX (tu_config_uint ("XUL_CRASH_CHAIN", 8, 3), 1);
  g_autoptr (GString) problems = g_string_new (NULL);
  g_autoptr (GHashTable) leftovers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Figures f = { .name = "dual-write", .problems = problems, .leftovers = leftovers };

  campaign (TRUE, n_rounds, n_ops, chain, base_seed + 1000003u, &f);
  finish (&f, n_ops);
}

/* -- the mirror ahead of the store, deterministically ---------------------------------- */

#define AHEAD_DOC "chrome://browser/content/browser.xhtml"

/* The child: a value flushed, then another one not flushed; as soon as the mirror
 * thread has written the second one to xulstore.json, the child dies. Exit code 10: the
 * mirror did not write within 5 s (nothing to judge). */
static void G_GNUC_NORETURN
ahead_child (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XulProfile) profile = xul_profile_new (dir, XUL_ROLLOUT_DUAL_WRITE);
  g_autofree char *json_path = g_build_filename (dir, LEGACY_FILE, NULL);
  XulStore *store;

  child_default_signals ();
  alarm (CHILD_ALARM_S);
  g_object_set (profile, "mirror-delay", 5, NULL);
  store = xul_profile_open (profile, NULL, &error);
  if (store == NULL ||
      !xul_store_set_value (store, AHEAD_DOC, "main-window", "width", "1000", &error) ||
      !xul_store_flush (store, &error) ||
      !xul_store_set_value (store, AHEAD_DOC, "main-window", "width", "1280", &error))
    _exit (2);
  for (guint i = 0; i < 5000; i++)
    {
      g_autofree char *content = NULL;
      if (g_file_get_contents (json_path, &content, NULL, NULL) &&
          strstr (content, "\"1280\"") != NULL)
        kill (getpid (), SIGKILL);
      g_usleep (1000);
    }
  _exit (10);
}

/* Returns what went wrong, or NULL. */
static char *
kill_after_a_mirror_write (const char *dir)
{
  g_autofree char *json_path = g_build_filename (dir, LEGACY_FILE, NULL);
  g_autofree char *db_path = g_build_filename (dir, PROFILE_STORE_FILE, NULL);
  g_autoptr (GHashTable) legacy = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (XulStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *why = NULL;
  g_autofree char *in_store = NULL;
  g_autofree char *key = xs_model_key (AHEAD_DOC, "main-window", "width");
  const char *in_legacy;
  guint n_empty = 0;
  int status;
  pid_t pid;

  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid < 0)
    return g_strdup_printf ("fork: %s", g_strerror (errno));
  if (pid == 0)
    ahead_child (dir);
  status = tu_reap (pid);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 10)
    {
      printf ("# the mirror did not write within 5 s: nothing to judge\n");
      return NULL;
    }
  if (!WIFSIGNALED (status) || WTERMSIG (status) != SIGKILL)
    return g_strdup_printf ("the child failed: status 0x%x", (unsigned) status);

  bytes = tu_read_bytes (json_path);
  legacy = legacy_parse (bytes, &n_empty, &why);
  if (legacy == NULL)
    return g_strdup_printf ("xulstore.json: %s", why);
  in_legacy = g_hash_table_lookup (legacy, key);
  store = g_initable_new (XUL_TYPE_STORE, NULL, &error, "path", db_path, NULL);
  if (store == NULL)
    return g_strdup_printf ("the store does not open: %s", error->message);
  in_store = xul_store_get_value (store, AHEAD_DOC, "main-window", "width", &error);
  if (in_store == NULL)
    return g_strdup_printf ("the store cannot be read: %s", error->message);
  if (!xul_store_close (store, &error))
    return g_strdup_printf ("the store does not close: %s", error->message);
  printf ("# killed after the mirror wrote: xulstore.json holds width=%s, the store %s\n",
          in_legacy, in_store);
  if (g_strcmp0 (in_legacy, in_store) != 0)
    return g_strdup_printf ("after the kill, xulstore.json holds width=\"%s\" but the store "
                            "holds \"%s\": the mirror wrote a change before the store "
                            "committed it", in_legacy, in_store);
  return NULL;
}

static void
test_a_kill_after_a_mirror_write_leaves_the_legacy_file_no_newer_than_the_store (void **state)
{
  TuTmpdir *dir = tu_tmpdir_new ();
  g_autofree char *failure = kill_after_a_mirror_write (dir->path);

  tu_tmpdir_free (dir);
  fflush (stdout);
  if (failure != NULL)
    fail_msg ("%s", failure);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_a_killed_store_holds_a_prefix_no_older_than_its_last_flush),
    cmocka_unit_test (test_a_killed_dual_write_profile_leaves_a_whole_legacy_file_no_newer_than_the_store),
    cmocka_unit_test (test_a_kill_after_a_mirror_write_leaves_the_legacy_file_no_newer_than_the_store),
  };

  base_seed = (g_getenv ("XUL_RANDOM_SEED") != NULL
           ? g_random_int ()
           : tu_config_uint ("XUL_CRASH_SEED", g_random_int (), g_random_int ()));
  return tu_run ("reliability-crash", tests);
}
