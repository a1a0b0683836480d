/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <string.h>

#include "bridge/lk-mail-header.h"

/* Removes RFC 5322 §3.2.2 comments ("(…)", nested, with quoted pairs)
 * outside quoted strings. */
static char *
strip_comments (const char *value)
{
  GString *out = g_string_new (NULL);
  guint depth = 0;
  gboolean quoted = FALSE;

  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        {
          if (depth == 0)
            g_string_append_len (out, p, 2);
          p++;
          continue;
        }
      if (depth == 0 && *p == '"')
        quoted = !quoted;
      if (!quoted && *p == '(')
        {
          depth++;
          continue;
        }
      if (!quoted && *p == ')' && depth > 0)
        {
          depth--;
          continue;
        }
      if (depth == 0)
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* The address of one mailbox: "Name <a@b>" or "a@b". */
static char *
mailbox_address (const char *mailbox)
{
  const char *open = strrchr (mailbox, '<');
  const char *close = open != NULL ? strchr (open, '>') : NULL;
  g_autofree char *address = open != NULL && close != NULL
                             ? g_strndup (open + 1, close - open - 1)
                             : g_strdup (mailbox);

  return g_ascii_strdown (g_strstrip (address), -1);
}

/* Splits at commas outside quoted strings and angle brackets. */
static GStrv
split_mailboxes (const char *value)
{
  g_autoptr(GStrvBuilder) out = g_strv_builder_new ();
  GString *current = g_string_new (NULL);
  gboolean quoted = FALSE;
  gboolean angle = FALSE;

  for (const char *p = value; ; p++)
    {
      if (*p == '\0' || (*p == ',' && !quoted && !angle))
        {
          g_autofree char *address = NULL;

          g_strstrip (current->str);
          if (current->str[0] != '\0')
            {
              address = mailbox_address (current->str);
              g_strv_builder_add (out, address);
            }
          g_string_truncate (current, 0);
          if (*p == '\0')
            break;
          continue;
        }
      if (*p == '"' && !angle)
        quoted = !quoted;
      else if (*p == '<' && !quoted)
        angle = TRUE;
      else if (*p == '>' && !quoted)
        angle = FALSE;
      g_string_append_c (current, *p);
    }
  g_string_free (current, TRUE);
  return g_strv_builder_end (out);
}

/**
 * lk_mail_header_from_addresses:
 * @headers: a message's header block (up to the empty line, or less)
 *
 * The addresses of every From: field (RFC 5322 §3.6.2), lower-cased,
 * after unfolding: a pinned device's must all be its sender.
 *
 * Returns: (transfer full): the addresses, empty when there is no From:
 */
GStrv
lk_mail_header_from_addresses (const char *headers,
                               gsize       length)
{
  g_autoptr(GStrvBuilder) out = g_strv_builder_new ();
  g_autofree char *text = g_strndup (headers, length);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GString *field = NULL;

  for (guint i = 0; ; i++)
    {
      const char *line = lines[i];
      gboolean continuation = line != NULL && (line[0] == ' ' || line[0] == '\t');

      if (field != NULL && !continuation)
        {
          g_autofree char *value = strip_comments (field->str + strlen ("From:"));
          g_auto(GStrv) addresses = split_mailboxes (value);

          g_strv_builder_addv (out, (const char **) addresses);
          g_string_free (field, TRUE);
          field = NULL;
        }
      if (line == NULL)
        break;
      if (line[0] == '\r' || line[0] == '\0')
        break;      /* the end of the header block */
      if (continuation && field != NULL)
        g_string_append (field, line);
      else if (g_ascii_strncasecmp (line, "From:", 5) == 0)
        field = g_string_new (line);
      if (field != NULL && field->len > 0 && field->str[field->len - 1] == '\r')
        g_string_truncate (field, field->len - 1);
    }
  return g_strv_builder_end (out);
}

/**
 * lk_mail_path_parse:
 * @argument: what follows "MAIL FROM:" or "RCPT TO:"
 * @out_rest: (out): the parameters after the path
 *
 * RFC 5321 §4.1.2's path, "<local@domain>" or "<>": the address inside,
 * lower-cased only in its domain, or %NULL when it is not one. A source
 * route ("<@a,@b:x@y>") is not taken.
 */
char *
lk_mail_path_parse (const char  *argument,
                    const char **out_rest)
{
  const char *p = argument;
  const char *close;
  g_autofree char *address = NULL;
  const char *at;

  while (*p == ' ')
    p++;
  if (*p != '<')
    return NULL;
  close = strchr (p, '>');
  if (close == NULL)
    return NULL;
  address = g_strndup (p + 1, close - p - 1);
  *out_rest = close + 1;
  while (**out_rest == ' ')
    (*out_rest)++;
  if (address[0] == '\0')
    return g_steal_pointer (&address);
  at = strrchr (address, '@');
  if (at == NULL || at == address || at[1] == '\0' || address[0] == '@'
      || strpbrk (address, " <>\"\\,;:()[]\t\r\n") != NULL || strlen (address) > 254)
    return NULL;
  for (char *d = (char *) at + 1; *d != '\0'; d++)
    *d = g_ascii_tolower (*d);
  return g_steal_pointer (&address);
}
