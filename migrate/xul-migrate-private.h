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

/* Parses @content (read from @path with xul_legacy_importer_read(); its memory is given
 * back as it is parsed, so it is unreadable afterwards) into new changes (a clear
 * first, with XUL_IMPORT_REPLACE) and fills the counts and entries of @report. Sets
 * @fingerprint to the content's SHA-256. A blank file gives no changes and a problem in
 * the report. */
XulChanges *xul_legacy_importer_collect (XulLegacyImporter  *self,
                                         GBytes             *content,
                                         const char         *path,
                                         XulMigrationReport *report,
                                         char              **fingerprint,
                                         GError            **error);
/* Reads @path within the importer's size limit. */
GBytes *xul_legacy_importer_read (XulLegacyImporter *self,
                                  const char        *path,
                                  GError           **error);

/* Meta records of the migration layer (see docs/format.md). */
#define XUL_MIGRATE_META_IMPORT "migrate.legacy-import"
#define XUL_MIGRATE_META_FINALIZED "migrate.finalized"
#define XUL_MIRROR_META_FINGERPRINT "migrate.mirror-sha256"
#define XUL_MIRROR_META_PENDING "migrate.mirror-pending-sha256"
#define XUL_MIRROR_META_STAT "migrate.mirror-stat"

/* xul-mirror.c */
typedef struct _XulMirror XulMirror;

/* Keeps @json_path equal to @store from now on, @delay_ms after changes and at every
 * flush and close, until the store is freed. @behind: write it soon even without a
 * change. */
void xul_mirror_attach (XulStore   *store,
                        const char *json_path,
                        guint       delay_ms,
                        gboolean    behind);
/* Writes the mirror now, recording its fingerprint. */
gboolean xul_mirror_write_file (XulStore   *store,
                                const char *json_path,
                                GError    **error);
char *xul_mirror_stat_stamp (const char *path);

G_END_DECLS
