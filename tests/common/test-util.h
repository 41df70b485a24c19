/* test-util.h: helpers shared by every test executable: temporary directories and
 * files, cmocka assertions on GError, and small byte helpers. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>

/* A fresh directory under $TMPDIR, removed with everything in it by tu_tmpdir_free. */
typedef struct {
  char *path;
} TuTmpdir;

TuTmpdir *tu_tmpdir_new (void);
void tu_tmpdir_free (TuTmpdir *dir);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TuTmpdir, tu_tmpdir_free)

/* A path inside @dir, freed by the caller. */
char *tu_tmpdir_file (TuTmpdir   *dir,
                      const char *name);

/* Writes @len bytes to @path (creating or truncating it). */
void tu_write_file (const char *path,
                    const void *data,
                    gsize       len);

/* Whether the process runs under valgrind (which preloads its own libraries). */
gboolean tu_under_valgrind (void);

/* Whether it was built with ThreadSanitizer. */
gboolean tu_under_tsan (void);

/* The number in the environment variable @name; when it is unset or empty, @normal, or
 * @slow under valgrind or ThreadSanitizer. A variable that is not a number fails the
 * test. */
guint tu_config_uint (const char *name,
                      guint       normal,
                      guint       slow);

/* Writes a small file at @path whose modification time is @age_seconds ago. */
void tu_write_aged_file (const char *path,
                         gint64      age_seconds);

/* The permission bits of @path. */
guint tu_file_mode (const char *path);

/* The whole contents of @path. */
GBytes *tu_read_bytes (const char *path);

gboolean tu_file_exists (const char *path);

goffset tu_file_size (const char *path);

/* How many names in @dir contain @needle. */
guint tu_count_entries_containing (const char *dir,
                                   const char *needle);

/* Asserts equal contents; the sizes are compared first for a readable failure. */
void tu_assert_same_bytes (GBytes *expected,
                           GBytes *actual);

/* Runs the group with TAP output, the protocol meson reads. */
int tu_run_group (const char              *name,
                  const struct CMUnitTest *tests,
                  size_t                   n_tests);

#define tu_run(name, tests) tu_run_group ((name), (tests), G_N_ELEMENTS (tests))

/* Asserts success and prints the error's message if there was one. */
#define tu_assert_no_error(err)                                                      \
  do {                                                                               \
    if ((err) != NULL)                                                               \
      fail_msg ("unexpected error: %s", (err)->message);                             \
  } while (0)

/* Asserts an error of @expected_domain and @expected_code, and clears it. */
#define tu_assert_error(err, expected_domain, expected_code)                         \
  do {                                                                               \
    if ((err) == NULL)                                                               \
      fail_msg ("expected error %s:%d, got none",                                    \
                g_quark_to_string (expected_domain), (int) (expected_code));         \
    if (!g_error_matches ((err), (expected_domain), (expected_code)))                \
      fail_msg ("expected error %s:%d, got %s:%d: %s",                               \
                g_quark_to_string (expected_domain), (int) (expected_code),          \
                g_quark_to_string ((err)->domain), (err)->code, (err)->message);     \
    g_clear_error (&(err));                                                          \
  } while (0)
