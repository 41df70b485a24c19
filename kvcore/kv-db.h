/* kv-db.h: XulKvDb, one SQLite file holding many named key-value stores.
 *
 * Opening hides connection set-up, schema upgrades, maintenance, backups and corruption
 * recovery. Every function may be called from any thread. See docs/architecture.md. */
#pragma once

#if !defined(XUL_KV_INSIDE) && !defined(XULSTORE_COMPILATION)
#error "Only <kvcore.h> can be included directly."
#endif

#include <gio/gio.h>

#include "xul-version.h"

G_BEGIN_DECLS

/**
 * XulKvOpenFlags:
 * @XUL_KV_OPEN_NONE: open for reading and writing, creating the file if needed, and
 *   recover from corruption
 * @XUL_KV_OPEN_READ_ONLY: open an existing database for reading only; writes fail with
 *   %XUL_KV_ERROR_READ_ONLY and nothing on disk is changed
 * @XUL_KV_OPEN_NO_RECOVERY: report a damaged database as %XUL_KV_ERROR_CORRUPT instead
 *   of moving it aside and recovering
 *
 * Flags for xul_kv_db_open().
 */
typedef enum /*< flags >*/ {
  XUL_KV_OPEN_NONE = 0,
  XUL_KV_OPEN_READ_ONLY = 1 << 0,
  XUL_KV_OPEN_NO_RECOVERY = 1 << 1,
} XulKvOpenFlags;

/**
 * XulKvCommitFlags:
 * @XUL_KV_COMMIT_NONE: the commit survives a crash of the application; after a power
 *   loss the last commits may be rolled back (the database stays consistent)
 * @XUL_KV_COMMIT_DURABLE: the commit, and every commit before it, survives a power loss
 *
 * Flags for xul_kv_db_commit().
 */
typedef enum /*< flags >*/ {
  XUL_KV_COMMIT_NONE = 0,
  XUL_KV_COMMIT_DURABLE = 1 << 0,
} XulKvCommitFlags;

/**
 * XulKvRecovery:
 * @XUL_KV_RECOVERY_NONE: the database opened normally
 * @XUL_KV_RECOVERY_RESTORED_FROM_BACKUP: the database was damaged; it was moved aside
 *   and the backup was restored
 * @XUL_KV_RECOVERY_STARTED_EMPTY: the database was damaged and no usable backup
 *   existed; it was moved aside and an empty database was started
 *
 * What opening the database had to do about corruption.
 */
typedef enum {
  XUL_KV_RECOVERY_NONE,
  XUL_KV_RECOVERY_RESTORED_FROM_BACKUP,
  XUL_KV_RECOVERY_STARTED_EMPTY,
} XulKvRecovery;

#define XUL_TYPE_KV_DB (xul_kv_db_get_type ())
XUL_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (XulKvDb, xul_kv_db, XUL, KV_DB, GObject)

XUL_AVAILABLE_IN_1_0
XulKvDb *xul_kv_db_open (const char    *path,
                         XulKvOpenFlags flags,
                         GError       **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_kv_db_close (XulKvDb *self,
                          GError  **error);

XUL_AVAILABLE_IN_1_0
const char *xul_kv_db_get_path (XulKvDb *self);
XUL_AVAILABLE_IN_1_0
XulKvOpenFlags xul_kv_db_get_flags (XulKvDb *self);
XUL_AVAILABLE_IN_1_0
XulKvRecovery xul_kv_db_get_recovery (XulKvDb *self);
XUL_AVAILABLE_IN_1_0
char *xul_kv_db_get_quarantine_path (XulKvDb *self);
XUL_AVAILABLE_IN_1_0
int xul_kv_db_get_schema_version (XulKvDb *self);

XUL_AVAILABLE_IN_1_0
char **xul_kv_db_list_stores (XulKvDb *self,
                              GError  **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_kv_db_drop_store (XulKvDb    *self,
                               const char *name,
                               GError    **error);

XUL_AVAILABLE_IN_1_0
char *xul_kv_db_get_meta (XulKvDb    *self,
                          const char *key,
                          GError    **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_kv_db_set_meta (XulKvDb    *self,
                             const char *key,
                             const char *value,
                             GError    **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_kv_db_delete_meta (XulKvDb    *self,
                                const char *key,
                                GError    **error);

XUL_AVAILABLE_IN_1_0
gboolean xul_kv_db_sync (XulKvDb *self,
                         GError  **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_kv_db_maintain (XulKvDb *self,
                             GError  **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_kv_db_check_integrity (XulKvDb *self,
                                    GError  **error);

XUL_AVAILABLE_IN_1_0
gboolean xul_kv_db_backup (XulKvDb    *self,
                           const char *dest_path,
                           GError    **error);
XUL_AVAILABLE_IN_1_0
gboolean xul_kv_db_restore (XulKvDb    *self,
                            const char *source_path,
                            GError    **error);
XUL_AVAILABLE_IN_1_0
char *xul_kv_db_get_backup_path (XulKvDb *self);
XUL_AVAILABLE_IN_1_0
gboolean xul_kv_db_recover (XulKvDb *self,
                            GError  **error);

G_END_DECLS
