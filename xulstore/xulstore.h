/* xulstore.h: the umbrella header of libxulstore-1: the XulStore object and the kvcore
 * layer beneath it. */
#pragma once

#include "kvcore.h"

#define XULSTORE_INSIDE
#include "xul-changes.h"
#include "xul-store.h"
#include "xul-enum-types.h"
#undef XULSTORE_INSIDE
