/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-oauth"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "oauth/lk-oauth-client.h"
#include "oauth/lk-oauth-refresher.h"

/**
 * LkOAuthRefresher:
 *
 * Plugs the OAuth engine into the token manager: a refresh-token grant for
 * delegated accounts, a new client-credentials grant for app-only ones.
 */
struct _LkOAuthRefresher
{
  GObject parent_instance;
};

static void lk_oauth_refresher_iface_init (LkTokenRefresherInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LkOAuthRefresher, lk_oauth_refresher, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (LK_TYPE_TOKEN_REFRESHER,
                                                      lk_oauth_refresher_iface_init))

LkOAuthRefresher *
lk_oauth_refresher_new (void)
{
  return g_object_new (LK_TYPE_OAUTH_REFRESHER, NULL);
}

static void
refresh_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LkOAuthClient *client = LK_OAUTH_CLIENT (object);
  LkAccount *account = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  LkTokenSet *rotated = NULL;
  LkTokenSet *tokens;

  if (account->flow == LK_FLOW_APP_ONLY)
    tokens = lk_oauth_client_client_credentials_finish (client, result, &error);
  else
    tokens = lk_oauth_client_refresh_finish (client, result, &rotated, &error);
  if (tokens == NULL)
    {
      /* Beside the error, never in it: see lk_token_response_parse(). */
      if (rotated != NULL)
        g_object_set_data_full (G_OBJECT (task), "lk-rotated", rotated,
                                (GDestroyNotify) lk_token_set_free);
      g_task_return_error (task, g_steal_pointer (&error));
    }
  else
    g_task_return_pointer (task, tokens, (GDestroyNotify) lk_token_set_free);
}

static void
lk_oauth_refresher_refresh_async (LkTokenRefresher    *refresher,
                                  LkAccount           *account,
                                  const LkTokenSet    *current,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (refresher, cancellable, callback, user_data);
  g_autoptr(LkOAuthClient) client = NULL;
  g_autoptr(GError) error = NULL;

  g_task_set_source_tag (task, lk_oauth_refresher_refresh_async);
  g_task_set_task_data (task, lk_account_ref (account), (GDestroyNotify) lk_account_unref);

  client = lk_oauth_client_new_for_account (account, &error);
  if (client == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (account->flow == LK_FLOW_APP_ONLY)
    {
      if (current->client_secret == NULL || account->provider->app_only_scope == NULL)
        {
          g_autoptr(GError) error = NULL;

          g_set_error (&error, LK_ERROR, LK_ERROR_NEEDS_SIGN_IN,
                       _("The app-only account %s has no client secret or scope; add it "
                         "again as an app-only account"), account->email);
          lk_error_set_remedy (error, LK_REMEDY_ADD_APP_ONLY, account->email);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      lk_oauth_client_client_credentials_async (client, current->client_secret,
                                                account->provider->app_only_scope,
                                                cancellable, refresh_cb, g_steal_pointer (&task));
    }
  else
    {
      g_autofree char *scope = lk_provider_dup_scope_string (account->provider,
                                                             account->protocols);

      if (current->refresh_token == NULL)
        {
          g_autoptr(GError) error = NULL;

          g_set_error (&error, LK_ERROR, LK_ERROR_NEEDS_SIGN_IN,
                       _("There is no refresh token for %s; sign it in again"), account->email);
          lk_error_set_remedy (error, LK_REMEDY_SIGN_IN, account->email);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      lk_oauth_client_refresh_async (client, current, scope, cancellable, refresh_cb,
                                     g_steal_pointer (&task));
    }
}

static LkTokenSet *
lk_oauth_refresher_refresh_finish (LkTokenRefresher  *refresher,
                                   GAsyncResult      *result,
                                   LkTokenSet       **out_rotated,
                                   GError           **error)
{
  *out_rotated = g_object_steal_data (G_OBJECT (result), "lk-rotated");
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
lk_oauth_refresher_iface_init (LkTokenRefresherInterface *iface)
{
  iface->refresh_async = lk_oauth_refresher_refresh_async;
  iface->refresh_finish = lk_oauth_refresher_refresh_finish;
}

static void
lk_oauth_refresher_class_init (LkOAuthRefresherClass *klass)
{
}

static void
lk_oauth_refresher_init (LkOAuthRefresher *self)
{
}
