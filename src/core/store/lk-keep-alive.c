/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-store"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-sign-in-notice.h"
#include "store/lk-keep-alive.h"
#include "store/lk-token-store.h"

/**
 * LkKeepAlive:
 *
 * Keeps every account's sign-in alive while nothing uses it: a refresh
 * token unused for long dies (Microsoft: 90 days of inactivity,
 * learn.microsoft.com/entra/identity-platform/refresh-tokens), so an
 * account whose access token expired more than @days ago (it was last
 * refreshed then, or earlier) is refreshed now. An account that turns out
 * to need signing in again raises the desktop notification. App-only
 * accounts have no refresh token and are left alone. One account at a
 * time: it is a background chore.
 */
struct _LkKeepAlive
{
  GObject         parent_instance;
  LkAccountStore *accounts;
  LkTokenManager *tokens;
  LkTokenStore   *store;      /* lk_token_store_get_default() when made */
  guint           days;
};

G_DEFINE_FINAL_TYPE (LkKeepAlive, lk_keep_alive, G_TYPE_OBJECT)

static void
lk_keep_alive_finalize (GObject *object)
{
  LkKeepAlive *self = LK_KEEP_ALIVE (object);

  g_clear_object (&self->accounts);
  g_clear_object (&self->tokens);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (lk_keep_alive_parent_class)->finalize (object);
}

static void
lk_keep_alive_class_init (LkKeepAliveClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_keep_alive_finalize;
}

static void
lk_keep_alive_init (LkKeepAlive *self)
{
}

/**
 * lk_keep_alive_new:
 * @days: refresh an account not refreshed for this many days; 0 never
 */
LkKeepAlive *
lk_keep_alive_new (LkAccountStore *accounts,
                   LkTokenManager *tokens,
                   guint           days)
{
  LkKeepAlive *self = g_object_new (LK_TYPE_KEEP_ALIVE, NULL);

  self->accounts = g_object_ref (accounts);
  self->tokens = g_object_ref (tokens);
  self->store = g_object_ref (lk_token_store_get_default ());
  self->days = days;
  return self;
}

void
lk_keep_alive_set_days (LkKeepAlive *self,
                        guint        days)
{
  self->days = days;
}

typedef struct
{
  GPtrArray *accounts;      /* LkAccount still to look at */
  guint      next;
  guint      refreshed;
  gboolean   notify_all;
} Pass;

static void
pass_free (Pass *pass)
{
  g_ptr_array_unref (pass->accounts);
  g_free (pass);
}

static void next_account (GTask *task);

static void
needs_sign_in (LkAccount *account)
{
  g_message ("%s needs to sign in again; its mail programs are refused until then",
             account->email);
  lk_sign_in_notice_send_async (account, NULL, NULL, NULL);
}

static void
refreshed_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  Pass *pass = g_task_get_task_data (task);
  LkAccount *account = g_ptr_array_index (pass->accounts, pass->next - 1);
  g_autoptr(LkTokenSet) tokens = NULL;
  g_autoptr(GError) error = NULL;

  tokens = lk_token_manager_get_token_finish (LK_TOKEN_MANAGER (source), result, &error);
  if (tokens != NULL)
    {
      pass->refreshed++;
      g_message ("Refreshed the sign-in of %s, unused for a long time, to keep it alive",
                 account->email);
    }
  else if (g_error_matches (error, LK_ERROR, LK_ERROR_NEEDS_SIGN_IN))
    needs_sign_in (account);
  else
    g_warning ("Could not refresh the sign-in of %s to keep it alive: %s", account->email,
               error->message);
  next_account (task);
}

static void
looked_up_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  LkKeepAlive *self = g_task_get_source_object (task);
  Pass *pass = g_task_get_task_data (task);
  LkAccount *account = g_ptr_array_index (pass->accounts, pass->next - 1);
  g_autoptr(LkTokenSet) tokens = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  tokens = lk_token_store_lookup_finish (LK_TOKEN_STORE (source), result, &error);
  if (tokens == NULL || tokens->refresh_token == NULL)
    {
      if (tokens != NULL || g_error_matches (error, LK_ERROR, LK_ERROR_NOT_FOUND))
        {
          if (pass->notify_all)
            needs_sign_in (account);
        }
      else
        g_warning ("Cannot read the sign-in of %s: %s", account->email, error->message);
      next_account (task);
      return;
    }
  if (tokens->expires_at == 0 || now - tokens->expires_at < (gint64) self->days * 86400)
    {
      next_account (task);
      return;
    }
  lk_token_manager_get_token_async (self->tokens, account, TRUE, NULL, refreshed_cb, task);
}

static void
next_account (GTask *task)
{
  Pass *pass = g_task_get_task_data (task);

  while (pass->next < pass->accounts->len)
    {
      LkAccount *account = g_ptr_array_index (pass->accounts, pass->next++);

      if (account->flow == LK_FLOW_APP_ONLY)
        continue;
      if (g_task_return_error_if_cancelled (task))
        {
          g_object_unref (task);
          return;
        }
      lk_token_store_lookup_async (LK_KEEP_ALIVE (g_task_get_source_object (task))->store,
                                   account->email, NULL, looked_up_cb, task);
      return;
    }
  g_task_return_int (task, pass->refreshed);
  g_object_unref (task);
}

/**
 * lk_keep_alive_run_async:
 * @notify_all: also notify about accounts that already needed signing in
 *   (the first pass after start); otherwise only about those found so now
 *
 * One pass over every account.
 */
void
lk_keep_alive_run_async (LkKeepAlive         *self,
                         gboolean             notify_all,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  Pass *pass = g_new0 (Pass, 1);

  g_task_set_source_tag (task, lk_keep_alive_run_async);
  pass->notify_all = notify_all;
  pass->accounts = self->days > 0 ? lk_account_store_list (self->accounts, NULL, &error) : NULL;
  if (pass->accounts == NULL)
    pass->accounts = g_ptr_array_new ();
  if (error != NULL)
    g_warning ("%s", error->message);
  g_task_set_task_data (task, pass, (GDestroyNotify) pass_free);
  next_account (task);
}

/**
 * lk_keep_alive_run_finish:
 *
 * Returns: how many accounts were refreshed
 */
guint
lk_keep_alive_run_finish (LkKeepAlive   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  gssize refreshed;

  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  /* Once: MAX() evaluates its arguments twice, and a GTask's result can
   * be taken only once. */
  refreshed = g_task_propagate_int (G_TASK (result), error);
  return (guint) MAX (refreshed, 0);
}
