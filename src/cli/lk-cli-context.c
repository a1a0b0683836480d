/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <unistd.h>

#include "lk-cli-context.h"
#include "lk-error.h"
#include "oauth/lk-oauth-refresher.h"

static gboolean
show_stop_hint_cb (gpointer user_data)
{
  LkCliContext *self = user_data;

  self->hint_id = 0;
  g_printerr (_("%s: finishing what is under way so that nothing is lost (a refresh the "
                "provider may already have answered); press Ctrl+C again to stop at once.\n"),
              g_get_prgname ());
  return G_SOURCE_REMOVE;
}

/* Ctrl+C always works (issue #19 §4): the first cancels everything, and
 * what can be abandoned ends at once; a refresh already at the provider is
 * finished (its rotated token stored), and if that takes a while, a second
 * Ctrl+C ends the program there and then. */
static gboolean
cancel_on_signal_cb (gpointer user_data)
{
  LkCliContext *self = user_data;

  if (++self->signals >= 2)
    {
      g_printerr (_("%s: stopped at once; a refresh that was under way may be lost. If the "
                    "next command says the account needs to sign in again, run "
                    "“latchkey-cli login”.\n"), g_get_prgname ());
      _exit (130);
    }
  g_cancellable_cancel (self->cancellable);
  if (self->hint_id == 0)
    self->hint_id = g_timeout_add (700, show_stop_hint_cb, self);
  return G_SOURCE_CONTINUE;
}

/* SIGHUP comes once (the terminal closed): finish, never stop at once. */
static gboolean
cancel_on_hangup_cb (gpointer user_data)
{
  LkCliContext *self = user_data;

  g_cancellable_cancel (self->cancellable);
  return G_SOURCE_CONTINUE;
}

LkCliContext *
lk_cli_context_new (void)
{
  LkCliContext *self = g_new0 (LkCliContext, 1);
  g_autoptr(LkOAuthRefresher) refresher = lk_oauth_refresher_new ();

  self->registry = lk_provider_registry_new ();
  lk_provider_registry_load (self->registry);
  self->accounts = lk_account_store_new (NULL);
  self->tokens = lk_token_manager_new (self->accounts, LK_TOKEN_REFRESHER (refresher));
  self->cancellable = g_cancellable_new ();
  self->sigint_id = g_unix_signal_add (SIGINT, cancel_on_signal_cb, self);
  self->sigterm_id = g_unix_signal_add (SIGTERM, cancel_on_signal_cb, self);
  /* A closed terminal, or a mail client whose password command outlived
   * its parent: without this the default action would end us between the
   * provider rotating the refresh token and the keyring storing it. */
  self->sighup_id = g_unix_signal_add (SIGHUP, cancel_on_hangup_cb, self);
  return self;
}

void
lk_cli_context_free (LkCliContext *self)
{
  g_clear_handle_id (&self->sigint_id, g_source_remove);
  g_clear_handle_id (&self->sigterm_id, g_source_remove);
  g_clear_handle_id (&self->sighup_id, g_source_remove);
  g_clear_handle_id (&self->hint_id, g_source_remove);
  g_clear_object (&self->tokens);
  g_clear_object (&self->accounts);
  g_clear_object (&self->registry);
  g_clear_object (&self->cancellable);
  g_free (self);
}

/**
 * lk_cli_context_load_account:
 *
 * Loads an account, with a message that says how to add it when it does not
 * exist.
 */
LkAccount *
lk_cli_context_load_account (LkCliContext  *self,
                             const char    *email,
                             GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  LkAccount *account = lk_account_store_load (self->accounts, email, &local_error);

  if (account == NULL && g_error_matches (local_error, LK_ERROR, LK_ERROR_NOT_FOUND))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("There is no account %s; add it with “latchkey-cli add %s” "
                     "(“latchkey-cli list” shows the accounts)"), email, email);
      return NULL;
    }
  if (account == NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return account;
}

/* A GAsyncReadyCallback that keeps the result in *user_data, for lk_cli_wait(). */
void
lk_cli_store_result_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

/**
 * lk_cli_wait:
 *
 * Runs the main context until an operation started with
 * lk_cli_store_result_cb() and @slot has finished; the CLI drives the same
 * async API as the GUI.
 *
 * Returns: (transfer none): *@slot
 */
GAsyncResult *
lk_cli_wait (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}
