/* test-process.h: child processes for the tests that kill or crash one. */
#pragma once

#include <glib.h>
#include <sys/types.h>

/* Forks; buffered output is written first so that no child repeats it. The child gets
 * an alarm of @alarm_seconds, so that none outlives its test by much. */
pid_t tu_fork_child (guint alarm_seconds);

/* Waits for @pid (retrying on EINTR) and returns its waitpid status. */
int tu_reap (pid_t pid);

void tu_make_pipe (int fds[2]);

/* Write or read all of @len bytes, retrying on EINTR; return how many were done, fewer
 * on an error or at the end of the file. */
gssize tu_write_full (int         fd,
                      const void *data,
                      gsize       len);
gssize tu_read_full (int   fd,
                     void *data,
                     gsize len);
