/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <string.h>

#include "bridge/lk-mail-command.h"
#include "lk-error.h"

/* A command word is short and alphabetic in every protocol the bridge
 * speaks (RFC 1939 §3: 3–4 letters; RFC 5321 §4.1.1: 4 letters; extensions
 * such as STARTTLS are longer). */
#define MAX_VERB 16

/**
 * lk_mail_line_find:
 * @max_length: the longest line accepted, without its line end
 * @out_length: (out): the line's length without CRLF (or a lone LF)
 * @out_consumed: (out): the bytes up to and including the line end
 *
 * Looks for the first line in @data. RFC 5321 and RFC 1939 want CRLF;
 * a lone LF is accepted too, as every server does.
 */
LkLineStatus
lk_mail_line_find (const guint8 *data,
                   gsize         length,
                   gsize         max_length,
                   gsize        *out_length,
                   gsize        *out_consumed)
{
  const guint8 *nl = length > 0 ? memchr (data, '\n', MIN (length, max_length + 2)) : NULL;
  gsize line;

  if (nl == NULL)
    return length > max_length + 1 ? LK_LINE_TOO_LONG : LK_LINE_INCOMPLETE;
  line = nl - data;
  *out_consumed = line + 1;
  if (line > 0 && data[line - 1] == '\r')
    line--;
  if (line > max_length)
    return LK_LINE_TOO_LONG;
  *out_length = line;
  return LK_LINE_FOUND;
}

/**
 * lk_mail_command_parse:
 * @line: one line without its line end (not necessarily NUL-terminated)
 *
 * Splits "VERB" or "VERB argument". Refuses NUL and CR inside the line,
 * bytes outside 7-bit ASCII in the verb, and an over-long or empty verb.
 */
gboolean
lk_mail_command_parse (const char     *line,
                       gsize           length,
                       LkMailCommand  *out,
                       GError        **error)
{
  gsize verb_end = 0;

  memset (out, 0, sizeof *out);
  if (memchr (line, '\0', length) != NULL || memchr (line, '\r', length) != NULL)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_PROTOCOL, "Invalid characters in command");
      return FALSE;
    }
  while (verb_end < length && line[verb_end] != ' ')
    {
      if (!g_ascii_isalnum (line[verb_end]) && line[verb_end] != '-' && line[verb_end] != '_')
        {
          g_set_error_literal (error, LK_ERROR, LK_ERROR_PROTOCOL, "Invalid command");
          return FALSE;
        }
      verb_end++;
    }
  if (verb_end == 0 || verb_end > MAX_VERB)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_PROTOCOL, "Invalid command");
      return FALSE;
    }
  out->verb = g_ascii_strup (line, verb_end);
  if (verb_end < length)
    out->argument = g_strndup (line + verb_end + 1, length - verb_end - 1);
  else
    out->argument = g_strdup ("");
  return TRUE;
}

void
lk_mail_command_clear (LkMailCommand *command)
{
  g_clear_pointer (&command->verb, g_free);
  /* POP3's PASS carries the password here. */
  if (command->argument != NULL)
    {
      memset (command->argument, 0, strlen (command->argument));
      g_clear_pointer (&command->argument, g_free);
    }
}

/**
 * lk_mail_command_next_word:
 * @out_rest: (out) (optional): what follows the word and its spaces
 *
 * The first space-separated word of @text ("AUTH PLAIN dGVzdA==" → "PLAIN"
 * for the argument "PLAIN dGVzdA==").
 *
 * Returns: (transfer full): the word, "" when there is none
 */
char *
lk_mail_command_next_word (const char  *text,
                           const char **out_rest)
{
  const char *end;

  while (*text == ' ')
    text++;
  end = strchr (text, ' ');
  if (end == NULL)
    end = text + strlen (text);
  if (out_rest != NULL)
    {
      const char *rest = end;

      while (*rest == ' ')
        rest++;
      *out_rest = rest;
    }
  return g_strndup (text, end - text);
}
