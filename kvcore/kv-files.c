/* kv-files.c: file-system steps shared by backups and by the legacy mirror. */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kv-files-private.h"

/* "XXXXXX" of g_mkstemp() */
#define RANDOM_SUFFIX_LENGTH 6
#define LEFTOVER_AGE_SECONDS (10 * 60)

void
kv_sync_directory_of (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
}

void
kv_remove_leftover_temporaries (const char *path,
                                const char *infix)
{
  g_autofree char *dir_path = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *prefix = g_strconcat (base, infix, NULL);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *leftover = NULL;
      GStatBuf st;

      if (!g_str_has_prefix (name, prefix) ||
          strlen (name) != strlen (prefix) + RANDOM_SUFFIX_LENGTH)
        continue;
      leftover = g_build_filename (dir_path, name, NULL);
      if (g_lstat (leftover, &st) == 0 && S_ISREG (st.st_mode) &&
          now - (gint64) st.st_mtime > LEFTOVER_AGE_SECONDS)
        g_unlink (leftover);
    }
}
