/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The wizard in German, as a German-speaking person sees it: the built-in
 * profiles' names are translated ("Other OAuth2 provider" was not), the
 * provider list shows whole names, and German's long words are drawn at
 * 360 px without a hyphen that is not in them.
 *
 * The catalogue comes from the build tree (po/de/LC_MESSAGES/latchkey.mo);
 * glibc honours LANGUAGE under C.UTF-8, so no German locale is needed
 * (tests/cli/test-cli-i18n.py does the same for the command line). */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "lk-account-page.h"
#include "lk-address-page.h"
#include "lk-setup-wizard.h"
#include "lk-ui-test-utils.h"
#include "store/lk-account-store.h"

static LkProviderRegistry *registry;

/* The labels of the provider list, once it is open. */
static GPtrArray *
list_labels (GtkWidget *popover)
{
  GPtrArray *labels = g_ptr_array_new ();
  GPtrArray *todo = g_ptr_array_new ();

  g_ptr_array_add (todo, popover);
  while (todo->len > 0)
    {
      GtkWidget *widget = g_ptr_array_steal_index (todo, todo->len - 1);

      if (GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget))
        g_ptr_array_add (labels, widget);
      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        g_ptr_array_add (todo, child);
    }
  g_ptr_array_unref (todo);
  return labels;
}

static void
test_address_page (void)
{
  g_autoptr(LkAccountStore) store = lk_account_store_new (g_get_tmp_dir ());
  g_autoptr(LkTokenManager) tokens = lk_token_manager_new (NULL, NULL);
  g_autoptr(GPtrArray) labels = NULL;
  LkSetupWizard *wizard;
  LkAddressPage *page;
  GtkWidget *combo, *popover;
  GtkLabel *hyphenated;
  gboolean other = FALSE, outlook = FALSE;

  wizard = lk_setup_wizard_new (NULL, registry, store, tokens);
  gtk_window_set_default_size (GTK_WINDOW (wizard), 360, 640);
  gtk_window_present (GTK_WINDOW (wizard));
  lk_ui_test_iterate (50);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (wizard)), ==, "Konto hinzufügen");
  page = LK_ADDRESS_PAGE (lk_setup_wizard_get_page (wizard, "address"));

  /* A domain Latchkey does not know: the problem, in German, and the list. */
  lk_address_page_set_email (page, "alexandra.schneider-vonderheide@beispiel-handelsgesellschaft.test");
  lk_ui_test_wait (200);
  hyphenated = lk_ui_test_find_inserted_hyphen (GTK_WIDGET (wizard));
  if (hyphenated != NULL)
    g_error ("Pango inserted a hyphen into “%s”", gtk_label_get_text (hyphenated));
  lk_ui_test_screenshot (GTK_WIDGET (wizard), "1-address-de");

  combo = lk_ui_test_find (GTK_WIDGET (page), ADW_TYPE_COMBO_ROW, NULL);
  g_assert_true (gtk_widget_get_mapped (combo));
  g_signal_emit_by_name (combo, "activate");
  lk_ui_test_wait (300);
  popover = lk_ui_test_find (combo, GTK_TYPE_POPOVER, NULL);
  g_assert_nonnull (popover);
  g_assert_true (gtk_widget_get_mapped (popover));
  labels = list_labels (popover);
  g_assert_cmpuint (labels->len, >=, 8);
  for (guint i = 0; i < labels->len; i++)
    {
      GtkLabel *label = g_ptr_array_index (labels, i);
      const char *text = gtk_label_get_text (label);

      /* Whole names: nothing cut short with "…". */
      g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (label)));
      g_assert_false (lk_ui_test_has_inserted_hyphen (label));
      g_assert_cmpstr (text, !=, "Other OAuth2 provider");
      if (g_str_equal (text, "Anderer OAuth2-Anbieter"))
        other = TRUE;
      if (g_str_equal (text, "Outlook.com (persönliches Microsoft-Konto)"))
        outlook = TRUE;
    }
  g_assert_true (other);
  g_assert_true (outlook);
  gtk_popover_popdown (GTK_POPOVER (popover));

  gtk_window_destroy (GTK_WINDOW (wizard));
  lk_ui_test_iterate (10);
}

/* The account page in German, at 360 px: its sentences, titles and the
 * times ("vor 5 Minuten") are German, and nothing is hyphenated that is
 * not. */
static void
test_account_page (void)
{
  g_autoptr(LkAccount) account = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GtkWidget *page = lk_account_page_new ();
  GtkWidget *window;
  GtkLabel *hyphenated;

  account = lk_account_new ("alexandra.schneider-vonderheide@outlook.com",
                            lk_provider_registry_lookup (registry, "outlook"));
  account->protocols = LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP;
  account->state = LK_ACCOUNT_STATE_FAILING;
  account->last_tested = now - 300;
  lk_account_set_test (account, LK_PROTOCOL_IMAP, now - 300, TRUE,
                       "XOAUTH2 über TLS 1.3 zu outlook.office365.com", NULL);
  lk_account_set_test (account, LK_PROTOCOL_SMTP, now - 300, FALSE,
                       "SMTP-Anmeldung ist für dieses Postfach ausgeschaltet", NULL);
  lk_account_add_export (account, "msmtp", "/home/alexandra/.msmtprc", now - 2 * 86400);
  lk_account_page_set_account (LK_ACCOUNT_PAGE (page), account);
  window = lk_ui_test_show (page);
  while (lk_account_page_get_reading_keyring (LK_ACCOUNT_PAGE (page)))
    g_main_context_iteration (NULL, TRUE);
  lk_ui_test_wait (200);

  g_assert_cmpstr (lk_account_page_get_status (LK_ACCOUNT_PAGE (page)), ==,
                   "Etwas funktioniert nicht");
  g_assert_cmpstr (adw_expander_row_get_subtitle (lk_account_page_get_protocol_row (
                     LK_ACCOUNT_PAGE (page), LK_PROTOCOL_SMTP)), ==,
                   "smtp-mail.outlook.com:587, STARTTLS\n"
                   "Fehlgeschlagen vor 5 Minuten: SMTP-Anmeldung ist für dieses Postfach "
                   "ausgeschaltet");
  hyphenated = lk_ui_test_find_inserted_hyphen (window);
  if (hyphenated != NULL)
    g_error ("Pango inserted a hyphen into “%s”", gtk_label_get_text (hyphenated));
  /* German's longer words still fit the narrowest window. */
  g_assert_cmpint (gtk_widget_get_width (page), <=, 360);
  lk_ui_test_screenshot (window, "6-account-de");
  gtk_window_destroy (GTK_WINDOW (window));
  lk_ui_test_iterate (10);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *localedir = g_build_filename (g_getenv ("LK_BUILD_ROOT"), "po", NULL);

  gtk_test_init (&argc, &argv, NULL);
  /* gtk_test_init() sets an English locale; German from here on. */
  g_setenv ("LANGUAGE", "de", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  registry = lk_provider_registry_new ();
  lk_provider_registry_load (registry);

  g_test_add_func ("/ui/german/address-page", test_address_page);
  g_test_add_func ("/ui/german/account-page", test_account_page);
  return g_test_run ();
}
