/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "diagnose/lk-diagnosis.h"
#include "lk-error.h"
#include "lk-test-utils.h"
#include "lk-token-set.h"
#include "oauth/lk-token-info.h"
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


/* A failed test keeps its whole diagnosis, for the account page after a
 * restart; it reads back field by field. A diagnosis whose link is not one
 * Latchkey would open, or whose text hides control characters, is refused
 * as a whole. */
static void
test_account_test_details (void)
{
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(LkAccount) again = NULL;
  g_autoptr(LkDiagnosis) diagnosis = NULL;
  g_autoptr(LkDiagnosis) read = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  JsonObject *obj;

  lk_provider_registry_load (registry);
  account = lk_account_new ("alice@contoso.com",
                            lk_provider_registry_lookup (registry, "microsoft365"));
  diagnosis = lk_diagnosis_new ("smtp-auth-disabled-mailbox", LK_FIXER_MAILBOX_ADMIN,
                                LK_CONFIDENCE_CERTAIN, "SMTP sign-in is switched off",
                                "Exchange Online lets a mailbox refuse SMTP AUTH.");
  lk_diagnosis_add_step (diagnosis, "Ask the administrator to switch it on.");
  lk_diagnosis_add_command (diagnosis, "Set-CASMailbox -Identity 'alice@contoso.com' "
                                       "-SmtpClientAuthenticationDisabled $false");
  diagnosis->url = g_strdup ("https://aka.ms/smtp_auth_disabled");
  diagnosis->raw = g_strdup ("535 5.7.139 Authentication unsuccessful\r\n, SmtpClientAuthentication is disabled");
  diagnosis->protocol = g_strdup ("SMTP");
  diagnosis->server = g_strdup ("smtp.office365.com:587");
  diagnosis->time = 1767225601;
  node = lk_diagnosis_to_json (diagnosis);
  lk_account_set_test (account, LK_PROTOCOL_SMTP, 1767225601, FALSE, diagnosis->title,
                       diagnosis->id);
  lk_account_set_test_details (account, LK_PROTOCOL_SMTP, node);

  data = lk_account_to_data (account, NULL);
  again = lk_account_new_from_data (data, -1, "alice.json", &error);
  g_assert_no_error (error);
  g_assert_nonnull (again->tests[LK_PROTOCOL_SMTP].details);
  g_assert_null (again->tests[LK_PROTOCOL_IMAP].details);
  read = lk_diagnosis_new_from_json (again->tests[LK_PROTOCOL_SMTP].details, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (read->id, ==, diagnosis->id);
  g_assert_cmpstr (read->title, ==, diagnosis->title);
  g_assert_cmpstr (read->explanation, ==, diagnosis->explanation);
  g_assert_cmpint (read->fixer, ==, LK_FIXER_MAILBOX_ADMIN);
  g_assert_cmpint (read->confidence, ==, LK_CONFIDENCE_CERTAIN);
  g_assert_cmpstr (read->steps[0], ==, diagnosis->steps[0]);
  g_assert_null (read->steps[1]);
  g_assert_cmpstr (read->commands[0], ==, diagnosis->commands[0]);
  g_assert_cmpstr (read->url, ==, diagnosis->url);
  g_assert_cmpstr (read->raw, ==, diagnosis->raw);
  g_assert_cmpstr (read->server, ==, "smtp.office365.com:587");
  g_assert_cmpint (read->time, ==, 1767225601);
  /* A new result of the protocol drops the old diagnosis. */
  lk_account_set_test (again, LK_PROTOCOL_SMTP, 1767225700, TRUE, "XOAUTH2", NULL);
  g_assert_null (again->tests[LK_PROTOCOL_SMTP].details);
  g_clear_pointer (&read, lk_diagnosis_unref);

  /* Links Latchkey would not open, and hidden characters. */
  obj = json_node_get_object (node);
  json_object_set_string_member (obj, "url", "file:///etc/passwd");
  read = lk_diagnosis_new_from_json (node, &error);
  g_assert_null (read);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  json_object_set_string_member (obj, "url", "https://aka.ms/smtp_auth_disabled");
  json_object_set_string_member (obj, "title", "SMTP \u202eoff");
  read = lk_diagnosis_new_from_json (node, &error);
  g_assert_null (read);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "title"));
}

/* Where the account was set up: newest first, one record per client and
 * file, kept across a save; records that are not plain absolute paths are
 * dropped when read. */
static void
test_account_exports (void)
{
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(LkAccount) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autoptr(GString) hostile = NULL;
  const LkAccountExport *export;

  lk_provider_registry_load (registry);
  account = lk_account_new ("alice@contoso.com",
                            lk_provider_registry_lookup (registry, "microsoft365"));
  g_assert_cmpuint (account->exports->len, ==, 0);
  lk_account_add_export (account, "msmtp", "/home/alice/.msmtprc", 1767225600);
  lk_account_add_export (account, "mbsync", "/home/alice/.mbsyncrc", 1767225700);
  lk_account_add_export (account, "msmtp", "/home/alice/.msmtprc", 1767225800);
  g_assert_cmpuint (account->exports->len, ==, 2);

  data = lk_account_to_data (account, NULL);
  again = lk_account_new_from_data (data, -1, "alice.json", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->exports->len, ==, 2);
  export = g_ptr_array_index (again->exports, 0);
  g_assert_cmpstr (export->client, ==, "msmtp");
  g_assert_cmpstr (export->path, ==, "/home/alice/.msmtprc");
  g_assert_cmpint (export->at, ==, 1767225800);
  export = g_ptr_array_index (again->exports, 1);
  g_assert_cmpstr (export->client, ==, "mbsync");

  g_clear_pointer (&again, lk_account_unref);
  hostile = g_string_new (data);
  g_assert_cmpint (g_string_replace (hostile, "/home/alice/.mbsyncrc", "relative/\\u0007rc", 1),
                   ==, 1);
  again = lk_account_new_from_data (hostile->str, -1, "hostile.json", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->exports->len, ==, 1);
  g_assert_cmpstr (((LkAccountExport *) g_ptr_array_index (again->exports, 0))->client, ==,
                   "msmtp");
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

/* An account file is data from disk: an address that is none, or a login
 * with a line break in it (which would reach a mail program's file or its
 * login), is refused when the file is read, naming the file and field. */
static void
test_account_hostile_fields (void)
{
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  g_autoptr(LkAccount) account = NULL;
  g_autofree char *data = NULL;
  /* Values as JSON string bodies, escapes and all. */
  static const struct { const char *field, *value; } cases[] = {
    { "email", "alice@example.com\\nTunnel \\\"touch /tmp/x\\\"" },
    { "email", "not an address" },
    { "login", "alice@example.com\\r\\nA1 LOGOUT" },
    { "display_name", "Alice\\u2028Bob" },
    { "tenant", "contoso.com\\u0000" },
    { "client_id", "id\\u001b[2J" },
  };

  lk_provider_registry_load (registry);
  account = lk_account_new ("alice@example.com",
                            lk_provider_registry_lookup (registry, "microsoft365"));
  data = lk_account_to_data (account, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(LkAccount) loaded = NULL;
      g_autofree char *marked = NULL;
      g_auto(GStrv) parts = NULL;
      g_autofree char *json_value = g_strdup_printf ("\"%s\"", cases[i].value);
      g_autofree char *hostile = NULL;
      JsonObject *obj;

      /* The value goes in as JSON text: a "\u0000" parsed first would be
       * cut short before the account file reader ever saw it. */
      g_assert_true (json_parser_load_from_data (parser, data, -1, NULL));
      obj = json_node_get_object (json_parser_get_root (parser));
      json_object_set_string_member (obj, cases[i].field, "@VALUE@");
      marked = json_to_string (json_parser_get_root (parser), FALSE);
      parts = g_strsplit (marked, "\"@VALUE@\"", 2);
      g_assert_cmpuint (g_strv_length (parts), ==, 2);
      hostile = g_strjoin (json_value, parts[0], parts[1], NULL);
      loaded = lk_account_new_from_data (hostile, -1, "hostile.json", &error);
      g_assert_null (loaded);
      g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
      g_assert_nonnull (strstr (error->message, "hostile.json"));
      if (g_strcmp0 (cases[i].field, "email") != 0)
        g_assert_nonnull (strstr (error->message, cases[i].field));
    }
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
  g_assert_cmpint (again->signed_in_at, ==, 0);
  g_assert_true (lk_token_set_is_fresh (again, 1000, 300));

  /* When the sign-in and the refreshes happened travel with the set. */
  tokens->signed_in_at = 1500;
  tokens->refreshed_at = 1700;
  tokens->refresh_token_at = 1600;
  data = lk_token_set_serialize (tokens);
  g_clear_pointer (&again, lk_token_set_free);
  again = lk_token_set_deserialize (data, &error);
  lk_secret_wipe (data);
  g_assert_no_error (error);
  g_assert_cmpint (again->signed_in_at, ==, 1500);
  g_assert_cmpint (again->refreshed_at, ==, 1700);
  g_assert_cmpint (again->refresh_token_at, ==, 1600);
  g_assert_false (lk_token_set_is_fresh (again, 1800, 300));

  g_clear_pointer (&again, lk_token_set_free);
  again = lk_token_set_deserialize ("{\"v\":99}", &error);
  g_assert_null (again);
  g_assert_error (error, LK_ERROR, LK_ERROR_KEYRING);
}


/* What the account page may show of a token set: who signed in (the id
 * token's name, else the access token's upn), the scopes, the times; never
 * a token, and never a name with hidden characters. */
static void
test_token_info (void)
{
  g_autoptr(LkTokenSet) tokens = lk_token_set_new ();
  g_autoptr(LkTokenInfo) info = NULL;
  g_autoptr(LkTokenInfo) none = lk_token_info_new_from_set (NULL);
  g_autoptr(LkTokenInfo) copy = NULL;
  /* {"alg":"none"}.{"upn":"bob@contoso.com","tid":"4b1d…","scp":"IMAP.AccessAsUser.All SMTP.Send"}. */
  const char *jwt = "eyJhbGciOiJub25lIn0."
                    "eyJ1cG4iOiJib2JAY29udG9zby5jb20iLCJ0aWQiOiI0YjFkOWM3ZS0yZjNhLTRjNWItOGQ2"
                    "ZS03ZjhhOWIwYzFkMmUiLCJzY3AiOiJJTUFQLkFjY2Vzc0FzVXNlci5BbGwgU01UUC5TZW5kIn0.";

  g_assert_false (none->has_tokens);

  tokens->access_token = g_strdup (jwt);
  tokens->refresh_token = g_strdup ("lkrt_secret");
  tokens->expires_at = 2000;
  tokens->signed_in_at = 1000;
  tokens->refreshed_at = 1800;
  tokens->refresh_token_at = 1800;
  tokens->id_name = g_strdup ("Bob \u202eevil");
  info = lk_token_info_new_from_set (tokens);
  g_assert_true (info->has_tokens);
  g_assert_true (info->has_refresh_token);
  g_assert_false (info->app_only);
  g_assert_cmpstr (info->signed_in_as, ==, "bob@contoso.com");
  g_assert_cmpstr (info->tenant, ==, "4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e");
  g_assert_cmpstr (info->scopes, ==, "IMAP.AccessAsUser.All SMTP.Send");
  g_assert_null (info->name);
  g_assert_cmpint (info->expires_at, ==, 2000);
  g_assert_cmpint (info->signed_in_at, ==, 1000);
  g_assert_cmpint (info->refreshed_at, ==, 1800);
  g_assert_cmpint (info->refresh_token_at, ==, 1800);

  /* The id token's own user name comes first; the granted scope too. */
  tokens->id_username = g_strdup ("robert@contoso.com");
  tokens->scope = g_strdup ("https://outlook.office.com/IMAP.AccessAsUser.All");
  g_clear_pointer (&info, lk_token_info_free);
  info = lk_token_info_new_from_set (tokens);
  g_assert_cmpstr (info->signed_in_as, ==, "robert@contoso.com");
  g_assert_cmpstr (info->scopes, ==, "https://outlook.office.com/IMAP.AccessAsUser.All");
  copy = lk_token_info_copy (info);
  g_assert_cmpstr (copy->signed_in_as, ==, "robert@contoso.com");
  g_assert_cmpint (copy->refresh_token_at, ==, 1800);
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
  g_test_add_func ("/account/test-details", test_account_test_details);
  g_test_add_func ("/account/exports", test_account_exports);
  g_test_add_func ("/account/damaged", test_account_damaged);
  g_test_add_func ("/account/hostile-fields", test_account_hostile_fields);
  g_test_add_func ("/account/token-info", test_token_info);
  g_test_add_func ("/account/token-set", test_token_set);
  g_test_add_func ("/account/aadsts-parse", test_aadsts_parse);
  return g_test_run ();
}
