/* mg-test.c: see mg-test.h. */
#include "mg-test.h"

void
mg_assert_error_position (const GError *error,
                          const char   *text,
                          gint64        offset)
{
  guint line = 1, column = 1;

  for (gint64 i = 0; i < offset; i++)
    {
      column++;
      if (text[i] == '\n')
        {
          line++;
          column = 1;
        }
    }
  if (xul_legacy_error_get_offset (error) != offset)
    fail_msg ("error at offset %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT ": %s",
              xul_legacy_error_get_offset (error), offset, error->message);
  assert_int_equal (xul_legacy_error_get_line (error), line);
  assert_int_equal (xul_legacy_error_get_column (error), column);
}
