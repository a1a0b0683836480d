/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "bridge/lk-bridge-credentials.h"
#include "lk-cli-commands.h"
#include "lk-cli-context.h"

/* A removed account's bridge password must not outlive it: a later account
 * of the same address would inherit it. The bridge reads the file before
 * every login, so this holds at once. */
static void
forget_bridge_login (const char *email)
{
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (NULL);
  g_autoptr(LkBridgeUser) user = NULL;
  g_autoptr(GError) error = NULL;

  if (!lk_bridge_credentials_load (credentials, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      return;
    }
  user = lk_bridge_credentials_lookup (credentials, email);
  if (user == NULL)
    return;
  if (!lk_bridge_credentials_remove (credentials, email, &error))
    g_printerr ("%s: %s\n", g_get_prgname (), error->message);
  else
    g_printerr (_("Its bridge password no longer works.\n"));
}

int
lk_cli_remove (int    argc,
               char **argv)
{
  static const LkCliCommand command = {
    "remove", "EMAIL", N_("Remove an account: its keyring item and its file, or whatever is left of them"), NULL
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, NULL);
  g_autoptr(LkCliContext) cli = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  LkRemovedFlags removed = LK_REMOVED_NOTHING;
  int status;

  if (!lk_cli_parse (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return lk_cli_usage_error (context, _("Give exactly one account address"));

  /* Not through lk_cli_context_load_account(): whatever is left of the
   * address goes, a damaged file or a keyring item without a file too. */
  cli = lk_cli_context_new ();
  lk_token_manager_remove_async (cli->tokens, argv[1], cli->cancellable,
                                 lk_cli_store_result_cb, &result);
  if (!lk_token_manager_remove_finish (cli->tokens, lk_cli_wait (&result), &removed, &error))
    return lk_cli_fail (error);
  if (removed == LK_REMOVED_TOKENS)
    g_printerr (_("Removed the tokens of %s that were left in the keyring (it had no "
                  "account file).\n"), argv[1]);
  else if (removed == LK_REMOVED_FILE)
    g_printerr (_("Removed the account file of %s (the keyring held no tokens for it).\n"),
                argv[1]);
  else
    g_printerr (_("Removed %s and its tokens.\n"), argv[1]);
  forget_bridge_login (argv[1]);
  return LK_EXIT_OK;
}
