/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every built-in profile loads and is complete: https endpoints, scopes
 * for each protocol it has servers for, servers with host, port and
 * security; and each provider's particular facts (doc/protocols.md A–C). */
#include "config.h"

#include <string.h>

#include "lk-error.h"
#include "providers/lk-provider-registry.h"

static const char * const expected_ids[] = {
  "microsoft365", "outlook", "google", "yahoo", "aol", "fastmail",
  "zoho", "zoho-eu", "zoho-in", "zoho-au", "zoho-jp", "generic",
};

static LkProviderRegistry *
load (void)
{
  LkProviderRegistry *registry = lk_provider_registry_new ();
  GPtrArray *problems;

  lk_provider_registry_load (registry);
  problems = lk_provider_registry_get_problems (registry);
  for (guint i = 0; i < problems->len; i++)
    g_test_message ("problem: %s", ((GError *) g_ptr_array_index (problems, i))->message);
  g_assert_cmpuint (problems->len, ==, 0);
  return registry;
}

static void
test_all_complete (void)
{
  g_autoptr(LkProviderRegistry) registry = load ();

  for (guint i = 0; i < G_N_ELEMENTS (expected_ids); i++)
    {
      LkProvider *p = lk_provider_registry_lookup (registry, expected_ids[i]);
      g_autoptr(GError) error = NULL;
      gboolean template = g_str_equal (expected_ids[i], "generic");

      g_test_message ("profile %s", expected_ids[i]);
      g_assert_nonnull (p);
      g_assert_true (lk_provider_validate (p, &error));
      g_assert_no_error (error);
      g_assert_true (g_str_has_prefix (p->authorization_endpoint, "https://"));
      g_assert_true (g_str_has_prefix (p->token_endpoint, "https://"));
      if (p->device_authorization_endpoint != NULL)
        g_assert_true (g_str_has_prefix (p->device_authorization_endpoint, "https://"));
      if (p->issuer != NULL)
        g_assert_true (g_str_has_prefix (p->issuer, "https://"));
      g_assert_cmpuint (lk_provider_get_protocols (p), !=, 0);
      for (guint proto = 0; proto < LK_N_PROTOCOLS; proto++)
        {
          const LkServer *server = lk_provider_get_server (p, proto);

          if (server == NULL)
            continue;
          g_assert_cmpstr (server->host, !=, "");
          g_assert_cmpuint (server->port, >, 0);
          g_assert_cmpint (server->security, !=, LK_SECURITY_NONE);
          if (!template)
            g_assert_nonnull (p->scopes[proto][0]);
        }
      /* We ship no client ids: each profile says where to get one. */
      if (!template)
        {
          g_assert_true (p->client_id == NULL || *p->client_id == '\0');
          g_assert_nonnull (p->client_id_help);
          g_assert_true (g_str_has_prefix (p->client_id_help, "https://"));
          g_assert_nonnull (p->notes);
        }
      if (p->device_flow)
        g_assert_nonnull (p->device_authorization_endpoint);
    }
}

static void
test_google (void)
{
  g_autoptr(LkProviderRegistry) registry = load ();
  LkProvider *google = lk_provider_registry_lookup (registry, "google");
  g_autofree char *scopes = NULL;

  g_assert_true (lk_provider_registry_lookup_domain (registry, "googlemail.com") == google);
  g_assert_true (lk_provider_registry_lookup_domain (registry, "GMAIL.COM") == google);
  g_assert_false (google->device_flow);
  g_assert_cmpstr (google->redirect_host, ==, "127.0.0.1");
  g_assert_cmpstr (google->sasl[0], ==, "OAUTHBEARER");
  g_assert_cmpstr (google->sasl[1], ==, "XOAUTH2");
  scopes = lk_provider_dup_scope_string (google, LK_PROTOCOL_FLAG_ALL);
  g_assert_cmpstr (scopes, ==, "https://mail.google.com/");
  g_assert_cmpstr (google->servers[LK_PROTOCOL_IMAP].host, ==, "imap.gmail.com");
  g_assert_cmpstr (google->servers[LK_PROTOCOL_POP].host, ==, "pop.gmail.com");
  g_assert_cmpint (google->servers[LK_PROTOCOL_SMTP].security, ==, LK_SECURITY_STARTTLS);
  g_assert_nonnull (strstr (google->notes, "secret"));
  g_assert_cmpstr (google->authorization_params[0], ==, "access_type");
  g_assert_cmpstr (google->authorization_params[1], ==, "offline");
  /* The build option is empty in test builds: no secret, not an empty one. */
  if (*LK_CLIENT_SECRET_GOOGLE == '\0')
    g_assert_null (lk_provider_get_client_secret (google));
}

static void
test_client_secret_from_profile (void)
{
  g_autoptr(LkProviderRegistry) registry = load ();
  LkProvider *google = lk_provider_registry_lookup (registry, "google");
  g_autofree char *data = lk_provider_to_data (google, NULL);
  g_autoptr(GString) text = g_string_new (data);
  g_autoptr(LkProvider) copy = NULL;
  g_autoptr(GError) error = NULL;

  g_string_replace (text, "\"client_secret\" : null", "\"client_secret\" : \"GOCSPX-x\"", 1);
  copy = lk_provider_new_from_data (text->str, -1, "org.json", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lk_provider_get_client_secret (copy), ==, "GOCSPX-x");
  /* authorization_params survive a round trip. */
  g_assert_cmpstr (copy->authorization_params[2], ==, "prompt");
}

static void
test_zoho_regions (void)
{
  g_autoptr(LkProviderRegistry) registry = load ();
  const struct { const char *domain, *id, *host; } cases[] = {
    { "zohomail.com", "zoho", "accounts.zoho.com" },
    { "zohomail.eu", "zoho-eu", "accounts.zoho.eu" },
    { "zoho.in", "zoho-in", "accounts.zoho.in" },
    { "zohomail.com.au", "zoho-au", "accounts.zoho.com.au" },
    { "zoho.jp", "zoho-jp", "accounts.zoho.jp" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      LkProvider *p = lk_provider_registry_lookup_domain (registry, cases[i].domain);
      g_autofree char *host = g_strdup_printf ("imap.%s", cases[i].host + strlen ("accounts."));

      g_assert_nonnull (p);
      g_assert_cmpstr (p->id, ==, cases[i].id);
      g_assert_nonnull (strstr (p->token_endpoint, cases[i].host));
      g_assert_cmpstr (p->servers[LK_PROTOCOL_IMAP].host, ==, host);
    }
}

static void
test_others (void)
{
  g_autoptr(LkProviderRegistry) registry = load ();
  LkProvider *m365 = lk_provider_registry_lookup (registry, "microsoft365");
  LkProvider *outlook = lk_provider_registry_lookup (registry, "outlook");

  g_assert_cmpstr (lk_provider_registry_lookup_domain (registry, "ymail.com")->id, ==, "yahoo");
  g_assert_cmpstr (lk_provider_registry_lookup_domain (registry, "aol.com")->id, ==, "aol");
  g_assert_cmpstr (lk_provider_registry_lookup_domain (registry, "fastmail.fm")->id, ==,
                   "fastmail");
  g_assert_cmpstr (m365->tenant, ==, "organizations");
  g_assert_true (m365->device_flow);
  g_assert_cmpstr (outlook->tenant, ==, "consumers");
  g_assert_cmpstr (outlook->servers[LK_PROTOCOL_SMTP].host, ==, "smtp-mail.outlook.com");
  g_assert_nonnull (strstr (outlook->notes, "IMAP"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/builtin-profiles/all-complete", test_all_complete);
  g_test_add_func ("/builtin-profiles/google", test_google);
  g_test_add_func ("/builtin-profiles/client-secret-from-profile", test_client_secret_from_profile);
  g_test_add_func ("/builtin-profiles/zoho-regions", test_zoho_regions);
  g_test_add_func ("/builtin-profiles/others", test_others);
  return g_test_run ();
}
