/* kvcore-demo.c: a short tour of kvcore, run by `make demo`.
 *
 * It stores window geometry in a named store, commits a batch atomically, iterates a
 * prefix in key order, takes a backup, damages the database on purpose and shows the
 * recovery restoring the backup. Everything happens in a temporary directory. */
#include <glib/gstdio.h>
#include <stdio.h>

#include "kvcore.h"

static gboolean
put_text (XulKvStore *store,
          const char *key,
          const char *value,
          GError    **error)
{
  return xul_kv_store_put (store, key, strlen (key), value, strlen (value), error);
}

static gboolean
print_prefix (XulKvStore *store,
              const char *prefix,
              GError    **error)
{
  g_autoptr (XulKvIter) iter =
    xul_kv_store_iter_prefix (store, prefix, strlen (prefix), error);

  if (iter == NULL)
    return FALSE;
  while (xul_kv_iter_next (iter, error))
    {
      gsize key_len, value_len;
      const guint8 *key = xul_kv_iter_get_key (iter, &key_len);
      const guint8 *value = xul_kv_iter_get_value (iter, &value_len);
      printf ("    %.*s = %.*s\n", (int) key_len, key, (int) value_len, value);
    }
  return error == NULL || *error == NULL;
}

static gboolean
damage_header (const char *path,
               GError    **error)
{
  g_autofree char *contents = NULL;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, error))
    return FALSE;
  memset (contents, 0, MIN (len, 100));
  return g_file_set_contents_full (path, contents, len, G_FILE_SET_CONTENTS_NONE, 0600,
                                   error);
}

static gboolean
run (const char *dir,
     GError    **error)
{
  g_autofree char *path = g_build_filename (dir, "demo.sqlite", NULL);
  g_autoptr (XulKvDb) db = NULL;
  g_autoptr (XulKvStore) store = NULL;
  g_autoptr (XulKvBatch) batch = xul_kv_batch_new ();
  g_autofree char *quarantine = NULL;
  g_autofree char *backup = NULL;
  guint64 count = 0;

  printf ("Opening %s\n", path);
  if ((db = xul_kv_db_open (path, XUL_KV_OPEN_NONE, error)) == NULL ||
      (store = xul_kv_db_open_store (db, "geometry", XUL_KV_STORE_CREATE, error)) == NULL)
    return FALSE;

  printf ("Writing one value, then a batch of four in one transaction\n");
  if (!put_text (store, "main-window/sizemode", "normal", error))
    return FALSE;
  xul_kv_batch_put (batch, store, "main-window/width", 17, "1280", 4);
  xul_kv_batch_put (batch, store, "main-window/height", 18, "800", 3);
  xul_kv_batch_put (batch, store, "sidebar/width", 13, "240", 3);
  xul_kv_batch_put (batch, store, "main-window/screenX", 19, "64", 2);
  if (!xul_kv_db_commit (db, batch, XUL_KV_COMMIT_DURABLE, error))
    return FALSE;

  printf ("Keys under \"main-window/\", in byte order:\n");
  if (!print_prefix (store, "main-window/", error))
    return FALSE;

  backup = xul_kv_db_get_backup_path (db);
  printf ("Backing up to %s\n", backup);
  if (!xul_kv_db_backup (db, NULL, error) || !xul_kv_db_close (db, error))
    return FALSE;
  g_clear_pointer (&store, xul_kv_store_unref);
  g_clear_object (&db);

  printf ("Zeroing the database header to simulate corruption, then reopening\n");
  if (!damage_header (path, error) ||
      (db = xul_kv_db_open (path, XUL_KV_OPEN_NONE, error)) == NULL ||
      (store = xul_kv_db_open_store (db, "geometry", XUL_KV_STORE_NONE, error)) == NULL ||
      !xul_kv_store_count (store, &count, error))
    return FALSE;

  quarantine = xul_kv_db_get_quarantine_path (db);
  printf ("  recovery: %s\n",
          xul_kv_db_get_recovery (db) == XUL_KV_RECOVERY_RESTORED_FROM_BACKUP
            ? "restored from backup" : "none");
  printf ("  damaged file kept at %s\n", quarantine != NULL ? quarantine : "(none)");
  printf ("  %" G_GUINT64_FORMAT " keys back in store \"geometry\"\n", count);
  return xul_kv_db_close (db, error);
}

int
main (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("kvcore-demo-XXXXXX", &error);
  gboolean ok = dir != NULL && run (dir, &error);

  if (!ok)
    fprintf (stderr, "kvcore-demo: %s\n", error->message);
  printf ("Files left for you to look at in %s\n", dir != NULL ? dir : "(none)");
  return ok ? 0 : 1;
}
