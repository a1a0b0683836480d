/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-oauth"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-browser-sign-in.h"
#include "lk-error.h"
#include "lk-pkce.h"

/**
 * LkBrowserSignIn:
 *
 * The whole authorization code + PKCE flow: prepare() opens the loopback
 * receiver and builds the URL for the caller to open or copy; run_async()
 * waits for the browser, checks state and iss, exchanges the code and
 * returns the tokens. One sign-in per object.
 */
struct _LkBrowserSignIn
{
  GObject             parent_instance;

  LkOAuthClient      *client;
  char               *scope;
  char               *login_hint;
  char               *prompt;
  guint               timeout_seconds;

  LkPkce             *pkce;
  char               *state;
  LkLoopbackReceiver *receiver;
  char               *authorization_url;
  gboolean            running;
};

G_DEFINE_FINAL_TYPE (LkBrowserSignIn, lk_browser_sign_in, G_TYPE_OBJECT)

static void
lk_browser_sign_in_finalize (GObject *object)
{
  LkBrowserSignIn *self = LK_BROWSER_SIGN_IN (object);

  if (self->receiver != NULL)
    lk_loopback_receiver_stop (self->receiver);
  g_clear_object (&self->receiver);
  g_clear_object (&self->client);
  g_free (self->scope);
  g_free (self->login_hint);
  g_free (self->prompt);
  g_clear_pointer (&self->pkce, lk_pkce_free);
  g_free (self->state);
  g_free (self->authorization_url);
  G_OBJECT_CLASS (lk_browser_sign_in_parent_class)->finalize (object);
}

static void
lk_browser_sign_in_class_init (LkBrowserSignInClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_browser_sign_in_finalize;
}

static void
lk_browser_sign_in_init (LkBrowserSignIn *self)
{
  self->timeout_seconds = LK_LOOPBACK_DEFAULT_TIMEOUT;
}

/**
 * lk_browser_sign_in_new:
 * @scope: space-separated scopes to ask for
 * @login_hint: (nullable): the address to pre-fill
 */
LkBrowserSignIn *
lk_browser_sign_in_new (LkOAuthClient *client,
                        const char    *scope,
                        const char    *login_hint)
{
  LkBrowserSignIn *self = g_object_new (LK_TYPE_BROWSER_SIGN_IN, NULL);

  self->client = g_object_ref (client);
  self->scope = g_strdup (scope);
  self->login_hint = g_strdup (login_hint);
  return self;
}

/* Scopes from the account's protocols plus the profile's extra ones. */
LkBrowserSignIn *
lk_browser_sign_in_new_for_account (LkAccount  *account,
                                    GError    **error)
{
  g_autoptr(LkOAuthClient) client = lk_oauth_client_new_for_account (account, error);
  g_autofree char *scope = NULL;

  if (client == NULL)
    return NULL;
  scope = lk_provider_dup_scope_string (account->provider, account->protocols);
  return lk_browser_sign_in_new (client, scope, lk_account_get_login_hint (account));
}

/* "select_account", "consent", "login" or NULL; call before prepare(). */
void
lk_browser_sign_in_set_prompt (LkBrowserSignIn *self,
                               const char      *prompt)
{
  g_free (self->prompt);
  self->prompt = g_strdup (prompt);
}

void
lk_browser_sign_in_set_timeout (LkBrowserSignIn *self,
                                guint            seconds)
{
  self->timeout_seconds = seconds;
}

LkOAuthClient *
lk_browser_sign_in_get_client (LkBrowserSignIn *self)
{
  return self->client;
}

/**
 * lk_browser_sign_in_prepare:
 *
 * Makes the verifier and state, starts listening on loopback and builds the
 * authorization URL. The timeout runs from here.
 */
gboolean
lk_browser_sign_in_prepare (LkBrowserSignIn  *self,
                            GError          **error)
{
  LkProvider *provider = lk_oauth_client_get_provider (self->client);
  g_autoptr(LkLoopbackReceiver) receiver = NULL;

  g_return_val_if_fail (LK_IS_BROWSER_SIGN_IN (self), FALSE);
  g_return_val_if_fail (self->receiver == NULL, FALSE);

  self->pkce = lk_pkce_new ();
  self->state = lk_oauth_new_state ();
  receiver = lk_loopback_receiver_new (provider->redirect_host, self->state);
  lk_loopback_receiver_set_issuer (receiver, provider->issuer,
                                   lk_oauth_client_get_tenant (self->client));
  lk_loopback_receiver_set_timeout (receiver, self->timeout_seconds);
  if (!lk_loopback_receiver_listen (receiver, error))
    return FALSE;
  self->authorization_url =
    lk_oauth_client_build_authorization_url (self->client,
                                             lk_loopback_receiver_get_redirect_uri (receiver),
                                             self->scope, self->state, self->pkce->challenge,
                                             self->login_hint, self->prompt, error);
  if (self->authorization_url == NULL)
    {
      lk_loopback_receiver_stop (receiver);
      return FALSE;
    }
  self->receiver = g_steal_pointer (&receiver);
  return TRUE;
}

const char *
lk_browser_sign_in_get_authorization_url (LkBrowserSignIn *self)
{
  return self->authorization_url;
}

const char *
lk_browser_sign_in_get_redirect_uri (LkBrowserSignIn *self)
{
  return self->receiver != NULL ? lk_loopback_receiver_get_redirect_uri (self->receiver) : NULL;
}

static void
exchange_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LkTokenSet *tokens;
  GError *error = NULL;

  tokens = lk_oauth_client_exchange_code_finish (LK_OAUTH_CLIENT (source), result, &error);
  if (tokens == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, tokens, (GDestroyNotify) lk_token_set_free);
}

static void
wait_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LkBrowserSignIn *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;
  char *code;

  code = lk_loopback_receiver_wait_finish (LK_LOOPBACK_RECEIVER (source), result, &error);
  if (code == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  lk_oauth_client_exchange_code_async (self->client, code, self->pkce->verifier,
                                       lk_loopback_receiver_get_redirect_uri (self->receiver),
                                       cancellable, exchange_cb,
                                       g_steal_pointer (&task));
  lk_secret_wipe (code);
}

void
lk_browser_sign_in_run_async (LkBrowserSignIn     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LK_IS_BROWSER_SIGN_IN (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lk_browser_sign_in_run_async);
  g_task_set_check_cancellable (task, FALSE);
  if (self->receiver == NULL || self->running)
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_FAILED,
                               _("This sign-in was not prepared, or is already running."));
      return;
    }
  self->running = TRUE;
  lk_loopback_receiver_wait_async (self->receiver, cancellable, wait_cb, g_steal_pointer (&task));
}

/**
 * lk_browser_sign_in_run_finish:
 *
 * Returns: (transfer full): the tokens; NULL with the receiver's or the
 *   token endpoint's error.
 */
LkTokenSet *
lk_browser_sign_in_run_finish (LkBrowserSignIn  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
