/* SPDX-License-Identifier: GPL-3.0-or-later */
/* "For IT": fill the form as an administrator would and check what the
 * window offers to copy: the checklist, the consent link and the script. */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "admin/lk-exchange-script.h"
#include "lk-admin-window.h"
#include "lk-ui-test-utils.h"
#include "providers/lk-microsoft.h"

#define APP    "11111111-2222-3333-4444-555555555555"
#define OBJECT "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

static void
type_into (GtkWidget  *root,
           const char *title,
           const char *text)
{
  GtkWidget *row = lk_ui_test_find (root, ADW_TYPE_ENTRY_ROW, title);

  g_assert_nonnull (row);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
  lk_ui_test_iterate (5);
}

static void
test_fill (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("LK_SOURCE_ROOT"), "data", "providers",
                                            "microsoft365.json", NULL);
  g_autoptr(LkProvider) m365 = lk_provider_new_from_file (path, NULL);
  LkAdminWindow *window = lk_admin_window_new (NULL, m365);
  GtkWidget *app_only, *send_as, *rbac;
  g_autofree char *checklist = NULL;
  g_autofree char *url = NULL;
  g_autofree char *script = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *profile_path = NULL;
  g_autoptr(LkProvider) profile = NULL;
  g_autoptr(GError) error = NULL;
  LkExchangeScriptInput in = { 0 };
  const char *mailboxes[] = { "o'brien@contoso.com", "$(Stop-Computer)`;’@contoso.com", NULL };

  g_assert_nonnull (m365);
  gtk_window_present (GTK_WINDOW (window));
  lk_ui_test_iterate (20);

  type_into (GTK_WIDGET (window), "Tenant", "contoso.com");
  type_into (GTK_WIDGET (window), "Application (client) ID", APP);

  /* Delegated: the redirect URI and public client flows are on the list. */
  checklist = lk_admin_window_dup_checklist (window);
  g_assert_nonnull (strstr (checklist, "Mobile and desktop applications\nhttp://localhost\n"));
  g_assert_nonnull (strstr (checklist, "Allow public client flows"));
  g_assert_nonnull (strstr (checklist, "IMAP.AccessAsUser.All"));
  url = lk_admin_window_dup_consent_url (window);
  g_assert_true (g_str_has_prefix (url, "https://login.microsoftonline.com/contoso.com/v2.0/adminconsent?client_id=" APP));
  g_assert_nonnull (strstr (url, "scope=https%3A%2F%2Foutlook.office.com%2FIMAP.AccessAsUser.All%20"));
  /* The one link: what the CLI and the diagnosis give for this app. */
  expected = lk_microsoft_admin_consent_url (m365, "contoso.com", APP, 0, FALSE, NULL, NULL, NULL);
  g_assert_cmpstr (url, ==, expected);
  g_clear_pointer (&expected, g_free);

  /* App-only: application permissions, and the Exchange script. */
  app_only = lk_ui_test_find (GTK_WIDGET (window), GTK_TYPE_SWITCH, NULL);
  g_assert_nonnull (app_only);
  gtk_switch_set_active (GTK_SWITCH (app_only), TRUE);
  lk_ui_test_iterate (5);
  g_free (checklist);
  checklist = lk_admin_window_dup_checklist (window);
  g_assert_null (strstr (checklist, "http://localhost"));
  g_assert_nonnull (strstr (checklist, "Office 365 Exchange Online → Application permissions\nSMTP.SendAsApp\n"));

  type_into (GTK_WIDGET (window), "Enterprise application object ID", OBJECT);
  type_into (GTK_WIDGET (window), "Mailboxes (separated by commas)",
             "o'brien@contoso.com, $(Stop-Computer)`;’@contoso.com");
  send_as = lk_ui_test_find (GTK_WIDGET (window), ADW_TYPE_ACTION_ROW, "Send as the mailboxes");
  g_assert_nonnull (send_as);
  send_as = lk_ui_test_find (send_as, GTK_TYPE_SWITCH, NULL);
  g_assert_nonnull (send_as);
  gtk_switch_set_active (GTK_SWITCH (send_as), TRUE);
  lk_ui_test_iterate (5);

  script = lk_admin_window_dup_script (window);
  g_assert_nonnull (script);
  in.tenant = "contoso.com";
  in.app_id = APP;
  in.object_id = OBJECT;
  in.display_name = "Latchkey";
  in.mailboxes = mailboxes;
  in.send_as = TRUE;
  in.protocols = LK_PROTOCOL_FLAG_ALL;
  expected = lk_exchange_script_generate (&in, NULL);
  g_assert_cmpstr (script, ==, expected);
  g_assert_nonnull (strstr (script, "\nAdd-MailboxPermission -Identity '$(Stop-Computer)`;’’@contoso.com' -User '"
                                    OBJECT "' -AccessRights FullAccess\n"));
  g_assert_nonnull (strstr (script, "\nAdd-RecipientPermission -Identity 'o''brien@contoso.com' -Trustee '"
                                    OBJECT "' -AccessRights SendAs -Confirm:$false\n"));

  /* A scanner's mailbox that only sends: the application RBAC route. A
   * typographic quote cannot go into its filter, and the window says so. */
  rbac = lk_ui_test_find (GTK_WIDGET (window), ADW_TYPE_ACTION_ROW, "Send through application RBAC");
  g_assert_nonnull (rbac);
  rbac = lk_ui_test_find (rbac, GTK_TYPE_SWITCH, NULL);
  gtk_switch_set_active (GTK_SWITCH (rbac), TRUE);
  lk_ui_test_iterate (5);
  g_clear_pointer (&script, g_free);
  g_assert_null (lk_admin_window_dup_script (window));
  g_assert_false (gtk_widget_is_sensitive (lk_ui_test_find (GTK_WIDGET (window), GTK_TYPE_BUTTON, "Copy _Script")));
  type_into (GTK_WIDGET (window), "Mailboxes (separated by commas)", "scan@contoso.com");
  gtk_check_button_set_active (GTK_CHECK_BUTTON (lk_ui_test_find (GTK_WIDGET (window),
                                                                  GTK_TYPE_CHECK_BUTTON, "IMAP")), FALSE);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (lk_ui_test_find (GTK_WIDGET (window),
                                                                  GTK_TYPE_CHECK_BUTTON, "POP")), FALSE);
  gtk_switch_set_active (GTK_SWITCH (send_as), FALSE);
  lk_ui_test_iterate (5);
  script = lk_admin_window_dup_script (window);
  g_assert_nonnull (script);
  g_assert_nonnull (strstr (script, "\nNew-ManagementScope -Name 'Latchkey SMTP senders' "
                                    "-RecipientRestrictionFilter 'PrimarySmtpAddress -eq "
                                    "''scan@contoso.com'''\n"));
  g_assert_nonnull (strstr (script, "-Role 'Application SMTP.SendAsApp' -App '" OBJECT "'"));
  g_assert_null (strstr (script, "FullAccess"));
  gtk_switch_set_active (GTK_SWITCH (rbac), FALSE);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (lk_ui_test_find (GTK_WIDGET (window),
                                                                  GTK_TYPE_CHECK_BUTTON, "IMAP")), TRUE);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (lk_ui_test_find (GTK_WIDGET (window),
                                                                  GTK_TYPE_CHECK_BUTTON, "POP")), TRUE);
  lk_ui_test_iterate (5);

  /* A bad object id: no script, and the reason is shown instead. */
  type_into (GTK_WIDGET (window), "Enterprise application object ID", "not-a-guid");
  g_clear_pointer (&script, g_free);
  script = lk_admin_window_dup_script (window);
  g_assert_null (script);
  g_assert_nonnull (lk_ui_test_find (GTK_WIDGET (window), GTK_TYPE_BUTTON, "Copy _Script"));
  g_assert_false (gtk_widget_is_sensitive (lk_ui_test_find (GTK_WIDGET (window), GTK_TYPE_BUTTON, "Copy _Script")));

  /* The organisation profile. */
  dir = g_dir_make_tmp ("lk-admin-XXXXXX", NULL);
  profile_path = g_build_filename (dir, "contoso.latchkey", NULL);
  g_assert_true (lk_admin_window_save_profile (window, profile_path, &error));
  g_assert_no_error (error);
  profile = lk_provider_new_from_file (profile_path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (profile->id, ==, "org-contoso-com");
  g_assert_cmpstr (profile->name, ==, "Contoso (Microsoft 365)");
  g_assert_cmpstr (profile->tenant, ==, "contoso.com");
  g_assert_cmpstr (profile->client_id, ==, APP);
  g_unlink (profile_path);
  g_rmdir (dir);

  gtk_window_destroy (GTK_WINDOW (window));
  lk_ui_test_iterate (5);
}

int
main (int    argc,
      char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add_func ("/ui/admin-window/fill", test_fill);
  return g_test_run ();
}
