/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A second process for the store tests:
 *   lk-store-helper lock EMAIL HOLD_MS
 *     takes the refresh lock, prints "locked", holds it HOLD_MS, exits;
 *   lk-store-helper token EMAIL COUNT_PATH DELAY_MS
 *     gets a token through the token manager with a test refresher that
 *     appends a line to COUNT_PATH per refresh; prints the SHA-256 of the
 *     access token (never the token). */
#define G_LOG_DOMAIN "latchkey-test"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "lk-test-refresher.h"
#include "lk-test-utils.h"
#include "store/lk-refresh-lock.h"
#include "store/lk-token-manager.h"

static void
got_token_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LkTokenSet **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = lk_token_manager_get_token_finish (LK_TOKEN_MANAGER (source), result, &error);
  if (*out == NULL)
    {
      g_printerr ("lk-store-helper: %s\n", error->message);
      exit (1);
    }
}

int
main (int   argc,
      char *argv[])
{
  /* The test reads what this prints on stdout; GLib's debug messages
   * (G_MESSAGES_DEBUG, build-aux/test.sh --debug-messages) go to stderr. */
  g_log_writer_default_set_use_stderr (TRUE);
  /* The same store as the test that started it. */
  lk_test_use_sealed_store_if_asked ();
  if (argc == 4 && g_str_equal (argv[1], "lock"))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LkRefreshLock) lock = lk_refresh_lock_acquire_sync (argv[2], 10000, NULL, &error);

      if (lock == NULL)
        {
          g_printerr ("lk-store-helper: %s\n", error->message);
          return 1;
        }
      printf ("locked\n");
      fflush (stdout);
      g_usleep ((gulong) g_ascii_strtoull (argv[3], NULL, 10) * 1000);
      return 0;
    }

  if (argc == 5 && g_str_equal (argv[1], "token"))
    {
      g_autoptr(LkTestRefresher) refresher =
        lk_test_refresher_new (LK_TEST_REFRESH_ROTATE, (guint) g_ascii_strtoull (argv[4], NULL, 10), argv[3]);
      g_autoptr(LkTokenManager) manager = lk_token_manager_new (NULL, LK_TOKEN_REFRESHER (refresher));
      g_autoptr(LkAccount) account = lk_test_make_account (argv[2]);
      g_autofree char *digest = NULL;
      LkTokenSet *tokens = NULL;

      lk_token_manager_get_token_async (manager, account, FALSE, NULL, got_token_cb, &tokens);
      while (tokens == NULL)
        g_main_context_iteration (NULL, TRUE);
      digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, tokens->access_token, -1);
      printf ("%s\n", digest);
      lk_token_set_free (tokens);
      return 0;
    }

  g_printerr ("usage: lk-store-helper lock EMAIL HOLD_MS | token EMAIL COUNT_PATH DELAY_MS\n");
  return 2;
}
