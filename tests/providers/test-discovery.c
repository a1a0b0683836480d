/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Autodiscovery with no internet: a GResolver of our own answers MX and
 * address lookups (every test name is 127.0.0.1), and one local HTTPS
 * SoupServer with a test CA stands in for autoconfig.<domain>, <domain>'s
 * web site, Thunderbird's ISPDB and Microsoft's OpenID configuration. */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "lk-error.h"
#include "lk-test-resolver.h"
#include "lk-test-utils.h"
#include "providers/lk-discovery.h"

#define DOMAIN "contoso.test"

/* The stand-in web servers */

typedef struct
{
  guint  status;
  char  *body;
  guint  delay_ms;
  char  *location;   /* a redirect's target */
} Response;

static void
response_free (Response *response)
{
  g_free (response->body);
  g_free (response->location);
  g_free (response);
}

typedef struct
{
  SoupServer   *server;
  guint         port;
  GHashTable   *responses;   /* "host/path" → Response */
  GPtrArray    *requests;    /* "host/path" asked, in order */
  LkTestResolver *resolver;
  LkHttp       *http;
  LkProviderRegistry *registry;
  LkDiscovery  *discovery;
  /* Outcome of one run */
  gboolean      done;
  LkDiscoveryResult *result;
  GError       *error;
} Fixture;

static char *ca_dir;

typedef struct
{
  SoupServerMessage *msg;
  guint              source;
  gulong             disconnected;
} Delayed;

static void
delayed_free (Delayed *delayed)
{
  if (delayed->source != 0)
    g_source_remove (delayed->source);
  g_signal_handler_disconnect (delayed->msg, delayed->disconnected);
  g_object_unref (delayed->msg);
  g_free (delayed);
}

static gboolean
unpause_cb (gpointer user_data)
{
  Delayed *delayed = user_data;

  delayed->source = 0;
  soup_server_message_unpause (delayed->msg);
  delayed_free (delayed);
  return G_SOURCE_REMOVE;
}

static void
disconnected_cb (SoupServerMessage *msg,
                 gpointer           user_data)
{
  delayed_free (user_data);
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  Fixture *fx = user_data;
  GUri *uri = soup_server_message_get_uri (msg);
  g_autofree char *key = g_strdup_printf ("%s%s", g_uri_get_host (uri), path);
  Response *response = g_hash_table_lookup (fx->responses, key);

  g_ptr_array_add (fx->requests, g_strdup (key));
  if (response == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  soup_server_message_set_status (msg, response->status, NULL);
  if (response->location != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location",
                                  response->location);
  soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_COPY,
                                    response->body, strlen (response->body));
  if (response->delay_ms > 0)
    {
      Delayed *delayed = g_new0 (Delayed, 1);

      delayed->msg = g_object_ref (msg);
      soup_server_message_pause (msg);
      delayed->source = g_timeout_add (response->delay_ms, unpause_cb, delayed);
      delayed->disconnected = g_signal_connect (msg, "disconnected",
                                                G_CALLBACK (disconnected_cb), delayed);
    }
}

static void
respond (Fixture    *fx,
         const char *key,
         guint       status,
         const char *body,
         guint       delay_ms)
{
  Response *response = g_new0 (Response, 1);

  response->status = status;
  response->body = g_strdup (body);
  response->delay_ms = delay_ms;
  g_hash_table_replace (fx->responses, g_strdup (key), response);
}

static void
redirect (Fixture    *fx,
          const char *key,
          const char *location)
{
  Response *response = g_new0 (Response, 1);

  response->status = SOUP_STATUS_MOVED_PERMANENTLY;
  response->body = g_strdup ("");
  response->location = g_strdup (location);
  g_hash_table_replace (fx->responses, g_strdup (key), response);
}

static void
set_mx (Fixture    *fx,
        const char *domain,
        const char *records)
{
  lk_test_resolver_set_mx (fx->resolver, domain, records);
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autofree char *cert_path = g_build_filename (ca_dir, "server.pem", NULL);
  g_autofree char *key_path = g_build_filename (ca_dir, "server-key.pem", NULL);
  g_autofree char *ca_path = g_build_filename (ca_dir, "ca.pem", NULL);
  g_autoptr(GTlsCertificate) cert = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;
  g_autofree char *url = NULL;

  cert = g_tls_certificate_new_from_files (cert_path, key_path, &error);
  g_assert_no_error (error);
  fx->server = soup_server_new ("tls-certificate", cert, NULL);
  soup_server_add_handler (fx->server, NULL, server_cb, fx, NULL);
  soup_server_listen_local (fx->server, 0,
                            SOUP_SERVER_LISTEN_IPV4_ONLY | SOUP_SERVER_LISTEN_HTTPS, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (fx->server);
  fx->port = (guint) g_uri_get_port (uris->data);
  g_slist_foreach (uris, (GFunc) g_uri_unref, NULL);

  fx->responses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) response_free);
  fx->requests = g_ptr_array_new_with_free_func (g_free);

  /* Set as the default once, in main(); each test starts it afresh. */
  fx->resolver = LK_TEST_RESOLVER (g_resolver_get_default ());
  lk_test_resolver_reset (fx->resolver);

  fx->http = lk_http_new (ca_path, &error);
  g_assert_no_error (error);

  fx->registry = lk_provider_registry_new ();
  lk_provider_registry_load (fx->registry);
  fx->discovery = lk_discovery_new (fx->http, fx->registry);
  url = g_strdup_printf ("https://autoconfig.{domain}:%u/mail/config-v1.1.xml", fx->port);
  lk_discovery_set_url_template (fx->discovery, LK_DISCOVERY_STEP_AUTOCONFIG, url);
  g_free (url);
  url = g_strdup_printf ("https://{domain}:%u/.well-known/autoconfig/mail/config-v1.1.xml",
                         fx->port);
  lk_discovery_set_url_template (fx->discovery, LK_DISCOVERY_STEP_WELL_KNOWN, url);
  g_free (url);
  url = g_strdup_printf ("https://localhost:%u/ispdb/{domain}", fx->port);
  lk_discovery_set_url_template (fx->discovery, LK_DISCOVERY_STEP_ISPDB, url);
  g_free (url);
  url = g_strdup_printf ("https://localhost:%u/ms/{domain}/v2.0/.well-known/openid-configuration",
                         fx->port);
  lk_discovery_set_url_template (fx->discovery, LK_DISCOVERY_STEP_MICROSOFT_TENANT, url);
  lk_discovery_set_step_timeout (fx->discovery, 2000);
}

static void
set_true_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  g_clear_pointer (&fx->result, lk_discovery_result_unref);
  g_clear_error (&fx->error);
  g_clear_object (&fx->discovery);
  g_clear_object (&fx->registry);
  g_clear_object (&fx->http);
  /* A step cancelled mid-handshake leaves the server's side of the TLS
   * handshake to finish on this main context; closing it first would wait
   * for that forever. */
  {
    gboolean later = FALSE;
    g_timeout_add_once (300, set_true_cb, &later);
    while (!later)
      g_main_context_iteration (NULL, TRUE);
  }
  soup_server_disconnect (fx->server);
  g_clear_object (&fx->server);
  /* Let closed connections and finished lookups clean up. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&fx->resolver);
  g_hash_table_unref (fx->responses);
  g_ptr_array_unref (fx->requests);
}

static void
run_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  Fixture *fx = user_data;

  fx->result = lk_discovery_run_finish (LK_DISCOVERY (object), result, &fx->error);
  fx->done = TRUE;
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* Runs discovery for @email; returns the time it took in milliseconds. */
static gint64
run (Fixture      *fx,
     const char   *email,
     GCancellable *cancellable)
{
  gint64 start = g_get_monotonic_time ();

  g_clear_pointer (&fx->result, lk_discovery_result_unref);
  g_clear_error (&fx->error);
  fx->done = FALSE;
  lk_discovery_run_async (fx->discovery, email, cancellable, run_cb, fx);
  while (!fx->done)
    g_main_context_iteration (NULL, TRUE);
  if (fx->result != NULL)
    for (guint i = 0; i < fx->result->attempts->len; i++)
      {
        const LkDiscoveryAttempt *a = g_ptr_array_index (fx->result->attempts, i);

        g_test_message ("step %s: outcome %d, %s", lk_discovery_step_to_string (a->step),
                        a->outcome, a->error != NULL ? a->error->message : "answered");
      }
  return (g_get_monotonic_time () - start) / 1000;
}

static gboolean
was_requested (Fixture    *fx,
               const char *prefix)
{
  for (guint i = 0; i < fx->requests->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (fx->requests, i), prefix))
      return TRUE;
  return FALSE;
}

static const LkDiscoveryAttempt *
attempt (Fixture         *fx,
         LkDiscoveryStep  step)
{
  const LkDiscoveryAttempt *a = lk_discovery_result_get_attempt (fx->result, step);

  g_assert_nonnull (a);
  return a;
}

#define AUTOCONFIG_KEY "autoconfig." DOMAIN "/mail/config-v1.1.xml"
#define WELL_KNOWN_KEY DOMAIN "/.well-known/autoconfig/mail/config-v1.1.xml"
#define ISPDB_KEY      "localhost/ispdb/" DOMAIN
#define TENANT_KEY     "localhost/ms/" DOMAIN "/v2.0/.well-known/openid-configuration"
#define TENANT_GUID    "3f9a1c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"

static const char *oauth_xml =
  "<?xml version=\"1.0\"?>\n"
  "<clientConfig version=\"1.1\">\n"
  " <emailProvider id=\"contoso.test\">\n"
  "  <domain>contoso.test</domain>\n"
  "  <displayName>Contoso Mail</displayName>\n"
  "  <incomingServer type=\"imap\">\n"
  "   <hostname>imap.contoso.test</hostname><port>993</port><socketType>SSL</socketType>\n"
  "   <username>%EMAILADDRESS%</username><authentication>OAuth2</authentication>\n"
  "  </incomingServer>\n"
  "  <outgoingServer type=\"smtp\">\n"
  "   <hostname>smtp.contoso.test</hostname><port>587</port><socketType>STARTTLS</socketType>\n"
  "   <authentication>OAuth2</authentication>\n"
  "  </outgoingServer>\n"
  " </emailProvider>\n"
  " <oAuth2>\n"
  "  <issuer>login.contoso.test</issuer>\n"
  "  <scope>mail offline</scope>\n"
  "  <authURL>https://login.contoso.test/authorize</authURL>\n"
  "  <tokenURL>https://login.contoso.test/token</tokenURL>\n"
  " </oAuth2>\n"
  "</clientConfig>\n";

/* What the ISPDB says for a Google-hosted domain: Google's servers. */
static const char *google_xml =
  "<clientConfig version=\"1.1\"><emailProvider id=\"googlemail.com\">"
  "<domain>contoso.test</domain>"
  "<incomingServer type=\"imap\"><hostname>imap.gmail.com</hostname><port>993</port>"
  "<socketType>SSL</socketType><authentication>OAuth2</authentication>"
  "<authentication>password-cleartext</authentication></incomingServer>"
  "<outgoingServer type=\"smtp\"><hostname>smtp.gmail.com</hostname><port>465</port>"
  "<socketType>SSL</socketType><authentication>OAuth2</authentication></outgoingServer>"
  "</emailProvider></clientConfig>";

/* Thunderbird's office365.com entry, shortened. */
static const char *office365_xml =
  "<clientConfig version=\"1.1\"><emailProvider id=\"office365.com\">"
  "<domain>office365.com</domain><displayName>Microsoft 365</displayName>"
  "<incomingServer type=\"exchange\"><hostname>outlook.office365.com</hostname>"
  "<port>443</port><socketType>SSL</socketType></incomingServer>"
  "<incomingServer type=\"imap\"><hostname>outlook.office365.com</hostname><port>993</port>"
  "<socketType>SSL</socketType><authentication>OAuth2</authentication></incomingServer>"
  "<incomingServer type=\"pop3\"><hostname>outlook.office365.com</hostname><port>995</port>"
  "<socketType>SSL</socketType><authentication>OAuth2</authentication></incomingServer>"
  "<outgoingServer type=\"smtp\"><hostname>smtp.office365.com</hostname><port>587</port>"
  "<socketType>STARTTLS</socketType><authentication>OAuth2</authentication></outgoingServer>"
  "</emailProvider></clientConfig>";

static const char *password_xml =
  "<clientConfig version=\"1.1\"><emailProvider id=\"contoso.test\">"
  "<incomingServer type=\"imap\"><hostname>mail.contoso.test</hostname><port>993</port>"
  "<socketType>SSL</socketType><authentication>password-cleartext</authentication>"
  "</incomingServer></emailProvider></clientConfig>";

static const char *tenant_json =
  "{\"issuer\":\"https://login.microsoftonline.com/" TENANT_GUID "/v2.0\","
  "\"token_endpoint\":\"https://login.microsoftonline.com/" TENANT_GUID "/oauth2/v2.0/token\"}";

static const char *aadsts90002_json =
  "{\"error\":\"invalid_tenant\",\"error_description\":\"AADSTS90002: Tenant '" DOMAIN
  "' not found. Check to make sure you have the correct tenant ID and are signing into the "
  "correct cloud.\",\"error_codes\":[90002]}";

/* Step 1: no network at all for a known domain. */
static void
test_known_domain (Fixture       *fx,
                   gconstpointer  data)
{
  run (fx, "Alice@GMail.com", NULL);
  g_assert_no_error (fx->error);
  g_assert_cmpstr (fx->result->provider->id, ==, "google");
  g_assert_cmpint (fx->result->step, ==, LK_DISCOVERY_STEP_KNOWN_DOMAIN);
  g_assert_cmpstr (fx->result->how, ==, "gmail.com is a known domain");
  g_assert_true (fx->result->endpoints_known);
  g_assert_cmpuint (fx->requests->len, ==, 0);
  g_assert_cmpuint (fx->resolver->lookups, ==, 0);
}

/* Step 2a: the domain's own autoconfig server with an <oAuth2> section
 * wins over MX records, even when the MX records arrive first. */
static void
test_autoconfig (Fixture       *fx,
                 gconstpointer  data)
{
  LkProvider *p;

  respond (fx, AUTOCONFIG_KEY, 200, oauth_xml, 200);
  set_mx (fx, DOMAIN, "10 alt1.aspmx.l.google.com");
  run (fx, "alice@" DOMAIN, NULL);
  g_assert_no_error (fx->error);
  p = fx->result->provider;
  g_assert_nonnull (p);
  g_assert_cmpint (fx->result->step, ==, LK_DISCOVERY_STEP_AUTOCONFIG);
  g_assert_cmpstr (fx->result->how, ==, "from contoso.test’s autoconfig file");
  g_assert_true (fx->result->endpoints_known);
  g_assert_true (fx->result->oauth2);
  g_assert_cmpstr (fx->result->oauth2_issuer, ==, "login.contoso.test");
  g_assert_cmpstr (p->name, ==, "Contoso Mail");
  g_assert_cmpstr (p->authorization_endpoint, ==, "https://login.contoso.test/authorize");
  g_assert_cmpstr (p->token_endpoint, ==, "https://login.contoso.test/token");
  g_assert_cmpstr (p->servers[LK_PROTOCOL_IMAP].host, ==, "imap.contoso.test");
  g_assert_cmpuint (p->servers[LK_PROTOCOL_SMTP].port, ==, 587);
  g_assert_cmpint (p->servers[LK_PROTOCOL_SMTP].security, ==, LK_SECURITY_STARTTLS);
  g_assert_null (p->servers[LK_PROTOCOL_POP].host);
  g_assert_cmpstr (p->scopes[LK_PROTOCOL_IMAP][0], ==, "mail");
  g_assert_cmpstr (p->scopes[LK_PROTOCOL_IMAP][1], ==, "offline");
  g_assert_cmpint (attempt (fx, LK_DISCOVERY_STEP_MX)->outcome, ==, LK_DISCOVERY_OUTCOME_ANSWERED);
  /* Not Microsoft: the tenant is not looked up. */
  g_assert_false (was_requested (fx, "localhost/ms/"));
  g_assert_null (fx->result->tenant);
}

static void
count_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  (*(guint *) user_data)++;
  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

/* Autoconfig servers redirect: followed over https, each hop checked;
 * never down to plain http, whose address is not even asked. */
static void
test_autoconfig_redirect (Fixture       *fx,
                          gconstpointer  data)
{
  g_autofree char *moved = g_strdup_printf ("https://localhost:%u/moved/config.xml", fx->port);
  g_autoptr(SoupServer) plain = NULL;
  g_autoptr(GError) error = NULL;
  GSList *uris;
  guint plain_requests = 0;
  const LkDiscoveryAttempt *a;

  redirect (fx, AUTOCONFIG_KEY, moved);
  respond (fx, "localhost/moved/config.xml", 200, oauth_xml, 0);
  redirect (fx, WELL_KNOWN_KEY, "http://127.0.0.1:9/config.xml");
  run (fx, "alice@" DOMAIN, NULL);
  g_assert_no_error (fx->error);
  g_assert_cmpint (fx->result->step, ==, LK_DISCOVERY_STEP_AUTOCONFIG);
  g_assert_cmpstr (fx->result->provider->name, ==, "Contoso Mail");
  g_assert_true (was_requested (fx, "localhost/moved/config.xml"));

  /* A plain http server that the test resolver's names reach: a redirect
   * there must not be followed. */
  plain = soup_server_new (NULL, NULL);
  soup_server_add_handler (plain, NULL, count_cb, &plain_requests, NULL);
  soup_server_listen_local (plain, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (plain);
  g_free (moved);
  moved = g_strdup_printf ("http://autoconfig." DOMAIN ":%d/plain.xml", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  redirect (fx, AUTOCONFIG_KEY, moved);
  run (fx, "alice@" DOMAIN, NULL);
  g_assert_no_error (fx->error);
  a = attempt (fx, LK_DISCOVERY_STEP_AUTOCONFIG);
  g_assert_cmpint (a->outcome, ==, LK_DISCOVERY_OUTCOME_FAILED);
  g_assert_error (a->error, LK_ERROR, LK_ERROR_INSECURE_ENDPOINT);
  g_assert_nonnull (strstr (a->error->message, "plain http://"));
  g_assert_cmpuint (plain_requests, ==, 0);
}

/* Step 2b: the web site's .well-known file, whose servers are Google's,
 * gives the google profile. */
static void
test_well_known (Fixture       *fx,
                 gconstpointer  data)
{
  respond (fx, WELL_KNOWN_KEY, 200, google_xml, 0);
  run (fx, "alice@" DOMAIN, NULL);
  g_assert_no_error (fx->error);
  g_assert_cmpstr (fx->result->provider->id, ==, "google");
  g_assert_cmpint (fx->result->step, ==, LK_DISCOVERY_STEP_WELL_KNOWN);
  g_assert_cmpstr (fx->result->how, ==, "from the autoconfig file on contoso.test’s web site");
  g_assert_error (attempt (fx, LK_DISCOVERY_STEP_AUTOCONFIG)->error, LK_ERROR, LK_ERROR_NOT_FOUND);
  g_assert_true (was_requested (fx, AUTOCONFIG_KEY));
}

/* Step 2c: Thunderbird's database, Microsoft 365's servers, then the
 * tenant from Microsoft's OpenID configuration. */
static void
test_ispdb_and_tenant (Fixture       *fx,
                       gconstpointer  data)
{
  respond (fx, ISPDB_KEY, 200, office365_xml, 0);
  respond (fx, TENANT_KEY, 200, tenant_json, 0);
  run (fx, "alice@" DOMAIN, NULL);
  g_assert_no_error (fx->error);
  g_assert_cmpstr (fx->result->provider->id, ==, "microsoft365");
  g_assert_cmpint (fx->result->step, ==, LK_DISCOVERY_STEP_ISPDB);
  g_assert_cmpstr (fx->result->how, ==, "from the Thunderbird database");
  g_assert_cmpstr (fx->result->tenant, ==, TENANT_GUID);
  g_assert_cmpint (attempt (fx, LK_DISCOVERY_STEP_MICROSOFT_TENANT)->outcome, ==,
                   LK_DISCOVERY_OUTCOME_ANSWERED);
}

/* Step 3: MX records of Exchange Online, then the tenant. */
static void
test_mx (Fixture       *fx,
         gconstpointer  data)
{
  set_mx (fx, DOMAIN, "20 backup.contoso.test,10 contoso-test.mail.protection.outlook.com.");
  respond (fx, TENANT_KEY, 200, tenant_json, 0);
  run (fx, "alice@" DOMAIN, NULL);
  g_assert_no_error (fx->error);
  g_assert_cmpstr (fx->result->provider->id, ==, "microsoft365");
  g_assert_cmpint (fx->result->step, ==, LK_DISCOVERY_STEP_MX);
  g_assert_cmpstr (fx->result->how, ==, "from the MX records of contoso.test");
  g_assert_cmpstr (fx->result->tenant, ==, TENANT_GUID);
  g_assert_cmpuint (fx->resolver->lookups, ==, 1);
}

/* Step 4 alone: mail passes a filter, but the domain is a tenant. */
static void
test_tenant_fallback (Fixture       *fx,
                      gconstpointer  data)
{
  set_mx (fx, DOMAIN, "10 mx1.filter.test");
  respond (fx, TENANT_KEY, 200, tenant_json, 0);
  run (fx, "alice@" DOMAIN, NULL);
  g_assert_no_error (fx->error);
  g_assert_cmpstr (fx->result->provider->id, ==, "microsoft365");
  g_assert_cmpint (fx->result->step, ==, LK_DISCOVERY_STEP_MICROSOFT_TENANT);
  g_assert_cmpstr (fx->result->how, ==, "contoso.test is a Microsoft 365 organisation");
  g_assert_cmpstr (fx->result->tenant, ==, TENANT_GUID);
  g_assert_nonnull (strstr (attempt (fx, LK_DISCOVERY_STEP_MX)->error->message,
                            "mx1.filter.test"));
}

/* AADSTS90002: not a tenant; nothing found, and the details say why. */
static void
test_not_a_tenant (Fixture       *fx,
                   gconstpointer  data)
{
  const LkDiscoveryAttempt *a;

  respond (fx, TENANT_KEY, 400, aadsts90002_json, 0);
  run (fx, "alice@" DOMAIN, NULL);
  g_assert_no_error (fx->error);
  g_assert_null (fx->result->provider);
  g_assert_cmpint (fx->result->step, ==, LK_DISCOVERY_STEP_NONE);
  a = attempt (fx, LK_DISCOVERY_STEP_MICROSOFT_TENANT);
  g_assert_cmpint (a->outcome, ==, LK_DISCOVERY_OUTCOME_NO_ANSWER);
  g_assert_nonnull (strstr (a->error->message, "knows no organisation with the domain " DOMAIN));
  g_assert_cmpuint (lk_error_get_details (a->error)->aadsts, ==, 90002);
  g_assert_cmpint (attempt (fx, LK_DISCOVERY_STEP_MX)->outcome, ==, LK_DISCOVERY_OUTCOME_NO_ANSWER);
  g_assert_cmpint (attempt (fx, LK_DISCOVERY_STEP_ISPDB)->outcome, ==,
                   LK_DISCOVERY_OUTCOME_NO_ANSWER);
}

/* A slow autoconfig server times out; the well-known file answers. */
static void
test_slow_step_times_out (Fixture       *fx,
                          gconstpointer  data)
{
  const LkDiscoveryAttempt *a;
  gint64 ms;

  /* Generous against a loaded machine or a sanitizer build (an in-process
   * TLS handshake alone can take a few hundred ms there), and still far
   * below the slow server's delay, which is what the test is about. */
  lk_discovery_set_step_timeout (fx->discovery, 2000);
  respond (fx, AUTOCONFIG_KEY, 200, oauth_xml, 20000);
  respond (fx, WELL_KNOWN_KEY, 200, google_xml, 0);
  ms = run (fx, "alice@" DOMAIN, NULL);
  g_test_message ("took %" G_GINT64_FORMAT " ms", ms);
  g_assert_no_error (fx->error);
  g_assert_cmpint (fx->result->step, ==, LK_DISCOVERY_STEP_WELL_KNOWN);
  g_assert_cmpstr (fx->result->provider->id, ==, "google");
  a = attempt (fx, LK_DISCOVERY_STEP_AUTOCONFIG);
  g_assert_cmpint (a->outcome, ==, LK_DISCOVERY_OUTCOME_FAILED);
  g_assert_error (a->error, LK_ERROR, LK_ERROR_TIMED_OUT);
  g_assert_cmpint (ms, <, 12000);
}

/* A slow DNS server times out too; the answer comes from the tenant. */
static void
test_slow_mx_times_out (Fixture       *fx,
                        gconstpointer  data)
{
  gint64 ms;

  lk_discovery_set_step_timeout (fx->discovery, 2000);   /* see test_slow_step_times_out */
  fx->resolver->mx_delay_ms = 20000;
  set_mx (fx, DOMAIN, "10 contoso-test.mail.protection.outlook.com");
  respond (fx, TENANT_KEY, 200, tenant_json, 0);
  ms = run (fx, "alice@" DOMAIN, NULL);
  g_assert_no_error (fx->error);
  g_assert_error (attempt (fx, LK_DISCOVERY_STEP_MX)->error, LK_ERROR, LK_ERROR_TIMED_OUT);
  g_assert_cmpint (fx->result->step, ==, LK_DISCOVERY_STEP_MICROSOFT_TENANT);
  g_assert_cmpint (ms, <, 12000);
}

/* Malformed XML: a clear error in the details, and the next step used. */
static void
test_malformed_xml (Fixture       *fx,
                    gconstpointer  data)
{
  const LkDiscoveryAttempt *a;

  respond (fx, AUTOCONFIG_KEY, 200, "<clientConfig><emailProvider><incomingServer", 0);
  respond (fx, WELL_KNOWN_KEY, 200,
           "<clientConfig><emailProvider><incomingServer type=\"imap\">"
           "<hostname>imap.contoso.test</hostname><port>99999</port>"
           "<socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>", 0);
  set_mx (fx, DOMAIN, "5 aspmx.l.google.com");
  run (fx, "alice@" DOMAIN, NULL);
  g_assert_no_error (fx->error);
  g_assert_cmpint (fx->result->step, ==, LK_DISCOVERY_STEP_MX);
  g_assert_cmpstr (fx->result->provider->id, ==, "google");
  a = attempt (fx, LK_DISCOVERY_STEP_AUTOCONFIG);
  g_assert_cmpint (a->outcome, ==, LK_DISCOVERY_OUTCOME_FAILED);
  g_assert_error (a->error, LK_ERROR, LK_ERROR_BAD_RESPONSE);
  g_assert_nonnull (strstr (a->error->message, "autoconfig." DOMAIN));
  g_assert_nonnull (strstr (a->error->message, "not valid XML"));
  a = attempt (fx, LK_DISCOVERY_STEP_WELL_KNOWN);
  g_assert_error (a->error, LK_ERROR, LK_ERROR_BAD_RESPONSE);
  g_assert_nonnull (strstr (a->error->message, "port"));
}

/* Malformed JSON from Microsoft: the provider stands, without a tenant. */
static void
test_malformed_json (Fixture       *fx,
                     gconstpointer  data)
{
  const LkDiscoveryAttempt *a;

  set_mx (fx, DOMAIN, "0 contoso-test.mail.protection.outlook.com");
  respond (fx, TENANT_KEY, 200, "{\"issuer\": ", 0);
  run (fx, "alice@" DOMAIN, NULL);
  g_assert_no_error (fx->error);
  g_assert_cmpstr (fx->result->provider->id, ==, "microsoft365");
  g_assert_null (fx->result->tenant);
  a = attempt (fx, LK_DISCOVERY_STEP_MICROSOFT_TENANT);
  g_assert_cmpint (a->outcome, ==, LK_DISCOVERY_OUTCOME_FAILED);
  g_assert_error (a->error, LK_ERROR, LK_ERROR_BAD_RESPONSE);
  g_assert_nonnull (strstr (a->error->message, "not a JSON object"));
}

/* Servers that take only passwords: reported, not hidden. */
static void
test_password_only (Fixture       *fx,
                    gconstpointer  data)
{
  respond (fx, AUTOCONFIG_KEY, 200, password_xml, 0);
  respond (fx, TENANT_KEY, 400, aadsts90002_json, 0);
  run (fx, "alice@" DOMAIN, NULL);
  g_assert_no_error (fx->error);
  g_assert_nonnull (fx->result->provider);
  g_assert_false (fx->result->oauth2);
  g_assert_false (fx->result->endpoints_known);
  g_assert_cmpint (fx->result->step, ==, LK_DISCOVERY_STEP_AUTOCONFIG);
  g_assert_cmpstr (fx->result->provider->servers[LK_PROTOCOL_IMAP].host, ==, "mail.contoso.test");
}

/* Cancelling stops every step at once. */
static void
test_cancel (Fixture       *fx,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gint64 ms;

  respond (fx, AUTOCONFIG_KEY, 200, oauth_xml, 3000);
  fx->resolver->mx_delay_ms = 3000;
  g_timeout_add (100, cancel_cb, cancellable);
  ms = run (fx, "alice@" DOMAIN, cancellable);
  g_assert_error (fx->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (fx->result);
  g_assert_cmpint (ms, <, 1000);

  /* Already cancelled before it starts. */
  ms = run (fx, "alice@gmail.com", cancellable);
  g_assert_error (fx->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_invalid_address (Fixture       *fx,
                      gconstpointer  data)
{
  const char *bad[] = { "alice", "alice@", "alice@exa mple.com", "a@b/c.com", "a@-x.com" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      run (fx, bad[i], NULL);
      g_assert_error (fx->error, LK_ERROR, LK_ERROR_INVALID_INPUT);
    }
  g_assert_cmpuint (fx->requests->len, ==, 0);
}

/* The one switch the GUI, the CLI and the tests share (doc/testing.md). */
static void
test_switch (void)
{
  g_autofree char *saved = g_strdup (g_getenv ("LATCHKEY_DISCOVERY"));

  g_setenv ("LATCHKEY_DISCOVERY", "local", TRUE);
  g_assert_false (lk_discovery_is_enabled ());
  g_unsetenv ("LATCHKEY_DISCOVERY");
  g_assert_true (lk_discovery_is_enabled ());
  g_setenv ("LATCHKEY_DISCOVERY", "network", TRUE);
  g_assert_true (lk_discovery_is_enabled ());
  if (saved != NULL)
    g_setenv ("LATCHKEY_DISCOVERY", saved, TRUE);
  else
    g_unsetenv ("LATCHKEY_DISCOVERY");
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *script = NULL;
  g_autoptr(GError) error = NULL;
  int status;
  int result;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  {
    g_autoptr(GResolver) resolver = g_object_new (LK_TYPE_TEST_RESOLVER, NULL);
    g_resolver_set_default (resolver);
  }

  ca_dir = lk_test_make_scratch ();
  script = lk_test_source_path ("tests", "certs", "make-test-ca.sh", NULL);
  {
    const char *args[] = { "/bin/sh", script, ca_dir, "autoconfig." DOMAIN, DOMAIN, NULL };

    g_spawn_sync (NULL, (char **) args, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                  &status, &error);
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }

  g_test_add_func ("/discovery/switch", test_switch);

#define ADD(path, func) \
  g_test_add ("/discovery/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("known-domain", test_known_domain);
  ADD ("autoconfig", test_autoconfig);
  ADD ("autoconfig-redirect", test_autoconfig_redirect);
  ADD ("well-known", test_well_known);
  ADD ("ispdb-and-tenant", test_ispdb_and_tenant);
  ADD ("mx", test_mx);
  ADD ("tenant-fallback", test_tenant_fallback);
  ADD ("not-a-tenant", test_not_a_tenant);
  ADD ("slow-step-times-out", test_slow_step_times_out);
  ADD ("slow-mx-times-out", test_slow_mx_times_out);
  ADD ("malformed-xml", test_malformed_xml);
  ADD ("malformed-json", test_malformed_json);
  ADD ("password-only", test_password_only);
  ADD ("cancel", test_cancel);
  ADD ("invalid-address", test_invalid_address);
#undef ADD

  result = g_test_run ();
  {
    const char *rm[] = { "rm", "-rf", ca_dir, NULL };
    g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                  NULL, NULL);
  }
  return result;
}
