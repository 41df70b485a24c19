/* xul-profile.c: XulProfile, a profile's store opened under a rollout mode.
 *
 * Profile files: xulstore.json (legacy), xulstore.sqlite (the store). The legacy file is
 * never deleted: it is imported and left alone (MIGRATE), mirrored (DUAL_WRITE), or
 * renamed at the end (FINALIZE); a file that cannot be read is renamed aside before
 * anything would write over it. See docs/migration.md. */
#include "config.h"

#include <glib/gstdio.h>

#include "kv-files-private.h"
#include "xul-legacy-private.h"
#include "xul-migrate-private.h"

#define LEGACY_NAME "xulstore.json"
#define STORE_NAME "xulstore.sqlite"

struct _XulProfile {
  GObject parent_instance;
  char *dir;
  XulRollout rollout;
  guint mirror_delay_ms;
  XulLegacyImporter *importer;
};

enum {
  PROP_0,
  PROP_DIRECTORY,
  PROP_ROLLOUT,
  PROP_MIRROR_DELAY,
  PROP_IMPORTER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (XulProfile, xul_profile, G_TYPE_OBJECT)

/* One rollout step on an open store. */
typedef struct {
  XulProfile *profile;
  XulStore *store;
  XulKvDb *db;
  char *json_path;
  XulMigrationReport *report;
  gboolean mirror_dirty; /* the legacy file should be rewritten from the store */
} Step;

static char *
utc_now (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  return g_date_time_format_iso8601 (now);
}

/* NULL when there is no such record; FALSE only on a real error. */
static gboolean
read_meta (XulKvDb    *db,
           const char *key,
           char      **value,
           GError    **error)
{
  GError *local_error = NULL;

  *value = xul_kv_db_get_meta (db, key, &local_error);
  if (*value != NULL || g_error_matches (local_error, XUL_KV_ERROR, XUL_KV_ERROR_NOT_FOUND))
    {
      g_clear_error (&local_error);
      return TRUE;
    }
  g_propagate_error (error, local_error);
  return FALSE;
}

/* What the migration record says about the file that was imported. */
static char *
import_record (const char         *sha,
               gsize               size,
               const char         *json_path,
               XulMigrationReport *report)
{
  g_autofree char *at = utc_now ();
  g_autofree char *mtime = NULL;
  GString *json = g_string_new ("{\"source\":");
  GStatBuf st;

  if (g_stat (json_path, &st) == 0)
    {
      g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (st.st_mtime);
      mtime = g_date_time_format_iso8601 (when);
    }
  xul_legacy_append_json_string (json, json_path);
  g_string_append_printf (json, ",\"size\":%" G_GSIZE_FORMAT ",\"mtime\":", size);
  xul_legacy_append_json_string (json, mtime != NULL ? mtime : "");
  g_string_append (json, ",\"sha256\":");
  xul_legacy_append_json_string (json, sha);
  g_string_append_printf (json, ",\"documents\":%u,\"ids\":%u,\"values\":%u,\"at\":",
                          xul_migration_report_get_documents (report),
                          xul_migration_report_get_ids (report),
                          xul_migration_report_get_values (report));
  xul_legacy_append_json_string (json, at);
  g_string_append_c (json, '}');
  return g_string_free (json, FALSE);
}

/* The legacy file cannot be read: in a mode that will write its path, move it aside
 * first, so that nobody's data is overwritten. */
static gboolean
handle_unreadable (Step    *step,
                   GError  *problem,
                   GError **error)
{
  g_autofree char *aside = NULL;

  xul_migration_report_set_problem (step->report, problem->message);
  g_error_free (problem);
  if (step->profile->rollout == XUL_ROLLOUT_MIGRATE)
    return TRUE; /* nothing writes the legacy path; an older version may still read it */
  aside = xul_legacy_move_aside (step->json_path, "corrupt", error);
  if (aside == NULL)
    return FALSE;
  xul_migration_report_set_quarantine_path (step->report, aside);
  xul_migration_report_set_action (step->report, XUL_MIGRATION_LEGACY_QUARANTINED);
  step->mirror_dirty = TRUE;
  return TRUE;
}

/* Imports @content (taking it: the reader gives its memory back as it goes) in one
 * transaction, with the migration record and the file's fingerprint. */
static gboolean
import_content (Step              *step,
                GBytes            *content,
                XulMigrationAction action,
                GError           **error)
{
  g_autoptr (GBytes) owned = content;
  XulLegacyImporter *importer = step->profile->importer;
  g_autoptr (XulChanges) changes = NULL;
  g_autofree char *record = NULL;
  g_autofree char *fingerprint = NULL;
  GError *problem = NULL;

  XulImportFlags flags;

  /* Strictness is the caller's choice; merging or replacing is the step's. */
  g_object_get (importer, "flags", &flags, NULL);
  flags &= ~XUL_IMPORT_REPLACE;
  if (action == XUL_MIGRATION_RECONCILED_FROM_LEGACY)
    flags |= XUL_IMPORT_REPLACE;
  g_object_set (importer, "flags", flags, NULL);
  changes = xul_legacy_importer_collect (importer, content, step->json_path, step->report,
                                         &fingerprint, &problem);
  if (changes == NULL)
    return handle_unreadable (step, problem, error);
  record = import_record (fingerprint, g_bytes_get_size (content), step->json_path,
                          step->report);
  g_clear_pointer (&owned, g_bytes_unref);
  xul_changes_set_meta (changes, XUL_MIGRATE_META_IMPORT, record);
  /* The file is now known: a later open in another mode must not take it for an older
   * version's edit (that would undo every change made since). */
  xul_changes_set_meta (changes, XUL_MIRROR_META_FINGERPRINT, fingerprint);
  if (!xul_store_apply (step->store, changes, error))
    return FALSE;
  xul_migration_report_set_action (step->report, action);
  /* After a merge the store may hold more than the file did. */
  step->mirror_dirty = action == XUL_MIGRATION_IMPORTED;
  return TRUE;
}

static gboolean
read_legacy (Step     *step,
             GBytes  **content,
             GError  **error)
{
  GError *problem = NULL;

  *content = xul_legacy_importer_read (step->profile->importer, step->json_path, &problem);
  if (*content != NULL)
    return TRUE;
  return handle_unreadable (step, problem, error);
}

/* MIGRATE: import the legacy file once. */
static gboolean
migrate (Step    *step,
         GError **error)
{
  g_autofree char *done = NULL;
  g_autoptr (GBytes) content = NULL;

  if (!read_meta (step->db, XUL_MIGRATE_META_IMPORT, &done, error))
    return FALSE;
  if (done != NULL)
    {
      xul_migration_report_set_action (step->report, XUL_MIGRATION_ALREADY_MIGRATED);
      return TRUE;
    }
  if (!g_file_test (step->json_path, G_FILE_TEST_EXISTS))
    {
      xul_migration_report_set_action (step->report, XUL_MIGRATION_LEGACY_MISSING);
      step->mirror_dirty = TRUE;
      return TRUE;
    }
  if (!read_legacy (step, &content, error))
    return FALSE;
  return content == NULL ||
         import_content (step, g_steal_pointer (&content), XUL_MIGRATION_IMPORTED, error);
}

/* Is the legacy file the one the mirror wrote last (or was about to write)? A file that
 * still has the size, time and inode of our last write is not read at all. */
static gboolean
legacy_is_ours (Step     *step,
                gboolean *ours,
                GBytes  **content,
                GError  **error)
{
  g_autofree char *stamp = xul_mirror_stat_stamp (step->json_path);
  g_autofree char *recorded_stamp = NULL, *recorded = NULL, *pending = NULL;
  g_autofree char *fingerprint = NULL;

  *ours = FALSE;
  *content = NULL;
  if (!read_meta (step->db, XUL_MIRROR_META_STAT, &recorded_stamp, error) ||
      !read_meta (step->db, XUL_MIRROR_META_FINGERPRINT, &recorded, error) ||
      !read_meta (step->db, XUL_MIRROR_META_PENDING, &pending, error))
    return FALSE;
  if (stamp != NULL && recorded != NULL && g_strcmp0 (stamp, recorded_stamp) == 0)
    {
      *ours = TRUE;
      return TRUE;
    }
  if (!read_legacy (step, content, error))
    return FALSE;
  if (*content == NULL)
    return TRUE; /* unreadable: already handled */
  fingerprint = xul_legacy_fingerprint (*content);
  *ours = g_strcmp0 (fingerprint, recorded) == 0 || g_strcmp0 (fingerprint, pending) == 0;
  if (g_strcmp0 (fingerprint, recorded) == 0 || g_strcmp0 (fingerprint, pending) != 0)
    return TRUE;
  /* The mirror died between its rename and its final record. The file is recorded as
   * ours now: the next mirror write replaces the pending record, and a second crash
   * before its rename must still find this file ours. */
  return xul_kv_db_set_meta (step->db, XUL_MIRROR_META_FINGERPRINT, fingerprint, error) &&
         xul_kv_db_delete_meta (step->db, XUL_MIRROR_META_PENDING, error);
}

/* DUAL_WRITE and FINALIZE: migrate once; later, take in what an older version wrote. */
static gboolean
migrate_or_reconcile (Step    *step,
                      GError **error)
{
  g_autofree char *done = NULL;
  g_autoptr (GBytes) content = NULL;
  gboolean ours;

  if (!g_file_test (step->json_path, G_FILE_TEST_EXISTS))
    {
      /* Gone (or never there): the store is all there is. Dual-write writes it anew;
       * after a finalization, its absence is expected. */
      if (!migrate (step, error))
        return FALSE;
      if (step->profile->rollout == XUL_ROLLOUT_DUAL_WRITE)
        {
          xul_migration_report_set_action (step->report, XUL_MIGRATION_LEGACY_MISSING);
          step->mirror_dirty = TRUE;
        }
      return TRUE;
    }
  if (!legacy_is_ours (step, &ours, &content, error))
    return FALSE;
  if (ours)
    {
      xul_migration_report_set_action (step->report, XUL_MIGRATION_ALREADY_MIGRATED);
      step->mirror_dirty = TRUE; /* the store may have moved on since the last write */
      return TRUE;
    }
  if (content == NULL)
    return TRUE; /* unreadable, moved aside */
  if (!read_meta (step->db, XUL_MIGRATE_META_IMPORT, &done, error))
    return FALSE;
  return import_content (step, g_steal_pointer (&content),
                         done == NULL ? XUL_MIGRATION_IMPORTED
                                      : XUL_MIGRATION_RECONCILED_FROM_LEGACY,
                         error);
}

/* FINALIZE: the end of the rollout. The legacy file is renamed, never deleted. */
static gboolean
finalize_legacy (Step    *step,
                 GError **error)
{
  g_autoptr (XulChanges) changes = xul_changes_new ();
  g_autofree char *aside = NULL;
  g_autofree char *at = utc_now ();
  g_autoptr (GString) record = g_string_new ("{\"renamed-to\":");

  step->mirror_dirty = FALSE;
  if (!g_file_test (step->json_path, G_FILE_TEST_EXISTS))
    return TRUE;
  aside = xul_legacy_move_aside (step->json_path, "migrated", error);
  if (aside == NULL)
    return FALSE;
  xul_legacy_append_json_string (record, aside);
  g_string_append (record, ",\"at\":");
  xul_legacy_append_json_string (record, at);
  g_string_append_c (record, '}');
  xul_changes_set_meta (changes, XUL_MIGRATE_META_FINALIZED, record->str);
  xul_migration_report_set_action (step->report, XUL_MIGRATION_FINALIZED);
  return xul_store_apply (step->store, changes, error);
}

/* DUAL_WRITE: bring the legacy file up to date now. A failure does not stop the store
 * from opening: the report says why, and the mirror tries again later. */
static gboolean
write_mirror (Step *step)
{
  g_autoptr (GError) problem = NULL;

  if (step->mirror_dirty &&
      xul_mirror_write_file (step->store, step->json_path, &problem))
    step->mirror_dirty = FALSE;
  if (problem != NULL)
    xul_migration_report_set_problem (step->report, problem->message);
  return TRUE;
}

static gboolean
run_step (Step    *step,
          GError **error)
{
  switch (step->profile->rollout)
    {
    case XUL_ROLLOUT_NEW_ONLY:
      return TRUE;
    case XUL_ROLLOUT_MIGRATE:
      return migrate (step, error);
    case XUL_ROLLOUT_DUAL_WRITE:
      return migrate_or_reconcile (step, error) && write_mirror (step);
    case XUL_ROLLOUT_FINALIZE:
      return migrate_or_reconcile (step, error) && finalize_legacy (step, error);
    }
  g_return_val_if_reached (FALSE);
}

/**
 * xul_profile_open:
 * @self: a #XulProfile
 * @report: (out) (optional) (transfer full): what the rollout step did
 * @error: return location for a #GError
 *
 * Opens `<dir>/xulstore.sqlite` and runs the rollout step of #XulProfile:rollout (see
 * #XulRollout). With %XUL_ROLLOUT_DUAL_WRITE, the legacy file is written at once when it
 * is missing or behind, and kept up to date afterwards: a change rewrites it
 * #XulProfile:mirror-delay milliseconds later, and every xul_store_flush() and
 * xul_store_close() brings it up to date before returning. A legacy file that cannot be
 * read never stops the store from opening: the report says why, and in the modes that
 * write it, it is first moved aside as `xulstore.json.corrupt-<UTC time>`.
 *
 * Returns: (transfer full): the open store, or %NULL on error
 */
XulStore *
xul_profile_open (XulProfile          *self,
                  XulMigrationReport **report,
                  GError             **error)
{
  g_autofree char *db_path = NULL;
  g_autoptr (XulStore) store = NULL;
  g_autoptr (XulMigrationReport) result = NULL;
  gint64 started = g_get_monotonic_time ();
  Step step = { self };

  g_return_val_if_fail (XUL_IS_PROFILE (self), NULL);
  db_path = g_build_filename (self->dir, STORE_NAME, NULL);
  step.json_path = g_build_filename (self->dir, LEGACY_NAME, NULL);
  store = xul_store_new (db_path, XUL_STORE_FLAGS_NONE, error);
  if (store != NULL)
    {
      /* Mirror writes cut short by a crash leave their temporary files behind. */
      kv_remove_leftover_temporaries (step.json_path, ".tmp-");
      result = xul_migration_report_new (step.json_path);
      step.store = store;
      step.db = xul_store_get_db (store);
      step.report = result;
      if (!run_step (&step, error))
        {
          xul_store_close (store, NULL);
          g_clear_object (&store);
        }
      else if (self->rollout == XUL_ROLLOUT_DUAL_WRITE)
        xul_mirror_attach (store, step.json_path, self->mirror_delay_ms, step.mirror_dirty);
    }
  g_free (step.json_path);
  if (store == NULL)
    return NULL;
  xul_migration_report_set_duration (result, g_get_monotonic_time () - started);
  if (report != NULL)
    *report = g_steal_pointer (&result);
  return g_steal_pointer (&store);
}

/**
 * xul_profile_new:
 * @profile_dir: (type filename): the profile directory
 * @rollout: the rollout mode
 *
 * Returns: (transfer full): a profile to open with xul_profile_open()
 */
XulProfile *
xul_profile_new (const char *profile_dir,
                 XulRollout  rollout)
{
  return g_object_new (XUL_TYPE_PROFILE, "directory", profile_dir, "rollout", rollout, NULL);
}

/**
 * xul_store_open_profile:
 * @profile_dir: (type filename): the profile directory
 * @rollout: the rollout mode
 * @report: (out) (optional) (transfer full): what the rollout step did
 * @error: return location for a #GError
 *
 * Opens a profile's store with the default settings; see xul_profile_open().
 *
 * Returns: (transfer full): the open store, or %NULL on error
 */
XulStore *
xul_store_open_profile (const char          *profile_dir,
                        XulRollout           rollout,
                        XulMigrationReport **report,
                        GError             **error)
{
  g_autoptr (XulProfile) profile = xul_profile_new (profile_dir, rollout);

  return xul_profile_open (profile, report, error);
}

static void
xul_profile_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  XulProfile *self = XUL_PROFILE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_value_set_string (value, self->dir);
      break;
    case PROP_ROLLOUT:
      g_value_set_enum (value, self->rollout);
      break;
    case PROP_MIRROR_DELAY:
      g_value_set_uint (value, self->mirror_delay_ms);
      break;
    case PROP_IMPORTER:
      g_value_set_object (value, self->importer);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
xul_profile_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  XulProfile *self = XUL_PROFILE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      self->dir = g_value_dup_string (value);
      break;
    case PROP_ROLLOUT:
      self->rollout = g_value_get_enum (value);
      break;
    case PROP_MIRROR_DELAY:
      self->mirror_delay_ms = g_value_get_uint (value);
      break;
    case PROP_IMPORTER:
      g_set_object (&self->importer, g_value_get_object (value));
      if (self->importer == NULL)
        self->importer = xul_legacy_importer_new (XUL_IMPORT_MERGE);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
xul_profile_finalize (GObject *object)
{
  XulProfile *self = XUL_PROFILE (object);

  g_free (self->dir);
  g_clear_object (&self->importer);
  G_OBJECT_CLASS (xul_profile_parent_class)->finalize (object);
}

static void
xul_profile_class_init (XulProfileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = xul_profile_finalize;
  object_class->get_property = xul_profile_get_property;
  object_class->set_property = xul_profile_set_property;

  /**
   * XulProfile:directory: (type filename)
   *
   * The profile directory, which holds xulstore.json and xulstore.sqlite.
   */
  properties[PROP_DIRECTORY] =
    g_param_spec_string ("directory", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS);
  /**
   * XulProfile:rollout:
   *
   * The rollout mode.
   */
  properties[PROP_ROLLOUT] =
    g_param_spec_enum ("rollout", NULL, NULL, XUL_TYPE_ROLLOUT, XUL_ROLLOUT_MIGRATE,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                       G_PARAM_STATIC_STRINGS);
  /**
   * XulProfile:mirror-delay:
   *
   * With %XUL_ROLLOUT_DUAL_WRITE: milliseconds between a change and the rewrite of the
   * legacy file. Flushes and closes do not wait for it.
   */
  properties[PROP_MIRROR_DELAY] =
    g_param_spec_uint ("mirror-delay", NULL, NULL, 0, 10 * 60 * 1000,
                       XUL_PROFILE_DEFAULT_MIRROR_DELAY,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * XulProfile:importer:
   *
   * The importer that reads the legacy file: its size limit, strictness and progress
   * signal apply. Its flags are set by each step (merge, or replace to take in an
   * older version's edits).
   */
  properties[PROP_IMPORTER] =
    g_param_spec_object ("importer", NULL, NULL, XUL_TYPE_LEGACY_IMPORTER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
xul_profile_init (XulProfile *self)
{
  self->mirror_delay_ms = XUL_PROFILE_DEFAULT_MIRROR_DELAY;
}
