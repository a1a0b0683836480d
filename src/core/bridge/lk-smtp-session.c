/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <string.h>

#include "bridge/lk-bridge-session-private.h"
#include "bridge/lk-mail-command.h"
#include "bridge/lk-sasl-password.h"
#include "bridge/lk-smtp-session.h"
#include "lk-token-set.h"

/*
 * SMTP submission (RFC 6409) until AUTH succeeds: EHLO/HELO, STARTTLS
 * (RFC 3207), AUTH PLAIN and AUTH LOGIN (RFC 4954; initial response on the
 * AUTH line, "=" for an empty one, or on a 334 continuation; "*" cancels),
 * NOOP, RSET, HELP, QUIT. Mail commands before AUTH get 530. Anything else
 * is refused, and no login form it does not understand is ever passed on.
 *
 * EHLO offers, besides what the bridge itself does, only extensions that
 * every submission server we know offers too (Exchange Online, Gmail,
 * Dovecot, Postfix), because a client acts on them after AUTH, when the
 * upstream answers: PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES. A client
 * that sends EHLO again after AUTH gets the upstream's own list. See
 * doc/bridge.md.
 */

/* An AUTH line with an initial response may be long (RFC 4954 §4 lets
 * servers take 12288 octets); 8 KiB is what the bridge allows before
 * login. */
#define MAX_LINE    8192

typedef enum
{
  SASL_NONE,
  SASL_PLAIN,          /* waiting for the PLAIN response */
  SASL_LOGIN_USER,     /* LOGIN: waiting for the user name */
  SASL_LOGIN_PASSWORD, /* LOGIN: waiting for the password */
} SaslState;

struct _LkSmtpSession
{
  LkBridgeSession  parent_instance;
  gboolean         ehlo;
  SaslState        sasl;
  char            *login_user;
};

G_DEFINE_FINAL_TYPE (LkSmtpSession, lk_smtp_session, LK_TYPE_BRIDGE_SESSION)

static void
error_reply (LkSmtpSession *self,
             const char    *line)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);

  lk_bridge_session_send (session, line);
  lk_bridge_session_count_error (session, "421 4.7.0 Too many errors, closing the connection");
}

static void
lk_smtp_session_greet (LkBridgeSession *session)
{
  lk_bridge_session_send (session, "220 localhost ESMTP Latchkey bridge ready");
}

static void
ehlo (LkSmtpSession *self)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);

  self->ehlo = TRUE;
  self->sasl = SASL_NONE;
  lk_bridge_session_send (session, "250-localhost");
  lk_bridge_session_send (session, "250-PIPELINING");
  lk_bridge_session_send (session, "250-8BITMIME");
  lk_bridge_session_send (session, "250-ENHANCEDSTATUSCODES");
  if (lk_bridge_session_can_starttls (session))
    lk_bridge_session_send (session, "250-STARTTLS");
  if (lk_bridge_session_may_log_in (session))
    lk_bridge_session_send (session, "250-AUTH PLAIN LOGIN");
  lk_bridge_session_send (session, "250 HELP");
}

static void
clear_login_user (LkSmtpSession *self)
{
  g_clear_pointer (&self->login_user, lk_secret_wipe);
}

static void
log_in (LkSmtpSession *self,
        const char    *user,
        const char    *password)
{
  self->sasl = SASL_NONE;
  lk_bridge_session_login (LK_BRIDGE_SESSION (self), user, password);
}

static void
plain_response (LkSmtpSession *self,
                const char    *response)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;

  self->sasl = SASL_NONE;
  if (!lk_sasl_plain_decode (response, &user, &password, NULL))
    {
      error_reply (self, "501 5.5.2 Cannot decode the AUTH PLAIN response");
      return;
    }
  log_in (self, user, password);
  lk_secret_wipe (g_steal_pointer (&password));
}

static void
sasl_response (LkSmtpSession *self,
               const char    *line)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);
  g_autofree char *field = NULL;

  if (lk_sasl_is_cancel (line))
    {
      self->sasl = SASL_NONE;
      clear_login_user (self);
      error_reply (self, "501 5.0.0 Authentication cancelled");
      return;
    }
  switch (self->sasl)
    {
    case SASL_PLAIN:
      plain_response (self, line);
      return;
    case SASL_LOGIN_USER:
      field = lk_sasl_login_decode (line, NULL);
      if (field == NULL)
        break;
      self->login_user = g_steal_pointer (&field);
      self->sasl = SASL_LOGIN_PASSWORD;
      lk_bridge_session_send (session, "334 " LK_SASL_LOGIN_PASSWORD_CHALLENGE);
      return;
    case SASL_LOGIN_PASSWORD:
      field = lk_sasl_login_decode (line, NULL);
      if (field == NULL)
        break;
      {
        g_autofree char *user = g_steal_pointer (&self->login_user);

        log_in (self, user, field);
        lk_secret_wipe (g_steal_pointer (&field));
      }
      return;
    case SASL_NONE:
    default:
      break;
    }
  self->sasl = SASL_NONE;
  clear_login_user (self);
  error_reply (self, "501 5.5.2 Cannot decode the AUTH LOGIN response");
}

static void
auth (LkSmtpSession *self,
      const char    *argument)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);
  const char *initial = NULL;
  g_autofree char *mechanism = lk_mail_command_next_word (argument, &initial);

  if (!self->ehlo)
    {
      error_reply (self, "503 5.5.1 Send EHLO first");
      return;
    }
  if (!lk_bridge_session_may_log_in (session))
    {
      error_reply (self, "530 5.7.0 Must issue a STARTTLS command first");
      return;
    }
  if (*mechanism == '\0')
    {
      error_reply (self, "501 5.5.4 AUTH needs a mechanism: PLAIN or LOGIN");
      return;
    }
  if (g_ascii_strcasecmp (mechanism, "PLAIN") == 0)
    {
      if (*initial == '\0')
        {
          self->sasl = SASL_PLAIN;
          lk_bridge_session_send (session, "334 ");
        }
      else if (strcmp (initial, "=") == 0)
        error_reply (self, "501 5.5.2 AUTH PLAIN needs a user name and password");
      else
        plain_response (self, initial);
      return;
    }
  if (g_ascii_strcasecmp (mechanism, "LOGIN") == 0)
    {
      if (*initial == '\0')
        {
          self->sasl = SASL_LOGIN_USER;
          lk_bridge_session_send (session, "334 " LK_SASL_LOGIN_USERNAME_CHALLENGE);
          return;
        }
      self->sasl = SASL_LOGIN_USER;
      if (strcmp (initial, "=") == 0)
        {
          self->sasl = SASL_NONE;
          error_reply (self, "501 5.5.2 AUTH LOGIN needs a user name");
          return;
        }
      sasl_response (self, initial);
      return;
    }
  /* Fail closed: a mechanism we do not speak is never passed on. */
  error_reply (self, "504 5.5.4 Unrecognized authentication type; use PLAIN or LOGIN");
}

static void
command (LkSmtpSession *self,
         const char    *line,
         gsize          length)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);
  g_auto(LkMailCommand) cmd = { 0 };
  const char *verb;

  if (!lk_mail_command_parse (line, length, &cmd, NULL))
    {
      error_reply (self, "500 5.5.2 Syntax error, command unrecognized");
      return;
    }
  verb = cmd.verb;
  if (strcmp (verb, "EHLO") == 0)
    ehlo (self);
  else if (strcmp (verb, "HELO") == 0)
    {
      self->ehlo = FALSE;
      lk_bridge_session_send (session, "250 localhost");
    }
  else if (strcmp (verb, "STARTTLS") == 0)
    {
      if (lk_bridge_session_can_starttls (session))
        {
          lk_bridge_session_send (session, "220 2.0.0 Ready to start TLS");
          lk_bridge_session_start_tls (session);
        }
      else if (lk_bridge_session_is_tls (session))
        error_reply (self, "503 5.5.1 TLS is already active");
      else
        error_reply (self, "454 4.7.0 TLS not available");
    }
  else if (strcmp (verb, "AUTH") == 0)
    auth (self, cmd.argument);
  else if (strcmp (verb, "NOOP") == 0)
    lk_bridge_session_send (session, "250 2.0.0 OK");
  else if (strcmp (verb, "RSET") == 0)
    lk_bridge_session_send (session, "250 2.0.0 OK");
  else if (strcmp (verb, "HELP") == 0)
    lk_bridge_session_send (session, "214 2.0.0 Log in with AUTH PLAIN or AUTH LOGIN first");
  else if (strcmp (verb, "QUIT") == 0)
    {
      lk_bridge_session_send (session, "221 2.0.0 Bye");
      lk_bridge_session_close (session);
    }
  else if (strcmp (verb, "MAIL") == 0 || strcmp (verb, "RCPT") == 0 || strcmp (verb, "DATA") == 0
           || strcmp (verb, "BDAT") == 0 || strcmp (verb, "VRFY") == 0
           || strcmp (verb, "EXPN") == 0 || strcmp (verb, "ETRN") == 0)
    error_reply (self, "530 5.7.0 Authentication required");
  else
    error_reply (self, "502 5.5.1 Command not implemented");
}

static gsize
lk_smtp_session_process (LkBridgeSession *session,
                         const guint8    *data,
                         gsize            length)
{
  LkSmtpSession *self = LK_SMTP_SESSION (session);
  g_autofree char *line = NULL;
  gsize consumed = lk_bridge_session_take_line (session, data, length, MAX_LINE,
                                                "500 5.5.2 Line too long", &line);
  gsize line_length;

  if (line == NULL)
    return consumed;
  line_length = strlen (line);
  if (memchr (data, '\0', consumed) != NULL)
    error_reply (self, "500 5.5.2 Syntax error, command unrecognized");
  else if (self->sasl != SASL_NONE)
    sasl_response (self, line);
  else
    command (self, line, line_length);
  memset (line, 0, line_length);
  return consumed;
}

static void
lk_smtp_session_tls_started (LkBridgeSession *session)
{
  LkSmtpSession *self = LK_SMTP_SESSION (session);

  /* RFC 3207 §4.2: forget everything from before; the client says EHLO
   * again. */
  self->ehlo = FALSE;
  self->sasl = SASL_NONE;
  clear_login_user (self);
}

/* RFC 4954 §6 and the bridge's classes: temporary failures are 454 (the
 * client tries again later), refusals 535. */
static void
lk_smtp_session_login_done (LkBridgeSession     *session,
                            const LkBridgeLogin *login)
{
  LkSmtpSession *self = LK_SMTP_SESSION (session);
  g_autofree char *message = lk_bridge_session_reply_text (login->message);

  switch (login->status)
    {
    case LK_BRIDGE_LOGIN_OK:
      lk_bridge_session_send (session, "235 2.7.0 Authentication successful");
      break;
    case LK_BRIDGE_LOGIN_REFUSED:
      error_reply (self, "535 5.7.8 Authentication credentials invalid");
      break;
    case LK_BRIDGE_LOGIN_TEMPORARY:
      lk_bridge_session_sendf (session, "454 4.7.0 %s", message);
      break;
    case LK_BRIDGE_LOGIN_PERMANENT:
    default:
      lk_bridge_session_sendf (session, "535 %s %s",
                               login->enhanced_code != NULL ? login->enhanced_code : "5.7.8",
                               message);
      break;
    }
}

static void
lk_smtp_session_goodbye (LkBridgeSession *session,
                         const char      *why)
{
  if (g_strcmp0 (why, "timeout") == 0)
    lk_bridge_session_send (session, "421 4.4.2 Timeout, closing the connection");
  else if (g_strcmp0 (why, "too-long") == 0)
    lk_bridge_session_send (session, "500 5.5.2 Line too long");
  else
    lk_bridge_session_send (session, "421 4.3.2 Latchkey bridge shutting down");
}

static void
lk_smtp_session_finalize (GObject *object)
{
  clear_login_user (LK_SMTP_SESSION (object));
  G_OBJECT_CLASS (lk_smtp_session_parent_class)->finalize (object);
}

static void
lk_smtp_session_class_init (LkSmtpSessionClass *klass)
{
  LkBridgeSessionClass *session_class = LK_BRIDGE_SESSION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = lk_smtp_session_finalize;
  session_class->greet = lk_smtp_session_greet;
  session_class->process = lk_smtp_session_process;
  session_class->tls_started = lk_smtp_session_tls_started;
  session_class->login_done = lk_smtp_session_login_done;
  session_class->goodbye = lk_smtp_session_goodbye;
}

static void
lk_smtp_session_init (LkSmtpSession *self)
{
}
