/* xs-model.h: a model of a store's content as a hash table ("doc|id|attr" -> value),
 * and operations that record how each changes it, for the tests that check what a
 * store holds after a crash against "the state after some prefix of the operations". */
#pragma once

#include <xulstore.h>

/* Model keys are "doc\1id\1attr": \1 cannot occur in a valid name. */
#define XS_MODEL_SEP "\x01"

/* An empty model: string keys and values, both owned. */
GHashTable *xs_model_new (void);
GHashTable *xs_model_copy (GHashTable *model);
char *xs_model_key (const char *doc,
                    const char *id,
                    const char *attr);
/* "doc | id | attr", for messages. */
char *xs_model_printable_key (const char *key);
gboolean xs_model_key_in_document (const char *key,
                                   const char *doc);
/* How many keys hold different values (absent counts as a value) in @a and @b. */
guint xs_model_distance (GHashTable *a,
                         GHashTable *b);

typedef enum {
  XS_OP_SET,
  XS_OP_REMOVE,
  XS_OP_REMOVE_DOCUMENT,
  XS_OP_CLEAR,
} XsOpKind;

/* One key changed by an operation. */
typedef struct {
  char *key;
  char *old_value; /* NULL: absent before */
  char *new_value; /* NULL: absent after */
} XsChange;

typedef struct {
  XsOpKind kind;
  char *doc, *id, *attr, *value;
  gboolean flush_after;
  guint pause_us;     /* how long to sleep after the operation, for tests that pace */
  GPtrArray *changes; /* XsChange *, what the operation did to the model */
} XsOp;

XsOp *xs_op_new (XsOpKind kind);
void xs_op_free (XsOp *op);

/* Records in @op, then applies to @model, the change of one key to @new_value (NULL:
 * removed). */
void xs_op_record_change (XsOp       *op,
                          GHashTable *model,
                          const char *key,
                          const char *new_value);

/* Makes @op on @store. */
gboolean xs_op_apply (XsOp     *op,
                      XulStore *store,
                      GError  **error);

/* "set", "remove", "remove-document", "clear" */
const char *xs_op_kind_name (XsOpKind kind);

/* The longest n such that the state after operations 1..n from @start (NULL: empty)
 * equals @state, or -1; *closest is the n whose state differs from @state on the
 * fewest keys. Every such n goes to @matches when not NULL: after a clear, or a removal
 * of what was just set, several prefixes give the same state. Walks the operations
 * once, keeping the number of keys on which the two differ. */
gint xs_ops_longest_matching_prefix (GPtrArray  *ops,
                                     GHashTable *start,
                                     GHashTable *state,
                                     guint      *closest,
                                     GArray     *matches);

/* A random key of @model (a copy), or NULL when it is empty. */
char *xs_model_random_key (GHashTable *model,
                           GRand      *rand);
