/* xul-property-binding.c: xul_store_bind_property(), one object property (a
 * GtkPaned:position, a GtkExpander:expanded...) kept in a XulStore as text.
 *
 * Values are stored as the legacy file stores them: numbers in decimal, booleans as
 * "true" or "false", enums by nick, strings as they are. */
#include "config.h"

#include "xul-gtk-saver-private.h"

typedef struct {
  GParamSpec *pspec;
  char *attr;
  XulGtkSaver *saver;
} PropertyBinding;

static char *
to_text (const GValue *value)
{
  GType type = G_VALUE_TYPE (value);

  if (G_TYPE_IS_ENUM (type))
    {
      GEnumClass *klass = g_type_class_peek (type);
      GEnumValue *found = g_enum_get_value (klass, g_value_get_enum (value));
      return g_strdup (found != NULL ? found->value_nick : "");
    }
  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_BOOLEAN:
      return g_strdup (g_value_get_boolean (value) ? "true" : "false");
    case G_TYPE_INT:
      return g_strdup_printf ("%d", g_value_get_int (value));
    case G_TYPE_UINT:
      return g_strdup_printf ("%u", g_value_get_uint (value));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, g_value_get_int64 (value));
    case G_TYPE_UINT64:
      return g_strdup_printf ("%" G_GUINT64_FORMAT, g_value_get_uint64 (value));
    case G_TYPE_DOUBLE:
    case G_TYPE_FLOAT:
      {
        char buffer[G_ASCII_DTOSTR_BUF_SIZE];
        double number = G_VALUE_HOLDS_DOUBLE (value) ? g_value_get_double (value)
                                                      : g_value_get_float (value);
        return g_strdup (g_ascii_dtostr (buffer, sizeof buffer, number));
      }
    case G_TYPE_STRING:
      return g_strdup (g_value_get_string (value) != NULL ? g_value_get_string (value) : "");
    default:
      return NULL;
    }
}

/* Parses @text into @value (initialised to the property's type); FALSE when it does not
 * fit the type, or the property's range. */
static gboolean
from_text (const char *text,
           GParamSpec *pspec,
           GValue     *value)
{
  GType type = G_VALUE_TYPE (value);
  gint64 signed_number;
  guint64 unsigned_number;
  char *end;

  if (G_TYPE_IS_ENUM (type))
    {
      GEnumClass *klass = g_type_class_peek (type);
      GEnumValue *found = g_enum_get_value_by_nick (klass, text);
      if (found == NULL)
        return FALSE;
      g_value_set_enum (value, found->value);
    }
  else
    switch (G_TYPE_FUNDAMENTAL (type))
      {
      case G_TYPE_BOOLEAN:
        if (!g_str_equal (text, "true") && !g_str_equal (text, "false"))
          return FALSE;
        g_value_set_boolean (value, g_str_equal (text, "true"));
        break;
      case G_TYPE_INT:
      case G_TYPE_INT64:
        if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &signed_number, NULL))
          return FALSE;
        if (G_VALUE_HOLDS_INT (value))
          g_value_set_int (value, (int) CLAMP (signed_number, G_MININT, G_MAXINT));
        else
          g_value_set_int64 (value, signed_number);
        break;
      case G_TYPE_UINT:
      case G_TYPE_UINT64:
        if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &unsigned_number, NULL))
          return FALSE;
        if (G_VALUE_HOLDS_UINT (value))
          g_value_set_uint (value, (guint) MIN (unsigned_number, G_MAXUINT));
        else
          g_value_set_uint64 (value, unsigned_number);
        break;
      case G_TYPE_DOUBLE:
      case G_TYPE_FLOAT:
        {
          double number = g_ascii_strtod (text, &end);
          if (end == text || *end != '\0')
            return FALSE;
          if (G_VALUE_HOLDS_DOUBLE (value))
            g_value_set_double (value, number);
          else
            g_value_set_float (value, (float) number);
        }
        break;
      case G_TYPE_STRING:
        g_value_set_string (value, text);
        break;
      default:
        return FALSE;
      }
  /* Out of the property's range (a stored pane position of -40, say): keep the default. */
  return !g_param_value_validate (pspec, value);
}

static void
on_notify (GObject         *object,
           GParamSpec      *pspec,
           PropertyBinding *binding)
{
  g_auto (GValue) value = G_VALUE_INIT;
  g_autofree char *text = NULL;

  g_value_init (&value, binding->pspec->value_type);
  g_object_get_property (object, binding->pspec->name, &value);
  text = to_text (&value);
  if (text != NULL)
    xul_gtk_saver_set (binding->saver, binding->attr, text);
}

static void
on_object_finalized (gpointer data,
                     GObject *object)
{
  PropertyBinding *binding = data;

  xul_gtk_saver_free (binding->saver);
  g_free (binding->attr);
  g_free (binding);
}

/**
 * xul_store_bind_property:
 * @store: a #XulStore
 * @object: (type GObject.Object): the object whose property to remember
 * @property: the name of a readable, writable property of a boolean, integer, floating
 *   point, string or enumeration type
 * @doc: the document URL
 * @id: the element id
 * @attr: the attribute name
 *
 * Sets @property to the value stored under (@doc, @id, @attr), if there is one that
 * fits the property's type and range, and stores the property's value whenever it
 * changes (#XUL_GTK_SAVE_DELAY_MS after the last change, and when @object goes away).
 */
void
xul_store_bind_property (XulStore   *store,
                         gpointer    object,
                         const char *property,
                         const char *doc,
                         const char *id,
                         const char *attr)
{
  GParamSpec *pspec;
  PropertyBinding *binding;
  g_autofree char *stored = NULL;
  g_autofree char *detailed = NULL;

  g_return_if_fail (XUL_IS_STORE (store));
  g_return_if_fail (G_IS_OBJECT (object));
  g_return_if_fail (property != NULL && doc != NULL && id != NULL && attr != NULL);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), property);
  g_return_if_fail (pspec != NULL && (pspec->flags & G_PARAM_READWRITE) == G_PARAM_READWRITE);

  binding = g_new0 (PropertyBinding, 1);
  binding->pspec = pspec;
  binding->attr = g_strdup (attr);
  binding->saver = xul_gtk_saver_new (store, doc, id);
  stored = xul_gtk_saver_get (binding->saver, attr);
  if (stored != NULL)
    {
      g_auto (GValue) value = G_VALUE_INIT;
      g_value_init (&value, pspec->value_type);
      if (from_text (stored, pspec, &value))
        g_object_set_property (object, pspec->name, &value);
    }
  detailed = g_strconcat ("notify::", pspec->name, NULL);
  g_signal_connect (object, detailed, G_CALLBACK (on_notify), binding);
  g_object_weak_ref (object, on_object_finalized, binding);
}
