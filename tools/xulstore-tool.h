/* xulstore-tool.h: what the files of the xulstore command-line tool share.
 *
 * The tool is a thin client of the public library: every command is a few calls of it
 * plus printing. Exit codes: 0 success, 1 "no such value" (get, has), 2 usage error, 3
 * any other failure. */
#pragma once

#include <xulstore.h>

G_BEGIN_DECLS

enum {
  EXIT_OK = 0,
  EXIT_NOT_FOUND = 1,
  EXIT_USAGE = 2,
  EXIT_FAILURE_ = 3,
};

/* Where the store is, from the global options. */
typedef struct {
  char *db;
  char *profile;
  XulRollout mode;
} ToolTarget;

/* What a command needs from the store. */
typedef enum {
  ACCESS_READ,  /* works beside a writer: falls back to a read-only open */
  ACCESS_WRITE,
} ToolAccess;

/* One command's invocation. */
typedef struct {
  XulStore *store;            /* NULL for commands that open nothing */
  char **args;                /* the positional arguments */
  const ToolTarget *target;
  XulMigrationReport *report; /* with --profile: what the rollout step did */
} ToolRun;

typedef struct {
  const char *name;
  const char *parameters; /* e.g. "DOC ID ATTR" */
  const char *summary;
  int n_args;             /* exact number of positional arguments */
  ToolAccess access;
  GOptionEntry *options;  /* the command's own options, or NULL */
  gboolean opens_store;   /* FALSE: the command opens what it needs itself */
  int (*run) (const ToolRun *run); /* returns an exit code */
  gboolean needs_profile; /* only meaningful with --profile */
} ToolCommand;

/* commands-values.c and commands-files.c */
extern const ToolCommand tool_value_commands[];
extern const ToolCommand tool_file_commands[];

/* xulstore.c */
char *tool_store_path (const ToolTarget *target);
int tool_fail (const GError *error);
int tool_usage_error (const char *command,
                      const char *format,
                      ...) G_GNUC_PRINTF (2, 3);
void tool_print_lines (char **lines);
void tool_print_json_string (const char *text);
gboolean tool_stderr_is_terminal (void);
void tool_progress (guint64 done,
                    guint64 total);
void tool_on_progress (XulLegacyImporter *importer,
                       guint64            done,
                       guint64            total,
                       gpointer           data);

G_END_DECLS
