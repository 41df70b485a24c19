/* test-window.c: xul_store_bind_window on a real window, under Xvfb with a window
 * manager: sizes and states are stored, restored by a new process, and clamped. */
#include "config.h"

#include <unistd.h>

#include "test-util.h"
#include "xul-gtk.h"

#define DOC "app://test/main.ui"
#define ID "main-window"

static char *store_path; /* for the child process, from argv */

/* Runs the main loop until @done or a few seconds passed. */
static gboolean
wait_until (gboolean (*done) (GtkWindow *window),
            GtkWindow *window)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (!done (window) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  return done (window);
}

static gboolean
is_mapped (GtkWindow *window)
{
  return gtk_widget_get_mapped (GTK_WIDGET (window));
}

static gboolean
is_maximized (GtkWindow *window)
{
  return gtk_window_is_maximized (window);
}

static gboolean
is_normal (GtkWindow *window)
{
  return !gtk_window_is_maximized (window);
}

/* Lets the binding's debounce run out. */
static void
settle (void)
{
  gint64 until = g_get_monotonic_time () + (XUL_GTK_SAVE_DELAY_MS + 300) * 1000;

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
}

static XulStore *
open_store (const char *path)
{
  g_autoptr (GError) error = NULL;
  XulStore *store = xul_store_new (path, XUL_STORE_FLAGS_NONE, &error);

  tu_assert_no_error (error);
  return store;
}

static char *
stored (XulStore   *store,
        const char *attr)
{
  return xul_store_get_value (store, DOC, ID, attr, NULL);
}

static GtkWindow *
new_window (void)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());

  gtk_window_set_child (window, gtk_label_new ("xulstore"));
  return window;
}

/* The child process: a new run of the application restores what the first stored. */
static int
restore_in_new_process (void)
{
  g_autoptr (XulStore) store = open_store (store_path);
  GtkWindow *window = new_window ();
  int width = 0, height = 0;

  xul_store_bind_window (store, window, DOC, ID);
  gtk_window_get_default_size (window, &width, &height);
  if (width != 800 || height != 600)
    return 10;
  gtk_window_present (window);
  if (!wait_until (is_mapped, window) || !wait_until (is_maximized, window))
    return 11;
  gtk_window_destroy (window);
  xul_store_close (store, NULL);
  return 0;
}

static void
test_sizes_and_states_are_stored_and_restored_by_a_new_process (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "store.sqlite");
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr (XulStore) store = open_store (path);
  GtkWindow *window = new_window ();
  g_autofree char *width = NULL, *height = NULL, *sizemode = NULL;
  char *argv[] = { self, (char *) "--restore", path, NULL };
  int status = -1;

  xul_store_bind_window (store, window, DOC, ID);
  gtk_window_present (window);
  assert_true (wait_until (is_mapped, window));

  /* Resized by the user (or the application). */
  gtk_window_set_default_size (window, 800, 600);
  settle ();
  width = stored (store, "width"), height = stored (store, "height");
  assert_string_equal (width, "800");
  assert_string_equal (height, "600");

  /* Maximized: the state is stored, the normal size is kept. */
  gtk_window_maximize (window);
  assert_true (wait_until (is_maximized, window));
  settle ();
  sizemode = stored (store, "sizemode");
  assert_string_equal (sizemode, "maximized");
  g_free (width);
  width = stored (store, "width");
  assert_string_equal (width, "800");

  gtk_window_unmaximize (window);
  assert_true (wait_until (is_normal, window));
  settle ();
  g_free (sizemode);
  sizemode = stored (store, "sizemode");
  assert_string_equal (sizemode, "normal");

  /* Closed maximized: stored at once, without waiting for the delay. */
  gtk_window_maximize (window);
  assert_true (wait_until (is_maximized, window));
  gtk_window_destroy (window);
  g_free (sizemode);
  sizemode = stored (store, "sizemode");
  assert_string_equal (sizemode, "maximized");
  assert_true (xul_store_close (store, NULL));

  assert_true (g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                             &status, NULL));
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
}

static void
check_restored_size (const char *stored_width,
                     const char *stored_height,
                     int        *width,
                     int        *height)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "store.sqlite");
  g_autoptr (XulStore) store = open_store (path);
  GtkWindow *window = new_window ();

  assert_true (xul_store_set_value (store, DOC, ID, "width", stored_width, NULL));
  assert_true (xul_store_set_value (store, DOC, ID, "height", stored_height, NULL));
  xul_store_bind_window (store, window, DOC, ID);
  gtk_window_get_default_size (window, width, height);
  gtk_window_destroy (window);
}

static void
test_absurd_stored_sizes_are_clamped_or_ignored (void **state)
{
  GdkDisplay *display = gdk_display_get_default ();
  g_autoptr (GdkMonitor) monitor = g_list_model_get_item (gdk_display_get_monitors (display), 0);
  GdkRectangle screen;
  int width, height;

  gdk_monitor_get_geometry (monitor, &screen);

  /* Larger than the screen: cut to it. */
  check_restored_size ("999999", "999999", &width, &height);
  assert_int_equal (width, screen.width);
  assert_int_equal (height, screen.height);

  /* Smaller than the window can be: raised to its minimum (the label needs room). */
  check_restored_size ("1", "1", &width, &height);
  assert_true (width > 1);
  assert_true (height > 1);

  /* Not numbers, or not positive: left alone (GTK's "no default size" is -1 or 0). */
  check_restored_size ("wide", "-5", &width, &height);
  assert_true (width <= 0);
  assert_true (height <= 0);
}

static void
test_a_bound_property_is_restored_and_stored (void **state)
{
  g_autoptr (TuTmpdir) dir = tu_tmpdir_new ();
  g_autofree char *path = tu_tmpdir_file (dir, "store.sqlite");
  g_autoptr (XulStore) store = open_store (path);
  GtkWidget *paned = gtk_paned_new (GTK_ORIENTATION_HORIZONTAL);
  GtkWidget *expander = gtk_expander_new ("more");
  g_autofree char *position = NULL, *expanded = NULL;

  g_object_ref_sink (paned);
  g_object_ref_sink (expander);
  assert_true (xul_store_set_value (store, DOC, "sidebar", "position", "240", NULL));
  assert_true (xul_store_set_value (store, DOC, "details", "expanded", "nonsense", NULL));
  xul_store_bind_property (store, paned, "position", DOC, "sidebar", "position");
  xul_store_bind_property (store, expander, "expanded", DOC, "details", "expanded");
  assert_int_equal (gtk_paned_get_position (GTK_PANED (paned)), 240);
  /* A value that does not fit the property's type is ignored. */
  assert_false (gtk_expander_get_expanded (GTK_EXPANDER (expander)));

  gtk_paned_set_position (GTK_PANED (paned), 300);
  gtk_expander_set_expanded (GTK_EXPANDER (expander), TRUE);
  /* Going away stores the last values at once. */
  g_object_unref (paned);
  g_object_unref (expander);
  position = xul_store_get_value (store, DOC, "sidebar", "position", NULL);
  expanded = xul_store_get_value (store, DOC, "details", "expanded", NULL);
  assert_string_equal (position, "300");
  assert_string_equal (expanded, "true");
}

int
main (int    argc,
      char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_sizes_and_states_are_stored_and_restored_by_a_new_process),
    cmocka_unit_test (test_absurd_stored_sizes_are_clamped_or_ignored),
    cmocka_unit_test (test_a_bound_property_is_restored_and_stored),
  };

  gtk_init ();
  if (argc == 3 && g_str_equal (argv[1], "--restore"))
    {
      store_path = argv[2];
      return restore_in_new_process ();
    }
  return tu_run ("gtk-window", tests);
}
