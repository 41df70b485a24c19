/* fuzz-common.h: what the fuzz targets share: the libFuzzer entry point, process set-up
 * (logging, a private temporary directory), file helpers and error checks.
 *
 * Every target is built twice: with libFuzzer (clang, -fsanitize=fuzzer) and with
 * replay-main.c, which feeds it the files of a corpus (any compiler; `meson test`). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

G_BEGIN_DECLS

/* The libFuzzer entry point, defined by each target. */
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* Fails the run: prints the message and aborts, so that libFuzzer keeps the input. */
#define fuzz_fail(...) fuzz_fail_at (__FILE__, __LINE__, __VA_ARGS__)
void fuzz_fail_at (const char *file,
                   int         line,
                   const char *format,
                   ...) G_GNUC_PRINTF (3, 4) G_GNUC_NORETURN;

#define fuzz_check(condition, ...)      \
  G_STMT_START {                        \
    if (G_UNLIKELY (!(condition)))      \
      fuzz_fail (__VA_ARGS__);          \
  } G_STMT_END

/* A documented promise of the API, checked on hostile input. Unlike fuzz_check, it can
 * be relaxed to keep fuzzing past a known violation: with XULSTORE_FUZZ_LAX=1 in the
 * environment a violation is only counted (and printed with FUZZ_VERBOSE). */
#define fuzz_contract(condition, ...)                       \
  G_STMT_START {                                            \
    if (G_UNLIKELY (!(condition)) && !fuzz_contracts_lax ()) \
      fuzz_fail (__VA_ARGS__);                              \
  } G_STMT_END
gboolean fuzz_contracts_lax (void);

/* Once per process: logging (a critical, i.e. a failed precondition inside the
 * library, aborts; warnings abort too when @warnings_are_fatal, and are counted and
 * dropped otherwise) and a private temporary directory, removed at exit. */
void fuzz_init (gboolean warnings_are_fatal);
const char *fuzz_tmpdir (void);
guint fuzz_warning_count (void);

/* Removes everything inside @dir (not @dir itself). */
void fuzz_clear_dir (const char *dir);
/* Writes @len bytes to @path, replacing it; aborts on failure (a fuzzer problem). */
void fuzz_write_file (const char *path,
                      const void *data,
                      gsize       len);
/* The content of @path, or NULL when it does not exist. */
GBytes *fuzz_read_file (const char *path);
/* The names in @dir, sorted, NULL-terminated. */
char **fuzz_list_dir (const char *dir);

/* Checks that a call that failed reported a proper error: set, in one of the library's
 * domains with a code of that domain's enumeration, with a UTF-8 message; and (a
 * contract, see fuzz_contract) in @domain, the one documented for the call. @what names
 * the call in the failure message. */
void fuzz_check_error (const GError *error,
                       GQuark        domain,
                       const char   *what);

/* Written with what must be read for real (so that the compiler keeps the reads). */
extern volatile guint8 fuzz_sink;

/* A string is NUL-free UTF-8 of at most @max_chars characters (-1: no limit). */
gboolean fuzz_is_text (const char *text,
                       glong       max_chars);

G_END_DECLS
