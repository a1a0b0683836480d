/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "lk-error.h"
#include "lk-setup-wizard-private.h"
#include "lk-ui-init.h"
#include "lk-ui-util.h"

/**
 * LkSetupWizard:
 *
 * The assistant for one task on one account (#LkSetupWizardTask): adding
 * it (address → sign in → test → mail programs → done), signing it in
 * again, testing it, or setting its mail programs up; one page widget each
 * in a GtkStack. The task decides the title, the first page, the buttons
 * and the ending. Back returns to the page before on every page after the
 * first; Cancel (or Escape) stops what runs, and once this wizard has saved
 * a new account, asks whether to keep it. This file is the navigation; the
 * sign-in, test and export flows have a file each
 * (lk-setup-wizard-private.h).
 */

G_DEFINE_FINAL_TYPE (LkSetupWizard, lk_setup_wizard, ADW_TYPE_WINDOW)

enum {
  SIGNAL_ACCOUNT_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/**
 * lk_setup_wizard_new:
 * @parent: the accounts window; the wizard is modal over it
 * @tokens: saves the sign-in (keyring item, then account file)
 *
 * A wizard that adds an account; lk_setup_wizard_start_task() gives it
 * another task.
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

/* A new step's cancellable; the one before is cancelled. */
GCancellable *
lk_setup_wizard_restart_step (LkSetupWizard *self)
{
  g_cancellable_cancel (self->step_cancellable);
  g_clear_object (&self->step_cancellable);
  self->step_cancellable = g_cancellable_new ();
  g_signal_connect_object (self->cancellable, "cancelled",
                           G_CALLBACK (g_cancellable_cancel), self->step_cancellable,
                           G_CONNECT_SWAPPED);
  return self->step_cancellable;
}

/* The account was saved or changed: the accounts window reloads. */
void
lk_setup_wizard_account_changed (LkSetupWizard *self)
{
  g_signal_emit (self, signals[SIGNAL_ACCOUNT_CHANGED], 0, self->account);
}

static const char *
task_title (LkSetupWizardTask task)
{
  switch (task)
    {
    case LK_SETUP_WIZARD_SIGN_IN_AGAIN: return _("Sign In Again");
    case LK_SETUP_WIZARD_TEST: return _("Test Account");
    case LK_SETUP_WIZARD_SET_UP: return _("Set Up Mail Programs");
    case LK_SETUP_WIZARD_ADD:
    default: return _("Add Account");
    }
}

void
lk_setup_wizard_set_task (LkSetupWizard     *self,
                          LkSetupWizardTask  task)
{
  self->task = task;
  gtk_window_set_title (GTK_WINDOW (self), task_title (task));
  adw_window_title_set_title (self->title_widget, task_title (task));
  lk_test_page_set_can_continue (self->test_page, task == LK_SETUP_WIZARD_ADD);
  lk_setup_wizard_update (self);
}

/* Whether Cancel must ask before closing: this wizard saved a new account
 * and its task did not end. */
static gboolean
must_ask_to_keep (LkSetupWizard *self)
{
  return self->task == LK_SETUP_WIZARD_ADD && self->saved && !self->closing &&
         !g_str_equal (gtk_stack_get_visible_child_name (self->stack), "done");
}

/* The header bar follows the task and the page: Back where there is a page
 * before, Cancel where closing abandons something, and the button that goes
 * on (or, at a task's ending, closes). */
void
lk_setup_wizard_update (LkSetupWizard *self)
{
  const char *step = gtk_stack_get_visible_child_name (self->stack);
  gboolean adding = self->task == LK_SETUP_WIZARD_ADD;
  const char *next_label = _("_Next");
  gboolean can_next = FALSE;
  gboolean ending = FALSE;

  if (g_str_equal (step, "address"))
    can_next = lk_address_page_get_can_continue (self->address_page);
  else if (g_str_equal (step, "sign-in"))
    {
      next_label = _("_Sign In");
      /* Not while the keyring is asked, before the browser opens. */
      can_next = !self->signing_in &&
                 g_strcmp0 (lk_sign_in_page_get_state (self->sign_in_page), "intro") == 0;
    }
  else if (g_str_equal (step, "test") && adding)
    can_next = self->check == NULL && lk_test_page_get_all_ok (self->test_page);
  else if (g_str_equal (step, "export") && adding)
    {
      next_label = _("_Finish");
      can_next = TRUE;
    }
  else if (g_str_equal (step, "test") || g_str_equal (step, "export"))
    {
      /* A test, a sign-in again or the mail programs end here. */
      next_label = _("_Done");
      can_next = TRUE;
      ending = self->check == NULL;
    }
  else if (g_str_equal (step, "done"))
    {
      next_label = _("_Close");
      can_next = TRUE;
      ending = TRUE;
    }

  gtk_button_set_label (self->next_button, next_label);
  if (ending || adding || g_str_equal (step, "sign-in"))
    gtk_widget_add_css_class (GTK_WIDGET (self->next_button), "suggested-action");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->next_button), "suggested-action");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wizard.next", can_next);
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), self->history->len > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wizard.back", self->history->len > 0);
  /* Done closes a task that ended; before then Cancel does. */
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button),
                          adding ? !g_str_equal (step, "done") : g_str_equal (step, "sign-in"));
}

static void
set_visible_step (LkSetupWizard *self,
                  const char    *step)
{
  gtk_stack_set_visible_child_name (self->stack, step);
  lk_setup_wizard_update (self);
  if (g_str_equal (step, "address"))
    gtk_widget_grab_focus (GTK_WIDGET (self->address_page));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->next_button));
}

/**
 * lk_setup_wizard_show_step:
 *
 * Goes on to @step; Back returns to the page shown now. Going on to a page
 * visited before goes back to it instead, so that Back never loops.
 */
void
lk_setup_wizard_show_step (LkSetupWizard *self,
                           const char    *step)
{
  const char *current = gtk_stack_get_visible_child_name (self->stack);

  if (!g_str_equal (current, step))
    {
      guint index;

      if (g_ptr_array_find_with_equal_func (self->history, step, g_str_equal, &index))
        g_ptr_array_set_size (self->history, index);
      else
        g_ptr_array_add (self->history, (gpointer) g_intern_string (current));
    }
  set_visible_step (self, step);
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

LkSetupWizardTask
lk_setup_wizard_get_task (LkSetupWizard *self)
{
  g_return_val_if_fail (LK_IS_SETUP_WIZARD (self), LK_SETUP_WIZARD_ADD);
  return self->task;
}

/* The account of the task, or the one being added once the address is
 * known; %NULL before. */
LkAccount *
lk_setup_wizard_get_account (LkSetupWizard *self)
{
  g_return_val_if_fail (LK_IS_SETUP_WIZARD (self), NULL);
  return self->account;
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
  set_visible_step (self, "address");
  return TRUE;
}

static void
set_account (LkSetupWizard *self,
             LkAccount     *account)
{
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

/* What the sign-in asked for: the same again needs no new sign-in. */
static gboolean
same_sign_in (LkAccount *a,
              LkAccount *b)
{
  return g_strcmp0 (a->email, b->email) == 0 && g_strcmp0 (a->login, b->login) == 0 &&
         g_strcmp0 (a->provider->id, b->provider->id) == 0 && a->protocols == b->protocols &&
         g_strcmp0 (lk_account_get_tenant (a), lk_account_get_tenant (b)) == 0 &&
         g_strcmp0 (lk_account_get_client_id (a), lk_account_get_client_id (b)) == 0;
}

/**
 * lk_setup_wizard_signed_in:
 *
 * The sign-in is saved: the test runs. A new account is this wizard's from
 * here on, and the address page keeps its address.
 */
void
lk_setup_wizard_signed_in (LkSetupWizard *self)
{
  if (self->task == LK_SETUP_WIZARD_ADD && !self->saved)
    {
      self->saved = TRUE;
      lk_address_page_set_saved_email (self->address_page, self->account->email);
    }
  lk_setup_wizard_account_changed (self);
  lk_setup_wizard_show_step (self, "test");
  lk_setup_wizard_run_tests (self);
}

/* Actions ---------------------------------------------------------------- */

static void
show_done (LkSetupWizard *self)
{
  g_autofree char *text = NULL;

  /* Translators: %s is an e-mail address. */
  text = g_strdup_printf (_("%s is in your accounts. Latchkey keeps its key fresh for your "
                            "mail programs."), self->account->email);
  adw_status_page_set_description (self->done_page, text);
  lk_setup_wizard_show_step (self, "done");
}

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
      gboolean unchanged;

      /* NULL: the page shows why, such as an address already added. */
      if (account == NULL)
        return;
      /* Back to the address after the sign-in, and on without a change:
       * the sign-in stands. */
      unchanged = self->saved && same_sign_in (account, self->account);
      if (!unchanged)
        set_account (self, account);
      lk_setup_wizard_show_step (self, unchanged ? "test" : "sign-in");
      if (unchanged)
        lk_setup_wizard_run_tests (self);
    }
  else if (g_str_equal (step, "sign-in"))
    gtk_widget_activate_action (GTK_WIDGET (self->sign_in_page), "sign-in.start", NULL);
  else if (g_str_equal (step, "test") && self->task == LK_SETUP_WIZARD_ADD)
    {
      lk_setup_wizard_fill_export_page (self);
      lk_setup_wizard_show_step (self, "export");
    }
  else if (g_str_equal (step, "export") && self->task == LK_SETUP_WIZARD_ADD)
    show_done (self);
  else
    gtk_window_close (GTK_WINDOW (self));
}

/* Back: what runs on this page stops, and the page before shows as it was
 * left. */
static void
lk_setup_wizard_back_action (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  LkSetupWizard *self = LK_SETUP_WIZARD (widget);
  const char *step = gtk_stack_get_visible_child_name (self->stack);
  const char *previous;

  if (self->history->len == 0)
    return;
  if (g_str_equal (step, "sign-in"))
    {
      lk_setup_wizard_stop_sign_in (self);
      lk_sign_in_page_show_intro (self->sign_in_page);
    }
  else if (g_str_equal (step, "test"))
    lk_setup_wizard_stop_tests (self);
  previous = g_ptr_array_steal_index (self->history, self->history->len - 1);
  set_visible_step (self, previous);
}

static void
lk_setup_wizard_skip_test_action (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *parameter)
{
  LkSetupWizard *self = LK_SETUP_WIZARD (widget);

  if (self->task != LK_SETUP_WIZARD_ADD)
    return;
  lk_setup_wizard_stop_tests (self);
  lk_setup_wizard_fill_export_page (self);
  lk_setup_wizard_show_step (self, "export");
}

static void
lk_setup_wizard_cancel_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  gtk_window_close (GTK_WINDOW (widget));
}

static void
removed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(LkSetupWizard) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!lk_token_manager_remove_finish (LK_TOKEN_MANAGER (source), result, NULL, &error))
    {
      self->closing = FALSE;
      if (!lk_error_is_cancelled (error))
        lk_ui_toast_error (GTK_WIDGET (self), error->message);
      return;
    }
  self->saved = FALSE;
  lk_setup_wizard_account_changed (self);
  gtk_window_close (GTK_WINDOW (self));
}

static gboolean
close_idle_cb (gpointer user_data)
{
  gtk_window_close (GTK_WINDOW (user_data));
  return G_SOURCE_REMOVE;
}

static void
keep_response_cb (AdwMessageDialog *dialog,
                  const char       *response,
                  LkSetupWizard    *self)
{
  if (g_str_equal (response, "keep"))
    {
      self->closing = TRUE;
      /* Once the dialog has closed itself: closed from inside its
       * response, the wizard could be freed while the dialog still names
       * it as its parent (a crash when the dialog goes). */
      g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, close_idle_cb, g_object_ref (self),
                       g_object_unref);
    }
  else if (g_str_equal (response, "remove"))
    {
      /* As the accounts window's Remove: the keyring item, then the file.
       * The window stays until it is done, to say if it failed. */
      self->closing = TRUE;
      lk_setup_wizard_stop_sign_in (self);
      lk_setup_wizard_stop_tests (self);
      lk_token_manager_remove_async (self->tokens, self->account->email, NULL, removed_cb,
                                     g_object_ref (self));
    }
}

/* Cancel once a new account is saved: keep it, or take it away again,
 * rather than keep it without a word. */
static void
ask_to_keep (LkSetupWizard *self)
{
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  /* Translators: %s is an e-mail address. */
  body = g_strdup_printf (_("%s is saved, with its key in your keyring. Keep it to finish "
                            "later from the accounts list, or remove it."), self->account->email);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Keep the Account?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "remove", _("_Remove"),
                                    "keep", _("_Keep"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "keep",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  /* Escape: neither, back to the wizard. */
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "stay");
  g_signal_connect_object (dialog, "response", G_CALLBACK (keep_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/**
 * lk_setup_wizard_start_task:
 * @account: an account already in the list
 * @task: anything but %LK_SETUP_WIZARD_ADD
 *
 * Opens the wizard for @task on @account, as the accounts window and the
 * account page do: its first page, title, buttons and ending.
 */
void
lk_setup_wizard_start_task (LkSetupWizard     *self,
                            LkAccount         *account,
                            LkSetupWizardTask  task)
{
  g_return_if_fail (LK_IS_SETUP_WIZARD (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (task != LK_SETUP_WIZARD_ADD);

  set_account (self, account);
  g_ptr_array_set_size (self->history, 0);
  lk_setup_wizard_set_task (self, task);
  switch (task)
    {
    case LK_SETUP_WIZARD_SET_UP:
      lk_setup_wizard_fill_export_page (self);
      set_visible_step (self, "export");
      break;
    case LK_SETUP_WIZARD_TEST:
      set_visible_step (self, "test");
      lk_setup_wizard_run_tests (self);
      break;
    case LK_SETUP_WIZARD_SIGN_IN_AGAIN:
    case LK_SETUP_WIZARD_ADD:
    default:
      lk_sign_in_page_set_retry_label (self->sign_in_page, _("Sign In _Again"));
      set_visible_step (self, "sign-in");
      break;
    }
}

/* Closing (Cancel, Escape, the window manager) stops what runs at once: the
 * callbacks still pending hold references, so dispose may come later, and
 * the loopback listener must not wait for it. A new account this wizard
 * saved is not kept without asking. */
static gboolean
lk_setup_wizard_close_request (GtkWindow *window)
{
  LkSetupWizard *self = LK_SETUP_WIZARD (window);

  if (must_ask_to_keep (self))
    {
      ask_to_keep (self);
      return TRUE;
    }
  g_cancellable_cancel (self->cancellable);
  lk_setup_wizard_stop_sign_in (self);
  return GTK_WINDOW_CLASS (lk_setup_wizard_parent_class)->close_request (window);
}

static void
lk_setup_wizard_dispose (GObject *object)
{
  LkSetupWizard *self = LK_SETUP_WIZARD (object);

  /* The loopback listener closes, the device poll and the probes stop;
   * a probe that already answered no longer reaches the pages. */
  g_cancellable_cancel (self->cancellable);
  lk_setup_wizard_stop_tests (self);
  g_clear_object (&self->step_cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_SETUP_WIZARD);
  g_clear_object (&self->browser_sign_in);
  g_clear_object (&self->device_client);
  g_clear_pointer (&self->device_authorization, lk_device_authorization_free);
  lk_setup_wizard_clear_sign_in (self);
  g_clear_pointer (&self->consent_tenant, g_free);
  g_clear_pointer (&self->account, lk_account_unref);
  g_clear_pointer (&self->history, g_ptr_array_unref);
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
   * LkSetupWizard::account-changed:
   * @account: the account, saved
   *
   * The account was saved, or its state, tests or mail programs changed:
   * the list and the account page read it again.
   */
  signals[SIGNAL_ACCOUNT_CHANGED] =
    g_signal_new ("account-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, LK_TYPE_ACCOUNT);

  g_type_ensure (LK_TYPE_ADDRESS_PAGE);
  g_type_ensure (LK_TYPE_SIGN_IN_PAGE);
  g_type_ensure (LK_TYPE_TEST_PAGE);
  g_type_ensure (LK_TYPE_EXPORT_PAGE);

  lk_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/lk-setup-wizard.ui");
  gtk_widget_class_bind_template_child (widget_class, LkSetupWizard, title_widget);
  gtk_widget_class_bind_template_child (widget_class, LkSetupWizard, back_button);
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
  gtk_widget_class_bind_template_callback (widget_class, lk_setup_wizard_export_saved_cb);
  gtk_widget_class_bind_template_callback (widget_class, lk_setup_wizard_export_set_up_cb);

  gtk_widget_class_install_action (widget_class, "wizard.next", NULL,
                                   lk_setup_wizard_next_action);
  gtk_widget_class_install_action (widget_class, "wizard.back", NULL,
                                   lk_setup_wizard_back_action);
  gtk_widget_class_install_action (widget_class, "wizard.skip-test", NULL,
                                   lk_setup_wizard_skip_test_action);
  gtk_widget_class_install_action (widget_class, "wizard.cancel", NULL,
                                   lk_setup_wizard_cancel_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "wizard.cancel", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK,
                                       "wizard.back", NULL);
}

static void
lk_setup_wizard_init (LkSetupWizard *self)
{
  self->history = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  lk_setup_wizard_restart_step (self);
  lk_setup_wizard_set_task (self, LK_SETUP_WIZARD_ADD);
}
