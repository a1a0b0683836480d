/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The autoconfig parser on its own: real files, and what a hostile or
 * broken server might send. */
#include "config.h"

#include <string.h>

#include "lk-error.h"
#include "providers/lk-autoconfig.h"

/* Thunderbird's ISPDB office365.com entry, as published (shortened). */
static const char *office365 =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
  "<clientConfig version=\"1.1\">\n"
  "  <emailProvider id=\"office365.com\">\n"
  "    <domain>office365.com</domain>\n"
  "    <domain>outlook.office365.com</domain>\n"
  "    <displayName>Microsoft Office 365</displayName>\n"
  "    <displayShortName>Office365</displayShortName>\n"
  "    <incomingServer type=\"exchange\">\n"
  "      <hostname>outlook.office365.com</hostname><port>443</port>\n"
  "      <username>%EMAILADDRESS%</username><socketType>SSL</socketType>\n"
  "      <authentication>OAuth2</authentication>\n"
  "      <owaURL>https://outlook.office365.com/owa/</owaURL>\n"
  "    </incomingServer>\n"
  "    <incomingServer type=\"imap\">\n"
  "      <hostname>outlook.office365.com</hostname>\n"
  "      <port>993</port>\n"
  "      <socketType>SSL</socketType>\n"
  "      <username>%EMAILADDRESS%</username>\n"
  "      <authentication>OAuth2</authentication>\n"
  "      <authentication>password-cleartext</authentication>\n"
  "    </incomingServer>\n"
  "    <incomingServer type=\"pop3\">\n"
  "      <hostname>outlook.office365.com</hostname>\n"
  "      <port>995</port>\n"
  "      <socketType>SSL</socketType>\n"
  "      <username>%EMAILADDRESS%</username>\n"
  "      <authentication>password-cleartext</authentication>\n"
  "      <authentication>OAuth2</authentication>\n"
  "      <pop3><leaveMessagesOnServer>true</leaveMessagesOnServer></pop3>\n"
  "    </incomingServer>\n"
  "    <outgoingServer type=\"smtp\">\n"
  "      <hostname>smtp.office365.com</hostname>\n"
  "      <port>587</port>\n"
  "      <socketType>STARTTLS</socketType>\n"
  "      <username>%EMAILADDRESS%</username>\n"
  "      <authentication>OAuth2</authentication>\n"
  "      <authentication>password-cleartext</authentication>\n"
  "    </outgoingServer>\n"
  "    <documentation url=\"https://support.office.com/\"><descr lang=\"en\">Settings</descr>"
  "</documentation>\n"
  "  </emailProvider>\n"
  "  <oAuth2>\n"
  "    <issuer>login.microsoftonline.com</issuer>\n"
  "    <scope>https://outlook.office365.com/IMAP.AccessAsUser.All "
  "https://outlook.office365.com/POP.AccessAsUser.All "
  "https://outlook.office365.com/SMTP.Send offline_access</scope>\n"
  "    <authURL>https://login.microsoftonline.com/common/oauth2/v2.0/authorize</authURL>\n"
  "    <tokenURL>https://login.microsoftonline.com/common/oauth2/v2.0/token</tokenURL>\n"
  "  </oAuth2>\n"
  "</clientConfig>\n";

static void
test_office365 (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkAutoconfig) config = lk_autoconfig_parse (office365, -1, &error);
  const LkAutoconfigServer *imap, *pop, *smtp;

  g_assert_no_error (error);
  g_assert_cmpstr (config->id, ==, "office365.com");
  g_assert_cmpstr (config->display_name, ==, "Microsoft Office 365");
  g_assert_cmpstr (config->display_short_name, ==, "Office365");
  g_assert_cmpuint (g_strv_length (config->domains), ==, 2);
  g_assert_cmpstr (config->domains[1], ==, "outlook.office365.com");
  /* The exchange server is not ours. */
  g_assert_cmpuint (config->servers->len, ==, 3);

  imap = lk_autoconfig_get_server (config, LK_PROTOCOL_IMAP);
  g_assert_cmpstr (imap->hostname, ==, "outlook.office365.com");
  g_assert_cmpuint (imap->port, ==, 993);
  g_assert_cmpint (imap->security, ==, LK_SECURITY_TLS);
  g_assert_cmpstr (imap->username, ==, "%EMAILADDRESS%");
  g_assert_cmpstr (imap->authentication[0], ==, "OAuth2");
  g_assert_cmpstr (imap->authentication[1], ==, "password-cleartext");
  pop = lk_autoconfig_get_server (config, LK_PROTOCOL_POP);
  g_assert_cmpuint (pop->port, ==, 995);
  g_assert_true (lk_autoconfig_server_has_auth (pop, "oauth2"));
  smtp = lk_autoconfig_get_server (config, LK_PROTOCOL_SMTP);
  g_assert_cmpstr (smtp->hostname, ==, "smtp.office365.com");
  g_assert_cmpint (smtp->security, ==, LK_SECURITY_STARTTLS);
  g_assert_true (lk_autoconfig_offers_oauth2 (config));

  g_assert_cmpstr (config->oauth2_issuer, ==, "login.microsoftonline.com");
  g_assert_true (g_str_has_prefix (config->oauth2_scope, "https://outlook.office365.com/IMAP"));
  g_assert_cmpstr (config->oauth2_auth_url, ==,
                   "https://login.microsoftonline.com/common/oauth2/v2.0/authorize");
  g_assert_cmpstr (config->oauth2_token_url, ==,
                   "https://login.microsoftonline.com/common/oauth2/v2.0/token");
}

/* Of two IMAP servers, the one that takes OAuth2 is the one to use. */
static void
test_prefers_oauth2_server (void)
{
  const char *xml =
    "<clientConfig version='1.1'><emailProvider id='x'>"
    "<incomingServer type='imap'><hostname>pw.example</hostname><port>143</port>"
    "<socketType>plain</socketType><authentication>password-cleartext</authentication>"
    "</incomingServer>"
    "<incomingServer type='imap'><hostname>oauth.example</hostname><port>993</port>"
    "<socketType>SSL</socketType><authentication>OAuth2</authentication></incomingServer>"
    "</emailProvider></clientConfig>";
  g_autoptr(GError) error = NULL;
  g_autoptr(LkAutoconfig) config = lk_autoconfig_parse (xml, -1, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (lk_autoconfig_get_server (config, LK_PROTOCOL_IMAP)->hostname, ==,
                   "oauth.example");
  g_assert_cmpint (((LkAutoconfigServer *) g_ptr_array_index (config->servers, 0))->security,
                   ==, LK_SECURITY_NONE);
  g_assert_null (lk_autoconfig_get_server (config, LK_PROTOCOL_SMTP));
  g_assert_null (config->oauth2_issuer);
}

typedef struct
{
  const char *name;
  const char *xml;
  const char *message_part;
} BadCase;

static const BadCase bad_cases[] = {
  { "empty", "", "empty" },
  { "not-xml", "{\"json\": true}", "not valid XML" },
  { "truncated", "<clientConfig><emailProvider><incomingServer", "not valid XML" },
  { "unclosed", "<clientConfig><emailProvider>", "not valid XML" },
  { "wrong-root", "<html><body>Not found</body></html>", "<clientConfig>" },
  { "no-servers", "<clientConfig><emailProvider id='x'><domain>x</domain></emailProvider>"
    "</clientConfig>", "no IMAP, POP or SMTP server" },
  { "bad-port", "<clientConfig><emailProvider><incomingServer type='imap'>"
    "<hostname>h</hostname><port>99999</port><socketType>SSL</socketType>"
    "</incomingServer></emailProvider></clientConfig>", "port" },
  { "port-not-number", "<clientConfig><emailProvider><incomingServer type='imap'>"
    "<hostname>h</hostname><port>993x</port><socketType>SSL</socketType>"
    "</incomingServer></emailProvider></clientConfig>", "port" },
  { "no-hostname", "<clientConfig><emailProvider><outgoingServer type='smtp'>"
    "<port>587</port><socketType>STARTTLS</socketType>"
    "</outgoingServer></emailProvider></clientConfig>", "smtp server has no hostname" },
  { "bad-hostname", "<clientConfig><emailProvider><incomingServer type='imap'>"
    "<hostname>evil.example/path</hostname><port>993</port><socketType>SSL</socketType>"
    "</incomingServer></emailProvider></clientConfig>", "hostname" },
  { "bad-socket", "<clientConfig><emailProvider><incomingServer type='pop3'>"
    "<hostname>h</hostname><port>995</port><socketType>TLS1.3</socketType>"
    "</incomingServer></emailProvider></clientConfig>", "socketType" },
  { "no-socket", "<clientConfig><emailProvider><incomingServer type='pop3'>"
    "<hostname>h</hostname><port>995</port>"
    "</incomingServer></emailProvider></clientConfig>", "pop server has no socketType" },
  { "binary", "\x01\x02\xff\xfe<clientConfig>", "not valid XML" },
};

static void
test_bad (gconstpointer data)
{
  const BadCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LkAutoconfig) config = lk_autoconfig_parse (c->xml, -1, &error);

  g_assert_null (config);
  g_assert_error (error, LK_ERROR, LK_ERROR_BAD_RESPONSE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, c->message_part));
}

/* Not NUL-terminated, huge text, many servers: bounded, no crash. */
static void
test_limits (void)
{
  g_autoptr(GString) big = g_string_new ("<clientConfig><emailProvider><displayName>");
  g_autoptr(GString) many = g_string_new ("<clientConfig><emailProvider>");
  g_autoptr(GError) error = NULL;
  g_autoptr(LkAutoconfig) config = NULL;
  g_autofree char *copy = g_strndup (office365, strlen (office365));

  for (guint i = 0; i < 10000; i++)
    g_string_append (big, "xxxxxxxxxx");
  g_string_append (big, "</displayName></emailProvider></clientConfig>");
  config = lk_autoconfig_parse (big->str, (gssize) big->len, &error);
  g_assert_null (config);
  g_assert_error (error, LK_ERROR, LK_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  for (guint i = 0; i < 100; i++)
    g_string_append (many, "<incomingServer type='imap'><hostname>h</hostname><port>1</port>"
                           "<socketType>SSL</socketType></incomingServer>");
  g_string_append (many, "</emailProvider></clientConfig>");
  config = lk_autoconfig_parse (many->str, (gssize) many->len, &error);
  g_assert_null (config);
  g_assert_error (error, LK_ERROR, LK_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  /* A length that stops short of the end is honoured. */
  config = lk_autoconfig_parse (copy, 100, &error);
  g_assert_null (config);
  g_assert_error (error, LK_ERROR, LK_ERROR_BAD_RESPONSE);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/autoconfig/office365", test_office365);
  g_test_add_func ("/autoconfig/prefers-oauth2-server", test_prefers_oauth2_server);
  g_test_add_func ("/autoconfig/limits", test_limits);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/autoconfig/bad/%s", bad_cases[i].name);
      g_test_add_data_func (path, &bad_cases[i], test_bad);
    }
  return g_test_run ();
}
