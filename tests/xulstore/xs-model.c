/* xs-model.c: see xs-model.h. */
#include "xs-model.h"

static void
change_free (XsChange *change)
{
  g_free (change->key);
  g_free (change->old_value);
  g_free (change->new_value);
  g_free (change);
}

XsOp *
xs_op_new (XsOpKind kind)
{
  XsOp *op = g_new0 (XsOp, 1);

  op->kind = kind;
  op->changes = g_ptr_array_new_with_free_func ((GDestroyNotify) change_free);
  return op;
}

void
xs_op_free (XsOp *op)
{
  g_free (op->doc);
  g_free (op->id);
  g_free (op->attr);
  g_free (op->value);
  g_ptr_array_unref (op->changes);
  g_free (op);
}

void
xs_op_record_change (XsOp       *op,
                     GHashTable *model,
                     const char *key,
                     const char *new_value)
{
  XsChange *change = g_new (XsChange, 1);

  change->key = g_strdup (key);
  change->old_value = g_strdup (g_hash_table_lookup (model, key));
  change->new_value = g_strdup (new_value);
  g_ptr_array_add (op->changes, change);
  if (new_value != NULL)
    g_hash_table_replace (model, g_strdup (key), g_strdup (new_value));
  else
    g_hash_table_remove (model, key);
}

gboolean
xs_op_apply (XsOp     *op,
             XulStore *store,
             GError  **error)
{
  switch (op->kind)
    {
    case XS_OP_SET:
      return xul_store_set_value (store, op->doc, op->id, op->attr, op->value, error);
    case XS_OP_REMOVE:
      return xul_store_remove_value (store, op->doc, op->id, op->attr, error);
    case XS_OP_REMOVE_DOCUMENT:
      return xul_store_remove_document (store, op->doc, error);
    case XS_OP_CLEAR:
      return xul_store_clear (store, error);
    }
  g_return_val_if_reached (FALSE);
}

const char *
xs_op_kind_name (XsOpKind kind)
{
  static const char *const names[] = { "set", "remove", "remove-document", "clear" };

  return names[kind];
}

char *
xs_model_random_key (GHashTable *model,
                     GRand      *rand)
{
  guint n = 0;
  g_autofree gpointer *keys = g_hash_table_get_keys_as_array (model, &n);

  return n > 0 ? g_strdup (keys[g_rand_int_range (rand, 0, (gint32) n)]) : NULL;
}
