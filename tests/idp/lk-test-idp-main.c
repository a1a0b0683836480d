/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * lk-test-idp: the strict test identity provider as a program, for tests
 * written in Python or shell. Prints "READY http://127.0.0.1:PORT" as its
 * first line once it listens, and runs until SIGTERM or SIGINT. Tests
 * drive it over HTTP at /_control/ (see lk-test-idp.h and the README of
 * this folder).
 */
#define G_LOG_DOMAIN "lk-test-idp"

#include "config.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>

#include "lk-test-idp.h"

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* Reads the raw HS256 key, or makes one and writes it there (0600). */
static GBytes *
load_or_make_key (const char  *path,
                  GError     **error)
{
  char *data = NULL;
  gsize len = 0;
  guint8 key[32];

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (!g_file_get_contents (path, &data, &len, error))
        return NULL;
      if (len == 0)
        {
          g_free (data);
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "The key file %s is empty", path);
          return NULL;
        }
      return g_bytes_new_take (data, len);
    }
  g_assert_cmpint (gnutls_rnd (GNUTLS_RND_KEY, key, sizeof key), ==, 0);
  if (!g_file_set_contents_full (path, (const char *) key, sizeof key,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return NULL;
  return g_bytes_new (key, sizeof key);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LkTestIdp) idp = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *key_file = NULL;
  g_autofree char *issuer = NULL;
  g_autofree char *user = NULL;
  g_autofree char *app_mailbox = NULL;
  g_auto(GStrv) clients = NULL;

  /* stdout carries the READY line the drivers wait for. */
  g_log_writer_default_set_use_stderr (TRUE);
  int port = 0;
  int token_size = 0;
  int device_interval = 5;
  int lifetime = 0;
  gboolean consent_form = FALSE;
  gboolean auto_submit = FALSE;
  gboolean issue_iss = FALSE;
  gboolean single_use = FALSE;
  const GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port on 127.0.0.1 (default: any free one)", "N" },
    { "jwt-key", 0, 0, G_OPTION_ARG_FILENAME, &key_file,
      "Raw HS256 key for access tokens; made (32 random bytes) if the file does not exist", "FILE" },
    { "issuer", 0, 0, G_OPTION_ARG_STRING, &issuer,
      "iss claim of access tokens (default " LK_TEST_IDP_DEFAULT_ISSUER ")", "ISS" },
    { "token-size", 0, 0, G_OPTION_ARG_INT, &token_size, "Pad access tokens to about N characters", "N" },
    { "token-lifetime", 0, 0, G_OPTION_ARG_INT, &lifetime,
      "expires_in of access tokens (default: random 60-90 min)", "S" },
    { "consent-form", 0, 0, G_OPTION_ARG_NONE, &consent_form,
      "Show a consent page with an Accept button instead of redirecting at once", NULL },
    { "consent-auto-submit", 0, 0, G_OPTION_ARG_NONE, &auto_submit,
      "The consent and device pages press Accept by themselves (for headless browsers)", NULL },
    { "device-interval", 0, 0, G_OPTION_ARG_INT, &device_interval,
      "Device code polling interval (default 5)", "S" },
    { "issue-iss", 0, 0, G_OPTION_ARG_NONE, &issue_iss, "Add RFC 9207 iss to authorization responses", NULL },
    { "single-use-refresh-tokens", 0, 0, G_OPTION_ARG_NONE, &single_use,
      "Refuse a refresh token used before (stricter than Microsoft)", NULL },
    { "user", 0, 0, G_OPTION_ARG_STRING, &user, "Who signs in (default " LK_TEST_IDP_DEFAULT_USER ")", "EMAIL" },
    { "app-mailbox", 0, 0, G_OPTION_ARG_STRING, &app_mailbox,
      "email/upn claim of client-credentials tokens", "EMAIL" },
    { "client", 0, 0, G_OPTION_ARG_STRING_ARRAY, &clients,
      "Register a client: ID[:SECRET[:ROLE,ROLE…]] (repeatable; confidential, no public flows)", "SPEC" },
    { NULL }
  };

  context = g_option_context_new ("- strict test identity provider on 127.0.0.1");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("lk-test-idp: %s\n", error->message);
      return 2;
    }
  if (port < 0 || port > 65535 || token_size < 0 || device_interval < 0)
    {
      g_printerr ("lk-test-idp: a number is out of range\n");
      return 2;
    }

  idp = lk_test_idp_new ();
  lk_test_idp_set_control_enabled (idp, TRUE);
  lk_test_idp_set_port (idp, port);
  if (key_file != NULL)
    {
      g_autoptr(GBytes) key = load_or_make_key (key_file, &error);

      if (key == NULL)
        {
          g_printerr ("lk-test-idp: %s\n", error->message);
          return 1;
        }
      lk_test_idp_set_jwt_key (idp, key);
    }
  lk_test_idp_set_access_token_issuer (idp, issuer);
  lk_test_idp_set_token_size (idp, token_size);
  lk_test_idp_set_access_token_lifetime (idp, lifetime);
  lk_test_idp_set_auto_approve (idp, !consent_form);
  lk_test_idp_set_consent_auto_submit (idp, auto_submit);
  lk_test_idp_set_device_interval (idp, device_interval);
  lk_test_idp_set_issue_iss (idp, issue_iss);
  lk_test_idp_set_single_use_refresh_tokens (idp, single_use);
  if (user != NULL)
    lk_test_idp_set_user (idp, user);
  if (app_mailbox != NULL)
    lk_test_idp_set_app_mailbox (idp, app_mailbox);
  for (guint i = 0; clients != NULL && clients[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (clients[i], ":", 3);
      g_auto(GStrv) roles = parts[0] && parts[1] && parts[2] ? g_strsplit (parts[2], ",", -1) : NULL;

      lk_test_idp_add_client (idp, parts[0], parts[0] ? parts[1] : NULL, FALSE,
                              (const char * const *) roles);
    }

  if (!lk_test_idp_start (idp, &error))
    {
      g_printerr ("lk-test-idp: cannot listen: %s\n", error->message);
      return 1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  printf ("READY %s\n", lk_test_idp_get_base_url (idp));
  fflush (stdout);
  g_main_loop_run (loop);
  return 0;
}
