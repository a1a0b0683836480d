/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SASL vectors from the specifications and the pure reply parsers. */
#include "config.h"

#include <string.h>

#include "lk-error.h"
#include "mail/lk-mail-reply.h"
#include "mail/lk-sasl.h"

static void
test_sasl_xoauth2 (void)
{
  /* developers.google.com/gmail/imap/xoauth2-protocol */
  g_autofree char *ir = lk_sasl_xoauth2_initial_response ("someuser@example.com",
                                                          "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");

  g_assert_cmpstr (ir, ==, "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52"
                           "YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==");
}

static void
test_sasl_oauthbearer (void)
{
  /* RFC 7628 §4.1 */
  g_autofree char *ir = lk_sasl_oauthbearer_initial_response ("user@example.com", "server.example.com",
                                                              143, "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
  g_autofree char *escaped = lk_sasl_oauthbearer_initial_response ("a,b=c@example.com", NULL, 0, "T");

  g_assert_cmpstr (ir, ==, "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1"
                           "dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB");
  /* RFC 5801: "," and "=" in the authzid are escaped. */
  g_assert_cmpstr (escaped, ==, "bixhPWE9MkNiPTNEY0BleGFtcGxlLmNvbSwBYXV0aD1CZWFyZXIgVAEB");
}

static void
test_sasl_challenge (void)
{
  g_autofree char *gmail = lk_sasl_decode_challenge ("eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIs"
                                                     "InNjb3BlIjoiaHR0cHM6Ly9tYWlsLmdvb2dsZS5jb20vIn0=");

  g_assert_cmpstr (gmail, ==, "{\"status\":\"401\",\"schemes\":\"bearer mac\",\"scope\":\"https://mail.google.com/\"}");
  g_assert_null (lk_sasl_decode_challenge (""));
  g_assert_null (lk_sasl_decode_challenge ("not base64!"));
  g_assert_null (lk_sasl_decode_challenge ("AAEC"));  /* binary */
  g_assert_cmpstr (lk_sasl_failure_reply (LK_SASL_XOAUTH2), ==, "");
  g_assert_cmpstr (lk_sasl_failure_reply (LK_SASL_OAUTHBEARER), ==, "AQ==");
}

static void
test_sasl_choose (void)
{
  const char *exchange[] = { "PLAIN", "XOAUTH2", NULL };
  const char *gmail[] = { "XOAUTH2", "PLAIN", "PLAIN-CLIENTTOKEN", "OAUTHBEARER", NULL };
  const char *xoauth2_first[] = { "XOAUTH2", "OAUTHBEARER", NULL };
  const char *plain[] = { "PLAIN", "LOGIN", NULL };
  const char *bogus_first[] = { "PLAIN", "oauthbearer", NULL };

  g_assert_cmpint (lk_sasl_choose (NULL, exchange), ==, LK_SASL_XOAUTH2);
  g_assert_cmpint (lk_sasl_choose (NULL, gmail), ==, LK_SASL_OAUTHBEARER);
  g_assert_cmpint (lk_sasl_choose (xoauth2_first, gmail), ==, LK_SASL_XOAUTH2);
  g_assert_cmpint (lk_sasl_choose (NULL, plain), ==, LK_SASL_NONE);
  g_assert_cmpint (lk_sasl_choose (bogus_first, gmail), ==, LK_SASL_OAUTHBEARER);
  g_assert_cmpint (lk_sasl_choose (NULL, NULL), ==, LK_SASL_NONE);
}

static void
test_imap_lines (void)
{
  g_auto(LkImapReply) greeting = { 0, };
  g_auto(LkImapReply) tagged = { 0, };
  g_auto(LkImapReply) cont = { 0, };
  g_auto(LkImapReply) data = { 0, };
  g_auto(LkImapReply) bad = { 0, };
  g_auto(GStrv) caps = NULL;
  g_auto(GStrv) mechs = NULL;
  g_auto(GStrv) caps2 = NULL;

  g_assert_true (lk_imap_reply_parse ("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 auth=oauthbearer] ready.", &greeting));
  g_assert_cmpint (greeting.kind, ==, LK_IMAP_LINE_UNTAGGED);
  g_assert_cmpint (greeting.status, ==, LK_IMAP_STATUS_OK);
  g_assert_cmpstr (greeting.text, ==, "ready.");
  caps = lk_imap_reply_get_capabilities (&greeting);
  g_assert_true (lk_capabilities_contain ((const char * const *) caps, "sasl-ir"));
  mechs = lk_imap_capabilities_get_mechanisms ((const char * const *) caps);
  g_assert_cmpuint (g_strv_length (mechs), ==, 2);
  g_assert_cmpstr (mechs[1], ==, "OAUTHBEARER");

  g_assert_true (lk_imap_reply_parse ("A01 NO [AUTHENTICATIONFAILED] Authentication failed.", &tagged));
  g_assert_cmpint (tagged.kind, ==, LK_IMAP_LINE_TAGGED);
  g_assert_cmpstr (tagged.tag, ==, "A01");
  g_assert_cmpint (tagged.status, ==, LK_IMAP_STATUS_NO);
  g_assert_cmpstr (tagged.code, ==, "AUTHENTICATIONFAILED");

  g_assert_true (lk_imap_reply_parse ("+ eyJzdGF0dXMiOiI0MDEifQ==", &cont));
  g_assert_cmpint (cont.kind, ==, LK_IMAP_LINE_CONTINUATION);
  g_assert_cmpstr (cont.text, ==, "eyJzdGF0dXMiOiI0MDEifQ==");

  g_assert_true (lk_imap_reply_parse ("* CAPABILITY IMAP4rev1 STARTTLS AUTH=XOAUTH2", &data));
  caps2 = lk_imap_reply_get_capabilities (&data);
  g_assert_true (lk_capabilities_contain ((const char * const *) caps2, "STARTTLS"));

  g_assert_false (lk_imap_reply_parse ("A1 HELLO world", &bad));
  g_assert_cmpint (bad.kind, ==, LK_IMAP_LINE_INVALID);
  lk_imap_reply_clear (&bad);
  g_assert_false (lk_imap_reply_parse ("", &bad));
  lk_imap_reply_clear (&bad);
  g_assert_false (lk_imap_reply_parse ("\x01\x02\xff garbage", &bad));
}

static void
test_pop (void)
{
  const char *capa[] = { "TOP", "UIDL", "STLS", "SASL XOAUTH2 OAUTHBEARER", "USER", NULL };
  g_auto(GStrv) mechs = NULL;
  gboolean stls;
  const char *text;

  g_assert_cmpint (lk_pop_reply_parse ("+OK Dovecot ready.", &text), ==, LK_POP_REPLY_OK);
  g_assert_cmpstr (text, ==, "Dovecot ready.");
  g_assert_cmpint (lk_pop_reply_parse ("-ERR [AUTH] Authentication failed.", &text), ==, LK_POP_REPLY_ERR);
  g_assert_cmpstr (text, ==, "[AUTH] Authentication failed.");
  g_assert_cmpint (lk_pop_reply_parse ("+ ", &text), ==, LK_POP_REPLY_CONTINUATION);
  g_assert_cmpstr (text, ==, "");
  g_assert_cmpint (lk_pop_reply_parse ("+OKAY", NULL), ==, LK_POP_REPLY_INVALID);
  g_assert_cmpint (lk_pop_reply_parse ("", NULL), ==, LK_POP_REPLY_INVALID);

  lk_pop_capa_parse (capa, &stls, &mechs);
  g_assert_true (stls);
  g_assert_cmpuint (g_strv_length (mechs), ==, 2);
  g_assert_cmpstr (mechs[0], ==, "XOAUTH2");
}

static void
test_smtp (void)
{
  g_autoptr(LkSmtpReply) ehlo = lk_smtp_reply_new ();
  g_autoptr(LkSmtpReply) exchange = lk_smtp_reply_new ();
  g_autoptr(LkSmtpReply) mixed = lk_smtp_reply_new ();
  g_autoptr(LkSmtpReply) junk = lk_smtp_reply_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) mechs = NULL;
  g_autofree char *text = NULL;
  gboolean starttls;

  g_assert_false (lk_smtp_reply_feed (ehlo, "250-mail.test", &error));
  g_assert_no_error (error);
  g_assert_false (lk_smtp_reply_feed (ehlo, "250-STARTTLS", &error));
  g_assert_false (lk_smtp_reply_feed (ehlo, "250-AUTH LOGIN XOAUTH2", &error));
  g_assert_false (lk_smtp_reply_feed (ehlo, "250-AUTH=LOGIN XOAUTH2", &error));
  g_assert_true (lk_smtp_reply_feed (ehlo, "250 SIZE 157286400", &error));
  g_assert_no_error (error);
  lk_smtp_ehlo_parse (ehlo, &starttls, &mechs);
  g_assert_true (starttls);
  g_assert_cmpuint (g_strv_length (mechs), ==, 2);
  g_assert_cmpstr (mechs[1], ==, "XOAUTH2");
  /* SIZE (RFC 1870 §4): what the bridge's queue checks a message against. */
  {
    g_auto(GStrv) keywords = lk_smtp_ehlo_keywords (ehlo);
    static const struct { const char *keywords[3]; gint64 max_size; } sizes[] = {
      { { "8BITMIME", "size 35882577", NULL }, 35882577 },
      { { "SIZE", NULL }, 0 },
      { { "SIZE 0", NULL }, 0 },
      { { "SIZE  1000 ", NULL }, 1000 },
      { { "SIZEX 1000", "8BITMIME", NULL }, -1 },
      { { "SIZE ten", NULL }, -1 },
      { { "SIZE 10 MB", NULL }, -1 },
      { { "SIZE 99999999999999999999999", NULL }, -1 },
      { { "SIZE -5", NULL }, -1 },
      { { NULL }, -1 },
    };

    g_assert_cmpuint (g_strv_length (keywords), ==, 4);
    g_assert_cmpstr (keywords[0], ==, "STARTTLS");
    g_assert_cmpint (lk_smtp_ehlo_max_size ((const char * const *) keywords), ==, 157286400);
    g_assert_cmpint (lk_smtp_ehlo_max_size (NULL), ==, -1);
    for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
      g_assert_cmpint (lk_smtp_ehlo_max_size (sizes[i].keywords), ==, sizes[i].max_size);
  }

  g_assert_true (lk_smtp_reply_feed (exchange, "535 5.7.139 Authentication unsuccessful, "
                                     "SmtpClientAuthentication is disabled for the Tenant.", &error));
  g_assert_cmpuint (exchange->code, ==, 535);
  g_assert_cmpstr (exchange->enhanced, ==, "5.7.139");
  text = lk_smtp_reply_to_string (exchange);
  g_assert_true (g_str_has_prefix (text, "535 5.7.139 Authentication unsuccessful"));

  g_assert_false (lk_smtp_reply_feed (mixed, "250-one", &error));
  g_assert_false (lk_smtp_reply_feed (mixed, "354 two", &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_false (lk_smtp_reply_feed (junk, "HTTP/1.1 400 Bad Request", &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_PROTOCOL);
}

/* Text a person may be shown: valid UTF-8 without control characters. */
static void
assert_printable (const char *text)
{
  g_assert_true (g_utf8_validate (text, -1, NULL));
  for (const char *p = text; *p != '\0'; p++)
    g_assert_cmpint ((guchar) *p, >=, 0x20);
}

static void
assert_words (char **strv)
{
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    {
      g_assert_cmpstr (strv[i], !=, "");
      g_assert_null (strchr (strv[i], ' '));
    }
}

/* Garbage a server may send, half of it behind the prefixes the parsers
 * branch on. Each parser must say "this is not a reply" (and the SMTP one
 * why, in an LK_ERROR_PROTOCOL a person can read), or return something
 * well-formed; never crash, never loop. The probes' side of it (a server
 * that answers garbage fails with LK_ERROR_PROTOCOL within the step
 * timeout) is /mail/scripted/garbage; the fuzzers go further
 * (tests/fuzz/). */
static void
test_garbage (void)
{
  static const char * const prefixes[] = {
    "* OK", "* ", "A1 ", "a1 OK ", "+ ", "+", "+OK", "-ERR", "250-", "535 ", "334 ", "9",
  };
  guint8 buffer[64];
  guint smtp_refused = 0;

  for (guint round = 0; round < 2000; round++)
    {
      gsize len = g_test_rand_int_range (0, sizeof buffer - 1);
      g_auto(LkImapReply) imap = { 0, };
      g_autoptr(LkSmtpReply) smtp = lk_smtp_reply_new ();
      g_autoptr(GError) error = NULL;
      const char *line = (const char *) buffer;
      const char *lines[] = { line, NULL };
      const char *pop_text = NULL;
      g_auto(GStrv) capabilities = NULL;
      g_auto(GStrv) mechs = NULL;
      g_autofree char *decoded = NULL;
      LkPopReplyKind pop;
      gboolean flag;

      for (gsize i = 0; i < len; i++)
        buffer[i] = (guint8) g_test_rand_int_range (1, 256);
      buffer[len] = '\0';
      if (round % 2 == 0)
        {
          const char *prefix = prefixes[round / 2 % G_N_ELEMENTS (prefixes)];
          gsize n = MIN (strlen (prefix), len);

          memcpy (buffer, prefix, n);
        }

      /* IMAP: FALSE only for an invalid line, kept as it came. */
      if (lk_imap_reply_parse (line, &imap))
        {
          g_assert_cmpint (imap.kind, !=, LK_IMAP_LINE_INVALID);
          if (imap.kind == LK_IMAP_LINE_TAGGED)
            {
              g_assert_cmpstr (imap.tag, !=, "");
              g_assert_true (imap.status == LK_IMAP_STATUS_OK || imap.status == LK_IMAP_STATUS_NO ||
                             imap.status == LK_IMAP_STATUS_BAD);
            }
        }
      else
        {
          g_assert_cmpint (imap.kind, ==, LK_IMAP_LINE_INVALID);
          g_assert_cmpstr (imap.text, ==, line);
        }
      capabilities = lk_imap_reply_get_capabilities (&imap);
      assert_words (capabilities);

      /* POP: a kind only for its three prefixes; the text lies in the line. */
      pop = lk_pop_reply_parse (line, &pop_text);
      if (g_ascii_strncasecmp (line, "+OK", 3) != 0 && g_ascii_strncasecmp (line, "-ERR", 4) != 0 &&
          line[0] != '+')
        g_assert_cmpint (pop, ==, LK_POP_REPLY_INVALID);
      g_assert_true (pop_text >= line && pop_text <= line + len);
      lk_pop_capa_parse (lines, &flag, &mechs);
      assert_words (mechs);

      /* SMTP: not a reply line is a clear error, not a guess. */
      if (lk_smtp_reply_feed (smtp, line, &error))
        g_assert_true (smtp->complete);
      if (error != NULL)
        {
          g_assert_error (error, LK_ERROR, LK_ERROR_PROTOCOL);
          g_assert_cmpstr (error->message, !=, "");
          g_assert_cmpuint (smtp->lines->len, ==, 0);
          smtp_refused++;
        }
      else
        {
          g_assert_cmpuint (smtp->code, >=, 200);
          g_assert_cmpuint (smtp->code, <=, 599);
          if (!smtp->complete)
            g_assert_cmpint (line[3], ==, '-');
          else
            {
              g_auto(GStrv) ehlo = NULL;

              lk_smtp_ehlo_parse (smtp, &flag, &ehlo);
              assert_words (ehlo);
            }
        }

      /* A SASL challenge is shown to people: text, or nothing. */
      decoded = lk_sasl_decode_challenge (line);
      if (decoded != NULL)
        assert_printable (decoded);
    }
  /* Most garbage is no SMTP reply; the check above did run. */
  g_assert_cmpuint (smtp_refused, >, 1000);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mail/sasl/xoauth2", test_sasl_xoauth2);
  g_test_add_func ("/mail/sasl/oauthbearer", test_sasl_oauthbearer);
  g_test_add_func ("/mail/sasl/challenge", test_sasl_challenge);
  g_test_add_func ("/mail/sasl/choose", test_sasl_choose);
  g_test_add_func ("/mail/reply/imap", test_imap_lines);
  g_test_add_func ("/mail/reply/pop", test_pop);
  g_test_add_func ("/mail/reply/smtp", test_smtp);
  g_test_add_func ("/mail/reply/garbage", test_garbage);
  return g_test_run ();
}
