/* kvcore.h: the umbrella header of kvcore, the generic key-value core on SQLite.
 *
 * kvcore knows nothing of documents or JSON; it can be used on its own. */
#pragma once

#define XUL_KV_INSIDE
#include "kv-error.h"
#include "kv-db.h"
#include "kv-store.h"
#include "kv-batch.h"
#include "kv-iter.h"
#include "kv-enum-types.h"
#undef XUL_KV_INSIDE
