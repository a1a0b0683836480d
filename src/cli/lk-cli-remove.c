/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "lk-cli-commands.h"
#include "lk-cli-context.h"

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
  return LK_EXIT_OK;
}
