/* xul-changes-private.h: the recorded operations of a XulChanges, for the store that
 * applies them. */
#pragma once

#include "xul-changes.h"

G_BEGIN_DECLS

typedef enum {
  XUL_CHANGE_SET_VALUE,
  XUL_CHANGE_REMOVE_VALUE,
  XUL_CHANGE_REMOVE_DOCUMENT,
  XUL_CHANGE_CLEAR,
  XUL_CHANGE_SET_META,
} XulChangeKind;

/* Strings are owned by the XulChanges; those a kind does not use are NULL. */
typedef struct {
  XulChangeKind kind;
  const char *doc, *id, *attr, *value;
  const char *meta_key; /* XUL_CHANGE_SET_META, with value */
} XulChange;

/* The operations in the order they were recorded. */
const XulChange *xul_changes_peek (XulChanges *self,
                                   guint      *n_changes);

G_END_DECLS
