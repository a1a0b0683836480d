/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "lk-error.h"
#include "lk-test-utils.h"
#include "lk-token-set.h"
#include "providers/lk-provider-registry.h"
#include "store/lk-account.h"

static void
test_email_validation (void)
{
  g_assert_true (lk_email_is_valid ("alice@example.com"));
  g_assert_true (lk_email_is_valid ("o'brien+mail@example.co.uk"));
  g_assert_false (lk_email_is_valid ("alice"));
  g_assert_false (lk_email_is_valid ("alice@"));
  g_assert_false (lk_email_is_valid ("@example.com"));
  g_assert_false (lk_email_is_valid ("alice@example"));
  g_assert_false (lk_email_is_valid ("alice smith@example.com"));
  g_assert_false (lk_email_is_valid ("a@b@example.com"));
  g_assert_false (lk_email_is_valid ("alice@example.com."));
}

static void
test_account_round_trip (void)
{
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(LkAccount) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;

  lk_provider_registry_load (registry);
  account = lk_account_new ("shared@contoso.com",
                            lk_provider_registry_lookup (registry, "microsoft365"));
  account->login = g_strdup ("alice@contoso.com");
  account->tenant = g_strdup ("contoso.com");
  account->client_id = g_strdup ("11111111-2222-3333-4444-555555555555");
  account->protocols = LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP;
  account->state = LK_ACCOUNT_STATE_NEEDS_SIGN_IN;
  account->flow = LK_FLOW_DEVICE;

  data = lk_account_to_data (account, NULL);
  again = lk_account_new_from_data (data, -1, "shared.json", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->email, ==, "shared@contoso.com");
  g_assert_cmpstr (lk_account_get_login_hint (again), ==, "alice@contoso.com");
  g_assert_cmpstr (lk_account_get_sasl_user (again), ==, "shared@contoso.com");
  g_assert_cmpstr (lk_account_get_tenant (again), ==, "contoso.com");
  g_assert_cmpstr (lk_account_get_client_id (again), ==, "11111111-2222-3333-4444-555555555555");
  g_assert_cmpint (again->protocols, ==, LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP);
  g_assert_cmpint (again->state, ==, LK_ACCOUNT_STATE_NEEDS_SIGN_IN);
  g_assert_cmpint (again->flow, ==, LK_FLOW_DEVICE);
  g_assert_cmpstr (again->provider->servers[LK_PROTOCOL_IMAP].host, ==, "outlook.office365.com");
}

/* The last test of each protocol survives a save; files written before
 * there were per-protocol results, or with junk there, still load. */
static void
test_account_protocol_tests (void)
{
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(LkAccount) again = NULL;
  g_autoptr(LkAccount) old = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autoptr(GString) old_data = NULL;

  lk_provider_registry_load (registry);
  account = lk_account_new ("alice@contoso.com",
                            lk_provider_registry_lookup (registry, "microsoft365"));
  lk_account_set_test (account, LK_PROTOCOL_IMAP, 1767225600, TRUE,
                       "XOAUTH2 over TLS 1.3 to outlook.office365.com", NULL);
  lk_account_set_test (account, LK_PROTOCOL_SMTP, 1767225601, FALSE,
                       "SMTP sign-in is switched off for the organisation",
                       "smtp-auth-disabled-tenant");
  data = lk_account_to_data (account, NULL);
  again = lk_account_new_from_data (data, -1, "alice.json", &error);
  g_assert_no_error (error);
  g_assert_cmpint (again->tests[LK_PROTOCOL_IMAP].tested_at, ==, 1767225600);
  g_assert_true (again->tests[LK_PROTOCOL_IMAP].ok);
  g_assert_null (again->tests[LK_PROTOCOL_IMAP].diagnosis);
  g_assert_cmpint (again->tests[LK_PROTOCOL_POP].tested_at, ==, 0);
  g_assert_null (again->tests[LK_PROTOCOL_POP].summary);
  g_assert_false (again->tests[LK_PROTOCOL_SMTP].ok);
  g_assert_cmpstr (again->tests[LK_PROTOCOL_SMTP].summary, ==,
                   "SMTP sign-in is switched off for the organisation");
  g_assert_cmpstr (again->tests[LK_PROTOCOL_SMTP].diagnosis, ==, "smtp-auth-disabled-tenant");

  /* An older file: no "tests" at all; then one with the wrong types. */
  old_data = g_string_new (data);
  g_assert_cmpint (g_string_replace (old_data, "\"tests\"", "\"tests-from-the-future\"", 1), ==, 1);
  old = lk_account_new_from_data (old_data->str, -1, "old.json", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    g_assert_cmpint (old->tests[i].tested_at, ==, 0);
  g_clear_pointer (&old, lk_account_unref);
  g_string_assign (old_data, data);
  g_string_replace (old_data, "\"tests\" : {", "\"tests\" : { \"pop\" : 5, \"smtp-x\" : {},", 1);
  g_string_replace (old_data, "\"ok\" : true", "\"ok\" : \"yes\"", 1);
  old = lk_account_new_from_data (old_data->str, -1, "odd.json", &error);
  g_assert_no_error (error);
  g_assert_cmpint (old->tests[LK_PROTOCOL_POP].tested_at, ==, 0);
  g_assert_cmpint (old->tests[LK_PROTOCOL_IMAP].tested_at, ==, 1767225600);
  g_assert_false (old->tests[LK_PROTOCOL_IMAP].ok);
}

static void
test_account_damaged (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkAccount) account = lk_account_new_from_data ("{\"email\": 3", -1, "x.json", &error);

  g_assert_null (account);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "x.json"));
  g_assert_nonnull (strstr (error->message, "add the account again"));
}

static void
test_token_set (void)
{
  g_autoptr(LkTokenSet) tokens = lk_token_set_new ();
  g_autoptr(LkTokenSet) again = NULL;
  g_autoptr(GError) error = NULL;
  char *data;

  tokens->access_token = g_strdup ("at-123");
  tokens->refresh_token = g_strdup ("rt-456");
  tokens->expires_at = 2000;
  tokens->scope = g_strdup ("a b");
  data = lk_token_set_serialize (tokens);
  again = lk_token_set_deserialize (data, &error);
  lk_secret_wipe (data);
  g_assert_no_error (error);
  g_assert_cmpstr (again->access_token, ==, "at-123");
  g_assert_cmpstr (again->refresh_token, ==, "rt-456");
  g_assert_cmpint (again->expires_at, ==, 2000);
  g_assert_true (lk_token_set_is_fresh (again, 1000, 300));
  g_assert_false (lk_token_set_is_fresh (again, 1800, 300));

  g_clear_pointer (&again, lk_token_set_free);
  again = lk_token_set_deserialize ("{\"v\":99}", &error);
  g_assert_null (again);
  g_assert_error (error, LK_ERROR, LK_ERROR_KEYRING);
}

static void
test_aadsts_parse (void)
{
  g_assert_cmpuint (lk_error_parse_aadsts ("AADSTS50011: The redirect URI…"), ==, 50011);
  g_assert_cmpuint (lk_error_parse_aadsts ("x AADSTS7000218: y"), ==, 7000218);
  g_assert_cmpuint (lk_error_parse_aadsts ("AADSTS: nothing"), ==, 0);
  g_assert_cmpuint (lk_error_parse_aadsts (NULL), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/account/email-validation", test_email_validation);
  g_test_add_func ("/account/round-trip", test_account_round_trip);
  g_test_add_func ("/account/protocol-tests", test_account_protocol_tests);
  g_test_add_func ("/account/damaged", test_account_damaged);
  g_test_add_func ("/account/token-set", test_token_set);
  g_test_add_func ("/account/aadsts-parse", test_aadsts_parse);
  return g_test_run ();
}
