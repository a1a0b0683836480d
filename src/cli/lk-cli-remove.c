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
    "remove", "EMAIL", N_("Remove an account: its keyring item and its file"), NULL
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, NULL);
  g_autoptr(LkCliContext) cli = NULL;
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (!lk_cli_parse (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return lk_cli_usage_error (context, _("Give exactly one account address"));

  cli = lk_cli_context_new ();
  account = lk_cli_context_load_account (cli, argv[1], &error);
  if (account == NULL)
    return lk_cli_fail (error);
  lk_token_manager_remove_async (cli->tokens, account->email, cli->cancellable,
                                 lk_cli_store_result_cb, &result);
  if (!lk_token_manager_remove_finish (cli->tokens, lk_cli_wait (&result), &error))
    return lk_cli_fail (error);
  g_printerr (_("Removed %s and its tokens.\n"), account->email);
  return LK_EXIT_OK;
}
