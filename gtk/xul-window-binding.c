/* xul-window-binding.c: xul_store_bind_window(), a GtkWindow's size and state kept in
 * a XulStore under (doc, id), with the attributes of the legacy file: width and height
 * as decimal strings, and sizemode normal, maximized or fullscreen.
 *
 * The size stored is always the normal (unmaximized) size: while the window is
 * maximized or fullscreen its size is not recorded. */
#include "config.h"

#include <stdlib.h>

#include "xul-gtk-saver-private.h"

/* A restored size larger than any monitor, or than this when there is none, is cut. */
#define FALLBACK_MAX_SIZE 16384

typedef struct {
  GtkWindow *window; /* not owned: the binding dies with it */
  XulGtkSaver *saver;
} WindowBinding;

/* A stored dimension, or 0 when there is none or it is not a positive integer. */
static int
stored_dimension (XulGtkSaver *saver,
                  const char  *attr)
{
  g_autofree char *text = xul_gtk_saver_get (saver, attr);
  gint64 value;

  if (text == NULL || !g_ascii_string_to_signed (text, 10, 1, G_MAXINT, &value, NULL))
    return 0;
  return (int) value;
}

/* The largest monitor: a window bigger than that was stored by mistake (or on another
 * machine), and would open off-screen. */
static void
largest_monitor (GtkWindow *window,
                 int       *width,
                 int       *height)
{
  GListModel *monitors = gdk_display_get_monitors (gtk_widget_get_display (GTK_WIDGET (window)));
  guint n = g_list_model_get_n_items (monitors);

  *width = *height = n > 0 ? 0 : FALLBACK_MAX_SIZE;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GdkMonitor) monitor = g_list_model_get_item (monitors, i);
      GdkRectangle geometry;
      gdk_monitor_get_geometry (monitor, &geometry);
      *width = MAX (*width, geometry.width);
      *height = MAX (*height, geometry.height);
    }
}

static int
clamp_dimension (int stored,
                 int minimum,
                 int maximum)
{
  return CLAMP (stored, MIN (minimum, maximum), maximum);
}

static void
restore (WindowBinding *binding)
{
  GtkWidget *widget = GTK_WIDGET (binding->window);
  g_autofree char *sizemode = xul_gtk_saver_get (binding->saver, "sizemode");
  int width = stored_dimension (binding->saver, "width");
  int height = stored_dimension (binding->saver, "height");
  int max_width, max_height, min_width = 1, min_height = 1;

  largest_monitor (binding->window, &max_width, &max_height);
  gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL, NULL, NULL);
  gtk_widget_measure (widget, GTK_ORIENTATION_VERTICAL, -1, &min_height, NULL, NULL, NULL);
  if (width > 0 && height > 0)
    gtk_window_set_default_size (binding->window,
                                 clamp_dimension (width, MAX (min_width, 1), max_width),
                                 clamp_dimension (height, MAX (min_height, 1), max_height));
  if (g_strcmp0 (sizemode, "maximized") == 0)
    gtk_window_maximize (binding->window);
  else if (g_strcmp0 (sizemode, "fullscreen") == 0)
    gtk_window_fullscreen (binding->window);
}

static void
remember (WindowBinding *binding)
{
  GtkWindow *window = binding->window;
  gboolean maximized = gtk_window_is_maximized (window);
  gboolean fullscreen = gtk_window_is_fullscreen (window);
  int width, height;

  xul_gtk_saver_set (binding->saver, "sizemode",
                     fullscreen ? "fullscreen" : maximized ? "maximized" : "normal");
  if (maximized || fullscreen)
    return; /* the normal size is what comes back on unmaximize: keep it */
  gtk_window_get_default_size (window, &width, &height);
  if (width > 0 && height > 0)
    {
      char text[16];
      g_snprintf (text, sizeof text, "%d", width);
      xul_gtk_saver_set (binding->saver, "width", text);
      g_snprintf (text, sizeof text, "%d", height);
      xul_gtk_saver_set (binding->saver, "height", text);
    }
}

static void
on_state_changed (GtkWindow     *window,
                  GParamSpec    *pspec,
                  WindowBinding *binding)
{
  remember (binding);
}

/* Hidden or closing: store now rather than after the delay, which may never come. */
static void
on_hide (GtkWidget     *widget,
         WindowBinding *binding)
{
  xul_gtk_saver_flush (binding->saver);
}

static void
on_window_finalized (gpointer data,
                     GObject *window)
{
  WindowBinding *binding = data;

  xul_gtk_saver_free (binding->saver);
  g_free (binding);
}

/**
 * xul_store_bind_window:
 * @store: a #XulStore
 * @window: a window that is not shown yet
 * @doc: the document URL
 * @id: the element id of the window
 *
 * Gives @window the size and state stored under (@doc, @id) and keeps them up to date
 * from then on, until the window is destroyed. Restored sizes are clamped between the
 * window's minimum size and the largest monitor; values that are not positive numbers
 * are ignored. Changes are stored #XUL_GTK_SAVE_DELAY_MS after the last one, and at
 * once when the window is hidden or closed. The size is only recorded while the window
 * is in its normal state, so maximizing and unmaximizing keeps the normal size.
 *
 * The attributes are those of Firefox's xulstore.json (`width`, `height`, `sizemode`),
 * so a migrated profile restores its windows.
 */
void
xul_store_bind_window (XulStore   *store,
                       GtkWindow  *window,
                       const char *doc,
                       const char *id)
{
  WindowBinding *binding;

  g_return_if_fail (XUL_IS_STORE (store));
  g_return_if_fail (GTK_IS_WINDOW (window));
  g_return_if_fail (doc != NULL && id != NULL);

  binding = g_new0 (WindowBinding, 1);
  binding->window = window;
  binding->saver = xul_gtk_saver_new (store, doc, id);
  restore (binding);
  g_signal_connect (window, "notify::default-width", G_CALLBACK (on_state_changed), binding);
  g_signal_connect (window, "notify::default-height", G_CALLBACK (on_state_changed), binding);
  g_signal_connect (window, "notify::maximized", G_CALLBACK (on_state_changed), binding);
  g_signal_connect (window, "notify::fullscreened", G_CALLBACK (on_state_changed), binding);
  g_signal_connect (window, "hide", G_CALLBACK (on_hide), binding);
  g_object_weak_ref (G_OBJECT (window), on_window_finalized, binding);
}
