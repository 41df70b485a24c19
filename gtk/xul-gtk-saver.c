/* xul-gtk-saver.c: debounced writes of one element's attributes.
 *
 * Bindings see a change per frame while a window is dragged; the saver keeps only the
 * latest value of each attribute and stores them when the changes stop, or at once
 * when its widget goes away. Runs in the main context of the widget. */
#include "config.h"

#include "xul-gtk-saver-private.h"

struct _XulGtkSaver {
  XulStore *store;
  char *doc, *id;
  GHashTable *pending; /* attr -> value */
  guint source;
};

XulGtkSaver *
xul_gtk_saver_new (XulStore   *store,
                   const char *doc,
                   const char *id)
{
  XulGtkSaver *self = g_new0 (XulGtkSaver, 1);

  self->store = g_object_ref (store);
  self->doc = g_strdup (doc);
  self->id = g_strdup (id);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

void
xul_gtk_saver_flush (XulGtkSaver *self)
{
  GHashTableIter iter;
  const char *attr, *value;

  g_clear_handle_id (&self->source, g_source_remove);
  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, (gpointer *) &attr, (gpointer *) &value))
    {
      g_autoptr (GError) error = NULL;
      /* A store closed before its windows is not worth a warning per window. */
      if (!xul_store_set_value (self->store, self->doc, self->id, attr, value, &error) &&
          !g_error_matches (error, XUL_STORE_ERROR, XUL_STORE_ERROR_CLOSED))
        g_warning ("Cannot remember %s of “%s”: %s", attr, self->id, error->message);
    }
  g_hash_table_remove_all (self->pending);
}

static gboolean
on_quiet (gpointer data)
{
  XulGtkSaver *self = data;

  self->source = 0;
  xul_gtk_saver_flush (self);
  return G_SOURCE_REMOVE;
}

void
xul_gtk_saver_set (XulGtkSaver *self,
                   const char  *attr,
                   const char  *value)
{
  g_hash_table_replace (self->pending, g_strdup (attr), g_strdup (value));
  g_clear_handle_id (&self->source, g_source_remove);
  self->source = g_timeout_add (XUL_GTK_SAVE_DELAY_MS, on_quiet, self);
}

char *
xul_gtk_saver_get (XulGtkSaver *self,
                   const char  *attr)
{
  if (!xul_store_has_value (self->store, self->doc, self->id, attr, NULL))
    return NULL;
  return xul_store_get_value (self->store, self->doc, self->id, attr, NULL);
}

void
xul_gtk_saver_free (XulGtkSaver *self)
{
  xul_gtk_saver_flush (self);
  g_hash_table_unref (self->pending);
  g_object_unref (self->store);
  g_free (self->doc);
  g_free (self->id);
  g_free (self);
}
