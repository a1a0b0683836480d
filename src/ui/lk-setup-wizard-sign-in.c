/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The wizard's sign-in flow: the keyring first, then the browser (or a
 * code on another device), then the tokens saved, keyring item first. A
 * failure becomes core's diagnosis on the sign-in page. */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "diagnose/lk-diagnose.h"
#include "lk-error.h"
#include "lk-setup-wizard-private.h"
#include "lk-ui-util.h"
#include "providers/lk-microsoft.h"
#include "store/lk-token-store.h"

/* Forgets the failure shown, and the tenant looked up for it. */
void
lk_setup_wizard_clear_sign_in (LkSetupWizard *self)
{
  g_clear_error (&self->sign_in_error);
  g_clear_pointer (&self->redirect_uri, g_free);
}

static LkDiagnosis *
diagnose_sign_in (LkSetupWizard *self)
{
  LkDiagnoseInput input = { 0 };
  g_autofree char *scope = NULL;

  scope = lk_provider_dup_scope_string (self->account->provider, self->account->protocols);
  input.error = self->sign_in_error;
  input.phase = LK_DIAGNOSE_PHASE_SIGN_IN;
  input.account = self->account;
  input.scope = scope;
  input.redirect_uri = self->redirect_uri;
  input.tenant = self->consent_tenant;
  return lk_diagnose (&input);
}

static void
consent_tenant_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(LkSetupWizard) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LkDiagnosis) diagnosis = NULL;
  g_autofree char *tenant = lk_microsoft_tenant_resolve_finish (result, &error);

  if (tenant == NULL)
    {
      /* The link keeps the domain, which Microsoft accepts too. */
      if (!lk_error_is_cancelled (error))
        g_debug ("No tenant id for the consent link: %s", error->message);
      return;
    }
  g_free (self->consent_tenant);
  self->consent_tenant = g_steal_pointer (&tenant);
  if (self->sign_in_error == NULL || self->sign_in_page == NULL)
    return;
  diagnosis = diagnose_sign_in (self);
  if (diagnosis != NULL)
    lk_sign_in_page_show_diagnosis (self->sign_in_page, diagnosis);
}

/* An account that names no organisation gets the admin consent link for
 * its address's domain; `latchkey-cli admin consent-url` and the IT window
 * look a domain's tenant id up (lk_microsoft_tenant_resolve_async()), so
 * this page does too, and IT is handed one link whichever they use. The
 * question goes to the identity provider the person just signed in at. */
static void
resolve_consent_tenant (LkSetupWizard *self,
                        LkDiagnosis   *diagnosis)
{
  const char *at = strrchr (self->account->email, '@');

  if (diagnosis->url_kind != LK_DIAGNOSIS_LINK_ADMIN_CONSENT || self->consent_tenant != NULL ||
      !lk_microsoft_tenant_is_placeholder (lk_account_get_tenant (self->account)) ||
      g_strcmp0 (self->account->provider->kind, "microsoft") != 0 || at == NULL ||
      !lk_microsoft_tenant_check (at + 1, NULL))
    return;
  lk_microsoft_tenant_resolve_async (self->account->provider, at + 1, self->step_cancellable,
                                     consent_tenant_cb, g_object_ref (self));
}

static void
show_sign_in_error (LkSetupWizard *self,
                    const GError  *error)
{
  g_autoptr(LkDiagnosis) diagnosis = NULL;

  self->signing_in = FALSE;
  if (lk_error_is_cancelled (error))
    {
      lk_sign_in_page_show_intro (self->sign_in_page);
      lk_setup_wizard_update (self);
      return;
    }

  lk_setup_wizard_clear_sign_in (self);
  self->sign_in_error = g_error_copy (error);
  if (self->browser_sign_in != NULL)
    self->redirect_uri = g_strdup (lk_browser_sign_in_get_redirect_uri (self->browser_sign_in));
  diagnosis = diagnose_sign_in (self);
  lk_sign_in_page_show_diagnosis (self->sign_in_page, diagnosis);
  resolve_consent_tenant (self, diagnosis);
  lk_setup_wizard_update (self);
}

/* Without a refresh token the account stops working with its first access
 * token, usually within the hour; say so while the person is here. */
static void
warn_without_refresh_token (LkSetupWizard *self)
{
  g_autofree char *text = NULL;

  /* Translators: the first %s is a provider ("Microsoft 365"), the second
   * an e-mail address. */
  text = g_strdup_printf (_("%s gave no refresh token: %s must be signed in again each time "
                            "its key expires, usually after an hour. Usually the profile’s "
                            "scopes lack “offline_access”; ask whoever made the profile."),
                          self->account->provider->name, self->account->email);
  lk_ui_toast_error (GTK_WIDGET (self), text);
}

typedef struct
{
  LkSetupWizard *self;
  gboolean       without_refresh_token;
} StoreCall;

static void
stored_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  StoreCall *call = user_data;
  g_autoptr(LkSetupWizard) self = call->self;
  gboolean without_refresh_token = call->without_refresh_token;
  g_autoptr(GError) error = NULL;

  g_free (call);
  if (!lk_token_manager_store_initial_finish (LK_TOKEN_MANAGER (source), result, &error))
    {
      if (!lk_error_is_cancelled (error))
        show_sign_in_error (self, error);
      return;
    }

  self->signing_in = FALSE;
  lk_setup_wizard_clear_sign_in (self);
  if (without_refresh_token)
    warn_without_refresh_token (self);
  lk_setup_wizard_signed_in (self);
}

/* Tokens in hand: keyring item, then account file, then the tests. */
static void
signed_in (LkSetupWizard *self,
           LkTokenSet    *signed_in_tokens)
{
  /* The keyring keeps them from here on; the test asks the token manager. */
  g_autoptr(LkTokenSet) tokens = signed_in_tokens;
  StoreCall *call = g_new0 (StoreCall, 1);

  if (self->account->display_name == NULL && tokens->id_name != NULL)
    self->account->display_name = g_strdup (tokens->id_name);
  call->self = g_object_ref (self);
  call->without_refresh_token = tokens->refresh_token == NULL &&
                                self->account->flow != LK_FLOW_APP_ONLY;
  /* An existing account (Sign In Again, or this wizard's own once saved)
   * is replaced; a new address must not be there already. */
  lk_token_manager_store_initial_async (self->tokens, self->account, tokens,
                                        self->task != LK_SETUP_WIZARD_ADD || self->saved,
                                        self->cancellable, stored_cb, call);
}

static void
browser_sign_in_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(LkSetupWizard) self = user_data;
  g_autoptr(GError) error = NULL;
  LkTokenSet *tokens;

  tokens = lk_browser_sign_in_run_finish (LK_BROWSER_SIGN_IN (source), result, &error);
  if (tokens == NULL)
    {
      if (!lk_error_is_cancelled (error))
        show_sign_in_error (self, error);
      return;
    }
  gtk_window_present (GTK_WINDOW (self));
  self->account->flow = LK_FLOW_BROWSER;
  signed_in (self, tokens);
}

static void
start_browser_sign_in (LkSetupWizard *self)
{
  g_autoptr(GError) error = NULL;
  const char *url;

  g_clear_object (&self->browser_sign_in);
  self->browser_sign_in = lk_browser_sign_in_new_for_account (self->account, &error);
  if (self->browser_sign_in == NULL || !lk_browser_sign_in_prepare (self->browser_sign_in, &error))
    {
      show_sign_in_error (self, error);
      return;
    }
  url = lk_browser_sign_in_get_authorization_url (self->browser_sign_in);
  lk_sign_in_page_show_waiting (self->sign_in_page, url);
  lk_browser_sign_in_run_async (self->browser_sign_in, self->step_cancellable, browser_sign_in_cb,
                                g_object_ref (self));

  lk_ui_open_uri (GTK_WIDGET (self), url, self->step_cancellable);
}

static void
device_poll_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(LkSetupWizard) self = user_data;
  g_autoptr(GError) error = NULL;
  LkTokenSet *tokens;

  tokens = lk_oauth_client_device_poll_finish (LK_OAUTH_CLIENT (source), result, &error);
  if (tokens == NULL)
    {
      if (!lk_error_is_cancelled (error))
        show_sign_in_error (self, error);
      return;
    }
  self->account->flow = LK_FLOW_DEVICE;
  signed_in (self, tokens);
}

static void
device_start_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(LkSetupWizard) self = user_data;
  g_autoptr(GError) error = NULL;
  LkDeviceAuthorization *authorization;

  authorization = lk_oauth_client_device_start_finish (LK_OAUTH_CLIENT (source), result, &error);
  if (authorization == NULL)
    {
      if (!lk_error_is_cancelled (error))
        show_sign_in_error (self, error);
      return;
    }
  g_clear_pointer (&self->device_authorization, lk_device_authorization_free);
  self->device_authorization = authorization;
  lk_sign_in_page_show_device (self->sign_in_page, authorization->user_code,
                               authorization->verification_uri);
  lk_oauth_client_device_poll_async (self->device_client, authorization, self->step_cancellable,
                                     device_poll_cb, g_object_ref (self));
}

static void
start_device_sign_in (LkSetupWizard *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *scope = NULL;

  g_clear_object (&self->device_client);
  self->device_client = lk_oauth_client_new_for_account (self->account, &error);
  if (self->device_client == NULL)
    {
      show_sign_in_error (self, error);
      return;
    }
  scope = lk_provider_dup_scope_string (self->account->provider, self->account->protocols);
  lk_sign_in_page_show_waiting (self->sign_in_page, NULL);
  lk_oauth_client_device_start_async (self->device_client, scope, self->step_cancellable,
                                      device_start_cb, g_object_ref (self));
}

typedef struct
{
  LkSetupWizard *self;
  gboolean       use_device;
} StartCall;

/* The keyring answers and is not locked: now the browser may open. */
static void
keyring_checked_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  StartCall *call = user_data;
  g_autoptr(LkSetupWizard) self = call->self;
  gboolean use_device = call->use_device;
  g_autoptr(GError) error = NULL;

  g_free (call);
  if (!lk_token_store_check_finish (LK_TOKEN_STORE (source), result, &error))
    {
      if (!lk_error_is_cancelled (error))
        show_sign_in_error (self, error);
      return;
    }
  if (use_device)
    start_device_sign_in (self);
  else
    start_browser_sign_in (self);
}

/* Sign In (or Try Again, or the other way of signing in). A locked
 * keyring is said before anyone signs in, not after, as `latchkey-cli
 * add` does: the tokens could not be kept. */
void
lk_setup_wizard_sign_in_start_cb (LkSetupWizard *self,
                                  gboolean       use_device)
{
  StartCall *call;

  if (self->account == NULL || self->signing_in)
    return;
  self->signing_in = TRUE;
  lk_setup_wizard_clear_sign_in (self);
  call = g_new0 (StartCall, 1);
  call->self = g_object_ref (self);
  call->use_device = use_device;
  lk_token_store_check_async (lk_token_store_get_default (), self->account->email,
                              lk_setup_wizard_restart_step (self),
                              keyring_checked_cb, call);
  lk_setup_wizard_update (self);
}

/* What runs for the sign-in stops: the listener closes or the poll ends;
 * nothing is saved. */
void
lk_setup_wizard_stop_sign_in (LkSetupWizard *self)
{
  g_cancellable_cancel (self->step_cancellable);
  g_clear_object (&self->browser_sign_in);
  self->signing_in = FALSE;
}

/* Cancel on the page (or the other way of signing in). */
void
lk_setup_wizard_sign_in_cancel_cb (LkSetupWizard *self)
{
  lk_setup_wizard_stop_sign_in (self);
  lk_setup_wizard_update (self);
}

/**
 * lk_setup_wizard_show_token_error:
 *
 * The test could not get a key: the sign-in page says why, and when the
 * provider refused the saved sign-in, offers to sign in again.
 */
void
lk_setup_wizard_show_token_error (LkSetupWizard *self,
                                  const GError  *error)
{
  LkDiagnoseInput input = { 0 };
  g_autoptr(LkDiagnosis) diagnosis = NULL;

  input.error = error;
  input.phase = LK_DIAGNOSE_PHASE_REFRESH;
  input.account = self->account;
  diagnosis = lk_diagnose (&input);
  lk_sign_in_page_show_diagnosis (self->sign_in_page, diagnosis);
  if (g_error_matches (error, LK_ERROR, LK_ERROR_NEEDS_SIGN_IN))
    {
      /* The token manager marked the account "needs sign-in" (the list
       * shows it); this window's task becomes signing in again. */
      lk_sign_in_page_set_retry_label (self->sign_in_page, _("Sign In _Again"));
      if (self->task == LK_SETUP_WIZARD_TEST)
        lk_setup_wizard_set_task (self, LK_SETUP_WIZARD_SIGN_IN_AGAIN);
      lk_setup_wizard_account_changed (self);
    }
  lk_setup_wizard_show_step (self, "sign-in");
}
