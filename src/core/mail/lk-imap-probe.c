/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-mail"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-imap-probe.h"
#include "lk-mail-probe-private.h"
#include "lk-mail-reply.h"

/* IMAP4 (RFC 9051 / 3501): greeting, CAPABILITY, STARTTLS, AUTHENTICATE with
 * SASL-IR (RFC 4959) when offered, LIST "" "" to confirm the login, LOGOUT. */

struct _LkImapProbe
{
  LkMailProbe   parent_instance;
  guint         next_tag;
  char        **capabilities;     /* from the greeting or the last CAPABILITY */
  gboolean      capabilities_after_login;
};

G_DEFINE_FINAL_TYPE (LkImapProbe, lk_imap_probe, LK_TYPE_MAIL_PROBE)

static char *
next_tag (LkImapProbe *self)
{
  return g_strdup_printf ("L%u", ++self->next_tag);
}

/* Reads until the tagged reply to @tag; untagged CAPABILITY data is kept. */
static gboolean
read_tagged (LkImapProbe  *self,
             const char   *tag,
             LkImapReply  *out,
             GError      **error)
{
  for (;;)
    {
      g_autofree char *line = lk_mail_probe_read_line (LK_MAIL_PROBE (self), error);
      g_auto(LkImapReply) reply = { 0, };
      char **caps;

      if (line == NULL)
        return FALSE;
      if (!lk_imap_reply_parse (line, &reply) || reply.kind == LK_IMAP_LINE_CONTINUATION)
        {
          lk_mail_probe_set_unexpected (LK_MAIL_PROBE (self), error, line);
          return FALSE;
        }
      caps = lk_imap_reply_get_capabilities (&reply);
      if (caps != NULL)
        {
          g_strfreev (self->capabilities);
          self->capabilities = caps;
        }
      if (reply.kind == LK_IMAP_LINE_UNTAGGED && reply.status == LK_IMAP_STATUS_BYE)
        {
          lk_mail_probe_set_unexpected (LK_MAIL_PROBE (self), error, line);
          return FALSE;
        }
      if (reply.kind == LK_IMAP_LINE_TAGGED)
        {
          if (g_strcmp0 (reply.tag, tag) != 0)
            {
              lk_mail_probe_set_unexpected (LK_MAIL_PROBE (self), error, line);
              return FALSE;
            }
          *out = reply;
          memset (&reply, 0, sizeof reply);
          return TRUE;
        }
    }
}

static gboolean
simple_command (LkImapProbe  *self,
                const char   *command,
                char        **out_line,
                LkImapStatus *out_status,
                GError      **error)
{
  g_autofree char *tag = next_tag (self);
  g_autofree char *line = g_strdup_printf ("%s %s", tag, command);
  g_auto(LkImapReply) reply = { 0, };

  if (!lk_mail_probe_send (LK_MAIL_PROBE (self), line, NULL, error)
      || !read_tagged (self, tag, &reply, error))
    return FALSE;
  *out_status = reply.status;
  *out_line = g_strdup (lk_mail_probe_get_result (LK_MAIL_PROBE (self))->last_reply);
  return TRUE;
}

static gboolean
lk_imap_probe_greeting (LkMailProbe  *probe,
                        GError      **error)
{
  LkImapProbe *self = LK_IMAP_PROBE (probe);
  g_autofree char *line = lk_mail_probe_read_line (probe, error);
  g_auto(LkImapReply) reply = { 0, };

  if (line == NULL)
    return FALSE;
  if (!lk_imap_reply_parse (line, &reply) || reply.kind != LK_IMAP_LINE_UNTAGGED
      || reply.status != LK_IMAP_STATUS_OK)
    {
      lk_mail_probe_set_unexpected (probe, error, line);
      return FALSE;
    }
  g_clear_pointer (&self->capabilities, g_strfreev);
  self->capabilities = lk_imap_reply_get_capabilities (&reply);
  return TRUE;
}

static gboolean
lk_imap_probe_capabilities (LkMailProbe   *probe,
                            gboolean       after_tls,
                            gboolean      *out_starttls,
                            char        ***out_mechanisms,
                            GError       **error)
{
  LkImapProbe *self = LK_IMAP_PROBE (probe);

  /* Capabilities from before STARTTLS must be forgotten (RFC 9051 §6.2.1). */
  if (self->capabilities == NULL || after_tls)
    {
      g_autofree char *line = NULL;
      LkImapStatus status;

      if (after_tls)
        g_clear_pointer (&self->capabilities, g_strfreev);
      if (!simple_command (self, "CAPABILITY", &line, &status, error))
        return FALSE;
      if (status != LK_IMAP_STATUS_OK || self->capabilities == NULL)
        {
          lk_mail_probe_set_unexpected (probe, error, line);
          return FALSE;
        }
    }
  *out_starttls = lk_capabilities_contain ((const char * const *) self->capabilities, "STARTTLS");
  *out_mechanisms = lk_imap_capabilities_get_mechanisms ((const char * const *) self->capabilities);
  return TRUE;
}

static gboolean
lk_imap_probe_starttls (LkMailProbe  *probe,
                        GError      **error)
{
  LkImapProbe *self = LK_IMAP_PROBE (probe);
  g_autofree char *line = NULL;
  LkImapStatus status;

  if (!simple_command (self, "STARTTLS", &line, &status, error))
    return FALSE;
  if (status != LK_IMAP_STATUS_OK)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_STARTTLS_UNAVAILABLE,
                   _("%s refused STARTTLS (“%s”); Latchkey will not sign in without encryption"),
                   lk_mail_probe_get_server (probe)->host, line);
      return FALSE;
    }
  return TRUE;
}

static gboolean
lk_imap_probe_authenticate (LkMailProbe      *probe,
                            LkSaslMechanism   mechanism,
                            const char       *initial_response,
                            GError          **error)
{
  LkImapProbe *self = LK_IMAP_PROBE (probe);
  const char *name = lk_sasl_mechanism_to_string (mechanism);
  g_autofree char *tag = next_tag (self);
  gboolean sasl_ir = lk_capabilities_contain ((const char * const *) self->capabilities, "SASL-IR");
  gboolean sent = FALSE;
  gboolean answered = FALSE;

  if (sasl_ir)
    {
      g_autofree char *visible = g_strdup_printf ("%s AUTHENTICATE %s ", tag, name);

      if (!lk_mail_probe_send (probe, visible, initial_response, error))
        return FALSE;
      sent = TRUE;
    }
  else
    {
      g_autofree char *visible = g_strdup_printf ("%s AUTHENTICATE %s", tag, name);

      if (!lk_mail_probe_send (probe, visible, NULL, error))
        return FALSE;
    }

  for (;;)
    {
      g_autofree char *line = lk_mail_probe_read_line (probe, error);
      g_auto(LkImapReply) reply = { 0, };
      char **caps;

      if (line == NULL)
        return FALSE;
      if (!lk_imap_reply_parse (line, &reply))
        {
          lk_mail_probe_set_unexpected (probe, error, line);
          return FALSE;
        }
      if (reply.kind == LK_IMAP_LINE_CONTINUATION)
        {
          if (!sent && *reply.text == '\0')
            {
              if (!lk_mail_probe_send (probe, "", initial_response, error))
                return FALSE;
              sent = TRUE;
            }
          else if (sent && !answered)
            {
              if (!lk_mail_probe_answer_challenge (probe, mechanism, reply.text, error))
                return FALSE;
              answered = TRUE;
            }
          else
            {
              lk_mail_probe_set_unexpected (probe, error, line);
              return FALSE;
            }
          continue;
        }
      if (reply.kind == LK_IMAP_LINE_UNTAGGED)
        {
          if (reply.status == LK_IMAP_STATUS_BYE)
            {
              lk_mail_probe_set_rejected (probe, error, line);
              return FALSE;
            }
          /* Some servers send the new capabilities untagged before the OK. */
          caps = lk_imap_reply_get_capabilities (&reply);
          if (caps != NULL)
            {
              g_strfreev (self->capabilities);
              self->capabilities = caps;
              self->capabilities_after_login = TRUE;
            }
          continue;
        }
      if (g_strcmp0 (reply.tag, tag) != 0)
        {
          lk_mail_probe_set_unexpected (probe, error, line);
          return FALSE;
        }
      if (reply.status != LK_IMAP_STATUS_OK)
        {
          lk_mail_probe_set_rejected (probe, error, line);
          return FALSE;
        }
      caps = lk_imap_reply_get_capabilities (&reply);
      if (caps != NULL)
        {
          g_strfreev (self->capabilities);
          self->capabilities = caps;
          self->capabilities_after_login = TRUE;
        }
      return TRUE;
    }
}

/* What a mail program relayed over this connection is told in the tagged
 * OK of its own login (RFC 9051 §7.1: "as servers do"): the capabilities
 * after login, which may differ from those before (RFC 9051 §6.2.2). */
static gboolean
lk_imap_probe_after_login (LkMailProbe   *probe,
                           char        ***out_capabilities,
                           GError       **error)
{
  LkImapProbe *self = LK_IMAP_PROBE (probe);

  if (!self->capabilities_after_login)
    {
      g_autofree char *line = NULL;
      LkImapStatus status;

      g_clear_pointer (&self->capabilities, g_strfreev);
      if (!simple_command (self, "CAPABILITY", &line, &status, error))
        return FALSE;
      if (status != LK_IMAP_STATUS_OK || self->capabilities == NULL)
        {
          lk_mail_probe_set_refused (probe, error, "CAPABILITY", line);
          return FALSE;
        }
    }
  *out_capabilities = g_strdupv (self->capabilities);
  return TRUE;
}

static gboolean
lk_imap_probe_command (LkMailProbe  *probe,
                       gboolean      send_test,
                       GError      **error)
{
  LkImapProbe *self = LK_IMAP_PROBE (probe);
  g_autofree char *line = NULL;
  LkImapStatus status;

  /* Exchange has been seen to accept a mismatched user at AUTHENTICATE and
   * fail on the next command (doc/protocols.md A4). */
  if (!simple_command (self, "LIST \"\" \"\"", &line, &status, error))
    return FALSE;
  if (status != LK_IMAP_STATUS_OK)
    {
      lk_mail_probe_set_refused (probe, error, "LIST", line);
      return FALSE;
    }
  return TRUE;
}

static gboolean
lk_imap_probe_logout (LkMailProbe  *probe,
                      GError      **error)
{
  LkImapProbe *self = LK_IMAP_PROBE (probe);
  g_autofree char *line = NULL;
  LkImapStatus status;
  g_autofree char *tag = next_tag (self);
  g_autofree char *command = g_strdup_printf ("%s LOGOUT", tag);

  if (!lk_mail_probe_send (probe, command, NULL, error))
    return FALSE;
  /* "* BYE" then the tagged OK; read_tagged() treats BYE as an end. */
  for (;;)
    {
      g_auto(LkImapReply) reply = { 0, };

      g_clear_pointer (&line, g_free);
      line = lk_mail_probe_read_line (probe, error);
      if (line == NULL)
        return FALSE;
      if (lk_imap_reply_parse (line, &reply) && reply.kind == LK_IMAP_LINE_TAGGED)
        {
          status = reply.status;
          return status == LK_IMAP_STATUS_OK;
        }
    }
}

static void
lk_imap_probe_finalize (GObject *object)
{
  LkImapProbe *self = LK_IMAP_PROBE (object);

  g_strfreev (self->capabilities);
  G_OBJECT_CLASS (lk_imap_probe_parent_class)->finalize (object);
}

static void
lk_imap_probe_class_init (LkImapProbeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  LkMailProbeClass *probe_class = LK_MAIL_PROBE_CLASS (klass);

  object_class->finalize = lk_imap_probe_finalize;
  probe_class->greeting = lk_imap_probe_greeting;
  probe_class->capabilities = lk_imap_probe_capabilities;
  probe_class->starttls = lk_imap_probe_starttls;
  probe_class->authenticate = lk_imap_probe_authenticate;
  probe_class->command = lk_imap_probe_command;
  probe_class->logout = lk_imap_probe_logout;
  probe_class->after_login = lk_imap_probe_after_login;
}

static void
lk_imap_probe_init (LkImapProbe *self)
{
}
