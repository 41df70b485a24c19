/* test-process.c: see test-process.h. */
#include "test-process.h"
#include "test-util.h"

#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t
tu_fork_child (guint alarm_seconds)
{
  pid_t pid;

  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid < 0)
    fail_msg ("fork: %s", g_strerror (errno));
  if (pid == 0)
    alarm (alarm_seconds);
  return pid;
}

int
tu_reap (pid_t pid)
{
  int status = 0;

  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      fail_msg ("waitpid: %s", g_strerror (errno));
  return status;
}

void
tu_make_pipe (int fds[2])
{
  if (pipe (fds) != 0)
    fail_msg ("pipe: %s", g_strerror (errno));
}

gssize
tu_write_full (int         fd,
               const void *data,
               gsize       len)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = write (fd, (const char *) data + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += (gsize) n;
    }
  return (gssize) done;
}

gssize
tu_read_full (int   fd,
              void *data,
              gsize len)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = read (fd, (char *) data + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += (gsize) n;
    }
  return (gssize) done;
}
