/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "lk-token-set.h"
#include "store/lk-account-store.h"
#include "store/lk-account.h"
#include "store/lk-token-refresher.h"

G_BEGIN_DECLS

/* An access token with less left than this is refreshed before use. */
#define LK_TOKEN_MIN_LIFETIME_SECONDS 300
/* How long a caller waits for another process's refresh by default. */
#define LK_TOKEN_LOCK_TIMEOUT_MS 120000

/* What lk_token_manager_remove_finish() found to remove. */
typedef enum
{
  LK_REMOVED_NOTHING = 0,
  LK_REMOVED_FILE    = 1 << 0,
  LK_REMOVED_TOKENS  = 1 << 1,
} LkRemovedFlags;

#define LK_TYPE_TOKEN_MANAGER (lk_token_manager_get_type ())

G_DECLARE_FINAL_TYPE (LkTokenManager, lk_token_manager, LK, TOKEN_MANAGER, GObject)

LkTokenManager *lk_token_manager_new                (LkAccountStore      *store,
                                                     LkTokenRefresher    *refresher) G_GNUC_WARN_UNUSED_RESULT;
void            lk_token_manager_set_refresher      (LkTokenManager      *self,
                                                     LkTokenRefresher    *refresher);
void            lk_token_manager_set_lock_timeout   (LkTokenManager      *self,
                                                     guint                timeout_ms);
void            lk_token_manager_set_memory_cache   (LkTokenManager      *self,
                                                     gboolean             enabled);
void            lk_token_manager_forget             (LkTokenManager      *self,
                                                     const char          *email);
gboolean        lk_token_manager_is_busy            (LkTokenManager      *self);

void            lk_token_manager_get_token_async    (LkTokenManager      *self,
                                                     LkAccount           *account,
                                                     gboolean             force_refresh,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
LkTokenSet     *lk_token_manager_get_token_finish   (LkTokenManager      *self,
                                                     GAsyncResult        *result,
                                                     GError             **error) G_GNUC_WARN_UNUSED_RESULT;

void            lk_token_manager_store_initial_async  (LkTokenManager      *self,
                                                       LkAccount           *account,
                                                       const LkTokenSet    *tokens,
                                                       gboolean             replace,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean        lk_token_manager_store_initial_finish (LkTokenManager      *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

void            lk_token_manager_remove_async       (LkTokenManager      *self,
                                                     const char          *email,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean        lk_token_manager_remove_finish      (LkTokenManager      *self,
                                                     GAsyncResult        *result,
                                                     LkRemovedFlags      *out_removed,
                                                     GError             **error);

G_END_DECLS
