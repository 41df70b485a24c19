/* xul-lock.c: one writer per store file, across threads and processes.
 *
 * flock() on `<db>.lock`: the lock belongs to the open file description, so a second
 * open in the same process conflicts like one in another process, and the kernel drops
 * it when the holder dies, so a crash never leaves a stale lock. The file holds the
 * holder's pid, for the message of whoever is refused; it is never deleted (deleting a
 * lock file races with the next locker). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "xul-lock-private.h"
#include "xul-store-private.h"

struct _XulLock {
  int fd;
};

static char *
read_holder (int fd)
{
  char buffer[32] = "";
  ssize_t n = pread (fd, buffer, sizeof buffer - 1, 0);

  if (n <= 0)
    return g_strdup ("another process");
  buffer[n] = '\0';
  g_strstrip (buffer);
  return g_strdup_printf ("process %s", buffer);
}

static void
write_holder (int fd)
{
  g_autofree char *pid = g_strdup_printf ("%d\n", (int) getpid ());

  /* Informative only: a failure here does not weaken the lock. */
  if (ftruncate (fd, 0) == 0 && pwrite (fd, pid, strlen (pid), 0) < 0)
    return;
}

XulLock *
xul_lock_acquire (const char *db_path,
                  GError    **error)
{
  g_autofree char *lock_path = g_strconcat (db_path, ".lock", NULL);
  int fd = g_open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  XulLock *lock;

  if (fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, XUL_STORE_ERROR,
                   saved_errno == EACCES || saved_errno == EROFS
                     ? XUL_STORE_ERROR_READ_ONLY : XUL_STORE_ERROR_IO,
                   "Cannot open “%s” for writing: cannot create “%s”: %s", db_path,
                   lock_path, g_strerror (saved_errno));
      return NULL;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int saved_errno = errno;
      g_autofree char *holder = read_holder (fd);
      close (fd);
      if (saved_errno == EWOULDBLOCK)
        g_set_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_BUSY,
                     "Cannot open “%s” for writing: it is in use by %s", db_path, holder);
      else
        g_set_error (error, XUL_STORE_ERROR, XUL_STORE_ERROR_IO,
                     "Cannot lock “%s”: %s", lock_path, g_strerror (saved_errno));
      return NULL;
    }
  write_holder (fd);
  lock = g_new (XulLock, 1);
  lock->fd = fd;
  return lock;
}

void
xul_lock_release (XulLock *lock)
{
  if (lock == NULL)
    return;
  close (lock->fd); /* releases the flock */
  g_free (lock);
}
