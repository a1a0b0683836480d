/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <string.h>

#include "bridge/lk-bridge-queue.h"
#include "bridge/lk-bridge-session-private.h"
#include "bridge/lk-bridge-log.h"
#include "bridge/lk-mail-header.h"
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
 *
 * A device of the office bridge is not relayed: after its AUTH the session
 * takes its mail itself — MAIL, RCPT, DATA (RFC 5321) — into the spool
 * (LkBridgeSpool), answers 250 only once the message is safely there, and
 * LkBridgeQueue delivers it (doc/bridge-office.md). A pinned sender is
 * checked at MAIL FROM and in the From: header, the hourly cap at MAIL.
 */

/* What the spool takes per message; advertised as SIZE (RFC 1870). */
#define MAX_MESSAGE_SIZE   (50 * 1024 * 1024)
/* RFC 5321 §4.5.3.1.8: at least 100 recipients must be taken. */
#define MAX_RECIPIENTS     100
/* Lines of a message: RFC 5321 allows 1000 octets; what printers send is
 * shorter still. Longer ones are refused at the final dot. */
#define MAX_DATA_LINE      (32 * 1024)
/* The header block read for From: (RFC 5322 §3.6.2). */
#define MAX_HEADERS        (64 * 1024)

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

  /* A device logged in: its mail goes into the spool. */
  LkBridgeUser        *device;
  char                *mail_from;
  GPtrArray           *recipients;
  LkBridgeSpoolWriter *writer;
  gboolean             in_data;
  gboolean             skipping_line;
  GString             *headers;
  gboolean             headers_done;
  char                *data_error;   /* the reply to the final dot instead of 250 */
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
reset_transaction (LkSmtpSession *self)
{
  g_clear_pointer (&self->mail_from, g_free);
  g_clear_pointer (&self->recipients, g_ptr_array_unref);
  g_clear_pointer (&self->writer, lk_bridge_spool_writer_free);
  if (self->headers != NULL)
    g_string_free (self->headers, TRUE);
  self->headers = NULL;
  self->headers_done = FALSE;
  self->in_data = FALSE;
  self->skipping_line = FALSE;
  g_clear_pointer (&self->data_error, g_free);
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

/* ── A device's mail, into the spool ───────────────────────────────────── */

static void
device_ehlo (LkSmtpSession *self)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);

  self->ehlo = TRUE;
  reset_transaction (self);
  lk_bridge_session_send (session, "250-localhost");
  lk_bridge_session_send (session, "250-8BITMIME");
  lk_bridge_session_send (session, "250-ENHANCEDSTATUSCODES");
  lk_bridge_session_sendf (session, "250-SIZE %u", MAX_MESSAGE_SIZE);
  lk_bridge_session_send (session, "250 HELP");
}

static void
device_mail (LkSmtpSession *self,
             const char    *argument)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);
  LkBridge *bridge = lk_bridge_session_get_bridge (session);
  const char *rest = NULL;
  g_autofree char *path = NULL;
  g_auto(GStrv) parameters = NULL;
  guint wait = 0;

  if (self->mail_from != NULL)
    {
      error_reply (self, "503 5.5.1 Nested MAIL command");
      return;
    }
  if (g_ascii_strncasecmp (argument, "FROM:", 5) != 0
      || (path = lk_mail_path_parse (argument + 5, &rest)) == NULL)
    {
      error_reply (self, "501 5.1.7 Syntax: MAIL FROM:<address>");
      return;
    }
  parameters = g_strsplit (rest, " ", -1);
  for (guint i = 0; parameters[i] != NULL; i++)
    {
      if (parameters[i][0] == '\0' || g_ascii_strcasecmp (parameters[i], "BODY=7BIT") == 0
          || g_ascii_strcasecmp (parameters[i], "BODY=8BITMIME") == 0)
        continue;
      if (g_ascii_strncasecmp (parameters[i], "SIZE=", 5) == 0)
        {
          if (g_ascii_strtoull (parameters[i] + 5, NULL, 10) > MAX_MESSAGE_SIZE)
            {
              lk_bridge_session_sendf (session, "552 5.3.4 Message too big: the bridge takes "
                                       "up to %u bytes", MAX_MESSAGE_SIZE);
              return;
            }
          continue;
        }
      error_reply (self, "555 5.5.4 MAIL parameter not recognized");
      return;
    }
  if (self->device->sender != NULL && g_ascii_strcasecmp (path, self->device->sender) != 0)
    {
      lk_bridge_session_sendf (session, "550 5.7.1 This device may send only as %s, not as "
                               "%s (ask IT: latchkey-cli bridge device list)",
                               self->device->sender, path[0] != '\0' ? path : "<>");
      lk_bridge_device_failed (bridge, self->device->name, "tried to send as another sender");
      return;
    }
  if (!lk_bridge_device_may_send (bridge, self->device, &wait))
    {
      lk_bridge_session_sendf (session, "450 4.7.1 This device has sent its %u messages for "
                               "this hour; try again in %u minutes", self->device->max_per_hour,
                               (wait + 59) / 60);
      lk_bridge_device_failed (bridge, self->device->name, "reached its hourly cap");
      return;
    }
  self->mail_from = g_steal_pointer (&path);
  self->recipients = g_ptr_array_new_with_free_func (g_free);
  lk_bridge_session_send (session, "250 2.1.0 OK");
}

static void
device_rcpt (LkSmtpSession *self,
             const char    *argument)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);
  const char *rest = NULL;
  g_autofree char *path = NULL;

  if (self->mail_from == NULL)
    {
      error_reply (self, "503 5.5.1 Need MAIL before RCPT");
      return;
    }
  if (g_ascii_strncasecmp (argument, "TO:", 3) != 0
      || (path = lk_mail_path_parse (argument + 3, &rest)) == NULL || path[0] == '\0'
      || *rest != '\0')
    {
      error_reply (self, "501 5.1.3 Syntax: RCPT TO:<address>");
      return;
    }
  if (self->recipients->len >= MAX_RECIPIENTS)
    {
      lk_bridge_session_send (session, "452 4.5.3 Too many recipients");
      return;
    }
  g_ptr_array_add (self->recipients, g_steal_pointer (&path));
  lk_bridge_session_send (session, "250 2.1.5 OK");
}

static void
device_data (LkSmtpSession *self)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);
  LkBridgeQueue *queue = lk_bridge_get_queue (lk_bridge_session_get_bridge (session));
  g_autoptr(GError) error = NULL;

  if (self->recipients == NULL || self->recipients->len == 0)
    {
      error_reply (self, "503 5.5.1 Need RCPT before DATA");
      return;
    }
  if (queue == NULL
      || (self->writer = lk_bridge_spool_writer_new (lk_bridge_queue_get_spool (queue), &error)) == NULL)
    {
      g_warning ("%s", error != NULL ? error->message : "the bridge runs without a spool");
      lk_bridge_session_send (session, "451 4.3.0 The bridge cannot take mail right now; try "
                              "again later");
      return;
    }
  self->in_data = TRUE;
  self->headers = g_string_new (NULL);
  lk_bridge_session_send (session, "354 Start mail input; end with <CRLF>.<CRLF>");
}

/* Whether the From: header names the pinned sender, and only it. */
static gboolean
from_header_allowed (LkSmtpSession *self)
{
  g_auto(GStrv) addresses = NULL;

  if (self->device->sender == NULL)
    return TRUE;
  addresses = lk_mail_header_from_addresses (self->headers->str, self->headers->len);
  if (addresses[0] == NULL)
    return FALSE;
  for (guint i = 0; addresses[i] != NULL; i++)
    if (g_ascii_strcasecmp (addresses[i], self->device->sender) != 0)
      return FALSE;
  return TRUE;
}

/* The final dot: into the spool, or refused with the reason. */
static void committed_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
end_of_data (LkSmtpSession *self)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);
  LkBridge *bridge = lk_bridge_session_get_bridge (session);
  LkBridgeSpoolEntry envelope = { 0 };

  self->in_data = FALSE;
  if (self->data_error != NULL)
    {
      lk_bridge_session_send (session, self->data_error);
      reset_transaction (self);
      return;
    }
  if (!from_header_allowed (self))
    {
      lk_bridge_session_sendf (session, "550 5.7.1 This device may send only as %s: the "
                               "From: header must be that address", self->device->sender);
      lk_bridge_device_failed (bridge, self->device->name, "its From: header named another sender");
      reset_transaction (self);
      return;
    }
  g_ptr_array_add (self->recipients, NULL);
  envelope.device = self->device->name;
  envelope.account = self->device->account;
  envelope.sender = self->mail_from;
  envelope.recipients = (GStrv) self->recipients->pdata;
  /* The fsyncs in a worker thread; this session reads nothing meanwhile,
   * the others go on. */
  lk_bridge_session_hold (session);
  lk_bridge_spool_writer_commit_async (self->writer, &envelope, committed_cb, g_object_ref (self));
  g_ptr_array_remove_index (self->recipients, self->recipients->len - 1);
}

/* The message is in the spool (or could not be put there): answer. */
static void
committed_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(LkSmtpSession) self = user_data;
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);
  LkBridge *bridge = lk_bridge_session_get_bridge (session);
  LkBridgeQueue *queue = lk_bridge_get_queue (bridge);
  g_autoptr(LkBridgeSpoolEntry) entry = NULL;
  g_autoptr(GError) error = NULL;
  LkBridgeLogFields fields = LK_BRIDGE_LOG_FIELDS_INIT;

  entry = lk_bridge_spool_writer_commit_finish (result, &error);
  if (entry == NULL)
    {
      g_warning ("%s", error->message);
      lk_bridge_session_send (session, "451 4.3.0 The bridge could not store the message; try "
                              "again later");
      reset_transaction (self);
      lk_bridge_session_release (session);
      return;
    }
  lk_bridge_device_sent (bridge, self->device);
  fields.protocol = "smtp";
  fields.user = self->device->name;
  fields.account = self->device->account;
  fields.source_address = lk_bridge_session_get_source_address (session);
  fields.result = "queued";
  fields.bytes_in = entry->size;
  lk_bridge_log (G_LOG_LEVEL_MESSAGE, &fields, "queue %s from %s: accepted, %" G_GOFFSET_FORMAT
                 " bytes for %u recipient(s)", entry->id, self->device->name, entry->size,
                 g_strv_length (entry->recipients));
  lk_bridge_session_sendf (session, "250 2.0.0 OK: queued as %s", entry->id);
  /* Even when the client has gone meanwhile: the message was accepted. */
  if (queue != NULL)
    lk_bridge_queue_add (queue, entry);
  reset_transaction (self);
  lk_bridge_session_release (session);
}

/* One line of the message (its line end cut off). */
static void
data_line (LkSmtpSession *self,
           const guint8  *line,
           gsize          length)
{
  g_autoptr(GError) error = NULL;

  /* RFC 5321 §4.5.2: a leading dot was doubled by the client. */
  if (length > 0 && line[0] == '.')
    {
      line++;
      length--;
    }
  if (!self->headers_done)
    {
      if (length == 0 || self->headers->len + length > MAX_HEADERS)
        self->headers_done = TRUE;
      else
        {
          g_string_append_len (self->headers, (const char *) line, length);
          g_string_append_c (self->headers, '\n');
        }
    }
  if (self->data_error != NULL)
    return;
  if (lk_bridge_spool_writer_get_size (self->writer) + length + 2 > MAX_MESSAGE_SIZE)
    {
      self->data_error = g_strdup_printf ("552 5.3.4 Message too big: the bridge takes up to %u "
                                          "bytes", MAX_MESSAGE_SIZE);
      return;
    }
  if (!lk_bridge_spool_writer_write (self->writer, line, length, &error)
      || !lk_bridge_spool_writer_write (self->writer, "\r\n", 2, &error))
    {
      g_warning ("%s", error->message);
      self->data_error = g_strdup ("451 4.3.0 The bridge could not store the message; try again "
                                   "later");
    }
}

/* Whole lines that go into the spool as they are. */
static void
data_run (LkSmtpSession *self,
          const guint8  *data,
          gsize          length)
{
  g_autoptr(GError) error = NULL;

  if (length == 0 || self->data_error != NULL)
    return;
  if (lk_bridge_spool_writer_get_size (self->writer) + length > MAX_MESSAGE_SIZE)
    {
      self->data_error = g_strdup_printf ("552 5.3.4 Message too big: the bridge takes up to %u "
                                          "bytes", MAX_MESSAGE_SIZE);
      return;
    }
  if (!lk_bridge_spool_writer_write (self->writer, data, length, &error))
    {
      g_warning ("%s", error->message);
      self->data_error = g_strdup ("451 4.3.0 The bridge could not store the message; try again "
                                   "later");
    }
}

/* Takes every whole line of the message in @data at once (one call per
 * read, not per line). */
static gsize
data_process (LkSmtpSession *self,
              const guint8  *data,
              gsize          length)
{
  gsize done = 0;
  gsize run = 0;     /* whole CRLF lines from @run to @done that need no change */

  while (done < length && self->in_data)
    {
      gsize line_length = 0, consumed = 0;
      LkLineStatus status;

      if (self->skipping_line)
        {
          const guint8 *nl = memchr (data + done, '\n', length - done);

          done = nl != NULL ? (gsize) (nl - data) + 1 : length;
          run = done;
          if (nl != NULL)
            self->skipping_line = FALSE;
          continue;
        }
      status = lk_mail_line_find (data + done, length - done, MAX_DATA_LINE, &line_length, &consumed);
      /* The body's ordinary lines (most of a scan's base64) are stored
       * as they came, many at a time: only the header block, a leading
       * dot and a lone LF need a look of their own. */
      if (status == LK_LINE_FOUND && self->headers_done && self->data_error == NULL
          && line_length > 0 && data[done] != '.' && consumed == line_length + 2)
        {
          done += consumed;
          continue;
        }
      data_run (self, data + run, done - run);
      run = done;
      if (status == LK_LINE_INCOMPLETE)
        return done;
      if (status == LK_LINE_TOO_LONG)
        {
          if (self->data_error == NULL)
            self->data_error = g_strdup ("500 5.5.2 A line of the message is too long");
          self->skipping_line = TRUE;
          if (consumed == 0)
            return length;
          done += consumed;
          run = done;
          continue;
        }
      if (line_length == 1 && data[done] == '.')
        {
          done += consumed;
          end_of_data (self);
          return done;
        }
      data_line (self, data + done, line_length);
      done += consumed;
      run = done;
    }
  data_run (self, data + run, done - run);
  return done;
}

static void
device_command (LkSmtpSession *self,
                const char    *verb,
                const char    *argument)
{
  LkBridgeSession *session = LK_BRIDGE_SESSION (self);

  if (strcmp (verb, "EHLO") == 0)
    device_ehlo (self);
  else if (strcmp (verb, "HELO") == 0)
    {
      reset_transaction (self);
      lk_bridge_session_send (session, "250 localhost");
    }
  else if (strcmp (verb, "MAIL") == 0)
    device_mail (self, argument);
  else if (strcmp (verb, "RCPT") == 0)
    device_rcpt (self, argument);
  else if (strcmp (verb, "DATA") == 0)
    device_data (self);
  else if (strcmp (verb, "RSET") == 0)
    {
      reset_transaction (self);
      lk_bridge_session_send (session, "250 2.0.0 OK");
    }
  else if (strcmp (verb, "NOOP") == 0)
    lk_bridge_session_send (session, "250 2.0.0 OK");
  else if (strcmp (verb, "QUIT") == 0)
    {
      lk_bridge_session_send (session, "221 2.0.0 Bye");
      lk_bridge_session_close (session);
    }
  else if (strcmp (verb, "AUTH") == 0)
    error_reply (self, "503 5.5.1 Already authenticated");
  else if (strcmp (verb, "STARTTLS") == 0)
    error_reply (self, "503 5.5.1 TLS is already active or no longer possible");
  else if (strcmp (verb, "VRFY") == 0)
    lk_bridge_session_send (session, "252 2.1.5 Cannot verify; send and see");
  else if (strcmp (verb, "HELP") == 0)
    lk_bridge_session_send (session, "214 2.0.0 MAIL, RCPT, DATA, RSET, NOOP, QUIT");
  else
    error_reply (self, "502 5.5.1 Command not implemented");
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
  if (self->device == NULL && strcmp (verb, "MAIL") == 0 && self->sasl == SASL_NONE)
    {
      /* --relay-without-auth: a device that cannot log in at all sends
       * from its address as the device the rule names. */
      LkBridge *bridge = lk_bridge_session_get_bridge (session);
      g_autofree char *refusal = NULL;

      self->device = lk_bridge_relay_device (bridge, lk_bridge_session_get_source_address (session),
                                             lk_bridge_session_get_id (session), &refusal);
      if (refusal != NULL)
        {
          /* Permanent, as for its login (lk-bridge.c): X.7.13 "User
           * Account Disabled" (RFC 5248's registry); 550 refuses the
           * transaction, as there was no AUTH (RFC 5321 §4.2.3). */
          g_autofree char *reply = g_strdup_printf ("550 5.7.13 %s", refusal);

          error_reply (self, reply);
          return;
        }
      if (self->device != NULL)
        lk_bridge_session_set_logged_in (session, self->device->account);
    }
  if (self->device != NULL)
    {
      device_command (self, verb, cmd.argument);
      return;
    }
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
  gsize consumed;
  gsize line_length;

  if (self->in_data)
    return data_process (self, data, length);
  consumed = lk_bridge_session_take_line (session, data, length, MAX_LINE,
                                          "500 5.5.2 Line too long", &line);
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
      if (login->device != NULL)
        {
          /* The client sends its mail to us, not upstream (RFC 4954 §4:
           * after AUTH the client does not send EHLO again). */
          self->device = lk_bridge_user_ref (login->device);
          lk_bridge_session_set_logged_in (session, login->account);
        }
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
  LkSmtpSession *self = LK_SMTP_SESSION (object);

  clear_login_user (self);
  reset_transaction (self);
  g_clear_pointer (&self->device, lk_bridge_user_unref);
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
