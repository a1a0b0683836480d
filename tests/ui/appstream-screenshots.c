/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Takes the AppStream screenshots (data/screenshots/, named by the
 * metainfo's <screenshots>): the real widgets, filled the way a person at
 * Contoso would see them, in a clean HOME with its own keyring. Run it
 * through build-aux/appstream-screenshots.sh, never by hand: that script
 * gives it the HOME, the keyring and the X server, and copies the pictures.
 * The failures shown are core's own diagnoses of the servers' real replies
 * (src/core/diagnose/), so the pictures show what Latchkey says. */
#include "config.h"

#include <adwaita.h>

#include "diagnose/lk-diagnose.h"
#include "lk-account-page.h"
#include "lk-account-row.h"
#include "lk-address-page.h"
#include "lk-application.h"
#include "lk-error.h"
#include "lk-setup-wizard.h"
#include "lk-sign-in-page.h"
#include "lk-test-page.h"
#include "lk-token-set.h"
#include "lk-ui-test-utils.h"
#include "lk-window.h"
#include "providers/lk-provider-registry.h"
#include "store/lk-account-store.h"
#include "store/lk-token-store.h"

#define WORKING "alex@contoso.com"
#define FAILING "sam@contoso.com"

/* What Contoso's IT hands out (doc/it-admins.md): Microsoft 365 with the
 * organisation's tenant and app. */
static const char org_profile[] =
  "{ \"id\": \"contoso\", \"name\": \"Contoso Mail\", \"kind\": \"microsoft\","
  "  \"authorization_endpoint\": \"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize\","
  "  \"token_endpoint\": \"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token\","
  "  \"tenant\": \"contoso.onmicrosoft.com\", \"client_id\": \"4b1e7c2a-9d3f-4e6b-8a5c-2f7d9e1b3c6a\","
  "  \"redirect_host\": \"localhost\","
  "  \"scopes\": { \"imap\": [\"https://outlook.office.com/IMAP.AccessAsUser.All\"],"
  "              \"smtp\": [\"https://outlook.office.com/SMTP.Send\"], \"extra\": [\"offline_access\"] },"
  "  \"servers\": { \"imap\": { \"host\": \"outlook.office365.com\", \"port\": 993, \"security\": \"tls\" },"
  "               \"smtp\": { \"host\": \"smtp.office365.com\", \"port\": 587, \"security\": \"starttls\" } },"
  "  \"domains\": [\"contoso.com\"] }";

/* Exchange Online's reply to AUTH XOAUTH2 when the mailbox has SMTP AUTH
 * off (https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission). */
static const char smtp_disabled_reply[] =
  "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
  "Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.";

static LkApplication *app;
static LkProvider *contoso;

static LkDiagnosis *
smtp_diagnosis (LkAccount *account)
{
  g_autoptr(GError) error = g_error_new_literal (LK_ERROR, LK_ERROR_AUTH_REJECTED,
                                                 "The SMTP server refused the sign-in.");
  LkDiagnoseInput input = { 0 };
  LkDiagnosis *d;

  input.error = error;
  input.phase = LK_DIAGNOSE_PHASE_PROBE;
  input.protocol = LK_PROTOCOL_SMTP;
  input.account = account;
  input.server_reply = smtp_disabled_reply;
  input.host = "smtp.office365.com";
  input.now = g_get_real_time () / G_USEC_PER_SEC;
  d = lk_diagnose (&input);
  /* The picture is of this diagnosis; anything else is a mistake here. */
  g_assert_cmpstr (d->id, ==, "smtp-auth-disabled-mailbox");
  return d;
}

static LkAccount *
contoso_account (const char *email)
{
  LkAccount *account = lk_account_new (email, contoso);

  account->protocols = LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP;
  return account;
}

static void
shoot_address (LkProviderRegistry *registry)
{
  g_autoptr(LkAccountStore) store = lk_account_store_new (g_get_tmp_dir ());
  g_autoptr(LkTokenManager) tokens = lk_token_manager_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  LkSetupWizard *wizard;
  LkAddressPage *page;

  wizard = lk_setup_wizard_new (NULL, registry, store, tokens);
  gtk_window_set_default_size (GTK_WINDOW (wizard), 360, 640);
  gtk_window_present (GTK_WINDOW (wizard));
  lk_ui_test_iterate (50);
  page = LK_ADDRESS_PAGE (lk_setup_wizard_get_page (wizard, "address"));
  g_assert_true (lk_address_page_import_profile (page, org_profile, -1, "contoso.json", &error));
  g_assert_no_error (error);
  lk_address_page_set_email (page, WORKING);
  lk_ui_test_iterate (20);
  g_assert_cmpstr (lk_address_page_get_provider (page)->id, ==, "contoso");
  lk_ui_test_screenshot (GTK_WIDGET (wizard), "address");
  gtk_window_destroy (GTK_WINDOW (wizard));
  lk_ui_test_iterate (10);
}

static void
shoot_sign_in (void)
{
  GtkWidget *page = lk_sign_in_page_new ();
  GtkWidget *window;

  lk_sign_in_page_set_provider_name (LK_SIGN_IN_PAGE (page), "Contoso Mail", TRUE);
  window = lk_ui_test_show (page);
  lk_ui_test_screenshot (window, "sign-in");
  gtk_window_destroy (GTK_WINDOW (window));
  lk_ui_test_iterate (10);
}

static void
shoot_test (void)
{
  g_autoptr(LkAccount) account = contoso_account (FAILING);
  g_autoptr(LkDiagnosis) d = smtp_diagnosis (account);
  GtkWidget *page = lk_test_page_new ();
  LkTestFailure failure = { 0 };
  GtkWidget *window;

  gtk_widget_set_size_request (page, 420, -1);
  window = lk_ui_test_show (page);
  lk_test_page_set_protocols (LK_TEST_PAGE (page), LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP);
  lk_test_page_set_ok (LK_TEST_PAGE (page), LK_PROTOCOL_IMAP, "XOAUTH2 over TLS 1.3");
  failure.diagnosis = d;
  failure.transcript = "S: 220 smtp.office365.com Microsoft ESMTP MAIL Service ready\n"
                       "C: EHLO localhost\n"
                       "S: 250-AUTH LOGIN XOAUTH2\n"
                       "C: AUTH XOAUTH2 [hidden]\n"
                       "S: 535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication "
                       "is disabled for the Mailbox.";
  lk_test_page_set_failed (LK_TEST_PAGE (page), LK_PROTOCOL_SMTP, &failure);
  adw_expander_row_set_expanded (lk_test_page_get_row (LK_TEST_PAGE (page), LK_PROTOCOL_SMTP),
                                 TRUE);
  lk_ui_test_wait (300);
  lk_ui_test_screenshot (window, "test");
  gtk_window_destroy (GTK_WINDOW (window));
  lk_ui_test_iterate (10);
}

static void
shoot_export (LkProviderRegistry *registry)
{
  g_autoptr(LkAccountStore) store = lk_account_store_new (g_get_tmp_dir ());
  g_autoptr(LkTokenManager) tokens = lk_token_manager_new (NULL, NULL);
  g_autoptr(LkAccount) account = contoso_account (WORKING);
  LkSetupWizard *wizard;

  wizard = lk_setup_wizard_new (NULL, registry, store, tokens);
  gtk_window_set_default_size (GTK_WINDOW (wizard), 360, 640);
  lk_setup_wizard_start_task (wizard, account, LK_SETUP_WIZARD_SET_UP);
  gtk_window_present (GTK_WINDOW (wizard));
  lk_ui_test_iterate (50);
  g_assert_cmpstr (lk_setup_wizard_get_step (wizard), ==, "export");
  lk_ui_test_screenshot (GTK_WIDGET (wizard), "export");
  gtk_window_destroy (GTK_WINDOW (wizard));
  lk_ui_test_iterate (10);
}

static void
store_tokens (const char *email,
              const char *name,
              gint64      now)
{
  g_autoptr(LkTokenSet) tokens = lk_token_set_new ();
  g_autoptr(GError) error = NULL;

  /* Placeholders the keyring holds for the page to describe; the page
   * never shows them. */
  tokens->access_token = g_strdup ("screenshot-access");
  tokens->refresh_token = g_strdup ("screenshot-refresh");
  tokens->expires_at = now + 3000;
  tokens->scope = g_strdup ("https://outlook.office.com/IMAP.AccessAsUser.All "
                            "https://outlook.office.com/SMTP.Send offline_access");
  tokens->id_name = g_strdup (name);
  tokens->id_username = g_strdup (email);
  tokens->signed_in_at = now - 9 * 86400;
  tokens->refresh_token_at = now - 9 * 86400;
  g_assert_true (lk_token_store_store_sync (lk_token_store_get_default (), email, tokens, NULL,
                                            &error));
  g_assert_no_error (error);
}

static LkAccountPage *
open_page (LkWindow   *window,
           const char *email)
{
  GtkWidget *row = lk_ui_test_find (GTK_WIDGET (window), LK_TYPE_ACCOUNT_ROW, NULL);
  LkAccountPage *page;

  for (; row != NULL; row = gtk_widget_get_next_sibling (row))
    if (LK_IS_ACCOUNT_ROW (row) &&
        g_str_equal (lk_account_row_get_account (LK_ACCOUNT_ROW (row))->email, email))
      break;
  g_assert_nonnull (row);
  g_signal_emit_by_name (row, "activate");
  page = LK_ACCOUNT_PAGE (lk_ui_test_find (GTK_WIDGET (window), LK_TYPE_ACCOUNT_PAGE, NULL));
  g_assert_nonnull (page);
  while (lk_account_page_get_reading_keyring (page))
    g_main_context_iteration (NULL, TRUE);
  lk_ui_test_iterate (20);
  g_assert_cmpstr (lk_account_page_get_account (page)->email, ==, email);
  return page;
}

static void
shoot_account_pages (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "latchkey", "accounts", NULL);
  g_autofree char *msmtprc = g_build_filename (g_get_home_dir (), ".msmtprc", NULL);
  g_autoptr(LkAccountStore) store = lk_account_store_new (dir);
  g_autoptr(LkAccount) working = contoso_account (WORKING);
  g_autoptr(LkAccount) failing = contoso_account (FAILING);
  g_autoptr(LkDiagnosis) d = smtp_diagnosis (failing);
  g_autoptr(JsonNode) details = lk_diagnosis_to_json (d);
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  LkAccountPage *page;
  LkWindow *window;

  working->state = LK_ACCOUNT_STATE_WORKING;
  working->last_tested = now - 600;
  lk_account_set_test (working, LK_PROTOCOL_IMAP, now - 600, TRUE,
                       "XOAUTH2 over TLS 1.3 to outlook.office365.com", NULL);
  lk_account_set_test (working, LK_PROTOCOL_SMTP, now - 600, TRUE,
                       "XOAUTH2 after STARTTLS (TLS 1.3) to smtp.office365.com", NULL);
  lk_account_add_export (working, "msmtp", msmtprc, now - 9 * 86400);

  failing->state = LK_ACCOUNT_STATE_FAILING;
  failing->last_tested = now - 300;
  lk_account_set_test (failing, LK_PROTOCOL_IMAP, now - 300, TRUE,
                       "XOAUTH2 over TLS 1.3 to outlook.office365.com", NULL);
  lk_account_set_test (failing, LK_PROTOCOL_SMTP, now - 300, FALSE, d->title, d->id);
  lk_account_set_test_details (failing, LK_PROTOCOL_SMTP, details);

  g_assert_true (lk_account_store_save (store, working, &error));
  g_assert_true (lk_account_store_save (store, failing, &error));
  g_assert_no_error (error);
  store_tokens (WORKING, "Alex Wilber", now);
  store_tokens (FAILING, "Sam Rivera", now);

  window = lk_window_new (app);
  lk_window_set_account_store (window, store);
  gtk_window_set_default_size (GTK_WINDOW (window), 420, 900);
  gtk_window_present (GTK_WINDOW (window));
  while (!lk_window_get_loaded (window))
    g_main_context_iteration (NULL, TRUE);
  lk_ui_test_iterate (20);
  lk_ui_test_screenshot (GTK_WIDGET (window), "accounts");

  open_page (window, WORKING);
  lk_ui_test_screenshot (GTK_WIDGET (window), "account");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-accounts", NULL);
  lk_ui_test_iterate (20);

  page = open_page (window, FAILING);
  /* What fails and how to fix it is what this picture is for. */
  adw_expander_row_set_expanded (lk_account_page_get_protocol_row (page, LK_PROTOCOL_SMTP), TRUE);
  lk_ui_test_screenshot (GTK_WIDGET (window), "account-failing");
  gtk_window_destroy (GTK_WINDOW (window));
  lk_ui_test_iterate (10);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(LkProviderRegistry) registry = lk_provider_registry_new ();
  g_autoptr(GError) error = NULL;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  g_assert_nonnull (g_getenv ("LK_BUILD_ROOT"));
  app = lk_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  lk_provider_registry_load (registry);
  contoso = lk_provider_new_from_data (org_profile, -1, "contoso.json", &error);
  g_assert_no_error (error);

  shoot_address (registry);
  shoot_sign_in ();
  shoot_test ();
  shoot_export (registry);
  shoot_account_pages ();

  lk_provider_unref (contoso);
  g_object_unref (app);
  return 0;
}
