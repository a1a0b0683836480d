/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The admin consent link and its confirmation on the loopback receiver,
 * against the in-process test identity provider; the "browser" is a
 * SoupSession that follows the identity provider's redirect. */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "../idp/lk-test-idp.h"
#include "admin/lk-admin-checklist.h"
#include "admin/lk-admin-consent.h"
#include "admin/lk-admin-tenant.h"
#include "lk-core.h"
#include "lk-error.h"
#include "lk-test-utils.h"
#include "lk-http.h"

#define CLIENT "lk-admin-app"

typedef struct
{
  LkTestIdp   *idp;
  LkProvider  *provider;
  SoupSession *browser;
} Fixture;

static LkProvider *
load_m365 (const char *base)
{
  g_autofree char *path = lk_test_source_path ("data", "providers", "microsoft365.json", NULL);
  g_autofree char *json = NULL;
  g_autoptr(GString) s = NULL;
  g_autoptr(GError) error = NULL;
  LkProvider *provider;

  g_file_get_contents (path, &json, NULL, &error);
  g_assert_no_error (error);
  s = g_string_new (json);
  if (base != NULL)
    g_string_replace (s, "https://login.microsoftonline.com", base, 0);
  provider = lk_provider_new_from_data (s->str, (gssize) s->len, "test", &error);
  g_assert_no_error (error);
  return provider;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->idp = lk_test_idp_new ();
  g_assert_true (lk_test_idp_start (f->idp, &error));
  g_assert_no_error (error);
  lk_test_idp_add_client (f->idp, CLIENT, NULL, TRUE, NULL);
  f->provider = load_m365 (lk_test_idp_get_base_url (f->idp));
  f->browser = soup_session_new ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->browser);
  g_clear_pointer (&f->provider, lk_provider_unref);
  g_assert_finalize_object (f->idp);
}

static GHashTable *
query_of (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED_QUERY, NULL);

  g_assert_nonnull (uri);
  return g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_NONE, NULL);
}

/* The URL's shape, for Microsoft (PROTOCOLS.md A3). */
static void
test_url (void)
{
  g_autoptr(LkProvider) m365 = load_m365 (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *scope = NULL;
  g_autoptr(GHashTable) q = NULL;
  const char *reason = NULL;

  url = lk_admin_consent_build_url (m365, "contoso.com", "11111111-2222-3333-4444-555555555555",
                                    0, FALSE, "http://localhost", "st", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==,
                   "https://login.microsoftonline.com/contoso.com/v2.0/adminconsent"
                   "?client_id=11111111-2222-3333-4444-555555555555"
                   "&redirect_uri=http%3A%2F%2Flocalhost"
                   "&scope=https%3A%2F%2Foutlook.office.com%2F.default&state=st");

  scope = lk_admin_consent_scope (m365, LK_PROTOCOL_FLAG_ALL, TRUE, &reason);
  g_assert_cmpstr (scope, ==, "https://outlook.office365.com/.default");
  g_assert_nonnull (reason);
  g_free (scope);
  scope = lk_admin_consent_scope (m365, LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_POP, TRUE, NULL);
  g_assert_cmpstr (scope, ==, "https://ps.outlook.com/.default");
  g_free (scope);
  scope = lk_admin_consent_scope (m365, LK_PROTOCOL_FLAG_SMTP, FALSE, NULL);
  g_assert_cmpstr (scope, ==, "https://outlook.office.com/.default");

  g_free (url);
  url = lk_admin_consent_build_url (m365, "4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e", "id&x=1",
                                    LK_PROTOCOL_FLAG_IMAP, TRUE, "http://localhost:8400/", NULL, &error);
  g_assert_no_error (error);
  q = query_of (url);
  g_assert_true (g_str_has_prefix (url, "https://login.microsoftonline.com/"
                                        "4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e/v2.0/adminconsent?"));
  g_assert_cmpstr (g_hash_table_lookup (q, "client_id"), ==, "id&x=1");
  g_assert_cmpstr (g_hash_table_lookup (q, "redirect_uri"), ==, "http://localhost:8400/");
  g_assert_cmpstr (g_hash_table_lookup (q, "scope"), ==, "https://ps.outlook.com/.default");
  g_assert_false (g_hash_table_contains (q, "state"));

  g_clear_pointer (&url, g_free);
  url = lk_admin_consent_build_url (m365, "common", "x", 0, FALSE, "http://localhost", NULL, &error);
  g_assert_null (url);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  url = lk_admin_consent_build_url (m365, "contoso.com", NULL, 0, FALSE, "http://localhost", NULL, &error);
  g_assert_null (url);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
}

static void
browse_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, NULL);
  gboolean *done = user_data;

  *done = TRUE;
}

static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

/* Opens the link as a browser would, and waits for the consent's answer. */
static char *
consent_round_trip (Fixture         *f,
                    LkAdminConsent  *consent,
                    GError         **error)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gboolean browsed = FALSE;

  g_assert_true (lk_admin_consent_listen (consent, error));
  g_assert_true (g_str_has_prefix (lk_admin_consent_get_url (consent), lk_test_idp_get_base_url (f->idp)));
  msg = soup_message_new ("GET", lk_admin_consent_get_url (consent));
  soup_session_send_and_read_async (f->browser, msg, G_PRIORITY_DEFAULT, NULL, browse_cb, &browsed);
  lk_admin_consent_wait_async (consent, NULL, done_cb, &result);
  while (result == NULL || !browsed)
    g_main_context_iteration (NULL, TRUE);
  return lk_admin_consent_wait_finish (consent, result, error);
}

static void
test_granted (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(LkAdminConsent) consent = lk_admin_consent_new (f->provider, "contoso.com", CLIENT, 0, TRUE);
  g_autoptr(GError) error = NULL;
  g_autofree char *tenant = consent_round_trip (f, consent, &error);
  g_autoptr(GHashTable) q = query_of (lk_admin_consent_get_url (consent));

  g_assert_no_error (error);
  g_assert_cmpstr (tenant, ==, LK_TEST_IDP_CONTOSO_TENANT);
  g_assert_cmpuint (lk_test_idp_get_count (f->idp, "adminconsent"), ==, 1);
  g_assert_true (g_str_has_prefix (g_hash_table_lookup (q, "redirect_uri"), "http://localhost:"));
  g_assert_cmpstr (g_hash_table_lookup (q, "scope"), ==, "https://outlook.office365.com/.default");
  g_assert_cmpuint (strlen (g_hash_table_lookup (q, "state")), >=, 20);
}

static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(LkAdminConsent) consent = lk_admin_consent_new (f->provider, "contoso.com", CLIENT, 0, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *tenant = NULL;
  g_autoptr(LkDiagnosis) d = NULL;

  lk_test_idp_set_fault (f->idp, LK_TEST_IDP_ENDPOINT_ADMINCONSENT, LK_TEST_IDP_FAULT_AADSTS,
                         65004, NULL, 1);
  tenant = consent_round_trip (f, consent, &error);
  g_assert_null (tenant);
  g_assert_error (error, LK_ERROR, LK_ERROR_AUTHORIZATION_DENIED);
  g_assert_nonnull (strstr (error->message, "AADSTS65004"));

  d = lk_admin_consent_diagnose (consent, error);
  g_assert_nonnull (d);
  g_test_message ("diagnosis %s: %s", d->id, d->title);
  /* Not "unknown": the refusal is recognised and someone is named. */
  g_assert_cmpint (d->fixer, ==, LK_FIXER_TENANT_ADMIN);
  g_assert_nonnull (strstr (d->raw, "AADSTS65004"));
  g_assert_cmpint (d->fixer, !=, LK_FIXER_LATCHKEY);
  g_assert_true (g_strv_length (d->steps) > 0);
}

/* A stale or foreign answer (wrong state) is not a consent. */
static void
test_wrong_state (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(LkAdminConsent) consent = lk_admin_consent_new (f->provider, "contoso.com", CLIENT, 0, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *tenant = NULL;
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gboolean browsed = FALSE;

  g_assert_true (lk_admin_consent_listen (consent, &error));
  /* The receiver's port, from the link's redirect_uri. */
  {
    g_autoptr(GHashTable) q = query_of (lk_admin_consent_get_url (consent));

    url = g_strdup_printf ("%s?admin_consent=True&tenant=x&state=forged",
                           (const char *) g_hash_table_lookup (q, "redirect_uri"));
  }
  msg = soup_message_new ("GET", url);
  soup_session_send_and_read_async (f->browser, msg, G_PRIORITY_DEFAULT, NULL, browse_cb, &browsed);
  lk_admin_consent_wait_async (consent, NULL, done_cb, &result);
  while (result == NULL || !browsed)
    g_main_context_iteration (NULL, TRUE);
  tenant = lk_admin_consent_wait_finish (consent, result, &error);
  g_assert_null (tenant);
  g_assert_error (error, LK_ERROR, LK_ERROR_STATE_MISMATCH);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 400);
}

/* The copy link for another computer: the registered http://localhost. */
static void
test_copy_link (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(LkAdminConsent) consent = lk_admin_consent_new (f->provider, "example.com", CLIENT,
                                                            LK_PROTOCOL_FLAG_IMAP, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *link = lk_admin_consent_dup_link (consent, &error);
  g_autoptr(GHashTable) q = NULL;

  g_assert_no_error (error);
  q = query_of (link);
  g_assert_cmpstr (g_hash_table_lookup (q, "redirect_uri"), ==, "http://localhost");
  g_assert_cmpstr (g_hash_table_lookup (q, "scope"), ==, "https://outlook.office.com/.default");
  g_assert_true (g_str_has_prefix (link, lk_test_idp_get_base_url (f->idp)));
  g_assert_nonnull (strstr (link, "/example.com/v2.0/adminconsent?"));
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

/* contoso.com becomes its tenant id; an unknown domain says so. */
static void
test_tenant_lookup (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(LkHttp) http = lk_http_new (NULL, NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autofree char *tenant = NULL;

      lk_admin_tenant_lookup_async (http, f->provider, i == 0 ? "contoso.com" : "nowhere.example",
                                    NULL, lookup_cb, &result);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      tenant = lk_admin_tenant_lookup_finish (http, result, &error);
      if (i == 0)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (tenant, ==, LK_TEST_IDP_CONTOSO_TENANT);
        }
      else
        {
          g_assert_null (tenant);
          g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
          g_clear_error (&error);
        }
    }
}

static void
test_guid (void)
{
  g_assert_true (lk_guid_is_valid ("4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e"));
  g_assert_true (lk_guid_is_valid ("4B1D9C7E-2F3A-4C5B-8D6E-7F8A9B0C1D2E"));
  g_assert_false (lk_guid_is_valid ("4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2"));
  g_assert_false (lk_guid_is_valid ("4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e0"));
  g_assert_false (lk_guid_is_valid ("4b1d9c7e2f3a-4c5b-8d6e-7f8a9b0c1d2e-"));
  g_assert_false (lk_guid_is_valid ("{4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e}"));
  g_assert_false (lk_guid_is_valid (""));
  g_assert_true (lk_admin_tenant_check ("contoso.onmicrosoft.com", NULL));
  g_assert_false (lk_admin_tenant_check ("contoso", NULL));
  g_assert_false (lk_admin_tenant_check ("organizations", NULL));
  g_assert_false (lk_admin_tenant_check ("a b.com", NULL));
}

static const LkChecklistItem *
item (GPtrArray  *items,
      const char *id)
{
  for (guint i = 0; i < items->len; i++)
    if (g_str_equal (((LkChecklistItem *) items->pdata[i])->id, id))
      return items->pdata[i];
  return NULL;
}

static void
test_checklist (void)
{
  g_autoptr(LkProvider) m365 = load_m365 (NULL);
  g_autoptr(GPtrArray) delegated = lk_admin_checklist_build (m365, "contoso.com", "cid-1",
                                                            LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP, FALSE);
  g_autoptr(GPtrArray) app = lk_admin_checklist_build (m365, "contoso.com", NULL, 0, TRUE);
  g_autoptr(JsonNode) json = lk_admin_checklist_to_json (delegated);
  g_autofree char *text = lk_admin_checklist_to_text (delegated);

  g_assert_cmpstr (item (delegated, "redirect-uri")->value, ==, "http://localhost");
  g_assert_nonnull (strstr (item (delegated, "redirect-uri")->portal_path, "Mobile and desktop applications"));
  g_assert_nonnull (strstr (item (delegated, "public-client")->portal_path, "Allow public client flows"));
  g_assert_cmpstr (item (delegated, "permission-imap")->value, ==, "IMAP.AccessAsUser.All");
  g_assert_cmpstr (item (delegated, "permission-smtp")->value, ==, "SMTP.Send");
  g_assert_null (item (delegated, "permission-pop"));
  g_assert_cmpstr (item (delegated, "permission-offline-access")->value, ==, "offline_access");
  g_assert_cmpstr (item (delegated, "account-types")->value, ==, "contoso.com");
  g_assert_cmpstr (item (delegated, "client-id")->value, ==, "cid-1");
  g_assert_nonnull (strstr (item (delegated, "admin-consent")->explanation, "https://outlook.office.com/.default"));
  g_assert_null (item (delegated, "client-secret"));

  g_assert_null (item (app, "redirect-uri"));
  g_assert_null (item (app, "public-client"));
  g_assert_nonnull (item (app, "client-secret"));
  g_assert_cmpstr (item (app, "permission-imap")->value, ==, "IMAP.AccessAsApp");
  g_assert_cmpstr (item (app, "permission-pop")->value, ==, "POP.AccessAsApp");
  g_assert_cmpstr (item (app, "permission-smtp")->value, ==, "SMTP.SendAsApp");
  g_assert_nonnull (strstr (item (app, "permission-smtp")->portal_path, "Office 365 Exchange Online"));
  g_assert_nonnull (item (app, "exchange"));
  g_assert_null (item (app, "client-id")->value);

  g_assert_true (JSON_NODE_HOLDS_ARRAY (json));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (json)), ==, delegated->len);
  g_assert_nonnull (strstr (text, "   Value: http://localhost\n"));
  g_assert_nonnull (strstr (text, "   Value: IMAP.AccessAsUser.All\n"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  lk_core_init ();
  g_test_add_func ("/admin/consent/url", test_url);
  g_test_add_func ("/admin/guid", test_guid);
  g_test_add_func ("/admin/checklist", test_checklist);
  g_test_add ("/admin/consent/granted", Fixture, NULL, fixture_setup, test_granted, fixture_teardown);
  g_test_add ("/admin/consent/refused", Fixture, NULL, fixture_setup, test_refused, fixture_teardown);
  g_test_add ("/admin/consent/wrong-state", Fixture, NULL, fixture_setup, test_wrong_state, fixture_teardown);
  g_test_add ("/admin/consent/copy-link", Fixture, NULL, fixture_setup, test_copy_link, fixture_teardown);
  g_test_add ("/admin/tenant-lookup", Fixture, NULL, fixture_setup, test_tenant_lookup, fixture_teardown);
  return g_test_run ();
}
