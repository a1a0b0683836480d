/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The probes against a real Dovecot with the oauth2 passdb: each protocol ×
 * each mechanism with a realistic 2.5 KB token, the rejections a user meets
 * (expired, another user, wrong audience), a test message that arrives. */
#include "config.h"

#include <string.h>

#include "lk-error.h"
#include "lk-test-dovecot.h"
#include "lk-test-mail.h"
#include "lk-test-utils.h"

#define ALICE "alice@example.com"

static LkTestDovecot *dovecot;

typedef struct
{
  LkProtocol  protocol;
  const char *mechanism;
  LkSecurity  security;
  const char *host;
} Case;

static guint16
port_for (LkProtocol protocol,
          LkSecurity security)
{
  switch (protocol)
    {
    case LK_PROTOCOL_IMAP:
      return security == LK_SECURITY_TLS ? dovecot->imaps : dovecot->imap;
    case LK_PROTOCOL_POP:
      return security == LK_SECURITY_TLS ? dovecot->pop3s : dovecot->pop3;
    case LK_PROTOCOL_SMTP:
      return security == LK_SECURITY_TLS ? dovecot->submissions : dovecot->submission;
    default:
      g_assert_not_reached ();
    }
}

static LkMailProbe *
make_probe (LkProtocol  protocol,
            LkSecurity  security,
            const char *host,
            const char *mechanism,
            const char *user)
{
  LkServer server = { (char *) host, port_for (protocol, security), security };
  const char *mechanisms[] = { mechanism, NULL };
  LkMailProbe *probe = lk_mail_probe_new (protocol, &server, user,
                                          mechanism != NULL ? mechanisms : NULL,
                                          dovecot->ca_file);

  lk_mail_probe_set_timeouts (probe, 5000, 20000);
  return probe;
}

static void
assert_tls_details (const LkProbeResult *result)
{
  g_assert_nonnull (result->tls_version);
  g_assert_true (g_str_has_prefix (result->tls_version, "TLS 1."));
  g_assert_nonnull (result->tls_cipher);
  g_assert_nonnull (strstr (result->cert_subject, "localhost"));
  g_assert_nonnull (strstr (result->cert_issuer, "Latchkey Test CA"));
  g_assert_nonnull (result->cert_not_before);
  g_assert_nonnull (result->cert_not_after);
  g_assert_cmpuint (strlen (result->cert_sha256), ==, 32 * 3 - 1);
}

static void
test_success (gconstpointer data)
{
  const Case *c = data;
  g_autofree char *token = lk_test_dovecot_mint (dovecot, ALICE, NULL, 3600);
  g_autoptr(LkMailProbe) probe = make_probe (c->protocol, c->security, c->host, c->mechanism, ALICE);
  g_autoptr(LkProbeResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (strlen (token), >=, 2400);
  result = lk_test_run_probe (probe, token, FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_no_error (result->error);
  g_assert_true (result->ok);
  g_assert_cmpint (result->stage, ==, LK_PROBE_STAGE_LOGOUT);
  g_assert_cmpstr (result->mechanism, ==, c->mechanism);
  g_assert_cmpint (result->total_ms, >=, 0);
  g_assert_cmpint (result->stage_ms[LK_PROBE_STAGE_AUTH], >=, 0);
  if (c->security != LK_SECURITY_NONE)
    assert_tls_details (result);
  else
    g_assert_null (result->tls_version);
  lk_test_assert_no_leak (result, token, ALICE);
}

typedef struct
{
  LkProtocol  protocol;
  const char *mechanism;
  const char *token_user;
  const char *audience;
  gint64      expires_in;
} Failure;

static void
test_failure (gconstpointer data)
{
  const Failure *f = data;
  LkSecurity security = f->protocol == LK_PROTOCOL_SMTP ? LK_SECURITY_STARTTLS : LK_SECURITY_TLS;
  g_autofree char *token = lk_test_dovecot_mint (dovecot, f->token_user, f->audience, f->expires_in);
  g_autoptr(LkMailProbe) probe = make_probe (f->protocol, security, "127.0.0.2", f->mechanism, ALICE);
  g_autoptr(LkProbeResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const LkErrorDetails *details;

  result = lk_test_run_probe (probe, token, FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (result->ok);
  g_assert_cmpint (result->stage, ==, LK_PROBE_STAGE_AUTH);
  g_assert_error (result->error, LK_ERROR, LK_ERROR_AUTH_REJECTED);
  details = lk_error_get_details (result->error);
  g_assert_nonnull (details);
  /* The server's final answer is kept, and the challenge it sent before. */
  g_assert_nonnull (strstr (details->server_reply, "uthentication failed"));
  g_assert_nonnull (details->challenge);
  g_assert_nonnull (strstr (details->challenge, "status"));
  g_assert_cmpstr (result->challenge, ==, details->challenge);
  g_assert_nonnull (strstr (result->error->message, details->server_reply));
  lk_test_assert_no_leak (result, token, ALICE);
}

static gboolean
sink_has_message (gpointer user_data)
{
  const char *marker = user_data;
  g_autoptr(GDir) dir = g_dir_open (dovecot->sink_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dovecot->sink_dir, name, NULL);
      g_autofree char *contents = NULL;

      if (g_file_get_contents (path, &contents, NULL, NULL)
          && strstr (contents, "Subject: Latchkey test message") != NULL
          && strstr (contents, marker) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
test_send_test (void)
{
  const char *user = "carol@example.com";
  g_autofree char *token = lk_test_dovecot_mint (dovecot, user, NULL, 3600);
  g_autoptr(LkMailProbe) probe = make_probe (LK_PROTOCOL_SMTP, LK_SECURITY_STARTTLS, "127.0.0.2",
                                             NULL, user);
  g_autoptr(LkProbeResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *transcript = NULL;

  g_assert_false (sink_has_message ((gpointer) user));
  result = lk_test_run_probe (probe, token, TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_no_error (result->error);
  g_assert_true (result->ok);
  transcript = lk_probe_result_dup_transcript (result);
  g_assert_nonnull (strstr (transcript, "C: MAIL FROM:<carol@example.com>"));
  g_assert_true (lk_test_wait_for (sink_has_message, (gpointer) user, 5000));
  lk_test_assert_no_leak (result, token, user);
}

typedef struct
{
  GAsyncResult *results[LK_N_PROTOCOLS];
  guint         n_done;
} Parallel;

static void
parallel_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Parallel *p = user_data;

  p->results[lk_mail_probe_get_protocol (LK_MAIL_PROBE (source))] = g_object_ref (result);
  p->n_done++;
}

static void
test_parallel (void)
{
  g_autofree char *token = lk_test_dovecot_mint (dovecot, ALICE, NULL, 3600);
  LkMailProbe *probes[LK_N_PROTOCOLS];
  Parallel p = { { NULL, }, 0 };

  probes[LK_PROTOCOL_IMAP] = make_probe (LK_PROTOCOL_IMAP, LK_SECURITY_TLS, "127.0.0.1", NULL, ALICE);
  probes[LK_PROTOCOL_POP] = make_probe (LK_PROTOCOL_POP, LK_SECURITY_STARTTLS, "127.0.0.2", NULL, ALICE);
  probes[LK_PROTOCOL_SMTP] = make_probe (LK_PROTOCOL_SMTP, LK_SECURITY_TLS, "localhost", NULL, ALICE);
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    lk_mail_probe_run_async (probes[i], token, FALSE, NULL, parallel_cb, &p);
  while (p.n_done < LK_N_PROTOCOLS)
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LkProbeResult) result = lk_mail_probe_run_finish (probes[i], p.results[i], &error);

      g_assert_no_error (error);
      g_assert_no_error (result->error);
      g_assert_true (result->ok);
      /* No profile order: OAUTHBEARER first (doc/protocols.md A4). */
      g_assert_cmpstr (result->mechanism, ==, "OAUTHBEARER");
      lk_test_assert_no_leak (result, token, ALICE);
      g_object_unref (p.results[i]);
      g_object_unref (probes[i]);
    }
}

/* Dovecot refuses to authenticate before TLS on 127.0.0.2; the probe must
 * never have tried, because it refuses clear text off loopback itself, and
 * to 127.0.0.2 it goes through STARTTLS. Clear text to 127.0.0.1 (loopback,
 * profile says "none") is allowed and Dovecot accepts it there. */
static void
test_insecure_refused (void)
{
  g_autofree char *token = lk_test_dovecot_mint (dovecot, ALICE, NULL, 3600);
  LkServer server = { (char *) "mail.example.com", 143, LK_SECURITY_NONE };
  g_autoptr(LkMailProbe) probe = lk_mail_probe_new (LK_PROTOCOL_IMAP, &server, ALICE, NULL, NULL);
  g_autoptr(LkProbeResult) result = NULL;

  result = lk_test_run_probe (probe, token, FALSE, NULL, NULL);
  g_assert_false (result->ok);
  g_assert_error (result->error, LK_ERROR, LK_ERROR_INSECURE_ENDPOINT);
  g_assert_cmpint (result->stage, ==, LK_PROBE_STAGE_CONNECT);
  g_assert_cmpuint (result->transcript->len, ==, 0);
}

static const Case success_cases[] = {
  { LK_PROTOCOL_IMAP, "XOAUTH2", LK_SECURITY_TLS, "127.0.0.1" },
  { LK_PROTOCOL_IMAP, "OAUTHBEARER", LK_SECURITY_TLS, "localhost" },
  { LK_PROTOCOL_IMAP, "XOAUTH2", LK_SECURITY_STARTTLS, "127.0.0.2" },
  { LK_PROTOCOL_IMAP, "OAUTHBEARER", LK_SECURITY_NONE, "127.0.0.1" },
  { LK_PROTOCOL_POP, "XOAUTH2", LK_SECURITY_TLS, "127.0.0.1" },
  { LK_PROTOCOL_POP, "OAUTHBEARER", LK_SECURITY_TLS, "127.0.0.1" },
  { LK_PROTOCOL_POP, "OAUTHBEARER", LK_SECURITY_STARTTLS, "127.0.0.2" },
  { LK_PROTOCOL_SMTP, "XOAUTH2", LK_SECURITY_STARTTLS, "127.0.0.2" },
  { LK_PROTOCOL_SMTP, "OAUTHBEARER", LK_SECURITY_STARTTLS, "127.0.0.2" },
  { LK_PROTOCOL_SMTP, "XOAUTH2", LK_SECURITY_TLS, "127.0.0.1" },
};

static const Failure failure_cases[] = {
  { LK_PROTOCOL_IMAP, "XOAUTH2", ALICE, NULL, -600 },
  { LK_PROTOCOL_POP, "OAUTHBEARER", ALICE, NULL, -600 },
  { LK_PROTOCOL_SMTP, "XOAUTH2", ALICE, NULL, -600 },
  { LK_PROTOCOL_IMAP, "OAUTHBEARER", "mallory@example.com", NULL, 3600 },
  { LK_PROTOCOL_POP, "XOAUTH2", "mallory@example.com", NULL, 3600 },
  { LK_PROTOCOL_SMTP, "OAUTHBEARER", "mallory@example.com", NULL, 3600 },
  { LK_PROTOCOL_IMAP, "XOAUTH2", ALICE, "https://graph.microsoft.com", 3600 },
  { LK_PROTOCOL_POP, "OAUTHBEARER", ALICE, "https://graph.microsoft.com", 3600 },
  { LK_PROTOCOL_SMTP, "XOAUTH2", ALICE, "https://graph.microsoft.com", 3600 },
};

static const char *
failure_name (const Failure *f)
{
  if (f->expires_in < 0)
    return "expired";
  if (f->audience != NULL)
    return "wrong-audience";
  return "other-user";
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (success_cases); i++)
    {
      const Case *c = &success_cases[i];
      g_autofree char *path = g_strdup_printf ("/mail/dovecot/%s/%s/%s/%s",
                                               lk_protocol_to_string (c->protocol),
                                               lk_security_to_string (c->security),
                                               c->host, c->mechanism);
      g_test_add_data_func (path, c, test_success);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (failure_cases); i++)
    {
      const Failure *f = &failure_cases[i];
      g_autofree char *path = g_strdup_printf ("/mail/dovecot/reject/%s/%s/%s",
                                               failure_name (f),
                                               lk_protocol_to_string (f->protocol), f->mechanism);
      g_test_add_data_func (path, f, test_failure);
    }
  g_test_add_func ("/mail/dovecot/smtp/send-test", test_send_test);
  g_test_add_func ("/mail/dovecot/parallel", test_parallel);
  g_test_add_func ("/mail/dovecot/insecure-refused", test_insecure_refused);

  dovecot = lk_test_dovecot_start ();
  status = g_test_run ();
  lk_test_dovecot_stop (dovecot);
  return status;
}
