/* xul-writer-private.h: the write-behind queue of a XulStore and its writer thread. */
#pragma once

#include "kvcore.h"

G_BEGIN_DECLS

typedef struct _XulWriter XulWriter;

/* Starts the writer thread for @store. A change waits @delay_ms after the first change
 * queued after a commit, so that changes made in a burst commit together. */
XulWriter *xul_writer_new (XulKvStore *store,
                           guint       delay_ms);

/* Queues a write of @value under @key, or its deletion when @value is NULL. Later
 * changes to the same key replace earlier ones not yet committed. Never blocks on
 * disk. */
void xul_writer_queue (XulWriter    *self,
                       const guint8 *key,
                       gsize         key_len,
                       const char   *value);

/* Queues the deletion of each key of @keys (GBytes *) so that they all commit in the
 * same transaction: a reader never sees part of them done. */
void xul_writer_queue_deletions (XulWriter *self,
                                 GPtrArray *keys);

/* Commits everything queued so far and makes it durable. Returns the first error of a
 * background commit since the last flush, if any (its changes stay queued and are
 * retried). */
gboolean xul_writer_flush (XulWriter *self,
                           GError   **error);

/* Flushes, then stops the thread and frees the writer. */
gboolean xul_writer_stop (XulWriter *self,
                          GError   **error);

G_END_DECLS
