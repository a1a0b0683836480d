/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-mail"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-imap-probe.h"
#include "lk-line-reader.h"
#include "lk-mail-probe-private.h"
#include "lk-pop-probe.h"
#include "lk-smtp-probe.h"
#include "lk-tls-trust-database.h"
#include "lk-tls-trust.h"
#include "lk-token-set.h"

/*
 * How a probe runs. lk_mail_probe_run_async() hands the whole conversation
 * to a worker thread that owns a private GMainContext. There, every network
 * operation is started asynchronously and awaited by iterating that context
 * (await()), which keeps the protocol code in the subclasses straight-line
 * while timeouts (GSources on the private context) and cancellation (the
 * caller's GCancellable, connected to the run's own) can end any step.
 *
 * Trust. The peer certificate is checked against the system store and the
 * host name. When the profile names a ca_file, a certificate the system
 * store does not accept is verified again against that file alone
 * (lk_tls_trust_accept(), the same rule LkHttp follows), so a profile's
 * private CA is trusted in addition to, never instead of, the system's.
 * Both happen in an LkTlsTrustDatabase given to the connection when it is
 * made, which also spares glib-networking a reload of the system store
 * per connection.
 */

#define DEFAULT_STEP_MS    15000
#define DEFAULT_OVERALL_MS 60000
#define LOGOUT_MS          3000
/* A server that never finishes its answer (endless untagged lines, an
 * endless multi-line reply) is given up on after this many lines, however
 * fast it sends them; the transcript keeps at most this much of each. */
#define MAX_LINES_PER_RUN  2000
#define MAX_RECORDED_LINE  1024

typedef struct
{
  LkProtocol       protocol;
  LkServer         server;
  char            *sasl_user;
  char           **sasl_mechanisms;
  char            *ca_file;
  char            *test_address;
  guint            step_ms;
  guint            overall_ms;

  /* While running, in the worker thread only. */
  GMainContext    *context;
  GCancellable    *cancellable;     /* cancelled by the caller or the overall timeout */
  gboolean         overall_timed_out;
  gboolean         op_timed_out;
  GAsyncResult    *pending;
  GIOStream       *stream;          /* the plain connection or TLS over it */
  GSocketConnection *connection;
  LkLineReader    *reader;
  LkProbeResult   *result;
  GPtrArray       *secrets;         /* strings never to show: token, SASL responses */
  GTlsDatabase    *ca_database;
  gint64           stage_start;
  guint            lines_read;      /* this run, see MAX_LINES_PER_RUN */
} LkMailProbePrivate;

G_DEFINE_TYPE_WITH_PRIVATE (LkMailProbe, lk_mail_probe, G_TYPE_OBJECT)

typedef struct
{
  char       *access_token;
  gboolean    send_test;
  gboolean    sign_in;         /* stop after the login and hand the connection over */
  GIOStream  *stream;          /* sign-in mode, on success */
  GBytes     *buffered;        /* what the server sent after its login reply */
  char      **capabilities;
} RunData;

/* lk_secret_wipe() overwrites and frees. */
static void
wipe_and_free (gpointer data)
{
  lk_secret_wipe (data);
}

static void
run_data_free (RunData *data)
{
  wipe_and_free (data->access_token);
  g_clear_object (&data->stream);
  g_clear_pointer (&data->buffered, g_bytes_unref);
  g_strfreev (data->capabilities);
  g_free (data);
}

static void
lk_mail_probe_finalize (GObject *object)
{
  LkMailProbe *self = LK_MAIL_PROBE (object);
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);

  g_free (priv->server.host);
  g_free (priv->sasl_user);
  g_strfreev (priv->sasl_mechanisms);
  g_free (priv->ca_file);
  g_free (priv->test_address);

  G_OBJECT_CLASS (lk_mail_probe_parent_class)->finalize (object);
}

static void
lk_mail_probe_class_init (LkMailProbeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = lk_mail_probe_finalize;
}

static void
lk_mail_probe_init (LkMailProbe *self)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);

  priv->step_ms = DEFAULT_STEP_MS;
  priv->overall_ms = DEFAULT_OVERALL_MS;
}

/**
 * lk_mail_probe_new:
 * @server: where to connect and how (security)
 * @sasl_user: the login (user= / a=): the mailbox, or a shared mailbox
 * @sasl_mechanisms: (nullable): the profile's `sasl` order
 * @ca_file: (nullable): an extra trust anchor from the profile
 *
 * Returns: (transfer full): an LkImapProbe, LkPopProbe or LkSmtpProbe
 */
LkMailProbe *
lk_mail_probe_new (LkProtocol          protocol,
                   const LkServer     *server,
                   const char         *sasl_user,
                   const char * const *sasl_mechanisms,
                   const char         *ca_file)
{
  LkMailProbe *self;
  LkMailProbePrivate *priv;
  GType type;

  g_return_val_if_fail (server != NULL && server->host != NULL, NULL);
  g_return_val_if_fail (sasl_user != NULL, NULL);

  switch (protocol)
    {
    case LK_PROTOCOL_IMAP:
      type = LK_TYPE_IMAP_PROBE;
      break;
    case LK_PROTOCOL_POP:
      type = LK_TYPE_POP_PROBE;
      break;
    case LK_PROTOCOL_SMTP:
      type = LK_TYPE_SMTP_PROBE;
      break;
    default:
      g_return_val_if_reached (NULL);
    }

  self = g_object_new (type, NULL);
  priv = lk_mail_probe_get_instance_private (self);
  priv->protocol = protocol;
  priv->server.host = g_strdup (server->host);
  priv->server.port = server->port;
  priv->server.security = server->security;
  priv->sasl_user = g_strdup (sasl_user);
  priv->sasl_mechanisms = g_strdupv ((char **) sasl_mechanisms);
  priv->ca_file = g_strdup (ca_file);
  return self;
}

LkProtocol
lk_mail_probe_get_protocol (LkMailProbe *self)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);

  return priv->protocol;
}

/**
 * lk_mail_probe_set_timeouts:
 * @step_ms: the longest one step (connect, handshake, one reply) may take
 * @overall_ms: the longest the whole probe may take
 */
void
lk_mail_probe_set_timeouts (LkMailProbe *self,
                            guint        step_ms,
                            guint        overall_ms)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);

  g_return_if_fail (step_ms > 0 && overall_ms > 0);
  priv->step_ms = step_ms;
  priv->overall_ms = overall_ms;
}

/* Where a test message goes (send_test); the SASL user by default. */
void
lk_mail_probe_set_test_address (LkMailProbe *self,
                                const char  *address)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);

  g_free (priv->test_address);
  priv->test_address = g_strdup (address);
}

const LkServer *
lk_mail_probe_get_server (LkMailProbe *self)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);

  return &priv->server;
}

const char *
lk_mail_probe_get_sasl_user (LkMailProbe *self)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);

  return priv->sasl_user;
}

const char *
lk_mail_probe_get_test_address (LkMailProbe *self)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);

  return priv->test_address != NULL ? priv->test_address : priv->sasl_user;
}

LkProbeResult *
lk_mail_probe_get_result (LkMailProbe *self)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);

  return priv->result;
}

/* ── Redaction ────────────────────────────────────────────────────────── */

static void
add_secret (LkMailProbe *self,
            const char  *secret)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);

  if (secret != NULL && strlen (secret) >= 8)
    g_ptr_array_add (priv->secrets, g_strdup (secret));
}

/* @text with every secret replaced by <redacted>. */
static char *
scrub (LkMailProbe *self,
       const char  *text)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);
  GString *out;

  if (text == NULL)
    return NULL;
  out = g_string_new (text);
  for (guint i = 0; priv->secrets != NULL && i < priv->secrets->len; i++)
    g_string_replace (out, g_ptr_array_index (priv->secrets, i), "<redacted>", 0);
  return g_string_free (out, FALSE);
}

static void
record (LkMailProbe *self,
        const char  *prefix,
        const char  *text)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);
  g_autofree char *clean = scrub (self, text);

  /* Cut after scrubbing, so that no part of a secret is ever shown. */
  if (strlen (clean) > MAX_RECORDED_LINE)
    {
      gsize total = strlen (clean);
      const char *end = clean + MAX_RECORDED_LINE;

      g_utf8_validate (clean, MAX_RECORDED_LINE, &end);
      g_ptr_array_add (priv->result->transcript,
                       g_strdup_printf ("%s%.*s… (%" G_GSIZE_FORMAT " bytes)", prefix,
                                        (int) (end - clean), clean, total));
      return;
    }
  g_ptr_array_add (priv->result->transcript, g_strconcat (prefix, clean, NULL));
}

/* ── Awaiting asynchronous operations in the worker thread ────────────── */

static void
await_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  LkMailProbe *self = user_data;
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);

  priv->pending = g_object_ref (result);
}

static GAsyncResult *
await (LkMailProbe *self)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);

  while (priv->pending == NULL)
    g_main_context_iteration (priv->context, TRUE);
  return g_steal_pointer (&priv->pending);
}

typedef struct
{
  LkMailProbe  *self;
  GCancellable *cancellable;
  GSource      *timeout;
  gulong        handler;
} Op;

static gboolean
op_timeout_cb (gpointer user_data)
{
  Op *op = user_data;
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (op->self);

  priv->op_timed_out = TRUE;
  g_cancellable_cancel (op->cancellable);
  return G_SOURCE_REMOVE;
}

static void
op_parent_cancelled_cb (GCancellable *parent,
                        GCancellable *child)
{
  g_cancellable_cancel (child);
}

/* A cancellable for one non-read step, cancelled by the step timeout. */
static void
op_begin (LkMailProbe *self,
          Op          *op,
          guint        timeout_ms)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);

  op->self = self;
  op->cancellable = g_cancellable_new ();
  op->handler = g_cancellable_connect (priv->cancellable, G_CALLBACK (op_parent_cancelled_cb),
                                       op->cancellable, NULL);
  op->timeout = g_timeout_source_new (timeout_ms);
  g_source_set_callback (op->timeout, op_timeout_cb, op, NULL);
  g_source_attach (op->timeout, priv->context);
  priv->op_timed_out = FALSE;
}

static void
op_end (Op *op)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (op->self);

  g_source_destroy (op->timeout);
  g_source_unref (op->timeout);
  g_cancellable_disconnect (priv->cancellable, op->handler);
  g_clear_object (&op->cancellable);
}

/* Turns the cancellation that a timeout caused into LK_ERROR_TIMED_OUT. */
static void
fix_timeout (LkMailProbe  *self,
             GError      **error)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);

  if (error == NULL || *error == NULL)
    return;
  if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      && (priv->op_timed_out || priv->overall_timed_out))
    {
      g_clear_error (error);
      g_set_error (error, LK_ERROR, LK_ERROR_TIMED_OUT,
                   _("%s:%u did not answer in time; check the server name and port, "
                     "and whether a firewall blocks the connection"),
                   priv->server.host, priv->server.port);
    }
  else if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_clear_error (error);
      g_set_error (error, LK_ERROR, LK_ERROR_TIMED_OUT,
                   _("%s:%u did not answer in time; check the server name and port, "
                     "and whether a firewall blocks the connection"),
                   priv->server.host, priv->server.port);
    }
  else if (g_error_matches (*error, LK_ERROR, LK_ERROR_TIMED_OUT))
    {
      g_clear_error (error);
      g_set_error (error, LK_ERROR, LK_ERROR_TIMED_OUT,
                   _("%s:%u stopped answering; try again later"),
                   priv->server.host, priv->server.port);
    }
}

/* ── Helpers for the subclasses ───────────────────────────────────────── */

/**
 * lk_mail_probe_send:
 * @visible: the part of the line that may be shown, e.g. "A1 AUTHENTICATE XOAUTH2 "
 * @secret: (nullable): a SASL string appended to it, shown as <redacted>
 *
 * Sends one line and CRLF.
 */
gboolean
lk_mail_probe_send (LkMailProbe  *self,
                    const char   *visible,
                    const char   *secret,
                    GError      **error)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);
  g_autoptr(GAsyncResult) result = NULL;
  GString *line;
  gboolean ok;
  Op op;

  if (secret != NULL)
    {
      g_autofree char *shown = g_strconcat (visible, "<redacted>", NULL);
      add_secret (self, secret);
      record (self, "C: ", shown);
    }
  else
    record (self, "C: ", visible);

  line = g_string_new (visible);
  if (secret != NULL)
    g_string_append (line, secret);
  g_string_append (line, "\r\n");

  op_begin (self, &op, priv->step_ms);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (priv->stream),
                                   line->str, line->len, G_PRIORITY_DEFAULT,
                                   op.cancellable, await_cb, self);
  result = await (self);
  ok = g_output_stream_write_all_finish (g_io_stream_get_output_stream (priv->stream),
                                         result, NULL, error);
  op_end (&op);
  memset (line->str, 0, line->len);
  g_string_free (line, TRUE);
  if (!ok)
    {
      fix_timeout (self, error);
      if (error != NULL && !g_error_matches (*error, LK_ERROR, LK_ERROR_TIMED_OUT)
          && !g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_prefix_error (error, _("Could not send to %s: "), priv->server.host);
    }
  return ok;
}

/**
 * lk_mail_probe_read_line:
 *
 * Reads one line (at most 64 KiB, within the step timeout) and records it.
 */
char *
lk_mail_probe_read_line (LkMailProbe  *self,
                         GError      **error)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *line = NULL;
  g_autofree char *clean = NULL;

  lk_line_reader_read_line_async (priv->reader, priv->cancellable, await_cb, self);
  result = await (self);
  line = lk_line_reader_read_line_finish (priv->reader, result, error);
  if (line == NULL)
    {
      fix_timeout (self, error);
      return NULL;
    }
  if (++priv->lines_read > MAX_LINES_PER_RUN)
    {
      lk_secret_wipe (g_steal_pointer (&line));
      g_set_error (error, LK_ERROR, LK_ERROR_PROTOCOL,
                   /* Translators: %s:%u is a server and port, %u a number of lines */
                   g_dngettext (GETTEXT_PACKAGE,
                                "%s:%u sent more than %u line without finishing its answer; it "
                                "does not behave as a mail server should. Try again later, or "
                                "tell its administrator.",
                                "%s:%u sent more than %u lines without finishing its answer; it "
                                "does not behave as a mail server should. Try again later, or "
                                "tell its administrator.",
                                MAX_LINES_PER_RUN),
                   priv->server.host, priv->server.port, MAX_LINES_PER_RUN);
      return NULL;
    }
  record (self, "S: ", line);
  clean = scrub (self, line);
  if (strcmp (clean, line) != 0)
    {
      /* The server echoed a secret: never hand it to the protocol code. */
      lk_secret_wipe (g_steal_pointer (&line));
      line = g_strdup (clean);
    }
  g_free (priv->result->last_reply);
  priv->result->last_reply = g_steal_pointer (&clean);
  return g_steal_pointer (&line);
}

/**
 * lk_mail_probe_answer_challenge:
 * @challenge: the base64 text after "+ " or "334 "
 *
 * A failure challenge: keep its decoded JSON for the diagnosis and answer
 * as the mechanism's specification says, so that the server ends the
 * exchange with its final failure reply.
 */
gboolean
lk_mail_probe_answer_challenge (LkMailProbe      *self,
                                LkSaslMechanism   mechanism,
                                const char       *challenge,
                                GError          **error)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);
  g_autofree char *decoded = lk_sasl_decode_challenge (challenge);

  if (decoded != NULL)
    {
      g_free (priv->result->challenge);
      priv->result->challenge = scrub (self, decoded);
    }
  return lk_mail_probe_send (self, "", lk_sasl_failure_reply (mechanism), error);
}

/* The server refused the token: LK_ERROR_AUTH_REJECTED with its reply. */
void
lk_mail_probe_set_rejected (LkMailProbe  *self,
                            GError      **error,
                            const char   *reply)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);
  g_autofree char *clean = scrub (self, reply);
  GError *local;

  local = g_error_new (LK_ERROR, LK_ERROR_AUTH_REJECTED,
                       _("%s refused the sign-in as %s (“%s”); the token may have expired, "
                         "be meant for another service, or the mailbox may not allow this protocol"),
                       priv->server.host, priv->sasl_user, clean);
  lk_error_set_server_reply (local, clean, priv->result->challenge);
  g_propagate_error (error, local);
}

/* The server accepted the sign-in but refused @what (a command that needs it). */
void
lk_mail_probe_set_refused (LkMailProbe  *self,
                           GError      **error,
                           const char   *what,
                           const char   *reply)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);
  g_autofree char *clean = scrub (self, reply);
  GError *local;

  local = g_error_new (LK_ERROR, LK_ERROR_AUTH_REJECTED,
                       _("%s accepted the sign-in as %s but then refused %s (“%s”); "
                         "check that the token belongs to this mailbox and that it may be used this way"),
                       priv->server.host, priv->sasl_user, what, clean);
  lk_error_set_server_reply (local, clean, priv->result->challenge);
  g_propagate_error (error, local);
}

/* The server said something this protocol does not allow here. */
void
lk_mail_probe_set_unexpected (LkMailProbe  *self,
                              GError      **error,
                              const char   *reply)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);
  g_autofree char *clean = scrub (self, reply);
  g_autofree char *shown = NULL;
  GError *local;

  if (clean != NULL && g_utf8_strlen (clean, -1) > 200)
    {
      shown = g_utf8_substring (clean, 0, 200);
      g_free (clean);
      clean = g_strconcat (shown, "…", NULL);
    }
  local = g_error_new (LK_ERROR, LK_ERROR_PROTOCOL,
                       _("%s:%u answered unexpectedly (“%s”); check that the port is the %s port"),
                       priv->server.host, priv->server.port, clean != NULL ? clean : "",
                       lk_protocol_to_string (priv->protocol));
  lk_error_set_server_reply (local, clean, NULL);
  g_propagate_error (error, local);
}

/* ── Stages ───────────────────────────────────────────────────────────── */

static void
begin_stage (LkMailProbe  *self,
             LkProbeStage  stage)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);
  gint64 now = g_get_monotonic_time ();
  LkProbeStage previous = priv->result->stage;

  if (priv->stage_start != 0)
    priv->result->stage_ms[previous] = MAX (priv->result->stage_ms[previous], 0)
                                       + (now - priv->stage_start) / 1000;
  priv->result->stage = stage;
  priv->stage_start = now;
}

static gboolean
do_connect (LkMailProbe  *self,
            GError      **error)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnectable) address = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Op op;

  address = g_network_address_new (priv->server.host, priv->server.port);
  g_socket_client_set_timeout (client, (priv->step_ms + 999) / 1000);
  op_begin (self, &op, priv->step_ms);
  g_socket_client_connect_async (client, address, op.cancellable, await_cb, self);
  result = await (self);
  priv->connection = g_socket_client_connect_finish (client, result, error);
  op_end (&op);
  if (priv->connection == NULL)
    {
      fix_timeout (self, error);
      if (error != NULL && !g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          && !g_error_matches (*error, LK_ERROR, LK_ERROR_TIMED_OUT))
        {
          GError *local = g_error_new (LK_ERROR, LK_ERROR_NETWORK,
                                       _("Could not connect to %s:%u: %s; check the server "
                                         "name and port, and your network"),
                                       priv->server.host, priv->server.port, (*error)->message);
          g_clear_error (error);
          g_propagate_error (error, local);
        }
      return FALSE;
    }
  priv->stream = g_object_ref (G_IO_STREAM (priv->connection));
  priv->reader = lk_line_reader_new (g_io_stream_get_input_stream (priv->stream), priv->step_ms);
  return TRUE;
}

static const char *
tls_version_to_string (GTlsProtocolVersion version)
{
  switch (version)
    {
    case G_TLS_PROTOCOL_VERSION_SSL_3_0:
      return "SSL 3.0";
    case G_TLS_PROTOCOL_VERSION_TLS_1_0:
      return "TLS 1.0";
    case G_TLS_PROTOCOL_VERSION_TLS_1_1:
      return "TLS 1.1";
    case G_TLS_PROTOCOL_VERSION_TLS_1_2:
      return "TLS 1.2";
    case G_TLS_PROTOCOL_VERSION_TLS_1_3:
      return "TLS 1.3";
    case G_TLS_PROTOCOL_VERSION_DTLS_1_0:
      return "DTLS 1.0";
    case G_TLS_PROTOCOL_VERSION_DTLS_1_2:
      return "DTLS 1.2";
    case G_TLS_PROTOCOL_VERSION_UNKNOWN:
    default:
      return NULL;
    }
}

static void
record_tls (LkMailProbe    *self,
            GTlsConnection *tls)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);
  LkProbeResult *result = priv->result;
  GTlsCertificate *peer = g_tls_connection_get_peer_certificate (tls);

  g_free (result->tls_version);
  result->tls_version = g_strdup (tls_version_to_string (g_tls_connection_get_protocol_version (tls)));
  g_free (result->tls_cipher);
  result->tls_cipher = g_tls_connection_get_ciphersuite_name (tls);
  if (peer == NULL)
    return;
  g_free (result->cert_subject);
  result->cert_subject = g_tls_certificate_get_subject_name (peer);
  g_free (result->cert_issuer);
  result->cert_issuer = g_tls_certificate_get_issuer_name (peer);
  g_clear_pointer (&result->cert_not_before, g_date_time_unref);
  result->cert_not_before = g_tls_certificate_get_not_valid_before (peer);
  g_clear_pointer (&result->cert_not_after, g_date_time_unref);
  result->cert_not_after = g_tls_certificate_get_not_valid_after (peer);
  g_free (result->cert_sha256);
  result->cert_sha256 = lk_certificate_fingerprint (peer);
}

static gboolean
do_handshake (LkMailProbe  *self,
              GError      **error)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);
  g_autoptr(GSocketConnectable) identity = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gboolean ok;
  Op op;

  identity = g_network_address_new (priv->server.host, priv->server.port);
  tls = lk_tls_trust_client_connection_new (priv->stream, identity, priv->ca_database, error);
  if (tls == NULL)
    {
      g_prefix_error (error, _("Could not start TLS with %s: "), priv->server.host);
      return FALSE;
    }

  op_begin (self, &op, priv->step_ms);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                    op.cancellable, await_cb, self);
  result = await (self);
  ok = g_tls_connection_handshake_finish (G_TLS_CONNECTION (tls), result, error);
  op_end (&op);
  /* What the server showed is worth keeping even when it was refused. */
  record_tls (self, G_TLS_CONNECTION (tls));
  if (!ok)
    {
      fix_timeout (self, error);
      if (error != NULL && (*error)->domain == G_TLS_ERROR)
        g_prefix_error (error, _("TLS with %s:%u failed (the certificate must be valid for “%s” "
                                 "and issued by a trusted authority): "),
                        priv->server.host, priv->server.port, priv->server.host);
      else if (error != NULL && !g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
               && !g_error_matches (*error, LK_ERROR, LK_ERROR_TIMED_OUT))
        g_prefix_error (error, _("TLS with %s:%u failed: "), priv->server.host, priv->server.port);
      return FALSE;
    }
  record (self, "", "-- TLS established --");

  g_clear_object (&priv->stream);
  priv->stream = g_steal_pointer (&tls);
  lk_line_reader_free (priv->reader);
  priv->reader = lk_line_reader_new (g_io_stream_get_input_stream (priv->stream), priv->step_ms);
  return TRUE;
}

static void
do_close (LkMailProbe *self)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *parent = priv->cancellable;
  Op op;

  if (priv->stream == NULL)
    return;
  /* A short, separate budget: closing must work after a timeout or cancel too. */
  priv->cancellable = g_cancellable_new ();
  op_begin (self, &op, 1000);
  g_io_stream_close_async (priv->stream, G_PRIORITY_DEFAULT, op.cancellable, await_cb, self);
  result = await (self);
  g_io_stream_close_finish (priv->stream, result, NULL);
  op_end (&op);
  g_clear_object (&priv->cancellable);
  priv->cancellable = parent;
  if (priv->connection != NULL && priv->stream != G_IO_STREAM (priv->connection))
    g_io_stream_close (G_IO_STREAM (priv->connection), NULL, NULL);
}

static gboolean
run_stages (LkMailProbe  *self,
            RunData      *data,
            GError      **error)
{
  const char *access_token = data->access_token;
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);
  LkMailProbeClass *klass = LK_MAIL_PROBE_GET_CLASS (self);
  g_auto(GStrv) mechanisms = NULL;
  g_autofree char *initial_response = NULL;
  LkSaslMechanism mechanism;
  gboolean starttls = FALSE;

  if (priv->server.security == LK_SECURITY_NONE && !lk_host_is_loopback (priv->server.host))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INSECURE_ENDPOINT,
                   _("%s would be reached without encryption; use TLS or STARTTLS "
                     "(clear text is only allowed to this computer)"), priv->server.host);
      return FALSE;
    }
  if (priv->ca_file != NULL && priv->server.security != LK_SECURITY_NONE)
    {
      priv->ca_database = lk_tls_trust_load_ca_file (priv->ca_file, error);
      if (priv->ca_database == NULL)
        return FALSE;
    }

  begin_stage (self, LK_PROBE_STAGE_CONNECT);
  if (!do_connect (self, error))
    return FALSE;

  if (priv->server.security == LK_SECURITY_TLS)
    {
      begin_stage (self, LK_PROBE_STAGE_TLS);
      if (!do_handshake (self, error))
        return FALSE;
    }

  begin_stage (self, LK_PROBE_STAGE_GREETING);
  if (!klass->greeting (self, error))
    return FALSE;

  begin_stage (self, LK_PROBE_STAGE_CAPABILITIES);
  if (!klass->capabilities (self, FALSE, &starttls, &mechanisms, error))
    return FALSE;

  if (priv->server.security == LK_SECURITY_STARTTLS)
    {
      if (!starttls)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_STARTTLS_UNAVAILABLE,
                       _("%s:%u does not offer STARTTLS, so the connection cannot be "
                         "encrypted; Latchkey will not sign in without it. Check the port, "
                         "or whether something on the network strips STARTTLS"),
                       priv->server.host, priv->server.port);
          return FALSE;
        }
      begin_stage (self, LK_PROBE_STAGE_TLS);
      if (!klass->starttls (self, error))
        return FALSE;
      if (lk_line_reader_get_buffered (priv->reader) > 0)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_PROTOCOL,
                       _("%s:%u sent data before TLS was established, which could be an "
                         "attack; check the network"), priv->server.host, priv->server.port);
          return FALSE;
        }
      if (!do_handshake (self, error))
        return FALSE;
      begin_stage (self, LK_PROBE_STAGE_CAPABILITIES);
      g_clear_pointer (&mechanisms, g_strfreev);
      if (!klass->capabilities (self, TRUE, &starttls, &mechanisms, error))
        return FALSE;
    }

  mechanism = lk_sasl_choose ((const char * const *) priv->sasl_mechanisms,
                              (const char * const *) mechanisms);
  if (mechanism == LK_SASL_NONE)
    {
      g_autofree char *offered = g_strjoinv (" ", mechanisms);
      g_autofree char *wanted = priv->sasl_mechanisms != NULL
                                ? g_strjoinv (" ", priv->sasl_mechanisms)
                                : g_strdup ("OAUTHBEARER XOAUTH2");

      g_set_error (error, LK_ERROR, LK_ERROR_MECHANISM_UNAVAILABLE,
                   _("%s offers no OAuth2 sign-in that this profile allows (offered: %s; "
                     "allowed: %s); check that OAuth2 is enabled for %s on the server"),
                   priv->server.host, *offered != '\0' ? offered : _("none"), wanted,
                   lk_protocol_to_string (priv->protocol));
      return FALSE;
    }
  priv->result->mechanism = g_strdup (lk_sasl_mechanism_to_string (mechanism));

  begin_stage (self, LK_PROBE_STAGE_AUTH);
  initial_response = lk_sasl_initial_response (mechanism, priv->sasl_user, priv->server.host,
                                               priv->server.port, access_token);
  add_secret (self, initial_response);
  if (!klass->authenticate (self, mechanism, initial_response, error))
    {
      wipe_and_free (g_steal_pointer (&initial_response));
      return FALSE;
    }
  wipe_and_free (g_steal_pointer (&initial_response));

  if (data->sign_in)
    return klass->after_login == NULL || klass->after_login (self, &data->capabilities, error);

  begin_stage (self, LK_PROBE_STAGE_COMMAND);
  if (!klass->command (self, data->send_test, error))
    return FALSE;

  begin_stage (self, LK_PROBE_STAGE_LOGOUT);
  {
    g_autoptr(GError) local = NULL;

    lk_line_reader_set_timeout (priv->reader, MIN (priv->step_ms, LOGOUT_MS));
    /* A server that hangs up instead of saying goodbye has still let us in. */
    if (!klass->logout (self, &local) && lk_error_is_cancelled (local))
      {
        g_propagate_error (error, g_steal_pointer (&local));
        return FALSE;
      }
  }
  return TRUE;
}

static gboolean
overall_timeout_cb (gpointer user_data)
{
  LkMailProbe *self = user_data;
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);

  priv->overall_timed_out = TRUE;
  g_cancellable_cancel (priv->cancellable);
  return G_SOURCE_REMOVE;
}

static void
caller_cancelled_cb (GCancellable *caller,
                     GCancellable *ours)
{
  g_cancellable_cancel (ours);
}

static void
run_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  LkMailProbe *self = source_object;
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);
  RunData *data = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSource) overall = NULL;
  LkProbeResult *result = priv->result;
  gint64 start = g_get_monotonic_time ();
  gulong handler = 0;

  priv->context = g_main_context_new ();
  g_main_context_push_thread_default (priv->context);
  priv->cancellable = g_cancellable_new ();
  priv->secrets = g_ptr_array_new_with_free_func (wipe_and_free);
  add_secret (self, data->access_token);
  priv->lines_read = 0;
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                     priv->cancellable, NULL);
  overall = g_timeout_source_new (priv->overall_ms);
  g_source_set_callback (overall, overall_timeout_cb, self, NULL);
  g_source_attach (overall, priv->context);

  result->ok = run_stages (self, data, &error);
  begin_stage (self, result->stage);
  if (result->ok && data->sign_in)
    {
      /* Handed over as it is: nothing more is read or written here. The
       * socket's timeout was the probe's step timeout; a GSocket applies
       * it to every source waiting on it too, which would end an idle
       * session (IMAP IDLE) after that long. */
      g_socket_set_timeout (g_socket_connection_get_socket (priv->connection), 0);
      data->buffered = lk_line_reader_steal_buffered (priv->reader);
      data->stream = g_steal_pointer (&priv->stream);
    }
  do_close (self);
  result->total_ms = (g_get_monotonic_time () - start) / 1000;

  g_source_destroy (overall);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, handler);
  if (error != NULL && !lk_error_is_cancelled (error))
    {
      /* Last line of defence: no secret in what is shown. */
      g_autofree char *clean = scrub (self, error->message);
      g_free (error->message);
      error->message = g_steal_pointer (&clean);
    }

  g_clear_pointer (&priv->reader, lk_line_reader_free);
  g_clear_object (&priv->stream);
  g_clear_object (&priv->connection);
  g_clear_object (&priv->ca_database);
  g_clear_pointer (&priv->secrets, g_ptr_array_unref);
  g_clear_object (&priv->cancellable);
  priv->result = NULL;
  while (g_main_context_pending (priv->context))
    g_main_context_iteration (priv->context, FALSE);
  g_main_context_pop_thread_default (priv->context);
  g_clear_pointer (&priv->context, g_main_context_unref);

  if (error != NULL && lk_error_is_cancelled (error) && !priv->overall_timed_out)
    {
      lk_probe_result_unref (result);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  result->error = g_steal_pointer (&error);
  g_task_return_pointer (task, result, (GDestroyNotify) lk_probe_result_unref);
}

/* Hands the conversation to a worker thread (see the top of this file). */
static void
start_run (LkMailProbe         *self,
           const char          *access_token,
           gboolean             send_test,
           gboolean             sign_in,
           gpointer             source_tag,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);
  g_autoptr(GTask) task = NULL;
  RunData *data;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  data = g_new0 (RunData, 1);
  data->access_token = g_strdup (access_token);
  data->send_test = send_test;
  data->sign_in = sign_in;
  g_task_set_task_data (task, data, (GDestroyNotify) run_data_free);
  priv->result = lk_probe_result_new (priv->protocol, priv->server.host, priv->server.port,
                                      priv->server.security);
  g_task_run_in_thread (task, run_thread);
}

/**
 * lk_mail_probe_run_async:
 * @access_token: the bearer token; copied, and wiped when done
 * @send_test: SMTP only: send a short message to the account's own address
 *   instead of NOOP
 *
 * Runs the probe: connect, TLS, greeting, capabilities, authentication, one
 * command that needs the login, logout. A probe runs once at a time.
 */
void
lk_mail_probe_run_async (LkMailProbe         *self,
                         const char          *access_token,
                         gboolean             send_test,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);

  g_return_if_fail (LK_IS_MAIL_PROBE (self));
  g_return_if_fail (access_token != NULL);
  g_return_if_fail (priv->result == NULL);

  start_run (self, access_token, send_test, FALSE, lk_mail_probe_run_async, cancellable,
             callback, user_data);
}

/**
 * lk_mail_probe_run_finish:
 *
 * Returns: (transfer full) (nullable): what the probe found, ok or not (the
 *   failure is in its error field); NULL with G_IO_ERROR_CANCELLED only
 *   when the caller cancelled
 */
LkProbeResult *
lk_mail_probe_run_finish (LkMailProbe   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lk_mail_probe_run_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * lk_mail_probe_sign_in_async:
 * @access_token: the bearer token; copied, and wiped when done
 *
 * Signs in as a probe does (connect, TLS verified, STARTTLS never
 * stripped, greeting, capabilities, SASL with the token) and stops there:
 * the connection is handed over, logged in, for someone else to use (the
 * bridge relays a mail program's session over it). The worker thread is
 * done with it by the time the callback runs.
 */
void
lk_mail_probe_sign_in_async (LkMailProbe         *self,
                             const char          *access_token,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  LkMailProbePrivate *priv = lk_mail_probe_get_instance_private (self);

  g_return_if_fail (LK_IS_MAIL_PROBE (self));
  g_return_if_fail (access_token != NULL);
  g_return_if_fail (priv->result == NULL);

  start_run (self, access_token, FALSE, TRUE, lk_mail_probe_sign_in_async, cancellable,
             callback, user_data);
}

/**
 * lk_mail_probe_sign_in_finish:
 * @out_stream: (out) (transfer full) (nullable): the signed-in connection,
 *   when the result is ok; its streams are pollable
 * @out_buffered: (out) (transfer full) (nullable): what the server sent
 *   after its login reply, to be read before anything from @out_stream
 * @out_capabilities: (out) (transfer full) (nullable): IMAP: the server's
 *   capabilities after the login; SMTP: the extensions of its last EHLO
 *   (lk_smtp_ehlo_keywords())
 *
 * Returns: (transfer full) (nullable): what the sign-in found, ok or not
 *   (the failure is in its error field, for the diagnosis); NULL with
 *   G_IO_ERROR_CANCELLED only when the caller cancelled
 */
LkProbeResult *
lk_mail_probe_sign_in_finish (LkMailProbe   *self,
                              GAsyncResult  *result,
                              GIOStream    **out_stream,
                              GBytes       **out_buffered,
                              char        ***out_capabilities,
                              GError       **error)
{
  RunData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lk_mail_probe_sign_in_async, NULL);

  data = g_task_get_task_data (G_TASK (result));
  if (out_stream != NULL)
    *out_stream = g_steal_pointer (&data->stream);
  if (out_buffered != NULL)
    *out_buffered = g_steal_pointer (&data->buffered);
  if (out_capabilities != NULL)
    *out_capabilities = g_steal_pointer (&data->capabilities);
  return g_task_propagate_pointer (G_TASK (result), error);
}
