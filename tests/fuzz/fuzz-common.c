/* fuzz-common.c: process set-up and helpers shared by the fuzz targets. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fuzz-common.h"
#include "xulstore.h"

volatile guint8 fuzz_sink;

static char *tmpdir;
static gboolean fatal_warnings;
static guint warnings;

void
fuzz_fail_at (const char *file,
              int         line,
              const char *format,
              ...)
{
  va_list args;

  fprintf (stderr, "\n*** fuzz invariant violated at %s:%d: ", file, line);
  va_start (args, format);
  vfprintf (stderr, format, args);
  va_end (args);
  fputs ("\n", stderr);
  fflush (stderr);
  abort ();
}

static GLogWriterOutput
log_writer (GLogLevelFlags   level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         data)
{
  gboolean fatal = (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) != 0 ||
                   ((level & G_LOG_LEVEL_WARNING) != 0 && fatal_warnings);

  if (level & G_LOG_LEVEL_WARNING)
    g_atomic_int_inc (&warnings);
  if (fatal || g_getenv ("FUZZ_VERBOSE") != NULL)
    g_log_writer_standard_streams (level, fields, n_fields, data);
  if (fatal)
    fuzz_fail ("a %s was logged (see above)",
               (level & G_LOG_LEVEL_WARNING) ? "warning" : "critical or error");
  return G_LOG_WRITER_HANDLED;
}

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      fuzz_clear_dir (path);
      g_rmdir (path);
    }
  else
    g_remove (path);
}

static void
remove_tmpdir (void)
{
  if (tmpdir != NULL)
    remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

gboolean
fuzz_contracts_lax (void)
{
  static int lax = -1;

  if (lax < 0)
    lax = g_strcmp0 (g_getenv ("XULSTORE_FUZZ_LAX"), "1") == 0;
  if (lax && g_getenv ("FUZZ_VERBOSE") != NULL)
    fputs ("fuzz: a contract check failed (XULSTORE_FUZZ_LAX=1: going on)\n", stderr);
  return lax;
}

void
fuzz_init (gboolean warnings_are_fatal)
{
  static gsize initialised = 0;

  if (!g_once_init_enter (&initialised))
    return;
  fatal_warnings = warnings_are_fatal;
  g_log_set_writer_func (log_writer, NULL, NULL);
  {
    /* The replay driver gives its children a root of its own, which it removes. */
    const char *root = g_getenv ("FUZZ_TMPDIR_ROOT");
    GError *error = NULL;

    if (root != NULL)
      {
        tmpdir = g_build_filename (root, "xulstore-fuzz-XXXXXX", NULL);
        if (g_mkdtemp (tmpdir) == NULL)
          fuzz_fail ("cannot create a temporary directory in %s: %s", root,
                     g_strerror (errno));
      }
    else if ((tmpdir = g_dir_make_tmp ("xulstore-fuzz-XXXXXX", &error)) == NULL)
      fuzz_fail ("cannot create a temporary directory: %s", error->message);
  }
  atexit (remove_tmpdir);
  g_once_init_leave (&initialised, 1);
}

const char *
fuzz_tmpdir (void)
{
  return tmpdir;
}

guint
fuzz_warning_count (void)
{
  return (guint) g_atomic_int_get (&warnings);
}

void
fuzz_clear_dir (const char *dir)
{
  GDir *handle = g_dir_open (dir, 0, NULL);
  const char *name;

  if (handle == NULL)
    return;
  while ((name = g_dir_read_name (handle)) != NULL)
    {
      char *path = g_build_filename (dir, name, NULL);
      remove_tree (path);
      g_free (path);
    }
  g_dir_close (handle);
}

void
fuzz_write_file (const char *path,
                 const void *data,
                 gsize       len)
{
  FILE *file = fopen (path, "wb");

  if (file == NULL)
    fuzz_fail ("cannot write %s: %s", path, g_strerror (errno));
  if ((len > 0 && fwrite (data, 1, len, file) != len) || fclose (file) != 0)
    fuzz_fail ("cannot write %s", path);
}

GBytes *
fuzz_read_file (const char *path)
{
  char *content = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &content, &len, NULL))
    return NULL;
  return g_bytes_new_take (content, len);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

char **
fuzz_list_dir (const char *dir)
{
  GPtrArray *names = g_ptr_array_new ();
  GDir *handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  if (handle != NULL)
    g_dir_close (handle);
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

/* The last code of each of the library's error domains. */
static int
max_code_of (GQuark domain)
{
  if (domain == XUL_KV_ERROR)
    return XUL_KV_ERROR_FAILED;
  if (domain == XUL_STORE_ERROR)
    return XUL_STORE_ERROR_FAILED;
  if (domain == XUL_LEGACY_ERROR)
    return XUL_LEGACY_ERROR_IO;
  return -1;
}

void
fuzz_check_error (const GError *error,
                  GQuark        domain,
                  const char   *what)
{
  /* Callers read error->message when a call fails: a missing error crashes them. */
  fuzz_contract (error != NULL, "%s failed without setting an error", what);
  if (error == NULL)
    return;
  fuzz_check (max_code_of (error->domain) >= 0,
              "%s failed with an error in domain %s, which is not the library's: %s", what,
              g_quark_to_string (error->domain), error->message);
  fuzz_check (error->code >= 0 && error->code <= max_code_of (error->domain),
              "%s failed with code %d, outside its domain %s: %s", what, error->code,
              g_quark_to_string (error->domain), error->message);
  fuzz_check (error->message != NULL, "%s failed with an error without a message", what);
  /* GError messages are UTF-8: bindings decode them, and fail on anything else. */
  if (!g_utf8_validate (error->message, -1, NULL))
    {
      g_autofree char *escaped = g_strescape (error->message, NULL);
      fuzz_contract (FALSE, "%s failed with a message that is not UTF-8: \"%s\"", what,
                     escaped);
    }
  /* The wrong one of the library's domains breaks the documented contract: callers
   * that match the code in the right domain miss the error. */
  fuzz_contract (error->domain == domain,
                 "%s failed with an error in domain %s, not %s (code %d): %s", what,
                 g_quark_to_string (error->domain), g_quark_to_string (domain), error->code,
                 error->message);
}

gboolean
fuzz_is_text (const char *text,
              glong       max_chars)
{
  return text != NULL && g_utf8_validate (text, -1, NULL) &&
         (max_chars < 0 || g_utf8_strlen (text, -1) <= max_chars);
}
