/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "lk-cli-commands.h"
#include "lk-cli-context.h"
#include "lk-cli-sign-in.h"

int
lk_cli_login (int    argc,
              char **argv)
{
  static const LkCliCommand command = {
    "login", "EMAIL", N_("Sign an account in again"), NULL
  };
  gboolean no_browser = FALSE;
  gboolean device = FALSE;
  const GOptionEntry entries[] = {
    { "no-browser", 0, 0, G_OPTION_ARG_NONE, &no_browser,
      N_("Print the sign-in link instead of opening a browser"), NULL },
    { "device", 0, 0, G_OPTION_ARG_NONE, &device,
      N_("Sign in with a code on another device"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  g_autoptr(LkCliContext) cli = NULL;
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (!lk_cli_parse (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return lk_cli_usage_error (context, _("Give exactly one account address"));
  if (no_browser && device)
    return lk_cli_usage_error (context, _("Choose one of --no-browser and --device"));

  cli = lk_cli_context_new ();
  account = lk_cli_context_load_account (cli, argv[1], &error);
  if (account == NULL)
    return lk_cli_fail (error);
  /* Without an option, the way the account signed in last time. */
  if (!no_browser && !device && account->flow == LK_FLOW_DEVICE)
    device = TRUE;
  return lk_cli_sign_in_and_store (cli, account,
                                   lk_cli_sign_in_mode_for (no_browser, device,
                                                            account->flow == LK_FLOW_APP_ONLY),
                                   TRUE);
}
