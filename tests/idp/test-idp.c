/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Tests of the test identity provider itself, over HTTP with a libsoup
 * client, as our OAuth code and the Python tests will talk to it.
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "lk-test-idp.h"
#include "lk-test-jwt.h"

#define VERIFIER  "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
/* BASE64URL(SHA256(VERIFIER)), RFC 7636 appendix B. */
#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
#define REDIRECT  "http://localhost:8400/"
#define OUTLOOK_SCOPES "offline_access openid https://outlook.office.com/IMAP.AccessAsUser.All " \
                       "https://outlook.office.com/SMTP.Send"
#define DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"

typedef struct
{
  LkTestIdp   *idp;
  SoupSession *session;
  const char  *base;
} Fixture;

typedef struct
{
  guint       status;
  char       *body;
  gsize       len;
  char       *location;
  char       *content_type;
  GHashTable *redirect;   /* query of Location, or NULL */
  JsonObject *json;       /* parsed body, or NULL */
  gint64      elapsed_ms;
} Response;

static void
response_free (Response *r)
{
  g_free (r->body);
  g_free (r->location);
  g_free (r->content_type);
  g_clear_pointer (&r->redirect, g_hash_table_unref);
  g_clear_pointer (&r->json, json_object_unref);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fx->idp = lk_test_idp_new ();
  lk_test_idp_set_device_interval (fx->idp, 1);
  g_assert_true (lk_test_idp_start (fx->idp, &error));
  g_assert_no_error (error);
  fx->base = lk_test_idp_get_base_url (fx->idp);
  g_assert_true (g_str_has_prefix (fx->base, "http://127.0.0.1:"));
  fx->session = soup_session_new ();
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  g_clear_object (&fx->session);
  /* Let the server see the client's connections close. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (fx->idp);
}

typedef struct
{
  GBytes  *bytes;
  GError  *error;
  gboolean done;
} Wait;

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  wait->bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &wait->error);
  wait->done = TRUE;
}

/* Sends a request without following redirects; the server runs on this
 * thread's main context, so spin it until the answer is in. */
static Response *
fetch (Fixture    *fx,
       const char *method,
       const char *url,
       const char *content_type,
       const char *body)
{
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  Response *r = g_new0 (Response, 1);
  Wait wait = { 0 };
  gint64 start = g_get_monotonic_time ();
  const char *location;
  const char *type;

  g_assert_nonnull (msg);
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    }
  soup_session_send_and_read_async (fx->session, msg, G_PRIORITY_DEFAULT, NULL, sent_cb, &wait);
  while (!wait.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (wait.error);
  r->elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  r->status = soup_message_get_status (msg);
  r->body = g_strndup (g_bytes_get_data (wait.bytes, NULL), g_bytes_get_size (wait.bytes));
  r->len = g_bytes_get_size (wait.bytes);
  g_bytes_unref (wait.bytes);
  location = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Location");
  if (location != NULL)
    {
      g_autoptr(GUri) uri = g_uri_parse (location, G_URI_FLAGS_ENCODED_QUERY, NULL);

      r->location = g_strdup (location);
      g_assert_nonnull (uri);
      r->redirect = g_uri_get_query (uri) ? soup_form_decode (g_uri_get_query (uri))
                                          : g_hash_table_new (g_str_hash, g_str_equal);
    }
  type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  r->content_type = g_strdup (type);
  if (g_strcmp0 (type, "application/json") == 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, r->body, r->len, NULL) &&
          JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        r->json = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
    }
  return r;
}

static Response *
get (Fixture    *fx,
     const char *path_and_query)
{
  g_autofree char *url = g_strconcat (fx->base, path_and_query, NULL);

  return fetch (fx, "GET", url, NULL, NULL);
}

/* POSTs a form: NULL-terminated name, value pairs. */
static Response * G_GNUC_NULL_TERMINATED
post_form (Fixture    *fx,
           const char *path,
           const char *first_field,
           ...)
{
  g_autofree char *url = g_strconcat (fx->base, path, NULL);
  g_autofree char *form = NULL;
  va_list args;

  va_start (args, first_field);
  form = soup_form_encode_valist (first_field, args);
  va_end (args);
  return fetch (fx, "POST", url, "application/x-www-form-urlencoded", form);
}

static char *
authorize_url (const char *tenant,
               const char *client_id,
               const char *redirect_uri,
               const char *scope,
               const char *challenge,
               const char *extra)
{
  g_autoptr(GString) url = g_string_new (NULL);
  g_autofree char *r = g_uri_escape_string (redirect_uri, NULL, FALSE);
  g_autofree char *s = g_uri_escape_string (scope, NULL, FALSE);

  g_string_printf (url, "/%s/oauth2/v2.0/authorize?client_id=%s&response_type=code&redirect_uri=%s"
                   "&scope=%s&state=st4te&response_mode=query", tenant, client_id, r, s);
  if (challenge != NULL)
    g_string_append_printf (url, "&code_challenge=%s&code_challenge_method=S256", challenge);
  if (extra != NULL)
    g_string_append (url, extra);
  return g_string_free (g_steal_pointer (&url), FALSE);
}

/* Runs /authorize and returns the code from the redirect. */
static char *
get_code (Fixture    *fx,
          const char *scope)
{
  g_autofree char *path = authorize_url ("common", LK_TEST_IDP_CLIENT_ID, REDIRECT, scope, CHALLENGE, NULL);
  g_autoptr(Response) r = get (fx, path);
  const char *code;

  g_assert_cmpuint (r->status, ==, 302);
  g_assert_true (g_str_has_prefix (r->location, REDIRECT "?"));
  g_assert_cmpstr (g_hash_table_lookup (r->redirect, "state"), ==, "st4te");
  code = g_hash_table_lookup (r->redirect, "code");
  g_assert_nonnull (code);
  g_assert_true (g_str_has_prefix (code, LK_TEST_CODE_PREFIX));
  return g_strdup (code);
}

static Response *
redeem (Fixture    *fx,
        const char *code,
        const char *verifier)
{
  return post_form (fx, "/common/oauth2/v2.0/token",
                    "grant_type", "authorization_code",
                    "client_id", LK_TEST_IDP_CLIENT_ID,
                    "code", code,
                    "redirect_uri", REDIRECT,
                    "code_verifier", verifier,
                    NULL);
}

static Response *
refresh (Fixture    *fx,
         const char *refresh_token)
{
  return post_form (fx, "/common/oauth2/v2.0/token",
                    "grant_type", "refresh_token",
                    "client_id", LK_TEST_IDP_CLIENT_ID,
                    "refresh_token", refresh_token,
                    "scope", OUTLOOK_SCOPES,
                    NULL);
}

/* An error answer as Microsoft's: status, error, AADSTS number in
 * error_codes and at the start of error_description. */
static void
assert_error (Response   *r,
              guint       status,
              const char *error,
              guint       code)
{
  g_autofree char *prefix = g_strdup_printf ("AADSTS%u: ", code);
  const char *description;
  JsonArray *codes;

  g_assert_cmpuint (r->status, ==, status);
  g_assert_nonnull (r->json);
  g_assert_cmpstr (json_object_get_string_member (r->json, "error"), ==, error);
  description = json_object_get_string_member (r->json, "error_description");
  if (code != 0)
    {
      g_assert_true (g_str_has_prefix (description, prefix));
      codes = json_object_get_array_member (r->json, "error_codes");
      g_assert_cmpuint (json_array_get_length (codes), ==, 1);
      g_assert_cmpint (json_array_get_int_element (codes, 0), ==, code);
    }
  g_assert_nonnull (strstr (description, "\r\nTrace ID: "));
  g_assert_nonnull (strstr (description, "\r\nCorrelation ID: "));
  g_assert_nonnull (strstr (description, "\r\nTimestamp: "));
  g_assert_true (json_object_has_member (r->json, "trace_id"));
  g_assert_true (json_object_has_member (r->json, "correlation_id"));
  g_assert_true (json_object_has_member (r->json, "timestamp"));
  g_assert_true (json_object_has_member (r->json, "error_uri"));
}

static void
assert_redirect_error (Response   *r,
                       const char *error,
                       guint       code)
{
  g_autofree char *prefix = g_strdup_printf ("AADSTS%u: ", code);

  g_assert_cmpuint (r->status, ==, 302);
  g_assert_nonnull (r->redirect);
  g_assert_cmpstr (g_hash_table_lookup (r->redirect, "error"), ==, error);
  g_assert_true (g_str_has_prefix (g_hash_table_lookup (r->redirect, "error_description"), prefix));
  g_assert_null (g_hash_table_lookup (r->redirect, "code"));
}

static JsonObject *
jwt_claims (const char *jwt)
{
  g_auto(GStrv) parts = g_strsplit (jwt, ".", -1);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *prefix = lk_test_jwt_prefix ();
  g_autofree guchar *raw = NULL;
  g_autoptr(GString) b64 = NULL;
  gsize len;

  g_assert_true (g_str_has_prefix (jwt, prefix));
  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  b64 = g_string_new (parts[1]);
  g_strdelimit (b64->str, "-", '+');
  g_strdelimit (b64->str, "_", '/');
  while (b64->len % 4)
    g_string_append_c (b64, '=');
  raw = g_base64_decode (b64->str, &len);
  g_assert_true (json_parser_load_from_data (parser, (char *) raw, len, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static const char *
member (Response   *r,
        const char *name)
{
  g_assert_nonnull (r->json);
  return json_object_get_string_member_with_default (r->json, name, NULL);
}

/* ------------------------------------------------------------------ */

static void
test_code_flow (Fixture       *fx,
                gconstpointer  data)
{
  g_autofree char *code = get_code (fx, OUTLOOK_SCOPES);
  g_autoptr(Response) r = redeem (fx, code, VERIFIER);
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(JsonObject) id_claims = NULL;
  gint64 expires_in;

  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (member (r, "token_type"), ==, "Bearer");
  g_assert_cmpstr (member (r, "scope"), ==,
                   "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send");
  /* Microsoft: a random 60–90 minutes, a number. */
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (r->json, "expires_in")), ==, G_TYPE_INT64);
  expires_in = json_object_get_int_member (r->json, "expires_in");
  g_assert_cmpint (expires_in, >=, 3600);
  g_assert_cmpint (expires_in, <=, 5400);
  g_assert_true (json_object_has_member (r->json, "ext_expires_in"));
  g_assert_true (g_str_has_prefix (member (r, "refresh_token"), LK_TEST_REFRESH_PREFIX));

  claims = jwt_claims (member (r, "access_token"));
  g_assert_cmpstr (json_object_get_string_member (claims, "iss"), ==, LK_TEST_IDP_DEFAULT_ISSUER);
  g_assert_cmpstr (json_object_get_string_member (claims, "aud"), ==, "https://outlook.office.com");
  g_assert_cmpstr (json_object_get_string_member (claims, "scp"), ==, "IMAP.AccessAsUser.All SMTP.Send");
  g_assert_cmpstr (json_object_get_string_member (claims, "email"), ==, LK_TEST_IDP_DEFAULT_USER);
  g_assert_cmpstr (json_object_get_string_member (claims, "upn"), ==, LK_TEST_IDP_DEFAULT_USER);
  g_assert_cmpstr (json_object_get_string_member (claims, "tid"), ==, LK_TEST_IDP_EXAMPLE_TENANT);
  g_assert_true (json_object_has_member (claims, "sub"));
  /* Dovecot would look the key up elsewhere with these. */
  g_assert_false (json_object_has_member (claims, "azp"));
  g_assert_cmpint (json_object_get_int_member (claims, "exp") - json_object_get_int_member (claims, "iat"),
                   ==, expires_in);

  id_claims = jwt_claims (member (r, "id_token"));
  g_assert_cmpstr (json_object_get_string_member (id_claims, "aud"), ==, LK_TEST_IDP_CLIENT_ID);
  g_assert_cmpstr (json_object_get_string_member (id_claims, "preferred_username"), ==, LK_TEST_IDP_DEFAULT_USER);
  g_assert_cmpstr (json_object_get_string_member (id_claims, "tid"), ==, LK_TEST_IDP_EXAMPLE_TENANT);

  g_assert_cmpuint (lk_test_idp_get_count (fx->idp, "authorize"), ==, 1);
  g_assert_cmpuint (lk_test_idp_get_count (fx->idp, "token"), ==, 1);
  g_assert_cmpuint (lk_test_idp_get_count (fx->idp, "token:authorization_code"), ==, 1);
  g_assert_cmpuint (lk_test_idp_get_count (fx->idp, "token:refresh_token"), ==, 0);
  g_assert_true (g_strcmp0 (lk_test_idp_get_last_access_token (fx->idp), member (r, "access_token")) == 0);
}

static void
test_login_hint_and_no_offline (Fixture       *fx,
                                gconstpointer  data)
{
  g_autofree char *path = authorize_url ("contoso.com", LK_TEST_IDP_CLIENT_ID, REDIRECT,
                                         "https://outlook.office.com/IMAP.AccessAsUser.All", CHALLENGE,
                                         "&login_hint=bob%40contoso.com");
  g_autoptr(Response) a = get (fx, path);
  g_autoptr(Response) r = NULL;
  g_autoptr(JsonObject) claims = NULL;

  g_assert_cmpuint (a->status, ==, 302);
  r = post_form (fx, "/contoso.com/oauth2/v2.0/token", "grant_type", "authorization_code",
                 "client_id", LK_TEST_IDP_CLIENT_ID, "code", g_hash_table_lookup (a->redirect, "code"),
                 "redirect_uri", REDIRECT, "code_verifier", VERIFIER, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  /* No offline_access, no refresh token; no openid, no id_token. */
  g_assert_false (json_object_has_member (r->json, "refresh_token"));
  g_assert_false (json_object_has_member (r->json, "id_token"));
  claims = jwt_claims (member (r, "access_token"));
  g_assert_cmpstr (json_object_get_string_member (claims, "email"), ==, "bob@contoso.com");
  g_assert_cmpstr (json_object_get_string_member (claims, "tid"), ==, LK_TEST_IDP_CONTOSO_TENANT);
}

static void
test_pkce_mismatch (Fixture       *fx,
                    gconstpointer  data)
{
  g_autofree char *code = get_code (fx, OUTLOOK_SCOPES);
  g_autoptr(Response) wrong = redeem (fx, code, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX");
  g_autoptr(Response) again = redeem (fx, code, VERIFIER);

  assert_error (wrong, 400, "invalid_grant", 501481);
  g_assert_false (json_object_has_member (wrong->json, "access_token"));
  /* The failed attempt burnt the code. */
  assert_error (again, 400, "invalid_grant", 54005);
  g_assert_cmpuint (lk_test_idp_get_count (fx->idp, "error:501481"), ==, 1);
}

static void
test_pkce_required (Fixture       *fx,
                    gconstpointer  data)
{
  g_autofree char *none = authorize_url ("common", LK_TEST_IDP_CLIENT_ID, REDIRECT, OUTLOOK_SCOPES, NULL, NULL);
  g_autofree char *plain = authorize_url ("common", LK_TEST_IDP_CLIENT_ID, REDIRECT, OUTLOOK_SCOPES, NULL,
                                          "&code_challenge=" VERIFIER "&code_challenge_method=plain");
  g_autoptr(Response) r1 = get (fx, none);
  g_autoptr(Response) r2 = get (fx, plain);

  assert_redirect_error (r1, "invalid_request", 9002325);
  g_assert_cmpstr (g_hash_table_lookup (r1->redirect, "state"), ==, "st4te");
  assert_redirect_error (r2, "invalid_request", 9002325);
}

static void
test_code_single_use (Fixture       *fx,
                      gconstpointer  data)
{
  g_autofree char *code = get_code (fx, OUTLOOK_SCOPES);
  g_autoptr(Response) first = redeem (fx, code, VERIFIER);
  g_autoptr(Response) second = redeem (fx, code, VERIFIER);
  g_autoptr(Response) bogus = redeem (fx, LK_TEST_CODE_PREFIX "nonsense", VERIFIER);

  g_assert_cmpuint (first->status, ==, 200);
  assert_error (second, 400, "invalid_grant", 54005);
  assert_error (bogus, 400, "invalid_grant", 9002313);
}

static void
test_code_expires (Fixture       *fx,
                   gconstpointer  data)
{
  g_autofree char *code = NULL;
  g_autoptr(Response) r = NULL;

  lk_test_idp_set_code_lifetime (fx->idp, 0);
  code = get_code (fx, OUTLOOK_SCOPES);
  g_usleep (2000);
  r = redeem (fx, code, VERIFIER);
  assert_error (r, 400, "invalid_grant", 70008);
}

static void
test_redirect_mismatch (Fixture       *fx,
                        gconstpointer  data)
{
  g_autofree char *other = authorize_url ("common", LK_TEST_IDP_CLIENT_ID, "http://localhost:8400/other",
                                          OUTLOOK_SCOPES, CHALLENGE, NULL);
  g_autofree char *https = authorize_url ("common", LK_TEST_IDP_CLIENT_ID, "https://localhost/",
                                          OUTLOOK_SCOPES, CHALLENGE, NULL);
  g_autofree char *v6 = authorize_url ("common", LK_TEST_IDP_CLIENT_ID, "http://[::1]:8400/",
                                       OUTLOOK_SCOPES, CHALLENGE, NULL);
  g_autofree char *v4 = authorize_url ("common", LK_TEST_IDP_CLIENT_ID, "http://127.0.0.1:39999",
                                       OUTLOOK_SCOPES, CHALLENGE, NULL);
  g_autofree char *unknown = authorize_url ("common", "no-such-client", REDIRECT,
                                            OUTLOOK_SCOPES, CHALLENGE, NULL);
  g_autoptr(Response) r1 = get (fx, other);
  g_autoptr(Response) r2 = get (fx, https);
  g_autoptr(Response) r3 = get (fx, v6);
  g_autoptr(Response) r4 = get (fx, v4);
  g_autoptr(Response) r5 = get (fx, unknown);
  g_autofree char *code = get_code (fx, OUTLOOK_SCOPES);
  g_autoptr(Response) r6 = post_form (fx, "/common/oauth2/v2.0/token", "grant_type", "authorization_code",
                                      "client_id", LK_TEST_IDP_CLIENT_ID, "code", code,
                                      "redirect_uri", "http://localhost:8401/", "code_verifier", VERIFIER,
                                      NULL);

  /* Microsoft does not redirect to an unregistered address: an error page. */
  for (Response **r = (Response *[]) { r1, r2, r3, NULL }; *r; r++)
    {
      g_assert_cmpuint ((*r)->status, ==, 400);
      g_assert_null ((*r)->location);
      g_assert_nonnull (strstr ((*r)->body, "AADSTS50011"));
    }
  /* Any port of 127.0.0.1 or localhost matches http://localhost. */
  g_assert_cmpuint (r4->status, ==, 302);
  g_assert_nonnull (g_hash_table_lookup (r4->redirect, "code"));
  g_assert_cmpuint (r5->status, ==, 400);
  g_assert_null (r5->location);
  g_assert_nonnull (strstr (r5->body, "AADSTS700016"));
  /* The token request must name the same redirect_uri. */
  assert_error (r6, 400, "invalid_grant", 500112);
}

static void
test_scopes (Fixture       *fx,
             gconstpointer  data)
{
  g_autofree char *mixed = authorize_url ("common", LK_TEST_IDP_CLIENT_ID, REDIRECT,
                                          "https://outlook.office.com/IMAP.AccessAsUser.All User.Read",
                                          CHALLENGE, NULL);
  g_autofree char *unknown = authorize_url ("common", LK_TEST_IDP_CLIENT_ID, REDIRECT,
                                            "https://mail.example.net/IMAP", CHALLENGE, NULL);
  g_autoptr(Response) r1 = get (fx, mixed);
  g_autoptr(Response) r2 = get (fx, unknown);
  g_autofree char *code = get_code (fx, "offline_access https://graph.microsoft.com/IMAP.AccessAsUser.All");
  g_autoptr(Response) r3 = redeem (fx, code, VERIFIER);
  g_autoptr(JsonObject) claims = NULL;

  assert_redirect_error (r1, "invalid_scope", 70011);
  assert_redirect_error (r2, "invalid_resource", 500011);
  /* The Graph IMAP scope gives a token for the wrong audience. */
  g_assert_cmpuint (r3->status, ==, 200);
  claims = jwt_claims (member (r3, "access_token"));
  g_assert_cmpstr (json_object_get_string_member (claims, "aud"), ==, "https://graph.microsoft.com");
}

static void
test_refresh_rotation (Fixture       *fx,
                       gconstpointer  data)
{
  g_autofree char *code = get_code (fx, OUTLOOK_SCOPES);
  g_autoptr(Response) r0 = redeem (fx, code, VERIFIER);
  g_autofree char *rt0 = g_strdup (member (r0, "refresh_token"));
  g_autoptr(Response) r1 = refresh (fx, rt0);
  g_autofree char *rt1 = g_strdup (member (r1, "refresh_token"));
  g_autoptr(Response) r2 = refresh (fx, rt1);
  g_autoptr(Response) r3 = NULL;
  g_autoptr(Response) r4 = NULL;

  g_assert_cmpuint (r1->status, ==, 200);
  g_assert_cmpuint (r2->status, ==, 200);
  /* Every use gives a new refresh token and access token. */
  /* Compared without g_assert_cmpstr, which would print the tokens. */
  g_assert_true (g_str_has_prefix (rt1, LK_TEST_REFRESH_PREFIX));
  g_assert_true (g_strcmp0 (rt0, rt1) != 0);
  g_assert_true (g_strcmp0 (rt1, member (r2, "refresh_token")) != 0);
  g_assert_true (g_strcmp0 (member (r0, "access_token"), member (r1, "access_token")) != 0);
  g_assert_true (g_strcmp0 (lk_test_idp_get_last_refresh_token_used (fx->idp), rt1) == 0);
  g_assert_true (g_strcmp0 (lk_test_idp_get_last_refresh_token_issued (fx->idp, LK_TEST_IDP_DEFAULT_USER),
                            member (r2, "refresh_token")) == 0);
  g_assert_cmpuint (lk_test_idp_get_count (fx->idp, "token:refresh_token"), ==, 2);

  /* As Microsoft, the old one still works... */
  r3 = refresh (fx, rt0);
  g_assert_cmpuint (r3->status, ==, 200);
  g_assert_true (g_strcmp0 (lk_test_idp_get_last_refresh_token_used (fx->idp), rt0) == 0);
  /* ...unless the test asks for single use. */
  lk_test_idp_set_single_use_refresh_tokens (fx->idp, TRUE);
  r4 = refresh (fx, rt0);
  assert_error (r4, 400, "invalid_grant", 70008);
}

static void
test_refresh_revoked (Fixture       *fx,
                      gconstpointer  data)
{
  g_autofree char *code = get_code (fx, OUTLOOK_SCOPES);
  g_autoptr(Response) r0 = redeem (fx, code, VERIFIER);
  g_autoptr(Response) r1 = NULL;
  g_autoptr(Response) r2 = refresh (fx, LK_TEST_REFRESH_PREFIX "unknown");
  g_autoptr(Response) r3 = post_form (fx, "/common/oauth2/v2.0/token", "grant_type", "refresh_token",
                                      "client_id", "someone-else", "refresh_token", member (r0, "refresh_token"),
                                      NULL);

  lk_test_idp_revoke_refresh_tokens (fx->idp, LK_TEST_IDP_DEFAULT_USER);
  r1 = refresh (fx, member (r0, "refresh_token"));
  assert_error (r1, 400, "invalid_grant", 70008);
  assert_error (r2, 400, "invalid_grant", 9002313);
  assert_error (r3, 400, "unauthorized_client", 700016);
}

static Response *
start_device (Fixture    *fx,
              const char *client_id)
{
  return post_form (fx, "/organizations/oauth2/v2.0/devicecode", "client_id", client_id,
                    "scope", OUTLOOK_SCOPES, NULL);
}

static Response *
poll_device (Fixture    *fx,
             const char *client_id,
             const char *device_code)
{
  return post_form (fx, "/organizations/oauth2/v2.0/token", "grant_type", DEVICE_GRANT,
                    "client_id", client_id, "device_code", device_code, NULL);
}

static void
test_device_flow (Fixture       *fx,
                  gconstpointer  data)
{
  g_autoptr(Response) d = start_device (fx, LK_TEST_IDP_CLIENT_ID);
  g_autofree char *verification = g_strconcat (fx->base, "/devicelogin", NULL);
  g_autoptr(Response) p1 = NULL;
  g_autoptr(Response) p2 = NULL;
  g_autoptr(Response) p3 = NULL;
  g_autoptr(JsonObject) claims = NULL;
  const char *device_code;

  g_assert_cmpuint (d->status, ==, 200);
  device_code = member (d, "device_code");
  g_assert_true (g_str_has_prefix (device_code, LK_TEST_DEVICE_PREFIX));
  g_assert_cmpuint (strlen (member (d, "user_code")), ==, 9);
  g_assert_cmpstr (member (d, "verification_uri"), ==, verification);
  g_assert_cmpint (json_object_get_int_member (d->json, "expires_in"), ==, 900);
  g_assert_cmpint (json_object_get_int_member (d->json, "interval"), ==, 1);
  g_assert_nonnull (strstr (member (d, "message"), member (d, "user_code")));
  /* Microsoft does not send it. */
  g_assert_false (json_object_has_member (d->json, "verification_uri_complete"));
  g_assert_cmpstr (lk_test_idp_get_last_user_code (fx->idp), ==, member (d, "user_code"));

  g_usleep (1000 * 1000);
  p1 = poll_device (fx, LK_TEST_IDP_CLIENT_ID, device_code);
  assert_error (p1, 400, "authorization_pending", 70016);

  g_assert_false (lk_test_idp_approve_device (fx->idp, "BBBBBBBBB", NULL));
  g_assert_true (lk_test_idp_approve_device (fx->idp, member (d, "user_code"), "carol@example.com"));
  g_usleep (1000 * 1000);
  p2 = poll_device (fx, LK_TEST_IDP_CLIENT_ID, device_code);
  g_assert_cmpuint (p2->status, ==, 200);
  claims = jwt_claims (member (p2, "access_token"));
  g_assert_cmpstr (json_object_get_string_member (claims, "email"), ==, "carol@example.com");
  g_assert_true (g_str_has_prefix (member (p2, "refresh_token"), LK_TEST_REFRESH_PREFIX));

  g_usleep (1000 * 1000);
  p3 = poll_device (fx, LK_TEST_IDP_CLIENT_ID, device_code);
  assert_error (p3, 400, "invalid_grant", 54005);
  g_assert_cmpuint (lk_test_idp_get_count (fx->idp, "devicecode"), ==, 1);
  g_assert_cmpuint (lk_test_idp_get_count (fx->idp, "token:device_code"), ==, 3);
}

static void
test_device_slow_down (Fixture       *fx,
                       gconstpointer  data)
{
  g_autoptr(Response) d = start_device (fx, LK_TEST_IDP_CLIENT_ID);
  const char *device_code = member (d, "device_code");
  g_autoptr(Response) early = poll_device (fx, LK_TEST_IDP_CLIENT_ID, device_code);
  g_autoptr(Response) still_early = NULL;

  /* Polled at once, before the interval: slow_down, and the interval
   * grows by 5 s, so one more second is still too early. */
  assert_error (early, 400, "slow_down", 0);
  g_usleep (1100 * 1000);
  still_early = poll_device (fx, LK_TEST_IDP_CLIENT_ID, device_code);
  assert_error (still_early, 400, "slow_down", 0);
}

static void
test_device_declined_and_bad (Fixture       *fx,
                              gconstpointer  data)
{
  g_autoptr(Response) d = start_device (fx, LK_TEST_IDP_CLIENT_ID);
  g_autoptr(Response) declined = NULL;
  g_autoptr(Response) bad = NULL;
  g_autoptr(Response) conf = NULL;
  g_autoptr(Response) d2 = NULL;

  g_assert_true (lk_test_idp_decline_device (fx->idp, member (d, "user_code")));
  g_usleep (1000 * 1000);
  declined = poll_device (fx, LK_TEST_IDP_CLIENT_ID, member (d, "device_code"));
  assert_error (declined, 400, "authorization_declined", 65004);
  bad = poll_device (fx, LK_TEST_IDP_CLIENT_ID, LK_TEST_DEVICE_PREFIX "bogus");
  assert_error (bad, 400, "bad_verification_code", 70018);

  /* Without "Allow public client flows": AADSTS7000218 when polling. */
  lk_test_idp_add_client (fx->idp, "confidential", LK_TEST_SECRET_PREFIX "s3cret", FALSE, NULL);
  d2 = start_device (fx, "confidential");
  g_assert_cmpuint (d2->status, ==, 200);
  g_usleep (1000 * 1000);
  conf = poll_device (fx, "confidential", member (d2, "device_code"));
  assert_error (conf, 401, "invalid_client", 7000218);
}

static void
test_device_expired (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(Response) d = NULL;
  g_autoptr(Response) p = NULL;

  lk_test_idp_set_device_code_lifetime (fx->idp, 1);
  d = start_device (fx, LK_TEST_IDP_CLIENT_ID);
  g_assert_cmpint (json_object_get_int_member (d->json, "expires_in"), ==, 1);
  g_usleep (1100 * 1000);
  g_assert_false (lk_test_idp_approve_device (fx->idp, member (d, "user_code"), NULL));
  p = poll_device (fx, LK_TEST_IDP_CLIENT_ID, member (d, "device_code"));
  assert_error (p, 400, "expired_token", 70020);
}

static void
test_devicelogin_page (Fixture       *fx,
                       gconstpointer  data)
{
  g_autoptr(Response) d = start_device (fx, LK_TEST_IDP_CLIENT_ID);
  g_autoptr(Response) form = get (fx, "/devicelogin");
  g_autoptr(Response) confirm = post_form (fx, "/devicelogin", "otc", member (d, "user_code"), NULL);
  g_autoptr(Response) wrong = post_form (fx, "/devicelogin", "otc", "NOPE", NULL);
  g_autoptr(Response) done = post_form (fx, "/devicelogin", "otc", member (d, "user_code"),
                                        "action", "accept", NULL);
  g_autoptr(Response) token = NULL;

  g_assert_cmpuint (form->status, ==, 200);
  g_assert_nonnull (strstr (form->body, "name=\"otc\""));
  g_assert_cmpuint (confirm->status, ==, 200);
  g_assert_nonnull (strstr (confirm->body, LK_TEST_IDP_DEFAULT_USER));
  g_assert_cmpuint (wrong->status, ==, 400);
  g_assert_cmpuint (done->status, ==, 200);
  g_assert_nonnull (strstr (done->body, "You have signed in"));
  g_usleep (1000 * 1000);
  token = poll_device (fx, LK_TEST_IDP_CLIENT_ID, member (d, "device_code"));
  g_assert_cmpuint (token->status, ==, 200);
}

static void
test_devicelogin_otc_link (Fixture       *fx,
                           gconstpointer  data)
{
  g_autoptr(Response) d = start_device (fx, LK_TEST_IDP_CLIENT_ID);
  g_autofree char *path = g_strconcat ("/devicelogin?otc=", member (d, "user_code"), NULL);
  g_autoptr(Response) confirm = NULL;

  lk_test_idp_set_consent_auto_submit (fx->idp, TRUE);
  confirm = get (fx, path);
  g_assert_cmpuint (confirm->status, ==, 200);
  g_assert_nonnull (strstr (confirm->body, "id=\"accept\""));
  g_assert_nonnull (strstr (confirm->body, "getElementById('accept').click"));
}

static void
test_client_credentials (Fixture       *fx,
                         gconstpointer  data)
{
  const char *roles[] = { "IMAP.AccessAsApp", "SMTP.SendAsApp", NULL };
  g_autoptr(Response) ok = NULL;
  g_autoptr(Response) wrong = NULL;
  g_autoptr(Response) missing = NULL;
  g_autoptr(Response) common = NULL;
  g_autoptr(Response) scope = NULL;
  g_autoptr(JsonObject) claims = NULL;
  JsonArray *claim_roles;

  lk_test_idp_add_client (fx->idp, "daemon", LK_TEST_SECRET_PREFIX "right", FALSE, roles);
  lk_test_idp_set_app_mailbox (fx->idp, "shared@example.com");
  ok = post_form (fx, "/example.com/oauth2/v2.0/token", "grant_type", "client_credentials",
                  "client_id", "daemon", "client_secret", LK_TEST_SECRET_PREFIX "right",
                  "scope", "https://outlook.office365.com/.default", NULL);
  g_assert_cmpuint (ok->status, ==, 200);
  g_assert_false (json_object_has_member (ok->json, "refresh_token"));
  g_assert_false (json_object_has_member (ok->json, "scope"));
  claims = jwt_claims (member (ok, "access_token"));
  g_assert_false (json_object_has_member (claims, "scp"));
  claim_roles = json_object_get_array_member (claims, "roles");
  g_assert_cmpuint (json_array_get_length (claim_roles), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (claim_roles, 0), ==, "IMAP.AccessAsApp");
  g_assert_cmpstr (json_object_get_string_member (claims, "email"), ==, "shared@example.com");
  g_assert_cmpstr (json_object_get_string_member (claims, "aud"), ==, "https://outlook.office365.com");
  g_assert_cmpstr (json_object_get_string_member (claims, "tid"), ==, LK_TEST_IDP_EXAMPLE_TENANT);

  wrong = post_form (fx, "/example.com/oauth2/v2.0/token", "grant_type", "client_credentials",
                     "client_id", "daemon", "client_secret", LK_TEST_SECRET_PREFIX "wrong",
                     "scope", "https://outlook.office365.com/.default", NULL);
  assert_error (wrong, 401, "invalid_client", 7000215);
  missing = post_form (fx, "/example.com/oauth2/v2.0/token", "grant_type", "client_credentials",
                       "client_id", "daemon", "scope", "https://outlook.office365.com/.default", NULL);
  assert_error (missing, 401, "invalid_client", 7000218);
  common = post_form (fx, "/common/oauth2/v2.0/token", "grant_type", "client_credentials",
                      "client_id", "daemon", "client_secret", LK_TEST_SECRET_PREFIX "right",
                      "scope", "https://outlook.office365.com/.default", NULL);
  assert_error (common, 400, "invalid_request", 50059);
  scope = post_form (fx, "/example.com/oauth2/v2.0/token", "grant_type", "client_credentials",
                     "client_id", "daemon", "client_secret", LK_TEST_SECRET_PREFIX "right",
                     "scope", "https://outlook.office365.com/IMAP.AccessAsApp", NULL);
  assert_error (scope, 400, "invalid_scope", 1002012);

  /* client_secret_basic works too. */
  {
    g_autofree char *url = g_strconcat (fx->base, "/" LK_TEST_IDP_EXAMPLE_TENANT "/oauth2/v2.0/token", NULL);
    g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
    g_autoptr(GBytes) body = g_bytes_new_static ("grant_type=client_credentials&scope=https%3A%2F%2Foutlook.office365.com%2F.default",
                                                 strlen ("grant_type=client_credentials&scope=https%3A%2F%2Foutlook.office365.com%2F.default"));
    g_autofree char *cred = g_base64_encode ((const guchar *) "daemon:" LK_TEST_SECRET_PREFIX "right",
                                             strlen ("daemon:" LK_TEST_SECRET_PREFIX "right"));
    g_autofree char *auth = g_strconcat ("Basic ", cred, NULL);
    g_autoptr(GBytes) answer = NULL;
    Wait wait = { 0 };

    soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", body);
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    soup_session_send_and_read_async (fx->session, msg, G_PRIORITY_DEFAULT, NULL, sent_cb, &wait);
    while (!wait.done)
      g_main_context_iteration (NULL, TRUE);
    g_assert_no_error (wait.error);
    answer = wait.bytes;
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  }
  g_assert_cmpuint (lk_test_idp_get_count (fx->idp, "token:client_credentials"), ==, 6);
}

static void
test_public_client_secret (Fixture       *fx,
                           gconstpointer  data)
{
  g_autofree char *code = get_code (fx, OUTLOOK_SCOPES);
  g_autoptr(Response) r = post_form (fx, "/common/oauth2/v2.0/token", "grant_type", "authorization_code",
                                     "client_id", LK_TEST_IDP_CLIENT_ID, "client_secret", "x",
                                     "code", code, "redirect_uri", REDIRECT, "code_verifier", VERIFIER,
                                     NULL);

  assert_error (r, 401, "invalid_client", 700025);
}

static void
test_consent_form (Fixture       *fx,
                   gconstpointer  data)
{
  g_autofree char *path = authorize_url ("common", LK_TEST_IDP_CLIENT_ID, REDIRECT, OUTLOOK_SCOPES,
                                         CHALLENGE, NULL);
  g_autoptr(Response) page = NULL;
  g_autoptr(Response) accepted = NULL;
  g_autoptr(Response) page2 = NULL;
  g_autoptr(Response) cancelled = NULL;
  g_autoptr(Response) token = NULL;
  g_autoptr(GRegex) regex = g_regex_new ("name=\"tx\" value=\"([^\"]+)\"", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *tx = NULL;

  lk_test_idp_set_auto_approve (fx->idp, FALSE);
  page = get (fx, path);
  g_assert_cmpuint (page->status, ==, 200);
  g_assert_null (page->location);
  g_assert_nonnull (strstr (page->body, LK_TEST_IDP_DEFAULT_USER));
  g_assert_nonnull (strstr (page->body, ">Accept</button>"));
  g_assert_true (g_regex_match (regex, page->body, 0, &match));
  tx = g_match_info_fetch (match, 1);
  accepted = post_form (fx, "/_consent", "tx", tx, "action", "accept", NULL);
  g_assert_cmpuint (accepted->status, ==, 302);
  g_assert_cmpstr (g_hash_table_lookup (accepted->redirect, "state"), ==, "st4te");
  token = redeem (fx, g_hash_table_lookup (accepted->redirect, "code"), VERIFIER);
  g_assert_cmpuint (token->status, ==, 200);

  page2 = get (fx, path);
  g_clear_pointer (&match, g_match_info_unref);
  g_clear_pointer (&tx, g_free);
  g_assert_true (g_regex_match (regex, page2->body, 0, &match));
  tx = g_match_info_fetch (match, 1);
  cancelled = post_form (fx, "/_consent", "tx", tx, "action", "cancel", NULL);
  assert_redirect_error (cancelled, "access_denied", 65004);

  /* A used or unknown form is refused. */
  {
    g_autoptr(Response) replay = post_form (fx, "/_consent", "tx", tx, "action", "accept", NULL);
    g_assert_cmpuint (replay->status, ==, 400);
    g_assert_null (replay->location);
  }
  /* For headless browsers, the page can press Accept by itself. */
  g_assert_null (strstr (page2->body, "<script"));
  lk_test_idp_set_consent_auto_submit (fx->idp, TRUE);
  {
    g_autoptr(Response) page3 = get (fx, path);
    g_assert_nonnull (strstr (page3->body, "getElementById('accept').click"));
  }
}

static void
test_iss (Fixture       *fx,
          gconstpointer  data)
{
  g_autofree char *path = authorize_url ("organizations", LK_TEST_IDP_CLIENT_ID, REDIRECT, OUTLOOK_SCOPES,
                                         CHALLENGE, NULL);
  g_autofree char *expected = g_strconcat (fx->base, "/organizations/v2.0", NULL);
  g_autoptr(Response) none = get (fx, path);
  g_autoptr(Response) with = NULL;
  g_autoptr(Response) wrong = NULL;
  g_autoptr(Response) wrong_state = NULL;

  g_assert_null (g_hash_table_lookup (none->redirect, "iss"));
  lk_test_idp_set_issue_iss (fx->idp, TRUE);
  with = get (fx, path);
  g_assert_cmpstr (g_hash_table_lookup (with->redirect, "iss"), ==, expected);
  lk_test_idp_set_fault (fx->idp, LK_TEST_IDP_ENDPOINT_AUTHORIZE, LK_TEST_IDP_FAULT_WRONG_ISS, 0, NULL, 1);
  wrong = get (fx, path);
  g_assert_nonnull (g_hash_table_lookup (wrong->redirect, "iss"));
  g_assert_cmpstr (g_hash_table_lookup (wrong->redirect, "iss"), !=, expected);
  lk_test_idp_set_fault (fx->idp, LK_TEST_IDP_ENDPOINT_AUTHORIZE, LK_TEST_IDP_FAULT_WRONG_STATE, 0, NULL, 1);
  wrong_state = get (fx, path);
  g_assert_cmpstr (g_hash_table_lookup (wrong_state->redirect, "state"), !=, "st4te");
  g_assert_nonnull (g_hash_table_lookup (wrong_state->redirect, "code"));
}

static void
test_discovery (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(Response) known = get (fx, "/contoso.com/v2.0/.well-known/openid-configuration");
  g_autoptr(Response) unknown = get (fx, "/nowhere.example/v2.0/.well-known/openid-configuration");
  g_autofree char *issuer = g_strconcat (fx->base, "/" LK_TEST_IDP_CONTOSO_TENANT "/v2.0", NULL);
  g_autofree char *token = g_strconcat (fx->base, "/" LK_TEST_IDP_CONTOSO_TENANT "/oauth2/v2.0/token", NULL);

  g_assert_cmpuint (known->status, ==, 200);
  g_assert_cmpstr (member (known, "issuer"), ==, issuer);
  g_assert_cmpstr (member (known, "token_endpoint"), ==, token);
  g_assert_nonnull (member (known, "device_authorization_endpoint"));
  assert_error (unknown, 400, "invalid_tenant", 90002);
  g_assert_cmpuint (lk_test_idp_get_count (fx->idp, "discovery"), ==, 2);
}

static void
test_admin_consent (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(Response) ok = get (fx, "/contoso.com/v2.0/adminconsent?client_id=" LK_TEST_IDP_CLIENT_ID
                                "&redirect_uri=http%3A%2F%2Flocalhost%3A8400%2F&state=s1"
                                "&scope=https%3A%2F%2Foutlook.office365.com%2F.default");
  g_autoptr(Response) denied = NULL;
  g_autoptr(Response) dynamic = NULL;
  g_autoptr(Response) app = NULL;

  g_assert_cmpuint (ok->status, ==, 302);
  g_assert_cmpstr (g_hash_table_lookup (ok->redirect, "admin_consent"), ==, "True");
  g_assert_cmpstr (g_hash_table_lookup (ok->redirect, "tenant"), ==, LK_TEST_IDP_CONTOSO_TENANT);
  g_assert_cmpstr (g_hash_table_lookup (ok->redirect, "state"), ==, "s1");

  lk_test_idp_set_fault (fx->idp, LK_TEST_IDP_ENDPOINT_ADMINCONSENT, LK_TEST_IDP_FAULT_AADSTS, 65004, NULL, 1);
  denied = get (fx, "/contoso.com/v2.0/adminconsent?client_id=" LK_TEST_IDP_CLIENT_ID
                "&redirect_uri=http%3A%2F%2Flocalhost%3A8400%2F&state=s2"
                "&scope=https%3A%2F%2Foutlook.office365.com%2F.default");
  assert_redirect_error (denied, "access_denied", 65004);
  g_assert_cmpstr (g_hash_table_lookup (denied->redirect, "state"), ==, "s2");

  /* Named (dynamic) delegated scopes are consented as well; an application
   * permission only through '.default'. */
  dynamic = get (fx, "/contoso.com/v2.0/adminconsent?client_id=" LK_TEST_IDP_CLIENT_ID
                 "&redirect_uri=http%3A%2F%2Flocalhost%3A8400%2F"
                 "&scope=https%3A%2F%2Foutlook.office.com%2FIMAP.AccessAsUser.All+offline_access");
  g_assert_cmpuint (dynamic->status, ==, 302);
  g_assert_cmpstr (g_hash_table_lookup (dynamic->redirect, "admin_consent"), ==, "True");
  app = get (fx, "/contoso.com/v2.0/adminconsent?client_id=" LK_TEST_IDP_CLIENT_ID
             "&redirect_uri=http%3A%2F%2Flocalhost%3A8400%2F"
             "&scope=https%3A%2F%2Foutlook.office365.com%2FIMAP.AccessAsApp");
  assert_redirect_error (app, "invalid_scope", 70011);
  g_assert_cmpuint (lk_test_idp_get_count (fx->idp, "adminconsent"), ==, 4);
}

/* Every fault switch, as a client sees it. */
static void
test_faults (Fixture       *fx,
             gconstpointer  data)
{
  g_autofree char *code = get_code (fx, OUTLOOK_SCOPES);
  g_autoptr(Response) r0 = redeem (fx, code, VERIFIER);
  g_autofree char *rt = g_strdup (member (r0, "refresh_token"));
  g_autofree char *path = authorize_url ("common", LK_TEST_IDP_CLIENT_ID, REDIRECT, OUTLOOK_SCOPES,
                                         CHALLENGE, NULL);

  /* An AADSTS error for the next request only. */
  lk_test_idp_set_fault (fx->idp, LK_TEST_IDP_ENDPOINT_TOKEN, LK_TEST_IDP_FAULT_AADSTS, 700082, NULL, 1);
  {
    g_autoptr(Response) r = refresh (fx, rt);
    g_autoptr(Response) after = refresh (fx, rt);
    assert_error (r, 400, "invalid_grant", 700082);
    g_assert_cmpuint (after->status, ==, 200);
  }
  for (guint i = 0; i < 4; i++)
    {
      static const struct { guint code; const char *error; guint status; } cases[] = {
        { 50076, "interaction_required", 400 },
        { 65001, "invalid_grant", 400 },
        { 7000218, "invalid_client", 401 },
        { 700022, "invalid_scope", 400 },
      };
      g_autoptr(Response) r = NULL;

      lk_test_idp_set_fault (fx->idp, LK_TEST_IDP_ENDPOINT_TOKEN, LK_TEST_IDP_FAULT_AADSTS, cases[i].code, NULL, 1);
      r = refresh (fx, rt);
      assert_error (r, cases[i].status, cases[i].error, cases[i].code);
    }
  lk_test_idp_set_fault (fx->idp, LK_TEST_IDP_ENDPOINT_AUTHORIZE, LK_TEST_IDP_FAULT_AADSTS, 65001, NULL, 1);
  {
    g_autoptr(Response) r = get (fx, path);
    assert_redirect_error (r, "consent_required", 65001);
  }

  /* HTTP 500 with an HTML body, until cleared. */
  lk_test_idp_set_fault (fx->idp, LK_TEST_IDP_ENDPOINT_TOKEN, LK_TEST_IDP_FAULT_HTTP_500, 0, NULL, -1);
  {
    g_autoptr(Response) r1 = refresh (fx, rt);
    g_autoptr(Response) r2 = refresh (fx, rt);
    g_autoptr(Response) r3 = NULL;

    g_assert_cmpuint (r1->status, ==, 500);
    g_assert_cmpstr (r1->content_type, ==, "text/html");
    g_assert_cmpuint (r2->status, ==, 500);
    lk_test_idp_clear_faults (fx->idp);
    r3 = refresh (fx, rt);
    g_assert_cmpuint (r3->status, ==, 200);
  }

  /* Malformed JSON. */
  lk_test_idp_set_fault (fx->idp, LK_TEST_IDP_ENDPOINT_TOKEN, LK_TEST_IDP_FAULT_MALFORMED_JSON, 0, NULL, 1);
  {
    g_autoptr(Response) r = refresh (fx, rt);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (r->content_type, ==, "application/json");
    g_assert_null (r->json);
  }

  /* Oversized: 2 MiB. */
  lk_test_idp_set_fault (fx->idp, LK_TEST_IDP_ENDPOINT_TOKEN, LK_TEST_IDP_FAULT_OVERSIZED, 0, NULL, 1);
  {
    g_autoptr(Response) r = refresh (fx, rt);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpuint (r->len, >=, 2 * 1024 * 1024);
  }

  /* expires_in as a string. */
  lk_test_idp_set_fault (fx->idp, LK_TEST_IDP_ENDPOINT_TOKEN, LK_TEST_IDP_FAULT_EXPIRES_IN_STRING, 0, NULL, 1);
  {
    g_autoptr(Response) r = refresh (fx, rt);
    g_assert_cmpint (json_node_get_value_type (json_object_get_member (r->json, "expires_in")), ==, G_TYPE_STRING);
  }

  /* A missing field: access_token by default, or the one named. */
  lk_test_idp_set_fault (fx->idp, LK_TEST_IDP_ENDPOINT_TOKEN, LK_TEST_IDP_FAULT_MISSING_FIELD, 0, NULL, 1);
  {
    g_autoptr(Response) r = refresh (fx, rt);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_false (json_object_has_member (r->json, "access_token"));
    g_assert_true (json_object_has_member (r->json, "refresh_token"));
  }
  lk_test_idp_set_fault (fx->idp, LK_TEST_IDP_ENDPOINT_TOKEN, LK_TEST_IDP_FAULT_MISSING_FIELD, 0, "token_type", 1);
  {
    g_autoptr(Response) r = refresh (fx, rt);
    g_assert_false (json_object_has_member (r->json, "token_type"));
    g_assert_true (json_object_has_member (r->json, "access_token"));
  }

  /* Large tokens. */
  lk_test_idp_set_fault (fx->idp, LK_TEST_IDP_ENDPOINT_TOKEN, LK_TEST_IDP_FAULT_LARGE_TOKENS, 4000, NULL, 1);
  {
    g_autoptr(Response) r = refresh (fx, rt);
    g_autoptr(Response) normal = refresh (fx, rt);
    gsize len = strlen (member (r, "access_token"));

    g_assert_cmpuint (len, >=, 3990);
    g_assert_cmpuint (len, <=, 4010);
    g_assert_cmpuint (strlen (member (normal, "access_token")), <, 1500);
  }

  /* Devicecode and discovery faults. */
  lk_test_idp_set_fault (fx->idp, LK_TEST_IDP_ENDPOINT_DEVICECODE, LK_TEST_IDP_FAULT_MISSING_FIELD,
                         0, "device_code", 1);
  {
    g_autoptr(Response) r = start_device (fx, LK_TEST_IDP_CLIENT_ID);
    g_assert_false (json_object_has_member (r->json, "device_code"));
    g_assert_true (json_object_has_member (r->json, "user_code"));
  }
  lk_test_idp_set_fault (fx->idp, LK_TEST_IDP_ENDPOINT_DISCOVERY, LK_TEST_IDP_FAULT_HTTP_500, 0, NULL, 1);
  {
    g_autoptr(Response) r = get (fx, "/common/v2.0/.well-known/openid-configuration");
    g_assert_cmpuint (r->status, ==, 500);
  }
  g_assert_cmpuint (lk_test_idp_get_count (fx->idp, "error:500"), ==, 3);
}

typedef struct
{
  Fixture  *fx;
  Response *response;
} SlowData;

static gboolean
quick_request_cb (gpointer user_data)
{
  SlowData *d = user_data;

  /* Runs while the slow answer is pending: the server must still answer. */
  d->response = get (d->fx, "/common/v2.0/.well-known/openid-configuration");
  return G_SOURCE_REMOVE;
}

static void
test_fault_slow (Fixture       *fx,
                 gconstpointer  data)
{
  g_autofree char *code = get_code (fx, OUTLOOK_SCOPES);
  g_autoptr(Response) r0 = redeem (fx, code, VERIFIER);
  g_autoptr(Response) slow = NULL;
  g_autoptr(Response) quick = NULL;
  SlowData d = { fx, NULL };

  lk_test_idp_set_fault (fx->idp, LK_TEST_IDP_ENDPOINT_TOKEN, LK_TEST_IDP_FAULT_SLOW, 600, NULL, 1);
  g_timeout_add (100, quick_request_cb, &d);
  slow = refresh (fx, member (r0, "refresh_token"));
  quick = d.response;
  g_assert_cmpuint (slow->status, ==, 200);
  g_assert_cmpint (slow->elapsed_ms, >=, 600);
  g_assert_nonnull (quick);
  g_assert_cmpuint (quick->status, ==, 200);
  g_assert_cmpint (quick->elapsed_ms, <, 400);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* A client that gives up on a slow answer leaves the server working. */
static void
test_fault_slow_abandoned (Fixture       *fx,
                           gconstpointer  data)
{
  g_autofree char *url = g_strconcat (fx->base, "/common/oauth2/v2.0/token", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) body = g_bytes_new_static ("grant_type=refresh_token", strlen ("grant_type=refresh_token"));
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(Response) after = NULL;
  Wait wait = { 0 };
  gboolean waited = FALSE;

  lk_test_idp_set_fault (fx->idp, LK_TEST_IDP_ENDPOINT_TOKEN, LK_TEST_IDP_FAULT_SLOW, 300, NULL, 1);
  soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", body);
  soup_session_send_and_read_async (fx->session, msg, G_PRIORITY_DEFAULT, cancellable, sent_cb, &wait);
  g_timeout_add (50, cancel_cb, cancellable);
  while (!wait.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (wait.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&wait.error);
  g_timeout_add (400, flag_cb, &waited);
  while (!waited)
    g_main_context_iteration (NULL, TRUE);
  after = refresh (fx, LK_TEST_REFRESH_PREFIX "unknown");
  assert_error (after, 400, "invalid_grant", 9002313);
}

static void
test_control (Fixture       *fx,
              gconstpointer  data)
{
  g_autofree char *stats_url = g_strconcat (fx->base, "/_control/stats", NULL);
  g_autofree char *fault_url = g_strconcat (fx->base, "/_control/fault", NULL);
  g_autofree char *approve_url = g_strconcat (fx->base, "/_control/approve-device", NULL);
  g_autofree char *revoke_url = g_strconcat (fx->base, "/_control/revoke", NULL);
  g_autoptr(Response) off = fetch (fx, "GET", stats_url, NULL, NULL);
  g_autoptr(Response) set = NULL;
  g_autoptr(Response) faulty = NULL;
  g_autoptr(Response) stats = NULL;
  g_autoptr(Response) d = NULL;
  g_autoptr(Response) approve = NULL;
  g_autoptr(Response) token = NULL;
  g_autoptr(Response) revoke = NULL;
  g_autoptr(Response) refused = NULL;
  JsonObject *counts;

  g_assert_cmpuint (off->status, ==, 404);
  lk_test_idp_set_control_enabled (fx->idp, TRUE);

  set = fetch (fx, "POST", fault_url, "application/json",
               "{\"endpoint\": \"token\", \"kind\": \"aadsts\", \"code\": 53003, \"count\": 1}");
  g_assert_cmpuint (set->status, ==, 200);
  faulty = refresh (fx, LK_TEST_REFRESH_PREFIX "x");
  assert_error (faulty, 400, "interaction_required", 53003);

  d = start_device (fx, LK_TEST_IDP_CLIENT_ID);
  approve = fetch (fx, "POST", approve_url, "application/json", "{\"user_code\": \"BBBB\"}");
  g_assert_cmpuint (approve->status, ==, 404);
  g_clear_pointer (&approve, response_free);
  approve = fetch (fx, "POST", approve_url, "text/plain", member (d, "user_code"));
  g_assert_cmpuint (approve->status, ==, 200);
  g_usleep (1000 * 1000);
  token = poll_device (fx, LK_TEST_IDP_CLIENT_ID, member (d, "device_code"));
  g_assert_cmpuint (token->status, ==, 200);

  revoke = fetch (fx, "POST", revoke_url, "application/json", "{\"user\": \"" LK_TEST_IDP_DEFAULT_USER "\"}");
  g_assert_cmpuint (revoke->status, ==, 200);
  refused = refresh (fx, member (token, "refresh_token"));
  assert_error (refused, 400, "invalid_grant", 70008);

  stats = fetch (fx, "GET", stats_url, NULL, NULL);
  g_assert_cmpuint (stats->status, ==, 200);
  counts = json_object_get_object_member (stats->json, "counts");
  g_assert_cmpint (json_object_get_int_member (counts, "token"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (counts, "devicecode"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (counts, "error:53003"), ==, 1);
  g_assert_true (g_strcmp0 (json_object_get_string_member (stats->json, "last_refresh_token_used"),
                            member (token, "refresh_token")) == 0);
  g_assert_cmpstr (json_object_get_string_member (stats->json, "last_user_code"), ==, member (d, "user_code"));
}

static void
test_token_size (Fixture       *fx,
                 gconstpointer  data)
{
  g_autofree char *code = NULL;
  g_autoptr(Response) r = NULL;
  g_autoptr(JsonObject) claims = NULL;
  gsize len;

  lk_test_idp_set_token_size (fx->idp, 2000);
  lk_test_idp_set_access_token_lifetime (fx->idp, 120);
  lk_test_idp_set_access_token_issuer (fx->idp, "https://other-issuer.test");
  code = get_code (fx, OUTLOOK_SCOPES);
  r = redeem (fx, code, VERIFIER);
  len = strlen (member (r, "access_token"));
  g_assert_cmpuint (len, >=, 1990);
  g_assert_cmpuint (len, <=, 2010);
  g_assert_cmpint (json_object_get_int_member (r->json, "expires_in"), ==, 120);
  claims = jwt_claims (member (r, "access_token"));
  g_assert_cmpstr (json_object_get_string_member (claims, "iss"), ==, "https://other-issuer.test");
}

static void
test_signature (Fixture       *fx,
                gconstpointer  data)
{
  static const guint8 key_bytes[] = "0123456789abcdef0123456789abcdef";
  g_autoptr(GBytes) key = g_bytes_new_static (key_bytes, 32);
  g_autofree char *code = NULL;
  g_autoptr(Response) r = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree char *resigned = NULL;

  lk_test_idp_set_jwt_key (fx->idp, key);
  code = get_code (fx, OUTLOOK_SCOPES);
  r = redeem (fx, code, VERIFIER);
  parts = g_strsplit (member (r, "access_token"), ".", 3);
  /* The same claims signed with the configured key give the same token. */
  {
    g_autoptr(GString) b64 = g_string_new (parts[1]);
    g_autofree guchar *raw = NULL;
    g_autofree char *claims = NULL;
    gsize len;

    g_strdelimit (b64->str, "-", '+');
    g_strdelimit (b64->str, "_", '/');
    while (b64->len % 4)
      g_string_append_c (b64, '=');
    raw = g_base64_decode (b64->str, &len);
    claims = g_strndup ((char *) raw, len);
    resigned = lk_test_jwt_sign (claims, key_bytes, 32);
  }
  g_assert_true (g_strcmp0 (resigned, member (r, "access_token")) == 0);
}

static void
test_errors_misc (Fixture       *fx,
                  gconstpointer  data)
{
  g_autoptr(Response) no_grant = post_form (fx, "/common/oauth2/v2.0/token", "client_id",
                                            LK_TEST_IDP_CLIENT_ID, NULL);
  g_autoptr(Response) bad_grant = post_form (fx, "/common/oauth2/v2.0/token", "grant_type", "password",
                                             "client_id", LK_TEST_IDP_CLIENT_ID, NULL);
  g_autoptr(Response) get_token = get (fx, "/common/oauth2/v2.0/token");
  g_autoptr(Response) bad_tenant = post_form (fx, "/nowhere.example/oauth2/v2.0/token", "grant_type",
                                              "refresh_token", NULL);
  g_autoptr(Response) not_found = get (fx, "/common/oauth2/v2.0/nothing");

  assert_error (no_grant, 400, "invalid_request", 900144);
  assert_error (bad_grant, 400, "unsupported_grant_type", 70003);
  assert_error (get_token, 400, "invalid_request", 900561);
  assert_error (bad_tenant, 400, "invalid_request", 90002);
  g_assert_cmpuint (not_found->status, ==, 404);
  g_assert_cmpuint (lk_test_idp_get_count (fx->idp, "token:other"), ==, 3);
  lk_test_idp_reset_counts (fx->idp);
  g_assert_cmpuint (lk_test_idp_get_count (fx->idp, "token"), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/idp/code-flow", test_code_flow);
  ADD ("/idp/login-hint", test_login_hint_and_no_offline);
  ADD ("/idp/pkce-mismatch", test_pkce_mismatch);
  ADD ("/idp/pkce-required", test_pkce_required);
  ADD ("/idp/code-single-use", test_code_single_use);
  ADD ("/idp/code-expires", test_code_expires);
  ADD ("/idp/redirect-mismatch", test_redirect_mismatch);
  ADD ("/idp/scopes", test_scopes);
  ADD ("/idp/refresh-rotation", test_refresh_rotation);
  ADD ("/idp/refresh-revoked", test_refresh_revoked);
  ADD ("/idp/device-flow", test_device_flow);
  ADD ("/idp/device-slow-down", test_device_slow_down);
  ADD ("/idp/device-declined", test_device_declined_and_bad);
  ADD ("/idp/device-expired", test_device_expired);
  ADD ("/idp/devicelogin-page", test_devicelogin_page);
  ADD ("/idp/devicelogin-otc-link", test_devicelogin_otc_link);
  ADD ("/idp/client-credentials", test_client_credentials);
  ADD ("/idp/public-client-secret", test_public_client_secret);
  ADD ("/idp/consent-form", test_consent_form);
  ADD ("/idp/iss", test_iss);
  ADD ("/idp/discovery", test_discovery);
  ADD ("/idp/admin-consent", test_admin_consent);
  ADD ("/idp/faults", test_faults);
  ADD ("/idp/fault-slow", test_fault_slow);
  ADD ("/idp/fault-slow-abandoned", test_fault_slow_abandoned);
  ADD ("/idp/control", test_control);
  ADD ("/idp/token-size", test_token_size);
  ADD ("/idp/signature", test_signature);
  ADD ("/idp/errors", test_errors_misc);
#undef ADD

  return g_test_run ();
}
