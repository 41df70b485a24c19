/* xs-model.c: see xs-model.h. */
#include "xs-model.h"

#include <string.h>

GHashTable *
xs_model_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

GHashTable *
xs_model_copy (GHashTable *model)
{
  GHashTable *copy = xs_model_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, model);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy, g_strdup (key), g_strdup (value));
  return copy;
}

char *
xs_model_key (const char *doc,
              const char *id,
              const char *attr)
{
  return g_strjoin (XS_MODEL_SEP, doc, id, attr, NULL);
}

char *
xs_model_printable_key (const char *key)
{
  g_auto (GStrv) parts = g_strsplit (key, XS_MODEL_SEP, 3);

  return g_strjoinv (" | ", parts);
}

gboolean
xs_model_key_in_document (const char *key,
                          const char *doc)
{
  size_t len = strlen (doc);

  return strncmp (key, doc, len) == 0 && key[len] == XS_MODEL_SEP[0];
}

guint
xs_model_distance (GHashTable *a,
                   GHashTable *b)
{
  GHashTableIter iter;
  gpointer key, value;
  guint n = 0;

  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, &value))
    n += g_strcmp0 (value, g_hash_table_lookup (b, key)) != 0;
  g_hash_table_iter_init (&iter, b);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    n += !g_hash_table_contains (a, key);
  return n;
}

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

gint
xs_ops_longest_matching_prefix (GPtrArray  *ops,
                                GHashTable *start,
                                GHashTable *state,
                                guint      *closest,
                                GArray     *matches)
{
  guint differing = start != NULL ? xs_model_distance (start, state) : g_hash_table_size (state);
  guint fewest = differing;
  gint longest = differing == 0 ? 0 : -1;

  *closest = 0;
  if (differing == 0 && matches != NULL)
    g_array_append_val (matches, longest);
  for (guint i = 0; i < ops->len; i++)
    {
      XsOp *op = g_ptr_array_index (ops, i);
      for (guint c = 0; c < op->changes->len; c++)
        {
          XsChange *change = g_ptr_array_index (op->changes, c);
          const char *target = g_hash_table_lookup (state, change->key);
          differing -= g_strcmp0 (change->old_value, target) != 0;
          differing += g_strcmp0 (change->new_value, target) != 0;
        }
      if (differing == 0)
        {
          longest = (gint) i + 1;
          if (matches != NULL)
            g_array_append_val (matches, longest);
        }
      if (differing <= fewest)
        {
          fewest = differing;
          *closest = i + 1;
        }
    }
  return longest;
}

char *
xs_model_random_key (GHashTable *model,
                     GRand      *rand)
{
  guint n = 0;
  g_autofree gpointer *keys = g_hash_table_get_keys_as_array (model, &n);

  return n > 0 ? g_strdup (keys[g_rand_int_range (rand, 0, (gint32) n)]) : NULL;
}
