/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The token manager against the session's real gnome-keyring, with a test
 * refresher standing in for the OAuth engine. */
#include "config.h"

#include <string.h>

#include "lk-error.h"
#include "lk-test-jwt.h"
#include "lk-test-refresher.h"
#include "lk-test-utils.h"
#include "store/lk-token-manager.h"
#include "store/lk-sealed-token-store.h"
#include "store/lk-token-store.h"

/* The manager's own store: the process's default (the keyring, or the
 * sealed store with LK_TEST_TOKEN_STORE=sealed). */
#define STORE (lk_token_store_get_default ())

typedef struct
{
  char            *scratch;
  LkAccountStore  *store;
  LkTestRefresher *refresher;
  LkTokenManager  *manager;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  LkTestRefreshMode mode = GPOINTER_TO_INT (data);

  fixture->scratch = lk_test_make_scratch ();
  fixture->store = lk_account_store_new (fixture->scratch);
  fixture->refresher = lk_test_refresher_new (mode, 50, NULL);
  fixture->manager = lk_token_manager_new (fixture->store, LK_TOKEN_REFRESHER (fixture->refresher));
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_assert_finalize_object (fixture->manager);
  g_clear_object (&fixture->refresher);
  g_clear_object (&fixture->store);
  g_free (fixture->scratch);
}

/* When the stored tokens' sign-in happened (2026-01-01). */
#define SIGNED_IN_AT 1767225600

static LkTokenSet *
store_tokens (const char *email,
              gint64      lifetime)
{
  LkTokenSet *tokens = lk_token_set_new ();
  g_autoptr(GError) error = NULL;

  tokens->access_token = lk_test_make_access_token ();
  tokens->refresh_token = lk_test_random_string (LK_TEST_REFRESH_PREFIX, 16);
  tokens->expires_at = g_get_real_time () / G_USEC_PER_SEC + lifetime;
  tokens->scope = g_strdup ("https://outlook.office.com/IMAP.AccessAsUser.All");
  tokens->signed_in_at = SIGNED_IN_AT;
  tokens->refresh_token_at = SIGNED_IN_AT;
  g_assert_true (lk_token_store_store_sync (STORE, email, tokens, NULL, &error));
  g_assert_no_error (error);
  return tokens;
}

typedef struct
{
  guint       pending;
  GPtrArray  *results;  /* LkTokenSet, or NULL for an error */
  GError     *error;    /* the last error */
  /* Checked the moment the first caller gets its token. */
  LkTokenSet *keyring_at_return;
} Calls;

static void
calls_clear (Calls *calls)
{
  g_clear_pointer (&calls->results, g_ptr_array_unref);
  g_clear_error (&calls->error);
  g_clear_pointer (&calls->keyring_at_return, lk_token_set_free);
}

static void
got_token_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Calls *calls = user_data;
  GError *error = NULL;
  LkTokenSet *tokens = lk_token_manager_get_token_finish (LK_TOKEN_MANAGER (source), result, &error);

  if (tokens != NULL && calls->keyring_at_return == NULL)
    {
      g_autoptr(GError) lookup_error = NULL;
      const char *email = g_object_get_data (G_OBJECT (source), "email");

      calls->keyring_at_return = lk_token_store_lookup_sync (STORE, email, NULL, &lookup_error);
      g_assert_no_error (lookup_error);
    }
  if (error != NULL)
    {
      g_clear_error (&calls->error);
      calls->error = error;
    }
  g_ptr_array_add (calls->results, tokens);
  calls->pending--;
}

static gboolean
calls_done (gpointer user_data)
{
  return ((Calls *) user_data)->pending == 0;
}

static void
get_tokens (Fixture   *fixture,
            LkAccount *account,
            guint      n,
            gboolean   force,
            Calls     *calls)
{
  calls->pending = n;
  calls->results = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_token_set_free);
  g_object_set_data_full (G_OBJECT (fixture->manager), "email", g_strdup (account->email), g_free);
  for (guint i = 0; i < n; i++)
    lk_token_manager_get_token_async (fixture->manager, account, force, NULL, got_token_cb, calls);
  g_assert_true (lk_test_wait_for (calls_done, calls, 30000));
}

static void
test_fresh (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(LkAccount) account = lk_test_make_account ("fresh@example.com");
  g_autoptr(LkTokenSet) stored = store_tokens (account->email, 3600);
  Calls calls = { 0 };
  LkTokenSet *got;

  get_tokens (fixture, account, 1, FALSE, &calls);
  g_assert_no_error (calls.error);
  got = calls.results->pdata[0];
  g_assert_cmpstr (got->access_token, ==, stored->access_token);
  g_assert_cmpuint (lk_test_refresher_get_calls (fixture->refresher), ==, 0);
  calls_clear (&calls);
}

static void
test_expiring_refreshed_once (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(LkAccount) account = lk_test_make_account ("expiring@example.com");
  g_autoptr(LkTokenSet) stored = store_tokens (account->email, 120);
  gint64 start = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(LkTokenSet) after = NULL;
  g_autoptr(GError) error = NULL;
  Calls calls = { 0 };
  const char *rotated;

  get_tokens (fixture, account, 25, FALSE, &calls);
  g_assert_no_error (calls.error);
  g_assert_cmpuint (lk_test_refresher_get_calls (fixture->refresher), ==, 1);
  rotated = lk_test_refresher_get_last_refresh_token (fixture->refresher);
  g_assert_nonnull (rotated);

  for (guint i = 0; i < calls.results->len; i++)
    {
      LkTokenSet *got = calls.results->pdata[i];

      g_assert_cmpstr (got->access_token, !=, stored->access_token);
      g_assert_cmpstr (got->access_token, ==, ((LkTokenSet *) calls.results->pdata[0])->access_token);
      g_assert_cmpint (got->expires_at, >, g_get_real_time () / G_USEC_PER_SEC + 3000);
      g_assert_cmpstr (got->refresh_token, ==, rotated);
      /* Kept from before: the answer had no scope. */
      g_assert_cmpstr (got->scope, ==, stored->scope);
    }

  /* By the time the first caller had its access token, the rotated refresh
   * token was in the keyring. */
  g_assert_nonnull (calls.keyring_at_return);
  g_assert_cmpstr (calls.keyring_at_return->refresh_token, ==, rotated);
  g_assert_cmpstr (calls.keyring_at_return->access_token, ==,
                   ((LkTokenSet *) calls.results->pdata[0])->access_token);
  /* The sign-in is as old as it was; the refresh and the rotated refresh
   * token are new (the account page shows both). */
  g_assert_cmpint (calls.keyring_at_return->signed_in_at, ==, SIGNED_IN_AT);
  g_assert_cmpint (calls.keyring_at_return->refreshed_at, >=, start);
  g_assert_cmpint (calls.keyring_at_return->refresh_token_at, ==,
                   calls.keyring_at_return->refreshed_at);

  /* And the next caller is served from the keyring. */
  calls_clear (&calls);
  get_tokens (fixture, account, 1, FALSE, &calls);
  g_assert_no_error (calls.error);
  g_assert_cmpuint (lk_test_refresher_get_calls (fixture->refresher), ==, 1);
  calls_clear (&calls);
}

static void
test_refresh_keeps_refresh_token (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(LkAccount) account = lk_test_make_account ("keep@example.com");
  g_autoptr(LkTokenSet) stored = store_tokens (account->email, -10);
  gint64 start = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(LkTokenSet) after = NULL;
  g_autoptr(GError) error = NULL;
  Calls calls = { 0 };

  get_tokens (fixture, account, 1, FALSE, &calls);
  g_assert_no_error (calls.error);
  g_assert_cmpuint (lk_test_refresher_get_calls (fixture->refresher), ==, 1);
  after = lk_token_store_lookup_sync (STORE, account->email, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (after->refresh_token, ==, stored->refresh_token);
  g_assert_cmpstr (after->access_token, !=, stored->access_token);
  /* Refreshed now; the refresh token is as old as the sign-in. */
  g_assert_cmpint (after->refreshed_at, >=, start);
  g_assert_cmpint (after->refresh_token_at, ==, SIGNED_IN_AT);
  g_assert_cmpint (after->signed_in_at, ==, SIGNED_IN_AT);
  calls_clear (&calls);
}

static void
test_force_refresh (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(LkAccount) account = lk_test_make_account ("force@example.com");
  g_autoptr(LkTokenSet) stored = store_tokens (account->email, 3600);
  Calls calls = { 0 };

  get_tokens (fixture, account, 3, TRUE, &calls);
  g_assert_no_error (calls.error);
  g_assert_cmpuint (lk_test_refresher_get_calls (fixture->refresher), ==, 1);
  g_assert_cmpstr (((LkTokenSet *) calls.results->pdata[0])->access_token, !=, stored->access_token);
  calls_clear (&calls);
}

static void
test_invalid_grant (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(LkAccount) account = lk_test_make_account ("revoked@example.com");
  g_autoptr(LkTokenSet) stored = store_tokens (account->email, 60);
  g_autoptr(LkAccount) on_disk = NULL;
  g_autoptr(LkTokenSet) after = NULL;
  g_autoptr(GError) error = NULL;
  Calls calls = { 0 };

  account->state = LK_ACCOUNT_STATE_WORKING;
  g_assert_true (lk_account_store_save (fixture->store, account, &error));

  get_tokens (fixture, account, 3, FALSE, &calls);
  g_assert_error (calls.error, LK_ERROR, LK_ERROR_NEEDS_SIGN_IN);
  /* The message says what to do; the CLI names its command (LkRemedy). */
  g_assert_nonnull (strstr (calls.error->message, "revoked@example.com"));
  g_assert_null (strstr (calls.error->message, "latchkey-cli"));
  g_assert_cmpint (lk_error_get_details (calls.error)->remedy, ==, LK_REMEDY_SIGN_IN);
  g_assert_cmpstr (lk_error_get_details (calls.error)->account, ==, "revoked@example.com");
  g_assert_null (strstr (calls.error->message, LK_TEST_REFRESH_PREFIX));
  g_assert_cmpstr (lk_error_get_details (calls.error)->oauth_error, ==, "invalid_grant");
  for (guint i = 0; i < calls.results->len; i++)
    g_assert_null (calls.results->pdata[i]);
  g_assert_cmpuint (lk_test_refresher_get_calls (fixture->refresher), ==, 1);

  on_disk = lk_account_store_load (fixture->store, account->email, &error);
  g_assert_no_error (error);
  g_assert_cmpint (on_disk->state, ==, LK_ACCOUNT_STATE_NEEDS_SIGN_IN);

  /* The refused refresh token is gone, so the next caller (or another
   * process waiting for the lock) does not ask the provider again. */
  after = lk_token_store_lookup_sync (STORE, account->email, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (after->refresh_token);
  calls_clear (&calls);
  get_tokens (fixture, account, 1, FALSE, &calls);
  g_assert_error (calls.error, LK_ERROR, LK_ERROR_NEEDS_SIGN_IN);
  g_assert_cmpuint (lk_test_refresher_get_calls (fixture->refresher), ==, 1);
  calls_clear (&calls);
}

static void
test_no_tokens (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(LkAccount) account = lk_test_make_account ("nobody@example.com");
  Calls calls = { 0 };

  get_tokens (fixture, account, 1, FALSE, &calls);
  g_assert_error (calls.error, LK_ERROR, LK_ERROR_NEEDS_SIGN_IN);
  /* The message says what to do; the CLI names its command (LkRemedy). */
  g_assert_nonnull (strstr (calls.error->message, "nobody@example.com"));
  g_assert_null (strstr (calls.error->message, "latchkey-cli"));
  g_assert_cmpint (lk_error_get_details (calls.error)->remedy, ==, LK_REMEDY_SIGN_IN);
  g_assert_cmpstr (lk_error_get_details (calls.error)->account, ==, "nobody@example.com");
  calls_clear (&calls);
}

/* N processes, each its own manager, ask at once for an expiring token:
 * the lock and the re-read make it one refresh in all. */
static void
test_processes_refresh_once (Fixture       *fixture,
                             gconstpointer  data)
{
  const char *email = "shared@example.com";
  g_autoptr(LkTokenSet) stored = store_tokens (email, 30);
  g_autoptr(LkTokenSet) after = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *count_path = g_build_filename (fixture->scratch, "refreshes", NULL);
  g_autofree char *helper = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "store", "lk-store-helper", NULL);
  g_autofree char *digest = NULL;
  g_autofree char *checksum = NULL;
  GSubprocess *processes[8];
  char *outputs[G_N_ELEMENTS (processes)];

  for (guint i = 0; i < G_N_ELEMENTS (processes); i++)
    {
      processes[i] = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                       helper, "token", email, count_path, "300", NULL);
      g_assert_no_error (error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (processes); i++)
    {
      g_assert_true (g_subprocess_communicate_utf8 (processes[i], NULL, NULL, &outputs[i], NULL, &error));
      g_assert_no_error (error);
      g_assert_true (g_subprocess_get_successful (processes[i]));
      g_object_unref (processes[i]);
    }

  g_assert_cmpuint (lk_test_count_lines (count_path), ==, 1);
  after = lk_token_store_lookup_sync (STORE, email, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (after->access_token, !=, stored->access_token);
  g_assert_cmpstr (after->refresh_token, !=, stored->refresh_token);
  checksum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, after->access_token, -1);
  digest = g_strconcat (checksum, "\n", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (processes); i++)
    {
      g_assert_cmpstr (outputs[i], ==, digest);
      g_free (outputs[i]);
    }
}

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
} BoolResult;

static void
stored_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  BoolResult *out = user_data;

  out->ok = lk_token_manager_store_initial_finish (LK_TOKEN_MANAGER (source), result, &out->error);
  out->done = TRUE;
}

static void
removed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  BoolResult *out = user_data;

  out->ok = lk_token_manager_remove_finish (LK_TOKEN_MANAGER (source), result, NULL, &out->error);
  out->done = TRUE;
}

static gboolean
bool_done (gpointer user_data)
{
  return ((BoolResult *) user_data)->done;
}

static void
test_store_initial_and_remove (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(LkAccount) account = lk_test_make_account ("new@example.com");
  g_autoptr(LkTokenSet) tokens = lk_token_set_new ();
  g_autoptr(LkTokenSet) found = NULL;
  g_autoptr(GError) error = NULL;
  BoolResult first = { 0 }, again = { 0 }, removed = { 0 };
  gint64 start = g_get_real_time () / G_USEC_PER_SEC;

  tokens->access_token = lk_test_make_access_token ();
  tokens->refresh_token = lk_test_random_string (LK_TEST_REFRESH_PREFIX, 16);
  tokens->expires_at = g_get_real_time () / G_USEC_PER_SEC + 3600;

  lk_token_manager_store_initial_async (fixture->manager, account, tokens, FALSE, NULL, stored_cb, &first);
  g_assert_true (lk_test_wait_for (bool_done, &first, 10000));
  g_assert_no_error (first.error);
  g_assert_true (lk_account_store_exists (fixture->store, account->email));
  found = lk_token_store_lookup_sync (STORE, account->email, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->refresh_token, ==, tokens->refresh_token);
  /* The sign-in's time is kept with it. */
  g_assert_cmpint (found->signed_in_at, >=, start);
  g_assert_cmpint (found->signed_in_at, <=, g_get_real_time () / G_USEC_PER_SEC);
  g_assert_cmpint (found->refresh_token_at, ==, found->signed_in_at);
  g_assert_cmpint (found->refreshed_at, ==, 0);

  lk_token_manager_store_initial_async (fixture->manager, account, tokens, FALSE, NULL, stored_cb, &again);
  g_assert_true (lk_test_wait_for (bool_done, &again, 10000));
  g_assert_error (again.error, LK_ERROR, LK_ERROR_EXISTS);
  g_clear_error (&again.error);

  lk_token_manager_remove_async (fixture->manager, account->email, NULL, removed_cb, &removed);
  g_assert_true (lk_test_wait_for (bool_done, &removed, 10000));
  g_assert_no_error (removed.error);
  g_assert_false (lk_account_store_exists (fixture->store, account->email));
  g_clear_pointer (&found, lk_token_set_free);
  found = lk_token_store_lookup_sync (STORE, account->email, NULL, &error);
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
}

/* Without a keyring (or without the sealed store's key) a sign-in saves
 * nothing: no account file either. */
static void
test_store_initial_no_keyring (Fixture       *fixture,
                               gconstpointer  data)
{
  if (g_test_subprocess ())
    {
      g_autoptr(LkAccount) account = lk_test_make_account ("lost@example.com");
      g_autoptr(LkTokenSet) tokens = lk_token_set_new ();
      BoolResult result = { 0 };

      tokens->access_token = lk_test_make_access_token ();
      tokens->refresh_token = lk_test_random_string (LK_TEST_REFRESH_PREFIX, 16);
      lk_token_manager_store_initial_async (fixture->manager, account, tokens, FALSE, NULL,
                                            stored_cb, &result);
      g_assert_true (lk_test_wait_for (bool_done, &result, 10000));
      g_assert_error (result.error, LK_ERROR, LK_ERROR_KEYRING);
      g_assert_false (lk_account_store_exists (fixture->store, account->email));
      g_clear_error (&result.error);
      {
        g_autoptr(GDir) dir = g_dir_open (fixture->scratch, 0, NULL);

        g_assert_true (dir == NULL || g_dir_read_name (dir) == NULL);
      }
      return;
    }

  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "disabled:", TRUE);
  if (g_getenv ("CREDENTIALS_DIRECTORY") != NULL)
    {
      g_autofree char *empty = g_build_filename (fixture->scratch, "no-credentials", NULL);

      g_assert_cmpint (g_mkdir_with_parents (empty, 0700), ==, 0);
      g_setenv ("CREDENTIALS_DIRECTORY", empty, TRUE);
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
keep_result_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* One call, without looking at the keyring (which these tests empty). */
static LkTokenSet *
get_one (Fixture    *fixture,
         LkAccount  *account,
         GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  lk_token_manager_get_token_async (fixture->manager, account, FALSE, NULL,
                                    keep_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return lk_token_manager_get_token_finish (fixture->manager, result, error);
}

/* lk_token_manager_set_memory_cache(): served from memory once handed out,
 * even when the keyring no longer has it; forgotten on request. */
static void
test_memory_cache (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(LkAccount) account = lk_test_make_account ("cached@example.com");
  g_autoptr(LkTokenSet) stored = store_tokens (account->email, 3600);
  g_autoptr(LkTokenSet) got = NULL;
  g_autoptr(GError) error = NULL;
  Calls calls = { 0 };

  lk_token_manager_set_memory_cache (fixture->manager, TRUE);
  get_tokens (fixture, account, 3, FALSE, &calls);
  g_assert_no_error (calls.error);
  calls_clear (&calls);

  g_assert_true (lk_token_store_clear_sync (STORE, account->email, NULL, NULL, &error));
  got = get_one (fixture, account, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got->access_token, ==, stored->access_token);
  g_clear_pointer (&got, lk_token_set_free);

  lk_token_manager_forget (fixture->manager, account->email);
  g_assert_null (get_one (fixture, account, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_NEEDS_SIGN_IN);
}

/* Many callers at once with the cache on and an expiring token: one
 * refresh, and its result is what the cache serves next. */
static void
test_memory_cache_expiring (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(LkAccount) account = lk_test_make_account ("cached-expiring@example.com");
  g_autoptr(LkTokenSet) stored = store_tokens (account->email, 120);
  g_autoptr(LkTokenSet) got = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *refreshed = NULL;
  Calls calls = { 0 };

  lk_token_manager_set_memory_cache (fixture->manager, TRUE);
  get_tokens (fixture, account, 50, FALSE, &calls);
  g_assert_no_error (calls.error);
  g_assert_cmpuint (lk_test_refresher_get_calls (fixture->refresher), ==, 1);
  g_assert_false (lk_token_manager_is_busy (fixture->manager));
  refreshed = g_strdup (((LkTokenSet *) calls.results->pdata[0])->access_token);
  g_assert_cmpstr (refreshed, !=, stored->access_token);
  for (guint i = 0; i < calls.results->len; i++)
    g_assert_cmpstr (((LkTokenSet *) calls.results->pdata[i])->access_token, ==, refreshed);
  calls_clear (&calls);

  g_assert_true (lk_token_store_clear_sync (STORE, account->email, NULL, NULL, &error));
  got = get_one (fixture, account, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got->access_token, ==, refreshed);
  g_assert_cmpuint (lk_test_refresher_get_calls (fixture->refresher), ==, 1);
}

#define ADD(path, mode, func) \
  g_test_add ("/store/token-manager/" path, Fixture, GINT_TO_POINTER (mode), \
              fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  if (lk_test_use_sealed_store_if_asked ())
    g_assert_true (LK_IS_SEALED_TOKEN_STORE (lk_token_store_get_default ()));
  ADD ("fresh", LK_TEST_REFRESH_ROTATE, test_fresh);
  ADD ("expiring-refreshed-once", LK_TEST_REFRESH_ROTATE, test_expiring_refreshed_once);
  ADD ("keeps-refresh-token", LK_TEST_REFRESH_KEEP, test_refresh_keeps_refresh_token);
  ADD ("force-refresh", LK_TEST_REFRESH_ROTATE, test_force_refresh);
  ADD ("invalid-grant", LK_TEST_REFRESH_INVALID_GRANT, test_invalid_grant);
  ADD ("no-tokens", LK_TEST_REFRESH_ROTATE, test_no_tokens);
  ADD ("processes-refresh-once", LK_TEST_REFRESH_ROTATE, test_processes_refresh_once);
  ADD ("store-initial-and-remove", LK_TEST_REFRESH_ROTATE, test_store_initial_and_remove);
  ADD ("store-initial-no-keyring", LK_TEST_REFRESH_ROTATE, test_store_initial_no_keyring);
  ADD ("memory-cache", LK_TEST_REFRESH_ROTATE, test_memory_cache);
  ADD ("memory-cache-expiring", LK_TEST_REFRESH_ROTATE, test_memory_cache_expiring);
  return g_test_run ();
}
