/* xul-legacy.h: the legacy xulstore.json file: importing it into a XulStore and
 * exporting a XulStore to it. */
#pragma once

#if !defined(XULSTORE_INSIDE) && !defined(XULSTORE_COMPILATION)
#error "Only <xulstore.h> can be included directly."
#endif

#include <gio/gio.h>

#include "xul-migration-report.h"
#include "xul-store.h"
#include "xul-version.h"

G_BEGIN_DECLS

/**
 * XUL_LEGACY_ERROR:
 *
 * Error domain for legacy files that cannot be read. Errors in this domain are from
 * the #XulLegacyError enumeration, and carry the position of the problem: see
 * xul_legacy_error_get_offset().
 */
#define XUL_LEGACY_ERROR (xul_legacy_error_quark ())

/**
 * XulLegacyError:
 * @XUL_LEGACY_ERROR_SYNTAX: the file is not valid JSON
 * @XUL_LEGACY_ERROR_INVALID_UTF8: the file is not valid UTF-8
 * @XUL_LEGACY_ERROR_TOO_LARGE: the file is larger than the importer accepts
 * @XUL_LEGACY_ERROR_BAD_SHAPE: the file is JSON, but not an object of documents; or,
 *   with %XUL_IMPORT_STRICT, one of its entries could not be imported as it is
 * @XUL_LEGACY_ERROR_NESTING: values nest deeper than the importer follows
 * @XUL_LEGACY_ERROR_IO: the file cannot be read or written
 *
 * Error codes of the %XUL_LEGACY_ERROR domain.
 */
typedef enum {
  XUL_LEGACY_ERROR_SYNTAX,
  XUL_LEGACY_ERROR_INVALID_UTF8,
  XUL_LEGACY_ERROR_TOO_LARGE,
  XUL_LEGACY_ERROR_BAD_SHAPE,
  XUL_LEGACY_ERROR_NESTING,
  XUL_LEGACY_ERROR_IO,
} XulLegacyError;

XUL_AVAILABLE_IN_1_0
GQuark xul_legacy_error_quark (void);
XUL_AVAILABLE_IN_1_0
gint64 xul_legacy_error_get_offset (const GError *error);
XUL_AVAILABLE_IN_1_0
guint xul_legacy_error_get_line (const GError *error);
XUL_AVAILABLE_IN_1_0
guint xul_legacy_error_get_column (const GError *error);

/**
 * XulImportFlags:
 * @XUL_IMPORT_MERGE: overlay the file's values on the store's (the default)
 * @XUL_IMPORT_REPLACE: make the store equal to the file
 * @XUL_IMPORT_STRICT: refuse the whole file at the first entry that cannot be imported
 *   as it is, instead of skipping it and reporting it
 *
 * How to import a legacy file.
 */
typedef enum /*< flags >*/ {
  XUL_IMPORT_MERGE = 0,
  XUL_IMPORT_REPLACE = 1 << 0,
  XUL_IMPORT_STRICT = 1 << 1,
} XulImportFlags;

/**
 * XUL_LEGACY_DEFAULT_MAX_SIZE:
 *
 * The largest legacy file an importer reads unless told otherwise, in bytes.
 */
#define XUL_LEGACY_DEFAULT_MAX_SIZE (64 * 1024 * 1024)

#define XUL_TYPE_LEGACY_IMPORTER (xul_legacy_importer_get_type ())
XUL_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (XulLegacyImporter, xul_legacy_importer, XUL, LEGACY_IMPORTER,
                      GObject)

XUL_AVAILABLE_IN_1_0
XulLegacyImporter *xul_legacy_importer_new (XulImportFlags flags);
XUL_AVAILABLE_IN_1_0
gboolean xul_legacy_importer_run (XulLegacyImporter   *self,
                                  XulStore            *store,
                                  const char          *json_path,
                                  XulMigrationReport **report,
                                  GError             **error);

XUL_AVAILABLE_IN_1_0
gboolean xul_store_import_legacy (XulStore            *self,
                                  const char          *json_path,
                                  XulImportFlags       flags,
                                  XulMigrationReport **report,
                                  GError             **error);

/**
 * XulExportFlags:
 * @XUL_EXPORT_COMPACT: one line, as Firefox writes it
 * @XUL_EXPORT_PRETTY: indented by two spaces, one member per line
 *
 * How to write a legacy file.
 */
typedef enum /*< flags >*/ {
  XUL_EXPORT_COMPACT = 0,
  XUL_EXPORT_PRETTY = 1 << 0,
} XulExportFlags;

XUL_AVAILABLE_IN_1_0
gboolean xul_store_export_legacy (XulStore   *self,
                                  const char *json_path,
                                  GError    **error);
XUL_AVAILABLE_IN_1_0
GBytes *xul_store_export_legacy_bytes (XulStore      *self,
                                       XulExportFlags flags,
                                       GError       **error);

G_END_DECLS
