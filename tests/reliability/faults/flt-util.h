/* flt-util.h: what the fault and power-loss campaigns share: configuration from the
 * environment, captured log messages, TAP comments, and canonical dumps of a kvcore
 * database or a XulStore (and of models of them), so that states compare as bytes.
 *
 * Nothing here asserts: the campaigns collect problems as text and fail once, at the
 * end, with every reproducer listed. */
#pragma once

#include "test-util.h"
#include "xulstore.h"

/* Appends a problem of a run to @problems ("; " between two, on one line). */
void flt_add_problem_valist (GString    *problems,
                             const char *format,
                             va_list     args) G_GNUC_PRINTF (2, 0);

/* Puts temporary directories in FLT_TMPDIR when set, else in /dev/shm when it is a
 * writable directory: durability is simulated by the VFS, so the disk adds nothing but
 * the cost of creating and removing thousands of files. Call before anything asks GLib
 * for the temporary directory. Returns the directory used. */
const char *flt_use_fast_tmpdir (void);

/* Routes GLib log messages through a writer that counts warnings (the library logs a
 * failed background commit or backup once) and prints them only when FLT_VERBOSE=1. */
void flt_capture_log (void);
guint flt_warnings_logged (void);

/* A TAP comment line ("# ..."), flushed at once. */
void flt_note (const char *format,
               ...) G_GNUC_PRINTF (1, 2);

/* ---- kvcore models: "store \0 key" -> value, plus meta records as store "\1meta" ---- */

#define FLT_META_STORE "\001meta"

GHashTable *flt_kv_model_new (void);
GHashTable *flt_kv_model_copy (GHashTable *model);
void flt_kv_model_put (GHashTable *model,
                       const char *store,
                       const void *key,
                       gsize       key_len,
                       const void *value,
                       gsize       value_len);
void flt_kv_model_delete (GHashTable *model,
                          const char *store,
                          const void *key,
                          gsize       key_len);
/* Creates an empty store (a store is listed even when empty). */
void flt_kv_model_add_store (GHashTable *model,
                             const char *store);
/* Canonical bytes of a model. */
GBytes *flt_kv_model_dump (GHashTable *model);
/* The same of an open database: every store, key and value, and the meta records named
 * in @meta_keys (NULL-terminated). NULL with @error set when reading fails. */
GBytes *flt_kv_db_dump (XulKvDb           *db,
                        const char *const *meta_keys,
                        GError           **error);

/* ---- XulStore models: "doc \1 id \1 attr" -> value ---------------------------------- */

char *flt_xs_tuple (const char *doc,
                    const char *id,
                    const char *attr);
GBytes *flt_xs_model_dump (GHashTable *model);
GBytes *flt_xs_store_dump (XulStore *store,
                           GError  **error);
