/* xul-mirror.c: the dual-write mirror, which keeps the legacy xulstore.json equal to
 * the store for users who go back to an older version.
 *
 * The store stays the only source of truth; the mirror only writes. A change marks the
 * mirror dirty; a thread rewrites the whole file (it is small) a delay later, so a burst
 * costs one write, and every flush or close of the store rewrites it at once. Each write
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
  GWeakRef store;     /* the thread's way to the store; it must not keep it alive */

  GMutex lock;        /* guards the scheduling state below */
  GCond cond;
  GThread *thread;
  gboolean dirty, stopping;
  gint64 deadline;

  GMutex write_lock;  /* one write at a time, from the thread or a flush */
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

static void
write_now (XulMirror *self,
           XulStore  *store)
{
  g_autoptr (GError) error = NULL;

  g_mutex_lock (&self->write_lock);
  if (!xul_mirror_write_file (store, self->json_path, &error) &&
      !g_error_matches (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED) &&
      !g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_CLOSED))
    {
      /* The store is the truth and is intact; the next change or flush tries again. */
      if (!self->warned)
        g_warning ("The legacy mirror “%s” could not be written: %s", self->json_path,
                   error->message);
      self->warned = TRUE;
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
      if (!self->dirty)
        g_cond_wait (&self->cond, &self->lock);
      else if (g_get_monotonic_time () < self->deadline)
        g_cond_wait_until (&self->cond, &self->lock, self->deadline);
      else
        {
          XulStore *store;
          self->dirty = FALSE;
          g_mutex_unlock (&self->lock);
          store = g_weak_ref_get (&self->store);
          if (store != NULL)
            {
              write_now (self, store);
              g_object_unref (store);
            }
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
  if (!self->dirty)
    {
      self->dirty = TRUE;
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
  gboolean dirty;

  g_mutex_lock (&self->lock);
  dirty = self->dirty;
  self->dirty = FALSE;
  g_mutex_unlock (&self->lock);
  if (dirty)
    write_now (self, store);
}

static void
mirror_free (XulMirror *self)
{
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->thread);

  g_weak_ref_clear (&self->store);
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
                   gboolean    dirty)
{
  XulMirror *self = g_new0 (XulMirror, 1);

  self->json_path = g_strdup (json_path);
  self->delay_us = (gint64) delay_ms * 1000;
  self->dirty = dirty;
  self->deadline = g_get_monotonic_time () + self->delay_us;
  g_weak_ref_init (&self->store, store);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_mutex_init (&self->write_lock);
  g_signal_connect (store, "changed", G_CALLBACK (on_changed), self);
  g_signal_connect (store, "flushed", G_CALLBACK (on_flushed), self);
  self->thread = g_thread_new ("xulstore-mirror", mirror_thread, self);
  /* Freed with the store; by then its handlers are gone. */
  g_object_set_data_full (G_OBJECT (store), "xul-mirror", self, (GDestroyNotify) mirror_free);
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
