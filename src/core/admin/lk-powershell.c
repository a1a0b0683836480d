/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-admin"

#include "config.h"

#include <string.h>

#include "admin/lk-powershell.h"
#include "lk-text.h"

/* The characters PowerShell's tokenizer treats as a single quote
 * (CharExtensions.IsSingleQuote in System.Management.Automation): the ASCII
 * apostrophe and four typographic quotes. Inside a single-quoted literal any
 * of them ends the string unless another one follows; a pair stands for its
 * second character. Nothing else is special there: no $ expansion, no
 * backtick escapes, no sub-expressions. */
static gboolean
is_single_quote (gunichar c)
{
  return c == '\'' || c == 0x2018 || c == 0x2019 || c == 0x201A || c == 0x201B;
}

/* Characters dropped from a value: the controls of lk_text_char_is_control().
 * None can break out of a single-quoted literal, but a line break in a
 * pasted command makes the console prompt for more and hides what runs, and
 * no address, name or id needs one. */
static gboolean
is_dropped (gunichar c)
{
  return lk_text_char_is_control (c);
}

/**
 * lk_powershell_value_is_safe:
 * @value: (nullable): a value about to be quoted
 *
 * Returns: %TRUE when @value is valid UTF-8 without any of the characters
 *   lk_powershell_quote() drops, so that the quoted literal stands for exactly
 *   @value. Callers that must not silently change a value (a mailbox identity
 *   in a script) check this first and refuse.
 */
gboolean
lk_powershell_value_is_safe (const char *value)
{
  if (value == NULL || !g_utf8_validate (value, -1, NULL))
    return FALSE;
  for (const char *p = value; *p != '\0'; p = g_utf8_next_char (p))
    if (is_dropped (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

/**
 * lk_powershell_quote:
 * @value: (nullable): any text, such as an address, a display name or an id
 *
 * Makes @value one single-quoted PowerShell string literal that PowerShell
 * reads back as @value and that nothing in @value can end early: every
 * single-quote character (U+0027 and U+2018 to U+201B, all of which
 * PowerShell treats as quotes) is doubled, so `$(…)`, backticks, semicolons
 * and double quotes stay plain text. A C string cannot hold NUL; control
 * characters, DEL, C1 controls and U+2028/U+2029 are dropped, and invalid
 * UTF-8 becomes U+FFFD, so the result is always printable on one line. Use
 * lk_powershell_value_is_safe() first where dropping would be wrong.
 *
 * Returns: (transfer full): the literal, quotes included; `''` for %NULL
 */
char *
lk_powershell_quote (const char *value)
{
  g_autofree char *valid = NULL;
  GString *s;

  if (value == NULL)
    value = "";
  valid = g_utf8_make_valid (value, -1);

  s = g_string_sized_new (strlen (valid) + 2);
  g_string_append_c (s, '\'');
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_dropped (c))
        continue;
      g_string_append_unichar (s, c);
      if (is_single_quote (c))
        g_string_append_unichar (s, c);
    }
  g_string_append_c (s, '\'');
  return g_string_free (s, FALSE);
}

/**
 * lk_powershell_opath_text:
 * @value: a text value for an Exchange OPATH filter, such as an address
 *
 * The value as an OPATH text literal, `'value'`, with each apostrophe
 * doubled as Exchange's filters want it (learn.microsoft.com/powershell/
 * exchange/recipient-filters, "Additional OPATH syntax information"). The
 * whole filter is then one PowerShell literal (lk_powershell_quote()), which
 * doubles them once more. A value with a typographic single quote is
 * refused: PowerShell reads it as a quote, and whether Exchange's OPATH
 * parser does is not documented; no address needs one.
 *
 * Returns: (transfer full) (nullable): the OPATH literal, or %NULL when
 *   @value cannot be one (not lk_powershell_value_is_safe(), or a typographic
 *   single quote)
 */
char *
lk_powershell_opath_text (const char *value)
{
  GString *s;

  if (!lk_powershell_value_is_safe (value))
    return NULL;
  s = g_string_new ("'");
  for (const char *p = value; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_single_quote (c) && c != '\'')
        {
          g_string_free (s, TRUE);
          return NULL;
        }
      g_string_append_unichar (s, c);
      if (c == '\'')
        g_string_append_c (s, '\'');
    }
  g_string_append_c (s, '\'');
  return g_string_free (s, FALSE);
}
