/* remember-width.c: remember a window's width across runs with XulStore.
 *
 * Build: cc remember-width.c $(pkg-config --cflags --libs xulstore-1)
 * Usage: remember-width STORE [NEW-WIDTH] */
#include <stdio.h>
#include <xulstore.h>

#define DOC "app://example/main.ui"

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XulStore) store = NULL;
  g_autofree char *width = NULL;

  if (argc < 2)
    {
      fprintf (stderr, "usage: %s STORE [NEW-WIDTH]\n", argv[0]);
      return 2;
    }
  store = xul_store_new (argv[1], XUL_STORE_FLAGS_NONE, &error);
  if (store != NULL)
    width = xul_store_get_value (store, DOC, "main-window", "width", &error);
  if (width != NULL)
    printf ("stored width: %s\n", width[0] != '\0' ? width : "(none)");
  if (width != NULL && argc > 2 &&
      xul_store_set_value (store, DOC, "main-window", "width", argv[2], &error))
    printf ("new width: %s\n", argv[2]);
  /* close flushes: the new width is on disk when it returns. */
  if (width == NULL || !xul_store_close (store, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  return 0;
}
