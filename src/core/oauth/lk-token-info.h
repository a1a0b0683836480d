/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "lk-token-set.h"
#include "store/lk-token-store.h"

G_BEGIN_DECLS

/**
 * LkTokenInfo:
 * @has_tokens: the keyring holds the account's tokens
 * @has_refresh_token: … with a refresh token (without one, each sign-in
 *   lasts as long as one access token)
 * @app_only: … with a client secret (client credentials: no person signs in)
 * @expires_at: when the access token stops working, Unix time; 0 unknown
 * @signed_in_at: when the person last signed in; 0 unknown
 * @refreshed_at: when the access token was last refreshed; 0 never or unknown
 * @refresh_token_at: when the refresh token held now was issued; 0 unknown
 * @signed_in_as: (nullable): who signed in, as the provider names them (the
 *   id token's user name or address, else the access token's upn)
 * @name: (nullable): their name, from the id token
 * @tenant: (nullable): the organisation signed in to (tid)
 * @scopes: (nullable): the scopes granted, space-separated
 *
 * What the keyring item of an account says about its sign-in, for people to
 * read: never a token, a code or a secret. The names come from the id token
 * or the access token's claims, read without checking their signature (they
 * arrived over TLS from the provider; nothing is decided on them), and only
 * when they are plain text (lk_text_is_plain()).
 */
typedef struct
{
  gboolean  has_tokens;
  gboolean  has_refresh_token;
  gboolean  app_only;
  gint64    expires_at;
  gint64    signed_in_at;
  gint64    refreshed_at;
  gint64    refresh_token_at;
  char     *signed_in_as;
  char     *name;
  char     *tenant;
  char     *scopes;
} LkTokenInfo;

#define LK_TYPE_TOKEN_INFO (lk_token_info_get_type ())

GType        lk_token_info_get_type      (void) G_GNUC_CONST;
LkTokenInfo *lk_token_info_new_from_set  (const LkTokenSet    *tokens) G_GNUC_WARN_UNUSED_RESULT;
LkTokenInfo *lk_token_info_copy          (const LkTokenInfo   *self) G_GNUC_WARN_UNUSED_RESULT;
void         lk_token_info_free          (LkTokenInfo         *self);
void         lk_token_info_lookup_async  (LkTokenStore        *store,
                                          const char          *email,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
LkTokenInfo *lk_token_info_lookup_finish (GAsyncResult        *result,
                                          GError             **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkTokenInfo, lk_token_info_free)

G_END_DECLS
