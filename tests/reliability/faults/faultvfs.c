/* faultvfs.c: see faultvfs.h.
 *
 * Each file of the VFS is an FvFile followed by the real VFS's own file object; every
 * method checks for an armed fault, then forwards. Writes, truncations and syncs run
 * with the lock held, so that the power-loss records list the operations in the order
 * the files saw them, and a cut (taken with the lock held) falls between two of them. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "faultvfs.h"

#define SECTOR 512

typedef struct {
  sqlite3_file base;
  const char *path;    /* valid until xClose; NULL for anonymous temporary files */
  sqlite3_file *real;  /* the real file object, just after this struct */
} FvFile;

/* An unsynced write (data != NULL) or truncation (to size offset). */
typedef struct {
  gint64 offset;
  GBytes *data;
} FvOp;

/* One tracked file: its durable content and what happened to it since. */
typedef struct {
  GByteArray *synced;
  GArray *pending; /* FvOp */
} FvImage;

static const struct {
  const char *name;
  int ioerr;
} class_info[FV_N_CLASSES] = {
  [FV_READ] = { "read", SQLITE_IOERR_READ },
  [FV_WRITE] = { "write", SQLITE_IOERR_WRITE },
  [FV_SYNC] = { "sync", SQLITE_IOERR_FSYNC },
  [FV_TRUNCATE] = { "truncate", SQLITE_IOERR_TRUNCATE },
  [FV_LOCK] = { "lock", SQLITE_IOERR_LOCK },
  [FV_SHM_LOCK] = { "shm-lock", SQLITE_IOERR_SHMLOCK },
  [FV_FILE_SIZE] = { "file-size", SQLITE_IOERR_FSTAT },
  [FV_SHM_MAP] = { "shm-map", SQLITE_IOERR_SHMMAP },
  [FV_OPEN] = { "open", SQLITE_CANTOPEN },
  [FV_DELETE] = { "delete", SQLITE_IOERR_DELETE },
  [FV_ACCESS] = { "access", SQLITE_IOERR_ACCESS },
};

static GMutex lock;
static sqlite3_vfs *real_vfs;
static sqlite3_vfs fault_vfs;
static gboolean real_sync;
static gboolean lying_sync; /* FV_LYING_SYNC=1: syncs succeed and make nothing durable */

static guint64 calls[FV_N_CLASSES];

static struct {
  gboolean armed, persistent;
  FvClass cls;
  guint64 n;
  int code;
  guint64 injected;
  char *first;
} fault;

static struct {
  char *dir, *out_dir;
  FvCutMode mode;
  guint32 seed;
  guint64 cut_after, ops;
  gboolean cut;
  GHashTable *images; /* path -> FvImage */
  guint64 pending_at_cut, sectors_dropped;
} power;

/* ---- names -------------------------------------------------------------------------- */

const char *
fv_class_name (FvClass cls)
{
  return cls < FV_N_CLASSES ? class_info[cls].name : "?";
}

FvClass
fv_class_from_name (const char *name)
{
  for (int i = 0; i < FV_N_CLASSES; i++)
    if (g_str_equal (name, class_info[i].name))
      return (FvClass) i;
  return FV_N_CLASSES;
}

int
fv_class_ioerr (FvClass cls)
{
  return class_info[cls].ioerr;
}

gboolean
fv_class_can_be_full (FvClass cls)
{
  return cls == FV_WRITE || cls == FV_TRUNCATE;
}

const char *
fv_cut_mode_name (FvCutMode mode)
{
  static const char *const names[] = { "discard", "tear", "keep" };
  return mode < FV_N_CUT_MODES ? names[mode] : "?";
}

static const char *
base_name (const char *path)
{
  const char *slash;

  if (path == NULL)
    return "(temporary file)";
  slash = strrchr (path, '/');
  return slash != NULL ? slash + 1 : path;
}

/* ---- faults --------------------------------------------------------------------------- */

/* With the lock held: counts a call of @cls and says how it must fail (0: it must
 * not). */
static int
check_fault_locked (FvClass     cls,
                    const char *path)
{
  guint64 n = ++calls[cls];

  if (!fault.armed || fault.cls != cls || n < fault.n || (n > fault.n && !fault.persistent))
    return 0;
  if (fault.injected++ == 0)
    fault.first = g_strdup_printf ("%s #%" G_GUINT64_FORMAT " on %s", class_info[cls].name,
                                   n, base_name (path));
  return fault.code;
}

static int
check_fault (FvClass     cls,
             const char *path)
{
  int rc;

  g_mutex_lock (&lock);
  rc = check_fault_locked (cls, path);
  g_mutex_unlock (&lock);
  return rc;
}

void
fv_reset_counts (void)
{
  g_mutex_lock (&lock);
  memset (calls, 0, sizeof calls);
  g_mutex_unlock (&lock);
}

guint64
fv_calls (FvClass cls)
{
  guint64 n;

  g_mutex_lock (&lock);
  n = calls[cls];
  g_mutex_unlock (&lock);
  return n;
}

void
fv_arm (FvClass  cls,
        guint64  n,
        gboolean persistent,
        int      code)
{
  g_mutex_lock (&lock);
  memset (calls, 0, sizeof calls);
  g_clear_pointer (&fault.first, g_free);
  fault.armed = TRUE;
  fault.cls = cls;
  fault.n = n;
  fault.persistent = persistent;
  fault.code = code;
  fault.injected = 0;
  g_mutex_unlock (&lock);
}

void
fv_disarm (void)
{
  g_mutex_lock (&lock);
  fault.armed = FALSE;
  g_mutex_unlock (&lock);
}

guint64
fv_faults_injected (void)
{
  guint64 n;

  g_mutex_lock (&lock);
  n = fault.injected;
  g_mutex_unlock (&lock);
  return n;
}

char *
fv_first_fault (void)
{
  char *first;

  g_mutex_lock (&lock);
  first = g_strdup (fault.first);
  g_mutex_unlock (&lock);
  return first;
}

/* ---- power loss: images ------------------------------------------------------------ */

static void
op_clear (gpointer data)
{
  FvOp *op = data;
  g_clear_pointer (&op->data, g_bytes_unref);
}

static void
image_free (gpointer data)
{
  FvImage *image = data;

  g_byte_array_unref (image->synced);
  g_array_unref (image->pending);
  g_free (image);
}

/* Sets the length of @bytes, zero-filling what grows. */
static void
resize (GByteArray *bytes,
        gsize       len)
{
  gsize old = bytes->len;

  g_byte_array_set_size (bytes, len);
  if (len > old)
    memset (bytes->data + old, 0, len - old);
}

static void
put (GByteArray   *bytes,
     gint64        offset,
     const guint8 *data,
     gsize         len)
{
  if ((gsize) offset + len > bytes->len)
    resize (bytes, offset + len);
  memcpy (bytes->data + offset, data, len);
}

static gboolean
is_tracked (const char *path)
{
  gsize len;

  if (power.dir == NULL || path == NULL)
    return FALSE;
  len = strlen (power.dir);
  return strncmp (path, power.dir, len) == 0 && path[len] == '/';
}

/* With the lock held: the image of @path, created from what is on disk when new. */
static FvImage *
image_for (const char *path)
{
  FvImage *image;
  char *contents = NULL;
  gsize len = 0;

  if (!is_tracked (path))
    return NULL;
  image = g_hash_table_lookup (power.images, path);
  if (image != NULL)
    return image;
  image = g_new0 (FvImage, 1);
  image->synced = g_byte_array_new ();
  image->pending = g_array_new (FALSE, TRUE, sizeof (FvOp));
  g_array_set_clear_func (image->pending, op_clear);
  if (g_file_get_contents (path, &contents, &len, NULL))
    g_byte_array_append (image->synced, (const guint8 *) contents, len);
  g_free (contents);
  g_hash_table_insert (power.images, g_strdup (path), image);
  return image;
}

/* Applies @op to @bytes, or with @rand (TEAR) a random part of it. */
static void
apply_op (GByteArray *bytes,
          const FvOp *op,
          GRand      *rand)
{
  gsize len;
  const guint8 *data;

  if (op->data == NULL)
    {
      if (rand == NULL || g_rand_boolean (rand))
        resize (bytes, op->offset);
      else
        power.sectors_dropped++;
      return;
    }
  data = g_bytes_get_data (op->data, &len);
  if (rand == NULL)
    {
      put (bytes, op->offset, data, len);
      return;
    }
  /* Sectors are aligned in the file, and never reach outside the write. */
  for (gint64 at = op->offset; at < op->offset + (gint64) len;)
    {
      gint64 end = MIN ((at / SECTOR + 1) * SECTOR, op->offset + (gint64) len);
      if (g_rand_boolean (rand))
        put (bytes, at, data + (at - op->offset), end - at);
      else
        power.sectors_dropped++;
      at = end;
    }
}

static GByteArray *
image_at_cut (FvImage    *image,
              const char *name)
{
  GByteArray *bytes = g_byte_array_sized_new (image->synced->len);
  GRand *rand = NULL;

  g_byte_array_append (bytes, image->synced->data, image->synced->len);
  power.pending_at_cut += image->pending->len;
  if (power.mode == FV_CUT_DISCARD)
    return bytes;
  if (power.mode == FV_CUT_TEAR)
    rand = g_rand_new_with_seed (power.seed ^ g_str_hash (name));
  for (guint i = 0; i < image->pending->len; i++)
    apply_op (bytes, &g_array_index (image->pending, FvOp, i), rand);
  g_clear_pointer (&rand, g_rand_free);
  return bytes;
}

/* With the lock held: writes what survives of each file of the directory to the output
 * directory. Files the VFS never saw (the lock file, -shm, backups written and synced
 * outside SQLite) are copied as they are. */
static void
cut_locked (void)
{
  GDir *dir;
  const char *name;

  if (power.cut || power.dir == NULL)
    return;
  power.cut = TRUE;
  dir = g_dir_open (power.dir, 0, NULL);
  g_assert (dir != NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *src = g_build_filename (power.dir, name, NULL);
      g_autofree char *dst = g_build_filename (power.out_dir, name, NULL);
      FvImage *image = g_hash_table_lookup (power.images, src);
      g_autoptr (GError) error = NULL;

      if (!g_file_test (src, G_FILE_TEST_IS_REGULAR))
        continue;
      if (image != NULL)
        {
          g_autoptr (GByteArray) bytes = image_at_cut (image, name);
          g_file_set_contents (dst, (const char *) bytes->data, bytes->len, &error);
        }
      else
        {
          g_autofree char *contents = NULL;
          gsize len;
          if (g_file_get_contents (src, &contents, &len, &error))
            g_file_set_contents (dst, contents, len, &error);
        }
      if (error != NULL)
        g_error ("power cut: cannot save %s: %s", name, error->message);
    }
  g_dir_close (dir);
}

/* With the lock held: counts one write, truncation or sync of @path, cutting the
 * power first when it is the chosen one. */
static void
power_op_locked (const char *path)
{
  if (!is_tracked (path) || power.cut)
    return;
  if (++power.ops == power.cut_after)
    cut_locked ();
}

static void
record_locked (const char *path,
               gint64      offset,
               const void *data,
               gsize       len)
{
  FvImage *image = image_for (path);
  FvOp op = { offset, data != NULL ? g_bytes_new (data, len) : NULL };

  if (image != NULL)
    g_array_append_val (image->pending, op);
  else
    op_clear (&op);
}

static void
record_sync_locked (const char *path)
{
  FvImage *image = image_for (path);

  if (image == NULL)
    return;
  for (guint i = 0; i < image->pending->len; i++)
    apply_op (image->synced, &g_array_index (image->pending, FvOp, i), NULL);
  g_array_set_size (image->pending, 0);
}

void
fv_power_begin (const char *dir,
                guint64     cut_after,
                FvCutMode   mode,
                guint32     seed,
                const char *out_dir)
{
  fv_power_end ();
  g_mutex_lock (&lock);
  power.dir = g_strdup (dir);
  power.out_dir = g_strdup (out_dir);
  power.cut_after = cut_after;
  power.mode = mode;
  power.seed = seed;
  power.images = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, image_free);
  g_mutex_unlock (&lock);
}

void
fv_power_cut_now (void)
{
  g_mutex_lock (&lock);
  cut_locked ();
  g_mutex_unlock (&lock);
}

gboolean
fv_power_was_cut (void)
{
  gboolean cut;

  g_mutex_lock (&lock);
  cut = power.cut;
  g_mutex_unlock (&lock);
  return cut;
}

guint64
fv_power_ops (void)
{
  guint64 n;

  g_mutex_lock (&lock);
  n = power.ops;
  g_mutex_unlock (&lock);
  return n;
}

guint64
fv_power_pending_at_cut (void)
{
  guint64 n;

  g_mutex_lock (&lock);
  n = power.pending_at_cut;
  g_mutex_unlock (&lock);
  return n;
}

guint64
fv_power_sectors_dropped (void)
{
  guint64 n;

  g_mutex_lock (&lock);
  n = power.sectors_dropped;
  g_mutex_unlock (&lock);
  return n;
}

void
fv_power_end (void)
{
  g_mutex_lock (&lock);
  g_clear_pointer (&power.dir, g_free);
  g_clear_pointer (&power.out_dir, g_free);
  g_clear_pointer (&power.images, g_hash_table_unref);
  power.cut = FALSE;
  power.cut_after = power.ops = 0;
  power.pending_at_cut = power.sectors_dropped = 0;
  g_mutex_unlock (&lock);
}

/* ---- file methods -------------------------------------------------------------------- */

static int
fv_close (sqlite3_file *file)
{
  FvFile *f = (FvFile *) file;
  return f->real->pMethods->xClose (f->real);
}

static int
fv_read (sqlite3_file *file,
         void         *buf,
         int           amount,
         sqlite3_int64 offset)
{
  FvFile *f = (FvFile *) file;
  int rc = check_fault (FV_READ, f->path);

  return rc != 0 ? rc : f->real->pMethods->xRead (f->real, buf, amount, offset);
}

static int
fv_write (sqlite3_file *file,
          const void   *buf,
          int           amount,
          sqlite3_int64 offset)
{
  FvFile *f = (FvFile *) file;
  int rc;

  g_mutex_lock (&lock);
  power_op_locked (f->path);
  rc = check_fault_locked (FV_WRITE, f->path);
  if (rc == 0)
    {
      rc = f->real->pMethods->xWrite (f->real, buf, amount, offset);
      if (rc == SQLITE_OK)
        record_locked (f->path, offset, buf, amount);
    }
  g_mutex_unlock (&lock);
  return rc;
}

static int
fv_truncate (sqlite3_file *file,
             sqlite3_int64 size)
{
  FvFile *f = (FvFile *) file;
  int rc;

  g_mutex_lock (&lock);
  power_op_locked (f->path);
  rc = check_fault_locked (FV_TRUNCATE, f->path);
  if (rc == 0)
    {
      rc = f->real->pMethods->xTruncate (f->real, size);
      if (rc == SQLITE_OK)
        record_locked (f->path, size, NULL, 0);
    }
  g_mutex_unlock (&lock);
  return rc;
}

static int
fv_sync (sqlite3_file *file,
         int           flags)
{
  FvFile *f = (FvFile *) file;
  int rc;

  g_mutex_lock (&lock);
  power_op_locked (f->path);
  rc = check_fault_locked (FV_SYNC, f->path);
  if (rc == 0)
    {
      if (real_sync)
        rc = f->real->pMethods->xSync (f->real, flags);
      if (rc == SQLITE_OK && !lying_sync)
        record_sync_locked (f->path);
    }
  g_mutex_unlock (&lock);
  return rc;
}

static int
fv_file_size (sqlite3_file  *file,
              sqlite3_int64 *size)
{
  FvFile *f = (FvFile *) file;
  int rc = check_fault (FV_FILE_SIZE, f->path);

  return rc != 0 ? rc : f->real->pMethods->xFileSize (f->real, size);
}

static int
fv_lock (sqlite3_file *file,
         int           level)
{
  FvFile *f = (FvFile *) file;
  int rc = check_fault (FV_LOCK, f->path);

  return rc != 0 ? rc : f->real->pMethods->xLock (f->real, level);
}

static int
fv_unlock (sqlite3_file *file,
           int           level)
{
  FvFile *f = (FvFile *) file;
  return f->real->pMethods->xUnlock (f->real, level);
}

static int
fv_check_reserved_lock (sqlite3_file *file,
                        int          *out)
{
  FvFile *f = (FvFile *) file;
  return f->real->pMethods->xCheckReservedLock (f->real, out);
}

static int
fv_file_control (sqlite3_file *file,
                 int           op,
                 void         *arg)
{
  FvFile *f = (FvFile *) file;
  return f->real->pMethods->xFileControl (f->real, op, arg);
}

static int
fv_sector_size (sqlite3_file *file)
{
  FvFile *f = (FvFile *) file;
  return f->real->pMethods->xSectorSize (f->real);
}

static int
fv_device_characteristics (sqlite3_file *file)
{
  FvFile *f = (FvFile *) file;
  return f->real->pMethods->xDeviceCharacteristics (f->real);
}

static int
fv_shm_map (sqlite3_file       *file,
            int                 page,
            int                 page_size,
            int                 extend,
            void volatile     **out)
{
  FvFile *f = (FvFile *) file;
  int rc = check_fault (FV_SHM_MAP, f->path);

  return rc != 0 ? rc : f->real->pMethods->xShmMap (f->real, page, page_size, extend, out);
}

static int
fv_shm_lock (sqlite3_file *file,
             int           offset,
             int           n,
             int           flags)
{
  FvFile *f = (FvFile *) file;
  int rc = (flags & SQLITE_SHM_UNLOCK) ? 0 : check_fault (FV_SHM_LOCK, f->path);

  return rc != 0 ? rc : f->real->pMethods->xShmLock (f->real, offset, n, flags);
}

static void
fv_shm_barrier (sqlite3_file *file)
{
  FvFile *f = (FvFile *) file;
  f->real->pMethods->xShmBarrier (f->real);
}

static int
fv_shm_unmap (sqlite3_file *file,
              int           delete_flag)
{
  FvFile *f = (FvFile *) file;
  return f->real->pMethods->xShmUnmap (f->real, delete_flag);
}

/* Version 2: no xFetch, so that every read of a page goes through xRead. */
static const sqlite3_io_methods fault_io = {
  .iVersion = 2,
  .xClose = fv_close,
  .xRead = fv_read,
  .xWrite = fv_write,
  .xTruncate = fv_truncate,
  .xSync = fv_sync,
  .xFileSize = fv_file_size,
  .xLock = fv_lock,
  .xUnlock = fv_unlock,
  .xCheckReservedLock = fv_check_reserved_lock,
  .xFileControl = fv_file_control,
  .xSectorSize = fv_sector_size,
  .xDeviceCharacteristics = fv_device_characteristics,
  .xShmMap = fv_shm_map,
  .xShmLock = fv_shm_lock,
  .xShmBarrier = fv_shm_barrier,
  .xShmUnmap = fv_shm_unmap,
};

/* ---- VFS methods ----------------------------------------------------------------------- */

static int
fv_open (sqlite3_vfs     *vfs,
         sqlite3_filename name,
         sqlite3_file    *file,
         int              flags,
         int             *out_flags)
{
  FvFile *f = (FvFile *) file;
  int rc;

  f->base.pMethods = NULL;
  f->path = name;
  f->real = (sqlite3_file *) (f + 1);
  g_mutex_lock (&lock);
  rc = check_fault_locked (FV_OPEN, name);
  if (rc == 0)
    image_for (name); /* what is there before SQLite first opens it is durable */
  g_mutex_unlock (&lock);
  if (rc != 0)
    return rc;
  rc = real_vfs->xOpen (real_vfs, name, f->real, flags, out_flags);
  if (f->real->pMethods != NULL)
    f->base.pMethods = &fault_io;
  return rc;
}

static int
fv_delete (sqlite3_vfs *vfs,
           const char  *name,
           int          sync_dir)
{
  int rc = check_fault (FV_DELETE, name);

  if (rc != 0)
    return rc;
  rc = real_vfs->xDelete (real_vfs, name, sync_dir);
  if (rc == SQLITE_OK)
    {
      /* A deletion is taken as durable at once. */
      g_mutex_lock (&lock);
      if (power.images != NULL)
        g_hash_table_remove (power.images, name);
      g_mutex_unlock (&lock);
    }
  return rc;
}

static int
fv_access (sqlite3_vfs *vfs,
           const char  *name,
           int          flags,
           int         *out)
{
  int rc = check_fault (FV_ACCESS, name);

  return rc != 0 ? rc : real_vfs->xAccess (real_vfs, name, flags, out);
}

static int
fv_full_pathname (sqlite3_vfs *vfs,
                  const char  *name,
                  int          n,
                  char        *out)
{
  return real_vfs->xFullPathname (real_vfs, name, n, out);
}

static void *
fv_dl_open (sqlite3_vfs *vfs,
            const char  *name)
{
  return real_vfs->xDlOpen (real_vfs, name);
}

static void
fv_dl_error (sqlite3_vfs *vfs,
             int          n,
             char        *out)
{
  real_vfs->xDlError (real_vfs, n, out);
}

static void (*fv_dl_sym (sqlite3_vfs *vfs,
                         void        *handle,
                         const char  *symbol)) (void)
{
  return real_vfs->xDlSym (real_vfs, handle, symbol);
}

static void
fv_dl_close (sqlite3_vfs *vfs,
             void        *handle)
{
  real_vfs->xDlClose (real_vfs, handle);
}

static int
fv_randomness (sqlite3_vfs *vfs,
               int          n,
               char        *out)
{
  return real_vfs->xRandomness (real_vfs, n, out);
}

static int
fv_sleep (sqlite3_vfs *vfs,
          int          us)
{
  return real_vfs->xSleep (real_vfs, us);
}

static int
fv_current_time (sqlite3_vfs *vfs,
                 double      *out)
{
  return real_vfs->xCurrentTime (real_vfs, out);
}

static int
fv_get_last_error (sqlite3_vfs *vfs,
                   int          n,
                   char        *out)
{
  return real_vfs->xGetLastError (real_vfs, n, out);
}

static int
fv_current_time_int64 (sqlite3_vfs   *vfs,
                       sqlite3_int64 *out)
{
  return real_vfs->xCurrentTimeInt64 (real_vfs, out);
}

void
fv_install (void)
{
  g_assert (real_vfs == NULL);
  g_assert (sqlite3_initialize () == SQLITE_OK);
  real_vfs = sqlite3_vfs_find (NULL);
  g_assert (real_vfs != NULL && real_vfs->iVersion >= 2);
  real_sync = g_strcmp0 (g_getenv ("FV_REAL_SYNC"), "1") == 0;
  lying_sync = g_strcmp0 (g_getenv ("FV_LYING_SYNC"), "1") == 0;

  fault_vfs = (sqlite3_vfs) {
    .iVersion = 2,
    .szOsFile = (int) sizeof (FvFile) + real_vfs->szOsFile,
    .mxPathname = real_vfs->mxPathname,
    .zName = "faultvfs",
    .xOpen = fv_open,
    .xDelete = fv_delete,
    .xAccess = fv_access,
    .xFullPathname = fv_full_pathname,
    .xDlOpen = fv_dl_open,
    .xDlError = fv_dl_error,
    .xDlSym = fv_dl_sym,
    .xDlClose = fv_dl_close,
    .xRandomness = fv_randomness,
    .xSleep = fv_sleep,
    .xCurrentTime = fv_current_time,
    .xGetLastError = fv_get_last_error,
    .xCurrentTimeInt64 = fv_current_time_int64,
  };
  g_assert (sqlite3_vfs_register (&fault_vfs, 1) == SQLITE_OK);
}
