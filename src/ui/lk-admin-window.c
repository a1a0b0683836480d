/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "admin/lk-admin-checklist.h"
#include "admin/lk-admin-consent.h"
#include "admin/lk-exchange-script.h"
#include "admin/lk-org-profile.h"
#include "lk-admin-window.h"
#include "lk-error.h"
#include "lk-ui-init.h"
#include "lk-ui-util.h"
#include "providers/lk-microsoft.h"

#define RESOURCE_PREFIX "/io/github/latchkey/Latchkey"

/**
 * LkAdminWindow:
 *
 * "For IT": the app registration checklist, the admin consent link and the
 * Exchange Online script, filled in as the administrator types, and the
 * organisation profile to hand out. Every text comes from src/core/admin/.
 */
struct _LkAdminWindow
{
  AdwWindow        parent_instance;

  LkProvider      *provider;
  GCancellable    *cancellable;
  LkAdminConsent  *consent;      /* while waiting for the browser */
  char            *script;       /* nullable: the inputs are incomplete */
  char            *script_problem;

  AdwToastOverlay *toast_overlay;
  AdwEntryRow     *tenant_row;
  AdwEntryRow     *client_id_row;
  GtkCheckButton  *imap_check;
  GtkCheckButton  *pop_check;
  GtkCheckButton  *smtp_check;
  GtkSwitch       *app_only_switch;
  GtkListBox      *checklist_box;
  GtkLabel        *consent_label;
  GtkButton       *copy_consent_button;
  GtkButton       *open_consent_button;
  GtkSpinner      *consent_spinner;
  GtkLabel        *consent_result_label;
  AdwPreferencesGroup *exchange_group;
  AdwEntryRow     *object_id_row;
  AdwEntryRow     *mailboxes_row;
  AdwEntryRow     *display_name_row;
  GtkSwitch       *send_as_switch;
  GtkSwitch       *smtp_rbac_switch;
  GtkTextView     *script_view;
  GtkButton       *copy_script_button;
  GtkButton       *save_script_button;
  GtkButton       *save_profile_button;
};

G_DEFINE_FINAL_TYPE (LkAdminWindow, lk_admin_window, ADW_TYPE_WINDOW)

static char *
entry_text (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

static LkProtocolFlags
protocols (LkAdminWindow *self)
{
  LkProtocolFlags flags = 0;

  if (gtk_check_button_get_active (self->imap_check))
    flags |= LK_PROTOCOL_FLAG_IMAP;
  if (gtk_check_button_get_active (self->pop_check))
    flags |= LK_PROTOCOL_FLAG_POP;
  if (gtk_check_button_get_active (self->smtp_check))
    flags |= LK_PROTOCOL_FLAG_SMTP;
  return flags;
}

static void
copy_value_cb (GtkButton *button,
               gpointer   user_data)
{
  lk_ui_copy_text (GTK_WIDGET (button), g_object_get_data (G_OBJECT (button), "value"),
                   _("Copied"));
}

static void
update_checklist (LkAdminWindow *self,
                  const char    *tenant,
                  const char    *client_id)
{
  g_autoptr(GPtrArray) items = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->checklist_box))) != NULL)
    gtk_list_box_remove (self->checklist_box, child);
  items = lk_admin_checklist_build (self->provider, *tenant != '\0' ? tenant : NULL,
                                    *client_id != '\0' ? client_id : NULL, protocols (self),
                                    gtk_switch_get_active (self->app_only_switch));
  for (guint i = 0; i < items->len; i++)
    {
      LkChecklistItem *item = items->pdata[i];
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *title = g_strdup_printf ("%u. %s", i + 1, item->title);
      g_autofree char *subtitle = NULL;

      subtitle = item->value != NULL && *item->value != '\0'
        ? g_strdup_printf ("%s\n%s", item->portal_path ? item->portal_path : "", item->value)
        : g_strdup (item->portal_path ? item->portal_path : "");
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_widget_set_tooltip_text (row, item->explanation);
      g_object_set_data_full (G_OBJECT (row), "item-id", g_strdup (item->id), g_free);
      if (item->value != NULL && *item->value != '\0')
        {
          GtkWidget *button = gtk_button_new_from_icon_name ("edit-copy-symbolic");

          gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
          gtk_widget_add_css_class (button, "flat");
          gtk_widget_set_tooltip_text (button, _("Copy"));
          g_object_set_data_full (G_OBJECT (button), "value", g_strdup (item->value), g_free);
          g_signal_connect (button, "clicked", G_CALLBACK (copy_value_cb), NULL);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
        }
      gtk_list_box_append (self->checklist_box, row);
    }
}

static char *
build_consent_link (LkAdminWindow  *self,
                    GError        **error)
{
  g_autofree char *tenant = entry_text (self->tenant_row);
  g_autofree char *client_id = entry_text (self->client_id_row);
  g_autoptr(LkAdminConsent) consent = lk_admin_consent_new (self->provider, tenant, client_id,
                                                           protocols (self),
                                                           gtk_switch_get_active (self->app_only_switch));

  return lk_admin_consent_dup_link (consent, error);
}

static void
update_script (LkAdminWindow *self,
               const char    *tenant,
               const char    *client_id)
{
  g_autofree char *object_id = entry_text (self->object_id_row);
  g_autofree char *mailboxes_text = entry_text (self->mailboxes_row);
  g_autofree char *display_name = entry_text (self->display_name_row);
  g_autoptr(GPtrArray) mailboxes = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) parts = g_strsplit (mailboxes_text, ",", -1);
  LkExchangeScriptInput in = { 0 };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (*parts[i] != '\0')
        g_ptr_array_add (mailboxes, g_strdup (parts[i]));
    }
  g_ptr_array_add (mailboxes, NULL);

  in.tenant = tenant;
  in.app_id = client_id;
  in.object_id = object_id;
  in.display_name = *display_name != '\0' ? display_name : NULL;
  in.mailboxes = (const char * const *) mailboxes->pdata;
  in.send_as = gtk_switch_get_active (self->send_as_switch);
  in.smtp_rbac = gtk_switch_get_active (self->smtp_rbac_switch);
  in.protocols = protocols (self);
  g_clear_pointer (&self->script, g_free);
  g_clear_pointer (&self->script_problem, g_free);
  self->script = lk_exchange_script_generate (&in, &error);
  if (self->script == NULL)
    self->script_problem = g_strdup (error->message);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->script_view),
                            self->script != NULL ? self->script : self->script_problem, -1);
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_script_button), self->script != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_script_button), self->script != NULL);
}

static void
inputs_changed_cb (LkAdminWindow *self)
{
  g_autofree char *tenant = entry_text (self->tenant_row);
  g_autofree char *client_id = entry_text (self->client_id_row);
  g_autofree char *link = NULL;
  g_autoptr(GError) error = NULL;
  gboolean app_only = gtk_switch_get_active (self->app_only_switch);

  update_checklist (self, tenant, client_id);
  link = build_consent_link (self, &error);
  gtk_label_set_text (self->consent_label, link != NULL ? link : error->message);
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_consent_button), link != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->open_consent_button),
                            link != NULL && self->consent == NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_profile_button),
                            lk_microsoft_tenant_check (tenant, NULL) && *client_id != '\0');
  gtk_widget_set_visible (GTK_WIDGET (self->exchange_group), app_only);
  update_script (self, tenant, client_id);
}

static void
copy_consent_cb (LkAdminWindow *self)
{
  g_autofree char *link = build_consent_link (self, NULL);

  if (link != NULL)
    lk_ui_copy_text (GTK_WIDGET (self), link, _("Link copied"));
}

static void
consent_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(LkAdminWindow) self = user_data;
  g_autoptr(LkAdminConsent) consent = g_steal_pointer (&self->consent);
  g_autoptr(GError) error = NULL;
  g_autofree char *tenant = lk_admin_consent_wait_finish (LK_ADMIN_CONSENT (object), result, &error);

  gtk_spinner_stop (self->consent_spinner);
  if (error != NULL && lk_error_is_cancelled (error))
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->consent_result_label), TRUE);
  if (tenant != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Consent granted for the organisation %s."),
                                               *tenant != '\0' ? tenant : _("(not named)"));
      gtk_label_set_text (self->consent_result_label, text);
    }
  else
    {
      g_autoptr(LkDiagnosis) d = lk_admin_consent_diagnose (consent, error);
      g_autofree char *text = d != NULL ? lk_diagnosis_to_text (d) : g_strdup (error->message);

      gtk_label_set_text (self->consent_result_label, text);
    }
  inputs_changed_cb (self);
}

static void
open_consent_cb (LkAdminWindow *self)
{
  g_autofree char *tenant = entry_text (self->tenant_row);
  g_autofree char *client_id = entry_text (self->client_id_row);
  g_autoptr(GError) error = NULL;

  if (self->consent != NULL)
    return;
  self->consent = lk_admin_consent_new (self->provider, tenant, client_id, protocols (self),
                                        gtk_switch_get_active (self->app_only_switch));
  if (!lk_admin_consent_listen (self->consent, &error))
    {
      g_clear_object (&self->consent);
      lk_ui_toast (GTK_WIDGET (self), error->message);
      return;
    }
  gtk_show_uri (GTK_WINDOW (self), lk_admin_consent_get_url (self->consent), GDK_CURRENT_TIME);
  gtk_spinner_start (self->consent_spinner);
  gtk_label_set_text (self->consent_result_label,
                      _("Waiting for the browser: sign in as an administrator and accept."));
  gtk_widget_set_visible (GTK_WIDGET (self->consent_result_label), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->open_consent_button), FALSE);
  lk_admin_consent_wait_async (self->consent, self->cancellable, consent_done_cb, g_object_ref (self));
}

static void
copy_script_cb (LkAdminWindow *self)
{
  if (self->script != NULL)
    lk_ui_copy_text (GTK_WIDGET (self), self->script, _("Script copied"));
}

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
typedef gboolean (*SaveFunc) (LkAdminWindow *self, const char *path, GError **error);

static gboolean
save_script (LkAdminWindow  *self,
             const char     *path,
             GError        **error)
{
  if (self->script == NULL)
    return FALSE;
  return g_file_set_contents_full (path, self->script, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                   0644, error);
}

static void
save_response_cb (GtkNativeDialog *chooser,
                  int              response,
                  gpointer         user_data)
{
  LkAdminWindow *self = user_data;
  SaveFunc save = g_object_get_data (G_OBJECT (chooser), "save");
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      path = file != NULL ? g_file_get_path (file) : NULL;
      if (path != NULL && save (self, path, &error))
        lk_ui_toast (GTK_WIDGET (self), _("Saved"));
      else if (error != NULL)
        lk_ui_toast (GTK_WIDGET (self), error->message);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
save_with_chooser (LkAdminWindow *self,
                   const char    *title,
                   const char    *name,
                   SaveFunc       save)
{
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (title, GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_object_set_data (G_OBJECT (chooser), "save", save);
  g_signal_connect (chooser, "response", G_CALLBACK (save_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
save_script_cb (LkAdminWindow *self)
{
  save_with_chooser (self, _("Save Exchange Online Script"), "latchkey-exchange.ps1", save_script);
}

static gboolean
save_profile_overwrite (LkAdminWindow  *self,
                        const char     *path,
                        GError        **error)
{
  /* The chooser has asked before replacing a file. */
  g_autofree char *tenant = entry_text (self->tenant_row);
  g_autofree char *client_id = entry_text (self->client_id_row);
  g_autoptr(LkProvider) profile = lk_org_profile_new (self->provider, tenant, client_id, NULL,
                                                      NULL, protocols (self), error);

  return profile != NULL && lk_org_profile_write (profile, path, TRUE, error);
}

static void
save_profile_cb (LkAdminWindow *self)
{
  g_autofree char *tenant = entry_text (self->tenant_row);
  g_autofree char *name = g_strdup_printf ("%s.latchkey", tenant);

  save_with_chooser (self, _("Save Organisation Profile"), name, save_profile_overwrite);
}
G_GNUC_END_IGNORE_DEPRECATIONS

static void
lk_admin_window_dispose (GObject *object)
{
  LkAdminWindow *self = LK_ADMIN_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_ADMIN_WINDOW);
  G_OBJECT_CLASS (lk_admin_window_parent_class)->dispose (object);
}

static void
lk_admin_window_finalize (GObject *object)
{
  LkAdminWindow *self = LK_ADMIN_WINDOW (object);

  g_clear_object (&self->consent);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->provider, lk_provider_unref);
  g_free (self->script);
  g_free (self->script_problem);
  G_OBJECT_CLASS (lk_admin_window_parent_class)->finalize (object);
}

static void
lk_admin_window_class_init (LkAdminWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_admin_window_dispose;
  object_class->finalize = lk_admin_window_finalize;

  lk_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/lk-admin-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, tenant_row);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, client_id_row);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, imap_check);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, pop_check);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, smtp_check);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, app_only_switch);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, checklist_box);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, consent_label);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, copy_consent_button);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, open_consent_button);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, consent_spinner);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, consent_result_label);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, exchange_group);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, object_id_row);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, mailboxes_row);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, display_name_row);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, send_as_switch);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, smtp_rbac_switch);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, script_view);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, copy_script_button);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, save_script_button);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, save_profile_button);
  gtk_widget_class_bind_template_callback (widget_class, inputs_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, copy_consent_cb);
  gtk_widget_class_bind_template_callback (widget_class, open_consent_cb);
  gtk_widget_class_bind_template_callback (widget_class, copy_script_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_script_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_profile_cb);
}

static void
lk_admin_window_init (LkAdminWindow *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * lk_admin_window_new:
 * @provider: the profile to start from (microsoft365)
 */
LkAdminWindow *
lk_admin_window_new (GtkWindow  *parent,
                     LkProvider *provider)
{
  /* With the application set, its shortcuts (Ctrl+Q) work here too and
   * quitting closes this window. */
  GtkApplication *application = parent != NULL ? gtk_window_get_application (parent) : NULL;
  LkAdminWindow *self = g_object_new (LK_TYPE_ADMIN_WINDOW, "transient-for", parent,
                                      "application", application, NULL);

  self->provider = lk_provider_ref (provider);
  inputs_changed_cb (self);
  return self;
}

char *
lk_admin_window_dup_script (LkAdminWindow *self)
{
  return g_strdup (self->script);
}

char *
lk_admin_window_dup_checklist (LkAdminWindow *self)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->checklist_box));
       row != NULL; row = gtk_widget_get_next_sibling (row))
    g_string_append_printf (s, "%s\n%s\n", adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                            adw_action_row_get_subtitle (ADW_ACTION_ROW (row)));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

char *
lk_admin_window_dup_consent_url (LkAdminWindow *self)
{
  return g_strdup (gtk_label_get_text (self->consent_label));
}

gboolean
lk_admin_window_save_profile (LkAdminWindow  *self,
                              const char     *path,
                              GError        **error)
{
  return save_profile_overwrite (self, path, error);
}
