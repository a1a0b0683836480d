/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "lk-cli-commands.h"
#include "lk-cli-context.h"
#include "lk-cli-token-format.h"
#include "lk-error.h"
#include "lk-places.h"
#include "lk-sign-in-notice.h"

/* The full path of `token`: reached when the launcher's fast path could not
 * answer (an expiring token, --force-refresh, a locked keyring…). */
int
lk_cli_token (int    argc,
              char **argv)
{
  static const LkCliCommand command = {
    "token", "EMAIL", N_("Print a fresh access token for a mail client"), NULL
  };
  g_autofree char *format = NULL;
  gboolean force_refresh = FALSE;
  const GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format,
      N_("What to print: raw (default), xoauth2, oauthbearer or json"), N_("FORMAT") },
    { "force-refresh", 0, 0, G_OPTION_ARG_NONE, &force_refresh,
      N_("Refresh even if the token is still valid"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  g_autoptr(LkCliContext) cli = NULL;
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(LkTokenSet) tokens = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  int status;

  if (!lk_cli_parse (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return lk_cli_usage_error (context, _("Give exactly one account address"));
  if (format == NULL)
    format = g_strdup ("raw");
  if (!lk_cli_token_format_is_valid (format))
    return lk_cli_usage_error (context, _("Unknown format “%s”: use raw, xoauth2, oauthbearer "
                                          "or json"), format);

  cli = lk_cli_context_new ();
  account = lk_cli_context_load_account (cli, argv[1], &error);
  if (account == NULL)
    return lk_cli_fail (error);

  lk_token_manager_get_token_async (cli->tokens, account, force_refresh, cli->cancellable,
                                    lk_cli_store_result_cb, &result);
  tokens = lk_token_manager_get_token_finish (cli->tokens, lk_cli_wait (&result), &error);
  if (tokens == NULL)
    {
      /* Mail clients running from cron or a timer would fail silently. In
       * system mode the one running this is IT, who reads the message. */
      if (g_error_matches (error, LK_ERROR, LK_ERROR_NEEDS_SIGN_IN) &&
          !lk_places_is_system_mode ())
        lk_sign_in_notice_send (account);
      return lk_cli_fail (error);
    }

  output = lk_cli_token_format (format, lk_account_get_sasl_user (account),
                                tokens->access_token, tokens->expires_at);
  fputs (output, stdout);
  explicit_bzero (output, strlen (output));
  return fflush (stdout) == 0 ? LK_EXIT_OK : LK_EXIT_FAILURE;
}
