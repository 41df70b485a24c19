/* test-util.c: helpers shared by every test executable. */
#include "test-util.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <utime.h>

TuTmpdir *
tu_tmpdir_new (void)
{
  g_autoptr (GError) error = NULL;
  TuTmpdir *dir = g_new0 (TuTmpdir, 1);

  dir->path = g_dir_make_tmp ("xulstore-test-XXXXXX", &error);
  tu_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
              !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_chmod (path, 0700);
  g_rmdir (path);
}

void
tu_tmpdir_free (TuTmpdir *dir)
{
  if (dir == NULL)
    return;
  remove_tree (dir->path);
  g_free (dir->path);
  g_free (dir);
}

char *
tu_tmpdir_file (TuTmpdir   *dir,
                const char *name)
{
  return g_build_filename (dir->path, name, NULL);
}

void
tu_write_file (const char *path,
               const void *data,
               gsize       len)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, data, (gssize) len, &error);
  tu_assert_no_error (error);
}

gboolean
tu_under_valgrind (void)
{
  const char *preload = g_getenv ("LD_PRELOAD");

  return preload != NULL && strstr (preload, "vgpreload") != NULL;
}

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

gboolean
tu_under_tsan (void)
{
  return UNDER_TSAN;
}

guint
tu_config_uint (const char *name,
                guint       normal,
                guint       slow)
{
  const char *text = g_getenv (name);
  guint64 n;

  if (text == NULL || text[0] == '\0')
    return tu_under_valgrind () || tu_under_tsan () ? slow : normal;
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32, &n, NULL))
    fail_msg ("%s=%s is not a number", name, text);
  return (guint) n;
}

void
tu_write_aged_file (const char *path,
                    gint64      age_seconds)
{
  struct utimbuf times;

  tu_write_file (path, "left", 4);
  times.actime = times.modtime = (time_t) (g_get_real_time () / G_USEC_PER_SEC - age_seconds);
  if (g_utime (path, &times) != 0)
    fail_msg ("cannot set the time of %s: %s", path, g_strerror (errno));
}

guint
tu_file_mode (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    fail_msg ("cannot stat %s: %s", path, g_strerror (errno));
  return st.st_mode & 07777;
}

GBytes *
tu_read_bytes (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  g_file_get_contents (path, &contents, &len, &error);
  tu_assert_no_error (error);
  return g_bytes_new_take (contents, len);
}

gboolean
tu_file_exists (const char *path)
{
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

goffset
tu_file_size (const char *path)
{
  GStatBuf st;

  assert_int_equal (g_stat (path, &st), 0);
  return st.st_size;
}

guint
tu_count_entries_containing (const char *dir,
                             const char *needle)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  assert_non_null (d);
  while ((name = g_dir_read_name (d)) != NULL)
    if (strstr (name, needle) != NULL)
      n++;
  return n;
}

void
tu_assert_same_bytes (GBytes *expected,
                      GBytes *actual)
{
  assert_non_null (expected);
  assert_non_null (actual);
  assert_int_equal (g_bytes_get_size (actual), g_bytes_get_size (expected));
  assert_true (g_bytes_equal (expected, actual));
}

int
tu_run_group (const char              *name,
              const struct CMUnitTest *tests,
              size_t                   n_tests)
{
  cmocka_set_message_output (CM_OUTPUT_TAP);
  return _cmocka_run_group_tests (name, tests, n_tests, NULL, NULL);
}
