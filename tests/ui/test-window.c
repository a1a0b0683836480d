/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sys/stat.h>

#include <string.h>

#include <adwaita.h>

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <glib/gstdio.h>

#include "bridge/lk-bridge-credentials.h"
#include "diagnose/lk-diagnosis.h"
#include "export/lk-export-apply.h"
#include "lk-account-page.h"
#include "lk-account-row.h"
#include "lk-address-page.h"
#include "lk-application.h"
#include "lk-setup-wizard.h"
#include "lk-sign-in-page.h"
#include "lk-test-page.h"
#include "lk-test-idp.h"
#include "lk-ui-test-utils.h"
#include "lk-window.h"
#include "lk-token-set.h"
#include "lk-ui-util.h"
#include "providers/lk-provider-registry.h"
#include "store/lk-account-store.h"
#include "store/lk-token-store.h"

/* The store the window's token manager uses. */
#define STORE (lk_token_store_get_default ())

/* One application for the whole run, as in the real program. */
static LkApplication *app;

static void
iterate (guint n)
{
  for (guint i = 0; i < n; i++)
    g_main_context_iteration (NULL, FALSE);
}

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type,
             const char *label)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        {
          if (label == NULL)
            return child;
          if (GTK_IS_BUTTON (child) &&
              g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child)), label) == 0)
            return child;
        }
      found = find_widget (child, type, label);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The window a new user sees: an empty state that says there are no
 * accounts and offers to add one. */
static void
test_empty_state (void)
{
  LkWindow *window;
  GtkWidget *status;
  GtkWidget *button;

  window = lk_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  iterate (50);

  g_assert_true (gtk_widget_get_realized (GTK_WIDGET (window)));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "Latchkey");

  status = find_widget (GTK_WIDGET (window), ADW_TYPE_STATUS_PAGE, NULL);
  g_assert_nonnull (status);
  g_assert_true (gtk_widget_get_mapped (status));
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==, "No Accounts Yet");

  button = find_widget (status, GTK_TYPE_BUTTON, "_Add Account");
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_mapped (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), ==,
                   "win.add-account");

  gtk_window_destroy (GTK_WINDOW (window));
  iterate (10);
}

static void
wait_ms (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

static AdwMessageDialog *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) toplevel = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (toplevel) && gtk_widget_get_visible (GTK_WIDGET (toplevel)))
        return ADW_MESSAGE_DIALOG (toplevel);
    }
  return NULL;
}

static gboolean
find_text (GtkWidget  *root,
           const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LABEL (child) && strstr (gtk_label_get_label (GTK_LABEL (child)), text) != NULL)
        return TRUE;
      if (find_text (child, text))
        return TRUE;
    }
  return FALSE;
}

/* A FIFO among the account files (issue #19 §4) once made the list hang in
 * its thread and the window say "No accounts yet": the others show, and a
 * toast names what was skipped. */
static void
test_strange_account_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-accounts-XXXXXX", NULL);
  g_autofree char *fifo = g_build_filename (dir, "fifo@example.com.json", NULL);
  g_autoptr(LkAccountStore) store = lk_account_store_new (dir);
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  LkWindow *window;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  lk_provider_registry_load (registry);
  account = lk_account_new ("gina@outlook.com", lk_provider_registry_lookup (registry, "outlook"));
  g_assert_true (lk_account_store_save (store, account, &error));
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);

  window = lk_window_new (app);
  lk_window_set_account_store (window, store);
  gtk_window_present (GTK_WINDOW (window));
  while (!lk_window_get_loaded (window))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
    }
  iterate (20);
  g_assert_nonnull (find_widget (GTK_WIDGET (window), LK_TYPE_ACCOUNT_ROW, NULL));
  g_assert_true (find_text (GTK_WIDGET (window), "fifo@example.com.json"));
  gtk_window_destroy (GTK_WINDOW (window));
  g_unlink (fifo);
}

/* Accounts show with their status; Remove asks first, then takes away the
 * keyring item and the file, and the empty state comes back. */
static void
test_account_list (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-accounts-XXXXXX", NULL);
  g_autoptr(LkAccountStore) store = lk_account_store_new (dir);
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  g_autoptr(LkAccount) working = NULL;
  g_autoptr(LkAccount) expired = NULL;
  g_autoptr(LkTokenSet) tokens = lk_token_set_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LkTokenSet) left = NULL;
  g_autofree char *path = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *row;
  LkWindow *window;

  lk_provider_registry_load (registry);
  working = lk_account_new ("erin@outlook.com",
                            lk_provider_registry_lookup (registry, "outlook"));
  working->state = LK_ACCOUNT_STATE_WORKING;
  expired = lk_account_new ("frank@outlook.com",
                            lk_provider_registry_lookup (registry, "outlook"));
  expired->state = LK_ACCOUNT_STATE_NEEDS_SIGN_IN;
  g_assert_true (lk_account_store_save (store, working, &error));
  g_assert_true (lk_account_store_save (store, expired, &error));
  tokens->access_token = g_strdup ("lk-test-access-window");
  tokens->refresh_token = g_strdup ("lk-test-refresh-window");
  g_assert_true (lk_token_store_store_sync (STORE, "erin@outlook.com", tokens, NULL, &error));
  g_assert_no_error (error);

  window = lk_window_new (app);
  lk_window_set_account_store (window, store);
  gtk_window_present (GTK_WINDOW (window));
  while (!lk_window_get_loaded (window))
    g_main_context_iteration (NULL, TRUE);
  iterate (20);

  row = find_widget (GTK_WIDGET (window), LK_TYPE_ACCOUNT_ROW, NULL);
  g_assert_nonnull (row);
  g_assert_true (gtk_widget_get_mapped (row));
  for (; row != NULL; row = gtk_widget_get_next_sibling (row))
    {
      LkAccount *account = lk_account_row_get_account (LK_ACCOUNT_ROW (row));

      if (g_str_equal (account->email, "erin@outlook.com"))
        g_assert_cmpstr (lk_account_row_get_status (LK_ACCOUNT_ROW (row)), ==, "Working");
      else
        g_assert_cmpstr (lk_account_row_get_status (LK_ACCOUNT_ROW (row)), ==, "Needs sign-in");
    }

  lk_ui_test_screenshot (GTK_WIDGET (window), "0-accounts");

  /* Remove: a confirmation first; Cancel keeps everything. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.remove-account", "s", "erin@outlook.com");
  iterate (20);
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Remove erin@outlook.com?");
  adw_message_dialog_response (dialog, "cancel");
  iterate (20);
  path = lk_account_store_get_path (store, "erin@outlook.com");
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.remove-account", "s", "erin@outlook.com");
  iterate (20);
  dialog = find_dialog ();
  adw_message_dialog_response (dialog, "remove");
  while (g_file_test (path, G_FILE_TEST_EXISTS))
    g_main_context_iteration (NULL, TRUE);
  lk_ui_test_wait_toast (GTK_WIDGET (window), "Account removed");
  wait_ms (500);
  left = lk_token_store_lookup_sync (STORE, "erin@outlook.com", NULL, &error);
  g_assert_null (left);

  /* One account left in the list. */
  row = find_widget (GTK_WIDGET (window), LK_TYPE_ACCOUNT_ROW, NULL);
  g_assert_nonnull (row);
  g_assert_null (gtk_widget_get_next_sibling (row));
  g_assert_cmpstr (lk_account_row_get_account (LK_ACCOUNT_ROW (row))->email, ==,
                   "frank@outlook.com");

  gtk_window_destroy (GTK_WINDOW (window));
  iterate (10);
}

/* The account's row in the list, as shown now. */
static GtkWidget *
find_row (LkWindow   *window,
          const char *email)
{
  GtkWidget *row = find_widget (GTK_WIDGET (window), LK_TYPE_ACCOUNT_ROW, NULL);

  for (; row != NULL; row = gtk_widget_get_next_sibling (row))
    if (LK_IS_ACCOUNT_ROW (row) &&
        g_str_equal (lk_account_row_get_account (LK_ACCOUNT_ROW (row))->email, email))
      return row;
  return NULL;
}

/* Opens the account's page as a person does: Enter (or a click) on its
 * row activates it. */
static LkAccountPage *
open_account_page (LkWindow   *window,
                   const char *email)
{
  LkAccountPage *page;
  GtkWidget *row = find_row (window, email);
  gint64 deadline = g_get_monotonic_time () + LK_UI_TEST_PATIENCE * 10 * G_USEC_PER_SEC;

  g_assert_nonnull (row);
  g_assert_true (gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (row)));
  g_signal_emit_by_name (row, "activate");
  page = LK_ACCOUNT_PAGE (find_widget (GTK_WIDGET (window), LK_TYPE_ACCOUNT_PAGE, NULL));
  g_assert_nonnull (page);
  /* The keyring answers in the background. */
  while (lk_account_page_get_reading_keyring (page))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
    }
  iterate (20);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (page)));
  g_assert_cmpstr (lk_account_page_get_account (page)->email, ==, email);
  return page;
}

/* The account page (issue #18 point 4): a row opens it; it says what fails
 * with the whole diagnosis, what the keyring holds about the sign-in
 * without a secret, where the account is set up; Back returns to the row.
 * Needs sign-in and never tested are said as plainly. */
static void
test_account_page (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-accounts-XXXXXX", NULL);
  g_autofree char *msmtprc = g_build_filename (g_get_home_dir (), ".msmtprc", NULL);
  g_autoptr(LkAccountStore) store = lk_account_store_new (dir);
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  g_autoptr(LkAccount) failing = NULL;
  g_autoptr(LkAccount) expired = NULL;
  g_autoptr(LkAccount) untested = NULL;
  g_autoptr(LkTokenSet) tokens = lk_token_set_new ();
  g_autoptr(LkDiagnosis) diagnosis = NULL;
  g_autoptr(JsonNode) details = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const LkTokenInfo *info;
  LkAccountPage *page;
  LkDiagnosis *shown;
  GtkWidget *row;
  LkWindow *window;

  lk_provider_registry_load (registry);
  failing = lk_account_new ("grace@outlook.com", lk_provider_registry_lookup (registry, "outlook"));
  failing->protocols = LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP;
  failing->state = LK_ACCOUNT_STATE_FAILING;
  failing->last_tested = now - 300;
  diagnosis = lk_diagnosis_new ("smtp-auth-disabled-mailbox", LK_FIXER_MAILBOX_ADMIN,
                                LK_CONFIDENCE_CERTAIN,
                                "SMTP sign-in is switched off for this mailbox",
                                "The mailbox refuses SMTP AUTH.");
  lk_diagnosis_add_command (diagnosis, "Set-CASMailbox -Identity 'grace@outlook.com' "
                                       "-SmtpClientAuthenticationDisabled $false");
  diagnosis->raw = g_strdup ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication "
                             "is disabled for the Mailbox.");
  details = lk_diagnosis_to_json (diagnosis);
  lk_account_set_test (failing, LK_PROTOCOL_IMAP, now - 300, TRUE,
                       "XOAUTH2 over TLS 1.3 to outlook.office365.com", NULL);
  lk_account_set_test (failing, LK_PROTOCOL_SMTP, now - 300, FALSE,
                       "SMTP sign-in is switched off for this mailbox",
                       "smtp-auth-disabled-mailbox");
  lk_account_set_test_details (failing, LK_PROTOCOL_SMTP, details);
  lk_account_add_export (failing, "msmtp", msmtprc, now - 2 * 86400);
  expired = lk_account_new ("henry@outlook.com", lk_provider_registry_lookup (registry, "outlook"));
  expired->state = LK_ACCOUNT_STATE_NEEDS_SIGN_IN;
  untested = lk_account_new ("iris@outlook.com", lk_provider_registry_lookup (registry, "outlook"));
  g_assert_true (lk_account_store_save (store, failing, &error));
  g_assert_true (lk_account_store_save (store, expired, &error));
  g_assert_true (lk_account_store_save (store, untested, &error));
  g_assert_no_error (error);
  tokens->access_token = g_strdup ("lk-test-access-page");
  tokens->refresh_token = g_strdup ("lk-test-refresh-page");
  tokens->expires_at = now + 3000;
  tokens->scope = g_strdup ("https://outlook.office.com/IMAP.AccessAsUser.All "
                            "https://outlook.office.com/SMTP.Send offline_access");
  tokens->id_name = g_strdup ("Grace Hopper");
  tokens->id_username = g_strdup ("grace@outlook.com");
  tokens->signed_in_at = now - 3 * 86400;
  tokens->refresh_token_at = now - 3 * 86400;
  g_assert_true (lk_token_store_store_sync (STORE, "grace@outlook.com", tokens, NULL, &error));
  g_assert_no_error (error);

  window = lk_window_new (app);
  lk_window_set_account_store (window, store);
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 900);
  gtk_window_present (GTK_WINDOW (window));
  while (!lk_window_get_loaded (window))
    g_main_context_iteration (NULL, TRUE);
  iterate (20);

  /* The row says what fails, not only "Failing". */
  row = find_row (window, "grace@outlook.com");
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                   "Outlook.com (personal Microsoft account)\n"
                   "SMTP: SMTP sign-in is switched off for this mailbox");
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (row)), ==, "win.show-account");

  /* Failing: what fails, each protocol's last test, the diagnosis of the
   * failed one, the sign-in as the keyring holds it, the mail programs. */
  page = open_account_page (window, "grace@outlook.com");
  g_assert_cmpstr (lk_account_page_get_status (page), ==, "Something Does Not Work");
  g_assert_true (find_text (GTK_WIDGET (page), "SMTP: SMTP sign-in is switched off for this "
                                               "mailbox"));
  g_assert_nonnull (lk_account_page_get_protocol_row (page, LK_PROTOCOL_IMAP));
  g_assert_nonnull (lk_account_page_get_protocol_row (page, LK_PROTOCOL_SMTP));
  g_assert_null (lk_account_page_get_protocol_row (page, LK_PROTOCOL_POP));
  g_assert_null (lk_account_page_get_diagnosis (page, LK_PROTOCOL_IMAP));
  shown = lk_account_page_get_diagnosis (page, LK_PROTOCOL_SMTP);
  g_assert_nonnull (shown);
  g_assert_cmpstr (shown->id, ==, "smtp-auth-disabled-mailbox");
  g_assert_cmpstr (shown->raw, ==, diagnosis->raw);
  g_assert_cmpstr (adw_expander_row_get_subtitle (lk_account_page_get_protocol_row (
                     page, LK_PROTOCOL_IMAP)), ==,
                   "outlook.office365.com:993, TLS\n"
                   "Worked 5 minutes ago: XOAUTH2 over TLS 1.3 to outlook.office365.com");
  info = lk_account_page_get_token_info (page);
  g_assert_nonnull (info);
  g_assert_true (info->has_refresh_token);
  g_assert_true (find_text (GTK_WIDGET (page), "Grace Hopper (grace@outlook.com)"));
  g_assert_true (find_text (GTK_WIDGET (page), "IMAP.AccessAsUser.All, SMTP.Send, "
                                               "offline_access"));
  g_assert_true (find_text (GTK_WIDGET (page), "Issued 3 days ago"));
  g_assert_true (find_text (GTK_WIDGET (page), "~/.msmtprc, saved 2 days ago"));
  /* Never a token. */
  g_assert_false (find_text (GTK_WIDGET (page), "lk-test-access-page"));
  g_assert_false (find_text (GTK_WIDGET (page), "lk-test-refresh-page"));
  /* A failure asks for a test first. */
  g_assert_true (gtk_root_get_focus (GTK_ROOT (window)) ==
                 find_widget (GTK_WIDGET (page), GTK_TYPE_BUTTON, "_Test"));
  lk_ui_test_screenshot (GTK_WIDGET (window), "6-account-failing");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_FORCE_DARK);
  lk_ui_test_screenshot (GTK_WIDGET (window), "6-account-failing-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* Use with Other Programs: off until switched on; then the bridge has
   * a login for the account, the password shows once, and each protocol
   * says where to connect (bridge.json's defaults: no bridge runs). */
  {
    LkBridgeSection *bridge = lk_account_page_get_bridge_section (page);
    GtkWidget *enable = lk_ui_test_find (GTK_WIDGET (bridge), GTK_TYPE_SWITCH, NULL);
    g_autoptr(LkBridgeCredentials) logins = lk_bridge_credentials_new (NULL);
    g_autoptr(LkBridgeUser) user = NULL;
    g_autofree char *password = NULL;
    gint64 deadline = g_get_monotonic_time () + LK_UI_TEST_PATIENCE * 10 * G_USEC_PER_SEC;

    g_assert_nonnull (enable);
    g_assert_false (lk_bridge_section_get_enabled (bridge));
    g_assert_null (lk_bridge_section_get_protocol_row (bridge, LK_PROTOCOL_IMAP));
    gtk_switch_set_active (GTK_SWITCH (enable), TRUE);
    while (lk_bridge_section_get_busy (bridge))
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        g_main_context_iteration (NULL, FALSE);
      }
    iterate (10);
    g_assert_true (lk_bridge_section_get_enabled (bridge));
    g_assert_nonnull (lk_bridge_section_get_password (bridge));
    password = g_strdup (lk_bridge_section_get_password (bridge));
    g_assert_true (find_text (GTK_WIDGET (bridge), password));
    g_assert_true (g_str_has_prefix (lk_bridge_section_get_state (bridge), "Not running."));
    /* "Start at Login" appears with the bridge, off in a fresh home (its
     * workings: tests/bridge/test-bridge-autostart.c). */
    {
      GtkWidget *row = lk_ui_test_find_mapped (GTK_WIDGET (bridge), ADW_TYPE_ACTION_ROW,
                                               "_Start at Login");

      g_assert_nonnull (row);
      g_assert_false (gtk_switch_get_active (GTK_SWITCH (lk_ui_test_find (row, GTK_TYPE_SWITCH,
                                                                          NULL))));
    }
    g_assert_true (lk_bridge_credentials_load (logins, &error));
    g_assert_no_error (error);
    user = lk_bridge_credentials_lookup (logins, "grace@outlook.com");
    g_assert_nonnull (user);
    g_assert_true (user->enabled);
    g_assert_cmpuint (user->protocols, ==, LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP);
    g_assert_cmpstr (adw_expander_row_get_subtitle (lk_bridge_section_get_protocol_row (
                       bridge, LK_PROTOCOL_IMAP)), ==, "127.0.0.1:1143");
    g_assert_cmpstr (adw_expander_row_get_subtitle (lk_bridge_section_get_protocol_row (
                       bridge, LK_PROTOCOL_SMTP)), ==, "127.0.0.1:1587");
    g_assert_null (lk_bridge_section_get_protocol_row (bridge, LK_PROTOCOL_POP));
    lk_ui_test_scroll_to (GTK_WIDGET (bridge));
    lk_ui_test_screenshot (GTK_WIDGET (window), "6-account-bridge");

    /* Off: no login any more, and the password is no longer shown. */
    gtk_switch_set_active (GTK_SWITCH (enable), FALSE);
    while (lk_bridge_section_get_busy (bridge))
      g_main_context_iteration (NULL, FALSE);
    iterate (10);
    g_assert_null (lk_bridge_section_get_password (bridge));
    g_assert_false (find_text (GTK_WIDGET (bridge), password));
    g_clear_pointer (&user, lk_bridge_user_unref);
    g_assert_true (lk_bridge_credentials_load (logins, &error));
    user = lk_bridge_credentials_lookup (logins, "grace@outlook.com");
    g_assert_false (user->enabled);
  }

  /* Back: the list, the account's row in focus (the list may have been
   * read again meanwhile: the folder is watched). */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-accounts", NULL);
  iterate (20);
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (page)));
  row = gtk_root_get_focus (GTK_ROOT (window));
  g_assert_true (LK_IS_ACCOUNT_ROW (row));
  g_assert_cmpstr (lk_account_row_get_account (LK_ACCOUNT_ROW (row))->email, ==,
                   "grace@outlook.com");

  /* Needs sign-in, and the keyring holds nothing for it. */
  page = open_account_page (window, "henry@outlook.com");
  g_assert_cmpstr (lk_account_page_get_status (page), ==, "Needs Sign-In");
  g_assert_true (find_text (GTK_WIDGET (page), "It holds no key for this account"));
  g_assert_true (gtk_root_get_focus (GTK_ROOT (window)) ==
                 find_widget (GTK_WIDGET (page), GTK_TYPE_BUTTON, "Sign In _Again"));
  g_assert_true (find_text (GTK_WIDGET (page), "No mail program set up from Latchkey yet"));
  lk_ui_test_screenshot (GTK_WIDGET (window), "6-account-needs-sign-in");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-accounts", NULL);
  iterate (10);

  page = open_account_page (window, "iris@outlook.com");
  g_assert_cmpstr (lk_account_page_get_status (page), ==, "Not Tested Yet");

  /* Removed from elsewhere (latchkey-cli remove): the page closes on the
   * next reload instead of showing an account that is gone. */
  g_assert_true (lk_account_store_remove (store, "iris@outlook.com", NULL, &error));
  g_assert_no_error (error);
  lk_window_reload (window);
  {
    gint64 deadline = g_get_monotonic_time () + LK_UI_TEST_PATIENCE * 10 * G_USEC_PER_SEC;

    while (gtk_widget_get_mapped (GTK_WIDGET (page)))
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        g_main_context_iteration (NULL, FALSE);
      }
  }

  gtk_window_destroy (GTK_WINDOW (window));
  iterate (10);
  lk_token_store_clear_sync (STORE, "grace@outlook.com", NULL, NULL, NULL);
  lk_account_store_remove (store, "grace@outlook.com", NULL, NULL);
  lk_account_store_remove (store, "henry@outlook.com", NULL, NULL);
  g_rmdir (dir);
}

static LkSetupWizard *
find_wizard (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) toplevel = g_list_model_get_item (toplevels, i);

      if (LK_IS_SETUP_WIZARD (toplevel) && gtk_widget_get_visible (GTK_WIDGET (toplevel)))
        return LK_SETUP_WIZARD (toplevel);
    }
  return NULL;
}

/* Waits for @condition on the main context, at most @ms. */
#define WAIT_FOR(condition, ms)                                          \
  G_STMT_START {                                                         \
    gint64 end_ = g_get_monotonic_time () + LK_UI_TEST_PATIENCE * (ms) * 1000; \
    while (!(condition) && g_get_monotonic_time () < end_)               \
      g_main_context_iteration (NULL, FALSE);                            \
    g_assert_true (condition);                                           \
  } G_STMT_END

/* A provider that signs in at the in-process test IdP, as Microsoft 365. */
static LkProvider *
idp_provider (LkTestIdp *idp)
{
  const char *base = lk_test_idp_get_base_url (idp);
  g_autofree char *json = NULL;
  g_autoptr(GError) error = NULL;
  LkProvider *provider;

  json = g_strdup_printf (
    "{ \"id\": \"testidp\", \"name\": \"Test IdP\", \"kind\": \"microsoft\","
    "  \"authorization_endpoint\": \"%s/{tenant}/oauth2/v2.0/authorize\","
    "  \"token_endpoint\": \"%s/{tenant}/oauth2/v2.0/token\","
    "  \"tenant\": \"organizations\", \"client_id\": \"" LK_TEST_IDP_CLIENT_ID "\","
    "  \"redirect_host\": \"localhost\","
    "  \"scopes\": { \"imap\": [\"https://outlook.office.com/IMAP.AccessAsUser.All\"],"
    "              \"extra\": [\"offline_access\"] },"
    "  \"servers\": { \"imap\": { \"host\": \"127.0.0.1\", \"port\": 1, \"security\": \"tls\" } },"
    "  \"sasl\": [\"XOAUTH2\"] }", base, base);
  provider = lk_provider_new_from_data (json, -1, "testidp.json", &error);
  g_assert_no_error (error);
  return provider;
}

/* The desktop's browser for these tests: a program that opens nothing. */
static void
install_null_browser (void)
{
  g_autofree char *apps = g_build_filename (g_get_user_data_dir (), "applications", NULL);
  g_autofree char *desktop = g_build_filename (apps, "null-browser.desktop", NULL);
  g_autofree char *mimeapps = g_build_filename (g_get_user_config_dir (), "mimeapps.list", NULL);

  g_mkdir_with_parents (apps, 0700);
  g_mkdir_with_parents (g_get_user_config_dir (), 0700);
  g_assert_true (g_file_set_contents (desktop,
                                      "[Desktop Entry]\nType=Application\nName=Null Browser\n"
                                      "Exec=true %u\nNoDisplay=true\n"
                                      "MimeType=x-scheme-handler/http;x-scheme-handler/https;\n",
                                      -1, NULL));
  g_assert_true (g_file_set_contents (mimeapps,
                                      "[Default Applications]\n"
                                      "x-scheme-handler/http=null-browser.desktop\n"
                                      "x-scheme-handler/https=null-browser.desktop\n", -1, NULL));
}

static gboolean
can_connect (guint16 port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;

  g_socket_client_set_timeout (client, 5);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  return connection != NULL;
}

static guint16
redirect_port (const char *authorization_url)
{
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GUri) uri = g_uri_parse (authorization_url, G_URI_FLAGS_ENCODED_QUERY, NULL);
  g_autoptr(GUri) redirect = NULL;

  g_assert_nonnull (uri);
  params = g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_NONE, NULL);
  redirect = g_uri_parse (g_hash_table_lookup (params, "redirect_uri"), G_URI_FLAGS_NONE, NULL);
  g_assert_nonnull (redirect);
  return (guint16) g_uri_get_port (redirect);
}

/* Test from the list with an expired key: the window's token manager asks
 * the provider for a new one (the OAuth refresher is plugged in). The test
 * IdP refuses the saved sign-in: the account becomes "needs sign-in" and the
 * window offers Sign In Again. Cancel then closes the loopback listener of
 * the sign-in it started. */
static void
test_refresh_refused (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-accounts-XXXXXX", NULL);
  g_autoptr(LkAccountStore) store = lk_account_store_new (dir);
  g_autoptr(LkTestIdp) idp = lk_test_idp_new ();
  g_autoptr(LkProvider) provider = NULL;
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(LkAccount) on_disk = NULL;
  g_autoptr(LkTokenSet) tokens = lk_token_set_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *link = NULL;
  LkSetupWizard *wizard;
  LkSignInPage *sign_in;
  GtkWidget *retry, *row;
  LkWindow *window;
  guint16 port;

  install_null_browser ();
  g_assert_true (lk_test_idp_start (idp, &error));
  provider = idp_provider (idp);
  account = lk_account_new ("alice@example.com", provider);
  account->protocols = LK_PROTOCOL_FLAG_IMAP;
  account->state = LK_ACCOUNT_STATE_WORKING;
  g_assert_true (lk_account_store_save (store, account, &error));
  tokens->access_token = g_strdup ("lk-test-expired-access");
  tokens->refresh_token = g_strdup ("lkrt_not-known-to-the-idp");
  tokens->expires_at = g_get_real_time () / G_USEC_PER_SEC - 600;
  g_assert_true (lk_token_store_store_sync (STORE, "alice@example.com", tokens, NULL, &error));
  g_assert_no_error (error);

  window = lk_window_new (app);
  lk_window_set_account_store (window, store);
  gtk_window_present (GTK_WINDOW (window));
  WAIT_FOR (lk_window_get_loaded (window), 5000);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.test-account", "s", "alice@example.com");
  WAIT_FOR ((wizard = find_wizard ()) != NULL, 5000);
  sign_in = LK_SIGN_IN_PAGE (lk_setup_wizard_get_page (wizard, "sign-in"));
  WAIT_FOR (g_strcmp0 (lk_setup_wizard_get_step (wizard), "sign-in") == 0 &&
            g_strcmp0 (lk_sign_in_page_get_state (sign_in), "error") == 0, 10000);
  g_assert_cmpuint (lk_test_idp_get_count (idp, "token:refresh_token"), ==, 1);
  iterate (20);
  retry = find_widget (GTK_WIDGET (sign_in), GTK_TYPE_BUTTON, "Sign In _Again");
  g_assert_nonnull (retry);
  g_assert_true (gtk_widget_get_mapped (retry));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (wizard)), ==, "Sign In Again");
  lk_ui_test_screenshot (GTK_WIDGET (wizard), "2-sign-in-again");

  on_disk = lk_account_store_load (store, "alice@example.com", &error);
  g_assert_no_error (error);
  g_assert_cmpint (on_disk->state, ==, LK_ACCOUNT_STATE_NEEDS_SIGN_IN);
  WAIT_FOR ((row = find_widget (GTK_WIDGET (window), LK_TYPE_ACCOUNT_ROW, NULL)) != NULL &&
            g_strcmp0 (lk_account_row_get_status (LK_ACCOUNT_ROW (row)), "Needs sign-in") == 0,
            5000);

  /* Sign In Again opens the loopback listener; the wizard's Cancel closes it. */
  gtk_widget_activate_action (retry, "sign-in.retry", NULL);
  WAIT_FOR (g_strcmp0 (lk_sign_in_page_get_state (sign_in), "waiting") == 0, 5000);
  gtk_widget_activate_action (GTK_WIDGET (sign_in), "sign-in.copy-link", NULL);
  link = lk_ui_test_read_clipboard (GTK_WIDGET (sign_in));
  port = redirect_port (link);
  g_assert_cmpuint (port, >, 0);
  g_assert_true (can_connect (port));
  gtk_widget_activate_action (GTK_WIDGET (wizard), "wizard.cancel", NULL);
  iterate (20);
  g_assert_false (can_connect (port));
  g_assert_null (find_wizard ());

  gtk_window_destroy (GTK_WINDOW (window));
  iterate (10);
}

static void
followed_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                              NULL);

  *done = TRUE;
}

/* What a browser does with the authorization link: the test IdP approves
 * at once and redirects to the wizard's loopback receiver. */
static void
follow_link (const char *link)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) message = soup_message_new ("GET", link);
  gboolean done = FALSE;

  soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, NULL, followed_cb,
                                    &done);
  WAIT_FOR (done, 10000);
}

/* The header bar's Back: an icon, named by its tooltip. */
static GtkWidget *
find_back_button (GtkWidget *root)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child) && g_strcmp0 (gtk_widget_get_tooltip_text (child), "Back") == 0)
        return child;
      found = find_back_button (child);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Adds an account with the wizard up to its test, signing in at the test
 * IdP; returns once the test page shows. */
static LkSetupWizard *
add_until_test (LkAccountStore *store,
                LkTestIdp      *idp,
                gboolean        offline_access,
                const char     *email)
{
  const char *base = lk_test_idp_get_base_url (idp);
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  g_autoptr(LkTokenManager) tokens = lk_token_manager_new (store, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *profile = NULL;
  g_autofree char *link = NULL;
  LkSetupWizard *wizard;
  LkAddressPage *address;
  LkSignInPage *sign_in;

  lk_provider_registry_load (registry);
  profile = g_strdup_printf (
    "{ \"id\": \"testidp\", \"name\": \"Test IdP\", \"kind\": \"microsoft\","
    "  \"authorization_endpoint\": \"%s/{tenant}/oauth2/v2.0/authorize\","
    "  \"token_endpoint\": \"%s/{tenant}/oauth2/v2.0/token\","
    "  \"tenant\": \"organizations\", \"client_id\": \"" LK_TEST_IDP_CLIENT_ID "\","
    "  \"redirect_host\": \"localhost\","
    "  \"scopes\": { \"imap\": [\"https://outlook.office.com/IMAP.AccessAsUser.All\"],"
    "              \"extra\": [%s] },"
    "  \"servers\": { \"imap\": { \"host\": \"127.0.0.1\", \"port\": 1, \"security\": \"tls\" } },"
    "  \"sasl\": [\"XOAUTH2\"] }", base, base, offline_access ? "\"offline_access\"" : "");
  wizard = lk_setup_wizard_new (NULL, registry, store, tokens);
  gtk_window_set_default_size (GTK_WINDOW (wizard), 360, 640);
  g_assert_true (lk_setup_wizard_import_profile (wizard, profile, -1, "testidp.json", &error));
  g_assert_no_error (error);
  gtk_window_present (GTK_WINDOW (wizard));
  iterate (20);
  address = LK_ADDRESS_PAGE (lk_setup_wizard_get_page (wizard, "address"));
  lk_address_page_set_email (address, email);
  WAIT_FOR (lk_address_page_get_can_continue (address), 5000);
  /* Back on every page after the first. */
  g_assert_false (gtk_widget_get_mapped (find_back_button (GTK_WIDGET (wizard))));
  gtk_widget_activate_action (GTK_WIDGET (wizard), "wizard.next", NULL);
  g_assert_cmpstr (lk_setup_wizard_get_step (wizard), ==, "sign-in");
  iterate (10);
  g_assert_true (gtk_widget_get_mapped (find_back_button (GTK_WIDGET (wizard))));
  g_signal_emit_by_name (find_back_button (GTK_WIDGET (wizard)), "clicked");
  g_assert_cmpstr (lk_setup_wizard_get_step (wizard), ==, "address");
  gtk_widget_activate_action (GTK_WIDGET (wizard), "wizard.next", NULL);
  g_assert_cmpstr (lk_setup_wizard_get_step (wizard), ==, "sign-in");

  sign_in = LK_SIGN_IN_PAGE (lk_setup_wizard_get_page (wizard, "sign-in"));
  gtk_widget_activate_action (GTK_WIDGET (wizard), "wizard.next", NULL);
  WAIT_FOR (g_strcmp0 (lk_sign_in_page_get_state (sign_in), "waiting") == 0, 5000);
  gtk_widget_activate_action (GTK_WIDGET (sign_in), "sign-in.copy-link", NULL);
  link = lk_ui_test_read_clipboard (GTK_WIDGET (sign_in));
  follow_link (link);
  WAIT_FOR (g_strcmp0 (lk_setup_wizard_get_step (wizard), "test") == 0, 10000);
  return wizard;
}

/* Answers @dialog as a click on the button labelled @label does (the
 * response, then the dialog closes). */
static void
click_response (AdwMessageDialog *dialog,
                const char       *label)
{
  GtkWidget *button = find_widget (GTK_WIDGET (dialog), GTK_TYPE_BUTTON, label);

  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
}

/* Cancel once the wizard saved a new account asks whether to keep it
 * (issue #18 point 5): Remove takes the keyring item and the file away,
 * Keep leaves both; neither happens without the question. A sign-in that
 * brought no refresh token says so while the person is there. */
static void
test_keep_account (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-accounts-XXXXXX", NULL);
  g_autoptr(LkAccountStore) store = lk_account_store_new (dir);
  g_autoptr(LkTestIdp) idp = lk_test_idp_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LkTokenSet) left = NULL;
  g_autofree char *path = NULL;
  g_autofree char *warning = NULL;
  AdwMessageDialog *dialog;
  LkSetupWizard *wizard;

  install_null_browser ();
  lk_test_idp_set_auto_approve (idp, TRUE);
  g_assert_true (lk_test_idp_start (idp, &error));

  wizard = add_until_test (store, idp, TRUE, "kate@example.com");
  path = lk_account_store_get_path (store, "kate@example.com");
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  gtk_widget_activate_action (GTK_WIDGET (wizard), "wizard.cancel", NULL);
  iterate (20);
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Keep the Account?");
  /* Still there while the question is open. */
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (wizard)));
  g_object_add_weak_pointer (G_OBJECT (wizard), (gpointer *) &wizard);
  click_response (dialog, "_Remove");
  WAIT_FOR (wizard == NULL, 10000);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  left = lk_token_store_lookup_sync (STORE, "kate@example.com", NULL, &error);
  g_assert_null (left);
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* Without offline_access the IdP gives no refresh token: the wizard
   * warns; Keep keeps the account as it is. */
  wizard = add_until_test (store, idp, FALSE, "liam@example.com");
  warning = lk_ui_test_wait_toast_prefix (GTK_WIDGET (wizard), "Test IdP gave no refresh token: "
                                                               "liam@example.com must be signed "
                                                               "in again");
  g_clear_pointer (&path, g_free);
  path = lk_account_store_get_path (store, "liam@example.com");
  gtk_widget_activate_action (GTK_WIDGET (wizard), "wizard.cancel", NULL);
  iterate (20);
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  g_object_add_weak_pointer (G_OBJECT (wizard), (gpointer *) &wizard);
  click_response (dialog, "_Keep");
  WAIT_FOR (wizard == NULL, 5000);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  left = lk_token_store_lookup_sync (STORE, "liam@example.com", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (left);
  g_assert_null (left->refresh_token);

  lk_token_store_clear_sync (STORE, "liam@example.com", NULL, NULL, NULL);
  lk_account_store_remove (store, "liam@example.com", NULL, NULL);
  g_rmdir (dir);
}

static gboolean
shown (GtkWidget *root,
       const char *label)
{
  GtkWidget *button = find_widget (root, GTK_TYPE_BUTTON, label);

  return button != NULL && gtk_widget_get_mapped (button);
}

static void
applied_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Sets msmtp up for @account in @file, as the wizard's Set Up does. */
static void
set_up_msmtp (LkAccountStore *store,
              LkAccount      *account,
              const char     *file)
{
  g_auto(GStrv) argv = lk_ui_dup_token_argv (account->email);
  const LkExporter *msmtp = lk_exporter_lookup ("msmtp");
  g_autoptr(LkExportApplyResult) applied = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  LkExportContext context = { 0 };
  LkExportApplyOptions options = { 0 };

  context.token_argv = (const char * const *) argv;
  context.version = PACKAGE_VERSION;
  options.file = file;
  lk_exporter_apply_async (msmtp, account, &context, &options, NULL, applied_cb, &result);
  WAIT_FOR (result != NULL, 10000);
  applied = lk_exporter_apply_finish (msmtp, result, &error);
  g_assert_no_error (error);
  g_assert_true (lk_account_store_record_export (store, account, "msmtp", file, &error));
  g_assert_no_error (error);
}

/* Whether the account page's mail programs still hold what Set Up would
 * write now (issue #18 point 4): msmtp really set up by core says "Up to
 * date"; a hand edit of the account's block, and a file that lost the
 * account, each say so with what Set Up would do. Nothing is written by
 * looking. */
static void
test_account_page_programs (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-accounts-XXXXXX", NULL);
  g_autofree char *msmtprc = g_build_filename (g_get_home_dir (), ".msmtprc", NULL);
  g_autoptr(LkAccountStore) store = lk_account_store_new (dir);
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  g_autoptr(LkAccount) account = NULL;
  g_autofree char *own_file = g_build_filename (dir, "msmtp-pia", NULL);
  g_autoptr(LkAccount) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *written = NULL;
  g_autofree char *edited = NULL;
  g_autofree char *after = NULL;
  LkAccountPage *page;
  LkWindow *window;
  GtkWidget *row;

  lk_provider_registry_load (registry);
  account = lk_account_new ("olga@outlook.com", lk_provider_registry_lookup (registry, "outlook"));
  account->protocols = LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP;
  other = lk_account_new ("pia@outlook.com", lk_provider_registry_lookup (registry, "outlook"));
  other->protocols = LK_PROTOCOL_FLAG_SMTP;
  g_assert_true (lk_account_store_save (store, account, &error));
  g_assert_no_error (error);
  /* Set Up as the wizard does it: core merges the account into ~/.msmtprc,
   * beside an account of another program. */
  g_assert_true (g_file_set_contents (msmtprc, "account home\nhost mail.example.net\n", -1,
                                      &error));
  set_up_msmtp (store, account, msmtprc);
  /* Another account's msmtp set up into a file of its own ("msmtp -C"):
   * checked in that file, not in ~/.msmtprc. */
  g_assert_true (lk_account_store_save (store, other, &error));
  set_up_msmtp (store, other, own_file);
  g_assert_true (g_file_get_contents (msmtprc, &written, NULL, NULL));

  window = lk_window_new (app);
  lk_window_set_account_store (window, store);
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 900);
  gtk_window_present (GTK_WINDOW (window));
  while (!lk_window_get_loaded (window))
    g_main_context_iteration (NULL, TRUE);
  iterate (20);
  page = open_account_page (window, "olga@outlook.com");
  WAIT_FOR (!lk_account_page_get_checking_programs (page), 10000);
  iterate (5);
  row = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, "msmtp");
  g_assert_nonnull (row);
  g_assert_true (g_str_has_suffix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                                   "\nUp to date"));
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                                   "~/.msmtprc, saved "));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-accounts", NULL);
  iterate (20);
  page = open_account_page (window, "pia@outlook.com");
  WAIT_FOR (!lk_account_page_get_checking_programs (page), 10000);
  iterate (5);
  row = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, "msmtp");
  g_assert_true (g_str_has_suffix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                                   "\nUp to date"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-accounts", NULL);
  iterate (20);
  page = open_account_page (window, "olga@outlook.com");

  /* Edited by hand: the port of the account's block changed. */
  g_assert_nonnull (strstr (written, "port 587\n"));
  {
    g_autoptr(GString) text = g_string_new (written);

    g_string_replace (text, "port 587\n", "port 2525\n", 1);
    edited = g_string_free (g_steal_pointer (&text), FALSE);
  }
  g_assert_true (g_file_set_contents (msmtprc, edited, -1, &error));
  lk_account_page_set_account (page, lk_account_page_get_account (page));
  g_assert_true (lk_account_page_get_checking_programs (page));
  WAIT_FOR (!lk_account_page_get_checking_programs (page), 10000);
  iterate (5);
  row = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, "msmtp");
  g_assert_true (g_str_has_suffix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                                   "\nEdited since Latchkey wrote it: Set Up writes it again"));
  /* Looking wrote nothing. */
  g_assert_true (g_file_get_contents (msmtprc, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, edited);

  /* The account's block is gone, the other account kept. */
  g_assert_true (g_file_set_contents (msmtprc, "account home\nhost mail.example.net\n", -1,
                                      &error));
  lk_account_page_set_account (page, lk_account_page_get_account (page));
  WAIT_FOR (!lk_account_page_get_checking_programs (page), 10000);
  iterate (5);
  row = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, "msmtp");
  g_assert_true (g_str_has_suffix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                                   "\nNo longer holds this account: Set Up adds it again"));
  lk_ui_test_screenshot (GTK_WIDGET (window), "6-account-programs");

  gtk_window_destroy (GTK_WINDOW (window));
  iterate (10);
  lk_account_store_remove (store, "olga@outlook.com", NULL, NULL);
  lk_account_store_remove (store, "pia@outlook.com", NULL, NULL);
  g_unlink (own_file);
  g_unlink (msmtprc);
  g_rmdir (dir);
}

/* Opened for a task, the wizard shows that task's title, page, buttons and
 * ending (issue #18 point 5): a test ends with Done and no Cancel, Next,
 * Back or "Continue Anyway", its heading naming what fails; Sign In Again starts at the sign-in with
 * Cancel; neither says "Account Added". */
static void
test_wizard_tasks (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-accounts-XXXXXX", NULL);
  g_autoptr(LkAccountStore) store = lk_account_store_new (dir);
  g_autoptr(LkTokenManager) manager = lk_token_manager_new (store, NULL);
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  g_autoptr(LkTestIdp) idp = lk_test_idp_new ();
  g_autoptr(LkProvider) provider = NULL;
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(LkTokenSet) tokens = lk_token_set_new ();
  g_autoptr(GError) error = NULL;
  LkSetupWizard *wizard;
  LkTestPage *test_page;

  g_assert_true (lk_test_idp_start (idp, &error));
  provider = idp_provider (idp);
  account = lk_account_new ("mona@example.com", provider);
  account->protocols = LK_PROTOCOL_FLAG_IMAP;
  g_assert_true (lk_account_store_save (store, account, &error));
  tokens->access_token = g_strdup ("lk-test-access-tasks");
  tokens->refresh_token = g_strdup ("lk-test-refresh-tasks");
  tokens->expires_at = g_get_real_time () / G_USEC_PER_SEC + 3600;
  g_assert_true (lk_token_store_store_sync (STORE, "mona@example.com", tokens, NULL, &error));
  g_assert_no_error (error);

  /* Test: the server (port 1) refuses; the test ends on its page. */
  wizard = lk_setup_wizard_new (NULL, registry, store, manager);
  gtk_window_set_default_size (GTK_WINDOW (wizard), 360, 640);
  lk_setup_wizard_start_task (wizard, account, LK_SETUP_WIZARD_TEST);
  gtk_window_present (GTK_WINDOW (wizard));
  test_page = LK_TEST_PAGE (lk_setup_wizard_get_page (wizard, "test"));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (wizard)), ==, "Test Account");
  g_assert_cmpstr (lk_setup_wizard_get_step (wizard), ==, "test");
  WAIT_FOR (!lk_test_page_get_busy (test_page), 10000);
  iterate (20);
  g_assert_false (lk_test_page_get_all_ok (test_page));
  g_assert_true (shown (GTK_WIDGET (wizard), "_Done"));
  g_assert_true (shown (GTK_WIDGET (wizard), "Test _Again"));
  g_assert_false (shown (GTK_WIDGET (wizard), "_Cancel"));
  g_assert_false (shown (GTK_WIDGET (wizard), "_Next"));
  g_assert_false (shown (GTK_WIDGET (wizard), "Continue _Anyway"));
  g_assert_false (gtk_widget_get_mapped (find_back_button (GTK_WIDGET (wizard))));
  /* The ending of a test, not of a setup still under way: what does not
   * work, by name, and no "Yet". */
  g_assert_nonnull (lk_ui_test_find_mapped (GTK_WIDGET (wizard), GTK_TYPE_LABEL,
                                            "IMAP Does Not Work"));
  g_assert_null (lk_ui_test_find_mapped (GTK_WIDGET (wizard), GTK_TYPE_LABEL,
                                         "Something Does Not Work Yet"));
  lk_ui_test_screenshot (GTK_WIDGET (wizard), "3-test-task");
  g_object_add_weak_pointer (G_OBJECT (wizard), (gpointer *) &wizard);
  gtk_widget_activate_action (GTK_WIDGET (wizard), "wizard.next", NULL);
  WAIT_FOR (wizard == NULL, 5000);

  /* Sign In Again: the sign-in page first, with Cancel. */
  wizard = lk_setup_wizard_new (NULL, registry, store, manager);
  lk_setup_wizard_start_task (wizard, account, LK_SETUP_WIZARD_SIGN_IN_AGAIN);
  gtk_window_present (GTK_WINDOW (wizard));
  iterate (20);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (wizard)), ==, "Sign In Again");
  g_assert_cmpstr (lk_setup_wizard_get_step (wizard), ==, "sign-in");
  g_assert_true (shown (GTK_WIDGET (wizard), "_Cancel"));
  g_assert_true (shown (GTK_WIDGET (wizard), "_Sign In"));
  g_assert_false (gtk_widget_get_mapped (find_back_button (GTK_WIDGET (wizard))));
  g_object_add_weak_pointer (G_OBJECT (wizard), (gpointer *) &wizard);
  /* Nothing was added: Cancel closes without asking. */
  gtk_widget_activate_action (GTK_WIDGET (wizard), "wizard.cancel", NULL);
  WAIT_FOR (wizard == NULL, 5000);
  g_assert_null (find_dialog ());

  lk_token_store_clear_sync (STORE, "mona@example.com", NULL, NULL, NULL);
  lk_account_store_remove (store, "mona@example.com", NULL, NULL);
  g_rmdir (dir);
}

static const char contoso_profile[] =
  "{ \"id\": \"contoso\", \"name\": \"Contoso Mail\", \"kind\": \"microsoft\","
  "  \"authorization_endpoint\": \"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize\","
  "  \"token_endpoint\": \"%s\","
  "  \"tenant\": \"contoso.onmicrosoft.com\", \"client_id\": \"11111111-2222-3333-4444-555555555555\","
  "  \"redirect_host\": \"localhost\","
  "  \"scopes\": { \"imap\": [\"https://outlook.office.com/IMAP.AccessAsUser.All\"],"
  "              \"smtp\": [\"https://outlook.office.com/SMTP.Send\"], \"extra\": [\"offline_access\"] },"
  "  \"servers\": { \"imap\": { \"host\": \"outlook.office365.com\", \"port\": 993, \"security\": \"tls\" },"
  "               \"smtp\": { \"host\": \"smtp.office365.com\", \"port\": 587, \"security\": \"starttls\" } },"
  "  \"domains\": [\"contoso.com\"] }";

static GFile *
write_profile (const char *dir,
               const char *name,
               const char *token_endpoint)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = g_strdup_printf (contoso_profile, token_endpoint);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return g_file_new_for_path (path);
}

/* Opening an organisation profile (`latchkey contoso.latchkey`) says what
 * it will configure, then starts the wizard with it imported; one that
 * does not validate is refused with the field at fault. */
static void
test_open_profile (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-profile-XXXXXX", NULL);
  g_autoptr(GFile) good = NULL;
  g_autoptr(GFile) bad = NULL;
  AdwMessageDialog *dialog;
  LkSetupWizard *wizard;
  LkAddressPage *page;
  const char *body;
  LkWindow *window;

  good = write_profile (dir, "contoso.latchkey",
                        "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token");
  bad = write_profile (dir, "broken.latchkey", "http://login.example/token");

  window = lk_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  lk_window_open_profile (window, good);
  WAIT_FOR ((dialog = find_dialog ()) != NULL, 5000);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Set Up Contoso Mail?");
  body = adw_message_dialog_get_body (dialog);
  g_assert_nonnull (strstr (body, "contoso.onmicrosoft.com"));
  g_assert_nonnull (strstr (body, "11111111-2222-3333-4444-555555555555"));
  g_assert_nonnull (strstr (body, "outlook.office365.com:993"));
  g_assert_nonnull (strstr (body, "smtp.office365.com:587"));
  lk_ui_test_screenshot (GTK_WIDGET (dialog), "1-profile");
  /* As the button does: the response, then the dialog closes. */
  adw_message_dialog_response (dialog, "continue");
  gtk_window_close (GTK_WINDOW (dialog));
  WAIT_FOR ((wizard = find_wizard ()) != NULL, 5000);
  g_assert_cmpstr (lk_setup_wizard_get_step (wizard), ==, "address");
  page = LK_ADDRESS_PAGE (lk_setup_wizard_get_page (wizard, "address"));
  g_assert_cmpstr (lk_address_page_get_provider (page)->id, ==, "contoso");
  lk_address_page_set_email (page, "carol@contoso.com");
  iterate (5);
  g_assert_true (lk_address_page_get_can_continue (page));
  gtk_window_destroy (GTK_WINDOW (wizard));
  iterate (10);

  lk_window_open_profile (window, bad);
  WAIT_FOR ((dialog = find_dialog ()) != NULL, 5000);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "This Profile Cannot Be Used");
  body = adw_message_dialog_get_body (dialog);
  g_assert_nonnull (strstr (body, "token_endpoint"));
  g_assert_nonnull (strstr (body, "https://"));
  adw_message_dialog_response (dialog, "close");
  gtk_window_close (GTK_WINDOW (dialog));
  iterate (10);
  g_assert_null (find_wizard ());

  gtk_window_destroy (GTK_WINDOW (window));
  iterate (10);
}

/* Ctrl+Q, Ctrl+W and the shortcuts window are wired. */
/* The "needs sign-in" notification of latchkey-cli activates app.sign-in
 * with the address: the window opens that account's sign-in, even when the
 * action arrives before the account list has loaded. */
static void
test_sign_in_action (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-accounts-XXXXXX", NULL);
  g_autoptr(LkAccountStore) store = lk_account_store_new (dir);
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  LkSetupWizard *wizard;
  LkWindow *window;

  lk_provider_registry_load (registry);
  account = lk_account_new ("grace@outlook.com", lk_provider_registry_lookup (registry, "outlook"));
  account->state = LK_ACCOUNT_STATE_NEEDS_SIGN_IN;
  g_assert_true (lk_account_store_save (store, account, &error));
  g_assert_no_error (error);

  window = lk_window_new (app);
  lk_window_set_account_store (window, store);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "sign-in"));
  g_action_group_activate_action (G_ACTION_GROUP (app), "sign-in",
                                  g_variant_new_string ("grace@outlook.com"));
  WAIT_FOR ((wizard = find_wizard ()) != NULL, 5000);
  WAIT_FOR (g_strcmp0 (lk_setup_wizard_get_step (wizard), "sign-in") == 0, 5000);

  gtk_window_destroy (GTK_WINDOW (wizard));
  gtk_window_destroy (GTK_WINDOW (window));
  iterate (10);
}

static void
test_shortcuts (void)
{
  g_auto(GStrv) quit = NULL;
  g_auto(GStrv) close = NULL;
  LkWindow *window;

  window = lk_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  iterate (20);

  quit = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.quit");
  close = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "window.close");
  g_assert_cmpstr (quit[0], ==, "<Control>q");
  g_assert_cmpstr (close[0], ==, "<Control>w");
  g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "about"));

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  iterate (20);
  {
    GListModel *toplevels = gtk_window_get_toplevels ();
    gboolean about_shown = FALSE;

    for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
      {
        g_autoptr(GObject) toplevel = g_list_model_get_item (toplevels, i);

        if (ADW_IS_ABOUT_WINDOW (toplevel) && gtk_widget_get_visible (GTK_WIDGET (toplevel)))
          {
            about_shown = TRUE;
            g_assert_cmpstr (adw_about_window_get_application_name (ADW_ABOUT_WINDOW (toplevel)),
                             ==, "Latchkey");
          }
      }
    g_assert_true (about_shown);
  }

  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  iterate (20);
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (app)));
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

  g_test_add_func ("/ui/window/empty-state", test_empty_state);
  g_test_add_func ("/ui/window/accounts", test_account_list);
  g_test_add_func ("/ui/window/strange-account-files", test_strange_account_files);
  g_test_add_func ("/ui/window/account-page", test_account_page);
  g_test_add_func ("/ui/window/refresh-refused", test_refresh_refused);
  g_test_add_func ("/ui/window/keep-account", test_keep_account);
  g_test_add_func ("/ui/window/wizard-tasks", test_wizard_tasks);
  g_test_add_func ("/ui/window/account-page-programs", test_account_page_programs);
  g_test_add_func ("/ui/window/open-profile", test_open_profile);
  g_test_add_func ("/ui/window/sign-in-action", test_sign_in_action);
  g_test_add_func ("/ui/window/shortcuts", test_shortcuts);
  return g_test_run ();
}
