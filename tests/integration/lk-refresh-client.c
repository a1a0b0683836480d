/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A stand-in for the GUI in the integration tests: what a Latchkey window
 * does to get a token (the account store, LkTokenManager with the real
 * LkOAuthRefresher), without a display.
 *   lk-refresh-client EMAIL N
 * asks the one token manager of this process for EMAIL's token N times at
 * once (as several pages of a window would) and prints one line per answer:
 * the SHA-256 of the access token, never the token. */
#define G_LOG_DOMAIN "latchkey-test"

#include "config.h"

#include <stdio.h>

#include "lk-core.h"
#include "oauth/lk-oauth-refresher.h"
#include "store/lk-account-store.h"
#include "store/lk-token-manager.h"

typedef struct
{
  guint pending;
  int   status;
} Run;

static void
got_token_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  LkTokenSet *tokens;

  tokens = lk_token_manager_get_token_finish (LK_TOKEN_MANAGER (source), result, &error);
  if (tokens == NULL)
    {
      g_printerr ("lk-refresh-client: %s\n", error->message);
      run->status = 1;
    }
  else
    {
      g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
                                                               tokens->access_token, -1);
      printf ("%s\n", digest);
      lk_token_set_free (tokens);
    }
  run->pending--;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(LkAccountStore) store = NULL;
  g_autoptr(LkOAuthRefresher) refresher = NULL;
  g_autoptr(LkTokenManager) manager = NULL;
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  Run run = { 0, 0 };
  guint n;

  g_log_writer_default_set_use_stderr (TRUE);
  if (argc != 3 || (n = (guint) g_ascii_strtoull (argv[2], NULL, 10)) == 0)
    {
      g_printerr ("usage: lk-refresh-client EMAIL N\n");
      return 2;
    }
  lk_core_init ();
  store = lk_account_store_new (NULL);
  refresher = lk_oauth_refresher_new ();
  manager = lk_token_manager_new (store, LK_TOKEN_REFRESHER (refresher));
  account = lk_account_store_load (store, argv[1], &error);
  if (account == NULL)
    {
      g_printerr ("lk-refresh-client: %s\n", error->message);
      return 1;
    }
  for (guint i = 0; i < n; i++)
    {
      run.pending++;
      lk_token_manager_get_token_async (manager, account, FALSE, NULL, got_token_cb, &run);
    }
  while (run.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  fflush (stdout);
  return run.status;
}
