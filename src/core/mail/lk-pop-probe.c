/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-mail"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-mail-probe-private.h"
#include "lk-mail-reply.h"
#include "lk-pop-probe.h"

/* POP3 (RFC 1939): greeting, CAPA (RFC 2449), STLS (RFC 2595), AUTH
 * (RFC 5034) in two steps as Exchange needs, STAT to confirm, QUIT. */

#define MAX_CAPA_LINES 200

struct _LkPopProbe
{
  LkMailProbe parent_instance;
};

G_DEFINE_FINAL_TYPE (LkPopProbe, lk_pop_probe, LK_TYPE_MAIL_PROBE)

/* Sends @command (NULL: none) and reads one +OK / -ERR line. */
static gboolean
command (LkMailProbe     *probe,
         const char      *text,
         LkPopReplyKind  *out_kind,
         char           **out_line,
         GError         **error)
{
  g_autofree char *line = NULL;

  if (text != NULL && !lk_mail_probe_send (probe, text, NULL, error))
    return FALSE;
  line = lk_mail_probe_read_line (probe, error);
  if (line == NULL)
    return FALSE;
  *out_kind = lk_pop_reply_parse (line, NULL);
  if (*out_kind != LK_POP_REPLY_OK && *out_kind != LK_POP_REPLY_ERR)
    {
      lk_mail_probe_set_unexpected (probe, error, line);
      return FALSE;
    }
  *out_line = g_steal_pointer (&line);
  return TRUE;
}

static gboolean
lk_pop_probe_greeting (LkMailProbe  *probe,
                       GError      **error)
{
  g_autofree char *line = NULL;
  LkPopReplyKind kind;

  if (!command (probe, NULL, &kind, &line, error))
    return FALSE;
  if (kind != LK_POP_REPLY_OK)
    {
      lk_mail_probe_set_unexpected (probe, error, line);
      return FALSE;
    }
  return TRUE;
}

static gboolean
lk_pop_probe_capabilities (LkMailProbe   *probe,
                           gboolean       after_tls,
                           gboolean      *out_starttls,
                           char        ***out_mechanisms,
                           GError       **error)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *line = NULL;
  LkPopReplyKind kind;

  if (!command (probe, "CAPA", &kind, &line, error))
    return FALSE;
  if (kind == LK_POP_REPLY_OK)
    for (;;)
      {
        char *next = lk_mail_probe_read_line (probe, error);

        if (next == NULL)
          return FALSE;
        if (strcmp (next, ".") == 0)
          {
            g_free (next);
            break;
          }
        if (lines->len >= MAX_CAPA_LINES)
          {
            g_free (next);
            lk_mail_probe_set_unexpected (probe, error, line);
            return FALSE;
          }
        /* Dot-stuffing: a line starting with "." had one added. */
        if (next[0] == '.')
          memmove (next, next + 1, strlen (next));
        g_ptr_array_add (lines, next);
      }
  /* A server without CAPA (-ERR) offers neither STLS nor SASL that we know of. */
  g_ptr_array_add (lines, NULL);
  lk_pop_capa_parse ((const char * const *) lines->pdata, out_starttls, out_mechanisms);
  return TRUE;
}

static gboolean
lk_pop_probe_starttls (LkMailProbe  *probe,
                       GError      **error)
{
  g_autofree char *line = NULL;
  LkPopReplyKind kind;

  if (!command (probe, "STLS", &kind, &line, error))
    return FALSE;
  if (kind != LK_POP_REPLY_OK)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_STARTTLS_UNAVAILABLE,
                   _("%s refused STLS (“%s”); Latchkey will not sign in without encryption"),
                   lk_mail_probe_get_server (probe)->host, line);
      return FALSE;
    }
  return TRUE;
}

static gboolean
lk_pop_probe_authenticate (LkMailProbe      *probe,
                           LkSaslMechanism   mechanism,
                           const char       *initial_response,
                           GError          **error)
{
  g_autofree char *visible = g_strdup_printf ("AUTH %s", lk_sasl_mechanism_to_string (mechanism));
  gboolean sent = FALSE;
  gboolean answered = FALSE;

  /* Two steps: Exchange does not take the response on the AUTH line. */
  if (!lk_mail_probe_send (probe, visible, NULL, error))
    return FALSE;
  for (;;)
    {
      g_autofree char *line = lk_mail_probe_read_line (probe, error);
      const char *text;

      if (line == NULL)
        return FALSE;
      switch (lk_pop_reply_parse (line, &text))
        {
        case LK_POP_REPLY_OK:
          if (!sent)
            break;
          return TRUE;
        case LK_POP_REPLY_ERR:
          lk_mail_probe_set_rejected (probe, error, line);
          return FALSE;
        case LK_POP_REPLY_CONTINUATION:
          if (!sent && *text == '\0')
            {
              if (!lk_mail_probe_send (probe, "", initial_response, error))
                return FALSE;
              sent = TRUE;
              continue;
            }
          if (sent && !answered)
            {
              if (!lk_mail_probe_answer_challenge (probe, mechanism, text, error))
                return FALSE;
              answered = TRUE;
              continue;
            }
          break;
        case LK_POP_REPLY_INVALID:
        default:
          break;
        }
      lk_mail_probe_set_unexpected (probe, error, line);
      return FALSE;
    }
}

static gboolean
lk_pop_probe_command (LkMailProbe  *probe,
                      gboolean      send_test,
                      GError      **error)
{
  g_autofree char *line = NULL;
  LkPopReplyKind kind;

  if (!command (probe, "STAT", &kind, &line, error))
    return FALSE;
  if (kind != LK_POP_REPLY_OK)
    {
      lk_mail_probe_set_refused (probe, error, "STAT", line);
      return FALSE;
    }
  return TRUE;
}

static gboolean
lk_pop_probe_logout (LkMailProbe  *probe,
                     GError      **error)
{
  g_autofree char *line = NULL;
  LkPopReplyKind kind;

  return command (probe, "QUIT", &kind, &line, error) && kind == LK_POP_REPLY_OK;
}

static void
lk_pop_probe_class_init (LkPopProbeClass *klass)
{
  LkMailProbeClass *probe_class = LK_MAIL_PROBE_CLASS (klass);

  probe_class->greeting = lk_pop_probe_greeting;
  probe_class->capabilities = lk_pop_probe_capabilities;
  probe_class->starttls = lk_pop_probe_starttls;
  probe_class->authenticate = lk_pop_probe_authenticate;
  probe_class->command = lk_pop_probe_command;
  probe_class->logout = lk_pop_probe_logout;
}

static void
lk_pop_probe_init (LkPopProbe *self)
{
}
