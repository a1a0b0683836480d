/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The IT window's Devices: add a printer through the form, see its setup
 * sheet once (a password that logs in), save the sheet as PDF, see the
 * device listed, give it a new password, remove it after the confirmation;
 * and the same page in German, dark, at 360 px. No bridge runs, so the
 * list is what the logins file says and the page says so. */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#include "bridge/lk-bridge-certificate.h"
#include "bridge/lk-bridge-credentials.h"
#include "bridge/lk-bridge-device-state.h"
#include "bridge/lk-bridge-settings.h"
#include "lk-admin-window.h"
#include "lk-code-view.h"
#include "lk-devices-page.h"
#include "lk-test-utils.h"
#include "lk-token-set.h"
#include "mail/lk-probe-result.h"
#include "lk-ui-test-utils.h"
#include "providers/lk-provider-registry.h"
#include "store/lk-account-store.h"

#define DEVICE "2nd-floor-mfp"

static LkProviderRegistry *registry;
static char *scratch;
static char *fingerprint;   /* the bridge certificate's */

typedef struct
{
  GAsyncResult *result;
} Wait;

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  ((Wait *) user_data)->result = g_object_ref (result);
}

static gboolean
has_result (gpointer user_data)
{
  return ((Wait *) user_data)->result != NULL;
}

/* Whether the bridge would let @name in with @password. */
static gboolean
logs_in (const char *name,
         const char *password)
{
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (NULL);
  g_autoptr(LkBridgeUser) user = NULL;
  g_autoptr(GError) error = NULL;
  Wait wait = { NULL };

  lk_bridge_credentials_verify_async (credentials, name, password, NULL, store_cb, &wait);
  g_assert_true (lk_test_wait_for (has_result, &wait, 20000 * LK_UI_TEST_PATIENCE));
  user = lk_bridge_credentials_verify_finish (credentials, wait.result, &error);
  g_object_unref (wait.result);
  return user != NULL && user->enabled;
}

/* A device of the office account, as `bridge device add NAME --account
 * office@outlook.com` makes it. Returns: its password */
static char *
add_device (const char *name)
{
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (NULL);
  LkBridgeDeviceSpec spec = { 0 };
  g_autoptr(GError) error = NULL;
  char *password = NULL;

  spec.name = name;
  spec.account = "office@outlook.com";
  g_assert_true (lk_bridge_credentials_add_device (credentials, &spec, &password, &error));
  g_assert_no_error (error);
  return password;
}

static LkBridgeUser *
lookup (const char *name)
{
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (lk_bridge_credentials_load (credentials, &error));
  g_assert_no_error (error);
  return lk_bridge_credentials_lookup (credentials, name);
}

/* The end of a test: @device out of the logins file, the window closed. */
static void
remove_device_and_close (const char    *device,
                         LkAdminWindow *window)
{
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (lk_bridge_credentials_remove (credentials, device, &error));
  g_assert_no_error (error);
  gtk_window_destroy (GTK_WINDOW (window));
  lk_ui_test_iterate (10);
}

static void
wait_idle (LkDevicesPage *page)
{
  gint64 deadline = g_get_monotonic_time () + LK_UI_TEST_PATIENCE * 10 * G_USEC_PER_SEC;

  while (lk_devices_page_get_busy (page))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
    }
  lk_ui_test_iterate (10);
}

static gboolean
shows_text (GtkWidget  *root,
            const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (gtk_widget_get_visible (child) && GTK_IS_LABEL (child) &&
          strstr (gtk_label_get_text (GTK_LABEL (child)), text) != NULL)
        return TRUE;
      if (gtk_widget_get_visible (child) && shows_text (child, text))
        return TRUE;
    }
  return FALSE;
}

static char *
pdf_text (const char *pdf)
{
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  const char *argv[] = { "pdftotext", "-layout", pdf, "-", NULL };

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_steal_pointer (&out);
}

static LkAdminWindow *
open_window (LkDevicesPage **out_page)
{
  LkAdminWindow *window = lk_admin_window_new (NULL, lk_provider_registry_lookup (registry,
                                                                                  "microsoft365"));

  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  gtk_window_present (GTK_WINDOW (window));
  lk_ui_test_iterate (20);
  *out_page = LK_DEVICES_PAGE (lk_ui_test_find (GTK_WIDGET (window), LK_TYPE_DEVICES_PAGE, NULL));
  g_assert_nonnull (*out_page);
  wait_idle (*out_page);
  return window;
}

static void
test_add_list_remove (void)
{
  LkDevicesPage *page;
  LkAdminWindow *window = open_window (&page);
  g_autoptr(LkBridgeUser) device = NULL;
  g_autofree char *password = NULL;
  g_autofree char *second = NULL;
  g_autofree char *pdf = g_build_filename (scratch, "sheet.pdf", NULL);
  g_autofree char *text = NULL;
  GtkWidget *name_row;
  GtkWidget *row;
  GtkWidget *dialog = NULL;
  GList *toplevels;

  /* No bridge runs: the page says the list is what the files say. */
  g_assert_nonnull (lk_devices_page_get_state (page));
  if (strstr (lk_devices_page_get_state (page), "not running") == NULL)
    g_error ("The page says “%s”, not that the bridge is not running",
             lk_devices_page_get_state (page));
  g_assert_true (shows_text (GTK_WIDGET (page), "No printers or scanners yet"));

  /* Add, as IT would: a name, the only account, SMTP, a cap. */
  name_row = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ENTRY_ROW,
                              "_Name, Such as 2nd-floor-mfp");
  g_assert_nonnull (name_row);
  gtk_editable_set_text (GTK_EDITABLE (name_row), DEVICE);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (lk_ui_test_find (GTK_WIDGET (page),
                                                               GTK_TYPE_SPIN_BUTTON, NULL)), 50);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "devices.add", NULL));
  wait_idle (page);

  /* The sheet shows the password once, and it logs the device in. */
  g_assert_nonnull (lk_devices_page_get_password (page));
  password = g_strdup (lk_devices_page_get_password (page));
  g_assert_true (shows_text (GTK_WIDGET (page), password));
  g_assert_true (logs_in (DEVICE, password));
  device = lookup (DEVICE);
  g_assert_nonnull (device);
  g_assert_cmpint (device->kind, ==, LK_BRIDGE_USER_DEVICE);
  g_assert_cmpstr (device->account, ==, "office@outlook.com");
  g_assert_cmpuint (device->protocols, ==, LK_PROTOCOL_FLAG_SMTP);
  g_assert_cmpuint (device->max_per_hour, ==, 50);
  /* The form is ready for the next device. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), ==, "");

  /* Listed, with its account and protocol. */
  row = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, DEVICE);
  g_assert_nonnull (row);
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                                   "office@outlook.com · SMTP\nnot seen yet"));
  g_assert_false (shows_text (GTK_WIDGET (page), "No printers or scanners yet"));
  lk_ui_test_screenshot (GTK_WIDGET (window), "9-devices-sheet");

  /* The sheet as PDF: the user name, the certificate's fingerprint and
   * the password just made. */
  lk_devices_page_print_sheet (page, pdf);
  g_assert_true (g_file_test (pdf, G_FILE_TEST_IS_REGULAR));
  text = pdf_text (pdf);
  g_assert_true (strstr (text, DEVICE) != NULL);
  g_assert_true (strstr (text, password) != NULL);
  g_assert_true (strstr (text, fingerprint) != NULL);
  g_unlink (pdf);

  /* Done: the password is gone from the page and from memory. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "devices.done", NULL));
  lk_ui_test_iterate (10);
  g_assert_null (lk_devices_page_get_password (page));
  g_assert_false (shows_text (GTK_WIDGET (page), password));

  /* The sheet again, to print once more: everything but the password,
   * which the bridge does not keep. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "devices.show-sheet", "s",
                                             DEVICE));
  lk_ui_test_iterate (10);
  g_assert_null (lk_devices_page_get_password (page));
  g_assert_true (shows_text (GTK_WIDGET (page), fingerprint));
  lk_devices_page_print_sheet (page, pdf);
  g_clear_pointer (&text, g_free);
  text = pdf_text (pdf);
  g_assert_true (strstr (text, DEVICE) != NULL);
  g_assert_true (strstr (text, fingerprint) != NULL);
  g_assert_true (strstr (text, password) == NULL);
  g_unlink (pdf);

  /* New Password: a new one works, the old one no longer does. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "devices.new-password", "s",
                                             DEVICE));
  wait_idle (page);
  second = g_strdup (lk_devices_page_get_password (page));
  g_assert_nonnull (second);
  g_assert_cmpstr (second, !=, password);
  g_assert_true (logs_in (DEVICE, second));
  g_assert_false (logs_in (DEVICE, password));

  /* Remove asks first; Cancel keeps the device. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "devices.remove", "s", DEVICE));
  lk_ui_test_iterate (20);
  toplevels = gtk_window_list_toplevels ();
  for (GList *l = toplevels; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data))
      dialog = l->data;
  g_list_free (toplevels);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Remove " DEVICE "?");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  lk_ui_test_iterate (10);
  g_clear_pointer (&device, lk_bridge_user_unref);
  device = lookup (DEVICE);
  g_assert_nonnull (device);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "devices.remove", "s", DEVICE));
  lk_ui_test_iterate (20);
  dialog = NULL;
  toplevels = gtk_window_list_toplevels ();
  for (GList *l = toplevels; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data))
      dialog = l->data;
  g_list_free (toplevels);
  g_assert_nonnull (dialog);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "remove");
  gtk_window_destroy (GTK_WINDOW (dialog));
  wait_idle (page);
  g_clear_pointer (&device, lk_bridge_user_unref);
  device = lookup (DEVICE);
  g_assert_null (device);
  g_assert_null (lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, DEVICE));
  /* Removing it closed its sheet, with the password. */
  g_assert_null (lk_devices_page_get_password (page));
  g_assert_false (logs_in (DEVICE, second));
  g_assert_true (shows_text (GTK_WIDGET (page), "No printers or scanners yet"));

  gtk_window_destroy (GTK_WINDOW (window));
  lk_ui_test_iterate (10);
}

/* A name the bridge refuses says why, and adds nothing. */
static void
test_bad_name (void)
{
  LkDevicesPage *page;
  LkAdminWindow *window = open_window (&page);
  GtkWidget *name_row = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ENTRY_ROW,
                                         "_Name, Such as 2nd-floor-mfp");
  g_autofree char *toast = NULL;
  g_autoptr(LkBridgeUser) device = NULL;

  gtk_editable_set_text (GTK_EDITABLE (name_row), "printer; rm -rf");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "devices.add", NULL));
  toast = lk_ui_test_wait_toast_prefix (GTK_WIDGET (window), "");
  g_assert_nonnull (toast);
  g_assert_cmpstr (toast, !=, "");
  g_assert_null (lk_devices_page_get_password (page));
  device = lookup ("printer; rm -rf");
  g_assert_null (device);
  /* What was typed stays, to be corrected. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), ==, "printer; rm -rf");
  gtk_window_destroy (GTK_WINDOW (window));
  lk_ui_test_iterate (10);
}

static GtkWidget *
find_message_dialog (void)
{
  GList *toplevels = gtk_window_list_toplevels ();
  GtkWidget *dialog = NULL;

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      dialog = l->data;
  g_list_free (toplevels);
  return dialog;
}

/* Activates the item @label of the menu on @device's row. */
static void
choose_from_row_menu (LkDevicesPage *page,
                      const char    *device,
                      const char    *label)
{
  GtkWidget *row = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, device);
  GtkWidget *button = lk_ui_test_find (row, GTK_TYPE_MENU_BUTTON, NULL);
  GtkWidget *item;

  g_assert_nonnull (button);
  /* Not popped up: under Xvfb a popover finds no monitor to place itself
   * on. Its items are there all the same, each bound to its action. */
  item = lk_ui_test_find (GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button))),
                          GTK_TYPE_LABEL, label);
  g_assert_nonnull (item);
  /* The label is inside the menu's item, which activates. */
  while (item != NULL && !g_type_is_a (G_OBJECT_TYPE (item), g_type_from_name ("GtkModelButton")))
    item = gtk_widget_get_parent (item);
  g_assert_nonnull (item);
  g_assert_true (gtk_widget_activate (item));
  lk_ui_test_iterate (20);
}

/* Permission Steps on a device: the Exchange steps for its mailbox and
 * its pinned sender, with the app's values typed above, and Copy; without
 * those values, what is missing. */
static void
test_permission_steps (void)
{
  LkDevicesPage *page;
  LkAdminWindow *window = open_window (&page);
  LkBridgeDeviceSpec spec = { 0 };
  GtkWidget *dialog;
  GtkWidget *view;
  const char *script;
  g_autofree char *copied = NULL;

  spec.name = "lobby-scanner";
  spec.account = "office@outlook.com";
  spec.sender = "reception@outlook.com";
  g_assert_true (lk_devices_page_add_device (page, &spec));
  wait_idle (page);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "devices.done", NULL));
  g_assert_nonnull (lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, "lobby-scanner"));

  /* The app's values are not there yet: the dialog says what is missing. */
  lk_ui_test_type_into (GTK_WIDGET (window), "_Tenant", "");
  lk_ui_test_type_into (GTK_WIDGET (window), "Enterprise Application _Object ID", "");
  /* Through the row's menu, as a click does it. */
  choose_from_row_menu (page, "lobby-scanner", "Permission Steps…");
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Permission Steps for lobby-scanner");
  g_assert_null (lk_ui_test_find (dialog, LK_TYPE_CODE_VIEW, NULL));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), "tenant"));
  gtk_window_destroy (GTK_WINDOW (dialog));
  lk_ui_test_iterate (10);

  lk_ui_test_type_into (GTK_WIDGET (window), "_Tenant", "4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e");
  lk_ui_test_type_into (GTK_WIDGET (window), "_Application (Client) ID", "11111111-2222-3333-4444-555555555555");
  lk_ui_test_type_into (GTK_WIDGET (window), "Enterprise Application _Object ID", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "devices.permission-steps", "s",
                                             "lobby-scanner"));
  lk_ui_test_iterate (20);
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  view = lk_ui_test_find (dialog, LK_TYPE_CODE_VIEW, NULL);
  g_assert_nonnull (view);
  g_assert_true (gtk_widget_get_mapped (view));
  script = lk_code_view_get_text (LK_CODE_VIEW (view));
  g_assert_nonnull (strstr (script, "# For the office bridge's device lobby-scanner: "));
  g_assert_nonnull (strstr (script, "\nAdd-MailboxPermission -Identity 'office@outlook.com' -User "
                                    "'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' -AccessRights FullAccess\n"));
  g_assert_nonnull (strstr (script, "\nAdd-RecipientPermission -Identity 'reception@outlook.com' "
                                    "-Trustee 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' "
                                    "-AccessRights SendAs -Confirm:$false\n"));
  lk_ui_test_screenshot (dialog, "9-devices-permission-steps");
  g_assert_true (gtk_widget_get_mapped (lk_code_view_get_copy_button (LK_CODE_VIEW (view))));
  g_signal_emit_by_name (lk_code_view_get_copy_button (LK_CODE_VIEW (view)), "clicked");
  copied = lk_ui_test_read_clipboard (dialog);
  g_assert_cmpstr (copied, ==, script);
  lk_ui_test_wait_toast (dialog, "Script copied");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "close");
  lk_ui_test_iterate (10);

  /* The other tests begin without devices and without the app's values
   * (GSettings keeps them). */
  {
    g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (NULL);
    g_autoptr(GError) error = NULL;

    g_assert_true (lk_bridge_credentials_remove (credentials, "lobby-scanner", &error));
    g_assert_no_error (error);
  }
  lk_ui_test_type_into (GTK_WIDGET (window), "_Tenant", "");
  lk_ui_test_type_into (GTK_WIDGET (window), "_Application (Client) ID", "");
  lk_ui_test_type_into (GTK_WIDGET (window), "Enterprise Application _Object ID", "");
  gtk_window_destroy (GTK_WINDOW (window));
  lk_ui_test_iterate (10);
}

/* A device the bridge locked out says so, and until when, from what the
 * bridge wrote (no bridge runs here). */
static void
test_locked (void)
{
  LkDevicesPage *page;
  LkAdminWindow *window;
  g_autoptr(LkBridgeDeviceState) state = NULL;
  g_autofree char *path = lk_bridge_device_state_default_path ();
  g_autofree char *password = NULL;
  g_autoptr(GError) error = NULL;
  LkBridgeDeviceRecord *record;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GtkWidget *row;

  lk_secret_wipe (add_device ("locked-mfp"));
  /* Locked after it was added (a lock older than its password would be
   * over: `bridge device reset` ends it). */
  state = lk_bridge_device_state_new (path);
  record = lk_bridge_device_state_get (state, "locked-mfp");
  record->failures = 20;
  record->last_failure = record->locked_at = now + 2;
  record->locked_until = now + 600;
  g_assert_true (lk_bridge_device_state_save (state, &error));
  g_assert_no_error (error);

  window = open_window (&page);
  row = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, "locked-mfp");
  g_assert_nonnull (row);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                            "\nLocked out until "));

  g_unlink (path);
  remove_device_and_close ("locked-mfp", window);
}

/* Waits up to @seconds (the main loop running) until @row's subtitle
 * holds @text. */
static gboolean
subtitle_becomes (GtkWidget  *row,
                  const char *text,
                  guint       seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      if (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), text) != NULL)
        return TRUE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  return FALSE;
}

/* While the page is on screen it follows what the bridge writes (its
 * counts, a lock-out) without anyone pressing anything, in the same row;
 * hidden, it stops asking. (No bridge runs: the state file speaks.) */
static void
test_refresh (void)
{
  LkDevicesPage *page;
  LkAdminWindow *window;
  g_autoptr(LkBridgeDeviceState) state = NULL;
  g_autofree char *path = lk_bridge_device_state_default_path ();
  g_autoptr(GError) error = NULL;
  LkBridgeDeviceRecord *record;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GtkWidget *row;

  lk_secret_wipe (add_device ("busy-mfp"));

  window = open_window (&page);
  lk_devices_page_set_refresh_interval (page, 1);
  g_assert_true (lk_devices_page_get_refreshing (page));
  row = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, "busy-mfp");
  g_assert_nonnull (row);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "not seen yet"));

  /* The bridge counts three scans. */
  state = lk_bridge_device_state_new (path);
  record = lk_bridge_device_state_get (state, "busy-mfp");
  for (guint i = 0; i < 3; i++)
    lk_bridge_device_record_count (record, now);
  g_assert_true (lk_bridge_device_state_save (state, &error));
  g_assert_no_error (error);
  g_assert_true (subtitle_becomes (row, "3 messages today", LK_UI_TEST_PATIENCE * 10));
  g_assert_true (lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, "busy-mfp") == row);

  /* Hidden: no timer, and what changes meanwhile is not read … */
  gtk_widget_set_visible (GTK_WIDGET (page), FALSE);
  lk_ui_test_iterate (5);
  g_assert_false (lk_devices_page_get_refreshing (page));
  lk_bridge_device_record_count (record, now);
  record->failures = 20;
  record->last_failure = record->locked_at = now + 2;
  record->locked_until = now + 600;
  g_assert_true (lk_bridge_device_state_save (state, &error));
  g_assert_no_error (error);
  /* Three of the page's 1 s ticks, had it kept ticking. */
  g_assert_false (subtitle_becomes (row, "4 messages today", 3));
  /* … until it is shown again. */
  gtk_widget_set_visible (GTK_WIDGET (page), TRUE);
  g_assert_true (subtitle_becomes (row, "\nLocked out until ", LK_UI_TEST_PATIENCE * 10));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "4 messages today"));
  g_assert_true (lk_devices_page_get_refreshing (page));

  g_unlink (path);
  remove_device_and_close ("busy-mfp", window);
}

/* The row's menu: the device's less frequent actions, each for this
 * device. */
static void
assert_row_menu (GtkWidget  *row,
                 const char *name)
{
  static const char *const actions[] = {
    "devices.permission-steps", "devices.new-password", "devices.remove",
  };
  GtkWidget *button = lk_ui_test_find (row, GTK_TYPE_MENU_BUTTON, NULL);
  g_autofree char *tooltip = g_strdup_printf ("More for %s", name);
  GMenuModel *model;

  g_assert_nonnull (button);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, tooltip);
  model = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (button));
  g_assert_cmpint (g_menu_model_get_n_items (model), ==, G_N_ELEMENTS (actions));
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      g_autofree char *action = NULL;
      g_autoptr(GVariant) target = NULL;

      g_assert_true (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_ACTION, "s",
                                                      &action));
      g_assert_cmpstr (action, ==, actions[i]);
      target = g_menu_model_get_item_attribute_value (model, i, G_MENU_ATTRIBUTE_TARGET,
                                                      G_VARIANT_TYPE_STRING);
      g_assert_nonnull (target);
      g_assert_cmpstr (g_variant_get_string (target, NULL), ==, name);
    }
}

/* The row's "Enabled" switch turns the device off and on as `bridge device
 * disable`/`enable` do: its record changes, its password stops and starts
 * working again (the same one), and the row says "Switched off". */
static void
test_enabled (void)
{
  LkDevicesPage *page;
  LkAdminWindow *window;
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (NULL);
  g_autoptr(LkBridgeUser) device = NULL;
  g_autofree char *password = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *row;
  GtkWidget *enabled_switch;

  password = add_device ("stolen-mfp");

  window = open_window (&page);
  row = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, "stolen-mfp");
  g_assert_nonnull (row);
  enabled_switch = lk_ui_test_find (row, GTK_TYPE_SWITCH, NULL);
  g_assert_nonnull (enabled_switch);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (enabled_switch), ==, "Enabled");
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (enabled_switch)));
  assert_row_menu (row, "stolen-mfp");
  g_assert_null (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "Switched off"));

  /* Off, as a click does it. */
  gtk_switch_set_active (GTK_SWITCH (enabled_switch), FALSE);
  wait_idle (page);
  device = lookup ("stolen-mfp");
  g_assert_false (device->enabled);
  g_clear_pointer (&device, lk_bridge_user_unref);
  g_assert_false (logs_in ("stolen-mfp", password));
  row = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, "stolen-mfp");
  enabled_switch = lk_ui_test_find (row, GTK_TYPE_SWITCH, NULL);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (enabled_switch)));
  g_assert_false (gtk_switch_get_state (GTK_SWITCH (enabled_switch)));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                            "Switched off: its logins are refused"));

  /* On again: the same password works. */
  gtk_switch_set_active (GTK_SWITCH (enabled_switch), TRUE);
  wait_idle (page);
  device = lookup ("stolen-mfp");
  g_assert_true (device->enabled);
  g_clear_pointer (&device, lk_bridge_user_unref);
  g_assert_true (logs_in ("stolen-mfp", password));
  row = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, "stolen-mfp");
  enabled_switch = lk_ui_test_find (row, GTK_TYPE_SWITCH, NULL);
  g_assert_true (gtk_switch_get_state (GTK_SWITCH (enabled_switch)));
  g_assert_null (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "Switched off"));

  /* Switched off elsewhere (`latchkey-cli bridge device disable`): the
   * page shows it when it looks again. */
  g_assert_true (lk_bridge_credentials_set_enabled (credentials, "stolen-mfp", FALSE, &error));
  g_assert_no_error (error);
  lk_devices_page_refresh (page);
  wait_idle (page);
  row = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, "stolen-mfp");
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (lk_ui_test_find (row, GTK_TYPE_SWITCH, NULL))));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "Switched off"));

  lk_secret_wipe (g_steal_pointer (&password));
  remove_device_and_close ("stolen-mfp", window);
}

/* A bridge with listeners for old printers (--legacy-tls, --legacy-smtps):
 * the sheet names their ports too. */
static void
test_legacy_ports (void)
{
  LkDevicesPage *page;
  LkAdminWindow *window;
  g_autofree char *settings = lk_bridge_settings_default_path ();
  g_autofree char *dir = g_path_get_dirname (settings);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  lk_test_write_file (settings, "{\"lan\": [\"192.168.7.2\"], "
                      "\"legacy_tls\": [\"192.168.7.2:2587\"], "
                      "\"legacy_smtps\": [\"192.168.7.2:2465\"]}");
  lk_secret_wipe (add_device ("old-mfp"));

  window = open_window (&page);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "devices.show-sheet", "s",
                                             "old-mfp"));
  lk_ui_test_iterate (10);
  g_assert_true (shows_text (GTK_WIDGET (page), "587 (STARTTLS), 465 (TLS)"));
  g_assert_nonnull (lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW,
                                     "SMTP Port for TLS 1.0 or 1.1 Only"));
  g_assert_true (shows_text (GTK_WIDGET (page), "2587 (STARTTLS), 2465 (TLS)"));

  g_unlink (settings);
  remove_device_and_close ("old-mfp", window);
}

/* German, dark, 360 px: the page fits, nothing is hyphenated that is not. */
static void
test_german (void)
{
  LkDevicesPage *page;
  LkAdminWindow *window;
  GtkLabel *hyphenated;
  GtkWidget *name_row;
  GtkWidget *name_label;

  /* glibc keeps translations it looked up until the locale is set again. */
  g_setenv ("LANGUAGE", "de", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  window = open_window (&page);
  g_assert_true (shows_text (GTK_WIDGET (page), "Noch keine Drucker oder Scanner"));
  name_row = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ENTRY_ROW, NULL);
  g_assert_nonnull (name_row);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (name_row)), !=,
                   "_Name, Such as 2nd-floor-mfp");
  gtk_editable_set_text (GTK_EDITABLE (name_row), "scanner-empfang");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "devices.add", NULL));
  wait_idle (page);
  g_assert_nonnull (lk_devices_page_get_password (page));
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_FORCE_DARK);
  lk_ui_test_iterate (20);
  hyphenated = lk_ui_test_find_inserted_hyphen (GTK_WIDGET (window));
  if (hyphenated != NULL)
    g_error ("Pango inserted a hyphen into “%s”", gtk_label_get_text (hyphenated));
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (page)), <=, 360);
  /* The device's name on one line: the row's buttons leave it the room. */
  name_label = lk_ui_test_find (lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW,
                                                 "scanner-empfang"),
                                GTK_TYPE_LABEL, "scanner-empfang");
  g_assert_nonnull (name_label);
  g_assert_cmpint (pango_layout_get_line_count (gtk_label_get_layout (GTK_LABEL (name_label))),
                   ==, 1);
  lk_ui_test_scroll_to (GTK_WIDGET (page));
  lk_ui_test_screenshot (GTK_WIDGET (window), "9-devices-de-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  gtk_window_destroy (GTK_WINDOW (window));
  lk_ui_test_iterate (10);
  g_unsetenv ("LANGUAGE");
  setlocale (LC_ALL, "C.UTF-8");
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *localedir = g_build_filename (g_getenv ("LK_BUILD_ROOT"), "po", NULL);
  static const struct { const char *variable, *dir; } homes[] = {
    { "XDG_CONFIG_HOME", "config" }, { "XDG_DATA_HOME", "data" },
    { "XDG_STATE_HOME", "state" }, { "XDG_CACHE_HOME", "cache" },
  };
  g_autofree char *run = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(LkAccountStore) store = NULL;
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  /* A home of its own: the other UI tests write the same logins file, and
   * a bridge another test runs must not answer this one. Before GLib reads
   * these. */
  scratch = lk_test_make_scratch ();
  run = g_build_filename (scratch, "run", NULL);
  g_mkdir (run, 0700);
  g_setenv ("XDG_RUNTIME_DIR", run, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (homes); i++)
    {
      g_autofree char *home = g_build_filename (scratch, homes[i].dir, NULL);

      g_setenv (homes[i].variable, home, TRUE);
    }

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  setlocale (LC_ALL, "C.UTF-8");
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  registry = lk_provider_registry_new ();
  lk_provider_registry_load (registry);

  /* The account devices send as, and the bridge's certificate, as
   * `latchkey-cli add` and `bridge run --lan` leave them. */
  store = lk_account_store_new (NULL);
  account = lk_account_new ("office@outlook.com", lk_provider_registry_lookup (registry, "outlook"));
  g_assert_true (lk_account_store_save (store, account, &error));
  g_assert_no_error (error);
  dir = lk_bridge_certificate_default_directory ();
  certificate = lk_bridge_certificate_ensure (dir, NULL, &error);
  g_assert_no_error (error);
  fingerprint = lk_certificate_fingerprint (certificate);

  g_test_add_func ("/ui/devices/add-list-remove", test_add_list_remove);
  g_test_add_func ("/ui/devices/bad-name", test_bad_name);
  g_test_add_func ("/ui/devices/permission-steps", test_permission_steps);
  g_test_add_func ("/ui/devices/locked", test_locked);
  g_test_add_func ("/ui/devices/refresh", test_refresh);
  g_test_add_func ("/ui/devices/enabled", test_enabled);
  g_test_add_func ("/ui/devices/legacy-ports", test_legacy_ports);
  g_test_add_func ("/ui/devices/german", test_german);
  status = g_test_run ();
  g_object_unref (registry);
  g_free (fingerprint);
  g_free (scratch);
  return status;
}
