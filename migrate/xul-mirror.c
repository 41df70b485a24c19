/* xul-mirror.c: the dual-write mirror, which keeps the legacy xulstore.json equal to
 * the store for users who go back to an older version.
 *
 * The store stays the only source of truth; the mirror only writes. A change schedules
 * a rewrite of the whole file (it is small) a delay later, on a thread, so a burst costs
 * one write; every flush or close of the store brings the file up to date at once. Each write
 * records its fingerprint durably *before* the rename (as pending) and again after it,
 * so that after a crash at any moment the next open recognises its own file and never
 * mistakes it for an older version's edit. */
#include "config.h"

#include <glib/gstdio.h>

#include "xul-legacy-private.h"
#include "xul-migrate-private.h"

struct _XulMirror {
  char *json_path;
  gint64 delay_us;
  /* Kept alive by a toggle reference: when it is the last one left, the application
   * has let go, and the mirror stops its thread before letting the store go too. So
   * the thread may use the store without taking references of its own. */
  XulStore *store;

  GMutex lock;        /* guards the scheduling state below */
  GCond cond;
  GThread *thread;
  gboolean scheduled, stopping;
  gint64 deadline;
  guint64 changes;    /* changes seen so far */

  GMutex write_lock;  /* one write at a time, from the thread or a flush */
  guint64 written;    /* changes covered by the last write */
  gboolean warned;
};

/* Records the fingerprint of the content about to replace the file, durably: a crash
 * between the rename and the final record must still find it. */
static gboolean
record_pending (GBytes  *content,
                gpointer data,
                GError **error)
{
  XulKvDb *db = data;
  g_autofree char *fingerprint = xul_legacy_fingerprint (content);

  return xul_kv_db_set_meta (db, XUL_MIRROR_META_PENDING, fingerprint, error) &&
         xul_kv_db_sync (db, error);
}

gboolean
xul_mirror_write_file (XulStore   *store,
                       const char *json_path,
                       GError    **error)
{
  XulKvDb *db = xul_store_get_db (store);
  g_autoptr (GBytes) content = xul_store_export_legacy_bytes (store, XUL_EXPORT_COMPACT, error);
  g_autofree char *fingerprint = NULL;
  g_autofree char *stamp = NULL;

  if (content == NULL ||
      !xul_legacy_replace_file (json_path, content, record_pending, db, error))
    return FALSE;
  fingerprint = xul_legacy_fingerprint (content);
  stamp = xul_mirror_stat_stamp (json_path);
  return xul_kv_db_set_meta (db, XUL_MIRROR_META_FINGERPRINT, fingerprint, error) &&
         xul_kv_db_set_meta (db, XUL_MIRROR_META_STAT, stamp != NULL ? stamp : "", error) &&
         xul_kv_db_delete_meta (db, XUL_MIRROR_META_PENDING, error);
}

/* Rewrites the file unless a write since the last change already covers it. The count
 * is read before the export, so the export holds at least that many changes. */
static void
write_if_behind (XulMirror *self)
{
  g_autoptr (GError) error = NULL;
  guint64 target;

  g_mutex_lock (&self->write_lock);
  g_mutex_lock (&self->lock);
  target = self->changes;
  g_mutex_unlock (&self->lock);
  if (target > self->written)
    {
      if (xul_mirror_write_file (self->store, self->json_path, &error))
        self->written = target;
      else if (!g_error_matches (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED) &&
               !g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED) && !self->warned)
        {
          /* The store is the truth and is intact; the next change or flush retries. */
          g_warning ("The legacy mirror “%s” could not be written: %s", self->json_path,
                     error->message);
          self->warned = TRUE;
        }
    }
  g_mutex_unlock (&self->write_lock);
}

static gpointer
mirror_thread (gpointer data)
{
  XulMirror *self = data;

  g_mutex_lock (&self->lock);
  while (!self->stopping)
    {
      if (!self->scheduled)
        g_cond_wait (&self->cond, &self->lock);
      else if (g_get_monotonic_time () < self->deadline)
        g_cond_wait_until (&self->cond, &self->lock, self->deadline);
      else
        {
          self->scheduled = FALSE;
          g_mutex_unlock (&self->lock);
          write_if_behind (self);
          g_mutex_lock (&self->lock);
        }
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

static void
on_changed (XulStore   *store,
            const char *doc,
            const char *id,
            const char *attr,
            const char *value,
            XulMirror  *self)
{
  g_mutex_lock (&self->lock);
  self->changes++;
  if (!self->scheduled)
    {
      self->scheduled = TRUE;
      self->deadline = g_get_monotonic_time () + self->delay_us;
      g_cond_signal (&self->cond);
    }
  g_mutex_unlock (&self->lock);
}

/* A flush or a close: the legacy file must be up to date when it returns. */
static void
on_flushed (XulStore  *store,
            XulMirror *self)
{
  write_if_behind (self);
}

static void
stop_thread (XulMirror *self)
{
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
  if (self->thread != NULL)
    g_thread_join (g_steal_pointer (&self->thread));
}

/* The application dropped its last reference: stop the thread, then release the store,
 * whose disposal closes it, which writes the mirror a last time (on_flushed). */
static void
on_last_reference (gpointer data,
                   GObject *store,
                   gboolean is_last_ref)
{
  XulMirror *self = data;

  if (!is_last_ref)
    return;
  stop_thread (self);
  g_object_remove_toggle_ref (store, on_last_reference, self);
}

static void
mirror_free (XulMirror *self)
{
  stop_thread (self);
  g_mutex_clear (&self->write_lock);
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);
  g_free (self->json_path);
  g_free (self);
}

void
xul_mirror_attach (XulStore   *store,
                   const char *json_path,
                   guint       delay_ms,
                   gboolean    behind)
{
  XulMirror *self = g_new0 (XulMirror, 1);

  self->json_path = g_strdup (json_path);
  self->delay_us = (gint64) delay_ms * 1000;
  self->store = store;
  self->changes = behind ? 1 : 0;
  self->scheduled = behind;
  self->deadline = g_get_monotonic_time () + self->delay_us;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_mutex_init (&self->write_lock);
  g_signal_connect (store, "changed", G_CALLBACK (on_changed), self);
  g_signal_connect (store, "flushed", G_CALLBACK (on_flushed), self);
  /* Freed with the store, after its disposal has run on_flushed a last time. */
  g_object_set_data_full (G_OBJECT (store), "xul-mirror", self, (GDestroyNotify) mirror_free);
  self->thread = g_thread_new ("xulstore-mirror", mirror_thread, self);
  g_object_add_toggle_ref (G_OBJECT (store), on_last_reference, self);
}

/* "<size>:<mtime in ns>:<inode>": a file that still has the stamp we recorded has not
 * been rewritten since, so opening can skip hashing it. */
char *
xul_mirror_stat_stamp (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return NULL;
  return g_strdup_printf ("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT ".%09ld:%" G_GUINT64_FORMAT,
                          (gint64) st.st_size, (gint64) st.st_mtim.tv_sec,
                          (long) st.st_mtim.tv_nsec, (guint64) st.st_ino);
}
