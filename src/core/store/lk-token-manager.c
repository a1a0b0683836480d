/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "lk-error.h"
#include "store/lk-refresh-lock.h"
#include "store/lk-token-manager.h"
#include "store/lk-token-store.h"

/**
 * LkTokenManager:
 *
 * Hands out access tokens. The common case is one keyring read. When the
 * stored token has less than %LK_TOKEN_MIN_LIFETIME_SECONDS left, the
 * manager takes the account's refresh lock (shared by every process), reads
 * the keyring again — another process may have refreshed while we waited —
 * and only then asks the #LkTokenRefresher. The rotated token set is in the
 * keyring before any caller sees the new access token.
 *
 * Within one process, callers that need a refresh of the same account at
 * the same time share one refresh: the first starts it, the others wait for
 * its outcome, so one process holds at most one lock wait per account.
 */
struct _LkTokenManager
{
  GObject           parent_instance;
  LkAccountStore   *store;      /* nullable: no state is saved without it */
  LkTokenStore     *tokens;     /* lk_token_store_get_default() when made */
  LkTokenRefresher *refresher;  /* nullable until the OAuth engine is plugged in */
  guint             lock_timeout_ms;
  GHashTable       *refreshes;  /* key → Refresh, in flight */
  /* lk_token_manager_set_memory_cache(): */
  GHashTable       *cache;      /* email → LkTokenSet, or NULL when off */
  GHashTable       *lookups;    /* email → Lookup, keyring reads in flight */
};

G_DEFINE_FINAL_TYPE (LkTokenManager, lk_token_manager, G_TYPE_OBJECT)

/* One refresh in flight, shared by its waiters. */
typedef struct
{
  LkTokenManager *self;         /* owned */
  char           *key;
  LkAccount      *account;
  gboolean        forced;
  char           *seen_access_token;  /* what the first caller found stale */
  GPtrArray      *waiters;      /* GTask */
  LkRefreshLock  *lock;
  LkTokenSet     *current;      /* read under the lock */
  LkTokenSet     *merged;       /* to store */
  GError         *refused;      /* the refresher's invalid_grant */
  guint           store_attempts;
  GCancellable   *lock_wait;    /* cancelled when every waiter gave up waiting */
  GArray         *handlers;     /* WaiterHandler, one per cancellable waiter */
} Refresh;

typedef struct
{
  GCancellable *cancellable;
  gulong        id;
} WaiterHandler;

static void
refresh_free (Refresh *refresh)
{
  g_clear_object (&refresh->self);
  g_free (refresh->key);
  g_clear_pointer (&refresh->account, lk_account_unref);
  lk_secret_wipe (refresh->seen_access_token);
  g_ptr_array_unref (refresh->waiters);
  g_clear_pointer (&refresh->lock, lk_refresh_lock_free);
  g_clear_pointer (&refresh->current, lk_token_set_free);
  g_clear_pointer (&refresh->merged, lk_token_set_free);
  g_clear_error (&refresh->refused);
  for (guint i = 0; i < refresh->handlers->len; i++)
    {
      WaiterHandler *handler = &g_array_index (refresh->handlers, WaiterHandler, i);

      g_cancellable_disconnect (handler->cancellable, handler->id);
      g_object_unref (handler->cancellable);
    }
  g_array_unref (refresh->handlers);
  g_clear_object (&refresh->lock_wait);
  g_free (refresh);
}

/* One keyring read in flight for callers of the cache, shared by them. */
typedef struct
{
  LkTokenManager *self;         /* owned */
  char           *email;
  GPtrArray      *waiters;      /* GTask */
} Lookup;

static void
lk_token_manager_finalize (GObject *object)
{
  LkTokenManager *self = LK_TOKEN_MANAGER (object);

  g_clear_pointer (&self->cache, g_hash_table_unref);
  g_clear_pointer (&self->lookups, g_hash_table_unref);
  g_clear_object (&self->store);
  g_clear_object (&self->tokens);
  g_clear_object (&self->refresher);
  g_hash_table_unref (self->refreshes);
  G_OBJECT_CLASS (lk_token_manager_parent_class)->finalize (object);
}

static void
lk_token_manager_class_init (LkTokenManagerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_token_manager_finalize;
}

static void
lk_token_manager_init (LkTokenManager *self)
{
  self->lock_timeout_ms = LK_TOKEN_LOCK_TIMEOUT_MS;
  self->tokens = g_object_ref (lk_token_store_get_default ());
  /* Refreshes hold a reference to the manager while in flight, so the
   * table is empty by finalize and owns nothing. */
  self->refreshes = g_hash_table_new (g_str_hash, g_str_equal);
}

/**
 * lk_token_manager_new:
 * @store: (nullable): where "needs sign-in" is recorded and account files
 *   are written
 * @refresher: (nullable): how tokens are refreshed; see
 *   lk_token_manager_set_refresher()
 */
LkTokenManager *
lk_token_manager_new (LkAccountStore   *store,
                      LkTokenRefresher *refresher)
{
  LkTokenManager *self = g_object_new (LK_TYPE_TOKEN_MANAGER, NULL);

  g_return_val_if_fail (store == NULL || LK_IS_ACCOUNT_STORE (store), NULL);

  g_set_object (&self->store, store);
  lk_token_manager_set_refresher (self, refresher);
  return self;
}

void
lk_token_manager_set_refresher (LkTokenManager   *self,
                                LkTokenRefresher *refresher)
{
  g_return_if_fail (LK_IS_TOKEN_MANAGER (self));
  g_return_if_fail (refresher == NULL || LK_IS_TOKEN_REFRESHER (refresher));

  g_set_object (&self->refresher, refresher);
}

/**
 * lk_token_manager_set_lock_timeout:
 *
 * How long a caller waits for another process's refresh of the same account
 * before failing with %LK_ERROR_TIMED_OUT.
 */
void
lk_token_manager_set_lock_timeout (LkTokenManager *self,
                                   guint           timeout_ms)
{
  g_return_if_fail (LK_IS_TOKEN_MANAGER (self));
  self->lock_timeout_ms = timeout_ms;
}

static GError *
needs_sign_in_error (const char *email)
{
  GError *error = g_error_new (LK_ERROR, LK_ERROR_NEEDS_SIGN_IN,
                               _("%s needs to sign in again: the provider no longer accepts "
                                 "its saved sign-in."), email);

  lk_error_set_remedy (error, LK_REMEDY_SIGN_IN, email);
  return error;
}

/* A provider that wants a person to sign in again (MFA, sign-in
 * frequency), with its OAuth details for the diagnosis. */
static GError *
interaction_error (const char   *email,
                   const GError *cause)
{
  const LkErrorDetails *details = lk_error_get_details (cause);
  GError *error = g_error_new (LK_ERROR, LK_ERROR_NEEDS_SIGN_IN,
                               _("%s needs to sign in again: %s"), email, cause->message);

  lk_error_set_remedy (error, LK_REMEDY_SIGN_IN, email);
  if (details != NULL && details->oauth_error != NULL)
    lk_error_set_oauth (error, details->oauth_error, details->oauth_error_description,
                        details->http_status);
  return error;
}

/* The same, carrying the provider's OAuth error for the diagnosis. */
static GError *
refused_error (const char   *email,
               const GError *refused)
{
  GError *error = needs_sign_in_error (email);
  const LkErrorDetails *details = refused != NULL ? lk_error_get_details (refused) : NULL;

  if (details != NULL && details->oauth_error != NULL)
    lk_error_set_oauth (error, details->oauth_error, details->oauth_error_description,
                        details->http_status);
  return error;
}

/* Records "needs sign-in" in the account file, re-read so that changes made
 * meanwhile by another process are kept. Failing to record it is not worth
 * failing the caller over: the error it gets says the same. */
static void
mark_needs_sign_in (LkTokenManager *self,
                    LkAccount      *account)
{
  g_autoptr(LkAccount) on_disk = NULL;
  g_autoptr(GError) error = NULL;

  account->state = LK_ACCOUNT_STATE_NEEDS_SIGN_IN;
  if (self->store == NULL)
    return;
  on_disk = lk_account_store_load (self->store, account->email, &error);
  if (on_disk == NULL)
    {
      if (!g_error_matches (error, LK_ERROR, LK_ERROR_NOT_FOUND))
        g_warning ("Cannot record that %s needs sign-in: %s", account->email, error->message);
      return;
    }
  if (on_disk->state == LK_ACCOUNT_STATE_NEEDS_SIGN_IN)
    return;
  on_disk->state = LK_ACCOUNT_STATE_NEEDS_SIGN_IN;
  if (!lk_account_store_save (self->store, on_disk, &error))
    g_warning ("Cannot record that %s needs sign-in: %s", account->email, error->message);
}

static LkTokenSet *
merge_tokens (const LkTokenSet *current,
              const LkTokenSet *answer)
{
  LkTokenSet *merged = lk_token_set_copy (answer);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  /* When the sign-in happened stays; the refresh token is as old as the
   * answer when the provider rotated it (Microsoft does on every use,
   * doc/protocols.md A7), else as old as it was. */
  merged->signed_in_at = current->signed_in_at;
  merged->refreshed_at = now;
  if (answer->refresh_token != NULL &&
      g_strcmp0 (answer->refresh_token, current->refresh_token) != 0)
    merged->refresh_token_at = now;
  else
    merged->refresh_token_at = current->refresh_token_at;

  /* A refresh answer without a refresh token means: keep using the old
   * one (RFC 6749 §6). The client secret is never in an answer. */
  if (merged->refresh_token == NULL)
    merged->refresh_token = g_strdup (current->refresh_token);
  if (merged->client_secret == NULL)
    merged->client_secret = g_strdup (current->client_secret);
  if (merged->scope == NULL)
    merged->scope = g_strdup (current->scope);
  if (merged->id_username == NULL)
    merged->id_username = g_strdup (current->id_username);
  if (merged->id_email == NULL)
    merged->id_email = g_strdup (current->id_email);
  if (merged->id_name == NULL)
    merged->id_name = g_strdup (current->id_name);
  if (merged->id_tenant == NULL)
    merged->id_tenant = g_strdup (current->id_tenant);
  return merged;
}

/* Keeps @tokens for the next callers, when the cache is on. */
static void
cache_put (LkTokenManager   *self,
           const char       *email,
           const LkTokenSet *tokens)
{
  if (self->cache != NULL)
    g_hash_table_replace (self->cache, g_strdup (email), lk_token_set_copy (tokens));
}

/* Ends a shared refresh: drops the lock, then answers every waiter. */
static void
refresh_complete (Refresh          *refresh,
                  const LkTokenSet *tokens,
                  GError           *error)
{
  g_autoptr(GError) owned_error = error;

  g_debug ("The refresh of %s %s%s", refresh->account->email,
           owned_error != NULL ? "failed: " : "is done",
           owned_error != NULL ? owned_error->message : "");
  g_clear_pointer (&refresh->lock, lk_refresh_lock_free);
  g_hash_table_remove (refresh->self->refreshes, refresh->key);
  if (tokens != NULL)
    cache_put (refresh->self, refresh->account->email, tokens);
  else if (refresh->self->cache != NULL)
    g_hash_table_remove (refresh->self->cache, refresh->account->email);

  for (guint i = 0; i < refresh->waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (refresh->waiters, i);

      if (owned_error != NULL)
        g_task_return_error (task, g_error_copy (owned_error));
      else
        g_task_return_pointer (task, lk_token_set_copy (tokens),
                               (GDestroyNotify) lk_token_set_free);
    }
  refresh_free (refresh);
}

static void refresh_store (Refresh *refresh);

static void
refresh_stored_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Refresh *refresh = user_data;
  g_autoptr(GError) error = NULL;

  if (lk_token_store_store_finish (LK_TOKEN_STORE (source), result, &error))
    {
      LkTokenSet *merged = g_steal_pointer (&refresh->merged);

      refresh_complete (refresh, merged, NULL);
      lk_token_set_free (merged);
      return;
    }

  /* The provider may already have retired the old refresh token, so the
   * new one must not be lost lightly: try once more (a keyring that was
   * busy or being unlocked), then fail without handing out the access
   * token. See the report in the commit that added this. */
  if (refresh->store_attempts < 2 && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_debug ("Storing the refreshed tokens of %s failed, trying again: %s",
               refresh->account->email, error->message);
      refresh_store (refresh);
      return;
    }
  g_prefix_error (&error, _("The token of %s was refreshed but could not be saved, so it "
                            "is not used; if the next attempt says so, sign in again. "),
                  refresh->account->email);
  refresh_complete (refresh, NULL, g_steal_pointer (&error));
}

static void
refresh_store (Refresh *refresh)
{
  refresh->store_attempts++;
  lk_token_store_store_async (refresh->self->tokens, refresh->account->email, refresh->merged,
                              NULL, refresh_stored_cb, refresh);
}

static void
refused_stored_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Refresh *refresh = user_data;
  g_autoptr(GError) error = NULL;
  GError *sign_in_error = NULL;

  if (!lk_token_store_store_finish (LK_TOKEN_STORE (source), result, &error))
    g_warning ("Cannot drop the refused refresh token of %s: %s",
               refresh->account->email, error->message);

  sign_in_error = refused_error (refresh->account->email, refresh->refused);
  refresh_complete (refresh, NULL, sign_in_error);
}

static void
rotated_stored_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Refresh *refresh = user_data;
  g_autoptr(GError) error = NULL;

  if (!lk_token_store_store_finish (LK_TOKEN_STORE (source), result, &error))
    g_warning ("Cannot store the rotated refresh token of %s: %s",
               refresh->account->email, error->message);
  refresh_complete (refresh, NULL, g_steal_pointer (&refresh->refused));
}

static void
refreshed_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Refresh *refresh = user_data;
  g_autoptr(LkTokenSet) answer = NULL;
  g_autoptr(LkTokenSet) rotated = NULL;
  g_autoptr(GError) error = NULL;

  answer = lk_token_refresher_refresh_finish (LK_TOKEN_REFRESHER (source), result, &rotated,
                                              &error);
  if (answer == NULL && rotated != NULL)
    {
      /* An answer refused for its access token or lifetime still rotated
       * the refresh token: with single-use refresh tokens the old one is
       * spent now. Store the new one (and no access token), then fail. */
      refresh->merged = merge_tokens (refresh->current, rotated);
      g_clear_pointer (&refresh->merged->access_token, lk_secret_wipe);
      refresh->merged->expires_at = 0;
      refresh->merged->refreshed_at = refresh->current->refreshed_at;
      refresh->refused = g_steal_pointer (&error);
      lk_token_store_store_async (refresh->self->tokens, refresh->account->email,
                                  refresh->merged, NULL, rotated_stored_cb, refresh);
      return;
    }
  if (answer == NULL)
    {
      if (g_error_matches (error, LK_ERROR, LK_ERROR_NEEDS_SIGN_IN))
        {
          /* The provider wants a person (MFA, sign-in frequency): the
           * refresh token is not revoked, but only a sign-in helps. */
          mark_needs_sign_in (refresh->self, refresh->account);
          refresh_complete (refresh, NULL, interaction_error (refresh->account->email, error));
          return;
        }
      if (g_error_matches (error, LK_ERROR, LK_ERROR_INVALID_GRANT))
        {
          g_autoptr(LkTokenSet) without = lk_token_set_copy (refresh->current);

          mark_needs_sign_in (refresh->self, refresh->account);
          refresh->refused = g_steal_pointer (&error);
          if (without->refresh_token == NULL)
            {
              refresh_complete (refresh, NULL,
                                refused_error (refresh->account->email, refresh->refused));
              return;
            }
          /* Drop the refused refresh token so that the processes waiting
           * for the lock see "needs sign-in" without asking the provider
           * again. */
          g_clear_pointer (&without->refresh_token, lk_secret_wipe);
          lk_token_store_store_async (refresh->self->tokens, refresh->account->email, without, NULL,
                                      refused_stored_cb, refresh);
          return;
        }
      refresh_complete (refresh, NULL, g_steal_pointer (&error));
      return;
    }
  if (answer->access_token == NULL || *answer->access_token == '\0')
    {
      refresh_complete (refresh, NULL,
                        g_error_new (LK_ERROR, LK_ERROR_BAD_RESPONSE,
                                     _("The provider's answer for %s held no access token. "
                                       "Try again later."),
                                     refresh->account->email));
      return;
    }

  refresh->merged = merge_tokens (refresh->current, answer);
  refresh_store (refresh);
}

static void
relookup_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Refresh *refresh = user_data;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  refresh->current = lk_token_store_lookup_finish (LK_TOKEN_STORE (source), result, &error);
  if (refresh->current == NULL)
    {
      if (g_error_matches (error, LK_ERROR, LK_ERROR_NOT_FOUND))
        refresh_complete (refresh, NULL, needs_sign_in_error (refresh->account->email));
      else
        refresh_complete (refresh, NULL, g_steal_pointer (&error));
      return;
    }

  /* Refreshed by someone else while we waited for the lock? A forced
   * refresh accepts that too when the token differs from the one the
   * caller found wanting. */
  if (lk_token_set_is_fresh (refresh->current, now, LK_TOKEN_MIN_LIFETIME_SECONDS) &&
      (!refresh->forced ||
       g_strcmp0 (refresh->current->access_token, refresh->seen_access_token) != 0))
    {
      refresh_complete (refresh, refresh->current, NULL);
      return;
    }

  if (refresh->current->refresh_token == NULL &&
      !(refresh->account->flow == LK_FLOW_APP_ONLY && refresh->current->client_secret != NULL))
    {
      mark_needs_sign_in (refresh->self, refresh->account);
      refresh_complete (refresh, NULL, needs_sign_in_error (refresh->account->email));
      return;
    }

  if (refresh->self->refresher == NULL)
    {
      refresh_complete (refresh, NULL,
                        g_error_new (LK_ERROR, LK_ERROR_FAILED,
                                     _("The token of %s has expired and this program "
                                       "cannot refresh it."),
                                     refresh->account->email));
      return;
    }

  lk_token_refresher_refresh_async (refresh->self->refresher, refresh->account,
                                    refresh->current, NULL, refreshed_cb, refresh);
}

static void
locked_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Refresh *refresh = user_data;
  g_autoptr(GError) error = NULL;

  refresh->lock = lk_refresh_lock_acquire_finish (result, &error);
  if (refresh->lock == NULL)
    {
      refresh_complete (refresh, NULL, g_steal_pointer (&error));
      return;
    }
  lk_token_store_lookup_async (refresh->self->tokens, refresh->account->email, NULL,
                               relookup_cb, refresh);
}

/* Ctrl+C must end a command that only waits for another process's refresh
 * (issue #19 §4): once every waiter has given up, the wait for the lock is
 * cancelled. A request already at the provider is not: it may have rotated
 * the refresh token, which must be stored before the process ends. */
static void
waiter_cancelled_cb (GCancellable *cancellable,
                     gpointer      user_data)
{
  Refresh *refresh = user_data;

  if (refresh->lock != NULL)
    return;
  for (guint i = 0; i < refresh->waiters->len; i++)
    {
      GCancellable *other = g_task_get_cancellable (g_ptr_array_index (refresh->waiters, i));

      if (other == NULL || !g_cancellable_is_cancelled (other))
        return;
    }
  g_cancellable_cancel (refresh->lock_wait);
}

static void
watch_waiter (Refresh *refresh,
              GTask   *task)
{
  WaiterHandler handler = { g_task_get_cancellable (task), 0 };

  if (handler.cancellable == NULL)
    return;
  g_object_ref (handler.cancellable);
  /* Appended first: the handler runs at once when already cancelled. */
  g_array_append_val (refresh->handlers, handler);
  g_array_index (refresh->handlers, WaiterHandler, refresh->handlers->len - 1).id =
    g_cancellable_connect (handler.cancellable, G_CALLBACK (waiter_cancelled_cb), refresh, NULL);
}

/* Adds @task to the refresh of its account in flight, or starts one. The
 * shared refresh runs without the callers' cancellables: one caller giving
 * up must not fail the others. A cancelled caller still gets
 * G_IO_ERROR_CANCELLED from _finish, when the refresh ends; when every
 * caller gave up while it still waited for the lock, that is at once. */
static void
join_refresh (LkTokenManager   *self,
              GTask            *task,
              LkAccount        *account,
              gboolean          forced,
              const LkTokenSet *seen)
{
  g_autofree char *key = g_strdup_printf ("%s\n%s", forced ? "forced" : "due", account->email);
  Refresh *refresh = g_hash_table_lookup (self->refreshes, key);

  if (refresh != NULL)
    {
      g_ptr_array_add (refresh->waiters, task);
      watch_waiter (refresh, task);
      return;
    }

  refresh = g_new0 (Refresh, 1);
  refresh->self = g_object_ref (self);
  refresh->key = g_steal_pointer (&key);
  refresh->account = lk_account_ref (account);
  refresh->forced = forced;
  refresh->seen_access_token = seen != NULL ? g_strdup (seen->access_token) : NULL;
  refresh->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (refresh->waiters, task);
  refresh->lock_wait = g_cancellable_new ();
  refresh->handlers = g_array_new (FALSE, FALSE, sizeof (WaiterHandler));
  g_hash_table_insert (self->refreshes, refresh->key, refresh);
  watch_waiter (refresh, task);

  g_debug ("Refreshing the token of %s%s", account->email, forced ? ", as asked" : "");
  lk_refresh_lock_acquire_async (account->email, self->lock_timeout_ms, refresh->lock_wait,
                                 locked_cb, refresh);
}

typedef struct
{
  LkAccount *account;
  gboolean   force_refresh;
} GetTokenData;

static void
get_token_data_free (GetTokenData *data)
{
  lk_account_unref (data->account);
  g_free (data);
}

/* What a keyring read means for one caller. */
static void
got_stored_tokens (GTask            *task,
                   const LkTokenSet *tokens,
                   const GError     *error)
{
  LkTokenManager *self = g_task_get_source_object (task);
  GetTokenData *data = g_task_get_task_data (task);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (tokens == NULL)
    {
      if (g_error_matches (error, LK_ERROR, LK_ERROR_NOT_FOUND))
        g_task_return_error (task, needs_sign_in_error (data->account->email));
      else
        g_task_return_error (task, g_error_copy (error));
      g_object_unref (task);
      return;
    }

  if (!data->force_refresh && lk_token_set_is_fresh (tokens, now, LK_TOKEN_MIN_LIFETIME_SECONDS))
    {
      cache_put (self, data->account->email, tokens);
      g_task_return_pointer (task, lk_token_set_copy (tokens), (GDestroyNotify) lk_token_set_free);
      g_object_unref (task);
      return;
    }

  join_refresh (self, task, data->account, data->force_refresh, tokens);
}

static void
get_token_lookup_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(LkTokenSet) tokens = NULL;
  g_autoptr(GError) error = NULL;

  tokens = lk_token_store_lookup_finish (LK_TOKEN_STORE (source), result, &error);
  got_stored_tokens (task, tokens, error);
}

static void
shared_lookup_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Lookup *lookup = user_data;
  g_autoptr(LkTokenSet) tokens = NULL;
  g_autoptr(GError) error = NULL;

  tokens = lk_token_store_lookup_finish (LK_TOKEN_STORE (source), result, &error);
  g_hash_table_steal (lookup->self->lookups, lookup->email);
  for (guint i = 0; i < lookup->waiters->len; i++)
    got_stored_tokens (g_ptr_array_index (lookup->waiters, i), tokens, error);
  g_object_unref (lookup->self);
  g_free (lookup->email);
  g_ptr_array_unref (lookup->waiters);
  g_free (lookup);
}

/**
 * lk_token_manager_get_token_async:
 * @account: the account
 * @force_refresh: refresh even if the stored access token looks valid
 *   (a server refused it); another process's refresh made meanwhile counts
 *
 * Gets a token set whose access token has more than
 * %LK_TOKEN_MIN_LIFETIME_SECONDS left, refreshing it if needed. Fails with
 * %LK_ERROR_NEEDS_SIGN_IN (naming `latchkey-cli login`), %LK_ERROR_KEYRING,
 * %LK_ERROR_TIMED_OUT (another process holds the lock too long), or the
 * refresher's error (network, OAuth).
 */
void
lk_token_manager_get_token_async (LkTokenManager      *self,
                                  LkAccount           *account,
                                  gboolean             force_refresh,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GetTokenData *data;

  g_return_if_fail (LK_IS_TOKEN_MANAGER (self));
  g_return_if_fail (account != NULL && account->email != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lk_token_manager_get_token_async);
  data = g_new0 (GetTokenData, 1);
  data->account = lk_account_ref (account);
  data->force_refresh = force_refresh;
  g_task_set_task_data (task, data, (GDestroyNotify) get_token_data_free);

  if (self->cache != NULL && !force_refresh)
    {
      LkTokenSet *cached = g_hash_table_lookup (self->cache, account->email);
      Lookup *lookup;

      if (cached != NULL
          && lk_token_set_is_fresh (cached, g_get_real_time () / G_USEC_PER_SEC,
                                    LK_TOKEN_MIN_LIFETIME_SECONDS))
        {
          g_task_return_pointer (task, lk_token_set_copy (cached), (GDestroyNotify) lk_token_set_free);
          return;
        }
      /* Callers arriving together share one keyring read. */
      lookup = g_hash_table_lookup (self->lookups, account->email);
      if (lookup != NULL)
        {
          g_ptr_array_add (lookup->waiters, g_steal_pointer (&task));
          return;
        }
      lookup = g_new0 (Lookup, 1);
      lookup->self = g_object_ref (self);
      lookup->email = g_strdup (account->email);
      lookup->waiters = g_ptr_array_new ();
      g_ptr_array_add (lookup->waiters, g_steal_pointer (&task));
      g_hash_table_insert (self->lookups, lookup->email, lookup);
      lk_token_store_lookup_async (self->tokens, account->email, NULL, shared_lookup_cb, lookup);
      return;
    }

  lk_token_store_lookup_async (self->tokens, account->email, cancellable, get_token_lookup_cb,
                               g_steal_pointer (&task));
}

/**
 * lk_token_manager_set_memory_cache:
 *
 * Keeps every token set handed out in memory, until
 * %LK_TOKEN_MIN_LIFETIME_SECONDS before it expires, and lets callers that
 * arrive together share one keyring read: for a long-running process that
 * serves many connections (the bridge), where a keyring read per
 * connection would cost more than the connection. The sets are wiped when
 * dropped. Off by default: a short-lived process gains nothing.
 */
void
lk_token_manager_set_memory_cache (LkTokenManager *self,
                                   gboolean        enabled)
{
  g_return_if_fail (LK_IS_TOKEN_MANAGER (self));

  if (enabled && self->cache == NULL)
    {
      self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) lk_token_set_free);
      self->lookups = g_hash_table_new (g_str_hash, g_str_equal);
    }
  else if (!enabled)
    g_clear_pointer (&self->cache, g_hash_table_unref);
}

/**
 * lk_token_manager_forget:
 *
 * Drops what the memory cache holds for @email (the account was removed or
 * signed in again elsewhere).
 */
void
lk_token_manager_forget (LkTokenManager *self,
                         const char     *email)
{
  g_return_if_fail (LK_IS_TOKEN_MANAGER (self));
  if (self->cache != NULL)
    g_hash_table_remove (self->cache, email);
}

/**
 * lk_token_manager_is_busy:
 *
 * Whether a refresh is in flight: a process that is asked to stop waits
 * for it, so that a refresh token the provider has just rotated is stored.
 */
gboolean
lk_token_manager_is_busy (LkTokenManager *self)
{
  g_return_val_if_fail (LK_IS_TOKEN_MANAGER (self), FALSE);
  return g_hash_table_size (self->refreshes) > 0;
}

/**
 * lk_token_manager_get_token_finish:
 *
 * Returns: (transfer full): the token set; free with lk_token_set_free(),
 *   which wipes it.
 */
LkTokenSet *
lk_token_manager_get_token_finish (LkTokenManager  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lk_token_manager_get_token_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* store_initial */

typedef struct
{
  LkAccount *account;
  gboolean   had_file;    /* an account of that address existed before */
  GError    *save_error;  /* why the account file could not be written */
} StoreInitialData;

static void
store_initial_data_free (StoreInitialData *data)
{
  g_clear_pointer (&data->account, lk_account_unref);
  g_clear_error (&data->save_error);
  g_free (data);
}

static void
store_initial_rolled_back_cb (GObject      *source,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  StoreInitialData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GError *save_error = g_steal_pointer (&data->save_error);

  if (!lk_token_store_clear_finish (LK_TOKEN_STORE (source), result, NULL, &error))
    {
      g_prefix_error (&save_error,
                      _("The tokens of %s are left in the keyring without an account (%s); "
                        "removing the account clears them. "),
                      data->account->email, error->message);
      if (save_error->domain == LK_ERROR)
        lk_error_set_remedy (save_error, LK_REMEDY_REMOVE, data->account->email);
    }
  g_task_return_error (task, save_error);
}

static void
store_initial_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LkTokenManager *self = g_task_get_source_object (task);
  StoreInitialData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!lk_token_store_store_finish (LK_TOKEN_STORE (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (self->store != NULL && !lk_account_store_save (self->store, data->account, &error))
    {
      /* A new account whose file cannot be written (a full or read-only
       * folder) must not leave its secret behind, invisible to `list`. A
       * signed-in-again one keeps its old file and now its new tokens. */
      if (data->had_file)
        {
          g_task_return_error (task, error);
          return;
        }
      data->save_error = error;
      lk_token_store_clear_async (self->tokens, data->account->email, NULL,
                                  store_initial_rolled_back_cb, g_steal_pointer (&task));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/**
 * lk_token_manager_store_initial_async:
 * @account: the account just signed in; its state becomes "untested" if it
 *   was "needs sign-in"
 * @tokens: what the sign-in returned
 * @replace: whether an existing account of that address may be replaced;
 *   if not, fails with %LK_ERROR_EXISTS before writing anything
 *
 * Saves a sign-in: the tokens in the keyring first, then the account file.
 * If the keyring cannot be written, nothing is saved; if a new account's
 * file cannot be, its tokens are taken out of the keyring again (or the
 * error says they are left, and that `remove` clears them).
 */
void
lk_token_manager_store_initial_async (LkTokenManager      *self,
                                      LkAccount           *account,
                                      const LkTokenSet    *tokens,
                                      gboolean             replace,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(LkTokenSet) stamped = NULL;
  StoreInitialData *data;

  g_return_if_fail (LK_IS_TOKEN_MANAGER (self));
  g_return_if_fail (account != NULL && account->email != NULL);
  g_return_if_fail (tokens != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lk_token_manager_store_initial_async);
  data = g_new0 (StoreInitialData, 1);
  data->account = lk_account_ref (account);
  data->had_file = self->store != NULL && lk_account_store_exists (self->store, account->email);
  g_task_set_task_data (task, data, (GDestroyNotify) store_initial_data_free);

  if (!replace && data->had_file)
    {
      g_autoptr(GError) error = g_error_new (LK_ERROR, LK_ERROR_EXISTS,
                                             _("There is already an account %s. Sign it in "
                                               "again, or remove it first."), account->email);

      lk_error_set_remedy (error, LK_REMEDY_SIGN_IN, account->email);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (account->state == LK_ACCOUNT_STATE_NEEDS_SIGN_IN)
    account->state = LK_ACCOUNT_STATE_UNTESTED;

  /* A sign-in starts the clock the account page shows. */
  stamped = lk_token_set_copy (tokens);
  stamped->signed_in_at = g_get_real_time () / G_USEC_PER_SEC;
  stamped->refreshed_at = 0;
  stamped->refresh_token_at = stamped->refresh_token != NULL ? stamped->signed_in_at : 0;
  lk_token_store_store_async (self->tokens, account->email, stamped, cancellable, store_initial_cb,
                              g_steal_pointer (&task));
}

gboolean
lk_token_manager_store_initial_finish (LkTokenManager  *self,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lk_token_manager_store_initial_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* remove: one operation under the account's refresh lock, so that a
 * refresh already running finishes (and stores what it got) before the item
 * goes, and none starts in between; keyring item first, then the file. */

typedef struct
{
  char           *email;
  LkRefreshLock  *lock;
  LkRemovedFlags  removed;
} RemoveData;

static void
remove_data_free (RemoveData *data)
{
  g_free (data->email);
  g_clear_pointer (&data->lock, lk_refresh_lock_free);
  g_free (data);
}

static void
remove_cleared_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LkTokenManager *self = g_task_get_source_object (task);
  RemoveData *data = g_task_get_task_data (task);
  GError *error = NULL;
  gboolean found = FALSE;

  /* The file goes only once the secret is gone, so that a failure (a
   * locked keyring) leaves an account that can be removed again rather
   * than an orphaned secret. */
  if (!lk_token_store_clear_finish (LK_TOKEN_STORE (source), result, &found, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (found)
    data->removed |= LK_REMOVED_TOKENS;
  if (self->store != NULL)
    {
      if (!lk_account_store_remove (self->store, data->email, &found, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      if (found)
        data->removed |= LK_REMOVED_FILE;
    }
  g_clear_pointer (&data->lock, lk_refresh_lock_free);
  if (data->removed == LK_REMOVED_NOTHING)
    {
      g_autoptr(GError) missing = g_error_new (LK_ERROR, LK_ERROR_NOT_FOUND,
                                               _("There is no account %s: no account file and "
                                                 "no tokens in the keyring; check the address."),
                                               data->email);

      lk_error_set_remedy (missing, LK_REMEDY_CHECK_ADDRESS, data->email);
      g_task_return_error (task, g_steal_pointer (&missing));
      return;
    }
  g_task_return_int (task, data->removed);
}

static void
remove_locked_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LkTokenManager *self = g_task_get_source_object (task);
  RemoveData *data = g_task_get_task_data (task);
  GCancellable *cancellable;
  GError *error = NULL;

  data->lock = lk_refresh_lock_acquire_finish (result, &error);
  if (data->lock == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  cancellable = g_task_get_cancellable (task);
  lk_token_store_clear_async (self->tokens, data->email, cancellable, remove_cleared_cb,
                              g_steal_pointer (&task));
}

/**
 * lk_token_manager_remove_async:
 *
 * Removes whatever is left of an account, under its refresh lock: every
 * keyring item of the address, then its file (damaged or not). Fails with
 * %LK_ERROR_KEYRING, removing nothing, when the keyring is locked, and with
 * %LK_ERROR_NOT_FOUND when there was neither.
 */
void
lk_token_manager_remove_async (LkTokenManager      *self,
                               const char          *email,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  RemoveData *data;

  g_return_if_fail (LK_IS_TOKEN_MANAGER (self));
  g_return_if_fail (email != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lk_token_manager_remove_async);
  data = g_new0 (RemoveData, 1);
  data->email = g_strdup (email);
  g_task_set_task_data (task, data, (GDestroyNotify) remove_data_free);
  lk_refresh_lock_acquire_async (email, self->lock_timeout_ms, cancellable, remove_locked_cb,
                                 g_steal_pointer (&task));
}

/**
 * lk_token_manager_remove_finish:
 * @out_removed: (out) (optional): what there was to remove
 */
gboolean
lk_token_manager_remove_finish (LkTokenManager  *self,
                                GAsyncResult    *result,
                                LkRemovedFlags  *out_removed,
                                GError         **error)
{
  gssize removed;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lk_token_manager_remove_async, FALSE);
  removed = g_task_propagate_int (G_TASK (result), error);
  if (out_removed != NULL)
    *out_removed = removed > 0 ? (LkRemovedFlags) removed : LK_REMOVED_NOTHING;
  return removed > 0;
}
