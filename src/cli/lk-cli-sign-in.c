/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "diagnose/lk-diagnose.h"
#include "lk-cli.h"
#include "lk-cli-sign-in.h"
#include "lk-error.h"
#include "oauth/lk-browser-sign-in.h"
#include "oauth/lk-oauth-client.h"
#include "store/lk-token-store.h"

static LkTokenSet *
sign_in_browser (LkCliContext  *cli,
                 LkAccount     *account,
                 gboolean       open_browser,
                 GError       **error)
{
  g_autoptr(LkBrowserSignIn) sign_in = lk_browser_sign_in_new_for_account (account, error);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) launch_error = NULL;
  const char *url;

  if (sign_in == NULL)
    return NULL;
  /* How long to wait for the browser (default 10 minutes); tests shorten it. */
  if (g_getenv ("LATCHKEY_SIGN_IN_TIMEOUT") != NULL)
    {
      guint64 seconds;

      if (g_ascii_string_to_unsigned (g_getenv ("LATCHKEY_SIGN_IN_TIMEOUT"), 10, 1, 86400,
                                      &seconds, NULL))
        lk_browser_sign_in_set_timeout (sign_in, (guint) seconds);
    }
  if (!lk_browser_sign_in_prepare (sign_in, error))
    return NULL;
  url = lk_browser_sign_in_get_authorization_url (sign_in);
  /* Listening already: start waiting before the browser can answer. */
  lk_browser_sign_in_run_async (sign_in, cli->cancellable, lk_cli_store_result_cb, &result);

  if (!open_browser)
    {
      /* The link alone on standard output, for scripts and for copying. */
      g_print ("%s\n", url);
      fflush (stdout);
      g_printerr (_("Open this link in a browser on this computer and sign in as %s. "
                    "Waiting for the answer (Ctrl+C cancels)…\n"),
                  lk_account_get_login_hint (account));
    }
  else if (g_app_info_launch_default_for_uri (url, NULL, &launch_error))
    g_printerr (_("Your browser opens to sign in as %s. Waiting for the answer "
                  "(Ctrl+C cancels)…\nIf no browser opened, open this link: %s\n"),
                lk_account_get_login_hint (account), url);
  else
    g_printerr (_("Could not open a browser (%s). Open this link in a browser on this "
                  "computer and sign in as %s:\n%s\nWaiting for the answer (Ctrl+C cancels)…\n"),
                launch_error->message, lk_account_get_login_hint (account), url);

  return lk_browser_sign_in_run_finish (sign_in, lk_cli_wait (&result), error);
}

static LkTokenSet *
sign_in_device (LkCliContext  *cli,
                LkAccount     *account,
                GError       **error)
{
  g_autoptr(LkOAuthClient) client = lk_oauth_client_new_for_account (account, error);
  g_autoptr(LkDeviceAuthorization) authorization = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) poll_result = NULL;
  g_autofree char *scope = NULL;

  if (client == NULL)
    return NULL;
  if (!account->provider->device_flow)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("%s does not allow signing in with a code for mail; sign in through "
                     "the browser (leave out --device)"), account->provider->name);
      return NULL;
    }
  scope = lk_provider_dup_scope_string (account->provider, account->protocols);
  lk_oauth_client_device_start_async (client, scope, cli->cancellable,
                                      lk_cli_store_result_cb, &result);
  authorization = lk_oauth_client_device_start_finish (client, lk_cli_wait (&result), error);
  if (authorization == NULL)
    return NULL;

  /* Standard output: the URL and the code, for scripts; the sentence for people. */
  g_print ("%s %s\n", authorization->verification_uri, authorization->user_code);
  fflush (stdout);
  g_printerr (_("On any device, open %s and enter the code %s, then sign in as %s. "
                "Waiting (Ctrl+C cancels)…\n"),
              authorization->verification_uri, authorization->user_code,
              lk_account_get_login_hint (account));

  lk_oauth_client_device_poll_async (client, authorization, cli->cancellable,
                                     lk_cli_store_result_cb, &poll_result);
  return lk_oauth_client_device_poll_finish (client, lk_cli_wait (&poll_result), error);
}

/**
 * lk_cli_read_secret:
 *
 * Reads a secret from standard input: with the echo off after @prompt on a
 * terminal, one line from a pipe. Never from the command line, where other
 * users could read it in the process list.
 */
char *
lk_cli_read_secret (const char  *prompt,
                    GError     **error)
{
  gboolean tty = isatty (STDIN_FILENO);
  struct termios saved, quiet;
  char buffer[4096];
  char *line;
  gsize len;

  if (tty)
    {
      g_printerr ("%s", prompt);
      tcgetattr (STDIN_FILENO, &saved);
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
    }
  line = fgets (buffer, sizeof buffer, stdin);
  if (tty)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
      g_printerr ("\n");
    }
  if (line == NULL)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("No client secret was given: type it when asked, or pipe it "
                             "into standard input"));
      return NULL;
    }
  len = strcspn (buffer, "\r\n");
  buffer[len] = '\0';
  line = g_strndup (buffer, len);
  explicit_bzero (buffer, sizeof buffer);
  if (*line == '\0')
    {
      g_free (line);
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("The client secret is empty"));
      return NULL;
    }
  return line;
}

static LkTokenSet *
sign_in_app_only (LkCliContext  *cli,
                  LkAccount     *account,
                  GError       **error)
{
  g_autoptr(LkOAuthClient) client = lk_oauth_client_new_for_account (account, error);
  g_autoptr(GAsyncResult) result = NULL;
  LkTokenSet *tokens;
  char *secret;

  if (client == NULL)
    return NULL;
  secret = lk_cli_read_secret (_("Client secret: "), error);
  if (secret == NULL)
    return NULL;
  lk_oauth_client_client_credentials_async (client, secret, NULL, cli->cancellable,
                                            lk_cli_store_result_cb, &result);
  tokens = lk_oauth_client_client_credentials_finish (client, lk_cli_wait (&result), error);
  if (tokens == NULL)
    {
      lk_secret_wipe (secret);
      return NULL;
    }
  /* Kept in the keyring: an app-only account "refreshes" with it. */
  lk_secret_wipe (tokens->client_secret);
  tokens->client_secret = secret;
  return tokens;
}

/**
 * lk_cli_sign_in:
 *
 * Signs @account in the way @mode says and returns the tokens; stores
 * nothing. Cancelled by Ctrl+C (the loopback listener closes, polling stops).
 */
LkTokenSet *
lk_cli_sign_in (LkCliContext     *cli,
                LkAccount        *account,
                LkCliSignInMode   mode,
                GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  LkTokenSet *tokens = NULL;

  switch (mode)
    {
    case LK_CLI_SIGN_IN_BROWSER:
      tokens = sign_in_browser (cli, account, TRUE, &local_error);
      break;
    case LK_CLI_SIGN_IN_NO_BROWSER:
      tokens = sign_in_browser (cli, account, FALSE, &local_error);
      break;
    case LK_CLI_SIGN_IN_DEVICE:
      tokens = sign_in_device (cli, account, &local_error);
      break;
    case LK_CLI_SIGN_IN_APP_ONLY:
      tokens = sign_in_app_only (cli, account, &local_error);
      break;
    default:
      g_assert_not_reached ();
    }
  if (tokens == NULL)
    {
      if (lk_error_is_cancelled (local_error))
        g_set_error_literal (error, LK_ERROR, LK_ERROR_FAILED,
                             _("Sign-in was cancelled; nothing was saved"));
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
    }
  return tokens;
}

LkCliSignInMode
lk_cli_sign_in_mode_for (gboolean no_browser,
             gboolean device,
             gboolean app_only)
{
  if (app_only)
    return LK_CLI_SIGN_IN_APP_ONLY;
  if (device)
    return LK_CLI_SIGN_IN_DEVICE;
  if (no_browser)
    return LK_CLI_SIGN_IN_NO_BROWSER;
  return LK_CLI_SIGN_IN_BROWSER;
}

/**
 * lk_cli_sign_in_and_store:
 * @replace: whether an existing account is signed in again (login) or must
 *   not exist (add)
 *
 * Signs in, then stores the tokens and the account; prints the outcome and
 * returns the exit status.
 */
int
lk_cli_sign_in_and_store (LkCliContext    *cli,
                   LkAccount       *account,
                   LkCliSignInMode  mode,
                   gboolean         replace)
{
  g_autoptr(LkTokenSet) tokens = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) checked = NULL;
  g_autoptr(GError) error = NULL;

  /* A locked keyring is said now, not after the person signed in. */
  lk_token_store_check_async (lk_token_store_get_default (), account->email, cli->cancellable,
                              lk_cli_store_result_cb, &checked);
  if (!lk_token_store_check_finish (lk_token_store_get_default (), lk_cli_wait (&checked), &error))
    return lk_cli_fail (error);

  tokens = lk_cli_sign_in (cli, account, mode, &error);
  if (tokens == NULL)
    return lk_cli_fail_explained (error, account, LK_DIAGNOSE_PHASE_SIGN_IN);

  if (tokens->id_name != NULL)
    {
      g_free (account->display_name);
      account->display_name = g_strdup (tokens->id_name);
    }
  account->state = LK_ACCOUNT_STATE_UNTESTED;
  lk_token_manager_store_initial_async (cli->tokens, account, tokens, replace, cli->cancellable,
                                        lk_cli_store_result_cb, &result);
  if (!lk_token_manager_store_initial_finish (cli->tokens, lk_cli_wait (&result), &error))
    return lk_cli_fail (error);

  if (tokens->refresh_token == NULL && account->flow != LK_FLOW_APP_ONLY)
    {
      /* Saved, but it will stop working within the hour: say so now. */
      g_printerr (_("Signed in, but %s gave no refresh token: %s will need a new sign-in "
                    "(“latchkey-cli login %s”) each time its access token expires, usually "
                    "after an hour. Usually the profile’s scopes lack “offline_access”; "
                    "add it to “scopes.extra” and sign in again.\n"),
                  account->provider->name, account->email, account->email);
      return LK_EXIT_OK;
    }
  if (tokens->id_username != NULL)
    /* Translators: the first %s is the user name the provider reports,
     * the other two are the account's address */
    g_printerr (_("Signed in as %s. Test the account with “latchkey-cli test %s”, and set up a "
                  "mail client with “latchkey-cli export %s --client msmtp” (see --list-clients).\n"),
                tokens->id_username, account->email, account->email);
  else
    g_printerr (_("Signed in. Test the account with “latchkey-cli test %s”, and set up a mail "
                  "client with “latchkey-cli export %s --client msmtp” (see --list-clients).\n"),
                account->email, account->email);
  return LK_EXIT_OK;
}
