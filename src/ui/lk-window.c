/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "lk-account-page.h"
#include "lk-account-row.h"
#include "lk-error.h"
#include "lk-setup-wizard.h"
#include "lk-ui-init.h"
#include "lk-ui-util.h"
#include "lk-admin-window.h"
#include "lk-window.h"
#include "lk-http.h"
#include "oauth/lk-oauth-refresher.h"

struct _LkWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template children */
  GtkStack             *pages;
  LkAccountPage        *account_page;
  GtkStack             *stack;
  AdwStatusPage        *empty_page;
  GtkButton            *add_account_button;
  GtkListBox           *list_box;

  GSettings            *settings;
  GCancellable         *cancellable;
  LkAccountStore       *store;
  LkTokenManager       *tokens;
  LkProviderRegistry   *registry;     /* loaded when first needed */
  LkHttp               *http;         /* for autodiscovery; made when first needed */
  LkDiscovery          *discovery;
  GFileMonitor         *monitor;
  GPtrArray            *accounts;     /* LkAccount, as listed */
  guint                 reload_id;
  gboolean              loaded;
  char                 *pending_email;  /* lk_window_open_account() before the list loaded */
  const char           *pending_action;
};

G_DEFINE_FINAL_TYPE (LkWindow, lk_window, ADW_TYPE_APPLICATION_WINDOW)

LkWindow *
lk_window_new (LkApplication *application)
{
  return g_object_new (LK_TYPE_WINDOW, "application", application, NULL);
}

/* The token manager the list and the wizard share: it refreshes an expired
 * key with the OAuth engine, and marks the account "needs sign-in" when the
 * provider refuses. */
static LkTokenManager *
new_token_manager (LkAccountStore *store)
{
  g_autoptr(LkOAuthRefresher) refresher = lk_oauth_refresher_new ();

  return lk_token_manager_new (store, LK_TOKEN_REFRESHER (refresher));
}

static LkProviderRegistry *
ensure_registry (LkWindow *self)
{
  /* A few small files; only the wizard needs them, so not before the first
   * frame (bench/gui-startup). */
  if (self->registry == NULL)
    {
      self->registry = lk_provider_registry_new ();
      lk_provider_registry_load (self->registry);
    }
  return self->registry;
}

/* Autodiscovery for domains no profile names, as the wizard needs it. */
static LkDiscovery *
ensure_discovery (LkWindow *self)
{
  g_autoptr(GError) error = NULL;

  if (self->discovery == NULL)
    {
      self->http = lk_http_new (NULL, &error);
      if (self->http == NULL)
        {
          g_warning ("No autodiscovery: %s", error->message);
          return NULL;
        }
      self->discovery = lk_discovery_new (self->http, ensure_registry (self));
    }
  return self->discovery;
}

static void
wizard_account_changed_cb (LkWindow *self)
{
  lk_window_reload (self);
}

static LkSetupWizard *
open_wizard (LkWindow *self)
{
  LkSetupWizard *wizard;

  wizard = lk_setup_wizard_new (GTK_WINDOW (self), ensure_registry (self), self->store,
                                self->tokens);
  g_signal_connect_object (wizard, "account-changed", G_CALLBACK (wizard_account_changed_cb),
                           self, G_CONNECT_SWAPPED);
  if (lk_discovery_is_enabled ())
    lk_setup_wizard_set_discovery (wizard, ensure_discovery (self));
  return wizard;
}

static void
lk_window_for_it_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  LkWindow *self = LK_WINDOW (widget);
  LkProvider *m365 = lk_provider_registry_lookup (ensure_registry (self), "microsoft365");

  if (m365 != NULL)
    gtk_window_present (GTK_WINDOW (lk_admin_window_new (GTK_WINDOW (self), m365)));
}

static LkAccount *
find_account (LkWindow   *self,
              const char *email)
{
  for (guint i = 0; self->accounts != NULL && i < self->accounts->len; i++)
    {
      LkAccount *account = g_ptr_array_index (self->accounts, i);

      if (g_strcmp0 (account->email, email) == 0)
        return account;
    }
  return NULL;
}

static void
lk_window_add_account_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  LkWindow *self = LK_WINDOW (widget);

  gtk_window_present (GTK_WINDOW (open_wizard (self)));
}

/* Test, Set Up Mail Programs and Sign In Again open the wizard for that
 * task. */
static void
lk_window_account_task_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  LkWindow *self = LK_WINDOW (widget);
  LkAccount *account = find_account (self, g_variant_get_string (parameter, NULL));
  LkSetupWizard *wizard;
  LkSetupWizardTask task;

  if (account == NULL)
    return;
  if (g_str_equal (action_name, "win.test-account"))
    task = LK_SETUP_WIZARD_TEST;
  else if (g_str_equal (action_name, "win.set-up-account"))
    task = LK_SETUP_WIZARD_SET_UP;
  else
    task = LK_SETUP_WIZARD_SIGN_IN_AGAIN;
  wizard = open_wizard (self);
  lk_setup_wizard_start_task (wizard, account, task);
  gtk_window_present (GTK_WINDOW (wizard));
}

/* A row opens its account's page, pushed over the list. */
static void
lk_window_show_account_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  LkWindow *self = LK_WINDOW (widget);
  LkAccount *account = find_account (self, g_variant_get_string (parameter, NULL));

  if (account == NULL)
    return;
  lk_account_page_set_account (self->account_page, account);
  gtk_stack_set_visible_child_name (self->pages, "account");
  gtk_widget_grab_focus (GTK_WIDGET (self->account_page));
}

/* Back to the list, to the row of the account that was open. */
static void
lk_window_show_accounts_action (GtkWidget  *widget,
                                const char *action_name,
                                GVariant   *parameter)
{
  LkWindow *self = LK_WINDOW (widget);
  LkAccount *shown = lk_account_page_get_account (self->account_page);

  if (!g_str_equal (gtk_stack_get_visible_child_name (self->pages), "account"))
    return;
  gtk_stack_set_visible_child_name (self->pages, "list");
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->list_box)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (shown != NULL && LK_IS_ACCOUNT_ROW (row) &&
        g_strcmp0 (lk_account_row_get_account (LK_ACCOUNT_ROW (row))->email, shown->email) == 0)
      gtk_widget_grab_focus (row);
}

static void
removed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(LkWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!lk_token_manager_remove_finish (LK_TOKEN_MANAGER (source), result, NULL, &error))
    {
      if (!lk_error_is_cancelled (error))
        lk_ui_toast_error (GTK_WIDGET (self), error->message);
      return;
    }
  lk_ui_toast (GTK_WIDGET (self), _("Account removed"));
  lk_window_reload (self);
}

static void
remove_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    LkWindow         *self)
{
  const char *email = g_object_get_data (G_OBJECT (dialog), "email");

  if (g_strcmp0 (response, "remove") != 0)
    return;
  /* The keyring item first, then the file (core). */
  lk_token_manager_remove_async (self->tokens, email, self->cancellable, removed_cb,
                                 g_object_ref (self));
}

static void
lk_window_remove_account_action (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *parameter)
{
  LkWindow *self = LK_WINDOW (widget);
  const char *email = g_variant_get_string (parameter, NULL);
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  /* Translators: %s is an e-mail address. */
  heading = g_strdup_printf (_("Remove %s?"), email);
  dialog = lk_ui_confirm_removal_new (GTK_WIDGET (self), heading,
                                      _("Its key is deleted from your keyring and its settings "
                                        "from this computer. Mail programs set up for it stop "
                                        "working until you add it again."));
  g_object_set_data_full (G_OBJECT (dialog), "email", g_strdup (email), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Organisation profiles ------------------------------------------------- */

static void
profile_confirmed_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      LkWindow         *self)
{
  GBytes *data = g_object_get_data (G_OBJECT (dialog), "profile");
  const char *origin = g_object_get_data (G_OBJECT (dialog), "origin");
  g_autoptr(GError) error = NULL;
  LkSetupWizard *wizard;
  gsize length;
  const char *text;

  if (g_strcmp0 (response, "continue") != 0)
    return;
  text = g_bytes_get_data (data, &length);
  wizard = open_wizard (self);
  if (!lk_setup_wizard_import_profile (wizard, text, length, origin, &error))
    {
      /* Checked before asking; only a race with a changed file lands here. */
      gtk_window_destroy (GTK_WINDOW (wizard));
      lk_ui_toast_error (GTK_WIDGET (self), error->message);
      return;
    }
  gtk_window_present (GTK_WINDOW (wizard));
}

static void
show_profile_refused (LkWindow     *self,
                      const GError *error)
{
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("This Profile Cannot Be Used"),
                                   error->message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
append_setting (GString    *text,
                const char *label,
                const char *value)
{
  if (value != NULL && *value != '\0')
    g_string_append_printf (text, "\n%s %s", label, value);
}

/* What the profile will configure, so that a person agrees to it knowingly:
 * a profile decides where the sign-in and the mail go. */
static char *
describe_profile (LkProvider *provider)
{
  GString *text = g_string_new (_("Your organisation’s profile sets up accounts with:"));
  static const char *server_labels[] = {
    [LK_PROTOCOL_IMAP] = N_("IMAP server:"),
    [LK_PROTOCOL_POP] = N_("POP server:"),
    [LK_PROTOCOL_SMTP] = N_("SMTP server:"),
  };

  g_string_append (text, "\n");
  append_setting (text, _("Provider:"), provider->name);
  append_setting (text, _("Tenant:"), provider->tenant);
  append_setting (text, _("Client ID:"), provider->client_id);
  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    {
      const LkServer *server = lk_provider_get_server (provider, p);
      g_autofree char *where = NULL;

      if (server == NULL || server->host == NULL)
        continue;
      where = g_strdup_printf ("%s:%u", server->host, server->port);
      append_setting (text, _(server_labels[p]), where);
    }
  return g_string_free (text, FALSE);
}

static void
profile_loaded_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(LkWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LkProvider) provider = NULL;
  g_autofree char *data = NULL;
  g_autofree char *origin = g_file_get_parse_name (G_FILE (source));
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;
  gsize length = 0;

  if (!g_file_load_contents_finish (G_FILE (source), result, &data, &length, NULL, &error))
    {
      if (!lk_error_is_cancelled (error))
        show_profile_refused (self, error);
      return;
    }
  provider = lk_provider_new_from_data (data, length, origin, &error);
  if (provider == NULL || !lk_provider_validate (provider, &error))
    {
      show_profile_refused (self, error);
      return;
    }

  /* Translators: %s is the provider the profile names, such as "Contoso Mail". */
  heading = g_strdup_printf (_("Set Up %s?"), provider->name);
  body = describe_profile (provider);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "continue", _("_Continue"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "continue",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "continue");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "profile",
                          g_bytes_new_take (g_steal_pointer (&data), length),
                          (GDestroyNotify) g_bytes_unref);
  g_object_set_data_full (G_OBJECT (dialog), "origin", g_steal_pointer (&origin), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (profile_confirmed_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/**
 * lk_window_open_profile:
 * @file: an organisation profile (`*.latchkey`, the provider format)
 *
 * What opening a profile from the file manager or `latchkey FILE` does:
 * shows what the profile will configure, then starts the wizard with it
 * imported. A profile that does not validate is refused with the reason.
 */
void
lk_window_open_profile (LkWindow *self,
                        GFile    *file)
{
  g_return_if_fail (LK_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  g_file_load_contents_async (file, self->cancellable, profile_loaded_cb, g_object_ref (self));
}

/* Loading ---------------------------------------------------------------- */

static void
show_accounts (LkWindow  *self,
               GPtrArray *accounts)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list_box))) != NULL)
    gtk_list_box_remove (self->list_box, child);

  g_clear_pointer (&self->accounts, g_ptr_array_unref);
  self->accounts = g_ptr_array_ref (accounts);
  for (guint i = 0; i < accounts->len; i++)
    gtk_list_box_append (self->list_box, lk_account_row_new (g_ptr_array_index (accounts, i)));
  /* The open account's page follows what was read; a removed account's
   * page closes. */
  if (g_str_equal (gtk_stack_get_visible_child_name (self->pages), "account"))
    {
      LkAccount *shown = lk_account_page_get_account (self->account_page);
      LkAccount *now = shown != NULL ? find_account (self, shown->email) : NULL;

      if (now != NULL)
        lk_account_page_set_account (self->account_page, now);
      else
        gtk_stack_set_visible_child_name (self->pages, "list");
    }
  /* No fade at start-up: the first list simply appears. */
  gtk_stack_set_transition_type (self->stack, self->loaded ? GTK_STACK_TRANSITION_TYPE_CROSSFADE
                                                            : GTK_STACK_TRANSITION_TYPE_NONE);
  gtk_stack_set_visible_child_name (self->stack, accounts->len > 0 ? "accounts" : "empty");
}

static void
list_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LkAccountStore *store = task_data;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *accounts;

  accounts = lk_account_store_list (store, &problems, &error);
  if (accounts == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Read in listed_cb, once the task has returned. */
  if (problems != NULL && problems->len > 0)
    g_object_set_data_full (G_OBJECT (task), "lk-problems", g_steal_pointer (&problems),
                            (GDestroyNotify) g_ptr_array_unref);
  g_task_return_pointer (task, accounts, (GDestroyNotify) g_ptr_array_unref);
}

/* Files in the accounts folder that were skipped (damaged, a FIFO, too
 * large): said, naming the first, rather than left out without a word. */
static void
show_problems (LkWindow  *self,
               GPtrArray *problems)
{
  const GError *first = g_ptr_array_index (problems, 0);
  g_autofree char *title = NULL;

  if (problems->len == 1)
    title = g_strdup_printf (_("Skipped an account file: %s"), first->message);
  else
    title = g_strdup_printf (ngettext ("Skipped %u account file: %s",
                                       "Skipped %u account files, the first: %s",
                                       problems->len),
                             problems->len, first->message);
  /* Stays until read; a file name is shown as it is, not as markup. */
  lk_ui_toast_error (GTK_WIDGET (self), title);
}

static void
listed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  LkWindow *self = LK_WINDOW (source);
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(GError) error = NULL;

  accounts = g_task_propagate_pointer (G_TASK (result), &error);
  if (accounts == NULL)
    {
      if (!lk_error_is_cancelled (error))
        lk_ui_toast_error (GTK_WIDGET (self), error->message);
      return;
    }
  show_accounts (self, accounts);
  if (g_object_get_data (G_OBJECT (result), "lk-problems") != NULL)
    show_problems (self, g_object_get_data (G_OBJECT (result), "lk-problems"));
  self->loaded = TRUE;
  if (self->pending_email != NULL)
    {
      g_autofree char *email = g_steal_pointer (&self->pending_email);
      gtk_widget_activate_action (GTK_WIDGET (self), self->pending_action, "s", email);
    }
}

/**
 * lk_window_open_account:
 * @email: an account's address
 * @step: "sign-in" or "test"
 *
 * Opens the wizard of @email on @step, as "Sign In Again" and "Test" do;
 * what a "needs sign-in" notification from latchkey-cli leads to
 * (app.sign-in), and app.test.
 */
void
lk_window_open_account (LkWindow   *self,
                        const char *email,
                        const char *step)
{
  const char *action;

  g_return_if_fail (LK_IS_WINDOW (self));
  g_return_if_fail (email != NULL && step != NULL);

  action = g_str_equal (step, "test") ? "win.test-account" : "win.sign-in-again";
  if (!self->loaded)
    {
      g_free (self->pending_email);
      self->pending_email = g_strdup (email);
      self->pending_action = action;
      return;
    }
  gtk_widget_activate_action (GTK_WIDGET (self), action, "s", email);
}

/**
 * lk_window_reload:
 *
 * Reads the account list again, off the main thread.
 */
void
lk_window_reload (LkWindow *self)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LK_IS_WINDOW (self));

  task = g_task_new (self, self->cancellable, listed_cb, NULL);
  g_task_set_source_tag (task, lk_window_reload);
  g_task_set_task_data (task, g_object_ref (self->store), g_object_unref);
  g_task_run_in_thread (task, list_thread);
}

/* Whether the first list of accounts is shown. */
gboolean
lk_window_get_loaded (LkWindow *self)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), FALSE);
  return self->loaded;
}

static gboolean
reload_timeout_cb (gpointer user_data)
{
  LkWindow *self = user_data;

  self->reload_id = 0;
  lk_window_reload (self);
  return G_SOURCE_REMOVE;
}

/* latchkey-cli adds and removes accounts too; a burst of changes is one
 * reload. */
static void
store_changed_cb (GFileMonitor      *monitor,
                  GFile             *file,
                  GFile             *other,
                  GFileMonitorEvent  event,
                  LkWindow          *self)
{
  if (self->reload_id == 0)
    self->reload_id = g_timeout_add (200, reload_timeout_cb, self);
}

static void
watch_store (LkWindow *self)
{
  g_autoptr(GFile) directory = NULL;

  g_clear_object (&self->monitor);
  directory = g_file_new_for_path (lk_account_store_get_directory (self->store));
  self->monitor = g_file_monitor_directory (directory, G_FILE_MONITOR_NONE, NULL, NULL);
  if (self->monitor != NULL)
    g_signal_connect (self->monitor, "changed", G_CALLBACK (store_changed_cb), self);
}

/**
 * lk_window_set_account_store:
 *
 * Lists the accounts of @store rather than the user's (tests use their own).
 */
void
lk_window_set_account_store (LkWindow       *self,
                             LkAccountStore *store)
{
  g_return_if_fail (LK_IS_WINDOW (self));

  g_set_object (&self->store, store);
  g_clear_object (&self->tokens);
  self->tokens = new_token_manager (store);
  watch_store (self);
  lk_window_reload (self);
}

/* bench/gui-startup measures exec → first frame: with LATCHKEY_REPORT_FIRST_FRAME
 * set, the first "after-paint" of the frame clock prints a line that the
 * benchmark timestamps. */
static void
lk_window_after_paint_cb (GdkFrameClock *clock,
                          LkWindow      *self)
{
  g_signal_handlers_disconnect_by_func (clock, lk_window_after_paint_cb, self);
  g_print ("latchkey: first frame\n");
  fflush (stdout);
}

/* The list is read after the first frame, so that start-up shows a window
 * at once whatever the number of accounts. */
static gboolean
first_load_cb (gpointer user_data)
{
  LkWindow *self = user_data;

  lk_window_reload (self);
  watch_store (self);
  return G_SOURCE_REMOVE;
}

static void
lk_window_realize (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (lk_window_parent_class)->realize (widget);

  g_idle_add_full (G_PRIORITY_LOW, first_load_cb, g_object_ref (widget), g_object_unref);

  if (g_getenv ("LATCHKEY_REPORT_FIRST_FRAME") != NULL)
    g_signal_connect (gtk_widget_get_frame_clock (widget), "after-paint",
                      G_CALLBACK (lk_window_after_paint_cb), widget);
}

static void
lk_window_dispose (GObject *object)
{
  LkWindow *self = LK_WINDOW (object);

  /* Whatever the window started stops with it: listeners close, polls end. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  g_clear_handle_id (&self->reload_id, g_source_remove);
  g_clear_pointer (&self->pending_email, g_free);
  g_clear_object (&self->monitor);
  g_clear_object (&self->tokens);
  g_clear_object (&self->store);
  g_clear_object (&self->discovery);
  g_clear_object (&self->http);
  g_clear_object (&self->registry);
  g_clear_pointer (&self->accounts, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_WINDOW);

  G_OBJECT_CLASS (lk_window_parent_class)->dispose (object);
}

static void
lk_window_class_init (LkWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_window_dispose;
  widget_class->realize = lk_window_realize;

  g_type_ensure (LK_TYPE_ACCOUNT_PAGE);
  lk_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/lk-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LkWindow, pages);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, account_page);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, add_account_button);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, list_box);

  gtk_widget_class_install_action (widget_class, "win.add-account", NULL,
                                   lk_window_add_account_action);
  gtk_widget_class_install_action (widget_class, "win.test-account", "s",
                                   lk_window_account_task_action);
  gtk_widget_class_install_action (widget_class, "win.set-up-account", "s",
                                   lk_window_account_task_action);
  gtk_widget_class_install_action (widget_class, "win.sign-in-again", "s",
                                   lk_window_account_task_action);
  gtk_widget_class_install_action (widget_class, "win.show-account", "s",
                                   lk_window_show_account_action);
  gtk_widget_class_install_action (widget_class, "win.show-accounts", NULL,
                                   lk_window_show_accounts_action);
  gtk_widget_class_install_action (widget_class, "win.remove-account", "s",
                                   lk_window_remove_account_action);
  gtk_widget_class_install_action (widget_class, "win.for-it", NULL, lk_window_for_it_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK,
                                       "win.add-account", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK,
                                       "win.show-accounts", NULL);
}

static void
lk_window_init (LkWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->store = lk_account_store_new (NULL);
  self->tokens = new_token_manager (self->store);
  self->settings = g_settings_new (APP_ID);
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized",
                   G_SETTINGS_BIND_DEFAULT);

  adw_status_page_set_icon_name (self->empty_page, APP_ID "-symbolic");
  if (DEVELOPMENT_BUILD)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
}
