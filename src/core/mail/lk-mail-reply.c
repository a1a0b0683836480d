/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-mail"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-mail-reply.h"

/* ── IMAP ─────────────────────────────────────────────────────────────── */

static gboolean
is_tag_char (char c)
{
  /* astring chars without '+' (RFC 9051 tag) */
  return c > 0x20 && c < 0x7f && strchr ("(){%*\"\\+]", c) == NULL;
}

static LkImapStatus
parse_status (const char *word,
              gsize       len)
{
  static const struct { const char *name; LkImapStatus status; } table[] = {
    { "OK", LK_IMAP_STATUS_OK },
    { "NO", LK_IMAP_STATUS_NO },
    { "BAD", LK_IMAP_STATUS_BAD },
    { "PREAUTH", LK_IMAP_STATUS_PREAUTH },
    { "BYE", LK_IMAP_STATUS_BYE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (strlen (table[i].name) == len && g_ascii_strncasecmp (word, table[i].name, len) == 0)
      return table[i].status;
  return LK_IMAP_STATUS_NONE;
}

/* Splits "[CODE …] text" into code and text. */
static void
parse_resp_text (const char  *p,
                 char       **out_code,
                 char       **out_text)
{
  *out_code = NULL;
  if (*p == '[')
    {
      const char *end = strchr (p, ']');

      if (end != NULL)
        {
          *out_code = g_strndup (p + 1, end - p - 1);
          p = end + 1;
          while (*p == ' ')
            p++;
        }
    }
  *out_text = g_strdup (p);
}

/**
 * lk_imap_reply_parse:
 * @line: one line from the server, without CRLF
 * @out: (out caller-allocates): filled in; clear with lk_imap_reply_clear()
 *
 * Returns: FALSE when @line is not a well-formed IMAP response line (@out
 *   then has kind LK_IMAP_LINE_INVALID and the whole line as text)
 */
gboolean
lk_imap_reply_parse (const char  *line,
                     LkImapReply *out)
{
  const char *p;
  gsize n;

  memset (out, 0, sizeof *out);
  if (line == NULL)
    line = "";

  if (line[0] == '+' && (line[1] == ' ' || line[1] == '\0'))
    {
      out->kind = LK_IMAP_LINE_CONTINUATION;
      out->text = g_strdup (line[1] == ' ' ? line + 2 : "");
      return TRUE;
    }

  if (line[0] == '*' && line[1] == ' ')
    {
      out->kind = LK_IMAP_LINE_UNTAGGED;
      p = line + 2;
    }
  else
    {
      for (n = 0; is_tag_char (line[n]); n++)
        ;
      if (n == 0 || line[n] != ' ')
        {
          out->kind = LK_IMAP_LINE_INVALID;
          out->text = g_strdup (line);
          return FALSE;
        }
      out->kind = LK_IMAP_LINE_TAGGED;
      out->tag = g_strndup (line, n);
      p = line + n + 1;
    }

  for (n = 0; p[n] != '\0' && p[n] != ' '; n++)
    ;
  out->status = parse_status (p, n);
  if (out->kind == LK_IMAP_LINE_TAGGED
      && out->status != LK_IMAP_STATUS_OK
      && out->status != LK_IMAP_STATUS_NO
      && out->status != LK_IMAP_STATUS_BAD)
    {
      g_clear_pointer (&out->tag, g_free);
      out->kind = LK_IMAP_LINE_INVALID;
      out->status = LK_IMAP_STATUS_NONE;
      out->text = g_strdup (line);
      return FALSE;
    }

  if (out->status == LK_IMAP_STATUS_NONE)
    {
      out->text = g_strdup (p);  /* untagged data: "CAPABILITY …", "3 EXISTS" … */
      return TRUE;
    }
  p += n;
  while (*p == ' ')
    p++;
  parse_resp_text (p, &out->code, &out->text);
  return TRUE;
}

void
lk_imap_reply_clear (LkImapReply *reply)
{
  g_clear_pointer (&reply->tag, g_free);
  g_clear_pointer (&reply->code, g_free);
  g_clear_pointer (&reply->text, g_free);
  reply->kind = LK_IMAP_LINE_INVALID;
  reply->status = LK_IMAP_STATUS_NONE;
}

/**
 * lk_imap_capabilities_parse:
 * @text: "CAPABILITY IMAP4rev1 AUTH=XOAUTH2 …" (the word CAPABILITY first)
 *
 * Returns: (nullable): the capabilities, upper-cased, or NULL when @text is
 *   not a CAPABILITY list
 */
char **
lk_imap_capabilities_parse (const char *text)
{
  g_auto(GStrv) words = NULL;
  GPtrArray *caps;

  if (text == NULL || g_ascii_strncasecmp (text, "CAPABILITY", 10) != 0
      || (text[10] != ' ' && text[10] != '\0'))
    return NULL;

  words = g_strsplit (text + 10, " ", -1);
  caps = g_ptr_array_new ();
  for (gsize i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      g_ptr_array_add (caps, g_ascii_strup (words[i], -1));
  g_ptr_array_add (caps, NULL);
  return (char **) g_ptr_array_free (caps, FALSE);
}

/**
 * lk_imap_reply_get_capabilities:
 *
 * The capabilities in "* CAPABILITY …" or in a "[CAPABILITY …]" code of a
 * greeting or OK.
 *
 * Returns: (nullable): as lk_imap_capabilities_parse()
 */
char **
lk_imap_reply_get_capabilities (const LkImapReply *reply)
{
  if (reply->code != NULL)
    {
      char **caps = lk_imap_capabilities_parse (reply->code);
      if (caps != NULL)
        return caps;
    }
  if (reply->kind == LK_IMAP_LINE_UNTAGGED && reply->status == LK_IMAP_STATUS_NONE)
    return lk_imap_capabilities_parse (reply->text);
  return NULL;
}

/* The SASL mechanisms in AUTH=… capabilities. */
char **
lk_imap_capabilities_get_mechanisms (const char * const *capabilities)
{
  GPtrArray *mechs = g_ptr_array_new ();

  for (gsize i = 0; capabilities != NULL && capabilities[i] != NULL; i++)
    if (g_ascii_strncasecmp (capabilities[i], "AUTH=", 5) == 0 && capabilities[i][5] != '\0')
      g_ptr_array_add (mechs, g_ascii_strup (capabilities[i] + 5, -1));
  g_ptr_array_add (mechs, NULL);
  return (char **) g_ptr_array_free (mechs, FALSE);
}

gboolean
lk_capabilities_contain (const char * const *capabilities,
                         const char         *name)
{
  for (gsize i = 0; capabilities != NULL && capabilities[i] != NULL; i++)
    if (g_ascii_strcasecmp (capabilities[i], name) == 0)
      return TRUE;
  return FALSE;
}

/* ── POP3 ─────────────────────────────────────────────────────────────── */

/**
 * lk_pop_reply_parse:
 * @out_text: (out) (optional): the text after the status, inside @line
 */
LkPopReplyKind
lk_pop_reply_parse (const char  *line,
                    const char **out_text)
{
  LkPopReplyKind kind = LK_POP_REPLY_INVALID;
  const char *text = line;

  if (line == NULL)
    line = text = "";
  if (g_ascii_strncasecmp (line, "+OK", 3) == 0 && (line[3] == ' ' || line[3] == '\0'))
    {
      kind = LK_POP_REPLY_OK;
      text = line + 3;
    }
  else if (g_ascii_strncasecmp (line, "-ERR", 4) == 0 && (line[4] == ' ' || line[4] == '\0'))
    {
      kind = LK_POP_REPLY_ERR;
      text = line + 4;
    }
  else if (line[0] == '+' && (line[1] == ' ' || line[1] == '\0'))
    {
      kind = LK_POP_REPLY_CONTINUATION;
      text = line + 1;
    }
  while (kind != LK_POP_REPLY_INVALID && *text == ' ')
    text++;
  if (out_text != NULL)
    *out_text = text;
  return kind;
}

/**
 * lk_pop_capa_parse:
 * @lines: the lines of a CAPA answer after "+OK", without the final "."
 * @out_stls: (out): whether STLS is offered
 * @out_mechanisms: (out) (transfer full): the mechanisms of the SASL line
 */
void
lk_pop_capa_parse (const char * const  *lines,
                   gboolean            *out_stls,
                   char              ***out_mechanisms)
{
  GPtrArray *mechs = g_ptr_array_new ();

  *out_stls = FALSE;
  for (gsize i = 0; lines != NULL && lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = g_strsplit (lines[i], " ", -1);

      if (words[0] == NULL)
        continue;
      if (g_ascii_strcasecmp (words[0], "STLS") == 0)
        *out_stls = TRUE;
      else if (g_ascii_strcasecmp (words[0], "SASL") == 0)
        for (gsize j = 1; words[j] != NULL; j++)
          if (words[j][0] != '\0')
            g_ptr_array_add (mechs, g_ascii_strup (words[j], -1));
    }
  g_ptr_array_add (mechs, NULL);
  *out_mechanisms = (char **) g_ptr_array_free (mechs, FALSE);
}

/* ── SMTP ─────────────────────────────────────────────────────────────── */

LkSmtpReply *
lk_smtp_reply_new (void)
{
  LkSmtpReply *reply = g_new0 (LkSmtpReply, 1);

  reply->lines = g_ptr_array_new_with_free_func (g_free);
  return reply;
}

void
lk_smtp_reply_free (LkSmtpReply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->enhanced);
  g_ptr_array_unref (reply->lines);
  g_free (reply);
}

/* "5.7.139" at the start of @text (RFC 3463: class.subject.detail). */
static char *
parse_enhanced (const char *text)
{
  const char *p = text;
  int parts = 0;

  if (*p != '2' && *p != '4' && *p != '5')
    return NULL;
  while (parts < 3)
    {
      gsize digits = 0;

      while (g_ascii_isdigit (p[digits]))
        digits++;
      if (digits == 0 || digits > 3)
        return NULL;
      p += digits;
      parts++;
      if (parts < 3)
        {
          if (*p != '.')
            return NULL;
          p++;
        }
    }
  if (*p != '\0' && *p != ' ')
    return NULL;
  return g_strndup (text, p - text);
}

/**
 * lk_smtp_reply_feed:
 * @line: one line, without CRLF
 *
 * Adds a line of a (multi-line) reply: "250-…" continues, "250 …" ends it.
 *
 * Returns: TRUE when the reply is complete; FALSE when more lines are
 *   needed or on error (@error set: not an SMTP reply line, or a code that
 *   differs from the first line's)
 */
gboolean
lk_smtp_reply_feed (LkSmtpReply  *reply,
                    const char   *line,
                    GError      **error)
{
  guint code;
  const char *text;

  g_return_val_if_fail (!reply->complete, TRUE);

  if (line == NULL || !g_ascii_isdigit (line[0]) || !g_ascii_isdigit (line[1])
      || !g_ascii_isdigit (line[2]) || (line[3] != ' ' && line[3] != '-' && line[3] != '\0')
      || line[0] < '2' || line[0] > '5')
    {
      g_set_error (error, LK_ERROR, LK_ERROR_PROTOCOL,
                   _("The server sent something that is not an SMTP reply"));
      return FALSE;
    }
  code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (reply->code != 0 && code != reply->code)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_PROTOCOL,
                   _("The server mixed reply codes %u and %u in one reply"), reply->code, code);
      return FALSE;
    }
  reply->code = code;
  text = line[3] == '\0' ? "" : line + 4;
  g_ptr_array_add (reply->lines, g_strdup (text));
  if (reply->enhanced == NULL && reply->code >= 200)
    {
      reply->enhanced = parse_enhanced (text);
      if (reply->enhanced != NULL && reply->enhanced[0] != line[0])
        g_clear_pointer (&reply->enhanced, g_free);  /* class must match the code */
    }
  reply->complete = line[3] != '-';
  return reply->complete;
}

/* "535 5.7.139 Authentication unsuccessful …" (the last line, with the code). */
char *
lk_smtp_reply_to_string (const LkSmtpReply *reply)
{
  if (reply->lines->len == 0)
    return g_strdup_printf ("%03u", reply->code);
  return g_strdup_printf ("%03u %s", reply->code,
                          (const char *) g_ptr_array_index (reply->lines, reply->lines->len - 1));
}

/**
 * lk_smtp_ehlo_parse:
 * @out_starttls: (out): whether STARTTLS is offered
 * @out_mechanisms: (out) (transfer full): the mechanisms of AUTH (or the
 *   old "AUTH=" form)
 */
void
lk_smtp_ehlo_parse (const LkSmtpReply   *reply,
                    gboolean            *out_starttls,
                    char              ***out_mechanisms)
{
  GPtrArray *mechs = g_ptr_array_new ();

  *out_starttls = FALSE;
  /* The first line is the greeting ("mail.test Hello"); extensions follow. */
  for (guint i = 1; reply->code == 250 && i < reply->lines->len; i++)
    {
      const char *line = g_ptr_array_index (reply->lines, i);
      g_auto(GStrv) words = NULL;

      if (g_ascii_strncasecmp (line, "AUTH=", 5) == 0)
        line += 5;
      else if (g_ascii_strncasecmp (line, "AUTH ", 5) == 0)
        line += 5;
      else
        {
          if (g_ascii_strcasecmp (line, "STARTTLS") == 0)
            *out_starttls = TRUE;
          continue;
        }
      words = g_strsplit (line, " ", -1);
      for (gsize j = 0; words[j] != NULL; j++)
        {
          gboolean seen = FALSE;

          for (guint k = 0; k < mechs->len; k++)
            seen |= g_ascii_strcasecmp (g_ptr_array_index (mechs, k), words[j]) == 0;
          if (words[j][0] != '\0' && !seen)
            g_ptr_array_add (mechs, g_ascii_strup (words[j], -1));
        }
    }
  g_ptr_array_add (mechs, NULL);
  *out_mechanisms = (char **) g_ptr_array_free (mechs, FALSE);
}

/**
 * lk_smtp_ehlo_keywords:
 *
 * Returns: (transfer full): the extensions an EHLO reply offers, one line
 *   each ("SIZE 36700160", "8BITMIME"), without the greeting line; empty
 *   for a reply other than 250
 */
char **
lk_smtp_ehlo_keywords (const LkSmtpReply *reply)
{
  GPtrArray *keywords = g_ptr_array_new ();

  for (guint i = 1; reply->code == 250 && i < reply->lines->len; i++)
    g_ptr_array_add (keywords, g_strdup (g_ptr_array_index (reply->lines, i)));
  g_ptr_array_add (keywords, NULL);
  return (char **) g_ptr_array_free (keywords, FALSE);
}

/**
 * lk_smtp_ehlo_max_size:
 * @keywords: (array zero-terminated=1) (nullable): lk_smtp_ehlo_keywords()
 *
 * The SIZE extension (RFC 1870 §4): "SIZE" alone, or "SIZE 0", offers the
 * MAIL parameter without saying a limit; "SIZE n" takes messages of at
 * most n octets.
 *
 * Returns: -1 when SIZE is not offered (or its limit is not a number:
 *   then MAIL must not carry SIZE= either), 0 when offered without a
 *   limit, else the limit in octets
 */
gint64
lk_smtp_ehlo_max_size (const char * const *keywords)
{
  for (gsize i = 0; keywords != NULL && keywords[i] != NULL; i++)
    {
      const char *line = keywords[i];
      guint64 limit = 0;
      char *end = NULL;

      if (g_ascii_strncasecmp (line, "SIZE", 4) != 0 || (line[4] != '\0' && line[4] != ' '))
        continue;
      line += 4;
      while (*line == ' ')
        line++;
      if (*line == '\0')
        return 0;
      if (!g_ascii_isdigit (*line))
        return -1;
      limit = g_ascii_strtoull (line, &end, 10);
      while (*end == ' ')
        end++;
      if (*end != '\0' || limit > G_MAXINT64)
        return -1;
      return (gint64) limit;
    }
  return -1;
}
