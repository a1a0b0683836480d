/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "lk-token-set.h"

G_BEGIN_DECLS

#define LK_TYPE_TOKEN_STORE (lk_token_store_get_type ())

G_DECLARE_INTERFACE (LkTokenStore, lk_token_store, LK, TOKEN_STORE, GObject)

/**
 * LkTokenStoreInterface:
 * @lookup_async: reads an account's token set; %LK_ERROR_NOT_FOUND when
 *   there is none
 * @store_async: writes an account's token set in one step, replacing the
 *   earlier one: after a crash either the old or the new set is there
 * @check_async: says, before a sign-in, whether tokens could be stored
 *   (without prompting anyone)
 * @clear_async: removes an account's tokens; removing none is no error
 *
 * Where the secret half of the accounts lives. Every failure to use the
 * store itself is %LK_ERROR_KEYRING, with a message saying what to do; an
 * error message never holds a token.
 */
struct _LkTokenStoreInterface
{
  GTypeInterface parent_iface;

  void        (*lookup_async)  (LkTokenStore         *self,
                                const char           *account,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data);
  LkTokenSet *(*lookup_finish) (LkTokenStore         *self,
                                GAsyncResult         *result,
                                GError              **error);
  void        (*store_async)   (LkTokenStore         *self,
                                const char           *account,
                                const LkTokenSet     *tokens,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data);
  gboolean    (*store_finish)  (LkTokenStore         *self,
                                GAsyncResult         *result,
                                GError              **error);
  void        (*check_async)   (LkTokenStore         *self,
                                const char           *account,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data);
  gboolean    (*check_finish)  (LkTokenStore         *self,
                                GAsyncResult         *result,
                                GError              **error);
  void        (*clear_async)   (LkTokenStore         *self,
                                const char           *account,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data);
  gboolean    (*clear_finish)  (LkTokenStore         *self,
                                GAsyncResult         *result,
                                gboolean             *out_found,
                                GError              **error);
};

LkTokenStore *lk_token_store_get_default  (void);
void          lk_token_store_set_default  (LkTokenStore         *store);

void          lk_token_store_lookup_async  (LkTokenStore        *self,
                                            const char          *account,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
LkTokenSet   *lk_token_store_lookup_finish (LkTokenStore        *self,
                                            GAsyncResult        *result,
                                            GError             **error) G_GNUC_WARN_UNUSED_RESULT;
LkTokenSet   *lk_token_store_lookup_sync   (LkTokenStore        *self,
                                            const char          *account,
                                            GCancellable        *cancellable,
                                            GError             **error) G_GNUC_WARN_UNUSED_RESULT;

void          lk_token_store_store_async   (LkTokenStore        *self,
                                            const char          *account,
                                            const LkTokenSet    *tokens,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean      lk_token_store_store_finish  (LkTokenStore        *self,
                                            GAsyncResult        *result,
                                            GError             **error);
gboolean      lk_token_store_store_sync    (LkTokenStore        *self,
                                            const char          *account,
                                            const LkTokenSet    *tokens,
                                            GCancellable        *cancellable,
                                            GError             **error);

void          lk_token_store_check_async   (LkTokenStore        *self,
                                            const char          *account,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean      lk_token_store_check_finish  (LkTokenStore        *self,
                                            GAsyncResult        *result,
                                            GError             **error);
gboolean      lk_token_store_check_sync    (LkTokenStore        *self,
                                            const char          *account,
                                            GCancellable        *cancellable,
                                            GError             **error);

void          lk_token_store_clear_async   (LkTokenStore        *self,
                                            const char          *account,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean      lk_token_store_clear_finish  (LkTokenStore        *self,
                                            GAsyncResult        *result,
                                            gboolean            *out_found,
                                            GError             **error);
gboolean      lk_token_store_clear_sync    (LkTokenStore        *self,
                                            const char          *account,
                                            GCancellable        *cancellable,
                                            gboolean            *out_found,
                                            GError             **error);

G_END_DECLS
