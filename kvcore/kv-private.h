/* kv-private.h: what the kv-*.c files share and the public API hides.
 *
 * Invariant: the writer connection (XulKvDb.conn) and XulKvStore ids are only used with
 * XulKvDb.lock held; a reader connection belongs to one iterator at a time. */
#pragma once

#include <sqlite3.h>

#include "kvcore.h"

G_BEGIN_DECLS

/* The schema version this library writes; see docs/format.md. */
#define KV_SCHEMA_VERSION 1
/* PRAGMA application_id of kvcore files: "KVCO". */
#define KV_APPLICATION_ID 0x4B56434F
/* Meta keys under this prefix belong to kvcore itself. */
#define KV_META_RESERVED_PREFIX "kvcore."

/* A SQLite connection with its cache of prepared statements. */
typedef struct {
  sqlite3 *handle;
  GHashTable *statements; /* static SQL text (by address) -> sqlite3_stmt * */
  const char *path;       /* borrowed from the owning XulKvDb, for messages */
  guint generation;       /* readers: XulKvDb.generation when opened */
  gboolean no_schema;     /* read-only, on a file without kvcore's tables */
} KvConn;

struct _XulKvDb {
  GObject parent_instance;

  char *path;
  XulKvOpenFlags flags;
  gint64 backup_interval; /* seconds; 0 disables automatic backups */

  GMutex lock; /* guards everything below but the reader pool */
  KvConn *conn;
  int closed; /* atomic; only set with lock held */
  int schema_version;
  XulKvRecovery recovery;
  char *quarantine_path;

  GMutex pool_lock; /* taken after lock, never before */
  GPtrArray *idle_readers; /* KvConn *, each with no open transaction */
  guint generation;        /* bumped when the file behind the path changes */
  guint recovered_generation; /* readers older than this saw a damaged file */
};

struct _XulKvStore {
  gatomicrefcount ref_count;
  XulKvDb *db;
  char *name;
  gint64 id; /* cached row id in `stores`; re-resolved by name when stale */
};

/* A cached statement, reset (not finalised) when it goes out of scope. */
typedef sqlite3_stmt *KvStatement;
static inline void
kv_statement_reset (KvStatement stmt)
{
  sqlite3_reset (stmt);
}
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (KvStatement, kv_statement_reset, NULL)

/* kv-error.c */
void kv_error_blame_file (GError *error);
void kv_set_sqlite_error (GError    **error,
                          int         rc,
                          sqlite3    *handle,
                          const char *path,
                          const char *operation);
gboolean kv_is_corruption (int rc);

/* kv-limits.c */
gboolean kv_check_name (const char *what,
                        const char *name,
                        int         code,
                        GError    **error);
gboolean kv_check_key (gsize    key_len,
                       GError **error);
gboolean kv_check_value (gsize    value_len,
                         GError **error);
gboolean kv_check_meta (const char *key,
                        const char *value,
                        gboolean    writing,
                        GError    **error);
GBytes *kv_prefix_successor (const guint8 *prefix,
                             gsize         len);

/* kv-conn.c */
KvConn *kv_conn_open (const char *path,
                      gboolean    read_only,
                      GError    **error);
void kv_conn_close (KvConn *conn);
void kv_conn_close_untouched (KvConn *conn);
sqlite3_stmt *kv_conn_prepare (KvConn     *conn,
                               const char *sql,
                               GError    **error);
gboolean kv_conn_exec (KvConn     *conn,
                       const char *sql,
                       const char *operation,
                       GError    **error);
gboolean kv_conn_query_int (KvConn     *conn,
                            const char *sql,
                            gint64     *out_value,
                            GError    **error);
gboolean kv_conn_check (KvConn     *conn,
                        const char *sql,
                        char      **problems,
                        GError    **error);
gboolean kv_conn_sync_wal (KvConn  *conn,
                           GError **error);
gboolean kv_conn_has_schema (KvConn *conn);
void kv_bind_bytes (sqlite3_stmt *stmt,
                    int           index,
                    const void   *data,
                    gsize         len);

/* kv-schema.c */
gboolean kv_schema_identify (KvConn  *conn,
                             int     *out_version,
                             GError **error);
gboolean kv_schema_prepare (KvConn  *conn,
                            gboolean read_only,
                            int     *out_version,
                            GError **error);

/* kv-db.c */
gboolean kv_create_private_file (const char *path,
                                 GError    **error);
gboolean kv_db_connect (XulKvDb  *db,
                        gboolean  check,
                        GError  **error);
KvConn *kv_db_lock (XulKvDb  *db,
                    gboolean  writing,
                    GError  **error);
void kv_db_unlock (XulKvDb *db);
gboolean kv_db_write (KvConn     *conn,
                      const char *operation,
                      gboolean  (*body) (KvConn *conn, gpointer data, GError **error),
                      gpointer    data,
                      GError    **error);
KvConn *kv_db_acquire_reader (XulKvDb *db,
                              GError **error);
void kv_db_release_reader (XulKvDb *db,
                           KvConn  *conn);
void kv_db_drop_idle_readers (XulKvDb *db);

/* kv-store.c */
gboolean kv_store_lookup (KvConn     *conn,
                          const char *name,
                          gint64     *out_id,
                          GError    **error);
gboolean kv_store_resolve (XulKvStore *store,
                           KvConn     *conn,
                           GError    **error);

/* kv-backup.c */
char *kv_backup_default_path (const char *db_path);
gboolean kv_backup_copy (sqlite3    *source,
                         const char *source_path,
                         const char *dest_path,
                         GError    **error);
gboolean kv_backup_if_due (XulKvDb *db,
                           GError **error);
gboolean kv_backup_verify (const char *path,
                           GError    **error);
gboolean kv_backup_restore_file (const char *backup_path,
                                 const char *db_path,
                                 GError    **error);

/* kv-recovery.c */
char *kv_move_aside (const char *path,
                     const char *tag,
                     GError    **error);
gboolean kv_recovery_run (XulKvDb *db,
                          GError **error);
gboolean kv_recovery_restore_missing (XulKvDb *db,
                                      GError **error);

/* kv-maintenance.c */
gboolean kv_maintain_at_open (XulKvDb  *db,
                              gboolean  created,
                              GError  **error);
gboolean kv_maintain_locked (XulKvDb *db,
                             GError **error);

G_END_DECLS
