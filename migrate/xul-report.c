/* xul-report.c: XulMigrationReport, what an import or a rollout step did, readable from
 * C, from Python, as text for people and as JSON for scripts.
 *
 * Reports are built by the migrate layer (xul-migrate-private.h) and read-only after. */
#include "config.h"

#include "xul-legacy-private.h"
#include "xul-migrate-private.h"

struct _XulReportEntry {
  gatomicrefcount ref_count;
  XulReportEntryKind kind;
  char *path;
  char *reason;
};

struct _XulMigrationReport {
  GObject parent_instance;

  XulMigrationAction action;
  char *source;
  guint documents, ids, values;
  GPtrArray *entries; /* XulReportEntry * */
  char *quarantine_path;
  char *problem;
  gint64 duration_us;
};

G_DEFINE_BOXED_TYPE (XulReportEntry, xul_report_entry, xul_report_entry_ref,
                     xul_report_entry_unref)
G_DEFINE_FINAL_TYPE (XulMigrationReport, xul_migration_report, G_TYPE_OBJECT)

/**
 * xul_report_entry_ref:
 * @self: a #XulReportEntry
 *
 * Returns: (transfer full): @self
 */
XulReportEntry *
xul_report_entry_ref (XulReportEntry *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * xul_report_entry_unref:
 * @self: (transfer full): a #XulReportEntry
 *
 * Drops a reference.
 */
void
xul_report_entry_unref (XulReportEntry *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->path);
  g_free (self->reason);
  g_free (self);
}

/**
 * xul_report_entry_get_kind:
 * @self: a #XulReportEntry
 *
 * Returns: whether the entry was skipped or cut
 */
XulReportEntryKind
xul_report_entry_get_kind (XulReportEntry *self)
{
  g_return_val_if_fail (self != NULL, XUL_REPORT_ENTRY_SKIPPED);
  return self->kind;
}

/**
 * xul_report_entry_get_path:
 * @self: a #XulReportEntry
 *
 * Returns: where the entry is in the file, as a JSON Pointer (RFC 6901):
 *   `/document/id/attribute`, with `~` and `/` in names written `~0` and `~1`
 */
const char *
xul_report_entry_get_path (XulReportEntry *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->path;
}

/**
 * xul_report_entry_get_reason:
 * @self: a #XulReportEntry
 *
 * Returns: why the entry was skipped or cut, in English
 */
const char *
xul_report_entry_get_reason (XulReportEntry *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->reason;
}

XulMigrationReport *
xul_migration_report_new (const char *source)
{
  XulMigrationReport *self = g_object_new (XUL_TYPE_MIGRATION_REPORT, NULL);

  self->source = g_strdup (source);
  return self;
}

void
xul_migration_report_set_action (XulMigrationReport *self,
                                 XulMigrationAction  action)
{
  self->action = action;
}

void
xul_migration_report_add_entry (XulMigrationReport *self,
                                XulReportEntryKind  kind,
                                const char         *path,
                                const char         *reason)
{
  XulReportEntry *entry = g_new0 (XulReportEntry, 1);

  g_atomic_ref_count_init (&entry->ref_count);
  entry->kind = kind;
  entry->path = g_strdup (path);
  entry->reason = g_strdup (reason);
  g_ptr_array_add (self->entries, entry);
}

void
xul_migration_report_set_counts (XulMigrationReport *self,
                                 guint               documents,
                                 guint               ids,
                                 guint               values)
{
  self->documents = documents;
  self->ids = ids;
  self->values = values;
}

void
xul_migration_report_set_quarantine_path (XulMigrationReport *self,
                                          const char         *path)
{
  g_free (self->quarantine_path);
  self->quarantine_path = g_strdup (path);
}

void
xul_migration_report_set_problem (XulMigrationReport *self,
                                  const char         *problem)
{
  g_free (self->problem);
  self->problem = g_strdup (problem);
}

void
xul_migration_report_set_duration (XulMigrationReport *self,
                                   gint64              duration_us)
{
  self->duration_us = duration_us;
}

/**
 * xul_migration_report_get_action:
 * @self: a #XulMigrationReport
 *
 * Returns: what was done
 */
XulMigrationAction
xul_migration_report_get_action (XulMigrationReport *self)
{
  g_return_val_if_fail (XUL_IS_MIGRATION_REPORT (self), XUL_MIGRATION_NONE);
  return self->action;
}

/**
 * xul_migration_report_get_source:
 * @self: a #XulMigrationReport
 *
 * Returns: (type filename): the legacy file concerned
 */
const char *
xul_migration_report_get_source (XulMigrationReport *self)
{
  g_return_val_if_fail (XUL_IS_MIGRATION_REPORT (self), NULL);
  return self->source;
}

/**
 * xul_migration_report_get_documents:
 * @self: a #XulMigrationReport
 *
 * Returns: how many documents received at least one value
 */
guint
xul_migration_report_get_documents (XulMigrationReport *self)
{
  g_return_val_if_fail (XUL_IS_MIGRATION_REPORT (self), 0);
  return self->documents;
}

/**
 * xul_migration_report_get_ids:
 * @self: a #XulMigrationReport
 *
 * Returns: how many elements received at least one value
 */
guint
xul_migration_report_get_ids (XulMigrationReport *self)
{
  g_return_val_if_fail (XUL_IS_MIGRATION_REPORT (self), 0);
  return self->ids;
}

/**
 * xul_migration_report_get_values:
 * @self: a #XulMigrationReport
 *
 * Returns: how many values were imported
 */
guint
xul_migration_report_get_values (XulMigrationReport *self)
{
  g_return_val_if_fail (XUL_IS_MIGRATION_REPORT (self), 0);
  return self->values;
}

/**
 * xul_migration_report_get_entries:
 * @self: a #XulMigrationReport
 *
 * Returns: (transfer none) (element-type XulReportEntry): the entries of the file that
 *   were skipped or cut, in file order
 */
GPtrArray *
xul_migration_report_get_entries (XulMigrationReport *self)
{
  g_return_val_if_fail (XUL_IS_MIGRATION_REPORT (self), NULL);
  return self->entries;
}

/**
 * xul_migration_report_get_quarantine_path:
 * @self: a #XulMigrationReport
 *
 * Returns: (type filename) (nullable): where an unreadable legacy file was moved, or
 *   %NULL
 */
const char *
xul_migration_report_get_quarantine_path (XulMigrationReport *self)
{
  g_return_val_if_fail (XUL_IS_MIGRATION_REPORT (self), NULL);
  return self->quarantine_path;
}

/**
 * xul_migration_report_get_problem:
 * @self: a #XulMigrationReport
 *
 * Returns: (nullable): why the legacy file could not be used (its parse error, or that
 *   it was empty), or %NULL
 */
const char *
xul_migration_report_get_problem (XulMigrationReport *self)
{
  g_return_val_if_fail (XUL_IS_MIGRATION_REPORT (self), NULL);
  return self->problem;
}

/**
 * xul_migration_report_get_duration:
 * @self: a #XulMigrationReport
 *
 * Returns: how long the step took, in microseconds
 */
gint64
xul_migration_report_get_duration (XulMigrationReport *self)
{
  g_return_val_if_fail (XUL_IS_MIGRATION_REPORT (self), 0);
  return self->duration_us;
}

static const char *
action_name (XulMigrationAction action)
{
  static const char *const names[] = {
    [XUL_MIGRATION_NONE] = "none",
    [XUL_MIGRATION_IMPORTED] = "imported",
    [XUL_MIGRATION_ALREADY_MIGRATED] = "already-migrated",
    [XUL_MIGRATION_RECONCILED_FROM_LEGACY] = "reconciled-from-legacy",
    [XUL_MIGRATION_LEGACY_MISSING] = "legacy-missing",
    [XUL_MIGRATION_LEGACY_QUARANTINED] = "legacy-quarantined",
    [XUL_MIGRATION_FINALIZED] = "finalized",
  };
  return names[action];
}

static const char *
entry_kind_name (XulReportEntryKind kind)
{
  return kind == XUL_REPORT_ENTRY_TRUNCATED ? "truncated" : "skipped";
}

/**
 * xul_migration_report_to_text:
 * @self: a #XulMigrationReport
 *
 * Returns: (transfer full): the report for people, one fact per line
 */
char *
xul_migration_report_to_text (XulMigrationReport *self)
{
  GString *text;

  g_return_val_if_fail (XUL_IS_MIGRATION_REPORT (self), NULL);
  text = g_string_new (NULL);
  g_string_append_printf (text, "action: %s\n", action_name (self->action));
  g_string_append_printf (text, "legacy file: %s\n", self->source);
  g_string_append_printf (text, "imported: %u documents, %u elements, %u values\n",
                          self->documents, self->ids, self->values);
  for (guint i = 0; i < self->entries->len; i++)
    {
      XulReportEntry *entry = g_ptr_array_index (self->entries, i);
      g_string_append_printf (text, "%s: %s: %s\n", entry_kind_name (entry->kind),
                              entry->path, entry->reason);
    }
  if (self->quarantine_path != NULL)
    g_string_append_printf (text, "quarantined as: %s\n", self->quarantine_path);
  if (self->problem != NULL)
    g_string_append_printf (text, "problem: %s\n", self->problem);
  g_string_append_printf (text, "duration: %.1f ms\n", self->duration_us / 1000.0);
  return g_string_free (text, FALSE);
}

static void
append_json_member (GString    *json,
                    const char *name,
                    const char *value)
{
  g_string_append_printf (json, ",\"%s\":", name);
  if (value != NULL)
    xul_legacy_append_json_string (json, value);
  else
    g_string_append (json, "null");
}

/**
 * xul_migration_report_to_json:
 * @self: a #XulMigrationReport
 *
 * Returns: (transfer full): the report as one JSON object, for scripts
 */
char *
xul_migration_report_to_json (XulMigrationReport *self)
{
  GString *json;

  g_return_val_if_fail (XUL_IS_MIGRATION_REPORT (self), NULL);
  json = g_string_new ("{\"action\":");
  xul_legacy_append_json_string (json, action_name (self->action));
  append_json_member (json, "source", self->source);
  g_string_append_printf (json, ",\"documents\":%u,\"ids\":%u,\"values\":%u,\"entries\":[",
                          self->documents, self->ids, self->values);
  for (guint i = 0; i < self->entries->len; i++)
    {
      XulReportEntry *entry = g_ptr_array_index (self->entries, i);
      g_string_append (json, i == 0 ? "{\"kind\":" : ",{\"kind\":");
      xul_legacy_append_json_string (json, entry_kind_name (entry->kind));
      append_json_member (json, "path", entry->path);
      append_json_member (json, "reason", entry->reason);
      g_string_append_c (json, '}');
    }
  g_string_append_c (json, ']');
  append_json_member (json, "quarantine", self->quarantine_path);
  append_json_member (json, "problem", self->problem);
  g_string_append_printf (json, ",\"duration_us\":%" G_GINT64_FORMAT "}", self->duration_us);
  return g_string_free (json, FALSE);
}

static void
xul_migration_report_finalize (GObject *object)
{
  XulMigrationReport *self = XUL_MIGRATION_REPORT (object);

  g_free (self->source);
  g_ptr_array_unref (self->entries);
  g_free (self->quarantine_path);
  g_free (self->problem);
  G_OBJECT_CLASS (xul_migration_report_parent_class)->finalize (object);
}

static void
xul_migration_report_class_init (XulMigrationReportClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = xul_migration_report_finalize;
}

static void
xul_migration_report_init (XulMigrationReport *self)
{
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) xul_report_entry_unref);
}
