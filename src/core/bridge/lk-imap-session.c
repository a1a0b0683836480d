/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <string.h>

#include "bridge/lk-bridge-session-private.h"
#include "bridge/lk-imap-command.h"
#include "bridge/lk-imap-session.h"
#include "bridge/lk-mail-command.h"
#include "bridge/lk-sasl-password.h"
#include "lk-token-set.h"

/*
 * IMAP (RFC 9051, RFC 3501) in the not-authenticated state: CAPABILITY,
 * NOOP, LOGOUT, STARTTLS, ID (RFC 2971), LOGIN (atoms, quoted strings,
 * literals {n} and {n+}) and AUTHENTICATE PLAIN (SASL-IR, RFC 4959, or a
 * continuation; "*" cancels). The tagged OK of a login carries the
 * upstream's own capabilities after login, as servers do, so that the
 * client knows at once what it is talking to. Nothing else is accepted,
 * and no login form the bridge does not parse is passed on.
 */

#define MAX_SASL_LINE 8192

struct _LkImapSession
{
  LkBridgeSession  parent_instance;
  guint            prompts_sent;    /* continuation requests for the command being read */
  char            *sasl_tag;        /* AUTHENTICATE waiting for its response */
  char            *login_tag;       /* the login being checked */
};

G_DEFINE_FINAL_TYPE (LkImapSession, lk_imap_session, LK_TYPE_BRIDGE_SESSION)

static char *
capabilities (LkImapSession *self)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);
  GString *caps = g_string_new ("IMAP4rev1 SASL-IR LITERAL+ ID");

  if (lk_bridge_session_can_starttls (session))
    g_string_append (caps, " STARTTLS");
  if (lk_bridge_session_may_log_in (session))
    g_string_append (caps, " AUTH=PLAIN");
  else
    g_string_append (caps, " LOGINDISABLED");
  return g_string_free (caps, FALSE);
}

static void
tagged (LkImapSession *self,
        const char    *tag,
        const char    *text)
{
  lk_bridge_session_sendf (LK_BRIDGE_SESSION (self), "%s %s", tag != NULL ? tag : "*", text);
}

static void
bad (LkImapSession *self,
     const char    *tag,
     const char    *text)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);
  g_autofree char *line = g_strconcat ("BAD ", text, NULL);

  tagged (self, tag, line);
  lk_bridge_session_count_error (session, "* BYE Too many errors");
}

static void
lk_imap_session_greet (LkBridgeSession *session)
{
  g_autofree char *caps = capabilities (LK_IMAP_SESSION (session));

  lk_bridge_session_sendf (session, "* OK [CAPABILITY %s] Latchkey bridge ready.", caps);
}

static void
log_in (LkImapSession *self,
        const char    *tag,
        const char    *user,
        const char    *password)
{
  g_free (self->login_tag);
  self->login_tag = g_strdup (tag);
  lk_bridge_session_login (LK_BRIDGE_SESSION (self), user, password);
}

static void
plain_response (LkImapSession *self,
                const char    *tag,
                const char    *response)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;

  if (!lk_sasl_plain_decode (response, &user, &password, NULL))
    {
      bad (self, tag, "Invalid AUTHENTICATE PLAIN response.");
      return;
    }
  log_in (self, tag, user, password);
  lk_secret_wipe (g_steal_pointer (&password));
}

static gboolean
refuse_before_tls (LkImapSession *self,
                   const char    *tag)
{
  if (lk_bridge_session_may_log_in (LK_BRIDGE_SESSION (self)))
    return FALSE;
  /* RFC 5530 */
  tagged (self, tag, "NO [PRIVACYREQUIRED] Log in after STARTTLS.");
  return TRUE;
}

static void
authenticate (LkImapSession       *self,
              const LkImapCommand *cmd)
{
  const char *mechanism = lk_imap_command_get_string (cmd, 0);
  const char *initial = lk_imap_command_get_string (cmd, 1);

  if (mechanism == NULL || cmd->args->len > 2 || (cmd->args->len == 2 && initial == NULL))
    {
      bad (self, cmd->tag, "AUTHENTICATE needs a mechanism and at most an initial response.");
      return;
    }
  if (refuse_before_tls (self, cmd->tag))
    return;
  if (g_ascii_strcasecmp (mechanism, "PLAIN") != 0)
    {
      /* Fail closed: never passed on. */
      tagged (self, cmd->tag, "NO Unsupported authentication mechanism; use PLAIN or LOGIN.");
      return;
    }
  if (initial == NULL)
    {
      g_free (self->sasl_tag);
      self->sasl_tag = g_strdup (cmd->tag);
      lk_bridge_session_send (LK_BRIDGE_SESSION (self), "+ ");
      return;
    }
  if (strcmp (initial, "=") == 0)   /* RFC 4959: an empty initial response */
    {
      bad (self, cmd->tag, "AUTHENTICATE PLAIN needs a user name and password.");
      return;
    }
  plain_response (self, cmd->tag, initial);
}

static void
login (LkImapSession       *self,
       const LkImapCommand *cmd)
{
  const char *user = lk_imap_command_get_string (cmd, 0);
  const char *password = lk_imap_command_get_string (cmd, 1);

  if (cmd->args->len != 2 || user == NULL || password == NULL)
    {
      bad (self, cmd->tag, "LOGIN needs a user name and a password.");
      return;
    }
  if (refuse_before_tls (self, cmd->tag))
    return;
  log_in (self, cmd->tag, user, password);
}

static void
id (LkImapSession       *self,
    const LkImapCommand *cmd)
{
  LkImapArg *arg = cmd->args->len == 1 ? g_ptr_array_index (cmd->args, 0) : NULL;

  if (arg == NULL || (arg->kind == LK_IMAP_ARG_ATOM && g_ascii_strcasecmp (arg->value, "NIL") != 0)
      || arg->kind == LK_IMAP_ARG_STRING)
    {
      bad (self, cmd->tag, "ID needs NIL or a list.");
      return;
    }
  lk_bridge_session_send (LK_BRIDGE_SESSION (self),
                          "* ID (\"name\" \"Latchkey bridge\" \"version\" \"" PACKAGE_VERSION "\")");
  tagged (self, cmd->tag, "OK ID completed.");
}

static void
command (LkImapSession       *self,
         const LkImapCommand *cmd)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);
  const char *name = cmd->name;

  if (strcmp (name, "CAPABILITY") == 0)
    {
      g_autofree char *caps = capabilities (self);

      lk_bridge_session_sendf (session, "* CAPABILITY %s", caps);
      tagged (self, cmd->tag, "OK Capability completed.");
    }
  else if (strcmp (name, "NOOP") == 0)
    tagged (self, cmd->tag, "OK NOOP completed.");
  else if (strcmp (name, "LOGOUT") == 0)
    {
      lk_bridge_session_send (session, "* BYE Logging out");
      tagged (self, cmd->tag, "OK Logout completed.");
      lk_bridge_session_close (session);
    }
  else if (strcmp (name, "STARTTLS") == 0)
    {
      if (lk_bridge_session_can_starttls (session))
        {
          tagged (self, cmd->tag, "OK Begin TLS negotiation now.");
          lk_bridge_session_start_tls (session);
        }
      else if (lk_bridge_session_is_tls (session))
        bad (self, cmd->tag, "TLS is already active.");
      else
        tagged (self, cmd->tag, "NO STARTTLS is not available.");
    }
  else if (strcmp (name, "ID") == 0)
    id (self, cmd);
  else if (strcmp (name, "LOGIN") == 0)
    login (self, cmd);
  else if (strcmp (name, "AUTHENTICATE") == 0)
    authenticate (self, cmd);
  else
    bad (self, cmd->tag, "Log in first.");
}

static gsize
sasl_line (LkImapSession *self,
           const guint8  *data,
           gsize          length)
{
  g_autofree char *tag = NULL;
  g_autofree char *line = NULL;
  gsize consumed = lk_bridge_session_take_line (LK_BRIDGE_SESSION (self), data, length,
                                                MAX_SASL_LINE, "* BYE Line too long", &line);

  if (line == NULL)
    return consumed;
  tag = g_steal_pointer (&self->sasl_tag);
  if (memchr (data, '\0', consumed) != NULL)
    bad (self, tag, "Invalid AUTHENTICATE PLAIN response.");
  else if (lk_sasl_is_cancel (line))
    bad (self, tag, "Authentication cancelled.");   /* RFC 9051 §6.2.2 */
  else
    plain_response (self, tag, line);
  memset (line, 0, strlen (line));
  return consumed;
}

static gsize
lk_imap_session_process (LkBridgeSession *session,
                         const guint8    *data,
                         gsize            length)
{
  LkImapSession *self = LK_IMAP_SESSION (session);
  g_auto(LkImapCommand) cmd = { 0 };
  g_autoptr(GError) error = NULL;
  gsize consumed = 0;
  guint prompts = 0;

  if (self->sasl_tag != NULL)
    return sasl_line (self, data, length);

  switch (lk_imap_command_parse (data, length, &cmd, &consumed, &prompts, &error))
    {
    case LK_IMAP_PARSE_INCOMPLETE:
      /* RFC 9051 §7.5: one "+" per synchronising literal. */
      for (; self->prompts_sent < prompts; self->prompts_sent++)
        lk_bridge_session_send (session, "+ Ready for literal data");
      return 0;
    case LK_IMAP_PARSE_TOO_LONG:
      lk_bridge_session_sendf (session, "* BYE %s", error->message);
      lk_bridge_session_close (session);
      return length;
    case LK_IMAP_PARSE_BAD:
      self->prompts_sent = 0;
      bad (self, cmd.tag, error->message);
      return consumed;
    case LK_IMAP_PARSE_COMPLETE:
    default:
      self->prompts_sent = 0;
      command (self, &cmd);
      return consumed;
    }
}

static void
lk_imap_session_tls_started (LkBridgeSession *session)
{
  LkImapSession *self = LK_IMAP_SESSION (session);

  /* RFC 9051 §6.2.1: the client asks for the capabilities again. */
  g_clear_pointer (&self->sasl_tag, g_free);
  self->prompts_sent = 0;
}

static void
lk_imap_session_login_done (LkBridgeSession     *session,
                            const LkBridgeLogin *login)
{
  LkImapSession *self = LK_IMAP_SESSION (session);
  g_autofree char *tag = g_steal_pointer (&self->login_tag);
  g_autofree char *message = lk_bridge_session_reply_text (login->message);

  switch (login->status)
    {
    case LK_BRIDGE_LOGIN_OK:
      if (login->capabilities != NULL && login->capabilities[0] != NULL)
        {
          g_autofree char *caps = g_strjoinv (" ", login->capabilities);

          lk_bridge_session_sendf (session, "%s OK [CAPABILITY %s] Logged in", tag, caps);
        }
      else
        lk_bridge_session_sendf (session, "%s OK Logged in", tag);
      break;
    case LK_BRIDGE_LOGIN_REFUSED:
      tagged (self, tag, "NO [AUTHENTICATIONFAILED] Authentication failed.");
      break;
    case LK_BRIDGE_LOGIN_TEMPORARY:
      lk_bridge_session_sendf (session, "%s NO [UNAVAILABLE] %s", tag, message);
      break;
    case LK_BRIDGE_LOGIN_PERMANENT:
    default:
      lk_bridge_session_sendf (session, "%s NO %s", tag, message);
      break;
    }
}

static void
lk_imap_session_goodbye (LkBridgeSession *session,
                         const char      *why)
{
  if (g_strcmp0 (why, "timeout") == 0)
    lk_bridge_session_send (session, "* BYE Autologout; no login in time");
  else if (g_strcmp0 (why, "too-long") == 0)
    lk_bridge_session_send (session, "* BYE Command too long");
  else
    lk_bridge_session_send (session, "* BYE Latchkey bridge shutting down");
}

static void
lk_imap_session_finalize (GObject *object)
{
  LkImapSession *self = LK_IMAP_SESSION (object);

  g_free (self->sasl_tag);
  g_free (self->login_tag);
  G_OBJECT_CLASS (lk_imap_session_parent_class)->finalize (object);
}

static void
lk_imap_session_class_init (LkImapSessionClass *klass)
{
  LkBridgeSessionClass *session_class = LK_BRIDGE_SESSION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = lk_imap_session_finalize;
  session_class->greet = lk_imap_session_greet;
  session_class->process = lk_imap_session_process;
  session_class->tls_started = lk_imap_session_tls_started;
  session_class->login_done = lk_imap_session_login_done;
  session_class->goodbye = lk_imap_session_goodbye;
}

static void
lk_imap_session_init (LkImapSession *self)
{
}
