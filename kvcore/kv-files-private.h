/* kv-files-private.h: file-system steps that every layer's atomic replacements share.
 * Private to the library: not installed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Makes a rename durable: the new directory entry must reach the disk too. */
void kv_sync_directory_of (const char *path);

/* Removes "<path><infix>XXXXXX" files left by replacements cut short (the process died
 * between the temporary file and the rename), which nothing else would remove. Only
 * old ones go: a young one may belong to a replacement in progress in another
 * process. */
void kv_remove_leftover_temporaries (const char *path,
                                     const char *infix);

G_END_DECLS
