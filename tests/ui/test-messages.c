/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every message the wizard and the accounts window give reaches the person:
 * each case makes the message happen as a person would and finds it shown
 * in the window it is for (issue #18: toasts that went to a window without
 * an overlay were dropped). Runs in its own HOME, session bus and keyring. */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>

#include "lk-address-page.h"
#include "lk-export-page.h"
#include "lk-setup-wizard.h"
#include "lk-sign-in-page.h"
#include "lk-ui-test-utils.h"
#include "lk-window.h"
#include "lk-application.h"
#include "lk-token-set.h"
#include "providers/lk-provider-registry.h"
#include "export/lk-export-apply.h"
#include "store/lk-account-store.h"
#include "store/lk-token-store.h"

static LkApplication *app;
static LkProviderRegistry *registry;

/* Signs in at login.example (never reached) and has its mail servers on a
 * loopback port where nothing listens, so a test fails at once. */
static const char profile_json[] =
  "{ \"id\": \"example\", \"name\": \"Example Mail\", \"kind\": \"microsoft\","
  "  \"authorization_endpoint\": \"https://login.example/{tenant}/oauth2/v2.0/authorize\","
  "  \"token_endpoint\": \"https://login.example/{tenant}/oauth2/v2.0/token\","
  "  \"tenant\": \"example.test\", \"client_id\": \"11111111-2222-3333-4444-555555555555\","
  "  \"redirect_host\": \"localhost\","
  "  \"scopes\": { \"imap\": [\"https://outlook.office.com/IMAP.AccessAsUser.All\"],"
  "              \"extra\": [\"offline_access\"] },"
  "  \"servers\": { \"imap\": { \"host\": \"127.0.0.1\", \"port\": 9, \"security\": \"none\" } },"
  "  \"sasl\": [\"XOAUTH2\"] }";

static LkAccount *
new_account (const char *email)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkProvider) provider = lk_provider_new_from_data (profile_json, -1, "example.json",
                                                              &error);
  LkAccount *account;

  g_assert_no_error (error);
  account = lk_account_new (email, provider);
  account->protocols = LK_PROTOCOL_FLAG_IMAP;
  return account;
}

static LkSetupWizard *
new_wizard (LkAccountStore *store)
{
  g_autoptr(LkTokenManager) tokens = lk_token_manager_new (store, NULL);
  LkSetupWizard *wizard = lk_setup_wizard_new (NULL, registry, store, tokens);

  gtk_window_set_default_size (GTK_WINDOW (wizard), 360, 640);
  return wizard;
}

/* The desktop has no browser at all: no default and the system's browser
 * taken off the list, so that nothing opens on this machine. */
static void
remove_every_browser (void)
{
  g_autofree char *mimeapps = g_build_filename (g_get_user_config_dir (), "mimeapps.list", NULL);
  GList *handlers = g_app_info_get_all_for_type ("x-scheme-handler/https");
  g_autoptr(GString) removed = g_string_new ("[Removed Associations]\n");
  g_autoptr(GString) names = g_string_new (NULL);

  for (GList *l = handlers; l != NULL; l = l->next)
    g_string_append_printf (names, "%s;", g_app_info_get_id (l->data));
  g_list_free_full (handlers, g_object_unref);
  g_string_append_printf (removed, "x-scheme-handler/https=%s\nx-scheme-handler/http=%s\n",
                          names->str, names->str);
  g_mkdir_with_parents (g_get_user_config_dir (), 0700);
  g_assert_true (g_file_set_contents (mimeapps, removed->str, -1, NULL));
  /* GIO reads the list again once its file monitor has seen the change. */
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(GAppInfo) browser = g_app_info_get_default_for_uri_scheme ("https");

      if (browser == NULL)
        return;
      lk_ui_test_wait (50);
    }
  g_error ("A browser is still the default for https: links");
}

/* An address already in the accounts: the page says so under the address,
 * and Next stays insensitive, instead of Next doing nothing. */
static void
test_already_added (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-accounts-XXXXXX", NULL);
  g_autoptr(LkAccountStore) store = lk_account_store_new (dir);
  g_autoptr(LkAccount) account = new_account ("alice@example.test");
  g_autoptr(GError) error = NULL;
  LkSetupWizard *wizard;
  LkAddressPage *page;
  GtkWidget *next;
  const char *text = "alice@example.test is already in your accounts; use “Sign In Again” there.";

  g_assert_true (lk_account_store_save (store, account, &error));
  g_assert_no_error (error);
  wizard = new_wizard (store);
  gtk_window_present (GTK_WINDOW (wizard));
  lk_ui_test_iterate (50);
  page = LK_ADDRESS_PAGE (lk_setup_wizard_get_page (wizard, "address"));
  g_assert_true (lk_address_page_import_profile (page, profile_json, -1, "example.json", &error));
  lk_address_page_set_email (page, "alice@example.test");
  lk_ui_test_iterate (10);

  g_assert_nonnull (lk_ui_test_find_mapped (GTK_WIDGET (page), GTK_TYPE_LABEL, text));
  next = lk_ui_test_find (GTK_WIDGET (wizard), GTK_TYPE_BUTTON, "_Next");
  g_assert_false (gtk_widget_is_sensitive (next));
  gtk_widget_activate_action (GTK_WIDGET (wizard), "wizard.next", NULL);
  g_assert_cmpstr (lk_setup_wizard_get_step (wizard), ==, "address");
  lk_ui_test_screenshot (GTK_WIDGET (wizard), "1-address-already-added");

  /* Another address goes on. */
  lk_address_page_set_email (page, "bob@example.test");
  lk_ui_test_iterate (10);
  g_assert_true (gtk_widget_is_sensitive (next));

  gtk_window_destroy (GTK_WINDOW (wizard));
  lk_ui_test_iterate (10);
  lk_account_store_remove (store, "alice@example.test", NULL, NULL);
  g_rmdir (dir);
}

/* No browser opens: the sign-in still waits, and the wizard says how to go
 * on (copy the link into a browser). */
static void
test_no_browser (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-accounts-XXXXXX", NULL);
  g_autoptr(LkAccountStore) store = lk_account_store_new (dir);
  g_autoptr(LkAccount) account = new_account ("carol@example.test");
  LkSetupWizard *wizard;
  LkSignInPage *page;

  remove_every_browser ();
  wizard = new_wizard (store);
  lk_setup_wizard_start_task (wizard, account, LK_SETUP_WIZARD_SIGN_IN_AGAIN);
  gtk_window_present (GTK_WINDOW (wizard));
  lk_ui_test_iterate (50);
  page = LK_SIGN_IN_PAGE (lk_setup_wizard_get_page (wizard, "sign-in"));
  gtk_widget_activate_action (GTK_WIDGET (page), "sign-in.start", NULL);
  /* The keyring is asked first, then the browser opens. */
  for (guint i = 0; i < 500 * LK_UI_TEST_PATIENCE &&
                   g_strcmp0 (lk_sign_in_page_get_state (page), "waiting") != 0; i++)
    lk_ui_test_wait (10);
  g_assert_cmpstr (lk_sign_in_page_get_state (page), ==, "waiting");

  lk_ui_test_wait_toast (GTK_WIDGET (wizard), "No browser opened. Use “Copy Link” and open the "
                                              "link in a browser.");
  g_assert_cmpstr (lk_sign_in_page_get_state (page), ==, "waiting");

  gtk_window_close (GTK_WINDOW (wizard));
  lk_ui_test_iterate (10);
  g_rmdir (dir);
}

/* The test ran but its result cannot be recorded (the accounts folder is
 * gone, a file in its place): the wizard says so, and why. */
static void
test_results_not_saved (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-accounts-XXXXXX", NULL);
  g_autofree char *blocked = g_build_filename (dir, "accounts", NULL);
  g_autoptr(LkAccountStore) store = lk_account_store_new (blocked);
  g_autoptr(LkAccount) account = new_account ("dave@example.test");
  g_autoptr(LkTokenSet) tokens = lk_token_set_new ();
  g_autoptr(GError) error = NULL;
  LkSetupWizard *wizard;
  const char *prefix = "Cannot create the accounts folder";
  g_autofree char *shown = NULL;

  tokens->access_token = g_strdup ("lk-test-access-messages");
  tokens->refresh_token = g_strdup ("lk-test-refresh-messages");
  tokens->expires_at = g_get_real_time () / G_USEC_PER_SEC + 3600;
  g_assert_true (lk_token_store_store_sync (lk_token_store_get_default (), "dave@example.test",
                                            tokens, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (blocked, "not a folder", -1, NULL));

  wizard = new_wizard (store);
  lk_setup_wizard_start_task (wizard, account, LK_SETUP_WIZARD_TEST);
  gtk_window_present (GTK_WINDOW (wizard));

  /* The message is core's, ending with the system's reason. */
  shown = lk_ui_test_wait_toast_prefix (GTK_WIDGET (wizard), prefix);
  g_test_message ("shown: %s", shown);

  gtk_window_close (GTK_WINDOW (wizard));
  lk_ui_test_iterate (10);
  lk_token_store_clear_sync (lk_token_store_get_default (), "dave@example.test", NULL, NULL, NULL);
  g_unlink (blocked);
  g_rmdir (dir);
}

/* The export page: Copy, Save… (first time, over an older file, to a place
 * that is not a folder on this computer, and into a folder that cannot be
 * made) each say what happened. */
static void
test_export_messages (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-accounts-XXXXXX", NULL);
  g_autoptr(LkAccountStore) store = lk_account_store_new (dir);
  g_autoptr(LkAccount) account = new_account ("erin@example.test");
  g_autofree char *mail = g_build_filename (g_get_home_dir (), "mail", NULL);
  g_autofree char *path = g_build_filename (mail, ".mbsyncrc", NULL);
  g_autofree char *blocker = g_build_filename (g_get_home_dir (), "blocker", NULL);
  g_autofree char *blocked = g_build_filename (blocker, ".mbsyncrc", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) remote = g_file_new_for_uri ("sftp://files.example.test/home/erin/.mbsyncrc");
  g_autoptr(GFile) unwritable = g_file_new_for_path (blocked);
  g_autoptr(LkAccount) saved = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *account_path = NULL;
  LkSetupWizard *wizard;
  LkExportPage *page;

  g_assert_true (lk_account_store_save (store, account, &error));
  g_assert_no_error (error);
  wizard = new_wizard (store);
  lk_setup_wizard_start_task (wizard, account, LK_SETUP_WIZARD_SET_UP);
  gtk_window_present (GTK_WINDOW (wizard));
  lk_ui_test_iterate (50);
  page = LK_EXPORT_PAGE (lk_setup_wizard_get_page (wizard, "export"));

  gtk_widget_activate_action (GTK_WIDGET (page), "export.copy", "s", "mbsync");
  lk_ui_test_wait_toast (GTK_WIDGET (wizard), "Configuration copied");

  lk_export_page_save_to (page, "mbsync", file);
  lk_ui_test_wait_toast (GTK_WIDGET (wizard), "Saved to ~/mail/.mbsyncrc");
  /* The account lists where it is set up, for its page. */
  saved = lk_account_store_load (store, account->email, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (saved->exports->len, ==, 1);
  g_assert_cmpstr (((LkAccountExport *) g_ptr_array_index (saved->exports, 0))->path, ==, path);

  g_assert_true (g_file_set_contents (path, "account home\n", -1, NULL));
  lk_export_page_save_to (page, "mbsync", file);
  g_free (lk_ui_test_wait_toast_prefix (GTK_WIDGET (wizard), "Saved to ~/mail/.mbsyncrc; the old "
                                                             "file is kept as ~/mail/.mbsyncrc.bak-"));

  lk_export_page_save_to (page, "mbsync", remote);
  lk_ui_test_wait_toast (GTK_WIDGET (wizard), "Choose a folder on this computer.");

  /* The account is gone meanwhile (latchkey-cli remove): the file is saved
   * and the message says the account could not list it. */
  account_path = lk_account_store_get_path (store, account->email);
  g_assert_cmpint (g_unlink (account_path), ==, 0);
  lk_export_page_save_to (page, "mbsync", file);
  g_free (lk_ui_test_wait_toast_prefix (GTK_WIDGET (wizard), "The file is saved, but the "
                                                             "account does not list it: "));

  g_assert_true (g_file_set_contents (blocker, "a file, not a folder", -1, NULL));
  lk_export_page_save_to (page, "mbsync", unwritable);
  {
    g_autofree char *expected = g_strdup_printf ("Could not create the folder %s: ", blocker);

    g_free (lk_ui_test_wait_toast_prefix (GTK_WIDGET (wizard), expected));
  }

  gtk_window_destroy (GTK_WINDOW (wizard));
  lk_ui_test_iterate (10);
  g_unlink (blocker);
  g_rmdir (dir);
}

/* Import… on the address page: a good organisation profile says it was
 * imported, a broken one says why it cannot be used. */
static void
test_import_messages (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-accounts-XXXXXX", NULL);
  g_autoptr(LkAccountStore) store = lk_account_store_new (dir);
  g_autofree char *good_path = g_build_filename (dir, "example.latchkey", NULL);
  g_autofree char *bad_path = g_build_filename (dir, "broken.latchkey", NULL);
  g_autoptr(GFile) good = g_file_new_for_path (good_path);
  g_autoptr(GFile) bad = g_file_new_for_path (bad_path);
  LkSetupWizard *wizard;
  LkAddressPage *page;
  g_autofree char *shown = NULL;

  g_assert_true (g_file_set_contents (good_path, profile_json, -1, NULL));
  g_assert_true (g_file_set_contents (bad_path, "{ \"id\": \"broken\"", -1, NULL));
  wizard = new_wizard (store);
  gtk_window_present (GTK_WINDOW (wizard));
  lk_ui_test_iterate (50);
  page = LK_ADDRESS_PAGE (lk_setup_wizard_get_page (wizard, "address"));

  lk_address_page_import_file (page, good);
  lk_ui_test_wait_toast (GTK_WIDGET (wizard), "Organisation profile imported");
  g_assert_cmpstr (lk_address_page_get_provider (page)->id, ==, "example");

  lk_address_page_import_file (page, bad);
  shown = lk_ui_test_wait_toast_prefix (GTK_WIDGET (wizard), "");
  g_assert_nonnull (strstr (shown, "broken.latchkey"));
  g_assert_cmpstr (lk_address_page_get_provider (page)->id, ==, "example");

  gtk_window_destroy (GTK_WINDOW (wizard));
  lk_ui_test_iterate (10);
  g_unlink (good_path);
  g_unlink (bad_path);
  g_rmdir (dir);
}

/* The accounts window: a folder of accounts that cannot be read says so. */
static void
test_window_messages (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-accounts-XXXXXX", NULL);
  g_autofree char *blocked = g_build_filename (dir, "accounts", NULL);
  g_autoptr(LkAccountStore) store = lk_account_store_new (blocked);
  LkWindow *window;

  g_assert_true (g_file_set_contents (blocked, "not a folder", -1, NULL));
  window = lk_window_new (app);
  lk_window_set_account_store (window, store);
  gtk_window_present (GTK_WINDOW (window));
  g_free (lk_ui_test_wait_toast_prefix (GTK_WIDGET (window), "Cannot read the accounts folder: "));

  gtk_window_destroy (GTK_WINDOW (window));
  lk_ui_test_iterate (10);
  g_unlink (blocked);
  g_rmdir (dir);
}

/* Set Up on the export page (issue #18 point 6): core merges the account
 * into mbsync's own file, the other account in it stays, the old file is
 * kept, the page says what changed and the account lists the file. */
static void
test_set_up (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-accounts-XXXXXX", NULL);
  g_autoptr(LkAccountStore) store = lk_account_store_new (dir);
  g_autoptr(LkAccount) account = new_account ("fay@example.test");
  g_autoptr(LkAccount) saved = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *target = NULL;
  g_autofree char *contents = NULL;
  const char *other = "IMAPAccount other\nHost imap.other.test\nUser zoe@other.test\n";
  const LkExporter *mbsync = lk_exporter_lookup ("mbsync");
  LkExportApplyOptions options = { 0 };
  LkSetupWizard *wizard;
  LkExportPage *page;
  const char *result;

  g_assert_nonnull (mbsync);
  g_assert_true (lk_exporter_can_apply (mbsync));
  target = lk_exporter_dup_apply_target (mbsync, &options, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (target, other, -1, NULL));
  g_assert_true (lk_account_store_save (store, account, &error));
  g_assert_no_error (error);

  wizard = new_wizard (store);
  lk_setup_wizard_start_task (wizard, account, LK_SETUP_WIZARD_SET_UP);
  gtk_window_present (GTK_WINDOW (wizard));
  lk_ui_test_iterate (50);
  page = LK_EXPORT_PAGE (lk_setup_wizard_get_page (wizard, "export"));
  g_assert_null (lk_export_page_get_set_up_result (page, "mbsync"));
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (lk_export_page_get_row (page, "mbsync")),
                                 TRUE);
  lk_ui_test_iterate (10);
  g_assert_true (gtk_widget_get_mapped (lk_ui_test_find (lk_export_page_get_row (page, "mbsync"),
                                                         GTK_TYPE_BUTTON, "Set _Up")));

  gtk_widget_activate_action (GTK_WIDGET (page), "export.set-up", "s", "mbsync");
  lk_ui_test_wait_toast (GTK_WIDGET (wizard), "mbsync (isync) is set up");
  result = lk_export_page_get_set_up_result (page, "mbsync");
  g_assert_nonnull (result);
  /* The page says where, and where the file as it was is kept. */
  g_assert_nonnull (strstr (result, target));
  g_assert_nonnull (strstr (result, "kept as"));
  /* The terminal's indent is not carried into the label. */
  g_assert_null (strstr (result, "\n "));
  g_assert_false (g_ascii_isspace (result[0]));
  lk_ui_test_screenshot (GTK_WIDGET (wizard), "4-export-set-up");

  g_assert_true (g_file_get_contents (target, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, other));
  g_assert_nonnull (strstr (contents, "fay@example.test"));
  g_assert_nonnull (strstr (contents, "latchkey-cli"));
  saved = lk_account_store_load (store, account->email, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (saved->exports->len, ==, 1);
  g_assert_cmpstr (((LkAccountExport *) g_ptr_array_index (saved->exports, 0))->client, ==,
                   "mbsync");
  g_assert_cmpstr (((LkAccountExport *) g_ptr_array_index (saved->exports, 0))->path, ==, target);

  gtk_window_destroy (GTK_WINDOW (wizard));
  lk_ui_test_iterate (10);
  lk_account_store_remove (store, account->email, NULL, NULL);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  /* Animations make "is it shown yet" depend on the machine's load. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  app = lk_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  registry = lk_provider_registry_new ();
  lk_provider_registry_load (registry);

  g_test_add_func ("/ui/messages/already-added", test_already_added);
  g_test_add_func ("/ui/messages/no-browser", test_no_browser);
  g_test_add_func ("/ui/messages/results-not-saved", test_results_not_saved);
  g_test_add_func ("/ui/messages/export", test_export_messages);
  g_test_add_func ("/ui/messages/set-up", test_set_up);
  g_test_add_func ("/ui/messages/import", test_import_messages);
  g_test_add_func ("/ui/messages/window", test_window_messages);
  return g_test_run ();
}
