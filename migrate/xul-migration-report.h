/* xul-migration-report.h: XulMigrationReport, what an import or a rollout step did. */
#pragma once

#if !defined(XULSTORE_INSIDE) && !defined(XULSTORE_COMPILATION)
#error "Only <xulstore.h> can be included directly."
#endif

#include <glib-object.h>

#include "xul-version.h"

G_BEGIN_DECLS

/**
 * XulMigrationAction:
 * @XUL_MIGRATION_NONE: nothing was read or written
 * @XUL_MIGRATION_IMPORTED: the legacy file was imported
 * @XUL_MIGRATION_ALREADY_MIGRATED: the migration was recorded before; nothing was done
 * @XUL_MIGRATION_RECONCILED_FROM_LEGACY: the legacy file was changed by another program
 *   (an older version of the application) since it was last mirrored; its content
 *   replaced the store's
 * @XUL_MIGRATION_LEGACY_MISSING: there is no legacy file
 * @XUL_MIGRATION_LEGACY_QUARANTINED: the legacy file could not be read; it was moved
 *   aside, and the store kept its content
 * @XUL_MIGRATION_FINALIZED: the legacy file was renamed and mirroring ended
 *
 * What a migration step did.
 */
typedef enum {
  XUL_MIGRATION_NONE,
  XUL_MIGRATION_IMPORTED,
  XUL_MIGRATION_ALREADY_MIGRATED,
  XUL_MIGRATION_RECONCILED_FROM_LEGACY,
  XUL_MIGRATION_LEGACY_MISSING,
  XUL_MIGRATION_LEGACY_QUARANTINED,
  XUL_MIGRATION_FINALIZED,
} XulMigrationAction;

/**
 * XulReportEntryKind:
 * @XUL_REPORT_ENTRY_SKIPPED: the entry was not imported
 * @XUL_REPORT_ENTRY_TRUNCATED: the value was imported cut to
 *   %XUL_STORE_MAX_VALUE_LENGTH characters, as Firefox serves it
 *
 * What happened to an entry of the legacy file that could not be imported as it was.
 */
typedef enum {
  XUL_REPORT_ENTRY_SKIPPED,
  XUL_REPORT_ENTRY_TRUNCATED,
} XulReportEntryKind;

typedef struct _XulReportEntry XulReportEntry;

#define XUL_TYPE_REPORT_ENTRY (xul_report_entry_get_type ())
XUL_AVAILABLE_IN_1_0
GType xul_report_entry_get_type (void) G_GNUC_CONST;
XUL_AVAILABLE_IN_1_0
XulReportEntry *xul_report_entry_ref (XulReportEntry *self);
XUL_AVAILABLE_IN_1_0
void xul_report_entry_unref (XulReportEntry *self);
XUL_AVAILABLE_IN_1_0
XulReportEntryKind xul_report_entry_get_kind (XulReportEntry *self);
XUL_AVAILABLE_IN_1_0
const char *xul_report_entry_get_path (XulReportEntry *self);
XUL_AVAILABLE_IN_1_0
const char *xul_report_entry_get_reason (XulReportEntry *self);

#define XUL_TYPE_MIGRATION_REPORT (xul_migration_report_get_type ())
XUL_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (XulMigrationReport, xul_migration_report, XUL, MIGRATION_REPORT,
                      GObject)

XUL_AVAILABLE_IN_1_0
XulMigrationAction xul_migration_report_get_action (XulMigrationReport *self);
XUL_AVAILABLE_IN_1_0
const char *xul_migration_report_get_source (XulMigrationReport *self);
XUL_AVAILABLE_IN_1_0
guint xul_migration_report_get_documents (XulMigrationReport *self);
XUL_AVAILABLE_IN_1_0
guint xul_migration_report_get_ids (XulMigrationReport *self);
XUL_AVAILABLE_IN_1_0
guint xul_migration_report_get_values (XulMigrationReport *self);
XUL_AVAILABLE_IN_1_0
GPtrArray *xul_migration_report_get_entries (XulMigrationReport *self);
XUL_AVAILABLE_IN_1_0
const char *xul_migration_report_get_quarantine_path (XulMigrationReport *self);
XUL_AVAILABLE_IN_1_0
const char *xul_migration_report_get_problem (XulMigrationReport *self);
XUL_AVAILABLE_IN_1_0
gint64 xul_migration_report_get_duration (XulMigrationReport *self);
XUL_AVAILABLE_IN_1_0
char *xul_migration_report_to_text (XulMigrationReport *self);
XUL_AVAILABLE_IN_1_0
char *xul_migration_report_to_json (XulMigrationReport *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (XulReportEntry, xul_report_entry_unref)

G_END_DECLS
