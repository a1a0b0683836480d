/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "check/lk-account-check.h"
#include "diagnose/lk-diagnose.h"
#include "export/lk-exporter.h"
#include "lk-address-page.h"
#include "lk-error.h"
#include "lk-export-page.h"
#include "lk-setup-wizard.h"
#include "lk-sign-in-page.h"
#include "lk-test-page.h"
#include "lk-ui-init.h"
#include "lk-ui-util.h"
#include "oauth/lk-browser-sign-in.h"
#include "oauth/lk-oauth-client.h"

/**
 * LkSetupWizard:
 *
 * The setup assistant: address → sign in → test → export → done, one page
 * widget each in a GtkStack. The wizard runs core (the grants, the keyring,
 * the probes, the exporters) and shows progress on the pages. Closing it or
 * pressing Cancel cancels what runs; an account is saved only once sign-in
 * succeeded, keyring item first.
 */
struct _LkSetupWizard
{
  AdwWindow           parent_instance;

  /* Template children */
  AdwWindowTitle     *title_widget;
  GtkButton          *cancel_button;
  GtkButton          *next_button;
  GtkStack           *stack;
  LkAddressPage      *address_page;
  LkSignInPage       *sign_in_page;
  LkTestPage         *test_page;
  LkExportPage       *export_page;
  AdwStatusPage      *done_page;

  LkProviderRegistry *registry;
  LkAccountStore     *store;
  LkTokenManager     *tokens;

  LkAccount          *account;      /* being made; saved once signed in */
  gboolean            replace;      /* signing an existing account in again */
  gboolean            signing_in;
  LkAccountCheck     *check;        /* while the test runs */

  GCancellable       *cancellable;       /* everything: cancelled in dispose */
  GCancellable       *step_cancellable;  /* the sign-in or test running now */
  LkBrowserSignIn    *browser_sign_in;
  LkOAuthClient      *device_client;
  LkDeviceAuthorization *device_authorization;
};

G_DEFINE_FINAL_TYPE (LkSetupWizard, lk_setup_wizard, ADW_TYPE_WINDOW)

enum {
  SIGNAL_ACCOUNT_ADDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void lk_setup_wizard_run_tests (LkSetupWizard *self);

/**
 * lk_setup_wizard_new:
 * @parent: the accounts window; the wizard is modal over it
 * @tokens: saves the sign-in (keyring item, then account file)
 */
LkSetupWizard *
lk_setup_wizard_new (GtkWindow          *parent,
                     LkProviderRegistry *registry,
                     LkAccountStore     *store,
                     LkTokenManager     *tokens)
{
  /* With the application set, its shortcuts (Ctrl+Q) work here too and
   * quitting closes this window. */
  GtkApplication *application = parent != NULL ? gtk_window_get_application (parent) : NULL;
  LkSetupWizard *self = g_object_new (LK_TYPE_SETUP_WIZARD, "transient-for", parent,
                                      "application", application, NULL);

  self->registry = g_object_ref (registry);
  self->store = g_object_ref (store);
  self->tokens = g_object_ref (tokens);
  lk_address_page_set_registry (self->address_page, registry);
  lk_address_page_set_account_store (self->address_page, store);
  /* The address is what to type first, not Cancel. */
  gtk_widget_grab_focus (GTK_WIDGET (self->address_page));
  return self;
}

/**
 * lk_setup_wizard_set_discovery:
 * @discovery: (nullable): for addresses whose domain no profile names;
 *   %NULL (the default) switches autodiscovery off
 */
void
lk_setup_wizard_set_discovery (LkSetupWizard *self,
                               LkDiscovery   *discovery)
{
  g_return_if_fail (LK_IS_SETUP_WIZARD (self));
  lk_address_page_set_discovery (self->address_page, discovery);
}

static GCancellable *
restart_step (LkSetupWizard *self)
{
  g_cancellable_cancel (self->step_cancellable);
  g_clear_object (&self->step_cancellable);
  self->step_cancellable = g_cancellable_new ();
  g_signal_connect_object (self->cancellable, "cancelled",
                           G_CALLBACK (g_cancellable_cancel), self->step_cancellable,
                           G_CONNECT_SWAPPED);
  return self->step_cancellable;
}

/* The header bar follows the page: what Next does, and whether it can. */
static void
lk_setup_wizard_update (LkSetupWizard *self)
{
  const char *step = gtk_stack_get_visible_child_name (self->stack);
  const char *next_label = _("_Next");
  gboolean can_next = FALSE;

  if (g_str_equal (step, "address"))
    can_next = lk_address_page_get_can_continue (self->address_page);
  else if (g_str_equal (step, "sign-in"))
    {
      next_label = _("_Sign In");
      can_next = g_strcmp0 (lk_sign_in_page_get_state (self->sign_in_page), "intro") == 0;
    }
  else if (g_str_equal (step, "test"))
    can_next = self->check == NULL && lk_test_page_get_all_ok (self->test_page);
  else if (g_str_equal (step, "export"))
    {
      next_label = _("_Finish");
      can_next = TRUE;
    }
  else if (g_str_equal (step, "done"))
    {
      next_label = _("_Close");
      can_next = TRUE;
    }

  gtk_button_set_label (self->next_button, next_label);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wizard.next", can_next);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), !g_str_equal (step, "done"));
}

static void
show_step (LkSetupWizard *self,
           const char    *step)
{
  gtk_stack_set_visible_child_name (self->stack, step);
  lk_setup_wizard_update (self);
  if (g_str_equal (step, "address"))
    gtk_widget_grab_focus (GTK_WIDGET (self->address_page));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->next_button));
}

const char *
lk_setup_wizard_get_step (LkSetupWizard *self)
{
  g_return_val_if_fail (LK_IS_SETUP_WIZARD (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

GtkWidget *
lk_setup_wizard_get_page (LkSetupWizard *self,
                          const char    *step)
{
  g_return_val_if_fail (LK_IS_SETUP_WIZARD (self), NULL);
  return gtk_stack_get_child_by_name (self->stack, step);
}

/**
 * lk_setup_wizard_import_profile:
 *
 * Starts with an organisation profile imported on the address page, as if
 * chosen there, and the address to type next.
 */
gboolean
lk_setup_wizard_import_profile (LkSetupWizard *self,
                                const char    *data,
                                gsize          length,
                                const char    *origin,
                                GError       **error)
{
  g_return_val_if_fail (LK_IS_SETUP_WIZARD (self), FALSE);

  if (!lk_address_page_import_profile (self->address_page, data, length, origin, error))
    return FALSE;
  show_step (self, "address");
  return TRUE;
}

static void
set_account (LkSetupWizard *self,
             LkAccount     *account)
{
  g_autofree char *subtitle = NULL;

  if (account != self->account)
    {
      g_clear_pointer (&self->account, lk_account_unref);
      self->account = account != NULL ? lk_account_ref (account) : NULL;
    }
  adw_window_title_set_subtitle (self->title_widget, account != NULL ? account->email : NULL);
  if (account != NULL)
    lk_sign_in_page_set_provider_name (self->sign_in_page, account->provider->name,
                                       account->provider->device_flow &&
                                       account->provider->device_authorization_endpoint != NULL);
}

/* Sign-in ---------------------------------------------------------------- */

static void
show_sign_in_error (LkSetupWizard *self,
                    const GError  *error)
{
  LkDiagnoseInput input = { 0 };
  g_autoptr(LkDiagnosis) diagnosis = NULL;
  g_autofree char *scope = NULL;

  self->signing_in = FALSE;
  if (lk_error_is_cancelled (error))
    {
      lk_sign_in_page_show_intro (self->sign_in_page);
      lk_setup_wizard_update (self);
      return;
    }

  scope = lk_provider_dup_scope_string (self->account->provider, self->account->protocols);
  input.error = error;
  input.phase = LK_DIAGNOSE_PHASE_SIGN_IN;
  input.account = self->account;
  input.scope = scope;
  if (self->browser_sign_in != NULL)
    input.redirect_uri = lk_browser_sign_in_get_redirect_uri (self->browser_sign_in);
  diagnosis = lk_diagnose (&input);
  lk_sign_in_page_show_diagnosis (self->sign_in_page, diagnosis);
  lk_setup_wizard_update (self);
}

static void
stored_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(LkSetupWizard) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!lk_token_manager_store_initial_finish (LK_TOKEN_MANAGER (source), result, &error))
    {
      if (!lk_error_is_cancelled (error))
        show_sign_in_error (self, error);
      return;
    }

  self->signing_in = FALSE;
  g_signal_emit (self, signals[SIGNAL_ACCOUNT_ADDED], 0, self->account);
  lk_test_page_set_protocols (self->test_page, self->account->protocols);
  show_step (self, "test");
  lk_setup_wizard_run_tests (self);
}

/* Tokens in hand: keyring item, then account file, then the tests. */
static void
signed_in (LkSetupWizard *self,
           LkTokenSet    *signed_in_tokens)
{
  /* The keyring keeps them from here on; the test asks the token manager. */
  g_autoptr(LkTokenSet) tokens = signed_in_tokens;

  if (self->account->display_name == NULL && tokens->id_name != NULL)
    self->account->display_name = g_strdup (tokens->id_name);
  lk_token_manager_store_initial_async (self->tokens, self->account, tokens, self->replace,
                                        self->cancellable, stored_cb, g_object_ref (self));
}

static void
browser_sign_in_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(LkSetupWizard) self = user_data;
  g_autoptr(GError) error = NULL;
  LkTokenSet *tokens;

  tokens = lk_browser_sign_in_run_finish (LK_BROWSER_SIGN_IN (source), result, &error);
  if (tokens == NULL)
    {
      if (!lk_error_is_cancelled (error))
        show_sign_in_error (self, error);
      return;
    }
  gtk_window_present (GTK_WINDOW (self));
  self->account->flow = LK_FLOW_BROWSER;
  signed_in (self, tokens);
}

static void
start_browser_sign_in (LkSetupWizard *self)
{
  g_autoptr(GError) error = NULL;
  const char *url;

  g_clear_object (&self->browser_sign_in);
  self->browser_sign_in = lk_browser_sign_in_new_for_account (self->account, &error);
  if (self->browser_sign_in == NULL || !lk_browser_sign_in_prepare (self->browser_sign_in, &error))
    {
      show_sign_in_error (self, error);
      return;
    }
  url = lk_browser_sign_in_get_authorization_url (self->browser_sign_in);
  lk_sign_in_page_show_waiting (self->sign_in_page, url);
  lk_browser_sign_in_run_async (self->browser_sign_in, restart_step (self), browser_sign_in_cb,
                                g_object_ref (self));

  lk_ui_open_uri (GTK_WIDGET (self), url, self->step_cancellable);
}

static void
device_poll_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(LkSetupWizard) self = user_data;
  g_autoptr(GError) error = NULL;
  LkTokenSet *tokens;

  tokens = lk_oauth_client_device_poll_finish (LK_OAUTH_CLIENT (source), result, &error);
  if (tokens == NULL)
    {
      if (!lk_error_is_cancelled (error))
        show_sign_in_error (self, error);
      return;
    }
  self->account->flow = LK_FLOW_DEVICE;
  signed_in (self, tokens);
}

static void
device_start_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(LkSetupWizard) self = user_data;
  g_autoptr(GError) error = NULL;
  LkDeviceAuthorization *authorization;

  authorization = lk_oauth_client_device_start_finish (LK_OAUTH_CLIENT (source), result, &error);
  if (authorization == NULL)
    {
      if (!lk_error_is_cancelled (error))
        show_sign_in_error (self, error);
      return;
    }
  g_clear_pointer (&self->device_authorization, lk_device_authorization_free);
  self->device_authorization = authorization;
  lk_sign_in_page_show_device (self->sign_in_page, authorization->user_code,
                               authorization->verification_uri);
  lk_oauth_client_device_poll_async (self->device_client, authorization, self->step_cancellable,
                                     device_poll_cb, g_object_ref (self));
}

static void
start_device_sign_in (LkSetupWizard *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *scope = NULL;

  g_clear_object (&self->device_client);
  self->device_client = lk_oauth_client_new_for_account (self->account, &error);
  if (self->device_client == NULL)
    {
      show_sign_in_error (self, error);
      return;
    }
  scope = lk_provider_dup_scope_string (self->account->provider, self->account->protocols);
  lk_sign_in_page_show_waiting (self->sign_in_page, NULL);
  lk_oauth_client_device_start_async (self->device_client, scope, restart_step (self),
                                      device_start_cb, g_object_ref (self));
}

static void
lk_setup_wizard_sign_in_start_cb (LkSetupWizard *self,
                                  gboolean       use_device)
{
  if (self->account == NULL || self->signing_in)
    return;
  self->signing_in = TRUE;
  if (use_device)
    start_device_sign_in (self);
  else
    start_browser_sign_in (self);
  lk_setup_wizard_update (self);
}

/* Cancel on the page: the listener closes or the poll stops; nothing saved. */
static void
lk_setup_wizard_sign_in_cancel_cb (LkSetupWizard *self)
{
  g_cancellable_cancel (self->step_cancellable);
  g_clear_object (&self->browser_sign_in);
  self->signing_in = FALSE;
  lk_setup_wizard_update (self);
}

/* Test ------------------------------------------------------------------- */

static char *
describe_tls (const LkProbeResult *result)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "%s:%u (%s)\n", result->host, result->port,
                          lk_security_to_string (result->security));
  if (result->tls_version != NULL)
    g_string_append_printf (text, "%s %s\n", result->tls_version,
                            result->tls_cipher != NULL ? result->tls_cipher : "");
  if (result->cert_subject != NULL)
    /* Translators: the certificate's subject */
    g_string_append_printf (text, _("Certificate: %s\n"), result->cert_subject);
  if (result->cert_issuer != NULL)
    g_string_append_printf (text, _("Issued by: %s\n"), result->cert_issuer);
  if (result->cert_not_after != NULL)
    {
      g_autofree char *date = g_date_time_format (result->cert_not_after, "%Y-%m-%d");

      g_string_append_printf (text, _("Valid until: %s\n"), date);
    }
  if (result->cert_sha256 != NULL)
    g_string_append_printf (text, "SHA-256: %s\n", result->cert_sha256);
  if (text->len > 0 && text->str[text->len - 1] == '\n')
    g_string_truncate (text, text->len - 1);
  return g_string_free (text, FALSE);
}

/* Core's LkAccountCheck tests and records; this shows each protocol as
 * it finishes. */
static void
protocol_checked_cb (LkAccountCheck *check,
                     guint           protocol,
                     LkSetupWizard  *self)
{
  const LkProtocolCheck *result = lk_account_check_get_result (check, protocol);
  g_autofree char *transcript = NULL;
  g_autofree char *tls = NULL;
  LkTestFailure failure = { 0 };

  if (result->ok)
    {
      lk_test_page_set_ok (self->test_page, protocol, result->summary);
      return;
    }
  transcript = lk_probe_result_dup_transcript (result->probe);
  tls = describe_tls (result->probe);
  failure.diagnosis = result->diagnosis;
  failure.transcript = transcript;
  failure.tls_details = tls;
  lk_test_page_set_failed (self->test_page, protocol, &failure);
}

/* No usable key: the test cannot run, signing in again can help. */
static void
show_token_error (LkSetupWizard *self,
                  const GError  *error)
{
  LkDiagnoseInput input = { 0 };
  g_autoptr(LkDiagnosis) diagnosis = NULL;

  input.error = error;
  input.phase = LK_DIAGNOSE_PHASE_REFRESH;
  input.account = self->account;
  diagnosis = lk_diagnose (&input);
  lk_sign_in_page_show_diagnosis (self->sign_in_page, diagnosis);
  if (g_error_matches (error, LK_ERROR, LK_ERROR_NEEDS_SIGN_IN))
    {
      /* The provider refused the saved sign-in: the token manager marked
       * the account "needs sign-in" (the list shows it), and this window
       * becomes Sign In Again. */
      lk_sign_in_page_set_retry_label (self->sign_in_page, _("Sign In _Again"));
      gtk_window_set_title (GTK_WINDOW (self), _("Sign In Again"));
      adw_window_title_set_title (self->title_widget, _("Sign In Again"));
      g_signal_emit (self, signals[SIGNAL_ACCOUNT_ADDED], 0, self->account);
    }
  show_step (self, "sign-in");
}

static void
check_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(LkSetupWizard) self = user_data;
  LkAccountCheck *check = LK_ACCOUNT_CHECK (source);
  g_autoptr(GError) error = NULL;
  gboolean ran = lk_account_check_run_finish (check, result, &error);

  if (self->check == check)
    g_clear_object (&self->check);
  /* The window was closed while the last probe answered. */
  if (self->test_page == NULL)
    return;
  if (!ran)
    {
      if (!lk_error_is_cancelled (error))
        show_token_error (self, error);
      lk_setup_wizard_update (self);
      return;
    }
  if (lk_account_check_get_save_error (check) != NULL)
    lk_ui_toast_error (GTK_WIDGET (self), lk_account_check_get_save_error (check)->message);
  g_signal_emit (self, signals[SIGNAL_ACCOUNT_ADDED], 0, self->account);
  lk_setup_wizard_update (self);
  /* All working: Enter goes on to the export. */
  if (lk_test_page_get_all_ok (self->test_page))
    gtk_widget_grab_focus (GTK_WIDGET (self->next_button));
}

static void
lk_setup_wizard_run_tests (LkSetupWizard *self)
{
  GCancellable *cancellable;

  if (self->account == NULL || self->check != NULL)
    return;

  cancellable = restart_step (self);
  self->check = lk_account_check_new (self->account, self->tokens, self->store);
  g_signal_connect_object (self->check, "protocol-checked", G_CALLBACK (protocol_checked_cb),
                           self, 0);
  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    if ((lk_account_check_get_protocols (self->check) & (1u << p)) != 0)
      lk_test_page_set_running (self->test_page, p);
  lk_account_check_run_async (self->check, cancellable, check_done_cb, g_object_ref (self));
  lk_setup_wizard_update (self);
}

/* Export ----------------------------------------------------------------- */

static char *
token_cli_path (void)
{
  const char *path = g_getenv ("LATCHKEY_CLI");

  return g_strdup (path != NULL && *path != '\0' ? path : BINDIR "/latchkey-cli");
}

static void
fill_export_page (LkSetupWizard *self)
{
  const LkExporter * const *exporters = lk_exporter_get_all ();
  g_autofree char *cli = token_cli_path ();
  g_auto(GStrv) argv = lk_export_detect_token_command (cli, self->account->email);
  LkExportContext context = { 0 };

  context.token_argv = (const char * const *) argv;
  context.version = PACKAGE_VERSION;

  lk_export_page_clear (self->export_page);
  for (guint i = 0; exporters[i] != NULL; i++)
    {
      const LkExporter *exporter = exporters[i];
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;
      g_autofree char *path = NULL;

      if ((exporter->protocols & self->account->protocols) == 0)
        continue;
      text = lk_exporter_generate_text (exporter, self->account, &context, &error);
      if (text == NULL)
        {
          g_debug ("No %s export: %s", exporter->id, error->message);
          continue;
        }
      path = exporter->path != NULL ? lk_export_expand_path (exporter->path) : NULL;
      lk_export_page_add_client (self->export_page, exporter->id, _(exporter->name), text, path,
                                 exporter->next_step != NULL ? _(exporter->next_step) : NULL);
    }
}

/* Actions ---------------------------------------------------------------- */

static void
lk_setup_wizard_next_action (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  LkSetupWizard *self = LK_SETUP_WIZARD (widget);
  const char *step = gtk_stack_get_visible_child_name (self->stack);

  if (g_str_equal (step, "address"))
    {
      g_autoptr(LkAccount) account = lk_address_page_build_account (self->address_page);

      /* NULL: the page shows why, such as an address already added. */
      if (account == NULL)
        return;
      set_account (self, account);
      show_step (self, "sign-in");
    }
  else if (g_str_equal (step, "sign-in"))
    gtk_widget_activate_action (GTK_WIDGET (self->sign_in_page), "sign-in.start", NULL);
  else if (g_str_equal (step, "test"))
    {
      fill_export_page (self);
      show_step (self, "export");
    }
  else if (g_str_equal (step, "export"))
    {
      g_autofree char *text = NULL;

      /* Translators: %s is an e-mail address. */
      text = g_strdup_printf (_("%s is in your accounts. Latchkey keeps its key fresh for your "
                                "mail programs."), self->account->email);
      adw_status_page_set_description (self->done_page, text);
      show_step (self, "done");
    }
  else
    gtk_window_close (GTK_WINDOW (self));
}

static void
lk_setup_wizard_skip_test_action (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *parameter)
{
  LkSetupWizard *self = LK_SETUP_WIZARD (widget);

  g_cancellable_cancel (self->step_cancellable);
  fill_export_page (self);
  show_step (self, "export");
}

static void
lk_setup_wizard_cancel_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  gtk_window_close (GTK_WINDOW (widget));
}

/**
 * lk_setup_wizard_start_at:
 * @account: an account already in the list
 * @step: "sign-in" (Sign In Again), "test" or "export"
 *
 * Opens the wizard on one step for an existing account, as the accounts
 * window's row actions do.
 */
void
lk_setup_wizard_start_at (LkSetupWizard *self,
                          LkAccount     *account,
                          const char    *step)
{
  g_return_if_fail (LK_IS_SETUP_WIZARD (self));

  set_account (self, account);
  self->replace = TRUE;
  if (g_str_equal (step, "export"))
    {
      fill_export_page (self);
      gtk_window_set_title (GTK_WINDOW (self), _("Export"));
      adw_window_title_set_title (self->title_widget, _("Export"));
    }
  else if (g_str_equal (step, "test"))
    {
      gtk_window_set_title (GTK_WINDOW (self), _("Test"));
      adw_window_title_set_title (self->title_widget, _("Test"));
      lk_test_page_set_protocols (self->test_page, account->protocols);
      lk_setup_wizard_run_tests (self);
    }
  else
    {
      gtk_window_set_title (GTK_WINDOW (self), _("Sign In Again"));
      adw_window_title_set_title (self->title_widget, _("Sign In Again"));
    }
  show_step (self, step);
}

/* Closing (Cancel, Escape, the window manager) stops what runs at once: the
 * callbacks still pending hold references, so dispose may come later, and
 * the loopback listener must not wait for it. */
static gboolean
lk_setup_wizard_close_request (GtkWindow *window)
{
  LkSetupWizard *self = LK_SETUP_WIZARD (window);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->browser_sign_in);
  self->signing_in = FALSE;
  return GTK_WINDOW_CLASS (lk_setup_wizard_parent_class)->close_request (window);
}

static void
lk_setup_wizard_dispose (GObject *object)
{
  LkSetupWizard *self = LK_SETUP_WIZARD (object);

  /* The loopback listener closes, the device poll and the probes stop;
   * a probe that already answered no longer reaches the pages. */
  g_cancellable_cancel (self->cancellable);
  if (self->check != NULL)
    g_signal_handlers_disconnect_by_data (self->check, self);
  g_clear_object (&self->step_cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_SETUP_WIZARD);
  g_clear_object (&self->browser_sign_in);
  g_clear_object (&self->device_client);
  g_clear_pointer (&self->device_authorization, lk_device_authorization_free);
  g_clear_object (&self->check);
  g_clear_pointer (&self->account, lk_account_unref);
  g_clear_object (&self->registry);
  g_clear_object (&self->store);
  g_clear_object (&self->tokens);

  G_OBJECT_CLASS (lk_setup_wizard_parent_class)->dispose (object);
}

static void
lk_setup_wizard_class_init (LkSetupWizardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = lk_setup_wizard_dispose;
  window_class->close_request = lk_setup_wizard_close_request;

  /**
   * LkSetupWizard::account-added:
   * @account: the account, saved
   *
   * An account was saved or its state changed: the list reloads.
   */
  signals[SIGNAL_ACCOUNT_ADDED] =
    g_signal_new ("account-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, LK_TYPE_ACCOUNT);

  g_type_ensure (LK_TYPE_ADDRESS_PAGE);
  g_type_ensure (LK_TYPE_SIGN_IN_PAGE);
  g_type_ensure (LK_TYPE_TEST_PAGE);
  g_type_ensure (LK_TYPE_EXPORT_PAGE);

  lk_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/lk-setup-wizard.ui");
  gtk_widget_class_bind_template_child (widget_class, LkSetupWizard, title_widget);
  gtk_widget_class_bind_template_child (widget_class, LkSetupWizard, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, LkSetupWizard, next_button);
  gtk_widget_class_bind_template_child (widget_class, LkSetupWizard, stack);
  gtk_widget_class_bind_template_child (widget_class, LkSetupWizard, address_page);
  gtk_widget_class_bind_template_child (widget_class, LkSetupWizard, sign_in_page);
  gtk_widget_class_bind_template_child (widget_class, LkSetupWizard, test_page);
  gtk_widget_class_bind_template_child (widget_class, LkSetupWizard, export_page);
  gtk_widget_class_bind_template_child (widget_class, LkSetupWizard, done_page);
  gtk_widget_class_bind_template_callback (widget_class, lk_setup_wizard_update);
  gtk_widget_class_bind_template_callback (widget_class, lk_setup_wizard_sign_in_start_cb);
  gtk_widget_class_bind_template_callback (widget_class, lk_setup_wizard_sign_in_cancel_cb);
  gtk_widget_class_bind_template_callback (widget_class, lk_setup_wizard_run_tests);

  gtk_widget_class_install_action (widget_class, "wizard.next", NULL,
                                   lk_setup_wizard_next_action);
  gtk_widget_class_install_action (widget_class, "wizard.skip-test", NULL,
                                   lk_setup_wizard_skip_test_action);
  gtk_widget_class_install_action (widget_class, "wizard.cancel", NULL,
                                   lk_setup_wizard_cancel_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "wizard.cancel", NULL);
}

static void
lk_setup_wizard_init (LkSetupWizard *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  restart_step (self);
  lk_setup_wizard_update (self);
}
