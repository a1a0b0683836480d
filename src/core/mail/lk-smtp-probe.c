/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-mail"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <gnutls/crypto.h>
#include <string.h>

#include "lk-error.h"
#include "lk-mail-probe-private.h"
#include "lk-mail-reply.h"
#include "lk-smtp-probe.h"

/* SMTP submission (RFC 6409): greeting, EHLO, STARTTLS (RFC 3207) and EHLO
 * again, AUTH (RFC 4954), NOOP or a test message, QUIT. */

/* RFC 4954 §4: an AUTH command line with its initial response must fit in
 * 512 octets including CRLF; longer responses go on the 334 line. */
#define SMTP_MAX_AUTH_LINE 512
#define MAX_REPLY_LINES    200

struct _LkSmtpProbe
{
  LkMailProbe parent_instance;
  char      **keywords;   /* the last EHLO's extensions, for after_login */
};

G_DEFINE_FINAL_TYPE (LkSmtpProbe, lk_smtp_probe, LK_TYPE_MAIL_PROBE)

static LkSmtpReply *
read_reply (LkMailProbe  *probe,
            GError      **error)
{
  g_autoptr(LkSmtpReply) reply = lk_smtp_reply_new ();

  for (;;)
    {
      g_autofree char *line = lk_mail_probe_read_line (probe, error);
      g_autoptr(GError) local = NULL;

      if (line == NULL)
        return NULL;
      if (lk_smtp_reply_feed (reply, line, &local))
        return g_steal_pointer (&reply);
      if (local != NULL || reply->lines->len > MAX_REPLY_LINES)
        {
          lk_mail_probe_set_unexpected (probe, error, line);
          return NULL;
        }
    }
}

static LkSmtpReply *
command (LkMailProbe  *probe,
         const char   *text,
         GError      **error)
{
  if (!lk_mail_probe_send (probe, text, NULL, error))
    return NULL;
  return read_reply (probe, error);
}

static gboolean
lk_smtp_probe_greeting (LkMailProbe  *probe,
                        GError      **error)
{
  g_autoptr(LkSmtpReply) reply = read_reply (probe, error);

  if (reply == NULL)
    return FALSE;
  if (reply->code != 220)
    {
      g_autofree char *text = lk_smtp_reply_to_string (reply);
      lk_mail_probe_set_unexpected (probe, error, text);
      return FALSE;
    }
  return TRUE;
}

static gboolean
lk_smtp_probe_capabilities (LkMailProbe   *probe,
                            gboolean       after_tls,
                            gboolean      *out_starttls,
                            char        ***out_mechanisms,
                            GError       **error)
{
  /* No host name of ours is worth telling the server. */
  g_autoptr(LkSmtpReply) reply = command (probe, "EHLO localhost", error);

  if (reply == NULL)
    return FALSE;
  if (reply->code != 250)
    {
      g_autofree char *text = lk_smtp_reply_to_string (reply);
      lk_mail_probe_set_unexpected (probe, error, text);
      return FALSE;
    }
  lk_smtp_ehlo_parse (reply, out_starttls, out_mechanisms);
  /* After STARTTLS only this EHLO counts (RFC 3207 §4.2). */
  g_strfreev (LK_SMTP_PROBE (probe)->keywords);
  LK_SMTP_PROBE (probe)->keywords = lk_smtp_ehlo_keywords (reply);
  return TRUE;
}

static gboolean
lk_smtp_probe_starttls (LkMailProbe  *probe,
                        GError      **error)
{
  g_autoptr(LkSmtpReply) reply = command (probe, "STARTTLS", error);

  if (reply == NULL)
    return FALSE;
  if (reply->code != 220)
    {
      g_autofree char *text = lk_smtp_reply_to_string (reply);

      g_set_error (error, LK_ERROR, LK_ERROR_STARTTLS_UNAVAILABLE,
                   _("%s refused STARTTLS (“%s”); Latchkey will not sign in without encryption"),
                   lk_mail_probe_get_server (probe)->host, text);
      return FALSE;
    }
  return TRUE;
}

static gboolean
lk_smtp_probe_authenticate (LkMailProbe      *probe,
                            LkSaslMechanism   mechanism,
                            const char       *initial_response,
                            GError          **error)
{
  const char *name = lk_sasl_mechanism_to_string (mechanism);
  gsize line_len = strlen ("AUTH ") + strlen (name) + 1 + strlen (initial_response) + 2;
  gboolean sent = FALSE;
  gboolean answered = FALSE;

  if (line_len <= SMTP_MAX_AUTH_LINE)
    {
      g_autofree char *visible = g_strdup_printf ("AUTH %s ", name);

      if (!lk_mail_probe_send (probe, visible, initial_response, error))
        return FALSE;
      sent = TRUE;
    }
  else
    {
      g_autofree char *visible = g_strdup_printf ("AUTH %s", name);

      if (!lk_mail_probe_send (probe, visible, NULL, error))
        return FALSE;
    }

  for (;;)
    {
      g_autoptr(LkSmtpReply) reply = read_reply (probe, error);
      g_autofree char *text = NULL;

      if (reply == NULL)
        return FALSE;
      text = lk_smtp_reply_to_string (reply);
      if (reply->code == 235)
        return sent;
      if (reply->code == 334)
        {
          const char *challenge = g_ptr_array_index (reply->lines, reply->lines->len - 1);

          if (!sent && *challenge == '\0')
            {
              if (!lk_mail_probe_send (probe, "", initial_response, error))
                return FALSE;
              sent = TRUE;
              continue;
            }
          if (sent && !answered)
            {
              if (!lk_mail_probe_answer_challenge (probe, mechanism, challenge, error))
                return FALSE;
              answered = TRUE;
              continue;
            }
          lk_mail_probe_set_unexpected (probe, error, text);
          return FALSE;
        }
      if (reply->code >= 400)
        lk_mail_probe_set_rejected (probe, error, text);
      else
        lk_mail_probe_set_unexpected (probe, error, text);
      return FALSE;
    }
}

/* RFC 5322 date in English whatever the locale. */
static char *
rfc5322_date (void)
{
  static const char * const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char * const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_strdup_printf ("%s, %02d %s %04d %02d:%02d:%02d +0000",
                          days[g_date_time_get_day_of_week (now) - 1],
                          g_date_time_get_day_of_month (now),
                          months[g_date_time_get_month (now) - 1],
                          g_date_time_get_year (now), g_date_time_get_hour (now),
                          g_date_time_get_minute (now), g_date_time_get_second (now));
}

static gboolean
expect (LkMailProbe  *probe,
        const char   *text,
        guint         code,
        const char   *what,
        GError      **error)
{
  g_autoptr(LkSmtpReply) reply = command (probe, text, error);
  g_autofree char *shown = NULL;

  if (reply == NULL)
    return FALSE;
  if (reply->code == code)
    return TRUE;
  shown = lk_smtp_reply_to_string (reply);
  lk_mail_probe_set_refused (probe, error, what, shown);
  return FALSE;
}

static gboolean
send_test_message (LkMailProbe  *probe,
                   GError      **error)
{
  const char *address = lk_mail_probe_get_test_address (probe);
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *date = rfc5322_date ();
  g_autofree char *id = NULL;
  guint8 random[12];
  const char *body[] = {
    "This message was sent by Latchkey to check that sending works for this",
    "account. You can delete it.",
  };

  if (strpbrk (address, "<>\r\n ") != NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("“%s” is not an e-mail address a test message can be sent to"), address);
      return FALSE;
    }
  from = g_strdup_printf ("MAIL FROM:<%s>", address);
  to = g_strdup_printf ("RCPT TO:<%s>", address);
  if (!expect (probe, from, 250, "MAIL FROM", error)
      || !expect (probe, to, 250, "RCPT TO", error)
      || !expect (probe, "DATA", 354, "DATA", error))
    return FALSE;

  gnutls_rnd (GNUTLS_RND_NONCE, random, sizeof random);
  id = g_strdup_printf ("Message-ID: <%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x@latchkey.invalid>",
                        random[0], random[1], random[2], random[3], random[4], random[5],
                        random[6], random[7], random[8], random[9], random[10], random[11]);
  {
    g_autofree char *from_header = g_strdup_printf ("From: <%s>", address);
    g_autofree char *to_header = g_strdup_printf ("To: <%s>", address);
    g_autofree char *date_header = g_strdup_printf ("Date: %s", date);
    const char *header[] = {
      from_header, to_header, "Subject: Latchkey test message", date_header, id,
      "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
      "Auto-Submitted: auto-generated", "",
    };

    for (gsize i = 0; i < G_N_ELEMENTS (header); i++)
      if (!lk_mail_probe_send (probe, header[i], NULL, error))
        return FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS (body); i++)
      if (!lk_mail_probe_send (probe, body[i], NULL, error))
        return FALSE;
  }
  return expect (probe, ".", 250, _("the test message"), error);
}

static gboolean
lk_smtp_probe_command (LkMailProbe  *probe,
                       gboolean      send_test,
                       GError      **error)
{
  if (send_test)
    return send_test_message (probe, error);
  return expect (probe, "NOOP", 250, "NOOP", error);
}

static gboolean
lk_smtp_probe_logout (LkMailProbe  *probe,
                      GError      **error)
{
  g_autoptr(LkSmtpReply) reply = command (probe, "QUIT", error);

  return reply != NULL && reply->code == 221;
}

/* What the connection's new owner needs to know: the extensions of the
 * EHLO the login was made in (the bridge's queue reads SIZE from them,
 * RFC 1870). */
static gboolean
lk_smtp_probe_after_login (LkMailProbe   *probe,
                           char        ***out_capabilities,
                           GError       **error)
{
  *out_capabilities = g_steal_pointer (&LK_SMTP_PROBE (probe)->keywords);
  return TRUE;
}

static void
lk_smtp_probe_finalize (GObject *object)
{
  g_strfreev (LK_SMTP_PROBE (object)->keywords);
  G_OBJECT_CLASS (lk_smtp_probe_parent_class)->finalize (object);
}

static void
lk_smtp_probe_class_init (LkSmtpProbeClass *klass)
{
  LkMailProbeClass *probe_class = LK_MAIL_PROBE_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = lk_smtp_probe_finalize;

  probe_class->greeting = lk_smtp_probe_greeting;
  probe_class->capabilities = lk_smtp_probe_capabilities;
  probe_class->starttls = lk_smtp_probe_starttls;
  probe_class->authenticate = lk_smtp_probe_authenticate;
  probe_class->command = lk_smtp_probe_command;
  probe_class->logout = lk_smtp_probe_logout;
  probe_class->after_login = lk_smtp_probe_after_login;
}

static void
lk_smtp_probe_init (LkSmtpProbe *self)
{
}
