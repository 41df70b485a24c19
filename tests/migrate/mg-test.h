/* mg-test.h: helpers shared by the migration tests. */
#pragma once

#include "test-util.h"
#include "xulstore.h"

/* Asserts the position fields of a legacy error: @offset, and the line and column
 * derived from it independently in @text (columns count bytes, as the README says). */
void mg_assert_error_position (const GError *error,
                               const char   *text,
                               gint64        offset);
