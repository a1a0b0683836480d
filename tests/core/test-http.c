/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LkHttp (src/core/lk-http.c), the one place HTTP is set up: the URL policy,
 * form bodies, the size cap, redirects only where asked for and each hop
 * under the policy, and the status with the body. Against an in-process
 * server on loopback. Its TLS trust is tests/core/test-tls-trust.c. */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "lk-error.h"
#include "lk-http.h"

static void
test_url_policy (void)
{
  const char *allowed[] = {
    "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    "http://127.0.0.1:8080/token", "http://localhost/token", "http://[::1]:99/t",
    "http://127.0.0.2/t",
  };
  const char *refused[] = {
    "http://login.microsoftonline.com/common/oauth2/v2.0/token",
    "http://localhost.evil.example/token", "http://10.0.0.1/token", "ftp://127.0.0.1/x",
    "http://127.0.0.1.nip.io/token",
  };

  for (guint i = 0; i < G_N_ELEMENTS (allowed); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (lk_http_check_url (allowed[i], &error));
      g_assert_no_error (error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", refused[i]);
      g_assert_false (lk_http_check_url (refused[i], &error));
      g_assert_error (error, LK_ERROR, LK_ERROR_INSECURE_ENDPOINT);
    }
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (lk_http_check_url ("not a url", &error));
    g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_PROFILE);
  }
}

static void
test_form_encoding (void)
{
  const char *fields[] = { "a", "x y&z", "skip", NULL, "b", "é/+", NULL };
  g_autoptr(GBytes) form = lk_http_encode_form (fields);
  gsize n;
  const char *data = g_bytes_get_data (form, &n);

  g_assert_cmpmem (data, n, "a=x%20y%26z&b=%C3%A9%2F%2B", strlen ("a=x%20y%26z&b=%C3%A9%2F%2B"));
}

typedef struct
{
  SoupServer *server;
  char       *base;       /* http://127.0.0.1:PORT */
  char       *accept;     /* the Accept header of the last request */
  guint       requests;
} Server;

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Server *s = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  s->requests++;
  g_free (s->accept);
  s->accept = g_strdup (soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                      "Accept"));
  if (g_str_equal (path, "/big"))
    {
      gsize size = 2 * LK_HTTP_MAX_BODY;
      char *body = g_malloc (size);

      memset (body, 'x', size);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_TAKE, body, size);
    }
  else if (g_str_equal (path, "/missing"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        "{\"error\":\"no\"}", 14);
    }
  else if (g_str_equal (path, "/moved"))
    {
      g_autofree char *to = g_strconcat (s->base, "/file.xml", NULL);

      soup_server_message_set_status (msg, SOUP_STATUS_FOUND, NULL);
      soup_message_headers_replace (headers, "Location", to);
    }
  else if (g_str_equal (path, "/to-plain"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_FOUND, NULL);
      soup_message_headers_replace (headers, "Location", "http://mail.example.com/file.xml");
    }
  else if (g_str_equal (path, "/loop"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_FOUND, NULL);
      soup_message_headers_replace (headers, "Location", "/loop");
    }
  else
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/xml", SOUP_MEMORY_STATIC, "<ok/>", 5);
    }
}

static Server *
server_new (void)
{
  Server *s = g_new0 (Server, 1);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  s->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (s->server, NULL, handler_cb, s, NULL);
  soup_server_listen_local (s->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (s->server);
  s->base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return s;
}

static void
server_free (Server *s)
{
  g_object_unref (s->server);
  g_free (s->base);
  g_free (s->accept);
  g_free (s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Server, server_free)

static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GBytes *
fetch (Server       *s,
       const char   *path,
       LkHttpFlags   flags,
       guint        *out_status,
       GError      **error)
{
  g_autoptr(LkHttp) http = lk_http_new (NULL, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *url = g_strconcat (s->base, path, NULL);

  lk_http_fetch_async (http, url, "application/xml, */*", flags, NULL, done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return lk_http_fetch_finish (http, result, out_status, error);
}

/* An HTTP error status is no error here: its body is the answer. */
static void
test_status_and_accept (void)
{
  g_autoptr(Server) s = server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) ok = NULL;
  g_autoptr(GBytes) missing = NULL;
  guint status = 0;

  ok = fetch (s, "/file.xml", LK_HTTP_NONE, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpmem (g_bytes_get_data (ok, NULL), g_bytes_get_size (ok), "<ok/>", 5);
  g_assert_cmpstr (s->accept, ==, "application/xml, */*");

  missing = fetch (s, "/missing", LK_HTTP_NONE, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 404);
  g_assert_cmpuint (g_bytes_get_size (missing), ==, 14);
}

/* Bodies beyond LK_HTTP_MAX_BODY are refused, with the host named. */
static void
test_size_cap (void)
{
  g_autoptr(Server) s = server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = fetch (s, "/big", LK_HTTP_NONE, NULL, &error);

  g_assert_null (body);
  g_assert_error (error, LK_ERROR, LK_ERROR_BAD_RESPONSE);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
}

/* Not followed unless asked for; when asked, every hop under the URL
 * policy, and not for ever. */
static void
test_redirects (void)
{
  g_autoptr(Server) s = server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) unfollowed = NULL;
  g_autoptr(GBytes) followed = NULL;
  g_autoptr(GBytes) plain = NULL;
  g_autoptr(GBytes) loop = NULL;
  guint status = 0;

  unfollowed = fetch (s, "/moved", LK_HTTP_NONE, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 302);

  followed = fetch (s, "/moved", LK_HTTP_FOLLOW_REDIRECTS, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpmem (g_bytes_get_data (followed, NULL), g_bytes_get_size (followed), "<ok/>", 5);
  /* The hop carries the same Accept. */
  g_assert_cmpstr (s->accept, ==, "application/xml, */*");

  s->requests = 0;
  plain = fetch (s, "/to-plain", LK_HTTP_FOLLOW_REDIRECTS, &status, &error);
  g_assert_null (plain);
  g_assert_error (error, LK_ERROR, LK_ERROR_INSECURE_ENDPOINT);
  g_assert_nonnull (strstr (error->message, "http://"));
  g_assert_cmpuint (s->requests, ==, 1);
  g_clear_error (&error);

  s->requests = 0;
  loop = fetch (s, "/loop", LK_HTTP_FOLLOW_REDIRECTS, &status, &error);
  g_assert_null (loop);
  g_assert_error (error, LK_ERROR, LK_ERROR_BAD_RESPONSE);
  g_assert_cmpuint (s->requests, ==, LK_HTTP_MAX_REDIRECTS + 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/http/url-policy", test_url_policy);
  g_test_add_func ("/http/form-encoding", test_form_encoding);
  g_test_add_func ("/http/status-and-accept", test_status_and_accept);
  g_test_add_func ("/http/size-cap", test_size_cap);
  g_test_add_func ("/http/redirects", test_redirects);
  return g_test_run ();
}
