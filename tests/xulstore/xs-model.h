/* xs-model.h: a model of a store's content as a hash table ("doc|id|attr" -> value),
 * and operations that record how each changes it, for the tests that check what a
 * store holds after a crash against "the state after some prefix of the operations". */
#pragma once

#include <xulstore.h>

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

/* A random key of @model (a copy), or NULL when it is empty. */
char *xs_model_random_key (GHashTable *model,
                           GRand      *rand);
