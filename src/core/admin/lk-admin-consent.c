/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-admin"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <gnutls/crypto.h>
#include <string.h>

#include "admin/lk-admin-consent.h"
#include "diagnose/lk-diagnose.h"
#include "lk-error.h"
#include "oauth/lk-loopback-receiver.h"
#include "providers/lk-microsoft.h"
#include "store/lk-account.h"

/**
 * LkAdminConsent:
 *
 * One admin consent: the link to open on this computer (with a loopback
 * redirect that confirms the answer) or to copy to another one.
 */
struct _LkAdminConsent
{
  GObject             parent_instance;

  LkProvider         *provider;
  char               *tenant;
  char               *client_id;
  LkProtocolFlags     protocols;
  gboolean            app_only;
  guint               timeout_seconds;

  LkLoopbackReceiver *receiver;
  char               *url;
};

G_DEFINE_FINAL_TYPE (LkAdminConsent, lk_admin_consent, G_TYPE_OBJECT)

static void
lk_admin_consent_dispose (GObject *object)
{
  LkAdminConsent *self = LK_ADMIN_CONSENT (object);

  if (self->receiver != NULL)
    lk_loopback_receiver_stop (self->receiver);
  g_clear_object (&self->receiver);
  G_OBJECT_CLASS (lk_admin_consent_parent_class)->dispose (object);
}

static void
lk_admin_consent_finalize (GObject *object)
{
  LkAdminConsent *self = LK_ADMIN_CONSENT (object);

  g_clear_pointer (&self->provider, lk_provider_unref);
  g_free (self->tenant);
  g_free (self->client_id);
  g_free (self->url);
  G_OBJECT_CLASS (lk_admin_consent_parent_class)->finalize (object);
}

static void
lk_admin_consent_class_init (LkAdminConsentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lk_admin_consent_dispose;
  object_class->finalize = lk_admin_consent_finalize;
}

static void
lk_admin_consent_init (LkAdminConsent *self)
{
  self->timeout_seconds = LK_LOOPBACK_DEFAULT_TIMEOUT;
}

LkAdminConsent *
lk_admin_consent_new (LkProvider      *provider,
                      const char      *tenant,
                      const char      *client_id,
                      LkProtocolFlags  protocols,
                      gboolean         app_only)
{
  LkAdminConsent *self;

  g_return_val_if_fail (provider != NULL, NULL);

  self = g_object_new (LK_TYPE_ADMIN_CONSENT, NULL);
  self->provider = lk_provider_ref (provider);
  self->tenant = g_strdup (tenant);
  self->client_id = g_strdup (client_id);
  self->protocols = protocols != 0 ? protocols : LK_PROTOCOL_FLAG_ALL;
  self->app_only = app_only;
  return self;
}

static char *
new_state (void)
{
  guint8 raw[16];

  if (gnutls_rnd (GNUTLS_RND_NONCE, raw, sizeof raw) != 0)
    return NULL;
  return g_base64_encode (raw, sizeof raw);
}

/* base64 has "+/=", harmless once escaped, but plain is easier to read. */
static char *
new_url_safe_state (void)
{
  g_autofree char *state = new_state ();

  if (state == NULL)
    return NULL;
  g_strdelimit (state, "+", '-');
  g_strdelimit (state, "/", '_');
  g_strdelimit (state, "=", '\0');
  return g_strdup (state);
}

/**
 * lk_admin_consent_dup_link:
 *
 * The link to copy to another computer: its redirect is the registered
 * `http://localhost`, where nothing listens afterwards; the browser's
 * address bar then shows `admin_consent=True` (or the error). Nothing
 * checks a state there, so it has none, and it is the very link the
 * diagnosis and `latchkey-cli admin consent-url` give for this app.
 */
char *
lk_admin_consent_dup_link (LkAdminConsent  *self,
                           GError         **error)
{
  g_return_val_if_fail (LK_IS_ADMIN_CONSENT (self), NULL);
  return lk_microsoft_admin_consent_url (self->provider, self->tenant, self->client_id,
                                         self->protocols, self->app_only, NULL, NULL, error);
}

void
lk_admin_consent_set_timeout (LkAdminConsent *self,
                              guint           seconds)
{
  g_return_if_fail (LK_IS_ADMIN_CONSENT (self));
  self->timeout_seconds = seconds;
}

/**
 * lk_admin_consent_listen:
 *
 * Opens the loopback receiver and builds the link that comes back to it
 * (lk_admin_consent_get_url()): open that in the browser, then wait.
 */
gboolean
lk_admin_consent_listen (LkAdminConsent  *self,
                         GError         **error)
{
  g_autofree char *state = new_url_safe_state ();
  g_autoptr(LkLoopbackReceiver) receiver = NULL;
  g_autofree char *url = NULL;
  g_autofree char *redirect_uri = NULL;

  g_return_val_if_fail (LK_IS_ADMIN_CONSENT (self), FALSE);
  g_return_val_if_fail (self->receiver == NULL, FALSE);

  if (state == NULL)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_FAILED,
                           _("The system’s random number generator failed"));
      return FALSE;
    }
  /* Check the inputs before a port is opened. */
  url = lk_microsoft_admin_consent_url (self->provider, self->tenant, self->client_id,
                                        self->protocols, self->app_only, NULL, state, error);
  if (url == NULL)
    return FALSE;
  g_clear_pointer (&url, g_free);

  receiver = lk_loopback_receiver_new (self->provider->redirect_host, state);
  lk_loopback_receiver_set_admin_consent (receiver, TRUE);
  lk_loopback_receiver_set_timeout (receiver, self->timeout_seconds);
  if (!lk_loopback_receiver_listen (receiver, error))
    return FALSE;
  /* Microsoft matches http://localhost with any port, path "/" included. */
  redirect_uri = g_strdup (lk_loopback_receiver_get_redirect_uri (receiver));
  self->url = lk_microsoft_admin_consent_url (self->provider, self->tenant, self->client_id,
                                              self->protocols, self->app_only, redirect_uri,
                                              state, error);
  if (self->url == NULL)
    {
      lk_loopback_receiver_stop (receiver);
      return FALSE;
    }
  self->receiver = g_steal_pointer (&receiver);
  return TRUE;
}

const char *
lk_admin_consent_get_url (LkAdminConsent *self)
{
  g_return_val_if_fail (LK_IS_ADMIN_CONSENT (self), NULL);
  return self->url;
}

static void
wait_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *tenant;

  tenant = lk_loopback_receiver_wait_finish (LK_LOOPBACK_RECEIVER (object), result, &error);
  if (tenant == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, tenant, g_free);
}

/**
 * lk_admin_consent_wait_async:
 *
 * Waits for the browser to come back after lk_admin_consent_listen().
 */
void
lk_admin_consent_wait_async (LkAdminConsent      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, lk_admin_consent_wait_async);
  if (self->receiver == NULL)
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_FAILED,
                               _("The consent is not listening for the browser."));
      return;
    }
  lk_loopback_receiver_wait_async (self->receiver, cancellable, wait_cb, g_steal_pointer (&task));
}

/**
 * lk_admin_consent_wait_finish:
 *
 * Returns: (transfer full): the tenant that consented ("" when the answer
 *   named none), or %NULL with the error (LK_ERROR_AUTHORIZATION_DENIED
 *   with the OAuth details, LK_ERROR_STATE_MISMATCH, LK_ERROR_TIMED_OUT …);
 *   lk_admin_consent_diagnose() explains it.
 */
char *
lk_admin_consent_wait_finish (LkAdminConsent  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * lk_admin_consent_diagnose:
 *
 * What went wrong with the consent, and who can fix it.
 */
LkDiagnosis *
lk_admin_consent_diagnose (LkAdminConsent *self,
                           const GError   *error)
{
  LkDiagnoseInput in = { 0 };
  g_autoptr(LkAccount) account = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *email = NULL;
  LkDiagnosis *d;

  g_return_val_if_fail (LK_IS_ADMIN_CONSENT (self), NULL);
  g_return_val_if_fail (error != NULL, NULL);

  /* The diagnosis reads tenant, client id and flow from an account; this
   * one stands for the organisation. */
  email = g_strdup_printf ("admin@%s", lk_guid_is_valid (self->tenant) ? "organisation.invalid"
                                                                        : self->tenant);
  account = lk_account_new (email, self->provider);
  account->tenant = g_strdup (self->tenant);
  account->client_id = g_strdup (self->client_id);
  account->protocols = self->protocols;
  account->flow = self->app_only ? LK_FLOW_APP_ONLY : LK_FLOW_BROWSER;
  scope = lk_microsoft_admin_consent_scope (self->provider, self->protocols, self->app_only, NULL);

  in.error = error;
  in.phase = LK_DIAGNOSE_PHASE_SIGN_IN;
  in.account = account;
  in.scope = scope;
  in.redirect_uri = self->receiver != NULL ? lk_loopback_receiver_get_redirect_uri (self->receiver)
                                           : "http://localhost";
  d = lk_diagnose (&in);
  if (d != NULL && (d->fixer == LK_FIXER_UNKNOWN || g_strcmp0 (d->id, "access-denied") == 0) &&
      g_error_matches (error, LK_ERROR, LK_ERROR_AUTHORIZATION_DENIED))
    {
      /* Declined on the consent page (AADSTS65004), or an AADSTS number the
       * general diagnosis does not know: here it is the administrator who
       * declined, or may not consent — not a user's sign-in. */
      const LkErrorDetails *details = lk_error_get_details (error);
      g_autofree char *consent_path = NULL;

      g_clear_pointer (&d, lk_diagnosis_unref);
      d = lk_diagnosis_new ("admin-consent-declined", LK_FIXER_TENANT_ADMIN, LK_CONFIDENCE_LIKELY,
                            _("Consent was not granted"),
                            _("Microsoft’s consent page came back without consent: it was "
                              "declined, or the account that signed in may not consent for the "
                              "organisation."));
      lk_diagnosis_add_step (d, _("Open the link again and sign in as a Global Administrator, "
                                  "Privileged Role Administrator or Cloud Application "
                                  "Administrator of the organisation."));
      lk_diagnosis_add_step (d, _("Read the permissions listed and press Accept."));
      lk_diagnosis_add_step (d, _("Or grant consent in the portal instead."));
      consent_path = g_strdup_printf (_("Entra admin center → Identity → Applications → App "
                                        "registrations → the app %s → API permissions → Grant "
                                        "admin consent"), self->client_id);
      d->portal_path = g_steal_pointer (&consent_path);
      if (details != NULL && details->oauth_error_description != NULL)
        d->raw = g_strdup (details->oauth_error_description);
      else
        d->raw = g_strdup (error->message);
    }
  return d;
}
