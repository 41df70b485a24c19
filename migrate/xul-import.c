/* xul-import.c: XulLegacyImporter, a legacy xulstore.json file into a XulStore, in one
 * transaction.
 *
 * The file is read in one streaming pass that turns values straight into XulChanges.
 * Only a file whose keys repeat (JSON.parse keeps the last, whole object and all) needs
 * a second pass into a tree; that is rare, so the common path never holds the file's
 * content twice. */
#include "config.h"

#include "xul-legacy-private.h"
#include "xul-migrate-private.h"

enum {
  PROP_0,
  PROP_FLAGS,
  PROP_MAX_SIZE,
  N_PROPS
};

enum {
  SIGNAL_PROGRESS,
  N_SIGNALS
};

struct _XulLegacyImporter {
  GObject parent_instance;
  XulImportFlags flags;
  guint64 max_size;
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (XulLegacyImporter, xul_legacy_importer, G_TYPE_OBJECT)

/* What a pass collects. */
typedef struct {
  XulLegacyImporter *importer;
  XulMigrationReport *report;
  XulChanges *changes;  /* streaming pass */
  GHashTable *tree;     /* second pass: doc -> (id -> (attr -> value)) */
  GHashTable *elements; /* second pass: the current document's table */
  GHashTable *attrs;    /* second pass: the current element's table */
  gboolean duplicate;
  guint documents, ids, values;
  char *last_doc, *last_id; /* streaming counts: the element the last value was in */
  GBytes *content;          /* streaming pass: the file, given back as it is parsed */
  GChecksum *sha256;        /* of the part of the file parsed so far */
  gsize hashed;
} Collector;

static void
stream_value (const char *doc,
              const char *id,
              const char *attr,
              const char *value,
              gpointer    data)
{
  Collector *c = data;

  xul_changes_set_value (c->changes, doc, id, attr, value);
  /* Without repeated keys, values arrive grouped by document and element. */
  if (c->last_doc == NULL || strcmp (c->last_doc, doc) != 0)
    {
      c->documents++;
      g_clear_pointer (&c->last_id, g_free);
      g_free (c->last_doc);
      c->last_doc = g_strdup (doc);
    }
  if (c->last_id == NULL || strcmp (c->last_id, id) != 0)
    {
      c->ids++;
      g_free (c->last_id);
      c->last_id = g_strdup (id);
    }
  c->values++;
}

static void
ignore_member (const char *doc,
               const char *id,
               const char *attr,
               gpointer    data)
{
}

static gboolean
report_skipped (const char *path,
                const char *reason,
                gpointer    data)
{
  Collector *c = data;

  xul_migration_report_add_entry (c->report, XUL_REPORT_ENTRY_SKIPPED, path, reason);
  return (c->importer->flags & XUL_IMPORT_STRICT) == 0;
}

static void
report_truncated (const char *path,
                  const char *reason,
                  gpointer    data)
{
  Collector *c = data;

  xul_migration_report_add_entry (c->report, XUL_REPORT_ENTRY_TRUNCATED, path, reason);
}

static void
note_duplicate (gpointer data)
{
  ((Collector *) data)->duplicate = TRUE;
}

/* Hashes the file up to @done, then lets the parsed part go: the file's fingerprint
 * comes out of the same single read. */
static void
consume (Collector *c,
         gsize      done)
{
  const guint8 *data = g_bytes_get_data (c->content, NULL);

  g_checksum_update (c->sha256, data + c->hashed, (gssize) (done - c->hashed));
  c->hashed = done;
  xul_legacy_release (c->content, done);
}

static void
emit_progress (gsize    done,
               gsize    total,
               gpointer data)
{
  Collector *c = data;

  consume (c, done);
  g_signal_emit (c->importer, signals[SIGNAL_PROGRESS], 0, (guint64) done, (guint64) total);
}

static GHashTable *
string_table (GDestroyNotify value_free)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, value_free);
}

/* Second pass: a member replaces whatever an earlier one of the same name held. */
static void
tree_member (const char *doc,
             const char *id,
             const char *attr,
             gpointer    data)
{
  Collector *c = data;

  if (id == NULL)
    {
      c->elements = string_table ((GDestroyNotify) g_hash_table_unref);
      g_hash_table_replace (c->tree, g_strdup (doc), c->elements);
    }
  else if (attr == NULL)
    {
      c->attrs = string_table (g_free);
      g_hash_table_replace (c->elements, g_strdup (id), c->attrs);
    }
  else
    g_hash_table_remove (c->attrs, attr);
}

static void
tree_value (const char *doc,
            const char *id,
            const char *attr,
            const char *value,
            gpointer    data)
{
  Collector *c = data;

  g_hash_table_replace (c->attrs, g_strdup (attr), g_strdup (value));
}

static gboolean
keep_going (const char *path,
            const char *reason,
            gpointer    data)
{
  return TRUE;
}

static void
ignore_truncated (const char *path,
                  const char *reason,
                  gpointer    data)
{
}

static void
ignore_duplicate (gpointer data)
{
}

static void
changes_from_tree (Collector *c)
{
  GHashTableIter docs, elements, attrs;
  const char *doc, *id, *attr, *value;
  GHashTable *element_table, *attr_table;

  c->documents = c->ids = c->values = 0;
  g_hash_table_iter_init (&docs, c->tree);
  while (g_hash_table_iter_next (&docs, (gpointer *) &doc, (gpointer *) &element_table))
    {
      guint ids_before = c->ids;
      g_hash_table_iter_init (&elements, element_table);
      while (g_hash_table_iter_next (&elements, (gpointer *) &id, (gpointer *) &attr_table))
        {
          g_hash_table_iter_init (&attrs, attr_table);
          while (g_hash_table_iter_next (&attrs, (gpointer *) &attr, (gpointer *) &value))
            xul_changes_set_value (c->changes, doc, id, attr, value);
          c->values += g_hash_table_size (attr_table);
          c->ids += g_hash_table_size (attr_table) > 0;
        }
      c->documents += c->ids > ids_before;
    }
}

/* Second pass, for files whose keys repeat: the first gave its bytes back, so the file
 * is read again, and must not have changed meanwhile. */
static gboolean
collect_exact (Collector  *c,
               const char *path,
               const char *fingerprint,
               GError    **error)
{
  static const XulLegacyVisitor exact = {
    tree_value, tree_member, keep_going, ignore_truncated, ignore_duplicate, NULL,
  };
  g_autoptr (GBytes) again = xul_legacy_importer_read (c->importer, path, error);
  g_autofree char *again_fingerprint = NULL;
  gboolean ok;

  if (again == NULL)
    return FALSE;
  again_fingerprint = xul_legacy_fingerprint (again);
  if (g_strcmp0 (again_fingerprint, fingerprint) != 0)
    {
      g_set_error (error, XUL_LEGACY_ERROR, XUL_LEGACY_ERROR_IO,
                   "“%s” changed while it was being read", path);
      return FALSE;
    }
  c->changes = xul_changes_new ();
  if (c->importer->flags & XUL_IMPORT_REPLACE)
    xul_changes_clear (c->changes);
  c->tree = string_table ((GDestroyNotify) g_hash_table_unref);
  ok = xul_legacy_parse (g_bytes_get_data (again, NULL), g_bytes_get_size (again), path,
                         &exact, c, error);
  if (ok)
    changes_from_tree (c);
  g_hash_table_unref (c->tree);
  return ok;
}

XulChanges *
xul_legacy_importer_collect (XulLegacyImporter  *self,
                             GBytes             *content,
                             const char         *path,
                             XulMigrationReport *report,
                             char              **fingerprint,
                             GError            **error)
{
  static const XulLegacyVisitor streaming = {
    stream_value, ignore_member, report_skipped, report_truncated, note_duplicate,
    emit_progress,
  };
  Collector c = { self, report, NULL };
  gsize len;
  const char *text = g_bytes_get_data (content, &len);
  gboolean ok = TRUE;

  *fingerprint = NULL;
  c.changes = xul_changes_new ();
  if (xul_legacy_is_blank (text, len))
    {
      /* No data is not "no values": even REPLACE leaves the store alone. */
      xul_migration_report_set_problem (report, "the file is empty: there is nothing to import");
      *fingerprint = xul_legacy_fingerprint (content);
      return c.changes;
    }
  if (self->flags & XUL_IMPORT_REPLACE)
    xul_changes_clear (c.changes);
  c.content = content;
  c.sha256 = g_checksum_new (G_CHECKSUM_SHA256);
  ok = xul_legacy_parse (text, len, path, &streaming, &c, error);
  if (ok)
    {
      consume (&c, len);
      *fingerprint = g_strdup (g_checksum_get_string (c.sha256));
    }
  if (ok && c.duplicate)
    {
      g_clear_pointer (&c.changes, xul_changes_unref);
      ok = collect_exact (&c, path, *fingerprint, error);
    }
  if (ok)
    xul_migration_report_set_counts (report, c.documents, c.ids, c.values);
  else
    {
      g_clear_pointer (&c.changes, xul_changes_unref);
      g_clear_pointer (fingerprint, g_free);
    }
  g_checksum_free (c.sha256);
  g_free (c.last_doc);
  g_free (c.last_id);
  return c.changes;
}

GBytes *
xul_legacy_importer_read (XulLegacyImporter *self,
                          const char        *path,
                          GError           **error)
{
  return xul_legacy_read_file (path, self->max_size, error);
}

/**
 * xul_legacy_importer_new:
 * @flags: how to import
 *
 * Returns: (transfer full): an importer; its #XulLegacyImporter:max-size is
 *   %XUL_LEGACY_DEFAULT_MAX_SIZE
 */
XulLegacyImporter *
xul_legacy_importer_new (XulImportFlags flags)
{
  return g_object_new (XUL_TYPE_LEGACY_IMPORTER, "flags", flags, NULL);
}

/**
 * xul_legacy_importer_run:
 * @self: a #XulLegacyImporter
 * @store: the store to import into
 * @json_path: (type filename): the legacy file
 * @report: (out) (optional) (transfer full): what was imported, skipped or cut
 * @error: return location for a #GError
 *
 * Imports a legacy file in one transaction: every value or none. Entries the store
 * cannot hold are skipped and reported (or, with %XUL_IMPORT_STRICT, refuse the file);
 * values over %XUL_STORE_MAX_VALUE_LENGTH characters are cut to it, as Firefox serves
 * them. A file with only white space is no data: nothing changes, and the report says
 * so. The file itself is never changed.
 *
 * Returns: %TRUE on success; %FALSE with a %XUL_LEGACY_ERROR for a file that cannot be
 *   read, or a %XUL_STORE_ERROR
 */
gboolean
xul_legacy_importer_run (XulLegacyImporter   *self,
                         XulStore            *store,
                         const char          *json_path,
                         XulMigrationReport **report,
                         GError             **error)
{
  g_autoptr (XulMigrationReport) result = NULL;
  g_autoptr (XulChanges) changes = NULL;
  g_autoptr (GBytes) content = NULL;
  g_autofree char *fingerprint = NULL;
  gint64 started = g_get_monotonic_time ();

  g_return_val_if_fail (XUL_IS_LEGACY_IMPORTER (self), FALSE);
  g_return_val_if_fail (XUL_IS_STORE (store), FALSE);
  g_return_val_if_fail (json_path != NULL, FALSE);

  result = xul_migration_report_new (json_path);
  content = xul_legacy_importer_read (self, json_path, error);
  if (content == NULL ||
      (changes = xul_legacy_importer_collect (self, content, json_path, result, &fingerprint,
                                              error)) == NULL ||
      !xul_store_apply (store, changes, error))
    return FALSE;
  xul_migration_report_set_action (result, XUL_MIGRATION_IMPORTED);
  xul_migration_report_set_duration (result, g_get_monotonic_time () - started);
  if (report != NULL)
    *report = g_steal_pointer (&result);
  return TRUE;
}

/**
 * xul_store_import_legacy:
 * @self: a #XulStore
 * @json_path: (type filename): the legacy file
 * @flags: how to import
 * @report: (out) (optional) (transfer full): what was imported, skipped or cut
 * @error: return location for a #GError
 *
 * Imports a legacy file with a default #XulLegacyImporter; see
 * xul_legacy_importer_run().
 *
 * Returns: %TRUE on success
 */
gboolean
xul_store_import_legacy (XulStore            *self,
                         const char          *json_path,
                         XulImportFlags       flags,
                         XulMigrationReport **report,
                         GError             **error)
{
  g_autoptr (XulLegacyImporter) importer = xul_legacy_importer_new (flags);

  return xul_legacy_importer_run (importer, self, json_path, report, error);
}

static void
xul_legacy_importer_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  XulLegacyImporter *self = XUL_LEGACY_IMPORTER (object);

  switch (prop_id)
    {
    case PROP_FLAGS:
      g_value_set_flags (value, self->flags);
      break;
    case PROP_MAX_SIZE:
      g_value_set_uint64 (value, self->max_size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
xul_legacy_importer_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  XulLegacyImporter *self = XUL_LEGACY_IMPORTER (object);

  switch (prop_id)
    {
    case PROP_FLAGS:
      self->flags = g_value_get_flags (value);
      break;
    case PROP_MAX_SIZE:
      self->max_size = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
xul_legacy_importer_class_init (XulLegacyImporterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = xul_legacy_importer_get_property;
  object_class->set_property = xul_legacy_importer_set_property;

  /**
   * XulLegacyImporter:flags:
   *
   * How to import.
   */
  properties[PROP_FLAGS] =
    g_param_spec_flags ("flags", NULL, NULL, XUL_TYPE_IMPORT_FLAGS, XUL_IMPORT_MERGE,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * XulLegacyImporter:max-size:
   *
   * The largest file to read, in bytes; a larger one fails with
   * %XUL_LEGACY_ERROR_TOO_LARGE before it is read.
   */
  properties[PROP_MAX_SIZE] =
    g_param_spec_uint64 ("max-size", NULL, NULL, 0, G_MAXUINT64,
                         XUL_LEGACY_DEFAULT_MAX_SIZE,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * XulLegacyImporter::progress:
   * @self: the importer
   * @done: bytes of the file read so far
   * @total: the size of the file
   *
   * Emitted now and then while a file is read, and once at its end, in the thread that
   * runs the import.
   */
  signals[SIGNAL_PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_UINT64);
}

static void
xul_legacy_importer_init (XulLegacyImporter *self)
{
  self->max_size = XUL_LEGACY_DEFAULT_MAX_SIZE;
}
