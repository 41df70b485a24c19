/* commands-values.c: the commands that read and change values: get, has, set, remove,
 * remove-document, clear, documents, ids, attributes. */
#include <stdio.h>

#include "xulstore-tool.h"

static int
cmd_get (const ToolRun *run)
{
  g_autoptr (GError) error = NULL;
  char **a = run->args;
  g_autofree char *value = NULL;

  if (!xul_store_has_value (run->store, a[0], a[1], a[2], &error))
    return error != NULL ? tool_fail (error) : EXIT_NOT_FOUND;
  value = xul_store_get_value (run->store, a[0], a[1], a[2], &error);
  if (value == NULL)
    return tool_fail (error);
  printf ("%s\n", value);
  return EXIT_OK;
}

static int
cmd_has (const ToolRun *run)
{
  g_autoptr (GError) error = NULL;
  char **a = run->args;

  if (xul_store_has_value (run->store, a[0], a[1], a[2], &error))
    return EXIT_OK;
  return error != NULL ? tool_fail (error) : EXIT_NOT_FOUND;
}

static int
cmd_set (const ToolRun *run)
{
  g_autoptr (GError) error = NULL;
  char **a = run->args;

  if (!xul_store_set_value (run->store, a[0], a[1], a[2], a[3], &error))
    return tool_fail (error);
  return EXIT_OK;
}

static int
cmd_remove (const ToolRun *run)
{
  g_autoptr (GError) error = NULL;
  char **a = run->args;

  if (!xul_store_remove_value (run->store, a[0], a[1], a[2], &error))
    return tool_fail (error);
  return EXIT_OK;
}

static int
cmd_remove_document (const ToolRun *run)
{
  g_autoptr (GError) error = NULL;

  if (!xul_store_remove_document (run->store, run->args[0], &error))
    return tool_fail (error);
  return EXIT_OK;
}

static int
cmd_clear (const ToolRun *run)
{
  g_autoptr (GError) error = NULL;

  if (!xul_store_clear (run->store, &error))
    return tool_fail (error);
  return EXIT_OK;
}

static int
print_list (char  **lines,
            GError *error)
{
  if (lines == NULL)
    return tool_fail (error);
  tool_print_lines (lines);
  g_strfreev (lines);
  return EXIT_OK;
}

static int
cmd_documents (const ToolRun *run)
{
  g_autoptr (GError) error = NULL;
  char **lines = xul_store_get_documents (run->store, &error);

  return print_list (lines, error);
}

static int
cmd_ids (const ToolRun *run)
{
  g_autoptr (GError) error = NULL;
  char **lines = xul_store_get_ids (run->store, run->args[0], &error);

  return print_list (lines, error);
}

static int
cmd_attributes (const ToolRun *run)
{
  g_autoptr (GError) error = NULL;
  char **lines = xul_store_get_attributes (run->store, run->args[0], run->args[1], &error);

  return print_list (lines, error);
}

const ToolCommand tool_value_commands[] = {
  { "get", "DOC ID ATTR", "Print the value and a newline; exit 1 if there is none", 3,
    ACCESS_READ, NULL, TRUE, cmd_get },
  { "has", "DOC ID ATTR", "Exit 0 if a value is stored, 1 if not; print nothing", 3,
    ACCESS_READ, NULL, TRUE, cmd_has },
  { "set", "DOC ID ATTR VALUE", "Store a value", 4, ACCESS_WRITE, NULL, TRUE, cmd_set },
  { "remove", "DOC ID ATTR", "Remove a value (no error if there is none)", 3, ACCESS_WRITE,
    NULL, TRUE, cmd_remove },
  { "remove-document", "DOC", "Remove every value of a document", 1, ACCESS_WRITE, NULL,
    TRUE, cmd_remove_document },
  { "clear", "", "Remove every value", 0, ACCESS_WRITE, NULL, TRUE, cmd_clear },
  { "documents", "", "List the documents, one per line, sorted", 0, ACCESS_READ, NULL, TRUE,
    cmd_documents },
  { "ids", "DOC", "List the element ids of a document, one per line, sorted", 1,
    ACCESS_READ, NULL, TRUE, cmd_ids },
  { "attributes", "DOC ID", "List the attributes of an element, one per line, sorted", 2,
    ACCESS_READ, NULL, TRUE, cmd_attributes },
  { NULL },
};
