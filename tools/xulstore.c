/* xulstore.c: the xulstore command-line tool: global options, opening the store, and
 * running one command.
 *
 *   xulstore [--db FILE | --profile DIR [--mode MODE]] COMMAND [ARGS]
 *
 * Everything it does goes through the public library API; see docs/cli.md. */
#include <locale.h>
#include <stdio.h>
#include <unistd.h>

#include "xulstore-tool.h"

#define PROGRAM "xulstore"

static const char *const mode_names[] = {
  [XUL_ROLLOUT_NEW_ONLY] = "new-only",
  [XUL_ROLLOUT_MIGRATE] = "migrate",
  [XUL_ROLLOUT_DUAL_WRITE] = "dual-write",
  [XUL_ROLLOUT_FINALIZE] = "finalize",
};

int
tool_fail (const GError *error)
{
  fprintf (stderr, PROGRAM ": %s\n", error->message);
  return EXIT_FAILURE_;
}

int
tool_usage_error (const char *command,
                  const char *format,
                  ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, PROGRAM ": %s\n", message);
  if (command != NULL)
    fprintf (stderr, "Try “" PROGRAM " %s --help”.\n", command);
  else
    fprintf (stderr, "Try “" PROGRAM " --help”.\n");
  return EXIT_USAGE;
}

void
tool_print_lines (char **lines)
{
  for (guint i = 0; lines[i] != NULL; i++)
    printf ("%s\n", lines[i]);
}

/* A JSON string: quotes, backslashes and control characters escaped, UTF-8 as is. */
void
tool_print_json_string (const char *text)
{
  putchar ('"');
  for (const guint8 *c = (const guint8 *) text; *c != '\0'; c++)
    {
      if (*c == '"' || *c == '\\')
        printf ("\\%c", *c);
      else if (*c < 0x20)
        printf ("\\u%04x", *c);
      else
        putchar (*c);
    }
  putchar ('"');
}

gboolean
tool_stderr_is_terminal (void)
{
  return isatty (STDERR_FILENO);
}

/* A progress bar on stderr, drawn only for people (a terminal). */
void
tool_progress (guint64 done,
               guint64 total)
{
  enum { WIDTH = 40 };
  guint filled = total > 0 ? (guint) (done * WIDTH / total) : WIDTH;
  char bar[WIDTH + 1];

  if (!tool_stderr_is_terminal ())
    return;
  memset (bar, '#', filled);
  memset (bar + filled, ' ', WIDTH - filled);
  bar[WIDTH] = '\0';
  fprintf (stderr, "\rReading [%s] %3u%%", bar, total > 0 ? (guint) (done * 100 / total) : 100);
  if (done >= total)
    fputc ('\n', stderr);
  fflush (stderr);
}

/* A XulLegacyImporter::progress handler that draws tool_progress(). */
void
tool_on_progress (XulLegacyImporter *importer,
                  guint64            done,
                  guint64            total,
                  gpointer           data)
{
  tool_progress (done, total);
}

static const ToolCommand *
find_command (const char *name)
{
  const ToolCommand *groups[] = { tool_value_commands, tool_file_commands };

  for (gsize g = 0; g < G_N_ELEMENTS (groups); g++)
    for (const ToolCommand *c = groups[g]; c->name != NULL; c++)
      if (g_str_equal (c->name, name))
        return c;
  return NULL;
}

static char *
commands_help (void)
{
  const ToolCommand *groups[] = { tool_value_commands, tool_file_commands };
  GString *help = g_string_new ("Commands:\n");

  for (gsize g = 0; g < G_N_ELEMENTS (groups); g++)
    for (const ToolCommand *c = groups[g]; c->name != NULL; c++)
      {
        g_autofree char *usage = g_strdup_printf ("%s %s", c->name, c->parameters);
        g_string_append_printf (help, "  %-32s %s\n", usage, c->summary);
      }
  g_string_append (help, "\nExit status: 0 success, 1 no such value (get, has), 2 usage "
                         "error, 3 any other failure.\nSee “" PROGRAM " COMMAND --help”.");
  return g_string_free (help, FALSE);
}

/* Tells, once, that opening repaired a damaged store, and what happened to the legacy
 * file when that is news. */
static void
report_open (XulStore           *store,
             XulMigrationReport *report,
             const ToolCommand  *command)
{
  XulKvDb *db = xul_store_get_db (store);
  XulKvRecovery recovery = xul_kv_db_get_recovery (db);

  if (recovery != XUL_KV_RECOVERY_NONE)
    {
      g_autofree char *quarantine = xul_kv_db_get_quarantine_path (db);
      fprintf (stderr, PROGRAM ": “%s” was damaged: moved aside to “%s”; %s\n",
               xul_store_get_path (store), quarantine,
               recovery == XUL_KV_RECOVERY_RESTORED_FROM_BACKUP
                 ? "the backup was restored" : "no usable backup: started empty");
    }
  if (report != NULL && !g_str_equal (command->name, "migrate"))
    {
      XulMigrationAction action = xul_migration_report_get_action (report);
      if (action == XUL_MIGRATION_IMPORTED || action == XUL_MIGRATION_RECONCILED_FROM_LEGACY ||
          action == XUL_MIGRATION_LEGACY_QUARANTINED || action == XUL_MIGRATION_FINALIZED)
        {
          g_autofree char *text = xul_migration_report_to_text (report);
          fprintf (stderr, PROGRAM ": opening the profile migrated it:\n%s", text);
        }
    }
}

/* A file command that only reads must work beside a writer: on BUSY, read-only. */
static XulStore *
open_read_only_beside (const char *path,
                       GError    **error)
{
  /* The writer's BUSY is not the caller's error any more. */
  g_clear_error (error);
  return xul_store_new (path, XUL_STORE_FLAGS_READ_ONLY, error);
}

char *
tool_store_path (const ToolTarget *target)
{
  return target->db != NULL ? g_strdup (target->db)
                            : g_build_filename (target->profile, "xulstore.sqlite", NULL);
}

static XulStore *
open_store (const ToolTarget    *target,
            ToolAccess           access,
            XulMigrationReport **report,
            GError             **error)
{
  g_autofree char *path = tool_store_path (target);
  XulStore *store;

  if (target->db != NULL)
    {
      /* Reading must not create a store that is not there. */
      if (access == ACCESS_READ && !g_file_test (path, G_FILE_TEST_EXISTS))
        return xul_store_new (path, XUL_STORE_FLAGS_READ_ONLY, error);
      store = xul_store_new (path, XUL_STORE_FLAGS_NONE, error);
    }
  else
    {
      g_autoptr (XulProfile) profile = xul_profile_new (target->profile, target->mode);
      g_autoptr (XulLegacyImporter) importer = xul_legacy_importer_new (XUL_IMPORT_MERGE);
      g_signal_connect (importer, "progress", G_CALLBACK (tool_on_progress), NULL);
      g_object_set (profile, "importer", importer, NULL);
      store = xul_profile_open (profile, report, error);
    }
  if (store == NULL && access == ACCESS_READ &&
      g_error_matches (*error, XUL_STORE_ERROR, XUL_STORE_ERROR_BUSY))
    store = open_read_only_beside (path, error);
  return store;
}

static int
run_command (const ToolCommand *command,
             char             **args,
             const ToolTarget  *target)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XulMigrationReport) report = NULL;
  g_autoptr (XulStore) store = NULL;
  ToolRun run = { NULL, args, target, NULL };
  int status;

  if (!command->opens_store)
    return command->run (&run);
  store = open_store (target, command->access, &report, &error);
  if (store == NULL)
    return tool_fail (error);
  report_open (store, report, command);
  run.store = store;
  run.report = report;
  status = command->run (&run);
  if (!xul_store_close (store, &error))
    return tool_fail (error);
  return status;
}

/* Removes the first "--" (GLib keeps it when an argument after it starts with '-'). */
static void
drop_separator (char **args)
{
  for (guint i = 1; args[i] != NULL; i++)
    if (g_str_equal (args[i], "--"))
      {
        g_free (args[i]);
        memmove (args + i, args + i + 1, (g_strv_length (args + i + 1) + 1) * sizeof *args);
        return;
      }
}

/* Commands without options take every argument as data: a value may well be "-8".
 * Only a first argument of --help or -h asks for help. */
static gboolean
wants_options (const ToolCommand *command,
               char             **args)
{
  return command->options != NULL ||
         (args[1] != NULL && (g_str_equal (args[1], "--help") || g_str_equal (args[1], "-h")));
}

/* Parses the command's own options and arguments; returns them, or NULL after printing
 * a usage error (or the help, with *status 0). */
static char **
parse_command (const ToolCommand *command,
               int                argc,
               char             **argv,
               int               *status)
{
  g_autoptr (GOptionContext) context = g_option_context_new (command->parameters);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) args = g_new0 (char *, argc + 1);
  g_autofree char *prgname = g_strdup_printf (PROGRAM " %s", command->name);

  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);
  /* Help reads "Usage: xulstore COMMAND [OPTION…] PARAMETERS". */
  g_set_prgname (prgname);
  g_option_context_set_summary (context, command->summary);
  if (command->options != NULL)
    g_option_context_add_main_entries (context, command->options, NULL);
  if (wants_options (command, args) && !g_option_context_parse_strv (context, &args, &error))
    {
      *status = tool_usage_error (command->name, "%s", error->message);
      return NULL;
    }
  drop_separator (args);
  /* args[0] is the command name itself. */
  if ((int) g_strv_length (args) - 1 != command->n_args)
    {
      *status = tool_usage_error (command->name, "%s takes %d argument%s: %s", command->name,
                                  command->n_args, command->n_args == 1 ? "" : "s",
                                  command->parameters[0] != '\0' ? command->parameters
                                                                 : "none");
      return NULL;
    }
  return g_strdupv (args + 1);
}

static gboolean
parse_mode (const char *name,
            XulRollout *mode)
{
  for (gsize i = 0; i < G_N_ELEMENTS (mode_names); i++)
    if (g_str_equal (name, mode_names[i]))
      {
        *mode = (XulRollout) i;
        return TRUE;
      }
  return FALSE;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *db = NULL, *profile = NULL, *mode = NULL;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Use the store FILE (no migration)", "FILE" },
    { "profile", 0, 0, G_OPTION_ARG_FILENAME, &profile,
      "Use the profile DIR (xulstore.sqlite and xulstore.json)", "DIR" },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &mode,
      "With --profile: new-only, migrate (default), dual-write or finalize", "MODE" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("COMMAND [ARGS]");
  g_autoptr (GError) error = NULL;
  g_autofree char *description = commands_help ();
  g_auto (GStrv) command_args = NULL;
  ToolTarget target = { NULL, NULL, XUL_ROLLOUT_MIGRATE };
  const ToolCommand *command;
  int status = EXIT_OK;

  setlocale (LC_ALL, "");
  g_option_context_set_summary (context, "Read, change, migrate and check xulstore stores.");
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, NULL);
  /* Options after the command belong to the command. */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return tool_usage_error (NULL, "%s", error->message);
  if (version)
    {
      printf (PROGRAM " %s\n", XUL_VERSION_STRING);
      return EXIT_OK;
    }
  if (argc < 2)
    return tool_usage_error (NULL, "no command given");
  command = find_command (argv[1]);
  if (command == NULL)
    return tool_usage_error (NULL, "unknown command “%s”", argv[1]);
  command_args = parse_command (command, argc - 1, argv + 1, &status);
  if (command_args == NULL)
    return status;

  if ((db == NULL) == (profile == NULL))
    return tool_usage_error (NULL, db == NULL ? "say which store: --db FILE or --profile DIR"
                                              : "--db and --profile cannot be used together");
  if (mode != NULL && profile == NULL)
    return tool_usage_error (NULL, "--mode needs --profile");
  if (command->needs_profile && profile == NULL)
    return tool_usage_error (command->name, "%s needs --profile DIR: there is no legacy file "
                             "beside --db", command->name);
  if (mode != NULL && !parse_mode (mode, &target.mode))
    return tool_usage_error (NULL, "unknown mode “%s”: use new-only, migrate, dual-write or "
                             "finalize", mode);
  target.db = db;
  target.profile = profile;
  return run_command (command, command_args, &target);
}
