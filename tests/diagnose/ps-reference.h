/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A small reference reader for the PowerShell the diagnoses generate, written
 * from PowerShell's tokenizer rules rather than from lk_powershell_quote():
 * a single-quoted string starts and ends with any of U+0027, U+2018, U+2019,
 * U+201A, U+201B; inside it two quote characters in a row stand for the
 * second one; nothing else is special. Outside literals only plain words
 * (cmdlet names, parameters, property lists), $true/$false/$null and "|" are
 * accepted; anything else (";", "`", "$(", '"', a literal glued to more text)
 * counts as an escape and makes ps_ref_tokenize() return NULL. */

#include <glib.h>
#include <string.h>

static inline gboolean
ps_ref_is_quote (gunichar c)
{
  return c == '\'' || c == 0x2018 || c == 0x2019 || c == 0x201A || c == 0x201B;
}

/* Reads the single-quoted literal at @s; *@end is set after its closing
 * quote. Returns NULL when @s does not start one or it is not closed. */
static inline char *
ps_ref_read_single_quoted (const char  *s,
                           const char **end)
{
  GString *out;
  const char *p = s;

  if (*p == '\0' || !ps_ref_is_quote (g_utf8_get_char (p)))
    return NULL;
  p = g_utf8_next_char (p);
  out = g_string_new (NULL);
  while (*p != '\0')
    {
      gunichar c = g_utf8_get_char (p);

      if (ps_ref_is_quote (c))
        {
          const char *next = g_utf8_next_char (p);

          if (*next != '\0' && ps_ref_is_quote (g_utf8_get_char (next)))
            {
              g_string_append_unichar (out, g_utf8_get_char (next));
              p = g_utf8_next_char (next);
              continue;
            }
          *end = next;
          return g_string_free (out, FALSE);
        }
      g_string_append_unichar (out, c);
      p = g_utf8_next_char (p);
    }
  g_string_free (out, TRUE);
  return NULL;
}

static inline gboolean
ps_ref_bare_word_ok (const char *word)
{
  if (g_str_equal (word, "$true") || g_str_equal (word, "$false") ||
      g_str_equal (word, "$null") || g_str_equal (word, "|"))
    return TRUE;
  for (const char *p = word; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-.,:", *p) == NULL)
      return FALSE;
  return *word != '\0';
}

/* Returns: (nullable): the command's tokens, literals decoded, or NULL when
 * anything could escape or the command is not of the expected shape. */
static inline GPtrArray *
ps_ref_tokenize (const char *command)
{
  GPtrArray *tokens = g_ptr_array_new_with_free_func (g_free);
  const char *p = command;

  while (*p != '\0')
    {
      if (*p == ' ')
        {
          p++;
          continue;
        }
      if (ps_ref_is_quote (g_utf8_get_char (p)))
        {
          const char *end = NULL;
          char *lit = ps_ref_read_single_quoted (p, &end);

          if (lit == NULL || (*end != '\0' && *end != ' '))
            {
              g_free (lit);
              g_ptr_array_unref (tokens);
              return NULL;
            }
          g_ptr_array_add (tokens, lit);
          p = end;
        }
      else
        {
          const char *start = p;
          char *word;

          while (*p != '\0' && *p != ' ' && !ps_ref_is_quote (g_utf8_get_char (p)))
            p = g_utf8_next_char (p);
          word = g_strndup (start, p - start);
          if (!ps_ref_bare_word_ok (word) || (*p != '\0' && *p != ' '))
            {
              g_free (word);
              g_ptr_array_unref (tokens);
              return NULL;
            }
          g_ptr_array_add (tokens, word);
        }
    }
  return tokens;
}
