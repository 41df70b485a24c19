/* xul-legacy-file.c: reading and replacing legacy files on disk.
 *
 * Reads are bounded (a hostile file cannot exhaust memory). Replacement is atomic: a
 * temporary file beside the target (created exclusively, so a symlink planted at its
 * name is never followed), synced, then renamed over the target, whose directory is
 * synced too. Nothing here ever deletes a file. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kv-files-private.h"
#include "xul-legacy-private.h"

static gboolean
set_io_error (GError    **error,
              const char *operation,
              const char *path,
              int         saved_errno)
{
  g_set_error (error, XUL_LEGACY_ERROR, XUL_LEGACY_ERROR_IO, "Cannot %s “%s”: %s",
               operation, path, g_strerror (saved_errno));
  return FALSE;
}

/* File contents live in pages of their own (an anonymous mapping), so that the reader
 * can give back what it has parsed: a large import then never holds the whole file
 * and everything made from it at the same time. */
typedef struct {
  void *pages;
  gsize size;
} Mapping;

static void
unmap (gpointer data)
{
  Mapping *mapping = data;

  munmap (mapping->pages, mapping->size);
  g_free (mapping);
}

static GBytes *
new_buffer (gsize len)
{
  Mapping *mapping = g_new (Mapping, 1);

  mapping->size = MAX (len, 1);
  mapping->pages = mmap (NULL, mapping->size, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping->pages == MAP_FAILED)
    g_error ("Out of memory for %" G_GSIZE_FORMAT " bytes", len);
  return g_bytes_new_with_free_func (mapping->pages, len, unmap, mapping);
}

GBytes *
xul_legacy_read_file (const char *path,
                      guint64     max_size,
                      GError    **error)
{
  g_autoptr (GBytes) buffer = NULL;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  gsize len = 0, capacity;
  char *data;
  GStatBuf st;

  if (fd < 0)
    return set_io_error (error, "read", path, errno), NULL;
  if (fstat (fd, &st) != 0)
    {
      set_io_error (error, "read", path, errno);
      close (fd);
      return NULL;
    }
  /* Read one byte past the limit: a file that grew since fstat is still caught. */
  capacity = (gsize) MIN ((guint64) st.st_size, max_size) + 1;
  buffer = new_buffer (capacity);
  data = (char *) g_bytes_get_data (buffer, NULL);
  for (;;)
    {
      ssize_t n = read (fd, data + len, capacity - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          set_io_error (error, "read", path, errno);
          close (fd);
          return NULL;
        }
      len += (gsize) n;
      if (n == 0 || len == capacity)
        break;
    }
  close (fd);
  if (len > max_size)
    {
      g_set_error (error, XUL_LEGACY_ERROR, XUL_LEGACY_ERROR_TOO_LARGE,
                   "“%s” is larger than %" G_GUINT64_FORMAT " bytes, the most an import "
                   "reads", path, max_size);
      return NULL;
    }
  return g_bytes_new_from_bytes (buffer, 0, len);
}

void
xul_legacy_release (GBytes *content,
                    gsize   len)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  guint8 *start = (guint8 *) g_bytes_get_data (content, NULL);
  gsize whole = len / page * page;

  /* The buffer starts on a page (mmap); only whole pages can be given back. */
  if (whole > 0 && (guintptr) start % page == 0)
    madvise (start, whole, MADV_DONTNEED);
}

char *
xul_legacy_fingerprint (GBytes *content)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (content, &len);

  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

gboolean
xul_legacy_replace_file (const char            *path,
                         GBytes                *content,
                         XulLegacyBeforeRename  before_rename,
                         gpointer               data,
                         GError               **error)
{
  g_autofree char *tmp_path = g_strconcat (path, ".tmp-XXXXXX", NULL);
  int fd = g_mkstemp_full (tmp_path, O_WRONLY | O_CLOEXEC, 0600);
  gsize len;
  const guint8 *bytes = g_bytes_get_data (content, &len);
  int saved_errno;

  if (fd < 0)
    return set_io_error (error, "create a temporary file beside", path, errno);
  if (!write_all (fd, bytes, len) || fsync (fd) != 0)
    {
      saved_errno = errno;
      close (fd);
      g_unlink (tmp_path);
      return set_io_error (error, "write", tmp_path, saved_errno);
    }
  close (fd);
  if (before_rename != NULL && !before_rename (content, data, error))
    {
      g_unlink (tmp_path);
      return FALSE;
    }
  if (g_rename (tmp_path, path) != 0)
    {
      saved_errno = errno;
      g_unlink (tmp_path);
      return set_io_error (error, "replace", path, saved_errno);
    }
  kv_sync_directory_of (path);
  return TRUE;
}

/* Renames @path to "<path>.<tag>-<UTC time>" (with "-N" when taken) and returns the
 * new name. */
char *
xul_legacy_move_aside (const char *path,
                       const char *tag,
                       GError    **error)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");

  for (guint n = 0;; n++)
    {
      g_autofree char *aside = n == 0 ? g_strdup_printf ("%s.%s-%s", path, tag, stamp)
                                      : g_strdup_printf ("%s.%s-%s-%u", path, tag, stamp, n);
      if (g_file_test (aside, G_FILE_TEST_EXISTS))
        continue;
      if (g_rename (path, aside) != 0)
        {
          set_io_error (error, "move aside", path, errno);
          return NULL;
        }
      return g_steal_pointer (&aside);
    }
}
