/* kv-hello.c: the smallest program using kvcore through the installed library.
 *
 * Build: cc kv-hello.c $(pkg-config --cflags --libs xulstore-1)
 * Usage: kv-hello DATABASE */
#include <kvcore.h>
#include <stdio.h>

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XulKvDb) db = NULL;
  g_autoptr (XulKvStore) store = NULL;
  g_autoptr (GBytes) value = NULL;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s DATABASE\n", argv[0]);
      return 2;
    }
  db = xul_kv_db_open (argv[1], XUL_KV_OPEN_NONE, &error);
  if (db != NULL)
    store = xul_kv_db_open_store (db, "greetings", XUL_KV_STORE_CREATE, &error);
  if (store != NULL && xul_kv_store_put (store, "hello", 5, "world", 5, &error))
    value = xul_kv_store_get (store, "hello", 5, &error);
  if (value == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  printf ("hello %.*s\n", (int) g_bytes_get_size (value),
          (const char *) g_bytes_get_data (value, NULL));
  return 0;
}
