/* kv-error.c: the XUL_KV_ERROR domain and the mapping of SQLite result codes onto it.
 *
 * Only corruption codes may ever lead to recovery; BUSY, IO and FULL are transient and
 * must never be mistaken for corruption. */
#include "config.h"

#include "kv-private.h"

G_DEFINE_QUARK (xul-kv-error-quark, xul_kv_error)

static XulKvError
code_from_sqlite (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return XUL_KV_ERROR_BUSY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return XUL_KV_ERROR_CORRUPT;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return XUL_KV_ERROR_IO;
    case SQLITE_FULL:
      return XUL_KV_ERROR_FULL;
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return XUL_KV_ERROR_READ_ONLY;
    case SQLITE_TOOBIG:
      return XUL_KV_ERROR_TOO_LARGE;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      return XUL_KV_ERROR_INVALID_ARGUMENT;
    default:
      return XUL_KV_ERROR_FAILED;
    }
}

gboolean
kv_is_corruption (int rc)
{
  return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
}

/* The message reads "Cannot <operation> “<path>”: <reason>", so @operation is a verb
 * phrase taking the file as its object ("open", "write to", "read store “x” of"). */
void
kv_set_sqlite_error (GError    **error,
                     int         rc,
                     sqlite3    *handle,
                     const char *path,
                     const char *operation)
{
  const char *reason = sqlite3_errstr (rc);
  g_autofree char *valid = NULL;

  /* The connection's message is more precise, but only while it describes @rc. */
  if (handle != NULL && sqlite3_extended_errcode (handle) == rc)
    reason = sqlite3_errmsg (handle);
  /* It may quote names from the file, which need not be UTF-8. */
  valid = g_utf8_make_valid (reason, -1);

  g_set_error (error, XUL_KV_ERROR, code_from_sqlite (rc), "Cannot %s “%s”: %s",
               operation, path, valid);
}

/* Reading a header or the schema fails for two reasons: the disk (I/O, busy), or what
 * is in the file ("unsupported file format", "malformed schema"). The second is damage,
 * whatever code SQLite gives it. */
void
kv_error_blame_file (GError *error)
{
  if (g_error_matches (error, XUL_KV_ERROR, XUL_KV_ERROR_FAILED))
    error->code = XUL_KV_ERROR_CORRUPT;
}
