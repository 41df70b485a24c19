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

/* Formats @value with @precision significant digits as "d.ddde±x" (C locale). */
static void
format_digits (double value,
               int    precision,
               char  *buffer,
               gsize  size)
{
  char format[8];

  g_snprintf (format, sizeof format, "%%.%de", precision - 1);
  g_ascii_formatd (buffer, size, format, value);
}

/* Adds @delta (+1 or -1) to the last digit of "d.ddde±x", carrying or borrowing; FALSE
 * when that leaves the form (9.99 + 1, or 1.00 - 1). */
static gboolean
nudge_last_digit (char *buffer,
                  int   delta)
{
  char *p = strchr (buffer, 'e') - 1;

  for (; p >= buffer; p--)
    {
      if (*p == '.')
        continue;
      if (delta > 0 ? *p < '9' : *p > '0')
        {
          *p += delta;
          return buffer[0] != '0';
        }
      *p = delta > 0 ? '0' : '9';
    }
  return FALSE;
}

/* The shortest digits that read back as @value; among candidates of that length, the
 * closest to it (JavaScript's rule). The nearest rounding to p digits is not always a
 * candidate when a neighbour is, so both neighbours are tried too. */
static void
shortest_form (double value,
               char   buffer[G_ASCII_DTOSTR_BUF_SIZE])
{
  for (int precision = 1; precision <= 17; precision++)
    {
      char up[G_ASCII_DTOSTR_BUF_SIZE], down[G_ASCII_DTOSTR_BUF_SIZE];
      gboolean up_ok, down_ok;

      format_digits (value, precision, buffer, G_ASCII_DTOSTR_BUF_SIZE);
      if (g_ascii_strtod (buffer, NULL) == value)
        return;
      strcpy (up, buffer);
      strcpy (down, buffer);
      up_ok = nudge_last_digit (up, +1) && g_ascii_strtod (up, NULL) == value;
      down_ok = nudge_last_digit (down, -1) && g_ascii_strtod (down, NULL) == value;
      if (up_ok && (!down_ok || g_ascii_strtod (up, NULL) - value <=
                                  value - g_ascii_strtod (down, NULL)))
        {
          strcpy (buffer, up);
          return;
        }
      if (down_ok)
        {
          strcpy (buffer, down);
          return;
        }
    }
}

/* The shortest digits d1 d2 ... dk and exponent n with value = 0.d1d2...dk × 10^n. */
static void
shortest_digits (double value,
                 char   digits[32],
                 int   *n)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  char *e;
  int k = 0;

  shortest_form (value, buffer);
  e = strchr (buffer, 'e');
  for (char *p = buffer; p < e; p++)
    if (g_ascii_isdigit (*p))
      digits[k++] = *p;
  while (k > 1 && digits[k - 1] == '0')
    k--;
  digits[k] = '\0';
  *n = atoi (e + 1) + 1;
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
