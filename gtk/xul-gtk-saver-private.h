/* xul-gtk-saver-private.h: debounced writes of one element's attributes. */
#pragma once

#include "xul-gtk.h"

G_BEGIN_DECLS

typedef struct _XulGtkSaver XulGtkSaver;

XulGtkSaver *xul_gtk_saver_new (XulStore   *store,
                                const char *doc,
                                const char *id);
/* Remembers @value for @attr and stores everything remembered once no new value came
 * for XUL_GTK_SAVE_DELAY_MS. */
void xul_gtk_saver_set (XulGtkSaver *self,
                        const char  *attr,
                        const char  *value);
/* Stores what is waiting now. */
void xul_gtk_saver_flush (XulGtkSaver *self);
/* Flushes, then frees. */
void xul_gtk_saver_free (XulGtkSaver *self);

/* Reads a stored value; NULL when there is none (or the store cannot be read). */
char *xul_gtk_saver_get (XulGtkSaver *self,
                         const char  *attr);

G_END_DECLS
