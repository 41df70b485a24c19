/* replay-main.c: runs a fuzz target on files, without libFuzzer.
 *
 * Usage: <target>-replay FILE-OR-DIRECTORY...
 *
 * Each file (each regular file of a directory, in name order, not recursing) is read and
 * passed to LLVMFuzzerTestOneInput() once, as libFuzzer would. This is how the seed
 * corpora and the reproducers of bugs run in `meson test` with any compiler; build with
 * -Db_sanitize=address,undefined to get the sanitizers' checks too.
 *
 * A target reports a problem by aborting. Each input runs in a child process of its
 * own, so that one failure does not hide the next: every failing input is named, and the
 * exit status is 1 when there was one. An input that runs longer than
 * FUZZ_REPLAY_TIMEOUT seconds (default 30; 0: no limit) is killed as a hang. With
 * FUZZ_REPLAY_NO_FORK=1 every input runs in this process instead (for a debugger), and
 * the first failure ends the run. FUZZ_REPLAY_VERBOSE=1 names each input as it runs. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fuzz-common.h"

#define DEFAULT_TIMEOUT_SECONDS 30

static const char *current_input;

static void
on_timeout (int signal_number)
{
  static const char message[] = "\n*** replay: input ran too long (hang?): ";

  if (write (STDERR_FILENO, message, sizeof message - 1) < 0 ||
      write (STDERR_FILENO, current_input, strlen (current_input)) < 0 ||
      write (STDERR_FILENO, "\n", 1) < 0)
    abort ();
  abort ();
}

static guint
timeout_seconds (void)
{
  const char *text = g_getenv ("FUZZ_REPLAY_TIMEOUT");

  return text != NULL ? (guint) g_ascii_strtoull (text, NULL, 10) : DEFAULT_TIMEOUT_SECONDS;
}

/* Runs the target on @path in this process. */
static void
run_input (const char *path)
{
  g_autofree char *content = NULL;
  g_autoptr (GError) error = NULL;
  uint8_t *copy;
  gsize len;

  if (!g_file_get_contents (path, &content, &len, &error))
    {
      fprintf (stderr, "%s: %s\n", g_get_prgname (), error->message);
      exit (2);
    }
  /* A copy of exactly @len bytes, so that AddressSanitizer sees reads past the end
   * (never NULL, as with libFuzzer). */
  copy = g_malloc (MAX (len, 1));
  memcpy (copy, content, len);
  current_input = path;
  alarm (timeout_seconds ());
  LLVMFuzzerTestOneInput (copy, len);
  alarm (0);
  g_free (copy);
}

/* Runs @path in a child process; FALSE when it failed. */
static gboolean
run_isolated (const char *path)
{
  pid_t pid;
  int status;

  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    {
      fprintf (stderr, "%s: fork: %s\n", g_get_prgname (), g_strerror (errno));
      exit (2);
    }
  if (pid == 0)
    {
      run_input (path);
      exit (0); /* exit, not _exit: LeakSanitizer checks at exit */
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      {
        fprintf (stderr, "%s: waitpid: %s\n", g_get_prgname (), g_strerror (errno));
        exit (2);
      }
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return TRUE;
  if (WIFSIGNALED (status))
    fprintf (stderr, "*** replay: FAILED %s (signal %d)\n", path, WTERMSIG (status));
  else
    fprintf (stderr, "*** replay: FAILED %s (exit status %d)\n", path, WEXITSTATUS (status));
  return FALSE;
}

typedef struct {
  gboolean fork;
  guint count;
  GPtrArray *failed;
} Run;

static void
run_file (Run        *run,
          const char *path)
{
  if (g_getenv ("FUZZ_REPLAY_VERBOSE") != NULL)
    fprintf (stderr, "Running %s\n", path);
  run->count++;
  if (!run->fork)
    run_input (path);
  else if (!run_isolated (path))
    g_ptr_array_add (run->failed, g_strdup (path));
}

static void
run_directory (Run        *run,
               const char *path)
{
  g_auto (GStrv) names = fuzz_list_dir (path);

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *file = g_build_filename (path, names[i], NULL);
      if (g_file_test (file, G_FILE_TEST_IS_REGULAR))
        run_file (run, file);
    }
}

int
main (int    argc,
      char **argv)
{
  Run run = { g_getenv ("FUZZ_REPLAY_NO_FORK") == NULL, 0,
              g_ptr_array_new_with_free_func (g_free) };
  g_autoptr (GError) error = NULL;
  g_autofree char *root = NULL;
  int status;

  g_set_prgname (argc > 0 ? argv[0] : "replay");
  signal (SIGALRM, on_timeout);
  if (argc < 2)
    {
      fprintf (stderr, "Usage: %s FILE-OR-DIRECTORY...\n", g_get_prgname ());
      return 2;
    }
  /* The targets' files go under one directory, removed at the end even when an input
   * failed (and left its own behind). */
  root = g_dir_make_tmp ("xulstore-fuzz-replay-XXXXXX", &error);
  if (root == NULL)
    {
      fprintf (stderr, "%s: %s\n", g_get_prgname (), error->message);
      return 2;
    }
  g_setenv ("FUZZ_TMPDIR_ROOT", root, TRUE);
  for (int i = 1; i < argc; i++)
    {
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        run_directory (&run, argv[i]);
      else if (g_file_test (argv[i], G_FILE_TEST_EXISTS))
        run_file (&run, argv[i]);
      else
        {
          fprintf (stderr, "%s: %s does not exist\n", g_get_prgname (), argv[i]);
          run.count = 0;
          break;
        }
    }
  fuzz_clear_dir (root);
  g_rmdir (root);
  if (run.failed->len > 0)
    {
      fprintf (stderr, "\n%s: %u of %u inputs failed:\n", g_get_prgname (), run.failed->len,
               run.count);
      for (guint i = 0; i < run.failed->len; i++)
        fprintf (stderr, "  %s\n", (const char *) run.failed->pdata[i]);
    }
  printf ("%s: %u inputs, %u passed\n", g_get_prgname (), run.count,
          run.count - run.failed->len);
  status = run.count == 0 || run.failed->len > 0 ? 1 : 0;
  g_ptr_array_unref (run.failed);
  return status;
}
