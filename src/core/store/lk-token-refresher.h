/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "lk-token-set.h"
#include "store/lk-account.h"

G_BEGIN_DECLS

#define LK_TYPE_TOKEN_REFRESHER (lk_token_refresher_get_type ())

G_DECLARE_INTERFACE (LkTokenRefresher, lk_token_refresher, LK, TOKEN_REFRESHER, GObject)

/**
 * LkTokenRefresherInterface:
 * @refresh_async: get a new token set for @account: a refresh-token grant
 *   with @current->refresh_token, or for an app-only account a new
 *   client-credentials grant with @current->client_secret. Runs while the
 *   caller holds the account's refresh lock.
 * @refresh_finish: the grant's answer as it came (it may lack a refresh
 *   token or scope; the manager keeps the old ones). A refused grant is
 *   %LK_ERROR_INVALID_GRANT, with the OAuth details attached; one that only
 *   a person signing in again can satisfy (MFA) %LK_ERROR_NEEDS_SIGN_IN. An
 *   answer refused for its access token or lifetime sets @out_rotated to
 *   the refresh token it carried, for the manager to store.
 *
 * What the token manager needs from the OAuth engine, so that the two can be
 * built and tested apart.
 */
struct _LkTokenRefresherInterface
{
  GTypeInterface parent_iface;

  void        (*refresh_async)  (LkTokenRefresher    *self,
                                 LkAccount           *account,
                                 const LkTokenSet    *current,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data);
  LkTokenSet *(*refresh_finish) (LkTokenRefresher    *self,
                                 GAsyncResult        *result,
                                 LkTokenSet         **out_rotated,
                                 GError             **error);
};

void        lk_token_refresher_refresh_async  (LkTokenRefresher    *self,
                                               LkAccount           *account,
                                               const LkTokenSet    *current,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
LkTokenSet *lk_token_refresher_refresh_finish (LkTokenRefresher    *self,
                                               GAsyncResult        *result,
                                               LkTokenSet         **out_rotated,
                                               GError             **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
