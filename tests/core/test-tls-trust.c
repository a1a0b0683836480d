/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Trusting a profile's extra CA (src/core/lk-tls-trust.c), the one rule
 * LkHttp and the mail probes follow: the profile's CA vouches only for an
 * otherwise sound certificate, and only for the name connected to. A
 * certificate for another host, signed by that same CA, is refused — by the
 * rule itself and by LkHttp talking to a real TLS server (the mail probe's
 * side: tests/mail/test-mail-scripted.c, /mail/scripted/tls/wrong-host). */
#include "config.h"

#include <libsoup/soup.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lk-error.h"
#include "lk-http.h"
#include "lk-test-utils.h"
#include "lk-tls-trust.h"

static char *certs;        /* the profile's CA, its server and wrong-host certificates */
static char *other_certs;  /* another CA, which the profile does not name */

static char *
cert_path (const char *dir,
           const char *name)
{
  return g_build_filename (dir, name, NULL);
}

static GTlsCertificate *
load (const char *dir,
      const char *name)
{
  g_autofree char *path = cert_path (dir, name);
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate = g_tls_certificate_new_from_file (path, &error);

  g_assert_no_error (error);
  return certificate;
}

static GTlsDatabase *
profile_ca (void)
{
  g_autofree char *path = cert_path (certs, "ca.pem");
  g_autoptr(GError) error = NULL;
  GTlsDatabase *database = lk_tls_trust_load_ca_file (path, &error);

  g_assert_no_error (error);
  return database;
}

static void
test_rule (void)
{
  g_autoptr(GTlsDatabase) ca = profile_ca ();
  g_autoptr(GTlsCertificate) server = load (certs, "server.pem");
  g_autoptr(GTlsCertificate) wrong_host = load (certs, "wrong-host.pem");
  g_autoptr(GTlsCertificate) foreign = load (other_certs, "server.pem");

  /* The system did not know the issuer; the profile's CA did, for this name. */
  g_assert_true (lk_tls_trust_accept (ca, server, G_TLS_CERTIFICATE_UNKNOWN_CA, "localhost", 993));
  g_assert_true (lk_tls_trust_accept (ca, wrong_host, G_TLS_CERTIFICATE_UNKNOWN_CA,
                                      "wrong-host.test", 443));
  /* Signed by the profile's CA, but for another host. */
  g_assert_false (lk_tls_trust_accept (ca, wrong_host, G_TLS_CERTIFICATE_UNKNOWN_CA,
                                       "localhost", 993));
  /* Any other fault stays a fault, whoever issued the certificate. */
  g_assert_false (lk_tls_trust_accept (ca, server, G_TLS_CERTIFICATE_UNKNOWN_CA |
                                                   G_TLS_CERTIFICATE_EXPIRED, "localhost", 993));
  g_assert_false (lk_tls_trust_accept (ca, server, G_TLS_CERTIFICATE_BAD_IDENTITY,
                                       "localhost", 993));
  /* Another CA's certificate, and no extra CA at all. */
  g_assert_false (lk_tls_trust_accept (ca, foreign, G_TLS_CERTIFICATE_UNKNOWN_CA, "localhost", 993));
  g_assert_false (lk_tls_trust_accept (NULL, server, G_TLS_CERTIFICATE_UNKNOWN_CA, "localhost", 993));
}

static void
test_missing_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) ca = lk_tls_trust_load_ca_file ("/nonexistent/ca.pem", &error);

  g_assert_null (ca);
  g_assert_nonnull (error);
  /* The message names the file, so that the profile can be fixed. */
  g_assert_nonnull (strstr (error->message, "/nonexistent/ca.pem"));
}

/* A FIFO named as the CA file is refused at once, not read (which would
 * wait for a writer for ever), with the file named. */
static void
test_fifo (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("lk-tls-trust-XXXXXX", NULL);
  g_autofree char *fifo = g_build_filename (dir, "ca.pem", NULL);
  g_autoptr(GTlsDatabase) ca = NULL;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  ca = lk_tls_trust_load_ca_file (fifo, &error);
  g_assert_null (ca);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, fifo));
  g_unlink (fifo);
  g_rmdir (dir);
}

/* One database per file, shared by every connection (the bridge keeps one
 * per session); a file replaced with another CA is read again at once: an
 * IT department that renews its internal CA needs no restart. */
static void
test_shared_and_reloaded (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-tls-trust-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *ours = cert_path (certs, "ca.pem");
  g_autofree char *theirs = cert_path (other_certs, "ca.pem");
  g_autofree char *contents = NULL;
  g_autoptr(GTlsDatabase) first = NULL;
  g_autoptr(GTlsDatabase) again = NULL;
  g_autoptr(GTlsDatabase) renewed = NULL;
  g_autoptr(GTlsCertificate) server = load (certs, "server.pem");
  g_autoptr(GTlsCertificate) foreign = load (other_certs, "server.pem");
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (ours, &contents, NULL, NULL));
  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  first = lk_tls_trust_load_ca_file (path, &error);
  g_assert_no_error (error);
  again = lk_tls_trust_load_ca_file (path, &error);
  g_assert_no_error (error);
  g_assert_true (first == again);
  g_assert_true (lk_tls_trust_accept (again, server, G_TLS_CERTIFICATE_UNKNOWN_CA, "localhost",
                                      993));

  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (theirs, &contents, NULL, NULL));
  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  renewed = lk_tls_trust_load_ca_file (path, &error);
  g_assert_no_error (error);
  g_assert_true (renewed != first);
  g_assert_true (lk_tls_trust_accept (renewed, foreign, G_TLS_CERTIFICATE_UNKNOWN_CA, "localhost",
                                      993));
  g_assert_false (lk_tls_trust_accept (renewed, server, G_TLS_CERTIFICATE_UNKNOWN_CA, "localhost",
                                       993));
  /* The old one stays whole for the connections that hold it. */
  g_assert_true (lk_tls_trust_accept (first, server, G_TLS_CERTIFICATE_UNKNOWN_CA, "localhost",
                                      993));
  g_unlink (path);
  g_rmdir (dir);
}

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  (*(guint *) user_data)++;
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "{}", 2);
}

static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* LkHttp with the profile's CA against an https server on loopback that
 * shows @name's certificate; returns the body or NULL with @error. */
static GBytes *
get_from (const char  *name,
          guint       *requests,
          GError     **error)
{
  g_autofree char *cert = g_strdup_printf ("%s/%s.pem", certs, name);
  g_autofree char *key = g_strdup_printf ("%s/%s-key.pem", certs, name);
  g_autofree char *ca = cert_path (certs, "ca.pem");
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(LkHttp) http = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *url = NULL;
  GSList *uris;

  certificate = g_tls_certificate_new_from_files (cert, key, &local_error);
  g_assert_no_error (local_error);
  server = soup_server_new ("tls-certificate", certificate, NULL);
  soup_server_add_handler (server, NULL, handler_cb, requests, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY | SOUP_SERVER_LISTEN_HTTPS,
                            &local_error);
  g_assert_no_error (local_error);
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("https://localhost:%d/", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  http = lk_http_new (ca, &local_error);
  g_assert_no_error (local_error);
  lk_http_get_async (http, url, NULL, done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return lk_http_get_finish (http, result, NULL, error);
}

static void
test_http (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) good = NULL;
  g_autoptr(GBytes) refused = NULL;
  guint requests = 0;

  good = get_from ("server", &requests, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (good), ==, 2);
  g_assert_cmpuint (requests, ==, 1);

  requests = 0;
  refused = get_from ("wrong-host", &requests, &error);
  g_assert_null (refused);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_nonnull (strstr (error->message, "localhost"));
  g_assert_cmpuint (requests, ==, 0);
}

static void
make_ca (const char *dir)
{
  g_autofree char *script = lk_test_source_path ("tests", "certs", "make-test-ca.sh", NULL);
  const char *argv[] = { "/bin/sh", script, dir, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status,
                &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  certs = lk_test_make_scratch ();
  other_certs = lk_test_make_scratch ();
  make_ca (certs);
  make_ca (other_certs);

  g_test_add_func ("/tls-trust/rule", test_rule);
  g_test_add_func ("/tls-trust/missing-file", test_missing_file);
  g_test_add_func ("/tls-trust/fifo", test_fifo);
  g_test_add_func ("/tls-trust/shared-and-reloaded", test_shared_and_reloaded);
  g_test_add_func ("/tls-trust/http", test_http);
  status = g_test_run ();

  for (guint i = 0; i < 2; i++)
    {
      const char *rm[] = { "rm", "-rf", i == 0 ? certs : other_certs, NULL };

      g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                    NULL);
    }
  g_free (certs);
  g_free (other_certs);
  return status;
}
