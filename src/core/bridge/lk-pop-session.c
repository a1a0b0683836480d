/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <string.h>

#include "bridge/lk-bridge-session-private.h"
#include "bridge/lk-mail-command.h"
#include "bridge/lk-pop-session.h"
#include "bridge/lk-sasl-password.h"
#include "lk-token-set.h"

/*
 * POP3 (RFC 1939) in the AUTHORIZATION state: CAPA (RFC 2449), STLS
 * (RFC 2595), USER/PASS, AUTH PLAIN (RFC 5034: initial response, "=" for
 * an empty one, or a "+" continuation; "*" cancels; AUTH alone lists the
 * mechanisms), NOOP, QUIT. Errors carry RFC 2449/3206 response codes:
 * [AUTH] for a wrong password, [SYS/TEMP] for what a retry may cure,
 * [SYS/PERM] for what it will not.
 *
 * CAPA before login lists only what the bridge does; RFC 2449 §5 tells
 * clients to ask again after login, when the upstream answers.
 */

#define MAX_LINE   8192

struct _LkPopSession
{
  LkBridgeSession  parent_instance;
  char            *user;          /* from USER, waiting for PASS */
  gboolean         sasl;          /* AUTH PLAIN waiting for its response */
};

G_DEFINE_FINAL_TYPE (LkPopSession, lk_pop_session, LK_TYPE_BRIDGE_SESSION)

static void
error_reply (LkPopSession *self,
             const char   *line)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);

  lk_bridge_session_send (session, line);
  lk_bridge_session_count_error (session, "-ERR Too many errors, closing the connection");
}

static void
lk_pop_session_greet (LkBridgeSession *session)
{
  lk_bridge_session_send (session, "+OK Latchkey bridge ready.");
}

static void
capa (LkPopSession *self)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);

  lk_bridge_session_send (session, "+OK Capability list follows");
  if (lk_bridge_session_may_log_in (session))
    {
      lk_bridge_session_send (session, "USER");
      lk_bridge_session_send (session, "SASL PLAIN");
    }
  if (lk_bridge_session_can_starttls (session))
    lk_bridge_session_send (session, "STLS");
  lk_bridge_session_send (session, "RESP-CODES");
  lk_bridge_session_send (session, "AUTH-RESP-CODE");
  lk_bridge_session_send (session, "IMPLEMENTATION Latchkey-bridge");
  lk_bridge_session_send (session, ".");
}

static void
plain_response (LkPopSession *self,
                const char   *response)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;

  if (!lk_sasl_plain_decode (response, &user, &password, NULL))
    {
      error_reply (self, "-ERR Invalid AUTH PLAIN response");
      return;
    }
  lk_bridge_session_login (LK_BRIDGE_SESSION (self), user, password);
  lk_secret_wipe (g_steal_pointer (&password));
}

static gboolean
refuse_before_tls (LkPopSession *self)
{
  if (lk_bridge_session_may_log_in (LK_BRIDGE_SESSION (self)))
    return FALSE;
  error_reply (self, "-ERR [AUTH] Log in after STLS");
  return TRUE;
}

static void
auth (LkPopSession *self,
      const char   *argument)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);
  const char *initial = NULL;
  g_autofree char *mechanism = lk_mail_command_next_word (argument, &initial);

  if (*mechanism == '\0')
    {
      /* Not in RFC 5034, but many clients ask this way (as Dovecot and
       * Exchange answer it). */
      lk_bridge_session_send (session, "+OK");
      if (lk_bridge_session_may_log_in (session))
        lk_bridge_session_send (session, "PLAIN");
      lk_bridge_session_send (session, ".");
      return;
    }
  if (refuse_before_tls (self))
    return;
  if (g_ascii_strcasecmp (mechanism, "PLAIN") != 0)
    {
      error_reply (self, "-ERR Unsupported authentication mechanism; use PLAIN or USER/PASS");
      return;
    }
  if (*initial == '\0')
    {
      self->sasl = TRUE;
      lk_bridge_session_send (session, "+ ");
      return;
    }
  if (strcmp (initial, "=") == 0)
    {
      error_reply (self, "-ERR AUTH PLAIN needs a user name and password");
      return;
    }
  plain_response (self, initial);
}

static void
command (LkPopSession *self,
         const char   *line,
         gsize         length)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);
  g_auto(LkMailCommand) cmd = { 0 };
  const char *verb;

  if (!lk_mail_command_parse (line, length, &cmd, NULL))
    {
      error_reply (self, "-ERR Unknown command");
      return;
    }
  verb = cmd.verb;
  if (strcmp (verb, "CAPA") == 0)
    capa (self);
  else if (strcmp (verb, "STLS") == 0)
    {
      if (lk_bridge_session_can_starttls (session))
        {
          lk_bridge_session_send (session, "+OK Begin TLS negotiation");
          lk_bridge_session_start_tls (session);
        }
      else if (lk_bridge_session_is_tls (session))
        error_reply (self, "-ERR TLS is already active");
      else
        error_reply (self, "-ERR STLS is not available");
    }
  else if (strcmp (verb, "USER") == 0)
    {
      if (refuse_before_tls (self))
        return;
      if (*cmd.argument == '\0')
        {
          error_reply (self, "-ERR USER needs a user name");
          return;
        }
      g_free (self->user);
      self->user = g_strdup (cmd.argument);
      lk_bridge_session_send (session, "+OK");
    }
  else if (strcmp (verb, "PASS") == 0)
    {
      g_autofree char *user = g_steal_pointer (&self->user);

      if (refuse_before_tls (self))
        return;
      if (user == NULL)
        error_reply (self, "-ERR Send USER first");
      else
        lk_bridge_session_login (session, user, cmd.argument);
    }
  else if (strcmp (verb, "AUTH") == 0)
    auth (self, cmd.argument);
  else if (strcmp (verb, "NOOP") == 0)
    lk_bridge_session_send (session, "+OK");
  else if (strcmp (verb, "QUIT") == 0)
    {
      lk_bridge_session_send (session, "+OK Bye");
      lk_bridge_session_close (session);
    }
  else if (strcmp (verb, "STAT") == 0 || strcmp (verb, "LIST") == 0 || strcmp (verb, "RETR") == 0
           || strcmp (verb, "DELE") == 0 || strcmp (verb, "UIDL") == 0 || strcmp (verb, "TOP") == 0
           || strcmp (verb, "RSET") == 0 || strcmp (verb, "LAST") == 0)
    error_reply (self, "-ERR Log in first");
  else
    error_reply (self, "-ERR Unknown command");
}

static gsize
lk_pop_session_process (LkBridgeSession *session,
                        const guint8    *data,
                        gsize            length)
{
  LkPopSession *self = LK_POP_SESSION (session);
  g_autofree char *line = NULL;
  gsize consumed = lk_bridge_session_take_line (session, data, length, MAX_LINE,
                                                "-ERR Line too long", &line);
  gsize line_length;

  if (line == NULL)
    return consumed;
  line_length = strlen (line);
  if (memchr (data, '\0', consumed) != NULL)
    {
      self->sasl = FALSE;
      error_reply (self, "-ERR Unknown command");
    }
  else if (self->sasl)
    {
      self->sasl = FALSE;
      if (lk_sasl_is_cancel (line))
        error_reply (self, "-ERR Authentication cancelled");
      else
        plain_response (self, line);
    }
  else
    command (self, line, line_length);
  memset (line, 0, line_length);
  return consumed;
}

static void
lk_pop_session_tls_started (LkBridgeSession *session)
{
  LkPopSession *self = LK_POP_SESSION (session);

  g_clear_pointer (&self->user, g_free);
  self->sasl = FALSE;
}

static void
lk_pop_session_login_done (LkBridgeSession     *session,
                           const LkBridgeLogin *login)
{
  LkPopSession *self = LK_POP_SESSION (session);
  g_autofree char *message = lk_bridge_session_reply_text (login->message);

  switch (login->status)
    {
    case LK_BRIDGE_LOGIN_OK:
      lk_bridge_session_send (session, "+OK Logged in.");
      break;
    case LK_BRIDGE_LOGIN_REFUSED:
      error_reply (self, "-ERR [AUTH] Authentication failed.");
      break;
    case LK_BRIDGE_LOGIN_TEMPORARY:
      lk_bridge_session_sendf (session, "-ERR [SYS/TEMP] %s", message);
      break;
    case LK_BRIDGE_LOGIN_PERMANENT:
    default:
      lk_bridge_session_sendf (session, "-ERR [SYS/PERM] %s", message);
      break;
    }
}

static void
lk_pop_session_goodbye (LkBridgeSession *session,
                        const char      *why)
{
  if (g_strcmp0 (why, "timeout") == 0)
    lk_bridge_session_send (session, "-ERR Timeout, no login in time");
  else if (g_strcmp0 (why, "too-long") == 0)
    lk_bridge_session_send (session, "-ERR Line too long");
  else
    lk_bridge_session_send (session, "-ERR [SYS/TEMP] Latchkey bridge shutting down");
}

static void
lk_pop_session_finalize (GObject *object)
{
  LkPopSession *self = LK_POP_SESSION (object);

  g_free (self->user);
  G_OBJECT_CLASS (lk_pop_session_parent_class)->finalize (object);
}

static void
lk_pop_session_class_init (LkPopSessionClass *klass)
{
  LkBridgeSessionClass *session_class = LK_BRIDGE_SESSION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = lk_pop_session_finalize;
  session_class->greet = lk_pop_session_greet;
  session_class->process = lk_pop_session_process;
  session_class->tls_started = lk_pop_session_tls_started;
  session_class->login_done = lk_pop_session_login_done;
  session_class->goodbye = lk_pop_session_goodbye;
}

static void
lk_pop_session_init (LkPopSession *self)
{
}
