/* xul-changes.c: XulChanges, changes recorded to be applied all at once.
 *
 * Recording only copies strings (into one GStringChunk, cheap for the hundred thousand
 * records of a large import); nothing is checked until xul_store_apply(). */
#include "config.h"

#include "xul-changes-private.h"

struct _XulChanges {
  gatomicrefcount ref_count;
  GArray *changes;       /* XulChange */
  GStringChunk *strings; /* every string the changes point to */
};

G_DEFINE_BOXED_TYPE (XulChanges, xul_changes, xul_changes_ref, xul_changes_unref)

/**
 * xul_changes_new:
 *
 * Returns: (transfer full): an empty list of changes
 */
XulChanges *
xul_changes_new (void)
{
  XulChanges *self = g_new0 (XulChanges, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->changes = g_array_new (FALSE, FALSE, sizeof (XulChange));
  self->strings = g_string_chunk_new (64 * 1024);
  return self;
}

/**
 * xul_changes_ref:
 * @self: a #XulChanges
 *
 * Returns: (transfer full): @self
 */
XulChanges *
xul_changes_ref (XulChanges *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * xul_changes_unref:
 * @self: (transfer full): a #XulChanges
 *
 * Drops a reference; the last one frees the list.
 */
void
xul_changes_unref (XulChanges *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_array_unref (self->changes);
  g_string_chunk_free (self->strings);
  g_free (self);
}

static const char *
keep (XulChanges *self,
      const char *text)
{
  return text != NULL ? g_string_chunk_insert (self->strings, text) : NULL;
}

/* Documents and attribute names repeat across an import: keep one copy of each. */
static const char *
keep_shared (XulChanges *self,
             const char *text)
{
  return text != NULL ? g_string_chunk_insert_const (self->strings, text) : NULL;
}

/* Short values ("true", "240", "normal") repeat too; long ones rarely do, and are not
 * worth an entry in the table of shared strings. */
static const char *
keep_value (XulChanges *self,
            const char *text)
{
  return text != NULL && strlen (text) <= 8 ? keep_shared (self, text) : keep (self, text);
}

static void
record (XulChanges   *self,
        XulChangeKind kind,
        const char   *doc,
        const char   *id,
        const char   *attr,
        const char   *value)
{
  XulChange change = {
    .kind = kind,
    .doc = keep_shared (self, doc),
    .id = keep (self, id),
    .attr = keep_shared (self, attr),
    .value = keep_value (self, value),
  };

  g_array_append_val (self->changes, change);
}

/**
 * xul_changes_set_value:
 * @self: a #XulChanges
 * @doc: the document URL
 * @id: the element id
 * @attr: the attribute name
 * @value: the value
 *
 * Records storing a value. The limits of xul_store_set_value() apply when the changes
 * are applied.
 */
void
xul_changes_set_value (XulChanges *self,
                       const char *doc,
                       const char *id,
                       const char *attr,
                       const char *value)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (doc != NULL && id != NULL && attr != NULL && value != NULL);
  record (self, XUL_CHANGE_SET_VALUE, doc, id, attr, value);
}

/**
 * xul_changes_remove_value:
 * @self: a #XulChanges
 * @doc: the document URL
 * @id: the element id
 * @attr: the attribute name
 *
 * Records removing a value, if there is one.
 */
void
xul_changes_remove_value (XulChanges *self,
                          const char *doc,
                          const char *id,
                          const char *attr)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (doc != NULL && id != NULL && attr != NULL);
  record (self, XUL_CHANGE_REMOVE_VALUE, doc, id, attr, NULL);
}

/**
 * xul_changes_remove_document:
 * @self: a #XulChanges
 * @doc: the document URL
 *
 * Records removing every value of a document.
 */
void
xul_changes_remove_document (XulChanges *self,
                             const char *doc)
{
  g_return_if_fail (self != NULL && doc != NULL);
  record (self, XUL_CHANGE_REMOVE_DOCUMENT, doc, NULL, NULL, NULL);
}

/**
 * xul_changes_clear:
 * @self: a #XulChanges
 *
 * Records removing every value of the store. Changes recorded after it apply after it,
 * so "clear, then set" makes the store equal to what is set.
 */
void
xul_changes_clear (XulChanges *self)
{
  g_return_if_fail (self != NULL);
  record (self, XUL_CHANGE_CLEAR, NULL, NULL, NULL, NULL);
}

/**
 * xul_changes_set_meta:
 * @self: a #XulChanges
 * @key: a meta key (see xul_kv_db_set_meta())
 * @value: UTF-8 text
 *
 * Records writing a meta record of the database, so that it commits together with the
 * values it describes (a migration record, for instance).
 */
void
xul_changes_set_meta (XulChanges *self,
                      const char *key,
                      const char *value)
{
  XulChange change = { .kind = XUL_CHANGE_SET_META };

  g_return_if_fail (self != NULL && key != NULL && value != NULL);
  change.meta_key = keep (self, key);
  change.value = keep (self, value);
  g_array_append_val (self->changes, change);
}

/**
 * xul_changes_get_length:
 * @self: a #XulChanges
 *
 * Returns: the number of changes recorded
 */
guint
xul_changes_get_length (XulChanges *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->changes->len;
}

const XulChange *
xul_changes_peek (XulChanges *self,
                  guint      *n_changes)
{
  *n_changes = self->changes->len;
  return (const XulChange *) self->changes->data;
}
