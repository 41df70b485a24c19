/* xulstore.h: the umbrella header of libxulstore-1: the kvcore layer, the XulStore
 * object above it, and the migration layer above that. */
#pragma once

#include "kvcore.h"

#define XULSTORE_INSIDE
#include "xul-changes.h"
#include "xul-store.h"
#include "xul-enum-types.h"
#include "xul-migration-report.h"
#include "xul-legacy.h"
#include "xul-profile.h"
#include "xul-migrate-enum-types.h"
#undef XULSTORE_INSIDE
