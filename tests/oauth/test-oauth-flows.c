/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The OAuth flows end to end against a small in-test authorization server
 * on loopback. It behaves as Microsoft's does where the engine can tell:
 * PKCE S256 checked, codes single-use, refresh tokens rotated, device code
 * with authorization_pending and slow_down, client credentials, AADSTS
 * errors. (The fuller test identity provider lives in tests/idp/.) */
#include "config.h"

#include <string.h>

#include "lk-core.h"
#include "lk-error.h"
#include "lk-test-jwt.h"
#include "lk-test-utils.h"
#include "oauth/lk-browser-sign-in.h"
#include "oauth/lk-loopback-receiver.h"
#include "oauth/lk-oauth-client.h"
#include "oauth/lk-pkce.h"

typedef enum
{
  FAULT_NONE,
  FAULT_MALFORMED,
  FAULT_OVERSIZED,
  FAULT_HTTP_500,
  FAULT_SLOW,
  FAULT_NO_REFRESH_TOKEN,
} Fault;

typedef struct
{
  SoupServer *server;
  char       *base;
  GHashTable *codes;             /* code → "challenge redirect_uri" */
  char       *refresh_token;     /* the one valid refresh token */
  char       *iss_override;      /* sent as iss in redirects when set */
  char       *redirect_error;    /* error= in the redirect when set */
  Fault       fault;
  guint       token_requests;
  guint       device_polls;
  GPtrArray  *device_script;     /* answers to successive polls */
  gint64      last_poll_us;
  GArray     *poll_gaps_ms;
  GPtrArray  *paused;
} Idp;

typedef struct
{
  Idp         idp;
  LkProvider *provider;
  GMainLoop  *loop;
} Fixture;

static void
respond_json (SoupServerMessage *msg,
              guint              status,
              const char        *json)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
}

static void
respond_error (SoupServerMessage *msg,
               const char        *error,
               guint              aadsts,
               const char        *text)
{
  g_autofree char *json = g_strdup_printf ("{\"error\":\"%s\",\"error_description\":\"AADSTS%u: %s\\r\\n"
                                           "Trace ID: 0000\",\"error_codes\":[%u]}",
                                           error, aadsts, text, aadsts);

  respond_json (msg, 400, json);
}

static void
issue_tokens (Idp               *idp,
              SoupServerMessage *msg,
              gboolean           with_refresh)
{
  g_autofree char *at = lk_test_random_string ("lksecret_at", 16);
  g_autofree char *json = NULL;

  g_free (idp->refresh_token);
  idp->refresh_token = with_refresh ? lk_test_random_string (LK_TEST_REFRESH_PREFIX, 16) : NULL;
  if (with_refresh && idp->fault != FAULT_NO_REFRESH_TOKEN)
    json = g_strdup_printf ("{\"token_type\":\"Bearer\",\"access_token\":\"%s\",\"expires_in\":\"3599\","
                            "\"refresh_token\":\"%s\",\"scope\":\"https://outlook.office.com/IMAP.AccessAsUser.All\"}",
                            at, idp->refresh_token);
  else
    json = g_strdup_printf ("{\"token_type\":\"Bearer\",\"access_token\":\"%s\",\"expires_in\":3599}", at);
  respond_json (msg, 200, json);
}

static void
token_endpoint (Idp               *idp,
                SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) flat = soup_message_body_flatten (body);
  g_autofree char *text = g_strndup (g_bytes_get_data (flat, NULL), g_bytes_get_size (flat));
  g_autoptr(GHashTable) form = soup_form_decode (text);
  const char *grant = g_hash_table_lookup (form, "grant_type");

  idp->token_requests++;
  switch (idp->fault)
    {
    case FAULT_MALFORMED:
      respond_json (msg, 200, "{\"access_token\": \"lksecret_x\", ");
      return;
    case FAULT_OVERSIZED:
      {
        gsize n = 2 * 1024 * 1024;
        char *big = g_malloc (n);

        memset (big, ' ', n);
        big[0] = '{';
        big[n - 1] = '}';
        soup_server_message_set_status (msg, 200, NULL);
        soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, big, n);
      }
      return;
    case FAULT_HTTP_500:
      soup_server_message_set_status (msg, 500, NULL);
      soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, "<h1>oops</h1>", 13);
      return;
    case FAULT_SLOW:
      soup_server_message_pause (msg);
      g_ptr_array_add (idp->paused, g_object_ref (msg));
      return;
    case FAULT_NONE:
    case FAULT_NO_REFRESH_TOKEN:
    default:
      break;
    }

  if (g_strcmp0 (grant, "authorization_code") == 0)
    {
      const char *code = g_hash_table_lookup (form, "code");
      g_autofree char *stolen_code = NULL;
      g_autofree char *entry = NULL;
      g_autofree char *challenge = NULL;
      g_auto(GStrv) parts = NULL;

      if (code == NULL || !g_hash_table_steal_extended (idp->codes, code, (gpointer *) &stolen_code,
                                                       (gpointer *) &entry))
        {
          respond_error (msg, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed.");
          return;
        }
      parts = g_strsplit (entry, " ", 2);
      challenge = lk_pkce_compute_challenge (g_hash_table_lookup (form, "code_verifier") ?: "");
      if (g_strcmp0 (challenge, parts[0]) != 0)
        {
          respond_error (msg, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge.");
          return;
        }
      if (g_strcmp0 (g_hash_table_lookup (form, "redirect_uri"), parts[1]) != 0)
        {
          respond_error (msg, "invalid_grant", 50011, "The redirect URI does not match.");
          return;
        }
      issue_tokens (idp, msg, TRUE);
    }
  else if (g_strcmp0 (grant, "refresh_token") == 0)
    {
      if (idp->refresh_token == NULL ||
          g_strcmp0 (g_hash_table_lookup (form, "refresh_token"), idp->refresh_token) != 0)
        {
          respond_error (msg, "invalid_grant", 70008, "The provided authorization code or refresh token has expired.");
          return;
        }
      if (idp->fault == FAULT_NO_REFRESH_TOKEN)
        {
          respond_json (msg, 200, "{\"token_type\":\"Bearer\",\"access_token\":\"lksecret_at_norot\",\"expires_in\":3599}");
          return;
        }
      issue_tokens (idp, msg, TRUE);
    }
  else if (g_strcmp0 (grant, "urn:ietf:params:oauth:grant-type:device_code") == 0)
    {
      gint64 now = g_get_monotonic_time ();
      const char *answer;

      if (idp->last_poll_us != 0)
        {
          guint gap = (guint) ((now - idp->last_poll_us) / 1000);

          g_array_append_val (idp->poll_gaps_ms, gap);
        }
      idp->last_poll_us = now;
      if (g_strcmp0 (g_hash_table_lookup (form, "device_code"), "lkdev_42") != 0)
        {
          respond_error (msg, "invalid_grant", 70000, "Unknown device code.");
          return;
        }
      answer = idp->device_polls < idp->device_script->len
        ? g_ptr_array_index (idp->device_script, idp->device_polls) : "ok";
      idp->device_polls++;
      if (strcmp (answer, "ok") == 0)
        issue_tokens (idp, msg, TRUE);
      else
        respond_error (msg, answer, 70016, "Waiting for the user.");
    }
  else if (g_strcmp0 (grant, "client_credentials") == 0)
    {
      if (g_strcmp0 (g_hash_table_lookup (form, "client_secret"), "lksecret_app") != 0)
        {
          respond_error (msg, "invalid_client", 7000215, "Invalid client secret provided.");
          return;
        }
      if (g_strcmp0 (g_hash_table_lookup (form, "scope"), "https://outlook.office365.com/.default") != 0)
        {
          respond_error (msg, "invalid_scope", 70011, "The provided value for scope is not valid.");
          return;
        }
      issue_tokens (idp, msg, FALSE);
    }
  else
    respond_error (msg, "unsupported_grant_type", 70003, "Unsupported grant type.");
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  Idp *idp = user_data;

  if (g_str_has_suffix (path, "/authorize"))
    {
      const char *redirect_uri = query != NULL ? g_hash_table_lookup (query, "redirect_uri") : NULL;
      g_autofree char *code = lk_test_random_string (LK_TEST_CODE_PREFIX, 16);
      g_autofree char *escaped_state = NULL;
      g_autoptr(GString) location = NULL;

      if (redirect_uri == NULL || g_strcmp0 (g_hash_table_lookup (query, "code_challenge_method"), "S256") != 0 ||
          g_strcmp0 (g_hash_table_lookup (query, "response_type"), "code") != 0)
        {
          soup_server_message_set_status (msg, 400, NULL);
          return;
        }
      escaped_state = g_uri_escape_string (g_hash_table_lookup (query, "state"), NULL, FALSE);
      location = g_string_new (redirect_uri);
      if (idp->redirect_error != NULL)
        g_string_append_printf (location, "?error=%s&error_description=AADSTS65001%%3A+The+user+or+"
                                "administrator+has+not+consented.&state=%s", idp->redirect_error, escaped_state);
      else
        {
          g_hash_table_insert (idp->codes, g_strdup (code),
                               g_strdup_printf ("%s %s", (char *) g_hash_table_lookup (query, "code_challenge"),
                                                redirect_uri));
          g_string_append_printf (location, "?code=%s&state=%s&session_state=xyz", code, escaped_state);
        }
      if (idp->iss_override != NULL)
        {
          g_autofree char *iss = g_uri_escape_string (idp->iss_override, NULL, FALSE);

          g_string_append_printf (location, "&iss=%s", iss);
        }
      soup_server_message_set_redirect (msg, 302, location->str);
    }
  else if (g_str_has_suffix (path, "/token"))
    token_endpoint (idp, msg);
  else if (g_str_has_suffix (path, "/devicecode"))
    respond_json (msg, 200, "{\"device_code\":\"lkdev_42\",\"user_code\":\"LKTEST12\","
                  "\"verification_uri\":\"https://microsoft.com/devicelogin\",\"expires_in\":900,"
                  "\"interval\":1,\"message\":\"To sign in, use a web browser.\"}");
  else
    soup_server_message_set_status (msg, 404, NULL);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const char *redirect_host = data != NULL ? data : "127.0.0.1";
  g_autoptr(GError) error = NULL;
  g_autofree char *path = lk_test_source_path ("data", "providers", "microsoft365.json", NULL);
  g_autofree char *json = NULL;
  g_autoptr(GString) s = NULL;
  GSList *uris;

  f->loop = g_main_loop_new (NULL, FALSE);
  f->idp.codes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  f->idp.device_script = g_ptr_array_new ();
  f->idp.poll_gaps_ms = g_array_new (FALSE, FALSE, sizeof (guint));
  f->idp.paused = g_ptr_array_new_with_free_func (g_object_unref);
  f->idp.server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->idp.server, NULL, server_cb, &f->idp, NULL);
  soup_server_listen_local (f->idp.server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (f->idp.server);
  f->idp.base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_file_get_contents (path, &json, NULL, &error);
  g_assert_no_error (error);
  s = g_string_new (json);
  g_string_replace (s, "https://login.microsoftonline.com", f->idp.base, 0);
  g_string_replace (s, "\"redirect_host\": \"localhost\"",
                    redirect_host[0] == 'l' ? "\"redirect_host\": \"localhost\"" : "\"redirect_host\": \"127.0.0.1\"", 0);
  g_string_replace (s, "\"client_id\": \"\"", "\"client_id\": \"client-1\"", 0);
  f->provider = lk_provider_new_from_data (s->str, (gssize) s->len, "test", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (f->provider->redirect_host, ==, redirect_host);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  for (guint i = 0; i < f->idp.paused->len; i++)
    soup_server_message_unpause (g_ptr_array_index (f->idp.paused, i));
  g_ptr_array_unref (f->idp.paused);
  soup_server_disconnect (f->idp.server);
  g_clear_object (&f->idp.server);
  g_hash_table_unref (f->idp.codes);
  g_ptr_array_unref (f->idp.device_script);
  g_array_unref (f->idp.poll_gaps_ms);
  g_free (f->idp.base);
  g_free (f->idp.refresh_token);
  g_free (f->idp.iss_override);
  g_free (f->idp.redirect_error);
  lk_provider_unref (f->provider);
  g_main_loop_unref (f->loop);
}

/* Helpers */

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static LkOAuthClient *
make_client (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  LkOAuthClient *client = lk_oauth_client_new (f->provider, "contoso.com", "client-1", &error);

  g_assert_no_error (error);
  return client;
}

/* Plays the browser: GET the authorization URL, follow the redirect to the
 * loopback receiver (libsoup follows it), return the status of the page. */
static guint
browse (const char *url,
        char      **out_page)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  GAsyncResult *result = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, store_result_cb, &result);
  body = soup_session_send_and_read_finish (session, wait_for (&result), &error);
  g_object_unref (result);
  if (body == NULL)
    {
      g_test_message ("browser: %s", error->message);
      return 0;
    }
  if (out_page != NULL)
    *out_page = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return soup_message_get_status (msg);
}

static LkBrowserSignIn *
start_sign_in (Fixture          *f,
               GAsyncResult    **result)
{
  g_autoptr(LkOAuthClient) client = make_client (f);
  g_autoptr(GError) error = NULL;
  LkBrowserSignIn *sign_in = lk_browser_sign_in_new (client, "https://outlook.office.com/IMAP.AccessAsUser.All offline_access",
                                                     "alice@contoso.com");

  g_assert_true (lk_browser_sign_in_prepare (sign_in, &error));
  g_assert_no_error (error);
  lk_browser_sign_in_run_async (sign_in, NULL, store_result_cb, result);
  return sign_in;
}

static void
assert_no_secret (const char *text)
{
  g_assert_null (strstr (text, LK_TEST_CODE_PREFIX));
  g_assert_null (strstr (text, LK_TEST_REFRESH_PREFIX));
  g_assert_null (strstr (text, "lksecret_"));
}

/* Browser flow */

static void
test_browser_flow (Fixture       *f,
                   gconstpointer  data)
{
  GAsyncResult *result = NULL;
  g_autoptr(LkBrowserSignIn) sign_in = start_sign_in (f, &result);
  g_autoptr(LkTokenSet) tokens = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *page = NULL;
  g_autofree char *redirect_uri = g_strdup (lk_browser_sign_in_get_redirect_uri (sign_in));
  g_autofree char *replay = NULL;

  g_assert_true (g_str_has_prefix (redirect_uri, data != NULL ? "http://localhost:" : "http://127.0.0.1:"));
  g_assert_cmpuint (browse (lk_browser_sign_in_get_authorization_url (sign_in), &page), ==, 200);
  g_assert_nonnull (strstr (page, "Signed in"));
  g_assert_nonnull (strstr (page, "close this tab"));
  assert_no_secret (page);
  tokens = lk_browser_sign_in_run_finish (sign_in, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (tokens->access_token, "lksecret_at"));
  g_assert_true (g_str_has_prefix (tokens->refresh_token, LK_TEST_REFRESH_PREFIX));
  g_assert_cmpint (tokens->expires_at, >, g_get_real_time () / G_USEC_PER_SEC + 3500);
  g_assert_cmpuint (f->idp.token_requests, ==, 1);
  g_object_unref (result);

  /* Replaying the redirect finds nobody listening. */
  replay = g_strdup_printf ("%s?code=lkcode_again&state=x", redirect_uri);
  g_assert_cmpuint (browse (replay, NULL), ==, 0);
  g_assert_cmpuint (f->idp.token_requests, ==, 1);
}

static void
expect_sign_in_error (Fixture    *f,
                      GQuark      domain,
                      int         code,
                      const char *query_override)
{
  GAsyncResult *result = NULL;
  g_autoptr(LkBrowserSignIn) sign_in = start_sign_in (f, &result);
  g_autoptr(LkTokenSet) tokens = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *page = NULL;
  guint status;

  if (query_override != NULL)
    {
      g_autofree char *url = g_strdup_printf ("%s%s", lk_browser_sign_in_get_redirect_uri (sign_in), query_override);

      status = browse (url, &page);
    }
  else
    status = browse (lk_browser_sign_in_get_authorization_url (sign_in), &page);
  g_assert_cmpuint (status, ==, 400);
  g_assert_nonnull (strstr (page, "Sign-in failed"));
  tokens = lk_browser_sign_in_run_finish (sign_in, wait_for (&result), &error);
  g_assert_null (tokens);
  g_assert_error (error, domain, code);
  assert_no_secret (error->message);
  g_assert_cmpuint (f->idp.token_requests, ==, 0);
  g_object_unref (result);
}

static void
test_browser_wrong_state (Fixture       *f,
                          gconstpointer  data)
{
  expect_sign_in_error (f, LK_ERROR, LK_ERROR_STATE_MISMATCH, "?code=lkcode_forged&state=forged");
}

static void
test_browser_iss_mismatch (Fixture       *f,
                           gconstpointer  data)
{
  f->idp.iss_override = g_strdup ("https://evil.example/contoso.com/v2.0");
  expect_sign_in_error (f, LK_ERROR, LK_ERROR_ISSUER_MISMATCH, NULL);
}

static void
test_browser_iss_match (Fixture       *f,
                        gconstpointer  data)
{
  GAsyncResult *result = NULL;
  g_autoptr(LkBrowserSignIn) sign_in = NULL;
  g_autoptr(LkTokenSet) tokens = NULL;
  g_autoptr(GError) error = NULL;

  f->idp.iss_override = g_strdup_printf ("%s/contoso.com/v2.0", f->idp.base);
  sign_in = start_sign_in (f, &result);
  g_assert_cmpuint (browse (lk_browser_sign_in_get_authorization_url (sign_in), NULL), ==, 200);
  tokens = lk_browser_sign_in_run_finish (sign_in, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (tokens);
  g_object_unref (result);
}

static void
test_browser_error_redirect (Fixture       *f,
                             gconstpointer  data)
{
  GAsyncResult *result = NULL;
  g_autoptr(LkBrowserSignIn) sign_in = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LkTokenSet) tokens = NULL;

  f->idp.redirect_error = g_strdup ("consent_required");
  sign_in = start_sign_in (f, &result);
  g_assert_cmpuint (browse (lk_browser_sign_in_get_authorization_url (sign_in), NULL), ==, 400);
  tokens = lk_browser_sign_in_run_finish (sign_in, wait_for (&result), &error);
  g_assert_null (tokens);
  g_assert_error (error, LK_ERROR, LK_ERROR_AUTHORIZATION_DENIED);
  g_assert_cmpuint (lk_error_get_details (error)->aadsts, ==, 65001);
  g_assert_cmpstr (lk_error_get_details (error)->oauth_error, ==, "consent_required");
  g_object_unref (result);
}

/* Other paths get 404 and leave the flow waiting. */
static void
test_browser_favicon (Fixture       *f,
                      gconstpointer  data)
{
  GAsyncResult *result = NULL;
  g_autoptr(LkBrowserSignIn) sign_in = start_sign_in (f, &result);
  g_autofree char *favicon = g_strdup_printf ("%sfavicon.ico", lk_browser_sign_in_get_redirect_uri (sign_in));
  g_autoptr(LkTokenSet) tokens = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (browse (favicon, NULL), ==, 404);
  g_assert_null (result);
  g_assert_cmpuint (browse (lk_browser_sign_in_get_authorization_url (sign_in), NULL), ==, 200);
  tokens = lk_browser_sign_in_run_finish (sign_in, wait_for (&result), &error);
  g_assert_no_error (error);
  g_object_unref (result);
}

static void
test_browser_cancel (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(LkOAuthClient) client = make_client (f);
  g_autoptr(LkBrowserSignIn) sign_in = lk_browser_sign_in_new (client, "openid", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LkTokenSet) tokens = NULL;
  GAsyncResult *result = NULL;
  g_autofree char *uri = NULL;

  g_assert_true (lk_browser_sign_in_prepare (sign_in, &error));
  uri = g_strdup (lk_browser_sign_in_get_redirect_uri (sign_in));
  lk_browser_sign_in_run_async (sign_in, cancellable, store_result_cb, &result);
  g_cancellable_cancel (cancellable);
  tokens = lk_browser_sign_in_run_finish (sign_in, wait_for (&result), &error);
  g_assert_null (tokens);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_object_unref (result);
  /* And the port is closed. */
  g_assert_cmpuint (browse (uri, NULL), ==, 0);
}

static void
test_receiver_timeout (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(LkLoopbackReceiver) receiver = lk_loopback_receiver_new ("localhost", "s");
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  g_autofree char *code = NULL;

  lk_loopback_receiver_set_timeout (receiver, 1);
  g_assert_true (lk_loopback_receiver_listen (receiver, &error));
  g_assert_true (g_str_has_prefix (lk_loopback_receiver_get_redirect_uri (receiver), "http://localhost:"));
  lk_loopback_receiver_wait_async (receiver, NULL, store_result_cb, &result);
  code = lk_loopback_receiver_wait_finish (receiver, wait_for (&result), &error);
  g_assert_null (code);
  /* Nobody signed in: not LK_ERROR_TIMED_OUT, which means a server that
   * does not answer (exit 5, "check the network"). */
  g_assert_error (error, LK_ERROR, LK_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "No sign-in arrived"));
  g_assert_false (lk_loopback_receiver_is_listening (receiver));
  g_object_unref (result);
}

/* Token endpoint refusals */

static LkTokenSet *
exchange (Fixture    *f,
          const char *code,
          const char *verifier,
          GError    **error)
{
  g_autoptr(LkOAuthClient) client = make_client (f);
  GAsyncResult *result = NULL;
  LkTokenSet *tokens;

  lk_oauth_client_exchange_code_async (client, code, verifier, "http://127.0.0.1:1/", NULL,
                                       store_result_cb, &result);
  tokens = lk_oauth_client_exchange_code_finish (client, wait_for (&result), error);
  g_object_unref (result);
  return tokens;
}

static void
test_code_refused (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(LkPkce) pkce = lk_pkce_new ();
  g_autoptr(LkPkce) other = lk_pkce_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LkTokenSet) tokens = NULL;

  /* Unknown (or already used) code. */
  tokens = exchange (f, "lkcode_unknown", pkce->verifier, &error);
  g_assert_null (tokens);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_GRANT);
  g_assert_cmpuint (lk_error_get_details (error)->aadsts, ==, 54005);
  assert_no_secret (error->message);
  g_clear_error (&error);

  /* PKCE mismatch: the code was issued for another challenge. */
  g_hash_table_insert (f->idp.codes, g_strdup ("lkcode_1"),
                       g_strdup_printf ("%s http://127.0.0.1:1/", pkce->challenge));
  tokens = exchange (f, "lkcode_1", other->verifier, &error);
  g_assert_null (tokens);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_GRANT);
  g_assert_cmpuint (lk_error_get_details (error)->aadsts, ==, 501481);
  g_assert_null (strstr (error->message, other->verifier));
}

static void
test_bad_responses (Fixture       *f,
                    gconstpointer  data)
{
  struct { Fault fault; int code; } cases[] = {
    { FAULT_MALFORMED, LK_ERROR_BAD_RESPONSE },
    { FAULT_OVERSIZED, LK_ERROR_BAD_RESPONSE },
    { FAULT_HTTP_500, LK_ERROR_HTTP },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LkTokenSet) tokens = NULL;

      f->idp.fault = cases[i].fault;
      tokens = exchange (f, "lkcode_x", "v", &error);
      g_assert_null (tokens);
      g_assert_error (error, LK_ERROR, cases[i].code);
      assert_no_secret (error->message);
    }
}

static void
test_timeout (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(LkOAuthClient) client = make_client (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(LkTokenSet) tokens = NULL;
  GAsyncResult *result = NULL;
  gint64 start = g_get_monotonic_time ();

  f->idp.fault = FAULT_SLOW;
  lk_http_set_timeouts (lk_oauth_client_get_http (client), 1, 1);
  lk_oauth_client_exchange_code_async (client, "lkcode_x", "v", "http://127.0.0.1:1/", NULL,
                                       store_result_cb, &result);
  tokens = lk_oauth_client_exchange_code_finish (client, wait_for (&result), &error);
  g_assert_null (tokens);
  g_assert_error (error, LK_ERROR, LK_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_object_unref (result);
}

static void
test_cancel_request (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(LkOAuthClient) client = make_client (f);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LkTokenSet) tokens = NULL;
  GAsyncResult *result = NULL;

  f->idp.fault = FAULT_SLOW;
  lk_oauth_client_exchange_code_async (client, "lkcode_x", "v", "http://127.0.0.1:1/", cancellable,
                                       store_result_cb, &result);
  while (f->idp.token_requests == 0)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  tokens = lk_oauth_client_exchange_code_finish (client, wait_for (&result), &error);
  g_assert_null (tokens);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_object_unref (result);
}

static void
test_insecure_endpoint (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(LkProvider) provider = NULL;
  g_autoptr(LkOAuthClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LkTokenSet) tokens = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GString) s = NULL;
  GAsyncResult *result = NULL;

  /* A profile loaded with a plain-http, non-loopback token endpoint (the
   * loader refuses one; the engine must refuse it too). */
  json = lk_provider_to_data (f->provider, NULL);
  s = g_string_new (json);
  g_string_replace (s, f->idp.base, "http://login.example.com", 0);
  provider = lk_provider_new_from_data (s->str, (gssize) s->len, "test", NULL);
  if (provider == NULL)
    {
      provider = lk_provider_ref (f->provider);
      g_free (provider->token_endpoint);
      provider->token_endpoint = g_strdup ("http://login.example.com/{tenant}/oauth2/v2.0/token");
    }
  client = lk_oauth_client_new (provider, NULL, "client-1", &error);
  g_assert_no_error (error);
  lk_oauth_client_exchange_code_async (client, "lkcode_x", "v", "http://127.0.0.1:1/", NULL,
                                       store_result_cb, &result);
  tokens = lk_oauth_client_exchange_code_finish (client, wait_for (&result), &error);
  g_assert_null (tokens);
  g_assert_error (error, LK_ERROR, LK_ERROR_INSECURE_ENDPOINT);
  g_assert_nonnull (strstr (error->message, "login.example.com"));
  g_object_unref (result);
}

/* Refresh */

static LkTokenSet *
refresh (LkOAuthClient    *client,
         const LkTokenSet *current,
         GError          **error)
{
  GAsyncResult *result = NULL;
  LkTokenSet *tokens;

  lk_oauth_client_refresh_async (client, current, NULL, NULL, store_result_cb, &result);
  tokens = lk_oauth_client_refresh_finish (client, wait_for (&result), NULL, error);
  g_object_unref (result);
  return tokens;
}

static void
test_refresh_rotation (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(LkOAuthClient) client = make_client (f);
  g_autoptr(LkTokenSet) first = lk_token_set_new ();
  g_autoptr(LkTokenSet) second = NULL;
  g_autoptr(LkTokenSet) replay = NULL;
  g_autoptr(LkTokenSet) kept = NULL;
  g_autoptr(GError) error = NULL;

  f->idp.refresh_token = g_strdup ("lkrt_first");
  first->access_token = g_strdup ("lksecret_old");
  first->refresh_token = g_strdup ("lkrt_first");
  first->id_email = g_strdup ("alice@contoso.com");
  second = refresh (client, first, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (second->refresh_token, !=, "lkrt_first");
  g_assert_cmpstr (second->refresh_token, ==, f->idp.refresh_token);
  g_assert_cmpstr (second->access_token, !=, "lksecret_old");
  g_assert_cmpstr (second->id_email, ==, "alice@contoso.com");
  g_assert_cmpuint (f->idp.token_requests, ==, 1);

  /* The rotated-out refresh token is refused. */
  replay = refresh (client, first, &error);
  g_assert_null (replay);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_GRANT);
  g_assert_cmpuint (lk_error_get_details (error)->aadsts, ==, 70008);
  assert_no_secret (error->message);
  g_clear_error (&error);

  /* No refresh_token in the answer: keep the one we have. */
  f->idp.fault = FAULT_NO_REFRESH_TOKEN;
  kept = refresh (client, second, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kept->refresh_token, ==, second->refresh_token);
  g_assert_cmpstr (kept->access_token, ==, "lksecret_at_norot");
}

/* Device code */

static LkTokenSet *
device_flow (Fixture  *f,
             GError  **error)
{
  g_autoptr(LkOAuthClient) client = make_client (f);
  g_autoptr(LkDeviceAuthorization) authorization = NULL;
  GAsyncResult *result = NULL;
  LkTokenSet *tokens;

  lk_oauth_client_set_poll_unit (client, 50);
  lk_oauth_client_device_start_async (client, "https://outlook.office.com/IMAP.AccessAsUser.All",
                                      NULL, store_result_cb, &result);
  authorization = lk_oauth_client_device_start_finish (client, wait_for (&result), error);
  g_clear_object (&result);
  g_assert_nonnull (authorization);
  g_assert_cmpstr (authorization->user_code, ==, "LKTEST12");
  g_assert_null (authorization->verification_uri_complete);
  lk_oauth_client_device_poll_async (client, authorization, NULL, store_result_cb, &result);
  tokens = lk_oauth_client_device_poll_finish (client, wait_for (&result), error);
  g_object_unref (result);
  return tokens;
}

static void
test_device_code (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(LkTokenSet) tokens = NULL;
  g_autoptr(GError) error = NULL;
  guint *gaps;

  g_ptr_array_add (f->idp.device_script, (gpointer) "authorization_pending");
  g_ptr_array_add (f->idp.device_script, (gpointer) "slow_down");
  g_ptr_array_add (f->idp.device_script, (gpointer) "authorization_pending");
  tokens = device_flow (f, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (tokens->refresh_token, LK_TEST_REFRESH_PREFIX));
  g_assert_cmpuint (f->idp.device_polls, ==, 4);
  /* interval 1 "s" (50 ms here), then 6 after slow_down, and it stays 6. */
  gaps = (guint *) f->idp.poll_gaps_ms->data;
  g_assert_cmpuint (f->idp.poll_gaps_ms->len, ==, 3);
  g_assert_cmpuint (gaps[0], >=, 45);
  g_assert_cmpuint (gaps[0], <, 250);
  g_assert_cmpuint (gaps[1], >=, 295);
  g_assert_cmpuint (gaps[2], >=, 295);
}

static void
test_device_code_refusals (Fixture       *f,
                           gconstpointer  data)
{
  struct { const char *answer; int code; } cases[] = {
    { "authorization_declined", LK_ERROR_AUTHORIZATION_DENIED },
    { "access_denied", LK_ERROR_AUTHORIZATION_DENIED },
    { "expired_token", LK_ERROR_EXPIRED },
    { "bad_verification_code", LK_ERROR_OAUTH },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(LkTokenSet) tokens = NULL;
      g_autoptr(GError) error = NULL;

      f->idp.device_polls = 0;
      g_ptr_array_set_size (f->idp.device_script, 0);
      g_ptr_array_add (f->idp.device_script, (gpointer) "authorization_pending");
      g_ptr_array_add (f->idp.device_script, (gpointer) cases[i].answer);
      tokens = device_flow (f, &error);
      g_assert_null (tokens);
      g_assert_error (error, LK_ERROR, cases[i].code);
      g_assert_cmpstr (lk_error_get_details (error)->oauth_error, ==, cases[i].answer);
      g_assert_cmpuint (f->idp.device_polls, ==, 2);
    }
}

static void
test_device_code_cancel (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(LkOAuthClient) client = make_client (f);
  g_autoptr(LkDeviceAuthorization) authorization = g_new0 (LkDeviceAuthorization, 1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LkTokenSet) tokens = NULL;
  GAsyncResult *result = NULL;

  authorization->device_code = g_strdup ("lkdev_42");
  authorization->interval = 5;
  authorization->expires_at = G_MAXINT64;
  lk_oauth_client_device_poll_async (client, authorization, cancellable, store_result_cb, &result);
  g_cancellable_cancel (cancellable);
  tokens = lk_oauth_client_device_poll_finish (client, wait_for (&result), &error);
  g_assert_null (tokens);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (f->idp.device_polls, ==, 0);
  g_object_unref (result);
}

/* Client credentials */

static void
test_client_credentials (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(LkOAuthClient) client = make_client (f);
  g_autoptr(LkTokenSet) tokens = NULL;
  g_autoptr(LkTokenSet) refused = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;

  lk_oauth_client_client_credentials_async (client, "lksecret_app", NULL, NULL, store_result_cb, &result);
  tokens = lk_oauth_client_client_credentials_finish (client, wait_for (&result), &error);
  g_clear_object (&result);
  g_assert_no_error (error);
  g_assert_nonnull (tokens->access_token);
  g_assert_null (tokens->refresh_token);
  g_assert_cmpstr (tokens->client_secret, ==, "lksecret_app");

  lk_oauth_client_client_credentials_async (client, "lksecret_wrong", NULL, NULL, store_result_cb, &result);
  refused = lk_oauth_client_client_credentials_finish (client, wait_for (&result), &error);
  g_clear_object (&result);
  g_assert_null (refused);
  g_assert_error (error, LK_ERROR, LK_ERROR_OAUTH);
  g_assert_cmpuint (lk_error_get_details (error)->aadsts, ==, 7000215);
  assert_no_secret (error->message);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  lk_core_init ();

#define ADD(path, func, data) \
  g_test_add ("/oauth/flows/" path, Fixture, data, fixture_setup, func, fixture_teardown)
  ADD ("browser", test_browser_flow, NULL);
  ADD ("browser-localhost", test_browser_flow, "localhost");
  ADD ("browser-wrong-state", test_browser_wrong_state, NULL);
  ADD ("browser-iss-mismatch", test_browser_iss_mismatch, NULL);
  ADD ("browser-iss-match", test_browser_iss_match, NULL);
  ADD ("browser-error-redirect", test_browser_error_redirect, NULL);
  ADD ("browser-favicon", test_browser_favicon, NULL);
  ADD ("browser-cancel", test_browser_cancel, NULL);
  ADD ("receiver-timeout", test_receiver_timeout, NULL);
  ADD ("code-refused", test_code_refused, NULL);
  ADD ("bad-responses", test_bad_responses, NULL);
  ADD ("timeout", test_timeout, NULL);
  ADD ("cancel-request", test_cancel_request, NULL);
  ADD ("insecure-endpoint", test_insecure_endpoint, NULL);
  ADD ("refresh-rotation", test_refresh_rotation, NULL);
  ADD ("device-code", test_device_code, NULL);
  ADD ("device-code-refusals", test_device_code_refusals, NULL);
  ADD ("device-code-cancel", test_device_code_cancel, NULL);
  ADD ("client-credentials", test_client_credentials, NULL);
#undef ADD

  return g_test_run ();
}
