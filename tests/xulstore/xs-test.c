/* xs-test.c: helpers shared by the XulStore tests. */
#include "xs-test.h"

XulStore *
xs_open_path (const char   *path,
              XulStoreFlags flags)
{
  g_autoptr (GError) error = NULL;
  XulStore *store = g_initable_new (XUL_TYPE_STORE, NULL, &error, "path", path, "flags",
                                    flags, NULL);

  tu_assert_no_error (error);
  assert_non_null (store);
  return store;
}

XulStore *
xs_open (TuTmpdir *dir,
         guint     write_delay_ms)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = tu_tmpdir_file (dir, "store.sqlite");
  XulStore *store = g_initable_new (XUL_TYPE_STORE, NULL, &error, "path", path,
                                    "write-delay", write_delay_ms, NULL);

  tu_assert_no_error (error);
  assert_non_null (store);
  return store;
}

void
xs_set (XulStore   *store,
        const char *doc,
        const char *id,
        const char *attr,
        const char *value)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_store_set_value (store, doc, id, attr, value, &error));
  tu_assert_no_error (error);
}

void
xs_remove_value (XulStore   *store,
                 const char *doc,
                 const char *id,
                 const char *attr)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_store_remove_value (store, doc, id, attr, &error));
  tu_assert_no_error (error);
}

void
xs_assert_value (XulStore   *store,
                 const char *doc,
                 const char *id,
                 const char *attr,
                 const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *value = xul_store_get_value (store, doc, id, attr, &error);
  gboolean present = xul_store_has_value (store, doc, id, attr, &error);

  tu_assert_no_error (error);
  assert_non_null (value);
  assert_string_equal (value, expected != NULL ? expected : "");
  assert_int_equal (present, expected != NULL);
}

void
xs_assert_strv (char              **actual,
                const char *const *expected)
{
  g_auto (GStrv) owned = actual;

  assert_non_null (owned);
  if (!g_strv_equal ((const char *const *) owned, expected))
    {
      g_autofree char *got = g_strjoinv ("|", owned);
      g_autofree char *want = g_strjoinv ("|", (char **) expected);
      fail_msg ("lists differ: got [%s], expected [%s]", got, want);
    }
}

void
xs_close (XulStore *store)
{
  g_autoptr (GError) error = NULL;

  assert_true (xul_store_close (store, &error));
  tu_assert_no_error (error);
}
