/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Local passwords, the logins file, the failure backoff and bridge.json. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bridge/lk-bridge-backoff.h"
#include "bridge/lk-bridge-credentials.h"
#include "bridge/lk-bridge-password.h"
#include "bridge/lk-bridge-settings.h"
#include "lk-error.h"
#include "lk-test-utils.h"
#include "lk-token-set.h"

static void
test_password_generate (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 200; i++)
    {
      char *password = lk_bridge_password_generate ();
      g_auto(GStrv) groups = g_strsplit (password, "-", -1);

      /* Five groups of five lower-case letters and digits: 129 bits. */
      g_assert_cmpuint (g_strv_length (groups), ==, 5);
      for (guint g = 0; g < 5; g++)
        {
          g_assert_cmpuint (strlen (groups[g]), ==, 5);
          for (const char *p = groups[g]; *p != '\0'; p++)
            g_assert_true (g_ascii_islower (*p) || g_ascii_isdigit (*p));
        }
      g_assert_false (g_hash_table_contains (seen, password));
      g_hash_table_add (seen, password);
    }
}

static void
test_password_hash (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = lk_bridge_password_hash ("k3x9q-7bmwd", &error);
  g_autofree char *again = lk_bridge_password_hash ("k3x9q-7bmwd", NULL);
  g_autofree char *normalized = lk_bridge_password_normalize ("ab- c-d");

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (hash, "$y$"));
  g_assert_cmpstr (hash, !=, again);                 /* a salt of its own */
  g_assert_true (lk_bridge_password_check ("k3x9q-7bmwd", hash));
  g_assert_true (lk_bridge_password_check ("k3x9q7bmwd", hash));   /* the hyphens only group it */
  g_assert_false (lk_bridge_password_check ("k3x9q-7bmwe", hash));
  g_assert_false (lk_bridge_password_check ("K3X9Q-7BMWD", hash));
  g_assert_false (lk_bridge_password_check ("", hash));
  g_assert_false (lk_bridge_password_check ("k3x9q-7bmwd", "$y$broken"));
  g_assert_cmpstr (normalized, ==, "abcd");
}

typedef struct
{
  GAsyncResult *result;
} Wait;

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  ((Wait *) user_data)->result = g_object_ref (result);
}

static gboolean
has_result (gpointer user_data)
{
  return ((Wait *) user_data)->result != NULL;
}

static LkBridgeUser *
verify (LkBridgeCredentials  *credentials,
        const char           *name,
        const char           *password,
        GError              **error)
{
  Wait wait = { NULL };
  LkBridgeUser *user;

  lk_bridge_credentials_verify_async (credentials, name, password, NULL, store_cb, &wait);
  g_assert_true (lk_test_wait_for (has_result, &wait, 10000));
  user = lk_bridge_credentials_verify_finish (credentials, wait.result, error);
  g_object_unref (wait.result);
  return user;
}

static void
test_credentials (void)
{
  g_autofree char *scratch = lk_test_make_scratch ();
  g_autofree char *path = g_build_filename (scratch, "latchkey", "bridge-users.json", NULL);
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (path);
  g_autoptr(LkBridgeCredentials) other = lk_bridge_credentials_new (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(LkBridgeUser) user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *again = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *reset = NULL;
  GStatBuf st;

  g_assert_true (lk_bridge_credentials_enable (credentials, "alice@example.com",
                                               LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP,
                                               &password, &error));
  g_assert_no_error (error);
  g_assert_nonnull (password);

  /* Only the hash is stored, in a 0600 file in a 0700 folder. */
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_null (strstr (contents, password));
  g_assert_nonnull (strstr (contents, "$y$"));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  {
    g_autofree char *dir = g_path_get_dirname (path);

    g_assert_cmpint (g_stat (dir, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  }

  /* Enabling again changes the protocols, not the password (unknown). */
  g_assert_true (lk_bridge_credentials_enable (credentials, "alice@example.com", LK_PROTOCOL_FLAG_ALL,
                                               &again, &error));
  g_assert_null (again);

  /* Another process (another object) sees it; the user name's case does
   * not matter; the password's hyphens do not either. */
  user = verify (other, "Alice@Example.com", password, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->account, ==, "alice@example.com");
  g_assert_cmpuint (user->protocols, ==, LK_PROTOCOL_FLAG_ALL);
  g_clear_pointer (&user, lk_bridge_user_unref);
  {
    g_autofree char *bare = lk_bridge_password_normalize (password);

    user = verify (other, "alice@example.com", bare, &error);
    g_assert_no_error (error);
    g_clear_pointer (&user, lk_bridge_user_unref);
  }

  g_assert_null (verify (other, "alice@example.com", "wrong", &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_AUTH_REJECTED);
  g_clear_error (&error);
  g_assert_null (verify (other, "bob@example.com", password, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_AUTH_REJECTED);
  g_clear_error (&error);

  /* A reset in one process: the other refuses the old password at once,
   * though it had remembered it as right. */
  reset = lk_bridge_credentials_reset_password (credentials, "alice@example.com", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reset, !=, password);
  g_assert_null (verify (other, "alice@example.com", password, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_AUTH_REJECTED);
  g_clear_error (&error);
  user = verify (other, "alice@example.com", reset, &error);
  g_assert_no_error (error);
  g_clear_pointer (&user, lk_bridge_user_unref);

  /* Disabled: refused like a wrong password; the password is kept. */
  g_assert_true (lk_bridge_credentials_disable (credentials, "alice@example.com", &error));
  g_assert_null (verify (other, "alice@example.com", reset, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_AUTH_REJECTED);
  g_clear_error (&error);
  g_assert_true (lk_bridge_credentials_enable (credentials, "alice@example.com", LK_PROTOCOL_FLAG_IMAP,
                                               &again, &error));
  g_assert_null (again);
  user = verify (other, "alice@example.com", reset, &error);
  g_assert_no_error (error);
  g_clear_pointer (&user, lk_bridge_user_unref);

  /* A device switched off (`bridge device disable`): its right password
   * gives it back marked disabled, so that the bridge can say why it is
   * refused; a wrong one is refused as ever. Its @changed stays (only a
   * new password ends a lock-out), and switching it on keeps the password. */
  {
    LkBridgeDeviceSpec spec = { .name = "lobby-mfp", .account = "alice@example.com" };
    g_autofree char *device_password = NULL;
    g_autoptr(LkBridgeUser) before = NULL;
    g_autoptr(LkBridgeUser) after = NULL;

    g_assert_true (lk_bridge_credentials_add_device (credentials, &spec, &device_password, &error));
    g_assert_no_error (error);
    before = lk_bridge_credentials_lookup (credentials, "lobby-mfp");
    g_assert_true (lk_bridge_credentials_set_enabled (credentials, "lobby-mfp", FALSE, &error));
    g_assert_no_error (error);
    user = verify (other, "lobby-mfp", device_password, &error);
    g_assert_no_error (error);
    g_assert_nonnull (user);
    g_assert_false (user->enabled);
    g_clear_pointer (&user, lk_bridge_user_unref);
    g_assert_null (verify (other, "lobby-mfp", "wrong", &error));
    g_assert_error (error, LK_ERROR, LK_ERROR_AUTH_REJECTED);
    g_clear_error (&error);
    after = lk_bridge_credentials_lookup (credentials, "lobby-mfp");
    g_assert_false (after->enabled);
    g_assert_cmpint (after->changed, ==, before->changed);
    g_assert_true (lk_bridge_credentials_set_enabled (credentials, "lobby-mfp", TRUE, &error));
    g_assert_no_error (error);
    user = verify (other, "lobby-mfp", device_password, &error);
    g_assert_no_error (error);
    g_assert_true (user->enabled);
    g_clear_pointer (&user, lk_bridge_user_unref);
    g_assert_true (lk_bridge_credentials_remove (credentials, "lobby-mfp", &error));
    lk_secret_wipe (g_steal_pointer (&device_password));
  }

  g_assert_false (lk_bridge_credentials_disable (credentials, "nobody@example.com", &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "bridge enable"));
  g_clear_error (&error);

  g_assert_true (lk_bridge_credentials_remove (credentials, "alice@example.com", &error));
  g_assert_null (lk_bridge_credentials_lookup (credentials, "alice@example.com"));
  lk_secret_wipe (g_steal_pointer (&password));
  lk_secret_wipe (g_steal_pointer (&reset));
}

static void
test_credentials_damaged (void)
{
  g_autofree char *scratch = lk_test_make_scratch ();
  g_autofree char *path = g_build_filename (scratch, "bridge-users.json", NULL);
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (path);
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  g_autofree char *kept = NULL;

  lk_test_write_file (path, "{\"version\": 1, \"users\": [{\"name\": \"x\"}]}");
  g_assert_false (lk_bridge_credentials_load (credentials, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);
  /* Nothing the user had is overwritten by a change. */
  g_assert_false (lk_bridge_credentials_enable (credentials, "a@example.com", LK_PROTOCOL_FLAG_IMAP,
                                                &password, &error));
  g_assert_null (password);
  g_clear_error (&error);
  g_assert_true (g_file_get_contents (path, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, "{\"version\": 1, \"users\": [{\"name\": \"x\"}]}");

  lk_test_write_file (path, "{\"version\": 99, \"users\": []}");
  g_assert_false (lk_bridge_credentials_load (credentials, &error));
  g_clear_error (&error);
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_true (lk_bridge_credentials_load (credentials, &error));
  g_assert_no_error (error);
}

static gint64 fake_now;

static gint64
fake_clock (void)
{
  return fake_now;
}

static void
test_backoff (void)
{
  g_autoptr(LkBridgeBackoff) backoff = lk_bridge_backoff_new ();
  const guint expected[] = { 0, 250, 500, 1000, 2000, 4000, 8000, 16000, 16000 };

  fake_now = 1000000;
  lk_bridge_backoff_set_clock (backoff, fake_clock);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_cmpuint (lk_bridge_backoff_get_delay_ms (backoff, "Alice@example.com"), ==, expected[i]);
      lk_bridge_backoff_failed (backoff, "alice@EXAMPLE.com");
    }
  g_assert_cmpuint (lk_bridge_backoff_get_delay_ms (backoff, "bob@example.com"), ==, 0);
  /* Forgotten a quarter of an hour after the last failure … */
  fake_now += 16 * 60 * G_USEC_PER_SEC;
  g_assert_cmpuint (lk_bridge_backoff_get_failures (backoff, "alice@example.com"), ==, 0);
  /* … or at the first success. */
  lk_bridge_backoff_failed (backoff, "alice@example.com");
  lk_bridge_backoff_failed (backoff, "alice@example.com");
  g_assert_cmpuint (lk_bridge_backoff_get_delay_ms (backoff, "alice@example.com"), ==, 500);
  lk_bridge_backoff_succeeded (backoff, "ALICE@example.com");
  g_assert_cmpuint (lk_bridge_backoff_get_delay_ms (backoff, "alice@example.com"), ==, 0);
  /* Guessing many names does not grow memory without bound. */
  for (guint i = 0; i < 10000; i++)
    {
      g_autofree char *name = g_strdup_printf ("guess%u@example.com", i);

      lk_bridge_backoff_failed (backoff, name);
    }
}

static void
test_endpoints (void)
{
  g_autoptr(LkBridgeEndpoint) v4 = lk_bridge_endpoint_parse (LK_PROTOCOL_IMAP, LK_SECURITY_STARTTLS,
                                                             "127.0.0.1:1143", NULL);
  g_autoptr(LkBridgeEndpoint) v6 = lk_bridge_endpoint_parse (LK_PROTOCOL_SMTP, LK_SECURITY_TLS,
                                                             "[::1]:0", NULL);
  g_autoptr(LkBridgeEndpoint) port_only = lk_bridge_endpoint_parse (LK_PROTOCOL_POP, LK_SECURITY_STARTTLS,
                                                                    ":1110", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = lk_bridge_endpoint_to_string (v6, 1465);
  const char *invalid[] = { "localhost:1143", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
                            "127.0.0.1:-1", "127.0.0.1:x", "[::1:1143", "::1:1143", "" };

  g_assert_cmpstr (v4->address, ==, "127.0.0.1");
  g_assert_cmpuint (v4->port, ==, 1143);
  g_assert_cmpstr (v6->address, ==, "::1");
  g_assert_cmpstr (text, ==, "[::1]:1465");
  g_assert_cmpstr (port_only->address, ==, "127.0.0.1");
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_assert_null (lk_bridge_endpoint_parse (LK_PROTOCOL_IMAP, LK_SECURITY_STARTTLS, invalid[i], &error));
      g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
      g_clear_error (&error);
    }
}

static void
test_settings (void)
{
  g_autofree char *scratch = lk_test_make_scratch ();
  g_autofree char *path = g_build_filename (scratch, "bridge.json", NULL);
  g_autoptr(LkBridgeSettings) defaults = lk_bridge_settings_load (path, NULL);
  g_autoptr(LkBridgeSettings) settings = NULL;
  g_autoptr(GError) error = NULL;
  const LkBridgeEndpoint *imap;

  /* No file: IMAP 1143, POP3 1110, SMTP 1587 on 127.0.0.1 with STARTTLS. */
  g_assert_nonnull (defaults);
  g_assert_cmpuint (defaults->endpoints->len, ==, 3);
  g_assert_cmpuint (lk_bridge_settings_find (defaults, LK_PROTOCOL_SMTP)->port, ==, 1587);
  g_assert_cmpint (lk_bridge_settings_find (defaults, LK_PROTOCOL_POP)->security, ==, LK_SECURITY_STARTTLS);
  g_assert_cmpuint (defaults->upstream_timeout_seconds, ==, 15);

  lk_test_write_file (path, "{\"listeners\": ["
                      "{\"protocol\": \"imap\", \"port\": 1993, \"security\": \"tls\"},"
                      "{\"protocol\": \"imap\", \"address\": \"::1\", \"port\": 1143}],"
                      "\"max_connections_per_address\": 7, \"login_timeout\": 1,"
                      "\"upstream_timeout\": 1000}");
  settings = lk_bridge_settings_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (settings->endpoints->len, ==, 2);
  imap = lk_bridge_settings_find (settings, LK_PROTOCOL_IMAP);
  g_assert_cmpstr (imap->address, ==, "::1");    /* STARTTLS preferred */
  g_assert_null (lk_bridge_settings_find (settings, LK_PROTOCOL_SMTP));
  g_assert_cmpuint (settings->max_connections_per_address, ==, 7);
  g_assert_cmpuint (settings->login_timeout_seconds, ==, 5);   /* clamped */
  g_assert_cmpuint (settings->upstream_timeout_seconds, ==, 300);

  lk_test_write_file (path, "{\"listeners\": [{\"protocol\": \"nntp\", \"port\": 119}]}");
  g_assert_null (lk_bridge_settings_load (path, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "listener 1"));
  g_clear_error (&error);
  lk_test_write_file (path, "{\"listeners\": [{\"protocol\": \"imap\", \"port\": 1, \"security\": \"none\"}]}");
  g_assert_null (lk_bridge_settings_load (path, &error));
  g_clear_error (&error);
  lk_test_write_file (path, "[1, 2]");
  g_assert_null (lk_bridge_settings_load (path, &error));
  g_assert_nonnull (strstr (error->message, path));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bridge/password/generate", test_password_generate);
  g_test_add_func ("/bridge/password/hash", test_password_hash);
  g_test_add_func ("/bridge/credentials/round-trip", test_credentials);
  g_test_add_func ("/bridge/credentials/damaged", test_credentials_damaged);
  g_test_add_func ("/bridge/backoff", test_backoff);
  g_test_add_func ("/bridge/settings/endpoints", test_endpoints);
  g_test_add_func ("/bridge/settings/file", test_settings);
  return g_test_run ();
}
