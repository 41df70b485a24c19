/* xul-profile.h: opening a profile's store under a rollout mode: importing the legacy
 * xulstore.json once, mirroring changes back to it for users who downgrade, and ending
 * the rollout. See docs/migration.md. */
#pragma once

#if !defined(XULSTORE_INSIDE) && !defined(XULSTORE_COMPILATION)
#error "Only <xulstore.h> can be included directly."
#endif

#include <gio/gio.h>

#include "xul-legacy.h"
#include "xul-migration-report.h"
#include "xul-store.h"
#include "xul-version.h"

G_BEGIN_DECLS

/**
 * XulRollout:
 * @XUL_ROLLOUT_NEW_ONLY: use the SQLite store only; never read or write the legacy file
 * @XUL_ROLLOUT_MIGRATE: import the legacy file once, in one transaction, and record it;
 *   the legacy file is left untouched
 * @XUL_ROLLOUT_DUAL_WRITE: migrate, then keep the legacy file up to date with every
 *   change, and take in edits an older version made to it
 * @XUL_ROLLOUT_FINALIZE: migrate (or take in an older version's edits), then rename the
 *   legacy file to `xulstore.json.migrated-<UTC time>` and stop mirroring
 *
 * The stages of moving an application from xulstore.json to the SQLite store.
 */
typedef enum {
  XUL_ROLLOUT_NEW_ONLY,
  XUL_ROLLOUT_MIGRATE,
  XUL_ROLLOUT_DUAL_WRITE,
  XUL_ROLLOUT_FINALIZE,
} XulRollout;

/**
 * XUL_PROFILE_DEFAULT_MIRROR_DELAY:
 *
 * Milliseconds a change waits before the legacy mirror is rewritten, so that a burst
 * of changes costs one write.
 */
#define XUL_PROFILE_DEFAULT_MIRROR_DELAY 1000

#define XUL_TYPE_PROFILE (xul_profile_get_type ())
XUL_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (XulProfile, xul_profile, XUL, PROFILE, GObject)

XUL_AVAILABLE_IN_1_0
XulProfile *xul_profile_new (const char *profile_dir,
                             XulRollout  rollout);
XUL_AVAILABLE_IN_1_0
XulStore *xul_profile_open (XulProfile          *self,
                            XulMigrationReport **report,
                            GError             **error);

XUL_AVAILABLE_IN_1_0
XulStore *xul_store_open_profile (const char          *profile_dir,
                                  XulRollout           rollout,
                                  XulMigrationReport **report,
                                  GError             **error);

G_END_DECLS
