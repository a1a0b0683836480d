/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "lk-error.h"
#include "lk-test-utils.h"
#include "providers/lk-provider-registry.h"
#include "store/lk-account-store.h"

static LkAccount *
make_account (const char *email)
{
  static LkProviderRegistry *registry;

  if (registry == NULL)
    {
      registry = lk_provider_registry_new ();
      lk_provider_registry_load (registry);
    }
  return lk_account_new (email, lk_provider_registry_lookup (registry, "microsoft365"));
}

static guint
count_entries (const char *directory)
{
  g_autoptr(GDir) dir = g_dir_open (directory, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static void
test_default_directory (void)
{
  g_autoptr(LkAccountStore) store = lk_account_store_new (NULL);
  g_autoptr(LkAccount) account = make_account ("alice@example.com");
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = g_build_filename (g_get_user_config_dir (), "latchkey", "accounts", NULL);
  GStatBuf st;

  g_assert_cmpstr (lk_account_store_get_directory (store), ==, expected);
  g_assert_true (lk_account_store_save (store, account, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (expected, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
}

static void
test_round_trip (void)
{
  g_autofree char *dir = lk_test_make_scratch ();
  g_autofree char *accounts = g_build_filename (dir, "accounts", NULL);
  g_autoptr(LkAccountStore) store = lk_account_store_new (accounts);
  const char *emails[] = { "zed@example.com", "o'brien+mail@example.com", "Alice@example.com" };
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(LkAccount) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  GStatBuf st;

  for (guint i = 0; i < G_N_ELEMENTS (emails); i++)
    {
      g_autoptr(LkAccount) account = make_account (emails[i]);

      account->display_name = g_strdup_printf ("Person %u", i);
      account->state = LK_ACCOUNT_STATE_WORKING;
      g_assert_true (lk_account_store_save (store, account, &error));
      g_assert_no_error (error);
    }

  list = lk_account_store_list (store, &problems, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (problems->len, ==, 0);
  g_assert_cmpuint (list->len, ==, 3);
  g_assert_cmpstr (((LkAccount *) list->pdata[0])->email, ==, "Alice@example.com");
  g_assert_cmpstr (((LkAccount *) list->pdata[1])->email, ==, "o'brien+mail@example.com");
  g_assert_cmpstr (((LkAccount *) list->pdata[2])->email, ==, "zed@example.com");

  loaded = lk_account_store_load (store, "o'brien+mail@example.com", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->display_name, ==, "Person 1");
  g_assert_cmpint (loaded->state, ==, LK_ACCOUNT_STATE_WORKING);

  path = lk_account_store_get_path (store, "o'brien+mail@example.com");
  g_assert_null (strchr (strrchr (path, '/'), '\''));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (accounts, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  g_assert_true (lk_account_store_exists (store, "zed@example.com"));
  g_assert_true (lk_account_store_remove (store, "zed@example.com", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (lk_account_store_exists (store, "zed@example.com"));
  g_clear_pointer (&loaded, lk_account_unref);
  loaded = lk_account_store_load (store, "zed@example.com", &error);
  g_assert_null (loaded);
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  /* What to do, in words; the CLI adds its command for the remedy. */
  g_assert_nonnull (strstr (error->message, "add it"));
  g_assert_null (strstr (error->message, "latchkey-cli"));
  g_assert_cmpint (lk_error_get_details (error)->remedy, ==, LK_REMEDY_ADD);
  g_assert_cmpstr (lk_error_get_details (error)->account, ==, "zed@example.com");
  g_clear_error (&error);
  /* Removing again is fine: the account is gone either way. */
  g_assert_true (lk_account_store_remove (store, "zed@example.com", NULL, &error));
  g_assert_no_error (error);
}

static void
test_file_names (void)
{
  g_autofree char *slash = lk_account_file_stem ("a/../b@example.com");
  g_autofree char *dot = lk_account_file_stem (".hidden@example.com");
  g_autofree char *plain = lk_account_file_stem ("alice+tag@example.com");
  g_autofree char *upper = lk_account_file_stem ("Alice@example.com");
  g_autoptr(GString) long_local = g_string_new (NULL);
  g_autofree char *hashed = NULL;

  g_assert_null (strchr (slash, '/'));
  g_assert_cmpstr (slash, ==, "a%2F..%2Fb@example.com");
  g_assert_true (g_str_has_prefix (dot, "%2E"));
  g_assert_cmpstr (plain, ==, "alice+tag@example.com");
  g_assert_cmpstr (upper, !=, "alice@example.com");

  for (guint i = 0; i < 60; i++)
    g_string_append (long_local, "%'/");
  g_string_append (long_local, "@example.com");
  hashed = lk_account_file_stem (long_local->str);
  g_assert_true (g_str_has_prefix (hashed, "sha256-"));
  g_assert_cmpuint (strlen (hashed), <, 255);
}

static void
test_damaged_file_skipped (void)
{
  g_autofree char *dir = lk_test_make_scratch ();
  g_autoptr(LkAccountStore) store = lk_account_store_new (dir);
  g_autoptr(LkAccount) account = make_account ("bob@example.com");
  g_autofree char *broken = g_build_filename (dir, "broken@example.com.json", NULL);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GError) error = NULL;
  GError *problem;

  g_assert_true (lk_account_store_save (store, account, &error));
  lk_test_write_file (broken, "{\"email\": \"broken@example.com\", ");

  list = lk_account_store_list (store, &problems, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (((LkAccount *) list->pdata[0])->email, ==, "bob@example.com");
  g_assert_cmpuint (problems->len, ==, 1);
  problem = problems->pdata[0];
  g_assert_nonnull (strstr (problem->message, broken));
}

/* Tests run as root here, so permissions cannot make the write fail. A file
 * size limit can: with RLIMIT_FSIZE below the new file's size, write()
 * fails with EFBIG (SIGXFSZ ignored) while the temporary file is written,
 * before the rename, exactly like a full disk. */
static void
test_failed_save_keeps_old_file (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  if (g_test_subprocess ())
    {
      g_autoptr(LkAccountStore) store = lk_account_store_new (g_getenv ("LK_STORE_DIR"));
      g_autoptr(LkAccount) account = make_account ("carol@example.com");
      g_autoptr(GError) error = NULL;
      struct rlimit limit;

      account->display_name = g_strnfill (4096, 'x');
      g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &limit), ==, 0);
      limit.rlim_cur = 64;
      g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
      signal (SIGXFSZ, SIG_IGN);
      g_assert_false (lk_account_store_save (store, account, &error));
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "carol@example.com"));
      return;
    }

  dir = lk_test_make_scratch ();
  {
    g_autoptr(LkAccountStore) store = lk_account_store_new (dir);
    g_autoptr(LkAccount) account = make_account ("carol@example.com");
    g_autoptr(GError) error = NULL;

    account->display_name = g_strdup ("Carol");
    g_assert_true (lk_account_store_save (store, account, &error));
    path = lk_account_store_get_path (store, "carol@example.com");
  }
  g_assert_true (g_file_get_contents (path, &before, NULL, NULL));

  g_setenv ("LK_STORE_DIR", dir, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();

  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, before);
  /* No temporary file left behind either. */
  g_assert_cmpuint (count_entries (dir), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/account-store/default-directory", test_default_directory);
  g_test_add_func ("/store/account-store/round-trip", test_round_trip);
  g_test_add_func ("/store/account-store/file-names", test_file_names);
  g_test_add_func ("/store/account-store/damaged-file-skipped", test_damaged_file_skipped);
  g_test_add_func ("/store/account-store/failed-save-keeps-old-file", test_failed_save_keeps_old_file);
  return g_test_run ();
}
