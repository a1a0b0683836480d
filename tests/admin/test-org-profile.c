/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "admin/lk-org-profile.h"
#include "lk-error.h"
#include "lk-test-utils.h"

static void
test_names (void)
{
  g_autoptr(LkProvider) m365 = lk_test_load_profile ("microsoft365", NULL);
  g_autofree char *id = lk_org_profile_id_for ("Contoso.COM");
  g_autofree char *name = lk_org_profile_name_for ("contoso.com", m365);
  g_autofree char *guid_name = lk_org_profile_name_for ("4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e", m365);

  g_assert_cmpstr (id, ==, "org-contoso-com");
  g_assert_cmpstr (name, ==, "Contoso (Microsoft 365)");
  g_assert_cmpstr (guid_name, ==, "Organisation 4b1d9c7e (Microsoft 365)");
}

/* Written, loaded back: the same tenant, client id, servers, endpoints. */
static void
test_round_trip (void)
{
  g_autoptr(LkProvider) m365 = lk_test_load_profile ("microsoft365", NULL);
  g_autoptr(LkProvider) org = NULL;
  g_autoptr(LkProvider) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = lk_test_make_scratch ();
  g_autofree char *path = g_build_filename (dir, "contoso.latchkey", NULL);
  g_autofree char *text = NULL;
  GStatBuf st;

  org = lk_org_profile_new (m365, "contoso.com", "11111111-2222-3333-4444-555555555555", NULL, NULL,
                            LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP, &error);
  g_assert_no_error (error);
  g_assert_true (lk_org_profile_write (org, path, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0644);

  loaded = lk_provider_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->id, ==, "org-contoso-com");
  g_assert_cmpstr (loaded->name, ==, "Contoso (Microsoft 365)");
  g_assert_cmpstr (loaded->tenant, ==, "contoso.com");
  g_assert_cmpstr (loaded->client_id, ==, "11111111-2222-3333-4444-555555555555");
  g_assert_cmpstr (loaded->authorization_endpoint, ==, m365->authorization_endpoint);
  g_assert_cmpstr (loaded->token_endpoint, ==, m365->token_endpoint);
  g_assert_cmpstr (loaded->app_only_scope, ==, m365->app_only_scope);
  g_assert_cmpstr (loaded->servers[LK_PROTOCOL_IMAP].host, ==, "outlook.office365.com");
  g_assert_cmpuint (loaded->servers[LK_PROTOCOL_IMAP].port, ==, 993);
  g_assert_cmpstr (loaded->servers[LK_PROTOCOL_SMTP].host, ==, "smtp.office365.com");
  g_assert_null (loaded->servers[LK_PROTOCOL_POP].host);
  g_assert_cmpuint (lk_provider_get_protocols (loaded), ==, LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP);
  g_assert_cmpuint (g_strv_length (loaded->domains), ==, 0);
  g_assert_true (lk_provider_validate (loaded, &error));

  /* No overwrite unless asked. */
  g_assert_false (lk_org_profile_write (org, path, FALSE, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_true (lk_org_profile_write (org, path, TRUE, &error));

  text = lk_org_profile_describe (loaded);
  g_assert_nonnull (strstr (text, "Tenant:    contoso.com\n"));
  g_assert_nonnull (strstr (text, "Client id: 11111111-2222-3333-4444-555555555555\n"));
  g_assert_nonnull (strstr (text, "imap:      outlook.office365.com:993 (tls)\n"));
  g_assert_null (strstr (text, "pop:"));

  g_unlink (path);
  g_rmdir (dir);
}

/* The organisation's own domains go into the profile, so that a colleague's
 * address is recognised by itself; anything else is refused. */
static void
test_domains (void)
{
  g_autoptr(LkProvider) m365 = lk_test_load_profile ("microsoft365", NULL);
  g_autoptr(LkProvider) org = NULL;
  g_autoptr(LkProvider) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *text = NULL;

  org = lk_org_profile_new (m365, "contoso.com", "11111111-2222-3333-4444-555555555555", NULL, NULL,
                            0, &error);
  g_assert_no_error (error);
  g_assert_false (lk_org_profile_set_domains (org, (const char * const[]) { "contoso.com",
                                                                           "contoso.com\nevil", NULL },
                                              &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "not a mail domain"));
  g_assert_cmpuint (g_strv_length (org->domains), ==, 0);
  g_clear_error (&error);

  g_assert_true (lk_org_profile_set_domains (org, (const char * const[]) { "Contoso.com",
                                                                          "fabrikam.example",
                                                                          "contoso.com", NULL },
                                             &error));
  g_assert_no_error (error);
  data = lk_provider_to_data (org, NULL);
  loaded = lk_provider_new_from_data (data, -1, "contoso.latchkey", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (loaded->domains), ==, 2);
  g_assert_cmpstr (loaded->domains[0], ==, "contoso.com");
  g_assert_cmpstr (loaded->domains[1], ==, "fabrikam.example");
  text = lk_org_profile_describe (loaded);
  g_assert_nonnull (strstr (text, "Domains:   contoso.com, fabrikam.example\n"));
}

static void
test_refused (void)
{
  g_autoptr(LkProvider) m365 = lk_test_load_profile ("microsoft365", NULL);
  g_autoptr(GError) error = NULL;
  LkProvider *org;

  org = lk_org_profile_new (m365, "organizations", "x", NULL, NULL, 0, &error);
  g_assert_null (org);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  org = lk_org_profile_new (m365, "contoso.com", "", NULL, NULL, 0, &error);
  g_assert_null (org);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/admin/org-profile/names", test_names);
  g_test_add_func ("/admin/org-profile/round-trip", test_round_trip);
  g_test_add_func ("/admin/org-profile/refused", test_refused);
  g_test_add_func ("/admin/org-profile/domains", test_domains);
  return g_test_run ();
}
