/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "lk-core.h"
#include "lk-error.h"
#include "lk-test-jwt.h"
#include "lk-test-utils.h"
#include "oauth/lk-device-authorization.h"
#include "oauth/lk-jwt.h"
#include "oauth/lk-oauth-client.h"
#include "oauth/lk-pkce.h"
#include "oauth/lk-redirect.h"
#include "oauth/lk-token-response.h"
#include "providers/lk-provider-registry.h"

static GBytes *
bytes (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

/* PKCE */

static void
test_pkce_rfc7636_vector (void)
{
  /* RFC 7636 Appendix B. */
  g_autoptr(LkPkce) pkce = lk_pkce_new_for_verifier ("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");

  g_assert_cmpstr (pkce->challenge, ==, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

static void
test_pkce_random (void)
{
  g_autoptr(LkPkce) a = lk_pkce_new ();
  g_autoptr(LkPkce) b = lk_pkce_new ();
  g_autofree char *state1 = lk_oauth_new_state ();
  g_autofree char *state2 = lk_oauth_new_state ();
  g_autofree char *check = NULL;

  g_assert_cmpuint (strlen (a->verifier), ==, 43);
  g_assert_cmpuint (strlen (a->challenge), ==, 43);
  for (const char *p = a->verifier; *p; p++)
    g_assert_true (g_ascii_isalnum (*p) || *p == '-' || *p == '_');
  g_assert_cmpstr (a->verifier, !=, b->verifier);
  check = lk_pkce_compute_challenge (a->verifier);
  g_assert_cmpstr (check, ==, a->challenge);
  g_assert_cmpuint (strlen (state1), >=, 22);
  g_assert_cmpstr (state1, !=, state2);
}

/* Authorization URL */

static LkProvider *
m365 (void)
{
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();

  lk_provider_registry_load (registry);
  return lk_provider_ref (lk_provider_registry_lookup (registry, "microsoft365"));
}

static GHashTable *
query_of (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);

  g_assert_nonnull (uri);
  return g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
}

static void
test_authorization_url (void)
{
  g_autoptr(LkProvider) provider = m365 ();
  g_autoptr(LkAccount) account = lk_account_new ("alice@contoso.com", provider);
  g_autoptr(LkOAuthClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GHashTable) q = NULL;

  account->tenant = g_strdup ("contoso.com");
  account->client_id = g_strdup ("11111111-2222-3333-4444-555555555555");
  account->protocols = LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP;
  client = lk_oauth_client_new_for_account (account, &error);
  g_assert_no_error (error);
  scope = lk_provider_dup_scope_string (provider, account->protocols);
  url = lk_oauth_client_build_authorization_url (client, "http://localhost:4321/", scope,
                                                 "st4te", "chall", "alice@contoso.com",
                                                 "select_account", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (url, "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/authorize?"));
  q = query_of (url);
  g_assert_cmpstr (g_hash_table_lookup (q, "client_id"), ==, "11111111-2222-3333-4444-555555555555");
  g_assert_cmpstr (g_hash_table_lookup (q, "response_type"), ==, "code");
  g_assert_cmpstr (g_hash_table_lookup (q, "response_mode"), ==, "query");
  g_assert_cmpstr (g_hash_table_lookup (q, "redirect_uri"), ==, "http://localhost:4321/");
  g_assert_cmpstr (g_hash_table_lookup (q, "scope"), ==,
                   "https://outlook.office.com/IMAP.AccessAsUser.All "
                   "https://outlook.office.com/SMTP.Send offline_access");
  g_assert_cmpstr (g_hash_table_lookup (q, "state"), ==, "st4te");
  g_assert_cmpstr (g_hash_table_lookup (q, "code_challenge"), ==, "chall");
  g_assert_cmpstr (g_hash_table_lookup (q, "code_challenge_method"), ==, "S256");
  g_assert_cmpstr (g_hash_table_lookup (q, "login_hint"), ==, "alice@contoso.com");
  g_assert_cmpstr (g_hash_table_lookup (q, "prompt"), ==, "select_account");
  g_assert_false (g_hash_table_contains (q, "client_secret"));
  g_clear_pointer (&url, g_free);
  g_clear_pointer (&q, g_hash_table_unref);

  /* No prompt, no hint: the parameters are left out, not sent empty. */
  url = lk_oauth_client_build_authorization_url (client, "http://localhost:4321/", scope,
                                                 "st4te", "chall", NULL, NULL, &error);
  g_assert_no_error (error);
  q = query_of (url);
  g_assert_false (g_hash_table_contains (q, "prompt"));
  g_assert_false (g_hash_table_contains (q, "login_hint"));
}

static void
test_client_needs_client_id (void)
{
  g_autoptr(LkProvider) provider = m365 ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LkOAuthClient) client = lk_oauth_client_new (provider, NULL, "", &error);

  g_assert_null (client);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_PROFILE);
}

/* Token responses */

static void
test_token_response_success (void)
{
  g_autofree char *id_token = NULL;
  g_autofree char *body = NULL;
  g_autoptr(GBytes) b = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LkTokenSet) tokens = NULL;
  const guint8 key[] = "k";

  id_token = lk_test_jwt_sign ("{\"preferred_username\":\"alice@contoso.com\",\"email\":\"alice@contoso.com\","
                               "\"name\":\"Alice Liddell\",\"tid\":\"72f988bf-0000\"}", key, 1);
  body = g_strdup_printf ("{\"token_type\":\"Bearer\",\"access_token\":\"at-1\",\"expires_in\":4350,"
                          "\"refresh_token\":\"rt-1\",\"scope\":\"https://outlook.office.com/IMAP.AccessAsUser.All\","
                          "\"id_token\":\"%s\"}", id_token);
  b = bytes (body);
  tokens = lk_token_response_parse (200, b, 1000, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tokens->access_token, ==, "at-1");
  g_assert_cmpstr (tokens->refresh_token, ==, "rt-1");
  g_assert_cmpint (tokens->expires_at, ==, 1000 + 4350);
  g_assert_cmpstr (tokens->scope, ==, "https://outlook.office.com/IMAP.AccessAsUser.All");
  g_assert_cmpstr (tokens->id_username, ==, "alice@contoso.com");
  g_assert_cmpstr (tokens->id_email, ==, "alice@contoso.com");
  g_assert_cmpstr (tokens->id_name, ==, "Alice Liddell");
  g_assert_cmpstr (tokens->id_tenant, ==, "72f988bf-0000");
}

static void
test_token_response_expires_in_string (void)
{
  g_autoptr(GBytes) b = bytes ("{\"access_token\":\"x\",\"expires_in\":\"3599\",\"token_type\":\"bearer\"}");
  g_autoptr(GBytes) bad = bytes ("{\"access_token\":\"x\",\"expires_in\":\"soon\"}");
  g_autoptr(GError) error = NULL;
  g_autoptr(LkTokenSet) tokens = lk_token_response_parse (200, b, 10, NULL, &error);
  g_autoptr(LkTokenSet) none = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (tokens->expires_at, ==, 10 + 3599);
  g_assert_null (tokens->refresh_token);
  none = lk_token_response_parse (200, bad, 10, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, LK_ERROR, LK_ERROR_BAD_RESPONSE);
}

static void
test_token_response_aadsts (void)
{
  g_autoptr(GBytes) b = bytes ("{\"error\":\"invalid_grant\",\"error_description\":\"AADSTS700082: The refresh token "
                               "has expired due to inactivity.\\r\\nTrace ID: abc\\r\\nCorrelation ID: def\","
                               "\"error_codes\":[700082],\"timestamp\":\"2024-01-01 00:00:00Z\"}");
  g_autoptr(GBytes) b2 = bytes ("{\"error\":\"invalid_client\",\"error_description\":\"client is bad\","
                                "\"error_codes\":[7000218]}");
  g_autoptr(GError) error = NULL;
  g_autoptr(LkTokenSet) tokens = lk_token_response_parse (400, b, 0, NULL, &error);
  const LkErrorDetails *details;

  g_assert_null (tokens);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_GRANT);
  details = lk_error_get_details (error);
  g_assert_cmpstr (details->oauth_error, ==, "invalid_grant");
  g_assert_cmpuint (details->aadsts, ==, 700082);
  g_assert_cmpuint (details->http_status, ==, 400);
  g_assert_nonnull (strstr (error->message, "AADSTS700082"));
  g_assert_null (strstr (error->message, "Trace ID"));
  g_clear_error (&error);

  /* The number from error_codes when the description has none. */
  tokens = lk_token_response_parse (401, b2, 0, NULL, &error);
  g_assert_error (error, LK_ERROR, LK_ERROR_OAUTH);
  g_assert_cmpuint (lk_error_get_details (error)->aadsts, ==, 7000218);
  g_assert_cmpstr (lk_error_get_details (error)->oauth_error, ==, "invalid_client");
}

static void
test_token_response_malformed (void)
{
  struct { guint status; const char *body; int code; } cases[] = {
    { 200, "<html>proxy login</html>", LK_ERROR_BAD_RESPONSE },
    { 200, "", LK_ERROR_BAD_RESPONSE },
    { 200, "[1,2]", LK_ERROR_BAD_RESPONSE },
    { 200, "{\"token_type\":\"Bearer\",\"expires_in\":3600}", LK_ERROR_BAD_RESPONSE },
    { 200, "{\"access_token\":42}", LK_ERROR_BAD_RESPONSE },
    { 200, "{\"access_token\":\"x\",\"token_type\":\"pop\"}", LK_ERROR_BAD_RESPONSE },
    { 200, "{\"access_token\":\"x\",\"expires_in\":-5}", LK_ERROR_BAD_RESPONSE },
    { 500, "<html>Internal error</html>", LK_ERROR_HTTP },
    { 503, "{\"message\":\"busy\"}", LK_ERROR_HTTP },
    { 400, "{\"error\":\"invalid_request\"}", LK_ERROR_OAUTH },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) b = bytes (cases[i].body);
      g_autoptr(GError) error = NULL;
      g_autoptr(LkTokenSet) tokens = lk_token_response_parse (cases[i].status, b, 0, NULL, &error);

      g_test_message ("case %u: %s", i, cases[i].body);
      g_assert_null (tokens);
      g_assert_error (error, LK_ERROR, cases[i].code);
    }
}

/* No token text ever lands in an error message. */
static void
test_token_response_no_secret_in_messages (void)
{
  g_autoptr(GBytes) b = bytes ("{\"access_token\":\"lksecret_AT\",\"refresh_token\":\"lkrt_RT\","
                               "\"token_type\":\"mac\"}");
  g_autoptr(GError) error = NULL;
  g_autoptr(LkTokenSet) tokens = lk_token_response_parse (200, b, 0, NULL, &error);

  g_assert_null (tokens);
  g_assert_nonnull (error);
  g_assert_null (strstr (error->message, "lksecret_"));
  g_assert_null (strstr (error->message, "lkrt_"));
}

static void
test_device_authorization_parse (void)
{
  g_autoptr(GBytes) b = bytes ("{\"device_code\":\"lkdev_1\",\"user_code\":\"ABCD-EFGH\","
                               "\"verification_uri\":\"https://microsoft.com/devicelogin\","
                               "\"expires_in\":\"900\",\"interval\":5,\"message\":\"To sign in…\"}");
  g_autoptr(GBytes) google = bytes ("{\"device_code\":\"d\",\"user_code\":\"U\","
                                    "\"verification_url\":\"https://www.google.com/device\"}");
  g_autoptr(GBytes) partial = bytes ("{\"device_code\":\"d\"}");
  g_autoptr(GError) error = NULL;
  g_autoptr(LkDeviceAuthorization) a = lk_device_authorization_parse (200, b, 100, &error);
  g_autoptr(LkDeviceAuthorization) g = NULL;
  g_autoptr(LkDeviceAuthorization) p = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (a->user_code, ==, "ABCD-EFGH");
  g_assert_cmpstr (a->verification_uri, ==, "https://microsoft.com/devicelogin");
  g_assert_null (a->verification_uri_complete);
  g_assert_cmpint (a->expires_in, ==, 900);
  g_assert_cmpint (a->expires_at, ==, 1000);
  g_assert_cmpint (a->interval, ==, 5);
  g = lk_device_authorization_parse (200, google, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g->verification_uri, ==, "https://www.google.com/device");
  g_assert_cmpint (g->interval, ==, 5);
  p = lk_device_authorization_parse (200, partial, 0, &error);
  g_assert_null (p);
  g_assert_error (error, LK_ERROR, LK_ERROR_BAD_RESPONSE);
}

/* JWT claims */

static void
test_jwt_claims (void)
{
  const guint8 key[] = "k";
  g_autofree char *delegated = lk_test_jwt_sign ("{\"aud\":\"https://outlook.office.com\",\"scp\":\"IMAP.AccessAsUser.All SMTP.Send\","
                                                 "\"upn\":\"alice@contoso.com\",\"unique_name\":\"alice@contoso.com\","
                                                 "\"tid\":\"t-1\",\"exp\":1700000000,\"iss\":\"https://sts.windows.net/t-1/\","
                                                 "\"appid\":\"app-1\"}", key, 1);
  g_autofree char *app = lk_test_jwt_sign ("{\"aud\":[\"a\",\"b\"],\"roles\":[\"IMAP.AccessAsApp\",\"SMTP.SendAsApp\"],"
                                           "\"azp\":\"app-2\"}", key, 1);
  g_autoptr(LkJwtClaims) d = lk_jwt_claims_decode (delegated);
  g_autoptr(LkJwtClaims) a = lk_jwt_claims_decode (app);

  g_assert_nonnull (d);
  g_assert_cmpstr (d->aud, ==, "https://outlook.office.com");
  g_assert_cmpstr (d->scp, ==, "IMAP.AccessAsUser.All SMTP.Send");
  g_assert_null (d->roles);
  g_assert_cmpstr (d->upn, ==, "alice@contoso.com");
  g_assert_cmpstr (d->unique_name, ==, "alice@contoso.com");
  g_assert_cmpstr (d->tid, ==, "t-1");
  g_assert_cmpint (d->exp, ==, 1700000000);
  g_assert_cmpstr (d->iss, ==, "https://sts.windows.net/t-1/");
  g_assert_cmpstr (d->appid, ==, "app-1");

  g_assert_nonnull (a);
  g_assert_cmpstr (a->aud, ==, "a b");
  g_assert_cmpuint (g_strv_length (a->roles), ==, 2);
  g_assert_cmpstr (a->roles[1], ==, "SMTP.SendAsApp");
  g_assert_cmpstr (a->appid, ==, "app-2");
  g_assert_null (a->scp);
}

static void
test_jwt_opaque (void)
{
  /* Google access tokens are opaque: nothing to show, and no error. */
  const char *opaque[] = {
    "ya29.a0AfH6SMBxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "", "a.b", "a..c", "x.!!!.y", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.sig",
    "eyJhbGciOiJIUzI1NiJ9.WzEsMl0.sig", "a.b.c.d",
  };

  g_assert_null (lk_jwt_claims_decode (NULL));
  for (guint i = 0; i < G_N_ELEMENTS (opaque); i++)
    g_assert_null (lk_jwt_claims_decode (opaque[i]));
}

/* Redirects */

static void
test_redirect_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkRedirect) r = lk_redirect_parse ("code=0.AAA%2Bb&state=s1&session_state=x&iss=https%3A%2F%2Fidp", &error);
  g_autoptr(LkRedirect) dup = NULL;
  g_autoptr(LkRedirect) denied = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (r->code, ==, "0.AAA+b");
  g_assert_cmpstr (r->state, ==, "s1");
  g_assert_cmpstr (r->iss, ==, "https://idp");
  g_assert_true (lk_redirect_check (r, "s1", NULL, NULL, &error));
  g_assert_no_error (error);

  dup = lk_redirect_parse ("code=a&state=s1&state=s2", &error);
  g_assert_null (dup);
  g_assert_error (error, LK_ERROR, LK_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  denied = lk_redirect_parse ("error=access_denied&error_description=AADSTS65001%3A+The+user+or+administrator+"
                              "has+not+consented.%0D%0ATrace+ID%3A+1&state=s1", &error);
  g_assert_no_error (error);
  g_assert_false (lk_redirect_check (denied, "s1", NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_AUTHORIZATION_DENIED);
  g_assert_cmpuint (lk_error_get_details (error)->aadsts, ==, 65001);
  g_assert_cmpstr (lk_error_get_details (error)->oauth_error, ==, "access_denied");
  g_assert_null (strstr (error->message, "Trace ID"));
}

static void
test_redirect_wrong_state (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkRedirect) r = lk_redirect_parse ("code=lkcode_1&state=other", &error);
  g_autoptr(LkRedirect) none = lk_redirect_parse ("code=lkcode_1", &error);
  g_autoptr(LkRedirect) err = lk_redirect_parse ("error=access_denied&state=other", &error);

  g_assert_false (lk_redirect_check (r, "mine", NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_STATE_MISMATCH);
  g_assert_null (strstr (error->message, "lkcode_"));
  g_clear_error (&error);
  g_assert_false (lk_redirect_check (none, "mine", NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_STATE_MISMATCH);
  g_clear_error (&error);
  /* An error= with a foreign state is no more ours than a code. */
  g_assert_false (lk_redirect_check (err, "mine", NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_STATE_MISMATCH);
  g_assert_true (lk_secret_equal ("abc", "abc"));
  g_assert_false (lk_secret_equal ("abc", "abd"));
  g_assert_false (lk_secret_equal ("abc", "abcd"));
  g_assert_false (lk_secret_equal (NULL, "a"));
}

static void
test_redirect_issuer (void)
{
  const char *template = "https://login.microsoftonline.com/{tenant}/v2.0";
  g_autoptr(GError) error = NULL;
  g_autoptr(LkRedirect) good = lk_redirect_parse ("code=c&state=s&iss=https%3A%2F%2Flogin.microsoftonline.com%2Fcontoso.com%2Fv2.0", &error);
  g_autoptr(LkRedirect) evil = lk_redirect_parse ("code=c&state=s&iss=https%3A%2F%2Fevil.example%2Fcontoso.com%2Fv2.0", &error);

  g_assert_true (lk_redirect_check (good, "s", template, "contoso.com", &error));
  g_assert_no_error (error);
  g_assert_false (lk_redirect_check (good, "s", template, "fabrikam.com", &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_ISSUER_MISMATCH);
  g_clear_error (&error);
  g_assert_false (lk_redirect_check (evil, "s", template, "contoso.com", &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_ISSUER_MISMATCH);
  g_clear_error (&error);

  /* A multi-tenant request is answered by the user's own tenant. */
  g_assert_true (lk_issuer_matches ("https://login.microsoftonline.com/9188040d-6c67/v2.0", template, "organizations"));
  g_assert_false (lk_issuer_matches ("https://login.microsoftonline.com/a/b/v2.0", template, "common"));
  g_assert_false (lk_issuer_matches ("https://login.microsoftonline.com//v2.0", template, "common"));
  g_assert_false (lk_issuer_matches ("https://login.microsoftonline.com/x/v2.0", template, "contoso.com"));
  g_assert_true (lk_issuer_matches ("https://accounts.google.com", "https://accounts.google.com", NULL));
  g_assert_false (lk_issuer_matches ("https://accounts.google.com/", "https://accounts.google.com", NULL));
}

/* URL policy */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  lk_core_init ();

  g_test_add_func ("/oauth/pkce/rfc7636-vector", test_pkce_rfc7636_vector);
  g_test_add_func ("/oauth/pkce/random", test_pkce_random);
  g_test_add_func ("/oauth/authorization-url", test_authorization_url);
  g_test_add_func ("/oauth/client-needs-client-id", test_client_needs_client_id);
  g_test_add_func ("/oauth/token-response/success", test_token_response_success);
  g_test_add_func ("/oauth/token-response/expires-in-string", test_token_response_expires_in_string);
  g_test_add_func ("/oauth/token-response/aadsts", test_token_response_aadsts);
  g_test_add_func ("/oauth/token-response/malformed", test_token_response_malformed);
  g_test_add_func ("/oauth/token-response/no-secret-in-messages", test_token_response_no_secret_in_messages);
  g_test_add_func ("/oauth/device-authorization/parse", test_device_authorization_parse);
  g_test_add_func ("/oauth/jwt/claims", test_jwt_claims);
  g_test_add_func ("/oauth/jwt/opaque", test_jwt_opaque);
  g_test_add_func ("/oauth/redirect/parse", test_redirect_parse);
  g_test_add_func ("/oauth/redirect/wrong-state", test_redirect_wrong_state);
  g_test_add_func ("/oauth/redirect/issuer", test_redirect_issuer);

  return g_test_run ();
}
