/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <string.h>

#include "bridge/lk-bridge-channel.h"
#include "bridge/lk-bridge-log.h"
#include "bridge/lk-bridge-relay.h"
#include "bridge/lk-bridge-session-private.h"
#include "bridge/lk-imap-command.h"
#include "bridge/lk-imap-session.h"
#include "bridge/lk-mail-command.h"
#include "bridge/lk-pop-session.h"
#include "bridge/lk-smtp-session.h"

/* What a client may have sent and we not yet handled, before login: one
 * command line with its literals (the protocols cap lower). */
#define MAX_PENDING_INPUT (LK_IMAP_MAX_LINE + LK_IMAP_MAX_LITERALS + 1024)
#define CLOSE_MS          3000
/* A session the bridge serves itself after login (a device's mail into the
 * spool): RFC 5321 §4.5.3.2 gives a server 5 minutes per command and for
 * each block of DATA. */
#define LOCAL_TIMEOUT_MS  (5 * 60 * 1000)
/* Refused commands before login before the session gives up on the client. */
#define MAX_ERRORS        20

typedef enum
{
  STATE_NEW,
  STATE_HANDSHAKE,     /* TLS being negotiated: implicit, or after STARTTLS */
  STATE_READING,       /* before login: the protocol subclass speaks */
  STATE_STARTTLS,      /* the go-ahead is being written; then the handshake */
  STATE_LOGGING_IN,
  STATE_RELAYING,
  STATE_CLOSING,       /* writing what is queued, then closing */
  STATE_CLOSED,
} State;

typedef struct
{
  LkProtocol              protocol;
  LkBridge               *bridge;
  GSocketConnection      *connection;
  LkBridgeSessionOptions  options;
  char                   *id;
  char                   *source_address;
  LkBridgeChannel        *client;
  LkBridgeChannel        *upstream;
  LkBridgeRelay          *relay;
  GByteArray             *input;        /* before login, only while a command is incomplete */
  GString                *corked;       /* replies to the command being handled, sent at once */
  State                   state;
  gboolean                tls;
  gboolean                implicit_tls;
  GCancellable           *cancellable;  /* cancelled when the session ends */
  GCancellable           *close_cancellable;
  guint                   timeout;
  gboolean                timed_out;
  gint64                  started_us;
  char                   *user;         /* safe for the log */
  char                   *account;      /* once relaying */
  const char             *end_reason;
  guint                   closing;      /* streams still closing */
  guint                   close_timeout;
  guint                   idle_close;
  gboolean                local;        /* logged in, not relayed: the subclass serves it */
  gboolean                held;         /* the subclass waits for something: read nothing */
  gint64                  last_read_us; /* local sessions: their idle timeout counts from it */
  guint                   errors;       /* commands refused before login */
} LkBridgeSessionPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (LkBridgeSession, lk_bridge_session, G_TYPE_OBJECT)

enum
{
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void process_input (LkBridgeSession *self);
static void begin_close (LkBridgeSession *self, const char *reason);
static void start_timeout (LkBridgeSession *self);
static void uncork (LkBridgeSession *self);

static void
wipe_input (LkBridgeSessionPrivate *priv)
{
  if (priv->input == NULL)
    return;
  /* It may hold a login line. */
  memset (priv->input->data, 0, priv->input->len);
  g_clear_pointer (&priv->input, g_byte_array_unref);
}

static void
lk_bridge_session_finalize (GObject *object)
{
  LkBridgeSession *self = LK_BRIDGE_SESSION (object);
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  g_clear_pointer (&priv->relay, lk_bridge_relay_free);
  g_clear_pointer (&priv->client, lk_bridge_channel_free);
  g_clear_pointer (&priv->upstream, lk_bridge_channel_free);
  wipe_input (priv);
  if (priv->corked != NULL)
    g_string_free (priv->corked, TRUE);
  g_clear_handle_id (&priv->timeout, g_source_remove);
  g_clear_handle_id (&priv->close_timeout, g_source_remove);
  g_clear_handle_id (&priv->idle_close, g_source_remove);
  g_clear_object (&priv->cancellable);
  g_clear_object (&priv->close_cancellable);
  g_clear_object (&priv->connection);
  g_clear_object (&priv->bridge);
  g_free (priv->id);
  g_free (priv->source_address);
  g_free (priv->user);
  g_free (priv->account);
  G_OBJECT_CLASS (lk_bridge_session_parent_class)->finalize (object);
}

static void
lk_bridge_session_class_init (LkBridgeSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_bridge_session_finalize;

  /**
   * LkBridgeSession::closed:
   *
   * The connections are closed; the session will do nothing more.
   */
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
lk_bridge_session_init (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  priv->cancellable = g_cancellable_new ();
  priv->close_cancellable = g_cancellable_new ();
  priv->started_us = g_get_monotonic_time ();
}

/* The bridge relays each read at once and answers each command with one
 * write: Nagle's algorithm would only add the peer's delayed ACK (40 ms)
 * to exchanges of small lines. */
static void
set_no_delay (GIOStream *stream)
{
  GIOStream *base = stream;

  if (G_IS_TLS_CONNECTION (stream))
    g_object_get (stream, "base-io-stream", &base, NULL);
  else
    g_object_ref (base);
  if (G_IS_SOCKET_CONNECTION (base))
    {
      GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (base));

      if (g_socket_get_family (socket) != G_SOCKET_FAMILY_UNIX)
        g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
    }
  g_object_unref (base);
}

static char *
address_to_string (GSocketConnection *connection)
{
  g_autoptr(GSocketAddress) address = g_socket_connection_get_remote_address (connection, NULL);
  GInetAddress *inet;

  if (address == NULL || !G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("unknown");
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  return g_inet_address_to_string (inet);
}

/**
 * lk_bridge_session_new:
 *
 * Returns: (transfer full): an LkImapSession, LkPopSession or LkSmtpSession
 *   for @connection, not yet started
 */
LkBridgeSession *
lk_bridge_session_new (LkProtocol                    protocol,
                       LkBridge                     *bridge,
                       GSocketConnection            *connection,
                       const LkBridgeSessionOptions *options)
{
  static guint next_id = 0;
  LkBridgeSession *self;
  LkBridgeSessionPrivate *priv;
  GType type;

  switch (protocol)
    {
    case LK_PROTOCOL_IMAP:
      type = LK_TYPE_IMAP_SESSION;
      break;
    case LK_PROTOCOL_POP:
      type = LK_TYPE_POP_SESSION;
      break;
    case LK_PROTOCOL_SMTP:
      type = LK_TYPE_SMTP_SESSION;
      break;
    default:
      g_return_val_if_reached (NULL);
    }
  self = g_object_new (type, NULL);
  priv = lk_bridge_session_get_instance_private (self);
  priv->protocol = protocol;
  priv->bridge = g_object_ref (bridge);
  priv->connection = g_object_ref (connection);
  priv->options = *options;
  if (priv->options.prelogin_timeout_ms == 0)
    priv->options.prelogin_timeout_ms = LK_BRIDGE_PRELOGIN_TIMEOUT_MS;
  priv->id = g_strdup_printf ("c%u", ++next_id);
  priv->source_address = address_to_string (connection);
  set_no_delay (G_IO_STREAM (connection));
  priv->client = lk_bridge_channel_new (G_IO_STREAM (connection));
  return self;
}

const char *
lk_bridge_session_get_id (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  return priv->id;
}

const char *
lk_bridge_session_get_source_address (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  return priv->source_address;
}

LkProtocol
lk_bridge_session_get_protocol (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  return priv->protocol;
}

static void
fill_fields (LkBridgeSession   *self,
             LkBridgeLogFields *fields)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  fields->connection = priv->id;
  fields->source_address = priv->source_address;
  fields->protocol = lk_protocol_to_string (priv->protocol);
  fields->user = priv->user;
  fields->account = priv->account;
}

void
lk_bridge_session_log_debug (LkBridgeSession *self,
                             const char      *format,
                             ...)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);
  LkBridgeLogFields fields = LK_BRIDGE_LOG_FIELDS_INIT;
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fill_fields (self, &fields);
  lk_bridge_log (G_LOG_LEVEL_DEBUG, &fields, "%s %s: %s", priv->id,
                 lk_protocol_to_string (priv->protocol), message);
}

/* ── Talking to the client before login ───────────────────────────────── */

#define MAX_REPLY_TEXT 400

/**
 * lk_bridge_session_take_line:
 * @max_length: the longest line allowed, without its end
 * @too_long_reply: what to answer a longer one before closing
 * @out_line: (out) (transfer full) (nullable): the line without its end,
 *   %NULL when there is none to handle; a NUL byte in it is kept, for the
 *   caller to refuse (memchr over the bytes consumed)
 *
 * For the protocols whose commands (or SASL responses) are lines: the
 * first line of what the client sent.
 *
 * Returns: the bytes the process virtual function took: 0 while the line
 *   is incomplete; all of @data when it was too long (the session then
 *   ends)
 */
gsize
lk_bridge_session_take_line (LkBridgeSession  *self,
                             const guint8     *data,
                             gsize             length,
                             gsize             max_length,
                             const char       *too_long_reply,
                             char            **out_line)
{
  gsize line_length = 0, consumed = 0;

  *out_line = NULL;
  switch (lk_mail_line_find (data, length, max_length, &line_length, &consumed))
    {
    case LK_LINE_INCOMPLETE:
      return 0;
    case LK_LINE_TOO_LONG:
      lk_bridge_session_send (self, too_long_reply);
      lk_bridge_session_close (self);
      return length;
    case LK_LINE_FOUND:
    default:
      break;
    }
  *out_line = g_malloc (line_length + 1);
  memcpy (*out_line, data, line_length);
  (*out_line)[line_length] = '\0';
  return consumed;
}

/**
 * lk_bridge_session_reply_text:
 *
 * @message (translated, from a diagnosis or an error) as the text of one
 * reply line: SMTP (RFC 5321 §4.2), POP3 and IMAP4rev1 replies are 7-bit,
 * so it is transliterated to ASCII ("ü" becomes "u", quotation marks
 * plain), control characters and line ends become spaces, and it is cut
 * to a length every client takes.
 */
char *
lk_bridge_session_reply_text (const char *message)
{
  g_autofree char *ascii = g_str_to_ascii (message != NULL ? message : "", "C");
  GString *out = g_string_sized_new (strlen (ascii));

  for (const char *p = ascii; *p != '\0' && out->len < MAX_REPLY_TEXT; p++)
    g_string_append_c (out, g_ascii_iscntrl (*p) ? ' ' : *p);
  return g_string_free (out, FALSE);
}

static void
update_reading (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  lk_bridge_channel_watch_readable (priv->client, priv->state == STATE_READING && !priv->held
                                                  && lk_bridge_channel_is_drained (priv->client));
}

/**
 * lk_bridge_session_send:
 * @line: one reply line without its line end
 *
 * Queues @line and CRLF for the client. While the client does not read
 * what it is sent, nothing more is read from it.
 */
void
lk_bridge_session_send (LkBridgeSession *self,
                        const char      *line)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strconcat (line, "\r\n", NULL);

  if (priv->state == STATE_CLOSED)
    return;
  if (priv->corked != NULL)
    {
      g_string_append (priv->corked, text);
      memset (text, 0, strlen (text));
      return;
    }
  if (!lk_bridge_channel_write (priv->client, text, strlen (text), &error))
    {
      lk_bridge_session_log_debug (self, "writing failed: %s", error->message);
      begin_close (self, "write-error");
      return;
    }
  update_reading (self);
}

void
lk_bridge_session_sendf (LkBridgeSession *self,
                         const char      *format,
                         ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  lk_bridge_session_send (self, line);
}

gboolean
lk_bridge_session_is_tls (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  return priv->tls;
}

gboolean
lk_bridge_session_can_starttls (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  return !priv->tls && priv->options.security == LK_SECURITY_STARTTLS
         && lk_bridge_get_certificate (priv->bridge) != NULL;
}

gboolean
lk_bridge_session_may_log_in (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  return priv->tls || !priv->options.login_requires_tls;
}

static void
readable_cb (LkBridgeChannel *channel,
             gpointer         user_data)
{
  LkBridgeSession *self = user_data;
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);
  guint8 *buffer = lk_bridge_shared_buffer ();
  g_autoptr(GError) error = NULL;
  gssize n;

  if (priv->state != STATE_READING)
    {
      lk_bridge_channel_watch_readable (channel, FALSE);
      return;
    }
  n = lk_bridge_channel_read (channel, buffer, LK_BRIDGE_SHARED_BUFFER_SIZE, &error);
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return;
  if (n <= 0)
    {
      begin_close (self, n == 0 ? "client-closed" : "read-error");
      return;
    }
  if (priv->input == NULL)
    priv->input = g_byte_array_sized_new (n);
  g_byte_array_append (priv->input, buffer, n);
  memset (buffer, 0, n);
  if (priv->local)
    priv->last_read_us = g_get_monotonic_time ();
  if (priv->input->len > MAX_PENDING_INPUT)
    {
      LK_BRIDGE_SESSION_GET_CLASS (self)->goodbye (self, "too-long");
      begin_close (self, "too-long");
      return;
    }
  g_object_ref (self);
  process_input (self);
  g_object_unref (self);
}

static void start_handshake (LkBridgeSession *self);
static void finish_close (LkBridgeSession *self);

static void
drained_cb (LkBridgeChannel *channel,
            gpointer         user_data)
{
  LkBridgeSession *self = user_data;
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  switch (priv->state)
    {
    case STATE_READING:
      update_reading (self);
      /* Commands that arrived together wait for their answers to go out. */
      g_object_ref (self);
      process_input (self);
      g_object_unref (self);
      break;
    case STATE_STARTTLS:
      start_handshake (self);
      break;
    case STATE_CLOSING:
      finish_close (self);
      break;
    case STATE_NEW:
    case STATE_HANDSHAKE:
    case STATE_LOGGING_IN:
    case STATE_RELAYING:
    case STATE_CLOSED:
    default:
      break;
    }
}

static void
failed_cb (LkBridgeChannel *channel,
           const GError    *error,
           gpointer         user_data)
{
  LkBridgeSession *self = user_data;
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  lk_bridge_session_log_debug (self, "the client connection failed: %s", error->message);
  if (priv->state == STATE_CLOSING)
    {
      lk_bridge_channel_stop (priv->client);
      finish_close (self);
      return;
    }
  begin_close (self, "write-error");
}

static const LkBridgeChannelCallbacks client_callbacks = {
  .readable = readable_cb,
  .drained = drained_cb,
  .failed = failed_cb,
};

/* Sends the replies gathered while handling commands, in one write. */
static void
uncork (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);
  g_autoptr(GError) error = NULL;
  GString *corked = g_steal_pointer (&priv->corked);

  if (corked == NULL)
    return;
  if (corked->len > 0 && priv->state < STATE_CLOSING
      && !lk_bridge_channel_write (priv->client, corked->str, corked->len, &error))
    {
      lk_bridge_session_log_debug (self, "writing failed: %s", error->message);
      memset (corked->str, 0, corked->len);
      g_string_free (corked, TRUE);
      begin_close (self, "write-error");
      return;
    }
  memset (corked->str, 0, corked->len);
  g_string_free (corked, TRUE);
}

/* Hands what the client sent to the protocol, a command at a time, while
 * it keeps reading (a login or STARTTLS stops it). */
static void
process_input (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);
  LkBridgeSessionClass *klass = LK_BRIDGE_SESSION_GET_CLASS (self);

  while (priv->state == STATE_READING && !priv->held && priv->input != NULL
         && priv->input->len > 0 && lk_bridge_channel_is_drained (priv->client))
    {
      gsize n;

      priv->corked = g_string_new (NULL);
      n = klass->process (self, priv->input->data, priv->input->len);
      uncork (self);
      if (n == 0)
        break;
      if (priv->input == NULL)    /* closed meanwhile */
        break;
      n = MIN (n, priv->input->len);
      memset (priv->input->data, 0, n);
      g_byte_array_remove_range (priv->input, 0, n);
    }
  /* Idle sessions keep no buffer. */
  if (priv->input != NULL && priv->input->len == 0)
    g_clear_pointer (&priv->input, g_byte_array_unref);

  if (priv->state == STATE_STARTTLS)
    {
      /* RFC 3207 §4.2, RFC 9051 §6.2.1: what came after STARTTLS in clear
       * text could have been injected by someone in the middle. */
      if (priv->input != NULL)
        {
          lk_bridge_session_log_debug (self, "data after STARTTLS before the handshake");
          begin_close (self, "protocol-error");
          return;
        }
      if (lk_bridge_channel_is_drained (priv->client))
        start_handshake (self);
      return;
    }
  if (priv->state == STATE_READING)
    update_reading (self);
}

/* ── TLS ──────────────────────────────────────────────────────────────── */

static void
handshake_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LkBridgeSession *self = user_data;
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);
  g_autoptr(GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      if (priv->state == STATE_HANDSHAKE)
        {
          lk_bridge_session_log_debug (self, "TLS handshake failed: %s", error->message);
          begin_close (self, "tls-failed");
        }
      g_object_unref (self);
      return;
    }
  if (priv->state != STATE_HANDSHAKE)
    {
      g_object_unref (self);
      return;
    }
  lk_bridge_channel_set_stream (priv->client, G_IO_STREAM (source));
  priv->tls = TRUE;
  priv->state = STATE_READING;
  if (priv->implicit_tls)
    LK_BRIDGE_SESSION_GET_CLASS (self)->greet (self);
  else
    LK_BRIDGE_SESSION_GET_CLASS (self)->tls_started (self);
  update_reading (self);
  g_object_unref (self);
}

static void
start_handshake (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) tls = NULL;

  priv->state = STATE_HANDSHAKE;
  lk_bridge_channel_watch_readable (priv->client, FALSE);
  /* g_tls_server_connection_new() with no trust database: the bridge asks
   * clients for no certificate, and with the default (the system's) one
   * glib-networking builds a trust list from the whole CA bundle for every
   * connection — some 10 ms of the main loop each, seconds when 200
   * printers start TLS at once (doc/bridge-office.md, "Performance"). */
  tls = g_initable_new (g_tls_backend_get_server_connection_type (g_tls_backend_get_default ()),
                        NULL, &error,
                        "base-io-stream", priv->connection,
                        "certificate", lk_bridge_get_certificate (priv->bridge),
                        "database", NULL,
                        NULL);
  if (tls == NULL)
    {
      lk_bridge_session_log_debug (self, "cannot start TLS: %s", error->message);
      begin_close (self, "tls-failed");
      return;
    }
  /* Mail programs often just close the socket; that is an end, not an
   * attack (nothing is relayed that the end could truncate unnoticed). */
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, priv->cancellable,
                                    handshake_cb, g_object_ref (self));
}

/**
 * lk_bridge_session_start_tls:
 *
 * STARTTLS: once the go-ahead the subclass has just queued is written, and
 * provided the client sent nothing after its command, TLS is negotiated;
 * then the tls_started virtual function runs.
 */
void
lk_bridge_session_start_tls (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  g_return_if_fail (priv->state == STATE_READING);
  priv->state = STATE_STARTTLS;
  lk_bridge_channel_watch_readable (priv->client, FALSE);
}

/* ── Login, then relay ────────────────────────────────────────────────── */

static gboolean
idle_close_cb (gpointer user_data)
{
  LkBridgeSession *self = user_data;
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  priv->idle_close = 0;
  begin_close (self, priv->end_reason != NULL ? priv->end_reason : "closed");
  return G_SOURCE_REMOVE;
}

static void
relay_done_cb (LkBridgeRelay *relay,
               const GError  *error,
               gpointer       user_data)
{
  LkBridgeSession *self = user_data;
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  if (error != NULL && !g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_EOF))
    lk_bridge_session_log_debug (self, "relay ended: %s", error->message);
  priv->end_reason = error != NULL && !g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_EOF)
                     ? "error" : "closed";
  /* Not from inside the relay's own callback. */
  if (priv->idle_close == 0)
    priv->idle_close = g_idle_add (idle_close_cb, self);
}

static void
begin_relay (LkBridgeSession *self,
             LkBridgeLogin   *login)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&priv->timeout, g_source_remove);
  priv->account = g_strdup (login->account);
  lk_bridge_account_session_started (priv->bridge, priv->account);
  if (G_IS_TLS_CONNECTION (login->upstream))
    g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (login->upstream), FALSE);
  set_no_delay (login->upstream);
  priv->upstream = lk_bridge_channel_new (login->upstream);
  priv->state = STATE_RELAYING;

  /* Pipelining: what the client sent after its login line goes upstream
   * first, in order; what the server sent after its login reply goes to
   * the client after our answer. */
  if (priv->input != NULL
      && !lk_bridge_channel_write (priv->upstream, priv->input->data, priv->input->len, &error))
    {
      wipe_input (priv);
      begin_close (self, "upstream-error");
      return;
    }
  wipe_input (priv);
  if (login->upstream_buffered != NULL && g_bytes_get_size (login->upstream_buffered) > 0)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (login->upstream_buffered, &size);

      if (!lk_bridge_channel_write (priv->client, data, size, &error))
        {
          begin_close (self, "write-error");
          return;
        }
    }
  priv->relay = lk_bridge_relay_new (priv->client, priv->upstream, relay_done_cb, self);
  lk_bridge_relay_start (priv->relay);
}

static void
login_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  LkBridgeSession *self = user_data;
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);
  g_autoptr(LkBridgeLogin) login = NULL;
  g_autoptr(GError) error = NULL;

  login = lk_bridge_login_finish (LK_BRIDGE (source), result, &error);
  if (login == NULL || priv->state != STATE_LOGGING_IN)
    {
      g_object_unref (self);
      return;
    }
  priv->state = STATE_READING;
  LK_BRIDGE_SESSION_GET_CLASS (self)->login_done (self, login);
  if (login->status == LK_BRIDGE_LOGIN_OK && login->upstream != NULL
      && priv->state == STATE_READING)
    begin_relay (self, login);
  else if (priv->state == STATE_READING)
    {
      /* The time the login took (a backoff delay among it) is not the
       * client's: it gets a full timeout for its next try. */
      priv->timed_out = FALSE;
      start_timeout (self);
      process_input (self);
    }
  g_object_unref (self);
}

static gboolean timeout_cb (gpointer user_data);

/* Before login: how long the client has to log in, from now; after a
 * local login, how long it may be silent. */
static void
start_timeout (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  g_clear_handle_id (&priv->timeout, g_source_remove);
  priv->timeout = g_timeout_add (priv->local ? LOCAL_TIMEOUT_MS : priv->options.prelogin_timeout_ms,
                                 timeout_cb, self);
}

/**
 * lk_bridge_session_login:
 *
 * Logs the client in (lk_bridge_login_async()); reading stops meanwhile,
 * and the login_done virtual function answers.
 */
void
lk_bridge_session_login (LkBridgeSession *self,
                         const char      *user,
                         const char      *password)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  g_return_if_fail (priv->state == STATE_READING);
  priv->state = STATE_LOGGING_IN;
  lk_bridge_channel_watch_readable (priv->client, FALSE);
  g_clear_handle_id (&priv->timeout, g_source_remove);
  g_free (priv->user);
  priv->user = lk_bridge_log_safe (user);
  lk_bridge_login_async (priv->bridge, priv->protocol, user, password, priv->id,
                         priv->source_address, priv->cancellable, login_cb, g_object_ref (self));
}

/**
 * lk_bridge_session_set_logged_in:
 * @account: the account it sends as
 *
 * The subclass serves the session itself from now on (a device's SMTP
 * into the spool): no relay; the timeout becomes an idle one; the session
 * counts for @account in `bridge status` and is logged as a login's.
 */
void
lk_bridge_session_set_logged_in (LkBridgeSession *self,
                                 const char      *account)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  priv->local = TRUE;
  priv->last_read_us = g_get_monotonic_time ();
  g_free (priv->account);
  priv->account = g_strdup (account);
  lk_bridge_account_session_started (priv->bridge, account);
}

/**
 * lk_bridge_session_hold:
 *
 * Reads and handles nothing more from the client until
 * lk_bridge_session_release(): the subclass waits for something (the
 * spool's fsync) before it answers.
 */
void
lk_bridge_session_hold (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  priv->held = TRUE;
  lk_bridge_channel_watch_readable (priv->client, FALSE);
}

void
lk_bridge_session_release (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  priv->held = FALSE;
  if (priv->state != STATE_READING)
    return;
  update_reading (self);
  /* Commands the client pipelined behind the one held. */
  g_object_ref (self);
  process_input (self);
  g_object_unref (self);
}

LkBridge *
lk_bridge_session_get_bridge (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  return priv->bridge;
}

/* ── Start and end ────────────────────────────────────────────────────── */

static gboolean
timeout_cb (gpointer user_data)
{
  LkBridgeSession *self = user_data;
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  priv->timeout = 0;
  if (priv->local)
    {
      /* Idle counts from the last bytes read (a long DATA is not idle). */
      gint64 idle_ms = (g_get_monotonic_time () - priv->last_read_us) / 1000;

      if (priv->last_read_us != 0 && idle_ms < LOCAL_TIMEOUT_MS)
        {
          priv->timeout = g_timeout_add ((guint) (LOCAL_TIMEOUT_MS - idle_ms) + 1, timeout_cb, self);
          return G_SOURCE_REMOVE;
        }
    }
  priv->timed_out = TRUE;
  if (priv->state == STATE_READING)
    LK_BRIDGE_SESSION_GET_CLASS (self)->goodbye (self, "timeout");
  begin_close (self, "timeout");
  return G_SOURCE_REMOVE;
}

/**
 * lk_bridge_session_start:
 *
 * Greets the client (after the TLS handshake on an implicit-TLS listener).
 * The session keeps itself alive until it has closed, then emits
 * LkBridgeSession::closed.
 */
void
lk_bridge_session_start (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);
  LkBridgeLogFields fields = LK_BRIDGE_LOG_FIELDS_INIT;

  g_return_if_fail (priv->state == STATE_NEW);
  g_object_ref (self);     /* dropped in finish_close() */
  lk_bridge_session_opened (priv->bridge, G_OBJECT (self));
  lk_bridge_channel_set_callbacks (priv->client, &client_callbacks, self);
  fill_fields (self, &fields);
  lk_bridge_log (G_LOG_LEVEL_DEBUG, &fields, "%s %s: connection from %s", priv->id,
                 fields.protocol, priv->source_address);

  start_timeout (self);
  if (priv->options.security == LK_SECURITY_TLS)
    {
      priv->implicit_tls = TRUE;
      start_handshake (self);
      return;
    }
  priv->state = STATE_READING;
  LK_BRIDGE_SESSION_GET_CLASS (self)->greet (self);
  update_reading (self);
}

static void
stream_closed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  LkBridgeSession *self = user_data;
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);
  LkBridgeLogFields fields = LK_BRIDGE_LOG_FIELDS_INIT;
  gint64 duration_ms = (g_get_monotonic_time () - priv->started_us) / 1000;

  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
  if (--priv->closing > 0)
    return;
  g_clear_handle_id (&priv->close_timeout, g_source_remove);

  fill_fields (self, &fields);
  fields.result = priv->end_reason;
  fields.bytes_in = lk_bridge_channel_get_bytes_read (priv->client);
  fields.bytes_out = lk_bridge_channel_get_bytes_written (priv->client);
  fields.duration_ms = duration_ms;
  /* Sessions that never logged in are many and dull: debug only. */
  lk_bridge_log (priv->account != NULL ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_DEBUG, &fields,
                 "%s %s %s: session ended (%s) after %" G_GINT64_FORMAT " ms, %" G_GINT64_FORMAT
                 " bytes in, %" G_GINT64_FORMAT " bytes out", priv->id, fields.protocol,
                 priv->account != NULL ? priv->account : "-", priv->end_reason, duration_ms,
                 fields.bytes_in, fields.bytes_out);
  lk_bridge_session_closed (priv->bridge, G_OBJECT (self), priv->account);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
  g_object_unref (self);
}

static gboolean
close_timeout_cb (gpointer user_data)
{
  LkBridgeSession *self = user_data;
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  priv->close_timeout = 0;
  g_cancellable_cancel (priv->close_cancellable);
  if (priv->state == STATE_CLOSING)
    {
      lk_bridge_channel_stop (priv->client);
      finish_close (self);
    }
  return G_SOURCE_REMOVE;
}

static void
close_stream (LkBridgeSession *self,
              GIOStream       *stream)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  priv->closing++;
  g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, priv->close_cancellable, stream_closed_cb,
                           self);
}

/* Everything queued for the client is out (or given up on): close. */
static void
finish_close (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);
  g_autoptr(GIOStream) client = NULL;
  g_autoptr(GIOStream) upstream = NULL;

  if (priv->state == STATE_CLOSED)
    return;
  priv->state = STATE_CLOSED;
  lk_bridge_channel_stop (priv->client);
  client = g_object_ref (lk_bridge_channel_get_stream (priv->client));
  if (priv->upstream != NULL)
    {
      lk_bridge_channel_stop (priv->upstream);
      upstream = g_object_ref (lk_bridge_channel_get_stream (priv->upstream));
    }
  if (priv->close_timeout == 0)
    priv->close_timeout = g_timeout_add (CLOSE_MS, close_timeout_cb, self);
  close_stream (self, client);
  if (upstream != NULL)
    close_stream (self, upstream);
}

static void
begin_close (LkBridgeSession *self,
             const char      *reason)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  if (priv->state >= STATE_CLOSING)
    return;
  /* The goodbye (QUIT's 221, a BYE) gathered with the command that ends
   * the session goes out first. */
  uncork (self);
  if (priv->state == STATE_NEW)
    {
      /* Never started: nothing to close but our reference. */
      priv->state = STATE_CLOSED;
      return;
    }
  priv->end_reason = reason;
  priv->state = STATE_CLOSING;
  g_clear_handle_id (&priv->timeout, g_source_remove);
  g_clear_handle_id (&priv->idle_close, g_source_remove);
  /* A login or handshake in flight ends; a token refresh shared with
   * other sessions does not (LkBridge does not pass this on to it). */
  g_cancellable_cancel (priv->cancellable);
  wipe_input (priv);
  if (priv->relay != NULL)
    {
      g_clear_pointer (&priv->relay, lk_bridge_relay_free);
      lk_bridge_channel_set_callbacks (priv->client, &client_callbacks, self);
    }
  if (priv->upstream != NULL)
    lk_bridge_channel_stop (priv->upstream);
  lk_bridge_channel_watch_readable (priv->client, FALSE);

  priv->close_timeout = g_timeout_add (CLOSE_MS, close_timeout_cb, self);
  if (lk_bridge_channel_is_drained (priv->client))
    finish_close (self);
}

/**
 * lk_bridge_session_close:
 *
 * Ends the session once what was queued for the client is written.
 */
void
lk_bridge_session_close (LkBridgeSession *self)
{
  begin_close (self, "logout");
}

/**
 * lk_bridge_session_count_error:
 * @goodbye: the protocol's last line when the client has made too many
 *   errors (e.g. "* BYE Too many errors")
 *
 * Counts a command the subclass has just refused; after MAX_ERRORS of
 * them the client is told @goodbye and the session closes, so that a
 * client looping on errors (or probing) does not hold a session forever.
 */
void
lk_bridge_session_count_error (LkBridgeSession *self,
                               const char      *goodbye)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  if (++priv->errors < MAX_ERRORS)
    return;
  lk_bridge_session_send (self, goodbye);
  lk_bridge_session_close (self);
}

/**
 * lk_bridge_session_shutdown:
 *
 * The bridge stops: a session before login says goodbye in its protocol;
 * a relayed one is closed (the server and the client each see the
 * connection end, as when a network drops it).
 */
void
lk_bridge_session_shutdown (LkBridgeSession *self)
{
  LkBridgeSessionPrivate *priv = lk_bridge_session_get_instance_private (self);

  if (priv->state == STATE_READING)
    LK_BRIDGE_SESSION_GET_CLASS (self)->goodbye (self, "shutdown");
  begin_close (self, "shutdown");
}
