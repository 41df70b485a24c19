/* test-io-faults.c: I/O-fault campaigns in the manner of SQLite's own ioerr tests.
 *
 * For each class of VFS call (read, write, sync, truncate, lock, shm-lock, file-size,
 * shm-map, open, delete, access), each variant (the Nth call fails once, or fails from N
 * on; with an I/O error, or with SQLITE_FULL for writes and truncations) and each
 * N = 1, 2, 3, ... until a run completes without reaching the fault, one workload runs
 * with the fault armed:
 *
 * - kvcore: open, create two stores, three commits (two durable), a sync, close; remove
 *   <db>.bak so that the reopen takes a backup; reopen, three more commits (two
 *   durable), read everything back (iterators, get, meta), an explicit backup,
 *   maintenance (optimize, vacuum, backup, checkpoint), close (which backs up again);
 * - XulStore (write delay 60 s: only flush and close write, so N is reproducible):
 *   open, set values in two documents, flush, read it all through a read-only store
 *   opened beside the writer, change values, flush, close, reopen, remove a document,
 *   flush, set a value, close.
 *
 * Every failure must be a clear error (XUL_KV_ERROR or XUL_STORE_ERROR, code IO or
 * FULL, never CORRUPT); a read that succeeds must return the committed data; after a
 * one-time fault, retrying the step must succeed, and a commit that failed must have
 * applied all of its batch or none of it; no open may recover (quarantine) the file.
 * Then the fault is disarmed and the file reopened with recovery allowed: it must not
 * be recovered or quarantined, must pass integrity_check, and must hold every commit
 * acknowledged before the fault (kvcore: exactly the model, or the model with the one
 * commit whose outcome the fault left unknown; XulStore: the state after some prefix of
 * the changes, no older than the last successful flush). A backup reported written must
 * hold the state of its moment; one reported failed must not exist; the automatic
 * backup, when there is one, must be sound.
 *
 * Each run executes in a forked child, so that a crash is a problem of that run and the
 * campaign goes on (FLT_FORK=0 keeps runs in the process, the default under valgrind,
 * where a fork costs seconds). After each failed call the heap is probed: live GErrors
 * that alias betray a double free that GSlice would otherwise hide.
 *
 * The short campaign tries every N up to FLT_IO_BUDGET/2 (default budget 48) and
 * FLT_IO_BUDGET/2 more spread over the rest, plus the first N past the end;
 * FLT_IO_EXHAUSTIVE=1 tries every N. FLT_IO_CLASSES=read,write,... narrows the classes.
 * Problems are collected with the exact run that shows them (workload, class, variant,
 * N, first failed call), printed as TAP comments, and fail the test at the end. */
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

#include "faultvfs.h"
#include "flt-util.h"

typedef enum {
  WL_KV,
  WL_XS,
  N_WORKLOADS
} Workload;

static const char *const workload_names[N_WORKLOADS] = { "kvcore", "xulstore" };

typedef struct {
  const char *name;
  gboolean persistent;
  gboolean full;
} Variant;

static const Variant variants[] = {
  { "once", FALSE, FALSE },
  { "persistent", TRUE, FALSE },
  { "once-full", FALSE, TRUE },
  { "persistent-full", TRUE, TRUE },
};

#define N_VARIANTS G_N_ELEMENTS (variants)

/* The figures of one (workload, class, variant). */
typedef struct {
  guint64 calls;        /* calls of the class in a run without faults */
  guint tried;          /* values of N */
  guint faulted;        /* runs that reached the fault */
  guint64 faults;       /* calls failed */
  guint reported;       /* runs where the library reported an error */
  guint absorbed;       /* runs that reached the fault and saw no error */
  guint retried;        /* steps retried after a one-time fault */
  guint applied;        /* failed commits found applied (the outcome was unknown) */
  guint mismatched;     /* IO reported for FULL, or FULL for IO */
  guint crashed;        /* runs that died or never reported */
  guint with_problems;  /* runs with a problem */
} Stats;

static Stats stats[N_WORKLOADS][FV_N_CLASSES][N_VARIANTS];
/* Warnings the library logged in the child processes. */
static guint child_warnings;

/* No run may outlive its parent by much, whatever happens. */
#define CHILD_ALARM_S 300
static GString *all_problems;
static guint n_problems;

/* One run of a workload with one fault armed. */
typedef struct {
  Workload wl;
  FvClass cls;
  const Variant *variant;
  guint64 n;
  TuTmpdir *dir;
  char *path;
  GString *problems;
  gboolean stopped;       /* a persistent fault was hit: the workload gave up */
  guint errors, retried, applied, mismatched;
  guint64 accounted;      /* faults already matched with an error */
  guint64 calls[FV_N_CLASSES]; /* calls of each class by the workload */
} Run;

/* Ends the workload: the counts are kept, the fault clears. */
static void
run_disarm (Run *run)
{
  for (int cls = 0; cls < FV_N_CLASSES; cls++)
    run->calls[cls] = fv_calls (cls);
  fv_disarm ();
}

static void problem (Run       *run,
                     const char *format,
                     ...) G_GNUC_PRINTF (2, 3);

static void
problem (Run       *run,
         const char *format,
         ...)
{
  va_list args;

  va_start (args, format);
  flt_add_problem_valist (run->problems, format, args);
  va_end (args);
}

/* In a child run: where each error seen is noted as it happens, so that the parent can
 * tell what a crashed run was doing. */
static int breadcrumbs = -1;

static void
drop_breadcrumb (const char *step,
                 const GError *error)
{
  g_autofree char *first = NULL;
  g_autofree char *line = NULL;

  if (breadcrumbs < 0)
    return;
  first = fv_first_fault ();
  line = g_strdup_printf ("first failed call %s; %s failed: %s\n",
                          first != NULL ? first : "none", step,
                          error != NULL ? error->message : "(no error)");
  g_strdelimit (line, "\n", '|');
  line[strlen (line) - 1] = '\n';
  if (write (breadcrumbs, line, strlen (line)) < 0)
    return;
}

/* A double free of a GError (GSlice hands GErrors out from per-thread free lists in
 * GLib 2.74) makes later allocations return the same memory twice: live errors that
 * alias betray it, where glibc's malloc would have aborted. */
static void
probe_heap (Run        *run,
            const char *step)
{
  GError *probes[8];
  gboolean aliased = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (probes); i++)
    {
      probes[i] = g_error_new_literal (XUL_KV_ERROR, 0, "probe");
      for (guint j = 0; j < i; j++)
        aliased = aliased || probes[j] == probes[i];
    }
  for (guint i = 0; i < G_N_ELEMENTS (probes); i++)
    if (probes[i] != NULL && (i == 0 || probes[i] != probes[i - 1]))
      g_error_free (probes[i]);
  if (aliased)
    problem (run, "after %s failed, the heap hands out the same GError twice (a double "
             "free in the library)", step);
}

/* Checks an error the workload got from @step and takes it. Returns TRUE when the step
 * should be retried: the fault was a one-time one. */
static gboolean
failed (Run        *run,
        const char *step,
        GError     *error,
        gboolean    retryable)
{
  gboolean kv = run->wl == WL_KV;
  GQuark domain = kv ? XUL_KV_ERROR : XUL_STORE_ERROR;
  int io = kv ? XUL_KV_ERROR_IO : XUL_STORE_ERROR_IO;
  int full = kv ? XUL_KV_ERROR_FULL : XUL_STORE_ERROR_FULL;
  int corrupt = kv ? XUL_KV_ERROR_CORRUPT : XUL_STORE_ERROR_CORRUPT;
  guint64 injected = fv_faults_injected ();

  run->errors++;
  drop_breadcrumb (step, error);
  if (error == NULL)
    problem (run, "%s failed without setting an error", step);
  else if (injected == 0)
    problem (run, "%s failed before any fault: %s", step, error->message);
  else if (!run->variant->persistent && injected == run->accounted)
    problem (run, "%s failed after the one-time fault had cleared and been reported: %s",
             step, error->message);
  else if (error->domain != domain)
    problem (run, "%s failed in domain %s, not %s: %s", step,
             g_quark_to_string (error->domain), g_quark_to_string (domain), error->message);
  else if (error->code == corrupt)
    problem (run, "%s reported CORRUPT for a transient fault: %s", step, error->message);
  else if (error->code != io && error->code != full)
    problem (run, "%s failed with code %d, not IO or FULL: %s", step, error->code,
             error->message);
  else if (error->code != (run->variant->full ? full : io))
    run->mismatched++;
  run->accounted = injected;
  g_clear_error (&error);
  probe_heap (run, step);
  if (run->variant->persistent)
    {
      run->stopped = TRUE;
      return FALSE;
    }
  if (retryable)
    run->retried++;
  return retryable;
}

static void
retry_failed (Run        *run,
              const char *step,
              GError     *error)
{
  problem (run, "%s still fails after the one-time fault: %s", step,
           error != NULL ? error->message : "(no error set)");
  g_clear_error (&error);
}

static gboolean
same_bytes (GBytes *a,
            GBytes *b)
{
  return a != NULL && b != NULL && g_bytes_equal (a, b);
}

/* ==== kvcore ========================================================================== */

static const char *const kv_meta_keys[] = { "app.note", NULL };

typedef struct {
  Run *run;
  XulKvDb *db;
  XulKvStore *a, *b;
  GHashTable *model;        /* what the database must hold */
  GHashTable *alt;          /* or this: a commit whose outcome the fault left unknown */
  GHashTable *backup_model; /* what the explicit backup holds, once one succeeded */
  char *backup_path;
  char *auto_backup_path;
  /* the commit being made */
  XulKvBatch *batch;
  GHashTable *after;
  XulKvCommitFlags flags;
} KvCtx;

typedef gboolean (*KvAttempt) (KvCtx   *c,
                               GError **error);

static XulKvDb *
kv_open (const char *path,
         GError    **error)
{
  /* The default backup interval: the close of a new file writes <db>.bak. */
  return g_initable_new (XUL_TYPE_KV_DB, NULL, error, "path", path, NULL);
}

/* A step that changes nothing: tried, and retried once after a one-time fault. */
static gboolean
kv_step (KvCtx      *c,
         const char *name,
         KvAttempt   attempt)
{
  GError *error = NULL;

  if (attempt (c, &error))
    return TRUE;
  if (!failed (c->run, name, g_steal_pointer (&error), TRUE))
    return FALSE;
  if (attempt (c, &error))
    return TRUE;
  retry_failed (c->run, name, error);
  return FALSE;
}

/* A step that writes c->after: on failure the database holds the model or c->after,
 * nothing in between. */
static gboolean
kv_write_step (KvCtx      *c,
               const char *name,
               KvAttempt   attempt)
{
  GError *error = NULL;
  g_autoptr (GBytes) dump = NULL;
  g_autoptr (GBytes) before = NULL;
  g_autoptr (GBytes) after = NULL;

  gboolean sync_failed;

  if (attempt (c, &error))
    goto done;
  sync_failed = g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_IO);
  /* failed () takes the error. */
  if (!failed (c->run, name, g_steal_pointer (&error), TRUE))
    {
      c->alt = g_steal_pointer (&c->after);
      return FALSE;
    }
  /* The fault has cleared: the outcome can be read back. */
  dump = flt_kv_db_dump (c->db, kv_meta_keys, &error);
  before = flt_kv_model_dump (c->model);
  after = flt_kv_model_dump (c->after);
  if (dump == NULL)
    {
      problem (c->run, "reading back after a failed %s: %s", name, error->message);
      g_clear_error (&error);
    }
  else if (same_bytes (dump, after))
    {
      c->run->applied++;
      /* All of a batch or none; only a durable commit whose final sync failed may have
       * applied it (documented: the commit stands, not yet durable). */
      if (g_str_has_prefix (name, "commit") && !sync_failed)
        problem (c->run, "%s reported an error but its batch was applied", name);
    }
  else if (!same_bytes (dump, before))
    problem (c->run, "%s failed with part of its changes applied", name);
  if (!attempt (c, &error))
    {
      retry_failed (c->run, name, error);
      return FALSE;
    }

done:
  g_hash_table_unref (c->model);
  c->model = g_steal_pointer (&c->after);
  return TRUE;
}

static gboolean
attempt_open (KvCtx   *c,
              GError **error)
{
  g_autofree char *quarantine = NULL;

  c->db = kv_open (c->run->path, error);
  if (c->db == NULL)
    return FALSE;
  /* A transient fault must never pass for corruption. */
  if (xul_kv_db_get_recovery (c->db) != XUL_KV_RECOVERY_NONE)
    {
      quarantine = xul_kv_db_get_quarantine_path (c->db);
      problem (c->run, "open recovered the sound file (recovery %d) and moved it to %s",
               xul_kv_db_get_recovery (c->db), quarantine);
      c->run->stopped = TRUE;
    }
  return TRUE;
}

static gboolean
attempt_get_stores (KvCtx   *c,
                    GError **error)
{
  g_clear_pointer (&c->a, xul_kv_store_unref);
  g_clear_pointer (&c->b, xul_kv_store_unref);
  c->a = xul_kv_db_open_store (c->db, "a", XUL_KV_STORE_NONE, error);
  if (c->a != NULL)
    c->b = xul_kv_db_open_store (c->db, "b", XUL_KV_STORE_NONE, error);
  return c->b != NULL;
}

static gboolean
attempt_open_a (KvCtx   *c,
                GError **error)
{
  c->a = xul_kv_db_open_store (c->db, "a", XUL_KV_STORE_CREATE, error);
  return c->a != NULL;
}

static gboolean
attempt_open_b (KvCtx   *c,
                GError **error)
{
  c->b = xul_kv_db_open_store (c->db, "b", XUL_KV_STORE_CREATE, error);
  return c->b != NULL;
}

static gboolean
attempt_commit (KvCtx   *c,
                GError **error)
{
  return xul_kv_db_commit (c->db, c->batch, c->flags, error);
}

static gboolean
attempt_sync (KvCtx   *c,
              GError **error)
{
  return xul_kv_db_sync (c->db, error);
}

static gboolean
attempt_maintain (KvCtx   *c,
                  GError **error)
{
  return xul_kv_db_maintain (c->db, error);
}

static gboolean
attempt_backup (KvCtx   *c,
                GError **error)
{
  if (!xul_kv_db_backup (c->db, c->backup_path, error))
    return FALSE;
  g_clear_pointer (&c->backup_model, g_hash_table_unref);
  c->backup_model = flt_kv_model_copy (c->model);
  return TRUE;
}

/* Reads everything back: an iteration or a read that ends early without an error
 * would be data lost in silence. */
static gboolean
attempt_read_back (KvCtx   *c,
                   GError **error)
{
  g_autoptr (GBytes) dump = flt_kv_db_dump (c->db, kv_meta_keys, error);
  g_autoptr (GBytes) expected = flt_kv_model_dump (c->model);
  g_autoptr (GBytes) value = NULL;

  if (dump == NULL)
    return FALSE;
  if (!same_bytes (dump, expected))
    problem (c->run, "reading back returned other data than committed, without an error");
  value = xul_kv_store_get (c->a, "k01", 3, error);
  if (value == NULL)
    return FALSE;
  if (g_bytes_get_size (value) != 40)
    problem (c->run, "get returned a wrong value without an error");
  return TRUE;
}

/* A new commit; each operation goes into the batch and into c->after. */
static void
begin_commit (KvCtx           *c,
              XulKvCommitFlags flags)
{
  g_clear_pointer (&c->batch, xul_kv_batch_unref);
  g_clear_pointer (&c->after, g_hash_table_unref);
  c->batch = xul_kv_batch_new ();
  c->after = flt_kv_model_copy (c->model);
  c->flags = flags;
}

static void
put (KvCtx      *c,
     XulKvStore *store,
     const char *key,
     gsize       value_len,
     char        fill)
{
  g_autofree char *value = g_malloc (value_len);

  memset (value, fill, value_len);
  xul_kv_batch_put (c->batch, store, key, strlen (key), value, value_len);
  flt_kv_model_put (c->after, xul_kv_store_get_name (store), key, strlen (key), value,
                    value_len);
}

static void
del (KvCtx      *c,
     XulKvStore *store,
     const char *key)
{
  xul_kv_batch_delete (c->batch, store, key, strlen (key));
  flt_kv_model_delete (c->after, xul_kv_store_get_name (store), key, strlen (key));
}

static void
set_meta (KvCtx      *c,
          const char *key,
          const char *value)
{
  xul_kv_batch_set_meta (c->batch, key, value);
  flt_kv_model_put (c->after, FLT_META_STORE, key, strlen (key), value, strlen (value));
}

static gboolean
kv_open_store_step (KvCtx      *c,
                    const char *name,
                    KvAttempt   attempt)
{
  begin_commit (c, XUL_KV_COMMIT_NONE);
  flt_kv_model_add_store (c->after, name);
  return kv_write_step (c, name[0] == 'a' ? "create store a" : "create store b", attempt);
}

/* Closes the database; a failed close closes all the same. Returns FALSE when the
 * workload must stop. */
static gboolean
kv_close_step (KvCtx *c)
{
  GError *error = NULL;

  g_clear_pointer (&c->a, xul_kv_store_unref);
  g_clear_pointer (&c->b, xul_kv_store_unref);
  if (!xul_kv_db_close (c->db, &error))
    failed (c->run, "close", g_steal_pointer (&error), FALSE);
  g_clear_object (&c->db);
  return !c->run->stopped;
}

static void
kv_workload (KvCtx *c)
{
  char key[16];

  if (!kv_step (c, "open", attempt_open) || c->run->stopped ||
      !kv_open_store_step (c, "a", attempt_open_a) ||
      !kv_open_store_step (c, "b", attempt_open_b))
    return;

  begin_commit (c, XUL_KV_COMMIT_DURABLE);
  for (int i = 1; i <= 8; i++)
    {
      g_snprintf (key, sizeof key, "k%02d", i);
      put (c, c->a, key, 40, 'a' + i);
    }
  if (!kv_write_step (c, "commit 1 (durable)", attempt_commit))
    return;

  begin_commit (c, XUL_KV_COMMIT_NONE);
  for (int i = 1; i <= 4; i++)
    {
      g_snprintf (key, sizeof key, "x%d", i);
      put (c, c->b, key, 100, 'x');
    }
  set_meta (c, "app.note", "first");
  if (!kv_write_step (c, "commit 2", attempt_commit))
    return;

  begin_commit (c, XUL_KV_COMMIT_DURABLE);
  del (c, c->a, "k02");
  put (c, c->a, "big", 6000, 'B'); /* overflow pages */
  put (c, c->b, "x5", 10, 'y');
  if (!kv_write_step (c, "commit 3 (durable)", attempt_commit) ||
      !kv_step (c, "sync", attempt_sync) ||
      !kv_close_step (c))
    return;

  /* Without a backup, the next open takes one: a fault may now reach the backup at
   * open, whose corruption verdict leads to recovery. */
  g_unlink (c->auto_backup_path);
  if (!kv_step (c, "reopen", attempt_open) || c->run->stopped ||
      !kv_step (c, "open stores", attempt_get_stores))
    return;

  begin_commit (c, XUL_KV_COMMIT_NONE);
  for (int i = 0; i < 40; i++)
    {
      g_snprintf (key, sizeof key, "n%03d", i);
      put (c, c->a, key, 300, 'n');
    }
  if (!kv_write_step (c, "commit 4", attempt_commit))
    return;

  begin_commit (c, XUL_KV_COMMIT_DURABLE);
  for (int i = 0; i < 30; i++)
    {
      g_snprintf (key, sizeof key, "n%03d", i);
      del (c, c->a, key);
    }
  del (c, c->a, "big");
  set_meta (c, "app.note", "second");
  if (!kv_write_step (c, "commit 5 (durable)", attempt_commit) ||
      !kv_step (c, "read back", attempt_read_back) ||
      !kv_step (c, "backup", attempt_backup) ||
      !kv_step (c, "maintain", attempt_maintain))
    return;

  begin_commit (c, XUL_KV_COMMIT_DURABLE);
  put (c, c->a, "after-checkpoint", 20, 'c');
  put (c, c->b, "x1", 5, 'z');
  kv_write_step (c, "commit 6 (durable)", attempt_commit);
}

/* Closes what the workload left open; a failing close is checked like any step. */
static void
kv_close_all (KvCtx *c)
{
  GError *error = NULL;

  g_clear_pointer (&c->a, xul_kv_store_unref);
  g_clear_pointer (&c->b, xul_kv_store_unref);
  if (c->db != NULL && !xul_kv_db_close (c->db, &error))
    failed (c->run, "close", g_steal_pointer (&error), FALSE);
  g_clear_object (&c->db);
}

/* With the fault disarmed: the file must reopen, unrecovered and sound, with the
 * acknowledged state. */
static void
kv_verify (KvCtx *c)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvDb) db = kv_open (c->run->path, &error);
  g_autoptr (GBytes) dump = NULL;
  g_autoptr (GBytes) expected = flt_kv_model_dump (c->model);
  g_autoptr (GBytes) alt = c->alt != NULL ? flt_kv_model_dump (c->alt) : NULL;
  g_autofree char *quarantine = NULL;
  g_autofree char *auto_backup = NULL;

  if (db == NULL)
    {
      problem (c->run, "reopening after the fault cleared failed: %s", error->message);
      return;
    }
  if (xul_kv_db_get_recovery (db) != XUL_KV_RECOVERY_NONE ||
      (quarantine = xul_kv_db_get_quarantine_path (db)) != NULL)
    problem (c->run, "reopening recovered the file (recovery %d, moved to %s)",
             xul_kv_db_get_recovery (db), quarantine);
  if (!xul_kv_db_check_integrity (db, &error))
    {
      problem (c->run, "integrity check after reopening: %s", error->message);
      g_clear_error (&error);
    }
  dump = flt_kv_db_dump (db, kv_meta_keys, &error);
  if (dump == NULL)
    {
      problem (c->run, "reading after reopening: %s", error->message);
      g_clear_error (&error);
    }
  else if (!same_bytes (dump, expected) && !same_bytes (dump, alt))
    problem (c->run, "after reopening, the database does not hold the acknowledged state%s",
             alt != NULL ? " (nor that plus the commit that failed)" : "");
  auto_backup = xul_kv_db_get_backup_path (db);
  if (!xul_kv_db_close (db, &error))
    {
      problem (c->run, "closing after the fault cleared: %s", error->message);
      g_clear_error (&error);
    }
  if (tu_count_entries_containing (c->run->dir->path, "corrupt") > 0)
    problem (c->run, "a file was moved aside as corrupt");

  /* The explicit backup: the state of its moment, or absent when it was refused. */
  if (c->backup_model != NULL)
    {
      g_autoptr (XulKvDb) backup = xul_kv_db_open (c->backup_path, XUL_KV_OPEN_READ_ONLY,
                                                   &error);
      g_autoptr (GBytes) backup_dump = NULL;
      g_autoptr (GBytes) backup_expected = flt_kv_model_dump (c->backup_model);

      if (backup != NULL)
        backup_dump = flt_kv_db_dump (backup, kv_meta_keys, &error);
      if (backup_dump == NULL)
        {
          problem (c->run, "the backup reported written cannot be read: %s", error->message);
          g_clear_error (&error);
        }
      else if (!same_bytes (backup_dump, backup_expected))
        problem (c->run, "the backup reported written does not hold the state of its moment");
    }
  else if (tu_file_exists (c->backup_path))
    problem (c->run, "a backup reported failed was left in place");

  /* The automatic backup, when there is one, must be a sound database. */
  if (tu_file_exists (auto_backup))
    {
      g_autoptr (XulKvDb) backup = xul_kv_db_open (auto_backup, XUL_KV_OPEN_READ_ONLY, &error);
      if (backup == NULL || !xul_kv_db_check_integrity (backup, &error))
        {
          problem (c->run, "the automatic backup is not sound: %s", error->message);
          g_clear_error (&error);
        }
    }
}

static void run_disarm (Run *run);

static void
kv_run (Run *run)
{
  KvCtx c = { run, NULL };

  c.model = flt_kv_model_new ();
  c.backup_path = tu_tmpdir_file (run->dir, "explicit.bak");
  c.auto_backup_path = g_strconcat (run->path, ".bak", NULL);
  kv_workload (&c);
  kv_close_all (&c);
  run_disarm (run);
  kv_verify (&c);
  g_clear_pointer (&c.batch, xul_kv_batch_unref);
  g_clear_pointer (&c.after, g_hash_table_unref);
  g_clear_pointer (&c.alt, g_hash_table_unref);
  g_clear_pointer (&c.backup_model, g_hash_table_unref);
  g_hash_table_unref (c.model);
  g_free (c.backup_path);
  g_free (c.auto_backup_path);
}

/* ==== XulStore =========================================================================== */

typedef struct {
  Run *run;
  XulStore *store;
  GHashTable *model;  /* tuple -> value, as memory holds it */
  GPtrArray *states;  /* dumps of the model after each change; [0] is empty */
  guint acked;        /* states before this one can no longer be on disk */
} XsCtx;

/* A write delay far beyond a run: only flush and close write, so N is reproducible. */
#define XS_DELAY_MS (60 * 1000)

static XulStore *
xs_open_store (const char *path,
               GError    **error)
{
  return g_initable_new (XUL_TYPE_STORE, NULL, error, "path", path, "write-delay",
                         XS_DELAY_MS, NULL);
}

static void
xs_changed (XsCtx *c)
{
  g_ptr_array_add (c->states, flt_xs_model_dump (c->model));
}

static gboolean
attempt_xs_open (XsCtx   *c,
                 GError **error)
{
  XulKvDb *db;

  c->store = xs_open_store (c->run->path, error);
  if (c->store == NULL)
    return FALSE;
  db = xul_store_get_db (c->store);
  if (xul_kv_db_get_recovery (db) != XUL_KV_RECOVERY_NONE)
    {
      g_autofree char *quarantine = xul_kv_db_get_quarantine_path (db);
      problem (c->run, "open recovered the sound file (recovery %d) and moved it to %s",
               xul_kv_db_get_recovery (db), quarantine);
      c->run->stopped = TRUE;
    }
  return TRUE;
}

static gboolean
xs_open (XsCtx *c)
{
  GError *error = NULL;

  if (attempt_xs_open (c, &error))
    return !c->run->stopped;
  if (!failed (c->run, "open", g_steal_pointer (&error), TRUE))
    return FALSE;
  if (attempt_xs_open (c, &error))
    return !c->run->stopped;
  retry_failed (c->run, "open", error);
  return FALSE;
}

/* Closes the store; a failed close closes all the same. */
static gboolean
xs_close (XsCtx *c)
{
  GError *error = NULL;

  if (xul_store_close (c->store, &error))
    c->acked = c->states->len - 1;
  else
    failed (c->run, "close", g_steal_pointer (&error), FALSE);
  g_clear_object (&c->store);
  return !c->run->stopped;
}

/* @value NULL removes. */
static gboolean
xs_change (XsCtx      *c,
           const char *doc,
           const char *id,
           const char *attr,
           const char *value)
{
  GError *error = NULL;
  const char *step = value != NULL ? "set_value" : "remove_value";

  for (int attempt = 0; attempt < 2; attempt++)
    {
      gboolean ok = value != NULL
                      ? xul_store_set_value (c->store, doc, id, attr, value, &error)
                      : xul_store_remove_value (c->store, doc, id, attr, &error);
      if (ok)
        {
          if (value != NULL)
            g_hash_table_replace (c->model, flt_xs_tuple (doc, id, attr), g_strdup (value));
          else
            {
              g_autofree char *tuple = flt_xs_tuple (doc, id, attr);
              g_hash_table_remove (c->model, tuple);
            }
          xs_changed (c);
          return TRUE;
        }
      if (attempt == 1)
        retry_failed (c->run, step, error);
      else if (!failed (c->run, step, g_steal_pointer (&error), TRUE))
        return FALSE;
    }
  return FALSE;
}

static gboolean
xs_remove_document (XsCtx      *c,
                    const char *doc)
{
  GError *error = NULL;
  g_autofree char *prefix = g_strconcat (doc, "\001", NULL);

  for (int attempt = 0; attempt < 2; attempt++)
    {
      if (xul_store_remove_document (c->store, doc, &error))
        {
          GHashTableIter iter;
          const char *tuple;

          g_hash_table_iter_init (&iter, c->model);
          while (g_hash_table_iter_next (&iter, (gpointer *) &tuple, NULL))
            if (g_str_has_prefix (tuple, prefix))
              g_hash_table_iter_remove (&iter);
          xs_changed (c);
          return TRUE;
        }
      if (attempt == 1)
        retry_failed (c->run, "remove_document", error);
      else if (!failed (c->run, "remove_document", g_steal_pointer (&error), TRUE))
        return FALSE;
    }
  return FALSE;
}

static gboolean
xs_flush (XsCtx *c)
{
  GError *error = NULL;

  if (xul_store_flush (c->store, &error))
    goto done;
  if (!failed (c->run, "flush", g_steal_pointer (&error), TRUE))
    return FALSE;
  if (!xul_store_flush (c->store, &error))
    {
      retry_failed (c->run, "flush", error);
      return FALSE;
    }
done:
  c->acked = c->states->len - 1;
  return TRUE;
}

/* A read-only store beside the writer: it must show the flushed state, or fail
 * clearly. An empty store where there is data would be a loss in silence. */
static gboolean
attempt_reader (XsCtx   *c,
                GError **error)
{
  g_autoptr (XulStore) reader = xul_store_new (c->run->path, XUL_STORE_FLAGS_READ_ONLY, error);
  g_autoptr (GBytes) dump = NULL;

  if (reader == NULL || (dump = flt_xs_store_dump (reader, error)) == NULL)
    return FALSE;
  if (!same_bytes (dump, g_ptr_array_index (c->states, c->acked)))
    problem (c->run, "a read-only store shows other data than flushed, without an error");
  return xul_store_close (reader, error);
}

static gboolean
xs_reader (XsCtx *c)
{
  GError *error = NULL;

  if (attempt_reader (c, &error))
    return TRUE;
  if (!failed (c->run, "read-only open and read", g_steal_pointer (&error), TRUE))
    return FALSE;
  if (attempt_reader (c, &error))
    return TRUE;
  retry_failed (c->run, "read-only open and read", error);
  return FALSE;
}

static void
xs_workload (XsCtx *c)
{
  static const char *const docs[] = { "chrome://app/a.xhtml", "chrome://app/b.xhtml" };
  char id[16], value[64];

  if (!xs_open (c))
    return;
  for (int d = 0; d < 2; d++)
    for (int i = 0; i < 3; i++)
      {
        g_snprintf (id, sizeof id, "e%d", i);
        g_snprintf (value, sizeof value, "%d-%d-width", d, i);
        if (!xs_change (c, docs[d], id, "width", value))
          return;
        if (d == 0 && !xs_change (c, docs[d], id, "height", "480"))
          return;
      }
  if (!xs_flush (c) ||
      !xs_reader (c) ||
      !xs_change (c, docs[0], "e1", "width", NULL) ||
      !xs_change (c, docs[1], "e1", "sizemode", "maximized") ||
      !xs_change (c, docs[0], "e2", "width", "changed") ||
      !xs_flush (c) ||
      !xs_close (c) ||
      !xs_open (c) ||
      !xs_remove_document (c, docs[0]) ||
      !xs_flush (c))
    return;
  xs_change (c, "chrome://app/c.xhtml", "main", "screenX", "12");
}

static void
xs_close_all (XsCtx *c)
{
  if (c->store != NULL)
    xs_close (c);
}

static void
xs_verify (XsCtx *c)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XulStore) store = xs_open_store (c->run->path, &error);
  g_autoptr (GBytes) dump = NULL;
  XulKvDb *db;
  gboolean found = FALSE;

  if (store == NULL)
    {
      problem (c->run, "reopening after the fault cleared failed: %s", error->message);
      return;
    }
  db = xul_store_get_db (store);
  if (xul_kv_db_get_recovery (db) != XUL_KV_RECOVERY_NONE)
    problem (c->run, "reopening recovered the file (recovery %d)", xul_kv_db_get_recovery (db));
  if (!xul_kv_db_check_integrity (db, &error))
    {
      problem (c->run, "integrity check after reopening: %s", error->message);
      g_clear_error (&error);
    }
  dump = flt_xs_store_dump (store, &error);
  if (dump == NULL)
    {
      problem (c->run, "reading after reopening: %s", error->message);
      g_clear_error (&error);
    }
  else
    for (guint j = c->acked; j < c->states->len && !found; j++)
      found = same_bytes (dump, g_ptr_array_index (c->states, j));
  if (dump != NULL && !found)
    problem (c->run, "after reopening, the store holds no state from the last flush (change "
             "%u) on (of %u)", c->acked, c->states->len - 1);
  if (!xul_store_close (store, &error))
    {
      problem (c->run, "closing after the fault cleared: %s", error->message);
      g_clear_error (&error);
    }
  if (tu_count_entries_containing (c->run->dir->path, "corrupt") > 0)
    problem (c->run, "a file was moved aside as corrupt");
}

static void
xs_run (Run *run)
{
  XsCtx c = { run, NULL };

  c.model = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c.states = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  xs_changed (&c);
  xs_workload (&c);
  xs_close_all (&c);
  run_disarm (run);
  xs_verify (&c);
  g_hash_table_unref (c.model);
  g_ptr_array_unref (c.states);
}

/* ==== campaigns ============================================================================ */

/* What a run tells the campaign (from a child process, through a pipe). */
typedef struct {
  guint64 injected;
  gboolean crashed;
  guint errors, retried, applied, mismatched, warnings;
  guint64 calls[FV_N_CLASSES];
  char first[128];
  gsize problems_len; /* the problems' text follows */
} Report;

/* Runs @wl with the fault armed at @n in @dir. */
static void
execute (Workload       wl,
         FvClass        cls,
         const Variant *variant,
         guint64        n,
         TuTmpdir      *dir,
         Report        *rep,
         GString       *problems)
{
  Run run = { wl, cls, variant, n, dir, NULL, problems };
  int code = variant->full ? SQLITE_FULL : fv_class_ioerr (cls);
  g_autofree char *first = NULL;
  guint warnings = flt_warnings_logged ();

  run.path = tu_tmpdir_file (dir, wl == WL_KV ? "kv.sqlite" : "store.sqlite");
  fv_arm (cls, n, variant->persistent, code);
  if (wl == WL_KV)
    kv_run (&run);
  else
    xs_run (&run);
  /* kv_run and xs_run disarm before verifying; the count stays. */
  rep->injected = fv_faults_injected ();
  first = fv_first_fault ();
  g_strlcpy (rep->first, first != NULL ? first : "none", sizeof rep->first);
  memcpy (rep->calls, run.calls, sizeof run.calls);
  rep->errors = run.errors;
  rep->retried = run.retried;
  rep->applied = run.applied;
  rep->mismatched = run.mismatched;
  rep->warnings = flt_warnings_logged () - warnings;
  rep->problems_len = problems->len;
  g_free (run.path);
}

static gboolean
read_all (int    fd,
          void  *buf,
          gsize  len)
{
  guint8 *at = buf;

  while (len > 0)
    {
      gssize got = read (fd, at, len);
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        return FALSE;
      at += got;
      len -= got;
    }
  return TRUE;
}

static void
write_all (int         fd,
           const void *buf,
           gsize       len)
{
  const guint8 *at = buf;

  while (len > 0)
    {
      gssize put = write (fd, at, len);
      if (put < 0 && errno == EINTR)
        continue;
      if (put <= 0)
        _exit (3);
      at += put;
      len -= put;
    }
}

/* Runs execute() in a child process, so that a crash is a problem of this one run and
 * the campaign goes on. The child never calls cmocka and ends with _exit(). */
static void
execute_isolated (Workload       wl,
                  FvClass        cls,
                  const Variant *variant,
                  guint64        n,
                  TuTmpdir      *dir,
                  Report        *rep,
                  GString       *problems)
{
  g_autofree char *crumbs_path = tu_tmpdir_file (dir, "run.log");
  int fds[2], status = 0;
  pid_t pid;
  gboolean complete;

  g_assert (pipe (fds) == 0);
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  g_assert (pid >= 0);
  if (pid == 0)
    {
      static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS };
      /* cmocka catches these to fail a test: in the child, they must kill it. */
      for (gsize i = 0; i < G_N_ELEMENTS (fatal); i++)
        signal (fatal[i], SIG_DFL);
      close (fds[0]);
      alarm (CHILD_ALARM_S);
      breadcrumbs = g_open (crumbs_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      execute (wl, cls, variant, n, dir, rep, problems);
      write_all (fds[1], rep, sizeof *rep);
      write_all (fds[1], problems->str, problems->len);
      _exit (0);
    }
  close (fds[1]);
  complete = read_all (fds[0], rep, sizeof *rep);
  if (complete)
    {
      g_autofree char *text = g_malloc0 (rep->problems_len + 1);
      complete = read_all (fds[0], text, rep->problems_len);
      g_string_append (problems, text);
    }
  close (fds[0]);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!complete)
    {
      /* Nothing is known of the run: count it as one that reached the fault, so that
       * the campaign goes on to the next N. */
      memset (rep, 0, sizeof *rep);
      rep->injected = 1;
      rep->crashed = TRUE;
      g_strlcpy (rep->first, "unknown", sizeof rep->first);
    }
  if (WIFSIGNALED (status) || !WIFEXITED (status) || WEXITSTATUS (status) != 0 || !complete)
    {
      g_autofree char *crumbs = NULL;
      const char *last = NULL;

      if (g_file_get_contents (crumbs_path, &crumbs, NULL, NULL) && crumbs[0] != '\0')
        {
          char *end = crumbs + strlen (crumbs) - 1;
          *end = '\0'; /* the last newline */
          last = (last = strrchr (crumbs, '\n')) != NULL ? last + 1 : crumbs;
        }
      rep->crashed = TRUE;
      if (WIFSIGNALED (status))
        g_string_append_printf (problems, "%sthe run crashed (%s)", problems->len > 0 ? "; " : "",
                                g_strsignal (WTERMSIG (status)));
      else
        g_string_append_printf (problems, "%sthe run ended with status %d%s",
                                problems->len > 0 ? "; " : "", WEXITSTATUS (status),
                                complete ? "" : " before reporting");
      if (last != NULL)
        g_string_append_printf (problems, " after: %s", last);
    }
}

/* Runs @wl with the fault armed at @n; returns how many calls failed. */
static guint64
run_once (Workload       wl,
          FvClass        cls,
          const Variant *variant,
          guint64        n,
          Stats         *st,
          guint64       *calls)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autoptr (GString) problems = g_string_new (NULL);
  Report rep = { 0 };

  /* Under valgrind a fork costs a second or more, and valgrind reports a bad free
   * without crashing: runs stay in the process there. */
  if (tu_config_uint ("FLT_FORK", 1, 0))
    execute_isolated (wl, cls, variant, n, dir, &rep, problems);
  else
    execute (wl, cls, variant, n, dir, &rep, problems);
  if (calls != NULL)
    memcpy (calls, rep.calls, sizeof rep.calls);
  child_warnings += rep.warnings;

  if (st != NULL)
    {
      st->tried++;
      st->faults += rep.injected;
      st->faulted += rep.injected > 0;
      st->crashed += rep.crashed;
      st->reported += !rep.crashed && rep.injected > 0 && rep.errors > 0;
      st->absorbed += !rep.crashed && rep.injected > 0 && rep.errors == 0;
      st->retried += rep.retried;
      st->applied += rep.applied;
      st->mismatched += rep.mismatched;
      st->with_problems += problems->len > 0;
    }
  if (problems->len > 0)
    {
      n_problems++;
      g_string_append_printf (all_problems, "%s, %s fault, %s, N=%" G_GUINT64_FORMAT
                              " (first failed call: %s): %s\n", workload_names[wl],
                              fv_class_name (cls), variant->name, n, rep.first,
                              problems->str);
    }
  return rep.injected;
}

static gboolean
class_selected (FvClass cls)
{
  const char *list = g_getenv ("FLT_IO_CLASSES");
  g_auto (GStrv) names = NULL;

  if (list == NULL || list[0] == '\0')
    return TRUE;
  names = g_strsplit (list, ",", -1);
  return g_strv_contains ((const char *const *) names, fv_class_name (cls));
}

/* The values of N to try for a class with @calls calls per run. */
static GArray *
plan (guint64 calls,
      guint   budget,
      gboolean exhaustive)
{
  GArray *ns = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint64 head = budget / 2, tail = budget - head;

  if (exhaustive || calls + 1 <= budget)
    {
      for (guint64 n = 1; n <= calls + 1; n++)
        g_array_append_val (ns, n);
      return ns;
    }
  for (guint64 n = 1; n <= head; n++)
    g_array_append_val (ns, n);
  for (guint64 i = 1; i <= tail; i++)
    {
      guint64 n = head + (calls - head) * i / tail;
      if (n > g_array_index (ns, guint64, ns->len - 1))
        g_array_append_val (ns, n);
    }
  {
    guint64 past = calls + 1;
    g_array_append_val (ns, past);
  }
  return ns;
}

static void
campaign (Workload wl)
{
  gboolean exhaustive = tu_config_uint ("FLT_IO_EXHAUSTIVE", 0, 0) != 0;
  guint budget = tu_config_uint ("FLT_IO_BUDGET", 48, 3);
  guint64 calls[FV_N_CLASSES];
  gint64 start = g_get_monotonic_time ();
  guint total_runs = 0;

  /* A run without a fault: the counts per class, and a check of the workload itself. */
  {
    guint before = n_problems;
    run_once (wl, FV_READ, &variants[0], G_MAXUINT64, NULL, calls);
    if (n_problems > before)
      {
        flt_note ("%s", all_problems->str);
        fail_msg ("the %s workload fails without any fault", workload_names[wl]);
      }
  }

  flt_note ("%s workload, %s campaign (budget %u values of N per class and variant)",
            workload_names[wl], exhaustive ? "exhaustive" : "sampled", budget);
  flt_note ("%-10s %-15s %6s %6s %6s %7s %8s %8s %7s %7s %7s %8s", "class", "variant",
            "calls", "N", "hit", "faults", "reported", "absorbed", "retried", "applied",
            "crashed", "problems");
  for (int cls = 0; cls < FV_N_CLASSES; cls++)
    {
      if (!class_selected (cls))
        continue;
      for (guint v = 0; v < N_VARIANTS; v++)
        {
          Stats *st = &stats[wl][cls][v];
          g_autoptr (GArray) ns = NULL;
          guint64 n = 0, injected = 1;

          if (variants[v].full && !fv_class_can_be_full (cls))
            continue;
          st->calls = calls[cls];
          ns = plan (calls[cls], budget, exhaustive);
          for (guint i = 0; i < ns->len; i++)
            {
              n = g_array_index (ns, guint64, i);
              injected = run_once (wl, cls, &variants[v], n, st, NULL);
            }
          /* Go on until a run completes without reaching the fault. */
          for (guint extra = 0; injected > 0 && extra < 1000; extra++)
            injected = run_once (wl, cls, &variants[v], ++n, st, NULL);
          if (injected > 0)
            {
              n_problems++;
              g_string_append_printf (all_problems, "%s, %s fault, %s: every run reaches the "
                                      "fault\n", workload_names[wl], fv_class_name (cls),
                                      variants[v].name);
            }
          total_runs += st->tried;
          flt_note ("%-10s %-15s %6" G_GUINT64_FORMAT " %6u %6u %7" G_GUINT64_FORMAT
                    " %8u %8u %7u %7u %7u %8u", fv_class_name (cls), variants[v].name,
                    st->calls, st->tried, st->faulted, st->faults, st->reported, st->absorbed,
                    st->retried, st->applied, st->crashed, st->with_problems);
          if (st->mismatched > 0)
            flt_note ("  (%u errors reported IO for FULL or FULL for IO)", st->mismatched);
        }
    }
  flt_note ("%s: %u runs in %.1f s, %u warnings logged by the library so far",
            workload_names[wl], total_runs,
            (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC,
            flt_warnings_logged () + child_warnings);
}

/* Prints every problem as TAP comments (cmocka truncates long messages), then fails. */
static void
report_problems (void)
{
  char **lines;

  if (n_problems == 0)
    return;
  lines = g_strsplit (all_problems->str, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0')
      flt_note ("PROBLEM %s", lines[i]);
  /* fail_msg does not return. */
  g_strfreev (lines);
  fail_msg ("%u runs with problems (listed above)", n_problems);
}

static void
test_kvcore_io_faults (void **state)
{
  campaign (WL_KV);
  report_problems ();
}

static void
test_xulstore_io_faults (void **state)
{
  campaign (WL_XS);
  report_problems ();
}

static int
reset_problems (void **state)
{
  g_string_truncate (all_problems, 0);
  n_problems = 0;
  return 0;
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup (test_kvcore_io_faults, reset_problems),
    cmocka_unit_test_setup (test_xulstore_io_faults, reset_problems),
  };

  fv_install ();
  flt_capture_log ();
  flt_note ("temporary files in %s", flt_use_fast_tmpdir ());
  all_problems = g_string_new (NULL);
  return tu_run ("io-faults", tests);
}
