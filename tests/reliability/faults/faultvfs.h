/* faultvfs.h: a test VFS over SQLite's default one, for I/O-fault and power-loss
 * campaigns.
 *
 * fv_install() registers it as the default VFS, so every connection the library opens
 * afterwards (sqlite3_open_v2 with a NULL VFS name) goes through it. It then
 *
 * - counts the calls of each class (reads, writes, syncs, ...), from fv_reset_counts();
 * - fails the Nth call of one class with the right SQLite code, once or from N on
 *   (fv_arm), until fv_disarm();
 * - in power-loss mode (fv_power_begin), remembers, per file path, the content that a
 *   sync made durable and the writes and truncations made since, and at a power cut
 *   writes each file's surviving image into another directory: the synced content
 *   (DISCARD), the synced content plus a seeded random subset of the 512-byte sectors
 *   of each unsynced write (TEAR), or everything (KEEP, an application crash).
 *
 * All state sits behind one mutex: the library's writer thread and the test thread may
 * use it together. Real syncs are skipped unless FV_REAL_SYNC=1 is set: durability is
 * simulated, and skipping them keeps the campaigns fast. FV_LYING_SYNC=1 simulates
 * storage that acknowledges syncs without making anything durable: the power-loss
 * campaign must then fail (a check of its own sensitivity). */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

typedef enum {
  FV_READ,       /* xRead: SQLITE_IOERR_READ */
  FV_WRITE,      /* xWrite: SQLITE_IOERR_WRITE, or SQLITE_FULL */
  FV_SYNC,       /* xSync: SQLITE_IOERR_FSYNC */
  FV_TRUNCATE,   /* xTruncate: SQLITE_IOERR_TRUNCATE, or SQLITE_FULL */
  FV_LOCK,       /* xLock: SQLITE_IOERR_LOCK */
  FV_SHM_LOCK,   /* xShmLock, lock requests only: SQLITE_IOERR_SHMLOCK */
  FV_FILE_SIZE,  /* xFileSize: SQLITE_IOERR_FSTAT */
  FV_SHM_MAP,    /* xShmMap: SQLITE_IOERR_SHMMAP */
  FV_OPEN,       /* xOpen: SQLITE_CANTOPEN */
  FV_DELETE,     /* xDelete: SQLITE_IOERR_DELETE */
  FV_ACCESS,     /* xAccess: SQLITE_IOERR_ACCESS */
  FV_N_CLASSES
} FvClass;

typedef enum {
  FV_CUT_DISCARD, /* unsynced writes are lost */
  FV_CUT_TEAR,    /* a random subset of the sectors of unsynced writes survives */
  FV_CUT_KEEP,    /* every write survives: what an application crash leaves */
  FV_N_CUT_MODES
} FvCutMode;

/* Registers the VFS as the default. Call once, before any database is opened. */
void fv_install (void);

const char *fv_class_name (FvClass cls);
/* The class named @name ("read", "shm-lock", ...), or FV_N_CLASSES. */
FvClass fv_class_from_name (const char *name);
/* The extended I/O error code a failing call of @cls returns. */
int fv_class_ioerr (FvClass cls);
/* Whether SQLITE_FULL is a sensible failure of @cls (writes and truncations). */
gboolean fv_class_can_be_full (FvClass cls);
const char *fv_cut_mode_name (FvCutMode mode);

/* ---- counting and fault injection ---------------------------------------------- */

void fv_reset_counts (void);
guint64 fv_calls (FvClass cls);

/* Fails the @n-th call of @cls (counted from the last fv_reset_counts) with @code, and
 * with @persistent every later one too. Resets the counts. */
void fv_arm (FvClass  cls,
             guint64  n,
             gboolean persistent,
             int      code);
void fv_disarm (void);
/* How many calls were failed since the last fv_arm. */
guint64 fv_faults_injected (void);
/* "write #12 on kv.sqlite-wal" for the first failed call since fv_arm, or NULL. */
char *fv_first_fault (void);

/* ---- power loss ------------------------------------------------------------------ */

/* Starts tracking the files under @dir (an absolute path): what exists there now
 * counts as durable. Forgets any earlier tracking. When @cut_after is not 0, the power
 * is cut just before the @cut_after-th write, truncation or sync under @dir (counting
 * from now), from inside that call: the images go to @out_dir (which must exist) and
 * the call then goes on as usual. */
void fv_power_begin (const char *dir,
                     guint64     cut_after,
                     FvCutMode   mode,
                     guint32     seed,
                     const char *out_dir);
/* Cuts the power now, if it was not cut yet. */
void fv_power_cut_now (void);
gboolean fv_power_was_cut (void);
/* Writes, truncations and syncs under the tracked directory since fv_power_begin. */
guint64 fv_power_ops (void);
/* Unsynced operations at the moment of the cut, and sectors the cut dropped. */
guint64 fv_power_pending_at_cut (void);
guint64 fv_power_sectors_dropped (void);
/* Stops tracking and forgets everything. */
void fv_power_end (void);

G_END_DECLS
