/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-oauth"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-oauth-client.h"
#include "lk-pkce.h"
#include "lk-token-response.h"

/**
 * LkOAuthClient:
 *
 * The grants against one provider profile, tenant and client id: the
 * authorization URL, code exchange, refresh, device code, client
 * credentials. It keeps no tokens: each call takes what it needs and hands
 * back an LkTokenSet for the caller to store.
 */
struct _LkOAuthClient
{
  GObject     parent_instance;

  LkProvider *provider;
  char       *tenant;
  char       *client_id;
  LkHttp     *http;
  guint       poll_unit_ms;   /* 1000; tests make seconds shorter */
};

G_DEFINE_FINAL_TYPE (LkOAuthClient, lk_oauth_client, G_TYPE_OBJECT)

#define SLOW_DOWN_STEP 5

static void
lk_oauth_client_finalize (GObject *object)
{
  LkOAuthClient *self = LK_OAUTH_CLIENT (object);

  g_clear_pointer (&self->provider, lk_provider_unref);
  g_clear_pointer (&self->tenant, g_free);
  g_clear_pointer (&self->client_id, g_free);
  g_clear_object (&self->http);
  G_OBJECT_CLASS (lk_oauth_client_parent_class)->finalize (object);
}

static void
lk_oauth_client_class_init (LkOAuthClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_oauth_client_finalize;
}

static void
lk_oauth_client_init (LkOAuthClient *self)
{
  self->poll_unit_ms = 1000;
}

/**
 * lk_oauth_client_new:
 * @tenant: (nullable): the account's tenant; NULL uses the profile's
 * @client_id: the application (client) id
 */
LkOAuthClient *
lk_oauth_client_new (LkProvider  *provider,
                     const char  *tenant,
                     const char  *client_id,
                     GError     **error)
{
  g_autoptr(LkOAuthClient) self = NULL;

  g_return_val_if_fail (provider != NULL, NULL);

  if (client_id == NULL || *client_id == '\0')
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_PROFILE,
                   /* Translators: %s is a provider name such as "Microsoft 365" */
                   _("No application (client) id is set for %s. Enter the one your "
                     "organisation registered, or import its profile."),
                   provider->name);
      return NULL;
    }
  self = g_object_new (LK_TYPE_OAUTH_CLIENT, NULL);
  self->provider = lk_provider_ref (provider);
  self->tenant = g_strdup (tenant != NULL && *tenant != '\0' ? tenant : provider->tenant);
  self->client_id = g_strdup (client_id);
  self->http = lk_http_new (provider->ca_file, error);
  if (self->http == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

LkOAuthClient *
lk_oauth_client_new_for_account (LkAccount  *account,
                                 GError    **error)
{
  return lk_oauth_client_new (account->provider, lk_account_get_tenant (account),
                              lk_account_get_client_id (account), error);
}

LkProvider *
lk_oauth_client_get_provider (LkOAuthClient *self)
{
  return self->provider;
}

const char *
lk_oauth_client_get_tenant (LkOAuthClient *self)
{
  return self->tenant;
}

const char *
lk_oauth_client_get_client_id (LkOAuthClient *self)
{
  return self->client_id;
}

LkHttp *
lk_oauth_client_get_http (LkOAuthClient *self)
{
  return self->http;
}

/**
 * lk_oauth_client_set_poll_unit:
 * @milliseconds: how long one "second" of a device code interval lasts
 *
 * For tests only, so that slow_down can be tested without waiting 5 s.
 */
void
lk_oauth_client_set_poll_unit (LkOAuthClient *self,
                               guint          milliseconds)
{
  self->poll_unit_ms = MAX (milliseconds, 1);
}

static char *
dup_endpoint (LkOAuthClient  *self,
              LkEndpoint      endpoint,
              GError        **error)
{
  g_autofree char *url = lk_provider_dup_endpoint (self->provider, endpoint, self->tenant);

  if (url == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_PROFILE,
                   /* Translators: %s is a provider name */
                   _("%s has no address for this kind of sign-in. Check the provider profile."),
                   self->provider->name);
      return NULL;
    }
  if (!lk_http_check_url (url, error))
    return NULL;
  return g_steal_pointer (&url);
}

static const char *
profile_secret (LkOAuthClient *self)
{
  const char *secret = self->provider->client_secret;

  return secret != NULL && *secret != '\0' ? secret : NULL;
}

/**
 * lk_oauth_client_build_authorization_url:
 * @redirect_uri: the loopback receiver's URI
 * @scope: space-separated scopes
 * @state: from lk_oauth_new_state()
 * @code_challenge: the S256 challenge
 * @login_hint: (nullable): the address to pre-fill
 * @prompt: (nullable): "select_account", "consent", "login"…
 *
 * Returns: (nullable): the URL to open in the browser; it holds nothing
 *   secret (the challenge is a hash).
 */
char *
lk_oauth_client_build_authorization_url (LkOAuthClient  *self,
                                         const char     *redirect_uri,
                                         const char     *scope,
                                         const char     *state,
                                         const char     *code_challenge,
                                         const char     *login_hint,
                                         const char     *prompt,
                                         GError        **error)
{
  g_autofree char *endpoint = NULL;
  g_autoptr(GBytes) query = NULL;
  const char *fields[] = {
    "client_id", self->client_id,
    "response_type", "code",
    "redirect_uri", redirect_uri,
    "response_mode", "query",
    "scope", scope,
    "state", state,
    "code_challenge", code_challenge,
    "code_challenge_method", LK_PKCE_METHOD,
    "login_hint", login_hint != NULL && *login_hint != '\0' ? login_hint : NULL,
    "prompt", prompt != NULL && *prompt != '\0' ? prompt : NULL,
    NULL,
  };
  g_autoptr(GString) url = NULL;
  gsize length;
  const char *data;

  g_return_val_if_fail (redirect_uri != NULL && scope != NULL && state != NULL &&
                        code_challenge != NULL, NULL);

  endpoint = dup_endpoint (self, LK_ENDPOINT_AUTHORIZATION, error);
  if (endpoint == NULL)
    return NULL;
  query = lk_http_encode_form (fields);
  data = g_bytes_get_data (query, &length);
  url = g_string_new (endpoint);
  g_string_append_c (url, strchr (endpoint, '?') != NULL ? '&' : '?');
  g_string_append_len (url, data, (gssize) length);
  return g_string_free (g_steal_pointer (&url), FALSE);
}

/* Token requests */

/* A refused answer's rotated refresh token (lk_token_response_parse()),
 * kept on the failed task beside its error, which must never hold it. */
static void
set_rotated (GTask      *task,
             LkTokenSet *rotated)
{
  if (rotated != NULL)
    g_object_set_data_full (G_OBJECT (task), "lk-rotated", rotated,
                            (GDestroyNotify) lk_token_set_free);
}

static LkTokenSet *
steal_rotated (GTask *task)
{
  return g_object_steal_data (G_OBJECT (task), "lk-rotated");
}

static void
token_request_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GBytes) body = NULL;
  LkTokenSet *rotated = NULL;
  GError *error = NULL;
  LkTokenSet *tokens;
  guint status = 0;

  body = lk_http_post_form_finish (LK_HTTP (source), result, &status, &error);
  if (body == NULL)
    {
      g_debug ("The token request failed: %s", error->message);
      g_task_return_error (task, error);
      return;
    }
  tokens = lk_token_response_parse (status, body, g_get_real_time () / G_USEC_PER_SEC,
                                    &rotated, &error);
  if (tokens == NULL)
    {
      g_debug ("The token endpoint answered HTTP %u: %s", status, error->message);
      set_rotated (task, g_steal_pointer (&rotated));
      g_task_return_error (task, error);
      return;
    }
  /* Only what lk-token-set.h allows to be shown: expiry and scope. */
  g_debug ("The token endpoint answered HTTP %u: tokens valid until %" G_GINT64_FORMAT
           " for %s%s", status, tokens->expires_at, tokens->scope != NULL ? tokens->scope : "?",
           tokens->refresh_token != NULL ? ", with a refresh token" : "");
  g_task_return_pointer (task, tokens, (GDestroyNotify) lk_token_set_free);
}

/* Posts @fields to the token endpoint; the task returns an LkTokenSet. */
static void
token_request (LkOAuthClient      *self,
               GTask              *task,
               const char * const *fields)
{
  g_autofree char *url = NULL;
  GError *error = NULL;

  url = dup_endpoint (self, LK_ENDPOINT_TOKEN, &error);
  if (url == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  /* The grant type, never the other fields: they carry codes and secrets. */
  for (guint i = 0; fields[i] != NULL; i += 2)
    if (g_str_equal (fields[i], "grant_type"))
      g_debug ("Token request (%s) to %s", fields[i + 1], url);
  lk_http_post_form_async (self->http, url, fields, g_task_get_cancellable (task),
                           token_request_cb, task);
}

static GTask *
new_task (LkOAuthClient       *self,
          GCancellable        *cancellable,
          gpointer             source_tag,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_check_cancellable (task, FALSE);
  return task;
}

static LkTokenSet *
propagate_tokens (LkOAuthClient  *self,
                  GAsyncResult   *result,
                  gpointer        source_tag,
                  GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * lk_oauth_client_exchange_code_async:
 * @code: the authorization code from the redirect
 * @code_verifier: the PKCE verifier
 * @redirect_uri: exactly the one in the authorization URL
 */
void
lk_oauth_client_exchange_code_async (LkOAuthClient       *self,
                                     const char          *code,
                                     const char          *code_verifier,
                                     const char          *redirect_uri,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task = new_task (self, cancellable, lk_oauth_client_exchange_code_async, callback, user_data);
  const char *fields[] = {
    "grant_type", "authorization_code",
    "client_id", self->client_id,
    "code", code,
    "redirect_uri", redirect_uri,
    "code_verifier", code_verifier,
    "client_secret", profile_secret (self),
    NULL,
  };

  token_request (self, task, fields);
}

LkTokenSet *
lk_oauth_client_exchange_code_finish (LkOAuthClient  *self,
                                      GAsyncResult   *result,
                                      GError        **error)
{
  return propagate_tokens (self, result, lk_oauth_client_exchange_code_async, error);
}

typedef struct
{
  LkTokenSet *current;
} RefreshData;

static void
refresh_data_free (RefreshData *data)
{
  g_clear_pointer (&data->current, lk_token_set_free);
  g_free (data);
}

static void
refresh_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RefreshData *data = g_task_get_task_data (task);
  g_autoptr(LkTokenSet) fresh = NULL;
  LkTokenSet *merged;
  GError *error = NULL;

  fresh = g_task_propagate_pointer (G_TASK (result), &error);
  if (fresh == NULL)
    {
      set_rotated (task, steal_rotated (G_TASK (result)));
      g_task_return_error (task, error);
      return;
    }
  /* Microsoft rotates the refresh token on every use; others keep the old
   * one and send none back. */
  merged = g_steal_pointer (&data->current);
  lk_secret_wipe (merged->access_token);
  merged->access_token = g_steal_pointer (&fresh->access_token);
  merged->expires_at = fresh->expires_at;
  if (fresh->refresh_token != NULL)
    {
      lk_secret_wipe (merged->refresh_token);
      merged->refresh_token = g_steal_pointer (&fresh->refresh_token);
    }
  if (fresh->scope != NULL)
    {
      g_free (merged->scope);
      merged->scope = g_steal_pointer (&fresh->scope);
    }
#define TAKE_CLAIM(field) \
  if (fresh->field != NULL) \
    { \
      g_free (merged->field); \
      merged->field = g_steal_pointer (&fresh->field); \
    }
  TAKE_CLAIM (id_username);
  TAKE_CLAIM (id_email);
  TAKE_CLAIM (id_name);
  TAKE_CLAIM (id_tenant);
#undef TAKE_CLAIM
  g_task_return_pointer (task, merged, (GDestroyNotify) lk_token_set_free);
}

/**
 * lk_oauth_client_refresh_async:
 * @current: the stored tokens; must hold a refresh token
 * @scope: (nullable): scopes to ask for; NULL asks for what was granted
 *
 * The result is @current with the new access token, expiry and, when the
 * server rotated it, the new refresh token: store it before using it.
 */
void
lk_oauth_client_refresh_async (LkOAuthClient       *self,
                               const LkTokenSet    *current,
                               const char          *scope,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = new_task (self, cancellable, lk_oauth_client_refresh_async, callback, user_data);
  RefreshData *data = g_new0 (RefreshData, 1);
  GTask *inner;

  data->current = lk_token_set_copy (current);
  g_task_set_task_data (task, data, (GDestroyNotify) refresh_data_free);
  if (current->refresh_token == NULL || *current->refresh_token == '\0')
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_NEEDS_SIGN_IN,
                               _("This account has no refresh token. Sign in again."));
      return;
    }
  inner = g_task_new (self, cancellable, refresh_cb, g_steal_pointer (&task));
  {
    const char *fields[] = {
      "grant_type", "refresh_token",
      "client_id", self->client_id,
      "refresh_token", data->current->refresh_token,
      "client_secret", profile_secret (self),
      "scope", scope,
      NULL,
    };

    token_request (self, inner, fields);
  }
}

/**
 * lk_oauth_client_refresh_finish:
 * @out_rotated: (out) (optional) (nullable): on failure, the refresh token
 *   of an answer that was refused for its access token or lifetime (see
 *   lk_token_response_parse()), which the caller must store
 */
LkTokenSet *
lk_oauth_client_refresh_finish (LkOAuthClient  *self,
                                GAsyncResult   *result,
                                LkTokenSet    **out_rotated,
                                GError        **error)
{
  LkTokenSet *tokens = propagate_tokens (self, result, lk_oauth_client_refresh_async, error);
  g_autoptr(LkTokenSet) rotated = tokens == NULL ? steal_rotated (G_TASK (result)) : NULL;

  if (out_rotated != NULL)
    *out_rotated = g_steal_pointer (&rotated);
  return tokens;
}

/* Device code grant (RFC 8628) */

static void
device_start_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GBytes) body = NULL;
  LkDeviceAuthorization *authorization;
  GError *error = NULL;
  guint status = 0;

  body = lk_http_post_form_finish (LK_HTTP (source), result, &status, &error);
  if (body == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  authorization = lk_device_authorization_parse (status, body, g_get_real_time () / G_USEC_PER_SEC, &error);
  if (authorization == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, authorization, (GDestroyNotify) lk_device_authorization_free);
}

void
lk_oauth_client_device_start_async (LkOAuthClient       *self,
                                    const char          *scope,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = new_task (self, cancellable, lk_oauth_client_device_start_async, callback, user_data);
  g_autofree char *url = NULL;
  GError *error = NULL;
  const char *fields[] = {
    "client_id", self->client_id,
    "scope", scope,
    NULL,
  };

  url = dup_endpoint (self, LK_ENDPOINT_DEVICE_AUTHORIZATION, &error);
  if (url == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  lk_http_post_form_async (self->http, url, fields, cancellable, device_start_cb,
                           g_steal_pointer (&task));
}

LkDeviceAuthorization *
lk_oauth_client_device_start_finish (LkOAuthClient  *self,
                                     GAsyncResult   *result,
                                     GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  LkDeviceAuthorization *authorization;
  gint64                 interval;
  GSource               *wait_source;
  gulong                 cancelled_id;
  guint                  polls;
} PollData;

static void
poll_data_free (PollData *data)
{
  if (data->wait_source != NULL)
    {
      g_source_destroy (data->wait_source);
      g_source_unref (data->wait_source);
    }
  g_clear_pointer (&data->authorization, lk_device_authorization_free);
  g_free (data);
}

static void poll_once (GTask *task);

static gboolean
poll_wait_done_cb (gpointer user_data)
{
  GTask *task = user_data;
  PollData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_clear_pointer (&data->wait_source, g_source_unref);
  if (data->cancelled_id != 0)
    {
      g_cancellable_disconnect (cancellable, data->cancelled_id);
      data->cancelled_id = 0;
    }
  poll_once (task);
  return G_SOURCE_REMOVE;
}

static void
poll_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  GTask *task = user_data;
  PollData *data = g_task_get_task_data (task);

  /* Runs in the cancelling thread; hop to the task's context. */
  if (data->wait_source != NULL)
    g_source_set_ready_time (data->wait_source, 0);
}

static void
poll_wait (GTask *task)
{
  LkOAuthClient *self = g_task_get_source_object (task);
  PollData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  data->wait_source = g_timeout_source_new ((guint) (data->interval * self->poll_unit_ms));
  g_source_set_callback (data->wait_source, poll_wait_done_cb, task, NULL);
  g_source_set_static_name (data->wait_source, "[latchkey] device code poll");
  g_source_attach (data->wait_source, g_task_get_context (task));
  if (cancellable != NULL)
    data->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (poll_cancelled_cb), task, NULL);
}

static GError *
recode_error (const GError *error,
              LkErrorCode   code,
              const char   *message)
{
  const LkErrorDetails *details = lk_error_get_details (error);
  GError *e = g_error_new_literal (LK_ERROR, code, message);

  if (details != NULL)
    {
      lk_error_set_oauth (e, details->oauth_error, details->oauth_error_description,
                          details->http_status);
      lk_error_get_details_mut (e)->aadsts = details->aadsts;
      lk_error_set_request_ids (e, details->trace_id, details->correlation_id, NULL);
    }
  return e;
}

static void
poll_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  PollData *data = g_task_get_task_data (task);
  LkTokenSet *tokens;
  GError *error = NULL;
  const LkErrorDetails *details;
  const char *oauth_error;

  tokens = g_task_propagate_pointer (G_TASK (result), &error);
  if (tokens != NULL)
    {
      g_task_return_pointer (task, tokens, (GDestroyNotify) lk_token_set_free);
      g_object_unref (task);
      return;
    }
  details = lk_error_get_details (error);
  oauth_error = details != NULL ? details->oauth_error : NULL;
  if (g_strcmp0 (oauth_error, "authorization_pending") == 0 ||
      g_strcmp0 (oauth_error, "slow_down") == 0)
    {
      if (g_strcmp0 (oauth_error, "slow_down") == 0)
        data->interval += SLOW_DOWN_STEP;
      g_error_free (error);
      poll_wait (task);
      return;
    }
  if (g_strcmp0 (oauth_error, "access_denied") == 0 ||
      g_strcmp0 (oauth_error, "authorization_declined") == 0)
    {
      g_task_return_error (task, recode_error (error, LK_ERROR_AUTHORIZATION_DENIED,
                                               _("Sign-in was declined on the other device.")));
      g_error_free (error);
    }
  else if (g_strcmp0 (oauth_error, "expired_token") == 0 ||
           g_strcmp0 (oauth_error, "code_expired") == 0)
    {
      g_task_return_error (task, recode_error (error, LK_ERROR_EXPIRED,
                                               _("The code ran out before sign-in was completed. "
                                                 "Start again and enter the new code.")));
      g_error_free (error);
    }
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

/* Takes over the reference to @task until it returns. */
static void
poll_once (GTask *task)
{
  LkOAuthClient *self = g_task_get_source_object (task);
  PollData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GTask *inner;
  const char *fields[] = {
    "grant_type", "urn:ietf:params:oauth:grant-type:device_code",
    "client_id", self->client_id,
    "device_code", data->authorization->device_code,
    "client_secret", profile_secret (self),
    NULL,
  };

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      g_object_unref (task);
      return;
    }
  if (g_get_real_time () / G_USEC_PER_SEC >= data->authorization->expires_at)
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_EXPIRED,
                               _("The code ran out before sign-in was completed. "
                                 "Start again and enter the new code."));
      g_object_unref (task);
      return;
    }
  data->polls++;
  inner = g_task_new (self, cancellable, poll_cb, task);
  token_request (self, inner, fields);
}

/**
 * lk_oauth_client_device_poll_async:
 *
 * Polls the token endpoint every `interval` seconds (plus 5 for each
 * slow_down) until the person has signed in on another device, declined,
 * the code expired, or @cancellable is cancelled.
 */
void
lk_oauth_client_device_poll_async (LkOAuthClient               *self,
                                   const LkDeviceAuthorization *authorization,
                                   GCancellable                *cancellable,
                                   GAsyncReadyCallback          callback,
                                   gpointer                     user_data)
{
  GTask *task = new_task (self, cancellable, lk_oauth_client_device_poll_async, callback, user_data);
  PollData *data = g_new0 (PollData, 1);

  data->authorization = lk_device_authorization_copy (authorization);
  data->interval = MAX (authorization->interval, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) poll_data_free);
  poll_wait (task);
}

LkTokenSet *
lk_oauth_client_device_poll_finish (LkOAuthClient  *self,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  return propagate_tokens (self, result, lk_oauth_client_device_poll_async, error);
}

/* Client credentials */

static void
client_credentials_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LkTokenSet *tokens;
  GError *error = NULL;

  tokens = g_task_propagate_pointer (G_TASK (result), &error);
  if (tokens == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* App-only accounts keep their secret with their tokens, in the keyring. */
  tokens->client_secret = g_strdup (g_task_get_task_data (task));
  g_clear_pointer (&tokens->refresh_token, lk_secret_wipe);
  g_task_return_pointer (task, tokens, (GDestroyNotify) lk_token_set_free);
}

/**
 * lk_oauth_client_client_credentials_async:
 * @client_secret: (nullable): the app-only account's secret; NULL uses the
 *   profile's
 * @scope: (nullable): NULL uses the profile's app_only_scope
 *
 * The result carries the secret used in its client_secret, and never a
 * refresh token.
 */
void
lk_oauth_client_client_credentials_async (LkOAuthClient       *self,
                                          const char          *client_secret,
                                          const char          *scope,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(GTask) task = new_task (self, cancellable, lk_oauth_client_client_credentials_async,
                                    callback, user_data);
  const char *secret = client_secret != NULL && *client_secret != '\0' ? client_secret : profile_secret (self);
  GTask *inner;

  if (scope == NULL)
    scope = self->provider->app_only_scope;
  if (secret == NULL)
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_INVALID_INPUT,
                               _("An app-only account needs the application’s client secret."));
      return;
    }
  if (scope == NULL || *scope == '\0')
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_INVALID_PROFILE,
                               /* Translators: %s is a provider name */
                               _("%s has no app-only scope; app-only sign-in is not possible with this profile."),
                               self->provider->name);
      return;
    }
  g_task_set_task_data (task, g_strdup (secret), (GDestroyNotify) lk_secret_wipe);
  inner = g_task_new (self, cancellable, client_credentials_cb, g_steal_pointer (&task));
  {
    const char *fields[] = {
      "grant_type", "client_credentials",
      "client_id", self->client_id,
      "client_secret", secret,
      "scope", scope,
      NULL,
    };

    token_request (self, inner, fields);
  }
}

LkTokenSet *
lk_oauth_client_client_credentials_finish (LkOAuthClient  *self,
                                           GAsyncResult   *result,
                                           GError        **error)
{
  return propagate_tokens (self, result, lk_oauth_client_client_credentials_async, error);
}
