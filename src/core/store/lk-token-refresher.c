/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-store"

#include "config.h"

#include "store/lk-token-refresher.h"

G_DEFINE_INTERFACE (LkTokenRefresher, lk_token_refresher, G_TYPE_OBJECT)

static void
lk_token_refresher_default_init (LkTokenRefresherInterface *iface)
{
}

void
lk_token_refresher_refresh_async (LkTokenRefresher    *self,
                                  LkAccount           *account,
                                  const LkTokenSet    *current,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (LK_IS_TOKEN_REFRESHER (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (current != NULL);

  LK_TOKEN_REFRESHER_GET_IFACE (self)->refresh_async (self, account, current, cancellable,
                                                      callback, user_data);
}

/**
 * lk_token_refresher_refresh_finish:
 * @out_rotated: (out) (optional) (nullable): see #LkTokenRefresherInterface
 */
LkTokenSet *
lk_token_refresher_refresh_finish (LkTokenRefresher  *self,
                                   GAsyncResult      *result,
                                   LkTokenSet       **out_rotated,
                                   GError           **error)
{
  g_autoptr(LkTokenSet) rotated = NULL;
  LkTokenSet *tokens;

  g_return_val_if_fail (LK_IS_TOKEN_REFRESHER (self), NULL);
  tokens = LK_TOKEN_REFRESHER_GET_IFACE (self)->refresh_finish (self, result, &rotated, error);
  if (out_rotated != NULL)
    *out_rotated = g_steal_pointer (&rotated);
  return tokens;
}
