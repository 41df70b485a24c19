/* xul-gtk.h: remembering GTK 4 windows and widget properties in a XulStore.
 *
 * Part of libxulstore-gtk-1 (introspection namespace XulGtk-1.0). */
#pragma once

#include <gtk/gtk.h>
#include <xulstore.h>

G_BEGIN_DECLS

XUL_AVAILABLE_IN_1_0
void xul_store_bind_window (XulStore   *store,
                            GtkWindow  *window,
                            const char *doc,
                            const char *id);

XUL_AVAILABLE_IN_1_0
void xul_store_bind_property (XulStore   *store,
                              gpointer    object,
                              const char *property,
                              const char *doc,
                              const char *id,
                              const char *attr);

/**
 * XUL_GTK_SAVE_DELAY_MS:
 *
 * How long a binding waits after the last change before it stores the new state: a
 * window being dragged larger is stored once, when the user lets go.
 */
#define XUL_GTK_SAVE_DELAY_MS 1000

G_END_DECLS
