/* commands-files.c: the commands about whole stores and files: dump, import, export,
 * migrate, check, backup, restore, stats. */
#include <glib/gstdio.h>
#include <stdio.h>

#include "xulstore-tool.h"

static gboolean opt_pretty, opt_replace, opt_strict, opt_json;

static GOptionEntry dump_options[] = {
  { "pretty", 0, 0, G_OPTION_ARG_NONE, &opt_pretty, "Indent by two spaces", NULL },
  { NULL },
};

static GOptionEntry import_options[] = {
  { "replace", 0, 0, G_OPTION_ARG_NONE, &opt_replace,
    "Make the store equal to the file (default: merge into it)", NULL },
  { "strict", 0, 0, G_OPTION_ARG_NONE, &opt_strict,
    "Refuse the whole file at the first entry that cannot be imported", NULL },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print the report as JSON", NULL },
  { NULL },
};

static GOptionEntry json_options[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print JSON", NULL },
  { NULL },
};

static void
print_report (XulMigrationReport *report)
{
  g_autofree char *text = opt_json ? xul_migration_report_to_json (report)
                                   : xul_migration_report_to_text (report);

  fputs (text, stdout);
  if (opt_json)
    fputc ('\n', stdout);
}

static int
cmd_dump (const ToolRun *run)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) content = xul_store_export_legacy_bytes (
    run->store, opt_pretty ? XUL_EXPORT_PRETTY : XUL_EXPORT_COMPACT, &error);

  if (content == NULL)
    return tool_fail (error);
  fwrite (g_bytes_get_data (content, NULL), 1, g_bytes_get_size (content), stdout);
  if (!opt_pretty)
    fputc ('\n', stdout);
  return EXIT_OK;
}

static int
cmd_import (const ToolRun *run)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XulMigrationReport) report = NULL;
  XulImportFlags flags = (opt_replace ? XUL_IMPORT_REPLACE : 0) |
                         (opt_strict ? XUL_IMPORT_STRICT : 0);
  g_autoptr (XulLegacyImporter) importer = xul_legacy_importer_new (flags);

  g_signal_connect (importer, "progress", G_CALLBACK (tool_on_progress), NULL);
  if (!xul_legacy_importer_run (importer, run->store, run->args[0], &report, &error))
    return tool_fail (error);
  print_report (report);
  return EXIT_OK;
}

static int
cmd_export (const ToolRun *run)
{
  g_autoptr (GError) error = NULL;

  if (!xul_store_export_legacy (run->store, run->args[0], &error))
    return tool_fail (error);
  return EXIT_OK;
}

static int
cmd_migrate (const ToolRun *run)
{
  print_report (run->report);
  return EXIT_OK;
}

/* check opens the database itself, read-only and without recovery: it must report
 * damage, never repair it. */
static int
cmd_check (const ToolRun *run)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = tool_store_path (run->target);
  g_autoptr (XulKvDb) db = xul_kv_db_open (path, XUL_KV_OPEN_READ_ONLY |
                                                   XUL_KV_OPEN_NO_RECOVERY, &error);

  if (db == NULL || !xul_kv_db_check_integrity (db, &error))
    return tool_fail (error);
  printf ("%s: ok\n", path);
  return EXIT_OK;
}

static int
cmd_backup (const ToolRun *run)
{
  g_autoptr (GError) error = NULL;

  if (!xul_kv_db_backup (xul_store_get_db (run->store), run->args[0], &error))
    return tool_fail (error);
  return EXIT_OK;
}

static int
cmd_restore (const ToolRun *run)
{
  g_autoptr (GError) error = NULL;

  if (!xul_kv_db_restore (xul_store_get_db (run->store), run->args[0], &error))
    return tool_fail (error);
  return EXIT_OK;
}

static gint64
file_size (const char *path,
           const char *suffix)
{
  g_autofree char *file = g_strconcat (path, suffix, NULL);
  GStatBuf st;

  return g_stat (file, &st) == 0 ? (gint64) st.st_size : -1;
}

static char *
last_backup (XulKvDb *db)
{
  g_autofree char *backup = xul_kv_db_get_backup_path (db);
  g_autoptr (GDateTime) when = NULL;
  GStatBuf st;

  if (g_stat (backup, &st) != 0)
    return NULL;
  when = g_date_time_new_from_unix_utc (st.st_mtime);
  return g_date_time_format_iso8601 (when);
}

static char *
meta_or_null (XulKvDb    *db,
              const char *key)
{
  return xul_kv_db_get_meta (db, key, NULL);
}

typedef struct {
  const char *name;
  char *text;       /* already formatted */
  gboolean quoted;  /* a string in JSON; otherwise a number, or null when NULL */
} Stat;

static void
print_stats (const Stat *stats,
             gsize       n)
{
  if (!opt_json)
    {
      for (gsize i = 0; i < n; i++)
        printf ("%-18s %s\n", stats[i].name, stats[i].text != NULL ? stats[i].text : "none");
      return;
    }
  printf ("{");
  for (gsize i = 0; i < n; i++)
    {
      printf ("%s\"%s\":", i > 0 ? "," : "", stats[i].name);
      if (stats[i].text == NULL)
        printf ("null");
      else if (stats[i].quoted)
        tool_print_json_string (stats[i].text);
      else
        printf ("%s", stats[i].text);
    }
  printf ("}\n");
}

static int
cmd_stats (const ToolRun *run)
{
  g_autoptr (GError) error = NULL;
  XulKvDb *db = xul_store_get_db (run->store);
  const char *path = xul_store_get_path (run->store);
  g_auto (GStrv) documents = xul_store_get_documents (run->store, &error);
  g_autoptr (XulKvStore) kv = NULL;
  guint64 records = 0;
  Stat stats[] = {
    { "path", g_strdup (path), TRUE },
    { "records", NULL, FALSE },
    { "documents", NULL, FALSE },
    { "schema-version", g_strdup_printf ("%d", xul_kv_db_get_schema_version (db)), FALSE },
    { "database-bytes", g_strdup_printf ("%" G_GINT64_FORMAT, file_size (path, "")), FALSE },
    { "wal-bytes", g_strdup_printf ("%" G_GINT64_FORMAT, MAX (file_size (path, "-wal"), 0)),
      FALSE },
    { "backup-bytes", NULL, FALSE },
    { "last-backup", last_backup (db), TRUE },
    { "created-at", meta_or_null (db, "kvcore.created-at"), TRUE },
    { "last-recovery", meta_or_null (db, "kvcore.last-recovery"), TRUE },
    { "migration", meta_or_null (db, "migrate.legacy-import"), FALSE },
    { "finalized", meta_or_null (db, "migrate.finalized"), FALSE },
  };
  g_autofree char *backup = xul_kv_db_get_backup_path (db);

  if (documents == NULL)
    return tool_fail (error);
  kv = xul_kv_db_open_store (db, "xulstore", XUL_KV_STORE_NONE, NULL);
  if (kv != NULL && !xul_kv_store_count (kv, &records, &error))
    return tool_fail (error);
  stats[1].text = g_strdup_printf ("%" G_GUINT64_FORMAT, records);
  stats[2].text = g_strdup_printf ("%u", g_strv_length (documents));
  if (file_size (backup, "") >= 0)
    stats[6].text = g_strdup_printf ("%" G_GINT64_FORMAT, file_size (backup, ""));
  print_stats (stats, G_N_ELEMENTS (stats));
  for (gsize i = 0; i < G_N_ELEMENTS (stats); i++)
    g_free (stats[i].text);
  return EXIT_OK;
}

const ToolCommand tool_file_commands[] = {
  { "dump", "", "Print the whole store as legacy JSON", 0, ACCESS_READ, dump_options, TRUE,
    cmd_dump },
  { "import", "FILE", "Import a legacy xulstore.json file and print the report", 1,
    ACCESS_WRITE, import_options, TRUE, cmd_import },
  { "export", "FILE", "Write the store to a legacy xulstore.json file", 1, ACCESS_READ, NULL,
    TRUE, cmd_export },
  { "migrate", "", "With --profile: run the mode's migration step and print its report", 0,
    ACCESS_WRITE, json_options, TRUE, cmd_migrate, TRUE },
  { "check", "", "Check the database's integrity; exit 3 when damaged (never repairs)", 0,
    ACCESS_READ, NULL, FALSE, cmd_check },
  { "backup", "FILE", "Write an online backup of the database to FILE", 1, ACCESS_READ, NULL,
    TRUE, cmd_backup },
  { "restore", "FILE", "Replace the database's content with the backup FILE", 1,
    ACCESS_WRITE, NULL, TRUE, cmd_restore },
  { "stats", "", "Print records, documents, file sizes, schema version, backup, migration",
    0, ACCESS_READ, json_options, TRUE, cmd_stats },
  { NULL },
};
