/* xs-test.h: helpers shared by the XulStore tests. */
#pragma once

#include "test-util.h"
#include "xulstore.h"

/* Opens (creating) `store.sqlite` in @dir, writable, with the given write delay. */
XulStore *xs_open (TuTmpdir *dir,
                   guint     write_delay_ms);

/* Opens @path with @flags and asserts success. */
XulStore *xs_open_path (const char   *path,
                        XulStoreFlags flags);

void xs_set (XulStore   *store,
             const char *doc,
             const char *id,
             const char *attr,
             const char *value);
void xs_remove_value (XulStore   *store,
                      const char *doc,
                      const char *id,
                      const char *attr);

/* Asserts the value under (doc, id, attr); NULL means "no value" (has_value FALSE and
 * get_value ""). */
void xs_assert_value (XulStore   *store,
                      const char *doc,
                      const char *id,
                      const char *attr,
                      const char *expected);

/* Asserts that @actual (NULL-terminated) equals the NULL-terminated @expected list,
 * then frees @actual. */
void xs_assert_strv (char       **actual,
                     const char *const *expected);

void xs_close (XulStore *store);
