/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The keyring item (against the session's real gnome-keyring) and the
 * refresh lock. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "lk-error.h"
#include "lk-test-jwt.h"
#include "lk-test-refresher.h"
#include "lk-test-utils.h"
#include "store/lk-refresh-lock.h"
#include "store/lk-secret-token-store.h"

/* The Secret Service store, whatever the process's default. */
static LkTokenStore *
keyring (void)
{
  static LkSecretTokenStore *store;

  if (store == NULL)
    store = lk_secret_token_store_new ();
  return LK_TOKEN_STORE (store);
}

#define STORE (keyring ())

static LkTokenSet *
make_tokens (void)
{
  LkTokenSet *tokens = lk_token_set_new ();

  tokens->access_token = lk_test_make_access_token ();
  tokens->refresh_token = lk_test_random_string (LK_TEST_REFRESH_PREFIX, 16);
  tokens->expires_at = 1900000000;
  tokens->scope = g_strdup ("https://outlook.office.com/IMAP.AccessAsUser.All offline_access");
  tokens->id_email = g_strdup ("alice@example.com");
  return tokens;
}

static void
test_store_lookup_clear (void)
{
  g_autoptr(LkTokenSet) tokens = make_tokens ();
  g_autoptr(LkTokenSet) other = make_tokens ();
  g_autoptr(LkTokenSet) found = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (lk_token_store_store_sync (STORE, "alice@example.com", tokens, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (lk_token_store_store_sync (STORE, "o'brien+x@example.com", other, NULL, &error));
  g_assert_no_error (error);

  found = lk_token_store_lookup_sync (STORE, "alice@example.com", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->access_token, ==, tokens->access_token);
  g_assert_cmpstr (found->refresh_token, ==, tokens->refresh_token);
  g_assert_cmpint (found->expires_at, ==, 1900000000);
  g_assert_cmpstr (found->scope, ==, tokens->scope);
  g_clear_pointer (&found, lk_token_set_free);

  /* Storing again replaces the one item. */
  g_clear_pointer (&tokens->refresh_token, lk_secret_wipe);
  tokens->refresh_token = lk_test_random_string (LK_TEST_REFRESH_PREFIX, 16);
  g_assert_true (lk_token_store_store_sync (STORE, "alice@example.com", tokens, NULL, &error));
  found = lk_token_store_lookup_sync (STORE, "alice@example.com", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->refresh_token, ==, tokens->refresh_token);
  g_clear_pointer (&found, lk_token_set_free);

  g_assert_true (lk_token_store_clear_sync (STORE, "alice@example.com", NULL, NULL, &error));
  g_assert_no_error (error);
  found = lk_token_store_lookup_sync (STORE, "alice@example.com", NULL, &error);
  g_assert_null (found);
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  /* The message says what to do; the CLI names its command (LkRemedy). */
  g_assert_nonnull (strstr (error->message, "alice@example.com"));
  g_assert_null (strstr (error->message, "latchkey-cli"));
  g_assert_cmpint (lk_error_get_details (error)->remedy, ==, LK_REMEDY_SIGN_IN);
  g_assert_cmpstr (lk_error_get_details (error)->account, ==, "alice@example.com");
  g_clear_error (&error);

  /* The other account is untouched; clearing nothing is not an error. */
  found = lk_token_store_lookup_sync (STORE, "o'brien+x@example.com", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->access_token, ==, other->access_token);
  g_assert_true (lk_token_store_clear_sync (STORE, "alice@example.com", NULL, NULL, &error));
  g_assert_no_error (error);
}

/* What the fast path in latchkey-cli relies on: secret-tool, which knows
 * nothing of our schema, finds the item by the raw attributes. */
static void
test_item_attributes (void)
{
  g_autoptr(LkTokenSet) tokens = make_tokens ();
  g_autoptr(LkTokenSet) parsed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  /* secret-tool is a GLib program: with G_MESSAGES_DEBUG set (test.sh
   * --debug-messages) its debug lines would join the secret on stdout. */
  g_auto(GStrv) env = g_environ_unsetenv (g_get_environ (), "G_MESSAGES_DEBUG");
  int status = 0;
  const char *argv[] = { "secret-tool", "lookup", "xdg:schema", "io.github.latchkey.Token",
                         "account", "dave@example.com", "version", "1", NULL };

  g_assert_true (lk_token_store_store_sync (STORE, "dave@example.com", tokens, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  parsed = lk_token_set_deserialize (out, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (parsed->access_token, ==, tokens->access_token);
  lk_secret_wipe (g_steal_pointer (&out));
}

static void
assert_keyring_error (GError *error)
{
  g_assert_error (error, LK_ERROR, LK_ERROR_KEYRING);
  g_assert_nonnull (strstr (error->message, "keyring"));
  g_assert_nonnull (strstr (error->message, "gnome-keyring"));
  g_assert_null (strstr (error->message, LK_TEST_REFRESH_PREFIX));
}

/* In a child without a bus: every operation fails with LK_ERROR_KEYRING
 * and a message saying what to start, and never falls back elsewhere. */
static void
test_no_secret_service (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(LkTokenSet) tokens = make_tokens ();
      g_autoptr(LkTokenSet) found = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_false (lk_token_store_store_sync (STORE, "erin@example.com", tokens, NULL, &error));
      assert_keyring_error (error);
      g_test_message ("store: %s", error->message);
      g_clear_error (&error);
      found = lk_token_store_lookup_sync (STORE, "erin@example.com", NULL, &error);
      g_assert_null (found);
      assert_keyring_error (error);
      g_clear_error (&error);
      g_assert_false (lk_token_store_clear_sync (STORE, "erin@example.com", NULL, NULL, &error));
      assert_keyring_error (error);
      return;
    }

  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "disabled:", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* A bus without any Secret Service: ServiceUnknown. */
static void
test_no_provider (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *config = NULL;
  g_autofree char *scratch = lk_test_make_scratch ();
  g_autofree char *config_path = g_build_filename (scratch, "bus.conf", NULL);
  g_autofree char *address = NULL;
  g_autoptr(GSubprocess) bus = NULL;
  g_autoptr(GDataInputStream) lines = NULL;

  if (g_test_subprocess ())
    {
      g_autoptr(LkTokenSet) found = lk_token_store_lookup_sync (STORE, "erin@example.com", NULL, &error);

      g_assert_null (found);
      assert_keyring_error (error);
      return;
    }

  config = g_strdup_printf ("<busconfig><type>session</type>"
                            "<listen>unix:dir=%s</listen>"
                            "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
                            "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>",
                            scratch);
  lk_test_write_file (config_path, config);
  bus = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                          "dbus-daemon", "--config-file", config_path, "--print-address", "--nofork", NULL);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bus));
  address = g_data_input_stream_read_line (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (address);

  g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_subprocess_force_exit (bus);
  g_test_trap_assert_passed ();
}

/* The lock */

typedef struct
{
  const char *account;
  gint        inside;
  gint        overlaps;
  gint        done;
} LockRace;

static gpointer
lock_thread (gpointer user_data)
{
  LockRace *race = user_data;

  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LkRefreshLock) lock = lk_refresh_lock_acquire_sync (race->account, 10000, NULL, &error);

      g_assert_no_error (error);
      if (g_atomic_int_add (&race->inside, 1) != 0)
        g_atomic_int_inc (&race->overlaps);
      g_usleep (1000);
      g_atomic_int_add (&race->inside, -1);
    }
  g_atomic_int_inc (&race->done);
  return NULL;
}

static void
test_lock_threads (void)
{
  LockRace race = { "frank@example.com", 0, 0, 0 };
  GThread *threads[4];
  g_autofree char *path = lk_refresh_lock_get_path ("frank@example.com");
  g_autofree char *dir = g_path_get_dirname (path);
  GStatBuf st;

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("locker", lock_thread, &race);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  g_assert_cmpint (race.done, ==, 4);
  g_assert_cmpint (race.overlaps, ==, 0);

  g_assert_true (g_str_has_prefix (path, g_get_user_runtime_dir ()));
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
}

static char *
helper_path (void)
{
  return g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "store", "lk-store-helper", NULL);
}

static GSubprocess *
spawn_holder (const char *account,
              const char *hold_ms)
{
  g_autofree char *helper = helper_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autofree char *line = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                              helper, "lock", account, hold_ms, NULL);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "locked");
  return g_steal_pointer (&process);
}

typedef struct
{
  LkRefreshLock *lock;
  GError        *error;
  gboolean       done;
} AcquireResult;

static void
acquired_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  AcquireResult *out = user_data;

  out->lock = lk_refresh_lock_acquire_finish (result, &out->error);
  out->done = TRUE;
}

static gboolean
acquire_done (gpointer user_data)
{
  return ((AcquireResult *) user_data)->done;
}

static void
exited_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

static gboolean
flag_set (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static void
test_lock_processes (void)
{
  g_autoptr(GSubprocess) holder = spawn_holder ("grace@example.com", "400");
  g_autoptr(GError) error = NULL;
  AcquireResult short_wait = { 0 };
  AcquireResult long_wait = { 0 };
  gint64 start;

  /* Held by the other process: a short wait times out... */
  lk_refresh_lock_acquire_async ("grace@example.com", 50, NULL, acquired_cb, &short_wait);
  g_assert_true (lk_test_wait_for (acquire_done, &short_wait, 5000));
  g_assert_null (short_wait.lock);
  g_assert_error (short_wait.error, LK_ERROR, LK_ERROR_TIMED_OUT);
  g_clear_error (&short_wait.error);

  /* ...a long one gets it once the holder lets go. */
  start = g_get_monotonic_time ();
  lk_refresh_lock_acquire_async ("grace@example.com", 10000, NULL, acquired_cb, &long_wait);
  g_assert_true (lk_test_wait_for (acquire_done, &long_wait, 10000));
  g_assert_no_error (long_wait.error);
  g_assert_nonnull (long_wait.lock);
  g_assert_true (g_subprocess_wait_check (holder, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - start, >, 200 * 1000);

  /* Now we hold it; the other process cannot take it. */
  {
    g_autofree char *helper = helper_path ();
    g_autoptr(GSubprocess) blocked = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                                       helper, "lock", "grace@example.com", "0", NULL);
    gboolean exited = FALSE;

    g_assert_no_error (error);
    g_subprocess_wait_async (blocked, NULL, exited_cb, &exited);
    g_assert_false (lk_test_wait_for (flag_set, &exited, 300));
    lk_refresh_lock_free (g_steal_pointer (&long_wait.lock));
    g_assert_true (lk_test_wait_for (flag_set, &exited, 10000));
    g_assert_true (g_subprocess_get_successful (blocked));
  }
}

static void
test_lock_released_on_kill (void)
{
  g_autoptr(GSubprocess) holder = spawn_holder ("heidi@example.com", "60000");
  g_autoptr(GError) error = NULL;
  g_autoptr(LkRefreshLock) lock = NULL;

  lock = lk_refresh_lock_acquire_sync ("heidi@example.com", 50, NULL, &error);
  g_assert_error (error, LK_ERROR, LK_ERROR_TIMED_OUT);
  g_clear_error (&error);

  g_subprocess_send_signal (holder, SIGKILL);
  g_subprocess_wait (holder, NULL, NULL);
  lock = lk_refresh_lock_acquire_sync ("heidi@example.com", 2000, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lock);
}

static void
test_lock_cancel (void)
{
  g_autoptr(GSubprocess) holder = spawn_holder ("ivan@example.com", "60000");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  AcquireResult waiting = { 0 };
  gint64 start = g_get_monotonic_time ();

  lk_refresh_lock_acquire_async ("ivan@example.com", 30000, cancellable, acquired_cb, &waiting);
  g_usleep (50 * 1000);
  g_cancellable_cancel (cancellable);
  g_assert_true (lk_test_wait_for (acquire_done, &waiting, 5000));
  g_assert_error (waiting.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&waiting.error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
  g_subprocess_send_signal (holder, SIGKILL);
  g_subprocess_wait (holder, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/token-store/store-lookup-clear", test_store_lookup_clear);
  g_test_add_func ("/store/token-store/item-attributes", test_item_attributes);
  g_test_add_func ("/store/token-store/no-secret-service", test_no_secret_service);
  g_test_add_func ("/store/token-store/no-provider", test_no_provider);
  g_test_add_func ("/store/refresh-lock/threads", test_lock_threads);
  g_test_add_func ("/store/refresh-lock/processes", test_lock_processes);
  g_test_add_func ("/store/refresh-lock/released-on-kill", test_lock_released_on_kill);
  g_test_add_func ("/store/refresh-lock/cancel", test_lock_cancel);
  return g_test_run ();
}
