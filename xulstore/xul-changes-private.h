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

/* Strings are owned by the XulChanges; those a kind does not use are NULL. Kept small:
 * an import holds one per value. */
typedef struct {
  XulChangeKind kind;
  const char *doc;
  union {
    const char *id;
    const char *meta_key; /* XUL_CHANGE_SET_META */
  };
  const char *attr, *value;
} XulChange;

/* The operations in the order they were recorded. */
const XulChange *xul_changes_peek (XulChanges *self,
                                   guint      *n_changes);

G_END_DECLS
