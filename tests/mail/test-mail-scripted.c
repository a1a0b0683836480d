/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The probes against scripted servers, for what Dovecot cannot be made to
 * do: no STARTTLS, a certificate for another host, Exchange's 535 5.7.139,
 * Gmail's JSON challenge, garbage, endless lines, a connection dropped in
 * the middle of AUTH, a server that never answers. None may crash, hang
 * past its timeout, or show the token. */
#include "config.h"

#include <string.h>

#include "lk-error.h"
#include "lk-test-jwt.h"
#include "lk-test-mail.h"
#include "lk-test-utils.h"

#define USER "alice@example.com"
#define GMAIL_CHALLENGE "{\"status\":\"401\",\"schemes\":\"bearer mac\",\"scope\":\"https://mail.google.com/\"}"
#define EXCHANGE_535 "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."

static char *certs;

typedef struct Server Server;
typedef void (*ServeFunc) (Server           *server,
                           GDataInputStream *in,
                           GOutputStream    *out);

struct Server
{
  GSocketService  *service;
  guint16          port;
  ServeFunc        serve;
  GTlsCertificate *certificate;   /* implicit TLS when set */
  gconstpointer    data;
  GMutex           lock;
  GPtrArray       *received;      /* what the client sent, line by line */
};

static gboolean
run_cb (GThreadedSocketService *service,
        GSocketConnection      *connection,
        GObject                *source,
        Server                 *server)
{
  g_autoptr(GIOStream) stream = g_object_ref (G_IO_STREAM (connection));
  g_autoptr(GDataInputStream) in = NULL;

  if (server->certificate != NULL)
    {
      g_autoptr(GIOStream) tls = g_tls_server_connection_new (stream, server->certificate, NULL);

      if (tls == NULL || !g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, NULL))
        return TRUE;
      g_set_object (&stream, tls);
    }
  in = g_data_input_stream_new (g_io_stream_get_input_stream (stream));
  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  server->serve (server, in, g_io_stream_get_output_stream (stream));
  g_io_stream_close (stream, NULL, NULL);
  return TRUE;
}

static Server *
server_new (ServeFunc     serve,
            const char   *cert_name,
            gconstpointer data)
{
  Server *server = g_new0 (Server, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  server->serve = serve;
  server->data = data;
  server->received = g_ptr_array_new_with_free_func (g_free);
  g_mutex_init (&server->lock);
  if (cert_name != NULL)
    {
      g_autofree char *cert = g_strdup_printf ("%s/%s.pem", certs, cert_name);
      g_autofree char *key = g_strdup_printf ("%s/%s-key.pem", certs, cert_name);

      server->certificate = g_tls_certificate_new_from_files (cert, key, &error);
      g_assert_no_error (error);
    }
  server->service = g_threaded_socket_service_new (4);
  g_socket_listener_add_address (G_SOCKET_LISTENER (server->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (server->service, "run", G_CALLBACK (run_cb), server);
  g_socket_service_start (server->service);
  return server;
}

static void
server_free (Server *server)
{
  g_socket_service_stop (server->service);
  g_socket_listener_close (G_SOCKET_LISTENER (server->service));
  g_clear_object (&server->service);
  g_clear_object (&server->certificate);
  g_ptr_array_unref (server->received);
  g_mutex_clear (&server->lock);
  g_free (server);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Server, server_free)

static void
say (GOutputStream *out,
     const char    *line)
{
  g_autofree char *text = g_strconcat (line, "\r\n", NULL);

  g_output_stream_write_all (out, text, strlen (text), NULL, NULL, NULL);
}

static char *
hear (Server           *server,
      GDataInputStream *in)
{
  char *line = g_data_input_stream_read_line (in, NULL, NULL, NULL);

  if (line != NULL)
    {
      gsize len = strlen (line);

      if (len > 0 && line[len - 1] == '\r')
        line[len - 1] = '\0';
      g_mutex_lock (&server->lock);
      g_ptr_array_add (server->received, g_strdup (line));
      g_mutex_unlock (&server->lock);
    }
  return line;
}

/* Reads until the client hangs up. */
static void
drain (Server           *server,
       GDataInputStream *in)
{
  char *line;

  while ((line = hear (server, in)) != NULL)
    g_free (line);
}

static gboolean
received_starts_with (Server     *server,
                      const char *prefix)
{
  gboolean found = FALSE;

  g_mutex_lock (&server->lock);
  for (guint i = 0; i < server->received->len; i++)
    found |= g_str_has_prefix (g_ptr_array_index (server->received, i), prefix);
  g_mutex_unlock (&server->lock);
  return found;
}

static char *
mint (gsize pad_to)
{
  static const guint8 key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

  return lk_test_jwt_mint (key, sizeof key, "https://issuer.test", USER, "latchkey-test",
                           "mail", 3600, pad_to);
}

static LkProbeResult *
probe_with (LkProtocol          protocol,
            Server             *server,
            LkSecurity          security,
            const char * const *mechanisms,
            gboolean            with_ca,
            const char         *token,
            guint               step_ms,
            GError            **error)
{
  LkServer where = { (char *) "127.0.0.1", server != NULL ? server->port : 1, security };
  g_autofree char *ca = g_strdup_printf ("%s/ca.pem", certs);
  g_autoptr(LkMailProbe) probe = lk_mail_probe_new (protocol, &where, USER, mechanisms,
                                                    with_ca ? ca : NULL);
  LkProbeResult *result;

  lk_mail_probe_set_timeouts (probe, step_ms, 5000);
  result = lk_test_run_probe (probe, token, FALSE, NULL, error);
  if (result != NULL)
    lk_test_assert_no_leak (result, token, USER);
  return result;
}

/* ── No STARTTLS ──────────────────────────────────────────────────────── */

static void
serve_smtp_no_starttls (Server           *server,
                        GDataInputStream *in,
                        GOutputStream    *out)
{
  g_autofree char *ehlo = NULL;

  say (out, "220 mx.example.com ESMTP");
  ehlo = hear (server, in);
  say (out, "250-mx.example.com");
  say (out, "250-AUTH LOGIN XOAUTH2");
  say (out, "250 SIZE 1000000");
  drain (server, in);
}

static void
serve_imap_no_starttls (Server           *server,
                        GDataInputStream *in,
                        GOutputStream    *out)
{
  say (out, "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready");
  drain (server, in);
}

static void
test_no_starttls (gconstpointer data)
{
  LkProtocol protocol = GPOINTER_TO_UINT (data);
  g_autoptr(Server) server = server_new (protocol == LK_PROTOCOL_SMTP ? serve_smtp_no_starttls
                                                                     : serve_imap_no_starttls,
                                         NULL, NULL);
  g_autofree char *token = mint (2500);
  g_autoptr(LkProbeResult) result = probe_with (protocol, server, LK_SECURITY_STARTTLS, NULL,
                                                FALSE, token, 2000, NULL);

  g_assert_false (result->ok);
  g_assert_error (result->error, LK_ERROR, LK_ERROR_STARTTLS_UNAVAILABLE);
  g_assert_cmpint (result->stage, ==, LK_PROBE_STAGE_CAPABILITIES);
  /* Never a downgrade: nothing was offered in clear text. */
  g_assert_false (received_starts_with (server, "AUTH"));
  g_assert_false (received_starts_with (server, "L1 AUTH"));
  g_assert_false (received_starts_with (server, "L2 AUTH"));
}

/* ── Certificates ─────────────────────────────────────────────────────── */

static void
serve_imap_ok (Server           *server,
               GDataInputStream *in,
               GOutputStream    *out)
{
  char *line;

  /* No SASL-IR: the response must come on the continuation line. */
  say (out, "* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] ready");
  while ((line = hear (server, in)) != NULL)
    {
      g_auto(GStrv) words = g_strsplit (line, " ", 3);
      g_autofree char *reply = NULL;

      if (words[0] != NULL && words[1] != NULL && strcmp (words[1], "AUTHENTICATE") == 0)
        {
          g_autofree char *response = NULL;

          say (out, "+ ");
          response = hear (server, in);
          reply = g_strdup_printf ("%s OK Logged in", words[0]);
        }
      else if (words[0] != NULL && words[1] != NULL && strcmp (words[1], "LOGOUT") == 0)
        {
          say (out, "* BYE");
          reply = g_strdup_printf ("%s OK bye", words[0]);
        }
      else if (words[0] != NULL)
        reply = g_strdup_printf ("%s OK done", words[0]);
      g_free (line);
      if (reply != NULL)
        say (out, reply);
    }
}

static void
test_ca_file (void)
{
  g_autoptr(Server) server = server_new (serve_imap_ok, "server", NULL);
  g_autofree char *token = mint (2500);
  g_autoptr(LkProbeResult) trusted = probe_with (LK_PROTOCOL_IMAP, server, LK_SECURITY_TLS, NULL,
                                                 TRUE, token, 3000, NULL);
  g_autoptr(LkProbeResult) untrusted = NULL;

  g_assert_no_error (trusted->error);
  g_assert_true (trusted->ok);
  g_assert_cmpstr (trusted->mechanism, ==, "XOAUTH2");
  g_assert_true (received_starts_with (server, "L1 AUTHENTICATE XOAUTH2"));
  g_assert_false (received_starts_with (server, "L1 AUTHENTICATE XOAUTH2 "));
  g_assert_nonnull (strstr (trusted->cert_issuer, "Latchkey Test CA"));

  /* The system store alone does not know the test CA. */
  untrusted = probe_with (LK_PROTOCOL_IMAP, server, LK_SECURITY_TLS, NULL, FALSE, token, 3000, NULL);
  g_assert_false (untrusted->ok);
  g_assert_error (untrusted->error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_cmpint (untrusted->stage, ==, LK_PROBE_STAGE_TLS);
}

static void
test_wrong_host (void)
{
  g_autoptr(Server) server = server_new (serve_imap_ok, "wrong-host", NULL);
  g_autofree char *token = mint (2500);
  g_autoptr(LkProbeResult) result = probe_with (LK_PROTOCOL_IMAP, server, LK_SECURITY_TLS, NULL,
                                                TRUE, token, 3000, NULL);

  g_assert_false (result->ok);
  g_assert_error (result->error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_cmpint (result->stage, ==, LK_PROBE_STAGE_TLS);
  g_assert_nonnull (strstr (result->error->message, "127.0.0.1"));
  g_assert_nonnull (result->cert_subject);
  g_assert_nonnull (strstr (result->cert_subject, "wrong-host.test"));
  g_assert_cmpuint (server->received->len, ==, 0);
}

/* ── Exchange's 535 5.7.139 ───────────────────────────────────────────── */

static void
serve_exchange (Server           *server,
                GDataInputStream *in,
                GOutputStream    *out)
{
  g_autofree char *ehlo = NULL;
  g_autofree char *auth = NULL;

  say (out, "220 BN9PR03CA0000.outlook.office365.com Microsoft ESMTP MAIL Service ready");
  ehlo = hear (server, in);
  say (out, "250-BN9PR03CA0000.outlook.office365.com Hello [127.0.0.1]");
  say (out, "250-SIZE 157286400");
  say (out, "250-AUTH LOGIN XOAUTH2");
  say (out, "250 SMTPUTF8");
  auth = hear (server, in);
  if (auth != NULL && strcmp (auth, "AUTH XOAUTH2") == 0)
    {
      g_autofree char *response = NULL;

      say (out, "334 ");
      response = hear (server, in);
    }
  say (out, EXCHANGE_535);
  drain (server, in);
}

static void
test_exchange_535 (gconstpointer data)
{
  gsize pad_to = GPOINTER_TO_SIZE (data);
  g_autoptr(Server) server = server_new (serve_exchange, NULL, NULL);
  /* pad_to 0: a short opaque token whose AUTH line fits in 512 octets. */
  g_autofree char *token = pad_to > 0 ? mint (pad_to) : lk_test_random_string ("lkat_", 48);
  g_autoptr(LkProbeResult) result = probe_with (LK_PROTOCOL_SMTP, server, LK_SECURITY_NONE, NULL,
                                                FALSE, token, 3000, NULL);
  const LkErrorDetails *details;

  g_assert_false (result->ok);
  g_assert_cmpint (result->stage, ==, LK_PROBE_STAGE_AUTH);
  g_assert_error (result->error, LK_ERROR, LK_ERROR_AUTH_REJECTED);
  details = lk_error_get_details (result->error);
  g_assert_cmpstr (details->server_reply, ==, EXCHANGE_535);
  g_assert_nonnull (strstr (result->error->message, "5.7.139"));
  g_assert_cmpstr (result->mechanism, ==, "XOAUTH2");

  g_mutex_lock (&server->lock);
  for (guint i = 0; i < server->received->len; i++)
    {
      const char *line = g_ptr_array_index (server->received, i);

      /* RFC 4954 §4: the AUTH line stays within 512 octets with CRLF. */
      if (g_str_has_prefix (line, "AUTH"))
        {
          g_assert_cmpuint (strlen (line) + 2, <=, 512);
          if (pad_to > 1000)
            g_assert_cmpstr (line, ==, "AUTH XOAUTH2");
          else
            g_assert_true (g_str_has_prefix (line, "AUTH XOAUTH2 "));
        }
    }
  g_mutex_unlock (&server->lock);
}

/* ── Gmail's JSON challenge ───────────────────────────────────────────── */

static void
serve_gmail (Server           *server,
             GDataInputStream *in,
             GOutputStream    *out)
{
  g_autofree char *challenge = g_base64_encode ((const guchar *) GMAIL_CHALLENGE,
                                                strlen (GMAIL_CHALLENGE));
  char *line;

  say (out, "* OK Gimap ready for requests from 127.0.0.1");
  while ((line = hear (server, in)) != NULL)
    {
      g_auto(GStrv) words = g_strsplit (line, " ", 3);
      g_autofree char *reply = NULL;

      if (words[0] == NULL || words[1] == NULL)
        reply = g_strdup ("* BAD what");
      else if (strcmp (words[1], "CAPABILITY") == 0)
        {
          say (out, "* CAPABILITY IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN "
                    "X-GM-EXT-1 XYZZY SASL-IR AUTH=XOAUTH2 AUTH=PLAIN AUTH=PLAIN-CLIENTTOKEN "
                    "AUTH=OAUTHBEARER AUTH=XOAUTH");
          reply = g_strdup_printf ("%s OK Thats all she wrote!", words[0]);
        }
      else if (strcmp (words[1], "AUTHENTICATE") == 0)
        {
          g_autofree char *plus = g_strconcat ("+ ", challenge, NULL);
          g_autofree char *answer = NULL;

          say (out, plus);
          answer = hear (server, in);
          reply = g_strdup_printf ("%s NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)",
                                   words[0]);
        }
      g_free (line);
      if (reply != NULL)
        say (out, reply);
    }
}

static void
test_gmail_challenge (gconstpointer data)
{
  const char *mechanism = data;
  const char *mechanisms[] = { mechanism, NULL };
  g_autoptr(Server) server = server_new (serve_gmail, NULL, NULL);
  g_autofree char *token = mint (1200);
  g_autoptr(LkProbeResult) result = probe_with (LK_PROTOCOL_IMAP, server, LK_SECURITY_NONE,
                                                mechanisms, FALSE, token, 3000, NULL);
  const LkErrorDetails *details;
  const char *answer = NULL;

  g_assert_false (result->ok);
  g_assert_error (result->error, LK_ERROR, LK_ERROR_AUTH_REJECTED);
  g_assert_cmpstr (result->challenge, ==, GMAIL_CHALLENGE);
  details = lk_error_get_details (result->error);
  g_assert_cmpstr (details->challenge, ==, GMAIL_CHALLENGE);
  g_assert_nonnull (strstr (details->server_reply, "Invalid credentials"));

  /* The line after the SASL-IR command answers the challenge. */
  g_mutex_lock (&server->lock);
  for (guint i = 0; i + 1 < server->received->len; i++)
    if (strstr (g_ptr_array_index (server->received, i), "AUTHENTICATE") != NULL)
      answer = g_ptr_array_index (server->received, i + 1);
  g_assert_cmpstr (answer, ==, strcmp (mechanism, "OAUTHBEARER") == 0 ? "AQ==" : "");
  g_mutex_unlock (&server->lock);
}

/* ── Garbage, endless lines, dropped connections, silence ─────────────── */

static void
serve_garbage (Server           *server,
               GDataInputStream *in,
               GOutputStream    *out)
{
  const char junk[] = "\x80\x81\xfe\xff\x01garbage\x00\x7f\r\n";

  g_output_stream_write_all (out, junk, sizeof junk - 1, NULL, NULL, NULL);
  drain (server, in);
}

static void
serve_endless (Server           *server,
               GDataInputStream *in,
               GOutputStream    *out)
{
  char chunk[8192];

  memset (chunk, 'A', sizeof chunk);
  /* 1 MiB without a line end, or until the client gives up. */
  for (guint i = 0; i < 128; i++)
    if (!g_output_stream_write_all (out, chunk, sizeof chunk, NULL, NULL, NULL))
      break;
  drain (server, in);
}

static void
serve_drop_mid_auth (Server           *server,
                     GDataInputStream *in,
                     GOutputStream    *out)
{
  g_autofree char *capa = NULL;
  g_autofree char *auth = NULL;

  say (out, "+OK POP3 ready");
  capa = hear (server, in);
  say (out, "+OK");
  say (out, "SASL XOAUTH2");
  say (out, ".");
  auth = hear (server, in);
  /* Hang up instead of answering. */
}

static void
serve_silent (Server           *server,
              GDataInputStream *in,
              GOutputStream    *out)
{
  drain (server, in);
}

static void
serve_chatty (Server           *server,
              GDataInputStream *in,
              GOutputStream    *out)
{
  g_autofree char *line = NULL;

  say (out, "* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] ready");
  line = hear (server, in);
  /* Untagged data forever, each line well within the step timeout. */
  for (guint i = 0; i < 100; i++)
    {
      g_usleep (100 * 1000);
      if (!g_output_stream_write_all (out, "* OK still here\r\n", 17, NULL, NULL, NULL))
        break;
    }
}

typedef struct
{
  const char   *name;
  LkProtocol    protocol;
  ServeFunc     serve;
  guint         step_ms;
  LkProbeStage  stage;
  GQuark        domain;
  int           code;
  const char   *message_part;
  gint64        max_ms;
} Misbehaviour;

static void
test_misbehaviour (gconstpointer data)
{
  const Misbehaviour *m = data;
  g_autoptr(Server) server = server_new (m->serve, NULL, NULL);
  g_autofree char *token = mint (2500);
  gint64 start = g_get_monotonic_time ();
  g_autoptr(LkProbeResult) result = probe_with (m->protocol, server, LK_SECURITY_NONE, NULL,
                                                FALSE, token, m->step_ms, NULL);
  gint64 elapsed = (g_get_monotonic_time () - start) / 1000;

  g_assert_false (result->ok);
  g_assert_error (result->error, LK_ERROR, m->code);
  g_assert_cmpint (result->stage, ==, m->stage);
  if (m->message_part != NULL)
    g_assert_nonnull (strstr (result->error->message, m->message_part));
  g_assert_cmpint (elapsed, <, m->max_ms);
}

static void
test_refused (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autofree char *token = mint (100);
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, NULL);
  LkServer where = { (char *) "127.0.0.1", port, LK_SECURITY_TLS };
  g_autoptr(LkMailProbe) probe = NULL;
  g_autoptr(LkProbeResult) result = NULL;

  g_socket_listener_close (listener);  /* now nobody listens there */
  probe = lk_mail_probe_new (LK_PROTOCOL_IMAP, &where, USER, NULL, NULL);
  result = lk_test_run_probe (probe, token, FALSE, NULL, NULL);
  g_assert_false (result->ok);
  g_assert_error (result->error, LK_ERROR, LK_ERROR_NETWORK);
  g_assert_cmpint (result->stage, ==, LK_PROBE_STAGE_CONNECT);
  g_assert_nonnull (strstr (result->error->message, "127.0.0.1"));
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel (void)
{
  g_autoptr(Server) server = server_new (serve_silent, NULL, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *token = mint (2500);
  LkServer where = { (char *) "127.0.0.1", server->port, LK_SECURITY_NONE };
  g_autoptr(LkMailProbe) probe = lk_mail_probe_new (LK_PROTOCOL_SMTP, &where, USER, NULL, NULL);
  g_autoptr(LkProbeResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  g_timeout_add (200, cancel_cb, cancellable);
  result = lk_test_run_probe (probe, token, FALSE, cancellable, &error);
  g_assert_null (result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, <, 2000);
}

static const Misbehaviour misbehaviours[] = {
  { "garbage", LK_PROTOCOL_IMAP, serve_garbage, 2000, LK_PROBE_STAGE_GREETING,
    0, LK_ERROR_PROTOCOL, "answered unexpectedly", 3000 },
  { "endless-line", LK_PROTOCOL_SMTP, serve_endless, 2000, LK_PROBE_STAGE_GREETING,
    0, LK_ERROR_PROTOCOL, "overlong", 3000 },
  { "drop-mid-auth", LK_PROTOCOL_POP, serve_drop_mid_auth, 2000, LK_PROBE_STAGE_AUTH,
    0, LK_ERROR_NETWORK, "closed", 3000 },
  { "silent", LK_PROTOCOL_IMAP, serve_silent, 500, LK_PROBE_STAGE_GREETING,
    0, LK_ERROR_TIMED_OUT, "127.0.0.1", 2000 },
  { "chatty-overall-timeout", LK_PROTOCOL_IMAP, serve_chatty, 1000, LK_PROBE_STAGE_AUTH,
    0, LK_ERROR_TIMED_OUT, "127.0.0.1", 7000 },
};

int
main (int    argc,
      char **argv)
{
  g_autofree char *script = NULL;
  const char *argv_ca[] = { NULL, NULL, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_test_init (&argc, &argv, NULL);

  certs = lk_test_make_scratch ();
  script = lk_test_source_path ("tests", "certs", "make-test-ca.sh", NULL);
  argv_ca[0] = script;
  argv_ca[1] = certs;
  g_spawn_sync (NULL, (char **) argv_ca, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  g_test_add_data_func ("/mail/scripted/no-starttls/smtp", GUINT_TO_POINTER (LK_PROTOCOL_SMTP), test_no_starttls);
  g_test_add_data_func ("/mail/scripted/no-starttls/imap", GUINT_TO_POINTER (LK_PROTOCOL_IMAP), test_no_starttls);
  g_test_add_func ("/mail/scripted/tls/ca-file", test_ca_file);
  g_test_add_func ("/mail/scripted/tls/wrong-host", test_wrong_host);
  g_test_add_data_func ("/mail/scripted/exchange-535/long-token", GSIZE_TO_POINTER (2500), test_exchange_535);
  g_test_add_data_func ("/mail/scripted/exchange-535/short-token", GSIZE_TO_POINTER (0), test_exchange_535);
  g_test_add_data_func ("/mail/scripted/gmail-challenge/xoauth2", "XOAUTH2", test_gmail_challenge);
  g_test_add_data_func ("/mail/scripted/gmail-challenge/oauthbearer", "OAUTHBEARER", test_gmail_challenge);
  for (gsize i = 0; i < G_N_ELEMENTS (misbehaviours); i++)
    {
      g_autofree char *path = g_strdup_printf ("/mail/scripted/%s", misbehaviours[i].name);
      g_test_add_data_func (path, &misbehaviours[i], test_misbehaviour);
    }
  g_test_add_func ("/mail/scripted/refused", test_refused);
  g_test_add_func ("/mail/scripted/cancel", test_cancel);

  status = g_test_run ();
  {
    const char *rm[] = { "rm", "-rf", certs, NULL };
    g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
  }
  g_free (certs);
  return status;
}
