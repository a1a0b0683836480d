/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Microsoft identity platform rules that discovery, the diagnosis and
 * the IT tools share (src/core/providers/lk-microsoft.c): which tenants name
 * one organisation, the tenant lookup against the test identity provider,
 * and the one admin consent link. */
#include "config.h"

#include <string.h>

#include "../idp/lk-test-idp.h"
#include "lk-core.h"
#include "lk-error.h"
#include "lk-http.h"
#include "lk-test-utils.h"
#include "providers/lk-microsoft.h"

static void
test_tenants (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *from_issuer = NULL;

  g_assert_true (lk_guid_is_valid ("4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e"));
  g_assert_true (lk_guid_is_valid ("4B1D9C7E-2F3A-4C5B-8D6E-7F8A9B0C1D2E"));
  g_assert_false (lk_guid_is_valid ("4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2"));
  g_assert_false (lk_guid_is_valid ("4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e0"));
  g_assert_false (lk_guid_is_valid ("4b1d9c7e2f3a-4c5b-8d6e-7f8a9b0c1d2e-"));
  g_assert_false (lk_guid_is_valid ("{4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e}"));
  g_assert_false (lk_guid_is_valid (""));

  g_assert_true (lk_microsoft_tenant_is_placeholder (NULL));
  g_assert_true (lk_microsoft_tenant_is_placeholder ("Organizations"));
  g_assert_true (lk_microsoft_tenant_is_placeholder ("consumers"));
  g_assert_false (lk_microsoft_tenant_is_placeholder ("contoso.com"));

  g_assert_true (lk_microsoft_tenant_check ("contoso.onmicrosoft.com", NULL));
  g_assert_true (lk_microsoft_tenant_check ("4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e", NULL));
  g_assert_false (lk_microsoft_tenant_check ("contoso", NULL));
  g_assert_false (lk_microsoft_tenant_check ("a b.com", NULL));
  g_assert_false (lk_microsoft_tenant_check ("organizations", &error));
  /* The message says what to give instead. */
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "contoso.com"));

  from_issuer = lk_microsoft_tenant_from_issuer ("https://login.microsoftonline.com/"
                                                 "4B1D9C7E-2F3A-4C5B-8D6E-7F8A9B0C1D2E/v2.0");
  g_assert_cmpstr (from_issuer, ==, "4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e");
  /* The tenant is the first segment, nothing further down. */
  g_assert_null (lk_microsoft_tenant_from_issuer ("https://login.microsoftonline.com/common/"
                                                  "4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e"));
  g_assert_null (lk_microsoft_tenant_from_issuer ("not a url"));
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static char *
lookup (LkHttp      *http,
        LkProvider  *provider,
        const char  *domain,
        GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *url = lk_microsoft_tenant_discovery_url (provider, domain);

  g_assert_nonnull (url);
  lk_microsoft_tenant_lookup_async (http, url, domain, NULL, lookup_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return lk_microsoft_tenant_lookup_finish (http, result, error);
}

/* contoso.com becomes its tenant id; an unknown domain is "not found" and
 * says which domain; a server error is not mistaken for "not found". */
static void
test_tenant_lookup (void)
{
  g_autoptr(LkTestIdp) idp = lk_test_idp_new ();
  g_autoptr(LkProvider) provider = NULL;
  g_autoptr(LkHttp) http = lk_http_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *tenant = NULL;
  g_autofree char *unknown = NULL;
  g_autofree char *failed = NULL;

  g_assert_true (lk_test_idp_start (idp, &error));
  provider = lk_test_load_profile ("microsoft365", lk_test_idp_get_base_url (idp));

  tenant = lookup (http, provider, "contoso.com", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tenant, ==, LK_TEST_IDP_CONTOSO_TENANT);

  unknown = lookup (http, provider, "nowhere.example", &error);
  g_assert_null (unknown);
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "nowhere.example"));
  g_assert_cmpuint (lk_error_get_details (error)->aadsts, ==, 90002);
  g_clear_error (&error);

  lk_test_idp_set_fault (idp, LK_TEST_IDP_ENDPOINT_DISCOVERY, LK_TEST_IDP_FAULT_HTTP_500, 0, NULL, 1);
  failed = lookup (http, provider, "contoso.com", &error);
  g_assert_null (failed);
  g_assert_error (error, LK_ERROR, LK_ERROR_HTTP);
  g_assert_cmpuint (lk_error_get_details (error)->http_status, ==, 500);
  g_assert_cmpuint (lk_test_idp_get_count (idp, "discovery"), ==, 3);
}


static char *
resolve (LkProvider  *provider,
         const char  *tenant,
         GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  lk_microsoft_tenant_resolve_async (provider, tenant, NULL, lookup_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return lk_microsoft_tenant_resolve_finish (result, error);
}

/* What `latchkey-cli admin`, the IT window and the sign-in page's consent
 * link ask: a tenant id stays as it is (nothing is asked), a domain is
 * looked up at the profile's identity provider, anything else is refused
 * with what to give instead. */
static void
test_tenant_resolve (void)
{
  g_autoptr(LkTestIdp) idp = lk_test_idp_new ();
  g_autoptr(LkProvider) provider = NULL;
  g_autoptr(LkProvider) no_issuer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *guid = NULL;
  g_autofree char *domain = NULL;
  g_autofree char *none = NULL;
  g_autofree char *cannot = NULL;

  g_assert_true (lk_test_idp_start (idp, &error));
  provider = lk_test_load_profile ("microsoft365", lk_test_idp_get_base_url (idp));

  guid = resolve (provider, "4B1D9C7E-2F3A-4C5B-8D6E-7F8A9B0C1D2E", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (guid, ==, "4B1D9C7E-2F3A-4C5B-8D6E-7F8A9B0C1D2E");
  g_assert_cmpuint (lk_test_idp_get_count (idp, "discovery"), ==, 0);

  domain = resolve (provider, "contoso.com", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (domain, ==, LK_TEST_IDP_CONTOSO_TENANT);
  g_assert_cmpuint (lk_test_idp_get_count (idp, "discovery"), ==, 1);

  none = resolve (provider, "organizations", &error);
  g_assert_null (none);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  no_issuer = lk_provider_copy_with (provider, NULL, NULL);
  g_clear_pointer (&no_issuer->issuer, g_free);
  cannot = resolve (no_issuer, "contoso.com", &error);
  g_assert_null (cannot);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_PROFILE);
  g_assert_cmpuint (lk_test_idp_get_count (idp, "discovery"), ==, 1);
}

/* The scope choice (lk_microsoft_admin_consent_scope() says why). */
static void
test_consent_scope (void)
{
  g_autoptr(LkProvider) m365 = lk_test_load_profile ("microsoft365", NULL);
  g_autofree char *delegated = NULL;
  g_autofree char *all = NULL;
  g_autofree char *app_smtp = NULL;
  g_autofree char *app_imap = NULL;
  const char *reason = NULL;

  /* Delegated: what the sign-in asks for, offline_access included. */
  delegated = lk_microsoft_admin_consent_scope (m365, LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP,
                                                FALSE, &reason);
  g_assert_cmpstr (delegated, ==, "https://outlook.office.com/IMAP.AccessAsUser.All "
                                  "https://outlook.office.com/SMTP.Send offline_access");
  g_assert_nonnull (reason);
  all = lk_microsoft_admin_consent_scope (m365, 0, FALSE, NULL);
  g_assert_nonnull (strstr (all, "/POP.AccessAsUser.All"));

  /* App-only: '.default' of Exchange Online, by its documented names. */
  app_smtp = lk_microsoft_admin_consent_scope (m365, LK_PROTOCOL_FLAG_ALL, TRUE, NULL);
  g_assert_cmpstr (app_smtp, ==, "https://outlook.office365.com/.default");
  app_imap = lk_microsoft_admin_consent_scope (m365, LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_POP,
                                               TRUE, NULL);
  g_assert_cmpstr (app_imap, ==, "https://ps.outlook.com/.default");
}

static void
test_consent_url (void)
{
  g_autoptr(LkProvider) m365 = lk_test_load_profile ("microsoft365", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *listening = NULL;
  g_autoptr(GHashTable) q = NULL;

  /* The link to copy: http://localhost, no state. */
  url = lk_microsoft_admin_consent_url (m365, "contoso.com", "11111111-2222-3333-4444-555555555555",
                                        LK_PROTOCOL_FLAG_IMAP, FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==,
                   "https://login.microsoftonline.com/contoso.com/v2.0/adminconsent"
                   "?client_id=11111111-2222-3333-4444-555555555555"
                   "&redirect_uri=http%3A%2F%2Flocalhost"
                   "&scope=https%3A%2F%2Foutlook.office.com%2FIMAP.AccessAsUser.All%20offline_access");

  listening = lk_microsoft_admin_consent_url (m365, "4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e", "id&x=1",
                                              LK_PROTOCOL_FLAG_IMAP, TRUE, "http://localhost:8400/",
                                              "st", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (listening, "https://login.microsoftonline.com/"
                                              "4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e/v2.0/adminconsent?"));
  q = lk_test_query_of (listening);
  g_assert_cmpstr (g_hash_table_lookup (q, "client_id"), ==, "id&x=1");
  g_assert_cmpstr (g_hash_table_lookup (q, "redirect_uri"), ==, "http://localhost:8400/");
  g_assert_cmpstr (g_hash_table_lookup (q, "scope"), ==, "https://ps.outlook.com/.default");
  g_assert_cmpstr (g_hash_table_lookup (q, "state"), ==, "st");

  /* Microsoft asks not to use "common" there; no client id, no link. */
  g_clear_pointer (&url, g_free);
  url = lk_microsoft_admin_consent_url (m365, "common", "x", 0, FALSE, NULL, NULL, &error);
  g_assert_null (url);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  url = lk_microsoft_admin_consent_url (m365, "contoso.com", NULL, 0, FALSE, NULL, NULL, &error);
  g_assert_null (url);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
}

/* The test identity provider takes the link as Microsoft does: it grants
 * consent for the delegated scopes and for the app-only '.default'. */
static void
test_consent_url_accepted (void)
{
  g_autoptr(LkTestIdp) idp = lk_test_idp_new ();
  g_autoptr(LkProvider) provider = NULL;
  g_autoptr(SoupSession) browser = soup_session_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (lk_test_idp_start (idp, &error));
  lk_test_idp_add_client (idp, "lk-admin-app", NULL, TRUE, NULL);
  provider = lk_test_load_profile ("microsoft365", lk_test_idp_get_base_url (idp));
  for (guint app_only = 0; app_only < 2; app_only++)
    {
      g_autofree char *url = lk_microsoft_admin_consent_url (provider, "contoso.com", "lk-admin-app",
                                                             0, app_only, NULL, NULL, &error);
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GBytes) body = NULL;
      const char *location;

      g_assert_no_error (error);
      soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
      soup_session_send_and_read_async (browser, msg, G_PRIORITY_DEFAULT, NULL, lookup_cb, &result);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      body = soup_session_send_and_read_finish (browser, result, &error);
      g_assert_no_error (error);
      location = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Location");
      g_assert_cmpuint (soup_message_get_status (msg), ==, 302);
      g_assert_true (g_str_has_prefix (location, "http://localhost/?admin_consent=True"));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  lk_core_init ();

  g_test_add_func ("/microsoft/tenants", test_tenants);
  g_test_add_func ("/microsoft/tenant-lookup", test_tenant_lookup);
  g_test_add_func ("/microsoft/tenant-resolve", test_tenant_resolve);
  g_test_add_func ("/microsoft/consent-scope", test_consent_scope);
  g_test_add_func ("/microsoft/consent-url", test_consent_url);
  g_test_add_func ("/microsoft/consent-url-accepted", test_consent_url_accepted);
  return g_test_run ();
}
