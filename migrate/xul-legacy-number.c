/* xul-legacy-number.c: a JSON number as Firefox serves it: the text JavaScript's
 * String(Number) gives, so that a third-party file with `"width":1280` imports "1280"
 * and `1e3` imports "1000".
 *
 * JavaScript prints the shortest decimal that reads back as the same double, in plain
 * notation for exponents from -7 to 20 and in exponent notation outside. */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "xul-legacy-private.h"

/* The shortest digits d1 d2 ... dk and exponent n with value = 0.d1d2...dk × 10^n. */
static void
shortest_digits (double value,
                 char   digits[32],
                 int   *n)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  /* The g_ascii_ functions: the C locale's decimal point, whatever the process uses. */
  for (int precision = 1; precision <= 17; precision++)
    {
      char format[8];
      g_snprintf (format, sizeof format, "%%.%de", precision - 1);
      g_ascii_formatd (buffer, sizeof buffer, format, value);
      if (g_ascii_strtod (buffer, NULL) == value)
        break;
    }
  /* buffer is "d.ddde±x" */
  {
    char *e = strchr (buffer, 'e');
    int exponent = atoi (e + 1);
    int k = 0;

    for (char *p = buffer; p < e; p++)
      if (g_ascii_isdigit (*p))
        digits[k++] = *p;
    while (k > 1 && digits[k - 1] == '0')
      k--;
    digits[k] = '\0';
    *n = exponent + 1;
  }
}

char *
xul_legacy_format_number (double value)
{
  char digits[32];
  GString *text;
  int k, n;

  if (isnan (value))
    return g_strdup ("NaN");
  if (isinf (value))
    return g_strdup (value > 0 ? "Infinity" : "-Infinity");
  if (value == 0)
    return g_strdup ("0"); /* -0 too */

  text = g_string_new (value < 0 ? "-" : "");
  shortest_digits (fabs (value), digits, &n);
  k = (int) strlen (digits);

  if (k <= n && n <= 21)
    {
      g_string_append (text, digits);
      for (int i = k; i < n; i++)
        g_string_append_c (text, '0');
    }
  else if (0 < n && n <= 21)
    {
      g_string_append_len (text, digits, n);
      g_string_append_c (text, '.');
      g_string_append (text, digits + n);
    }
  else if (-6 < n && n <= 0)
    {
      g_string_append (text, "0.");
      for (int i = n; i < 0; i++)
        g_string_append_c (text, '0');
      g_string_append (text, digits);
    }
  else
    {
      g_string_append_c (text, digits[0]);
      if (k > 1)
        {
          g_string_append_c (text, '.');
          g_string_append (text, digits + 1);
        }
      g_string_append_printf (text, "e%c%d", n - 1 >= 0 ? '+' : '-', abs (n - 1));
    }
  return g_string_free (text, FALSE);
}
