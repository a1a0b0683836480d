/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>

#include "lk-address-page.h"
#include "lk-error.h"
#include "lk-export-page.h"
#include "lk-setup-wizard.h"
#include "lk-sign-in-page.h"
#include "lk-test-idp.h"
#include "lk-test-page.h"
#include "lk-test-resolver.h"
#include "lk-ui-test-utils.h"
#include "store/lk-account-store.h"

static LkProviderRegistry *registry;

/* What IT hands out: Microsoft 365 with the tenant and client id filled in. */
static const char org_profile[] =
  "{ \"id\": \"contoso\", \"name\": \"Contoso Mail\", \"kind\": \"microsoft\","
  "  \"authorization_endpoint\": \"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize\","
  "  \"token_endpoint\": \"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token\","
  "  \"tenant\": \"contoso.onmicrosoft.com\", \"client_id\": \"11111111-2222-3333-4444-555555555555\","
  "  \"redirect_host\": \"localhost\","
  "  \"scopes\": { \"imap\": [\"https://outlook.office.com/IMAP.AccessAsUser.All\"],"
  "              \"smtp\": [\"https://outlook.office.com/SMTP.Send\"], \"extra\": [\"offline_access\"] },"
  "  \"servers\": { \"imap\": { \"host\": \"outlook.office365.com\", \"port\": 993, \"security\": \"tls\" },"
  "               \"smtp\": { \"host\": \"smtp.office365.com\", \"port\": 587, \"security\": \"starttls\" } },"
  "  \"domains\": [\"contoso.com\"] }";

/* Typing an address: a half-typed one says what is wrong and Next stays
 * insensitive; a known domain shows its provider and how it was found. */
static void
test_address_validation (void)
{
  g_autoptr(LkAccountStore) store = lk_account_store_new (g_get_tmp_dir ());
  g_autoptr(LkTokenManager) tokens = lk_token_manager_new (NULL, NULL);
  LkSetupWizard *wizard;
  LkAddressPage *page;
  GtkWidget *next, *problem, *combo;
  GtkStringObject *selected;

  wizard = lk_setup_wizard_new (NULL, registry, store, tokens);
  gtk_window_set_default_size (GTK_WINDOW (wizard), 360, 640);
  gtk_window_present (GTK_WINDOW (wizard));
  lk_ui_test_iterate (50);
  page = LK_ADDRESS_PAGE (lk_setup_wizard_get_page (wizard, "address"));
  next = lk_ui_test_find (GTK_WIDGET (wizard), GTK_TYPE_BUTTON, "_Next");
  g_assert_nonnull (next);
  g_assert_false (gtk_widget_is_sensitive (next));

  lk_address_page_set_email (page, "alice");
  lk_ui_test_iterate (5);
  g_assert_false (lk_address_page_get_can_continue (page));
  g_assert_false (gtk_widget_is_sensitive (next));
  problem = lk_ui_test_find (GTK_WIDGET (page), GTK_TYPE_LABEL,
                             "Type the whole address, such as name@example.org.");
  g_assert_nonnull (problem);
  g_assert_true (gtk_widget_get_mapped (problem));

  /* A domain no profile names: Latchkey says so and offers the list. */
  lk_address_page_set_email (page, "bob@example.invalid");
  lk_ui_test_iterate (5);
  g_assert_null (lk_address_page_get_provider (page));
  g_assert_nonnull (strstr (lk_address_page_get_problem (page), "does not know this domain"));
  g_assert_true (gtk_widget_get_mapped (lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_COMBO_ROW,
                                                         "_Provider")));

  /* A known domain: the provider and how it was found are shown. */
  lk_address_page_set_email (page, "alice@outlook.com");
  lk_ui_test_iterate (5);
  g_assert_nonnull (lk_address_page_get_provider (page));
  g_assert_cmpstr (lk_address_page_get_provider (page)->id, ==, "outlook");
  g_assert_nonnull (lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW,
                                     "Outlook.com (personal Microsoft account)"));
  g_assert_cmpstr (lk_address_page_get_found_how (page), ==,
                   "Recognised from the address’s domain");
  /* The list that opened for the half-typed domain closes again, and
   * shows the provider in use when "Change…" reopens it. */
  combo = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_COMBO_ROW, "_Provider");
  g_assert_false (gtk_widget_get_visible (combo));
  g_signal_emit_by_name (lk_ui_test_find (GTK_WIDGET (page), GTK_TYPE_BUTTON, "C_hange…"), "clicked");
  lk_ui_test_iterate (5);
  g_assert_true (gtk_widget_get_mapped (combo));
  selected = adw_combo_row_get_selected_item (ADW_COMBO_ROW (combo));
  g_assert_nonnull (selected);
  g_assert_cmpstr (gtk_string_object_get_string (selected), ==,
                   lk_address_page_get_provider (page)->name);
  lk_ui_test_screenshot (GTK_WIDGET (wizard), "1-address");

  gtk_window_destroy (GTK_WINDOW (wizard));
  lk_ui_test_iterate (10);
}

/* An organisation profile fills in tenant and client id: Next works and
 * the account carries the profile and the chosen protocols. */
static void
test_address_import (void)
{
  GtkWidget *page = lk_address_page_new ();
  GtkWidget *window;
  g_autoptr(GError) error = NULL;
  g_autoptr(LkAccount) account = NULL;

  lk_address_page_set_registry (LK_ADDRESS_PAGE (page), registry);
  window = lk_ui_test_show (page);

  lk_address_page_set_email (LK_ADDRESS_PAGE (page), "carol@contoso.com");
  g_assert_true (lk_address_page_import_profile (LK_ADDRESS_PAGE (page), org_profile, -1,
                                                 "contoso.json", &error));
  g_assert_no_error (error);
  lk_ui_test_iterate (5);
  g_assert_cmpstr (lk_address_page_get_provider (LK_ADDRESS_PAGE (page))->id, ==, "contoso");
  g_assert_true (lk_address_page_get_can_continue (LK_ADDRESS_PAGE (page)));
  g_assert_null (lk_address_page_get_problem (LK_ADDRESS_PAGE (page)));

  account = lk_address_page_build_account (LK_ADDRESS_PAGE (page));
  g_assert_nonnull (account);
  g_assert_cmpstr (account->email, ==, "carol@contoso.com");
  g_assert_cmpstr (lk_account_get_client_id (account), ==, "11111111-2222-3333-4444-555555555555");
  /* The profile has no POP server: POP is neither offered nor chosen. */
  g_assert_cmpint (account->protocols, ==, LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP);

  /* A broken file says why and changes nothing. */
  g_assert_false (lk_address_page_import_profile (LK_ADDRESS_PAGE (page), "{", -1, "bad.json",
                                                  &error));
  g_assert_nonnull (error);
  g_assert_cmpstr (lk_address_page_get_provider (LK_ADDRESS_PAGE (page))->id, ==, "contoso");

  gtk_window_destroy (GTK_WINDOW (window));
  lk_ui_test_iterate (10);
}

/* A domain no profile names: after a pause in typing, a spinner in the
 * provider row while autodiscovery runs (here: the test resolver's MX
 * record, and the tenant from the in-process test IdP), then Microsoft 365
 * with how it was found and the tenant filled in. Typing on cancels the
 * lookup of the half-typed address. */
static void
test_address_discovery (void)
{
  g_autoptr(LkAccountStore) store = lk_account_store_new (g_get_tmp_dir ());
  g_autoptr(LkTokenManager) tokens = lk_token_manager_new (NULL, NULL);
  g_autoptr(LkTestResolver) resolver = g_object_new (LK_TYPE_TEST_RESOLVER, NULL);
  g_autoptr(GResolver) previous = g_resolver_get_default ();
  g_autoptr(LkTestIdp) idp = lk_test_idp_new ();
  g_autoptr(LkHttp) http = lk_http_new (NULL, NULL);
  g_autoptr(LkDiscovery) discovery = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tenant_url = NULL;
  LkSetupWizard *wizard;
  LkAddressPage *page;
  GtkWidget *spinner, *tenant;
  const char *how;
  gint64 end;

  g_assert_true (lk_test_idp_start (idp, &error));
  lk_test_resolver_set_mx (resolver, "contoso.com", "0 contoso-com.mail.protection.outlook.com");
  g_resolver_set_default (G_RESOLVER (resolver));
  discovery = lk_discovery_new (http, registry);
  lk_discovery_set_url_template (discovery, LK_DISCOVERY_STEP_AUTOCONFIG, NULL);
  lk_discovery_set_url_template (discovery, LK_DISCOVERY_STEP_WELL_KNOWN, NULL);
  lk_discovery_set_url_template (discovery, LK_DISCOVERY_STEP_ISPDB, NULL);
  tenant_url = g_strconcat (lk_test_idp_get_base_url (idp),
                            "/{domain}/v2.0/.well-known/openid-configuration", NULL);
  lk_discovery_set_url_template (discovery, LK_DISCOVERY_STEP_MICROSOFT_TENANT, tenant_url);

  wizard = lk_setup_wizard_new (NULL, registry, store, tokens);
  lk_setup_wizard_set_discovery (wizard, discovery);
  gtk_window_set_default_size (GTK_WINDOW (wizard), 360, 640);
  gtk_window_present (GTK_WINDOW (wizard));
  lk_ui_test_iterate (50);
  page = LK_ADDRESS_PAGE (lk_setup_wizard_get_page (wizard, "address"));

  /* Typed on before the pause ends: one lookup, for the whole address. */
  lk_address_page_set_email (page, "dana@contoso.co");
  g_assert_true (lk_address_page_get_discovering (page));
  lk_address_page_set_email (page, "dana@contoso.com");
  lk_ui_test_iterate (5);
  spinner = lk_ui_test_find (GTK_WIDGET (page), GTK_TYPE_SPINNER, NULL);
  g_assert_true (gtk_widget_get_mapped (spinner));
  g_assert_true (gtk_spinner_get_spinning (GTK_SPINNER (spinner)));
  g_assert_false (lk_address_page_get_can_continue (page));
  g_assert_null (lk_address_page_get_problem (page));
  g_assert_cmpstr (lk_address_page_get_found_how (page), ==, "Looking up contoso.com…");

  end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (lk_address_page_get_discovering (page) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (lk_address_page_get_discovering (page));
  g_assert_cmpuint (resolver->lookups, ==, 1);
  g_assert_false (gtk_widget_get_visible (spinner));
  g_assert_nonnull (lk_address_page_get_provider (page));
  g_assert_cmpstr (lk_address_page_get_provider (page)->id, ==, "microsoft365");
  how = lk_address_page_get_found_how (page);
  g_assert_nonnull (strstr (how, "MX records of contoso.com"));
  g_assert_nonnull (strstr (how, "tenant filled in"));
  tenant = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_ENTRY_ROW, "_Tenant");
  g_assert_nonnull (tenant);
  for (guint i = 0; i < 50 && !gtk_widget_get_mapped (tenant); i++)
    lk_ui_test_wait (100);
  g_assert_true (gtk_widget_get_mapped (tenant));
  g_assert_cmpuint (strlen (gtk_editable_get_text (GTK_EDITABLE (tenant))), ==, 36);
  g_assert_cmpuint (lk_test_idp_get_count (idp, "discovery"), ==, 1);
  lk_ui_test_screenshot (GTK_WIDGET (wizard), "1-address-discovered");

  gtk_window_destroy (GTK_WINDOW (wizard));
  lk_ui_test_iterate (10);
  g_resolver_set_default (previous);
}

static void
count_cb (GObject  *page,
          gpointer  counter)
{
  (*(guint *) counter)++;
}

static void
start_cb (LkSignInPage *page,
          gboolean      use_device,
          int          *out)
{
  *out = use_device;
}

/* Sign-in: intro, waiting with a spinner and Cancel, the device code, and
 * an error with Try Again; a cancellation never shows as an error. */
static void
test_sign_in_states (void)
{
  GtkWidget *page = lk_sign_in_page_new ();
  GtkWidget *window, *spinner, *code;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) cancelled = NULL;
  g_autofree char *copied = NULL;
  guint cancels = 0;
  int started = -1;

  g_signal_connect (page, "cancel", G_CALLBACK (count_cb), &cancels);
  g_signal_connect (page, "start", G_CALLBACK (start_cb), &started);
  lk_sign_in_page_set_provider_name (LK_SIGN_IN_PAGE (page), "Microsoft 365", TRUE);
  window = lk_ui_test_show (page);

  g_assert_cmpstr (lk_sign_in_page_get_state (LK_SIGN_IN_PAGE (page)), ==, "intro");
  g_assert_nonnull (lk_ui_test_find (page, ADW_TYPE_STATUS_PAGE, "Sign In with Microsoft 365"));
  lk_ui_test_screenshot (window, "2-sign-in");
  gtk_widget_activate_action (page, "sign-in.start", NULL);
  g_assert_cmpint (started, ==, FALSE);

  lk_sign_in_page_show_waiting (LK_SIGN_IN_PAGE (page),
                                "https://login.example/authorize?client_id=x");
  lk_ui_test_iterate (20);
  g_assert_cmpstr (lk_sign_in_page_get_state (LK_SIGN_IN_PAGE (page)), ==, "waiting");
  lk_ui_test_screenshot (window, "2-sign-in-waiting");
  spinner = lk_ui_test_find (page, GTK_TYPE_SPINNER, NULL);
  g_assert_true (gtk_spinner_get_spinning (GTK_SPINNER (spinner)));
  gtk_widget_activate_action (page, "sign-in.copy-link", NULL);
  copied = lk_ui_test_read_clipboard (page);
  g_assert_cmpstr (copied, ==, "https://login.example/authorize?client_id=x");
  g_assert_true (gtk_widget_get_mapped (lk_ui_test_find (page, GTK_TYPE_BUTTON, "_Cancel")));
  gtk_widget_activate_action (page, "sign-in.cancel", NULL);
  g_assert_cmpuint (cancels, ==, 1);
  g_assert_cmpstr (lk_sign_in_page_get_state (LK_SIGN_IN_PAGE (page)), ==, "intro");
  g_assert_false (gtk_spinner_get_spinning (GTK_SPINNER (spinner)));

  lk_sign_in_page_show_device (LK_SIGN_IN_PAGE (page), "HXKD-QWTR",
                               "https://microsoft.com/devicelogin");
  lk_ui_test_iterate (20);
  code = lk_ui_test_find (page, GTK_TYPE_LABEL, "HXKD-QWTR");
  g_assert_nonnull (code);
  g_assert_true (gtk_widget_get_mapped (code));
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (code)));
  lk_ui_test_screenshot (window, "2-sign-in-device");

  error = g_error_new_literal (LK_ERROR, LK_ERROR_AUTHORIZATION_DENIED,
                               "You declined the sign-in; press Try Again to start over.");
  lk_sign_in_page_show_error (LK_SIGN_IN_PAGE (page), error);
  lk_ui_test_iterate (20);
  g_assert_cmpstr (lk_sign_in_page_get_state (LK_SIGN_IN_PAGE (page)), ==, "error");
  g_assert_true (gtk_widget_get_mapped (lk_ui_test_find (page, GTK_TYPE_BUTTON, "_Try Again")));
  started = -1;
  gtk_widget_activate_action (page, "sign-in.retry", NULL);
  g_assert_cmpint (started, ==, FALSE);

  lk_sign_in_page_show_diagnosis (LK_SIGN_IN_PAGE (page), "Your administrator must consent",
                                  "The app is not approved in your organisation.",
                                  (const char * const[]) { "Send the link to IT.", NULL },
                                  NULL);
  lk_ui_test_iterate (20);
  g_assert_true (gtk_widget_get_mapped (lk_ui_test_find (page, ADW_TYPE_STATUS_PAGE,
                                                         "Your administrator must consent")));
  g_assert_nonnull (lk_ui_test_find (page, GTK_TYPE_LABEL, "1. Send the link to IT."));
  lk_ui_test_screenshot (window, "2-sign-in-error");

  cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  lk_sign_in_page_show_error (LK_SIGN_IN_PAGE (page), cancelled);
  g_assert_cmpstr (lk_sign_in_page_get_state (LK_SIGN_IN_PAGE (page)), ==, "intro");

  gtk_window_destroy (GTK_WINDOW (window));
  lk_ui_test_iterate (10);
}

/* Test page: a spinner per protocol, then a verdict; a failed row expands
 * to its diagnosis, a copyable command and the transcript. */
static void
test_test_rows (void)
{
  GtkWidget *page = lk_test_page_new ();
  GtkWidget *window, *transcript, *command;
  AdwExpanderRow *imap, *smtp;
  LkTestFailure failure = { 0 };
  const char *commands[] = { "Set-CASMailbox -Identity alice@contoso.com -SmtpClientAuthenticationDisabled $false", NULL };
  g_autofree char *copied = NULL;

  window = lk_ui_test_show (page);
  lk_test_page_set_protocols (LK_TEST_PAGE (page), LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP);
  g_assert_null (lk_test_page_get_row (LK_TEST_PAGE (page), LK_PROTOCOL_POP));
  imap = lk_test_page_get_row (LK_TEST_PAGE (page), LK_PROTOCOL_IMAP);
  smtp = lk_test_page_get_row (LK_TEST_PAGE (page), LK_PROTOCOL_SMTP);

  lk_test_page_set_running (LK_TEST_PAGE (page), LK_PROTOCOL_IMAP);
  lk_test_page_set_running (LK_TEST_PAGE (page), LK_PROTOCOL_SMTP);
  lk_ui_test_iterate (20);
  g_assert_true (lk_test_page_get_busy (LK_TEST_PAGE (page)));
  g_assert_true (gtk_spinner_get_spinning (GTK_SPINNER (lk_ui_test_find (GTK_WIDGET (imap),
                                                                         GTK_TYPE_SPINNER,
                                                                         NULL))));
  g_assert_false (gtk_widget_is_sensitive (lk_ui_test_find (page, GTK_TYPE_BUTTON,
                                                            "Test _Again")));

  lk_test_page_set_ok (LK_TEST_PAGE (page), LK_PROTOCOL_IMAP, "XOAUTH2 over TLSv1.3");
  g_assert_cmpint (lk_test_page_get_verdict (LK_TEST_PAGE (page), LK_PROTOCOL_IMAP), ==,
                   LK_TEST_VERDICT_OK);
  g_assert_cmpstr (adw_expander_row_get_subtitle (imap), ==, "Works: XOAUTH2 over TLSv1.3");
  g_assert_false (adw_expander_row_get_enable_expansion (imap));

  failure.title = "SMTP sign-in is switched off for this mailbox";
  failure.explanation = "Exchange Online lets a mailbox refuse SMTP AUTH.";
  failure.who_fixes = "Your mailbox administrator";
  failure.commands = commands;
  failure.transcript = "S: 220 ready\nC: AUTH XOAUTH2 <redacted>\nS: 535 5.7.139 Authentication unsuccessful";
  failure.tls_details = "smtp.office365.com:587 (starttls)";
  lk_test_page_set_failed (LK_TEST_PAGE (page), LK_PROTOCOL_SMTP, &failure);
  lk_ui_test_iterate (20);
  g_assert_cmpint (lk_test_page_get_verdict (LK_TEST_PAGE (page), LK_PROTOCOL_SMTP), ==,
                   LK_TEST_VERDICT_FAILED);
  g_assert_false (lk_test_page_get_busy (LK_TEST_PAGE (page)));
  g_assert_false (lk_test_page_get_all_ok (LK_TEST_PAGE (page)));
  g_assert_cmpstr (adw_expander_row_get_subtitle (smtp), ==, failure.title);
  g_assert_true (gtk_widget_get_mapped (lk_ui_test_find (page, GTK_TYPE_BUTTON,
                                                         "Continue _Anyway")));
  g_assert_true (gtk_widget_is_sensitive (lk_ui_test_find (page, GTK_TYPE_BUTTON,
                                                           "Test _Again")));

  adw_expander_row_set_expanded (smtp, TRUE);
  transcript = lk_ui_test_find (GTK_WIDGET (smtp), GTK_TYPE_LABEL, failure.transcript);
  g_assert_nonnull (transcript);
  /* The expander's animation takes longer on a loaded machine. */
  for (guint i = 0; i < 50 && !gtk_widget_get_mapped (transcript); i++)
    lk_ui_test_wait (100);
  g_assert_true (gtk_widget_get_mapped (transcript));
  command = lk_ui_test_find (GTK_WIDGET (smtp), GTK_TYPE_LABEL, commands[0]);
  g_assert_true (gtk_widget_get_mapped (command));
  lk_ui_test_screenshot (window, "3-test-failed");
  g_signal_emit_by_name (gtk_widget_get_next_sibling (command), "clicked");
  copied = lk_ui_test_read_clipboard (page);
  g_assert_cmpstr (copied, ==, commands[0]);

  /* Testing again clears the verdict. */
  lk_test_page_set_running (LK_TEST_PAGE (page), LK_PROTOCOL_SMTP);
  g_assert_false (adw_expander_row_get_enable_expansion (smtp));

  gtk_window_destroy (GTK_WINDOW (window));
  lk_ui_test_iterate (10);
}

/* Export: each client previews its file; Copy puts it on the clipboard;
 * saving writes exactly the preview. */
static void
test_export_preview (void)
{
  GtkWidget *page = lk_export_page_new ();
  GtkWidget *window, *row, *preview;
  const char *text = "account work\nhost smtp.office365.com\nauth xoauth2\n"
                     "passwordeval \"latchkey-cli token work@contoso.com\"\n";
  g_autofree char *copied = NULL;
  g_autofree char *dir = g_dir_make_tmp ("lk-export-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "sub", ".msmtprc", NULL);
  g_autofree char *written = NULL;
  g_autofree char *sub = g_path_get_dirname (path);
  g_autoptr(GFile) file = g_file_new_for_path (path);

  window = lk_ui_test_show (page);
  lk_export_page_add_client (LK_EXPORT_PAGE (page), "msmtp", "msmtp", text, path,
                             "Add the block to ~/.msmtprc.");
  row = lk_export_page_get_row (LK_EXPORT_PAGE (page), "msmtp");
  g_assert_nonnull (row);
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), TRUE);
  preview = lk_ui_test_find (row, GTK_TYPE_LABEL, text);
  g_assert_nonnull (preview);
  /* The expander's animation takes longer on a loaded machine. */
  for (guint i = 0; i < 50 && !gtk_widget_get_mapped (preview); i++)
    lk_ui_test_wait (100);
  g_assert_true (gtk_widget_get_mapped (preview));
  g_assert_true (gtk_widget_get_mapped (lk_ui_test_find (row, GTK_TYPE_LABEL,
                                                         "Add the block to ~/.msmtprc.")));

  lk_ui_test_screenshot (window, "4-export");
  gtk_widget_activate_action (page, "export.copy", "s", "msmtp");
  copied = lk_ui_test_read_clipboard (page);
  g_assert_cmpstr (copied, ==, text);

  lk_export_page_save_to (LK_EXPORT_PAGE (page), "msmtp", file);
  g_assert_true (g_file_get_contents (path, &written, NULL, NULL));
  g_assert_cmpstr (written, ==, text);

  /* Saving over a file with something else in it keeps that file. */
  {
    g_autoptr(GDir) listing = NULL;
    g_autofree char *kept = NULL;
    g_autofree char *kept_text = NULL;
    const char *name;

    g_assert_true (g_file_set_contents (path, "account home\n", -1, NULL));
    lk_export_page_save_to (LK_EXPORT_PAGE (page), "msmtp", file);
    listing = g_dir_open (sub, 0, NULL);
    while ((name = g_dir_read_name (listing)) != NULL)
      if (g_str_has_prefix (name, ".msmtprc.bak-"))
        kept = g_build_filename (sub, name, NULL);
    g_assert_nonnull (kept);
    g_assert_true (g_file_get_contents (kept, &kept_text, NULL, NULL));
    g_assert_cmpstr (kept_text, ==, "account home\n");
    g_unlink (kept);
  }

  gtk_window_destroy (GTK_WINDOW (window));
  lk_ui_test_iterate (10);
  g_unlink (path);
  g_rmdir (sub);
  g_rmdir (dir);
}

/* The wizard's export step, from core's exporters: msmtp's preview runs
 * latchkey-cli for the token and holds no secret. */
static void
test_wizard_export (void)
{
  g_autoptr(LkAccountStore) store = lk_account_store_new (g_get_tmp_dir ());
  g_autoptr(LkTokenManager) tokens = lk_token_manager_new (NULL, NULL);
  g_autoptr(LkAccount) account = NULL;
  LkSetupWizard *wizard;
  LkExportPage *page;
  const char *msmtp;

  account = lk_account_new ("dave@outlook.com", lk_provider_registry_lookup (registry, "outlook"));
  wizard = lk_setup_wizard_new (NULL, registry, store, tokens);
  lk_setup_wizard_start_at (wizard, account, "export");
  gtk_window_present (GTK_WINDOW (wizard));
  lk_ui_test_iterate (50);
  g_assert_cmpstr (lk_setup_wizard_get_step (wizard), ==, "export");
  page = LK_EXPORT_PAGE (lk_setup_wizard_get_page (wizard, "export"));
  msmtp = lk_export_page_get_text (page, "msmtp");
  g_assert_nonnull (msmtp);
  g_assert_nonnull (strstr (msmtp, "dave@outlook.com"));
  g_assert_nonnull (strstr (msmtp, "token"));
  /* The first client is open, so its Save… is one Alt+S away; the others
   * stay closed. */
  g_assert_true (adw_expander_row_get_expanded (ADW_EXPANDER_ROW (
    lk_export_page_get_row (page, "msmtp"))));
  g_assert_false (adw_expander_row_get_expanded (ADW_EXPANDER_ROW (
    lk_export_page_get_row (page, "mbsync"))));

  gtk_widget_activate_action (GTK_WIDGET (wizard), "wizard.next", NULL);
  g_assert_cmpstr (lk_setup_wizard_get_step (wizard), ==, "done");
  lk_ui_test_screenshot (GTK_WIDGET (wizard), "5-done");
  gtk_window_destroy (GTK_WINDOW (wizard));
  lk_ui_test_iterate (10);
}

int
main (int    argc,
      char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  /* Animations make "is it shown yet" depend on the machine's load. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  registry = lk_provider_registry_new ();
  lk_provider_registry_load (registry);

  g_test_add_func ("/ui/address/validation", test_address_validation);
  g_test_add_func ("/ui/address/import", test_address_import);
  g_test_add_func ("/ui/address/discovery", test_address_discovery);
  g_test_add_func ("/ui/sign-in/states", test_sign_in_states);
  g_test_add_func ("/ui/test/rows", test_test_rows);
  g_test_add_func ("/ui/export/preview", test_export_preview);
  g_test_add_func ("/ui/wizard/export", test_wizard_export);
  return g_test_run ();
}
