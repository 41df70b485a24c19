/* remember-window.c: a GTK 4 window that opens at the size and state it was left in.
 *
 * Build: cc remember-window.c $(pkg-config --cflags --libs xulstore-gtk-1)
 * Usage: remember-window [STORE] */
#include <xul-gtk.h>

static void
on_activate (GtkApplication *app,
             XulStore       *store)
{
  GtkWidget *window = gtk_application_window_new (app);
  GtkWidget *paned = gtk_paned_new (GTK_ORIENTATION_HORIZONTAL);

  gtk_window_set_title (GTK_WINDOW (window), "Remember me");
  /* The first run's size; every later run opens as the window was left. */
  gtk_window_set_default_size (GTK_WINDOW (window), 560, 360);
  gtk_paned_set_start_child (GTK_PANED (paned), gtk_label_new ("Sidebar"));
  gtk_paned_set_end_child (GTK_PANED (paned),
                           gtk_label_new ("Resize, maximize or move the divider,\n"
                                          "close, and run me again."));
  gtk_window_set_child (GTK_WINDOW (window), paned);

  /* The two lines this example is about. */
  xul_store_bind_window (store, GTK_WINDOW (window), "app://remember-window", "main-window");
  xul_store_bind_property (store, paned, "position", "app://remember-window", "sidebar",
                           "width");
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = argc > 1 ? g_strdup (argv[1])
                                   : g_build_filename (g_get_user_data_dir (),
                                                       "remember-window.sqlite", NULL);
  g_autoptr (XulStore) store = xul_store_new (path, XUL_STORE_FLAGS_NONE, &error);
  g_autoptr (GtkApplication) app = NULL;
  int status;

  if (store == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  app = gtk_application_new ("org.example.RememberWindow", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (on_activate), store);
  status = g_application_run (G_APPLICATION (app), 1, argv);
  xul_store_close (store, NULL);
  return status;
}
