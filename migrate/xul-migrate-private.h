/* xul-migrate-private.h: building reports, and importing into a list of changes, for
 * the files of migrate/. */
#pragma once

#include "xulstore.h"

G_BEGIN_DECLS

XulMigrationReport *xul_migration_report_new (const char *source);
void xul_migration_report_set_action (XulMigrationReport *self,
                                      XulMigrationAction  action);
void xul_migration_report_add_entry (XulMigrationReport *self,
                                     XulReportEntryKind  kind,
                                     const char         *path,
                                     const char         *reason);
void xul_migration_report_set_counts (XulMigrationReport *self,
                                      guint               documents,
                                      guint               ids,
                                      guint               values);
void xul_migration_report_set_quarantine_path (XulMigrationReport *self,
                                               const char         *path);
void xul_migration_report_set_problem (XulMigrationReport *self,
                                       const char         *problem);
void xul_migration_report_set_duration (XulMigrationReport *self,
                                        gint64              duration_us);

/* Parses @content (read from @path) into new changes (a clear first, with
 * XUL_IMPORT_REPLACE) and fills the counts and entries of @report. A blank file gives no
 * changes and a problem in the report. */
XulChanges *xul_legacy_importer_collect (XulLegacyImporter  *self,
                                         GBytes             *content,
                                         const char         *path,
                                         XulMigrationReport *report,
                                         GError            **error);
/* Reads @path within the importer's size limit. */
GBytes *xul_legacy_importer_read (XulLegacyImporter *self,
                                  const char        *path,
                                  GError           **error);

G_END_DECLS
