/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-store"

#include "config.h"

#include "store/lk-secret-token-store.h"
#include "store/lk-token-store.h"

/**
 * SECTION:lk-token-store
 *
 * The secret half of the accounts, behind one interface with two
 * implementations: #LkSecretTokenStore, the desktop's keyring (Secret
 * Service), and #LkSealedTokenStore, one AES-256-GCM file keyed by a
 * systemd credential for a machine without a desktop (system mode,
 * doc/system-mode.md). Everything above — the token manager and its refresh
 * lock, the CLI, the GUI, the bridge — asks lk_token_store_get_default()
 * for "the" store and never knows which one it got.
 */

G_DEFINE_INTERFACE (LkTokenStore, lk_token_store, G_TYPE_OBJECT)

static void
lk_token_store_default_init (LkTokenStoreInterface *iface)
{
}

static GMutex default_lock;
static LkTokenStore *default_store;

/**
 * lk_token_store_get_default:
 *
 * The process's token store: the one given to lk_token_store_set_default()
 * (system mode sets the sealed store), else the Secret Service.
 *
 * Returns: (transfer none): the store
 */
LkTokenStore *
lk_token_store_get_default (void)
{
  LkTokenStore *store;

  g_mutex_lock (&default_lock);
  if (default_store == NULL)
    default_store = LK_TOKEN_STORE (lk_secret_token_store_new ());
  store = default_store;
  g_mutex_unlock (&default_lock);
  return store;
}

/**
 * lk_token_store_set_default:
 *
 * Makes @store the process's token store, at start, before anything uses
 * one. Whoever got the earlier one keeps its own reference.
 */
void
lk_token_store_set_default (LkTokenStore *store)
{
  g_return_if_fail (LK_IS_TOKEN_STORE (store));

  g_mutex_lock (&default_lock);
  g_set_object (&default_store, store);
  g_mutex_unlock (&default_lock);
}

void
lk_token_store_lookup_async (LkTokenStore        *self,
                             const char          *account,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (LK_IS_TOKEN_STORE (self));
  g_return_if_fail (account != NULL);

  LK_TOKEN_STORE_GET_IFACE (self)->lookup_async (self, account, cancellable, callback, user_data);
}

/**
 * lk_token_store_lookup_finish:
 *
 * Returns: (transfer full): the token set, or %NULL with
 *   %LK_ERROR_NOT_FOUND when the store has none for the account,
 *   %LK_ERROR_KEYRING when the store cannot be used, or
 *   %LK_ERROR_NEEDS_SIGN_IN when what it holds for the account is damaged
 */
LkTokenSet *
lk_token_store_lookup_finish (LkTokenStore  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (LK_IS_TOKEN_STORE (self), NULL);

  return LK_TOKEN_STORE_GET_IFACE (self)->lookup_finish (self, result, error);
}

void
lk_token_store_store_async (LkTokenStore        *self,
                            const char          *account,
                            const LkTokenSet    *tokens,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (LK_IS_TOKEN_STORE (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (tokens != NULL);

  LK_TOKEN_STORE_GET_IFACE (self)->store_async (self, account, tokens, cancellable, callback,
                                                user_data);
}

gboolean
lk_token_store_store_finish (LkTokenStore  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (LK_IS_TOKEN_STORE (self), FALSE);

  return LK_TOKEN_STORE_GET_IFACE (self)->store_finish (self, result, error);
}

void
lk_token_store_check_async (LkTokenStore        *self,
                            const char          *account,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (LK_IS_TOKEN_STORE (self));
  g_return_if_fail (account != NULL);

  LK_TOKEN_STORE_GET_IFACE (self)->check_async (self, account, cancellable, callback, user_data);
}

gboolean
lk_token_store_check_finish (LkTokenStore  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (LK_IS_TOKEN_STORE (self), FALSE);

  return LK_TOKEN_STORE_GET_IFACE (self)->check_finish (self, result, error);
}

void
lk_token_store_clear_async (LkTokenStore        *self,
                            const char          *account,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (LK_IS_TOKEN_STORE (self));
  g_return_if_fail (account != NULL);

  LK_TOKEN_STORE_GET_IFACE (self)->clear_async (self, account, cancellable, callback, user_data);
}

/**
 * lk_token_store_clear_finish:
 * @out_found: (out) (optional): whether there was something to remove
 */
gboolean
lk_token_store_clear_finish (LkTokenStore  *self,
                             GAsyncResult  *result,
                             gboolean      *out_found,
                             GError       **error)
{
  g_return_val_if_fail (LK_IS_TOKEN_STORE (self), FALSE);

  return LK_TOKEN_STORE_GET_IFACE (self)->clear_finish (self, result, out_found, error);
}

/* The _sync variants spin a private main context, as libsecret's own do,
 * for tests and tools; the programs use the async calls. */
typedef struct
{
  GMainContext *context;
  GAsyncResult *result;
} SyncData;

static void
sync_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  SyncData *sync = user_data;

  sync->result = g_object_ref (result);
  g_main_context_wakeup (sync->context);
}

static void
sync_begin (SyncData *sync)
{
  sync->context = g_main_context_new ();
  sync->result = NULL;
  g_main_context_push_thread_default (sync->context);
}

static void
sync_wait (SyncData *sync)
{
  while (sync->result == NULL)
    g_main_context_iteration (sync->context, TRUE);
}

static void
sync_end (SyncData *sync)
{
  g_main_context_pop_thread_default (sync->context);
  g_clear_object (&sync->result);
  g_main_context_unref (sync->context);
}

LkTokenSet *
lk_token_store_lookup_sync (LkTokenStore  *self,
                            const char    *account,
                            GCancellable  *cancellable,
                            GError       **error)
{
  SyncData sync;
  LkTokenSet *tokens;

  sync_begin (&sync);
  lk_token_store_lookup_async (self, account, cancellable, sync_cb, &sync);
  sync_wait (&sync);
  tokens = lk_token_store_lookup_finish (self, sync.result, error);
  sync_end (&sync);
  return tokens;
}

gboolean
lk_token_store_store_sync (LkTokenStore      *self,
                           const char        *account,
                           const LkTokenSet  *tokens,
                           GCancellable      *cancellable,
                           GError           **error)
{
  SyncData sync;
  gboolean ok;

  sync_begin (&sync);
  lk_token_store_store_async (self, account, tokens, cancellable, sync_cb, &sync);
  sync_wait (&sync);
  ok = lk_token_store_store_finish (self, sync.result, error);
  sync_end (&sync);
  return ok;
}

gboolean
lk_token_store_check_sync (LkTokenStore  *self,
                           const char    *account,
                           GCancellable  *cancellable,
                           GError       **error)
{
  SyncData sync;
  gboolean ok;

  sync_begin (&sync);
  lk_token_store_check_async (self, account, cancellable, sync_cb, &sync);
  sync_wait (&sync);
  ok = lk_token_store_check_finish (self, sync.result, error);
  sync_end (&sync);
  return ok;
}

gboolean
lk_token_store_clear_sync (LkTokenStore  *self,
                           const char    *account,
                           GCancellable  *cancellable,
                           gboolean      *out_found,
                           GError       **error)
{
  SyncData sync;
  gboolean ok;

  sync_begin (&sync);
  lk_token_store_clear_async (self, account, cancellable, sync_cb, &sync);
  sync_wait (&sync);
  ok = lk_token_store_clear_finish (self, sync.result, out_found, error);
  sync_end (&sync);
  return ok;
}
