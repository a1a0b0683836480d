/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "lk-device-authorization.h"
#include "lk-http.h"
#include "lk-token-set.h"
#include "providers/lk-provider.h"
#include "store/lk-account.h"

G_BEGIN_DECLS

#define LK_TYPE_OAUTH_CLIENT (lk_oauth_client_get_type ())

G_DECLARE_FINAL_TYPE (LkOAuthClient, lk_oauth_client, LK, OAUTH_CLIENT, GObject)

LkOAuthClient *lk_oauth_client_new                       (LkProvider                  *provider,
                                                          const char                  *tenant,
                                                          const char                  *client_id,
                                                          GError                     **error) G_GNUC_WARN_UNUSED_RESULT;
LkOAuthClient *lk_oauth_client_new_for_account           (LkAccount                   *account,
                                                          GError                     **error) G_GNUC_WARN_UNUSED_RESULT;
LkProvider    *lk_oauth_client_get_provider              (LkOAuthClient               *self);
const char    *lk_oauth_client_get_tenant                (LkOAuthClient               *self);
const char    *lk_oauth_client_get_client_id             (LkOAuthClient               *self);
LkHttp        *lk_oauth_client_get_http                  (LkOAuthClient               *self);
void           lk_oauth_client_set_poll_unit             (LkOAuthClient               *self,
                                                          guint                        milliseconds);
char          *lk_oauth_client_build_authorization_url   (LkOAuthClient               *self,
                                                          const char                  *redirect_uri,
                                                          const char                  *scope,
                                                          const char                  *state,
                                                          const char                  *code_challenge,
                                                          const char                  *login_hint,
                                                          const char                  *prompt,
                                                          GError                     **error) G_GNUC_WARN_UNUSED_RESULT;

void           lk_oauth_client_exchange_code_async       (LkOAuthClient               *self,
                                                          const char                  *code,
                                                          const char                  *code_verifier,
                                                          const char                  *redirect_uri,
                                                          GCancellable                *cancellable,
                                                          GAsyncReadyCallback          callback,
                                                          gpointer                     user_data);
LkTokenSet    *lk_oauth_client_exchange_code_finish      (LkOAuthClient               *self,
                                                          GAsyncResult                *result,
                                                          GError                     **error) G_GNUC_WARN_UNUSED_RESULT;
void           lk_oauth_client_refresh_async             (LkOAuthClient               *self,
                                                          const LkTokenSet            *current,
                                                          const char                  *scope,
                                                          GCancellable                *cancellable,
                                                          GAsyncReadyCallback          callback,
                                                          gpointer                     user_data);
LkTokenSet    *lk_oauth_client_refresh_finish            (LkOAuthClient               *self,
                                                          GAsyncResult                *result,
                                                          LkTokenSet                 **out_rotated,
                                                          GError                     **error) G_GNUC_WARN_UNUSED_RESULT;
void           lk_oauth_client_device_start_async        (LkOAuthClient               *self,
                                                          const char                  *scope,
                                                          GCancellable                *cancellable,
                                                          GAsyncReadyCallback          callback,
                                                          gpointer                     user_data);
LkDeviceAuthorization *lk_oauth_client_device_start_finish (LkOAuthClient             *self,
                                                          GAsyncResult                *result,
                                                          GError                     **error) G_GNUC_WARN_UNUSED_RESULT;
void           lk_oauth_client_device_poll_async         (LkOAuthClient               *self,
                                                          const LkDeviceAuthorization *authorization,
                                                          GCancellable                *cancellable,
                                                          GAsyncReadyCallback          callback,
                                                          gpointer                     user_data);
LkTokenSet    *lk_oauth_client_device_poll_finish        (LkOAuthClient               *self,
                                                          GAsyncResult                *result,
                                                          GError                     **error) G_GNUC_WARN_UNUSED_RESULT;
void           lk_oauth_client_client_credentials_async  (LkOAuthClient               *self,
                                                          const char                  *client_secret,
                                                          const char                  *scope,
                                                          GCancellable                *cancellable,
                                                          GAsyncReadyCallback          callback,
                                                          gpointer                     user_data);
LkTokenSet    *lk_oauth_client_client_credentials_finish (LkOAuthClient               *self,
                                                          GAsyncResult                *result,
                                                          GError                     **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
