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

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->idp = lk_test_idp_new ();
  g_assert_true (lk_test_idp_start (f->idp, &error));
  g_assert_no_error (error);
  lk_test_idp_add_client (f->idp, CLIENT, NULL, TRUE, NULL);
  f->provider = lk_test_load_profile ("microsoft365", lk_test_idp_get_base_url (f->idp));
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
  g_autoptr(GHashTable) q = lk_test_query_of (lk_admin_consent_get_url (consent));

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
    g_autoptr(GHashTable) q = lk_test_query_of (lk_admin_consent_get_url (consent));

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
  q = lk_test_query_of (link);
  g_assert_cmpstr (g_hash_table_lookup (q, "redirect_uri"), ==, "http://localhost");
  g_assert_cmpstr (g_hash_table_lookup (q, "scope"), ==,
                   "https://outlook.office.com/IMAP.AccessAsUser.All offline_access");
  g_assert_false (g_hash_table_contains (q, "state"));
  g_assert_true (g_str_has_prefix (link, lk_test_idp_get_base_url (f->idp)));
  g_assert_nonnull (strstr (link, "/example.com/v2.0/adminconsent?"));
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
  g_autoptr(LkProvider) m365 = lk_test_load_profile ("microsoft365", NULL);
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
  g_assert_nonnull (strstr (item (delegated, "admin-consent")->explanation,
                            "https://outlook.office.com/IMAP.AccessAsUser.All "
                            "https://outlook.office.com/SMTP.Send offline_access"));
  g_assert_null (item (delegated, "client-secret"));
  /* SMTP sends only where SMTP AUTH is on for the mailbox. */
  g_assert_nonnull (strstr (item (delegated, "smtp-auth")->portal_path, "Authenticated SMTP"));
  g_assert_nonnull (strstr (item (delegated, "smtp-auth")->explanation, "535 5.7.139"));

  g_assert_null (item (app, "redirect-uri"));
  g_assert_null (item (app, "public-client"));
  g_assert_nonnull (item (app, "client-secret"));
  g_assert_cmpstr (item (app, "permission-imap")->value, ==, "IMAP.AccessAsApp");
  g_assert_cmpstr (item (app, "permission-pop")->value, ==, "POP.AccessAsApp");
  g_assert_cmpstr (item (app, "permission-smtp")->value, ==, "SMTP.SendAsApp");
  g_assert_nonnull (strstr (item (app, "permission-smtp")->portal_path, "Office 365 Exchange Online"));
  g_assert_nonnull (item (app, "exchange"));
  g_assert_null (item (app, "smtp-auth"));
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
  g_test_add_func ("/admin/checklist", test_checklist);
  g_test_add ("/admin/consent/granted", Fixture, NULL, fixture_setup, test_granted, fixture_teardown);
  g_test_add ("/admin/consent/refused", Fixture, NULL, fixture_setup, test_refused, fixture_teardown);
  g_test_add ("/admin/consent/wrong-state", Fixture, NULL, fixture_setup, test_wrong_state, fixture_teardown);
  g_test_add ("/admin/consent/copy-link", Fixture, NULL, fixture_setup, test_copy_link, fixture_teardown);
  return g_test_run ();
}
