/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "admin/lk-admin-checklist.h"
#include "admin/lk-admin-consent.h"
#include "admin/lk-exchange-script.h"
#include "admin/lk-org-profile.h"
#include "bridge/lk-bridge-credentials.h"
#include "lk-admin-window.h"
#include "lk-code-view.h"
#include "lk-devices-page.h"
#include "lk-diagnosis-view.h"
#include "lk-error.h"
#include "lk-ui-init.h"
#include "lk-ui-util.h"
#include "providers/lk-discovery.h"
#include "providers/lk-microsoft.h"

/**
 * LkAdminWindow:
 *
 * "For IT": the app registration checklist, the admin consent link and the
 * Exchange Online script (for app-only accounts, and for people who sign in
 * themselves: SMTP AUTH per mailbox, shared mailboxes), filled in as the
 * administrator types, and the organisation profile to hand out, with the
 * organisation's mail domains. What was typed is there again next time
 * (GSettings); an existing profile opens for editing. Every text comes from
 * src/core/admin/. Below, the office bridge's printers and scanners
 * (LkDevicesPage), each with its own Exchange steps (its mailbox and pinned
 * sender, with the app's values typed above).
 */
struct _LkAdminWindow
{
  AdwWindow            parent_instance;

  LkProvider          *provider;
  GSettings           *settings;
  GCancellable        *cancellable;
  LkAdminConsent      *consent;         /* while waiting for the browser */
  char                *script;          /* nullable: the inputs are incomplete */
  char                *consent_link;    /* nullable: as shown, and copied */
  GFile               *profile_file;    /* nullable: the profile opened or saved */
  char                *profile_tenant;  /* nullable: the opened profile's, */
  char                *profile_id;      /* id and name, kept when it is saved */
  char                *profile_name;    /* again for the same tenant */
  guint                update_id;       /* the inputs changed; update once */
  /* The typed domain's tenant id, looked up as `latchkey-cli admin
   * consent-url` does (lk_microsoft_tenant_resolve_async()), so that both
   * give IT the same link (issue #17). */
  GCancellable        *lookup;          /* nullable: a lookup under way */
  guint                lookup_id;       /* a lookup waits for typing to pause */
  char                *looked_up;       /* nullable: the domain looked up, */
  char                *looked_up_tenant; /* its tenant id (nullable: not found), */
  char                *looked_up_said;  /* and what the lookup found, in a sentence */

  /* Template children */
  AdwEntryRow         *tenant_row;
  AdwEntryRow         *client_id_row;
  AdwEntryRow         *domains_row;
  GtkCheckButton      *imap_check;
  GtkCheckButton      *pop_check;
  GtkCheckButton      *smtp_check;
  GtkSwitch           *app_only_switch;
  GtkListBox          *checklist_box;
  LkCodeView          *consent_view;
  GtkLabel            *consent_problem_label;
  GtkLabel            *tenant_lookup_label;
  GtkButton           *copy_consent_button;
  GtkButton           *open_consent_button;
  GtkSpinner          *consent_spinner;
  GtkLabel            *consent_result_label;
  LkDiagnosisView     *consent_diagnosis_view;
  AdwPreferencesGroup *exchange_group;
  AdwEntryRow         *object_id_row;
  AdwEntryRow         *mailboxes_row;
  AdwEntryRow         *shared_row;
  AdwEntryRow         *delegates_row;
  AdwEntryRow         *display_name_row;
  AdwActionRow        *send_as_row;
  GtkSwitch           *send_as_switch;
  AdwActionRow        *smtp_rbac_row;
  GtkSwitch           *smtp_rbac_switch;
  LkCodeView          *script_view;
  GtkLabel            *script_problem_label;
  GtkButton           *copy_script_button;
  LkDevicesPage       *devices_page;

  GtkWidget           *steps_dialog;    /* nullable: a device's steps shown */
};

G_DEFINE_FINAL_TYPE (LkAdminWindow, lk_admin_window, ADW_TYPE_WINDOW)

static char *
entry_text (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

/* "a@contoso.com, b@contoso.com" as a list, blanks dropped. */
static GStrv
entry_list (AdwEntryRow *row)
{
  g_autofree char *text = entry_text (row);
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  g_autoptr(GStrvBuilder) list = g_strv_builder_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (*parts[i] != '\0')
        g_strv_builder_add (list, parts[i]);
    }
  return g_strv_builder_end (list);
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

static gboolean
app_only (LkAdminWindow *self)
{
  return gtk_switch_get_active (self->app_only_switch);
}

/* What a checklist value's copy button copies, in its name. */
static const char *
copy_label (const char *item_id)
{
  if (g_str_equal (item_id, "register"))
    return _("Copy app name");
  if (g_str_equal (item_id, "account-types"))
    return _("Copy tenant ID");
  if (g_str_equal (item_id, "redirect-uri"))
    return _("Copy redirect URI");
  if (g_str_equal (item_id, "client-id"))
    return _("Copy client ID");
  if (g_str_has_prefix (item_id, "permission-"))
    return _("Copy permission name");
  return _("Copy value");
}

static void
copy_value_cb (GtkButton *button,
               gpointer   user_data)
{
  lk_ui_copy_text (GTK_WIDGET (button), g_object_get_data (G_OBJECT (button), "value"),
                   _("Copied"));
}

/* "Yes" is a switch to set, not a value to paste. */
static gboolean
is_copyable (LkChecklistItem *item)
{
  return item->value != NULL && *item->value != '\0' && !g_str_equal (item->id, "public-client");
}

static GtkWidget *
new_checklist_row (LkChecklistItem *item)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  g_object_set_data_full (G_OBJECT (row), "item-id", g_strdup (item->id), g_free);
  if (is_copyable (item))
    {
      GtkWidget *button = gtk_button_new_from_icon_name ("edit-copy-symbolic");
      const char *label = copy_label (item->id);

      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_set_tooltip_text (button, label);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
      g_signal_connect (button, "clicked", G_CALLBACK (copy_value_cb), NULL);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
      g_object_set_data (G_OBJECT (row), "copy-button", button);
    }
  return row;
}

/* Whether the rows are those of @items, so that typing only changes their
 * text: rebuilding a dozen rows for every key pressed is what made typing
 * a GUID lag. */
static gboolean
rows_match (LkAdminWindow *self,
            GPtrArray     *items)
{
  GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->checklist_box));

  for (guint i = 0; i < items->len; i++, row = gtk_widget_get_next_sibling (row))
    {
      LkChecklistItem *item = items->pdata[i];

      if (row == NULL ||
          g_strcmp0 (g_object_get_data (G_OBJECT (row), "item-id"), item->id) != 0 ||
          (g_object_get_data (G_OBJECT (row), "copy-button") != NULL) != is_copyable (item))
        return FALSE;
    }
  return row == NULL;
}

static void
update_checklist (LkAdminWindow *self,
                  const char    *tenant,
                  const char    *client_id)
{
  g_autoptr(GPtrArray) items = NULL;
  GtkWidget *row;

  items = lk_admin_checklist_build (self->provider, *tenant != '\0' ? tenant : NULL,
                                    *client_id != '\0' ? client_id : NULL, protocols (self),
                                    app_only (self));
  if (!rows_match (self, items))
    {
      while ((row = gtk_widget_get_first_child (GTK_WIDGET (self->checklist_box))) != NULL)
        gtk_list_box_remove (self->checklist_box, row);
      for (guint i = 0; i < items->len; i++)
        gtk_list_box_append (self->checklist_box, new_checklist_row (items->pdata[i]));
    }

  row = gtk_widget_get_first_child (GTK_WIDGET (self->checklist_box));
  for (guint i = 0; i < items->len; i++, row = gtk_widget_get_next_sibling (row))
    {
      LkChecklistItem *item = items->pdata[i];
      g_autofree char *title = g_strdup_printf ("%u. %s", i + 1, item->title);
      g_autofree char *subtitle = NULL;
      GtkWidget *button = g_object_get_data (G_OBJECT (row), "copy-button");

      subtitle = item->value != NULL && *item->value != '\0'
        ? g_strdup_printf ("%s\n%s", item->portal_path ? item->portal_path : "", item->value)
        : g_strdup (item->portal_path ? item->portal_path : "");
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_widget_set_tooltip_text (row, item->explanation);
      if (button != NULL)
        g_object_set_data_full (G_OBJECT (button), "value", g_strdup (item->value), g_free);
    }
}

/* How long typing must pause before a domain is looked up. */
#define LOOKUP_DELAY_MS 500

/* The tenant the consent link names: the typed domain's tenant id once it
 * was looked up, else what was typed (Microsoft accepts a domain too). */
static char *
link_tenant (LkAdminWindow *self)
{
  g_autofree char *tenant = entry_text (self->tenant_row);

  if (self->looked_up_tenant != NULL && g_strcmp0 (self->looked_up, tenant) == 0)
    return g_strdup (self->looked_up_tenant);
  return g_steal_pointer (&tenant);
}

static LkAdminConsent *
new_consent (LkAdminWindow *self)
{
  g_autofree char *tenant = link_tenant (self);
  g_autofree char *client_id = entry_text (self->client_id_row);

  return lk_admin_consent_new (self->provider, tenant, client_id, protocols (self),
                               app_only (self));
}

static char *
build_consent_link (LkAdminWindow  *self,
                    GError        **error)
{
  g_autoptr(LkAdminConsent) consent = new_consent (self);

  return lk_admin_consent_dup_link (consent, error);
}

static void update (LkAdminWindow *self);

static void
tenant_resolved_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(LkAdminWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *tenant = lk_microsoft_tenant_resolve_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->lookup);
  g_free (self->looked_up_tenant);
  self->looked_up_tenant = g_steal_pointer (&tenant);
  g_free (self->looked_up_said);
  self->looked_up_said = lk_microsoft_tenant_resolve_describe (self->looked_up,
                                                              self->looked_up_tenant, error);
  update (self);
}

static gboolean
look_up_cb (gpointer user_data)
{
  LkAdminWindow *self = user_data;

  self->lookup_id = 0;
  self->lookup = g_cancellable_new ();
  lk_microsoft_tenant_resolve_async (self->provider, self->looked_up, self->lookup,
                                     tenant_resolved_cb, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

/* A domain typed (not a tenant id) is looked up once typing pauses, unless
 * discovery is switched off (lk_discovery_is_enabled()); a lookup for what
 * was typed before is cancelled. */
static void
look_up_tenant (LkAdminWindow *self,
                const char    *tenant)
{
  g_autofree char *url = NULL;

  if (g_strcmp0 (self->looked_up, tenant) == 0)
    return;
  g_cancellable_cancel (self->lookup);
  g_clear_object (&self->lookup);
  g_clear_handle_id (&self->lookup_id, g_source_remove);
  g_clear_pointer (&self->looked_up_tenant, g_free);
  g_clear_pointer (&self->looked_up_said, g_free);
  g_clear_pointer (&self->looked_up, g_free);
  if (!lk_discovery_is_enabled () || lk_guid_is_valid (tenant)
      || lk_microsoft_tenant_is_placeholder (tenant)
      || !lk_microsoft_tenant_check (tenant, NULL))
    return;
  url = lk_microsoft_tenant_discovery_url (self->provider, tenant);
  if (url == NULL)
    return;
  self->looked_up = g_strdup (tenant);
  self->lookup_id = g_timeout_add (LOOKUP_DELAY_MS, look_up_cb, self);
}

static void
update_script (LkAdminWindow *self,
               const char    *tenant,
               const char    *client_id)
{
  g_autofree char *object_id = entry_text (self->object_id_row);
  g_autofree char *display_name = entry_text (self->display_name_row);
  g_auto(GStrv) mailboxes = entry_list (self->mailboxes_row);
  g_auto(GStrv) shared = entry_list (self->shared_row);
  g_auto(GStrv) delegates = entry_list (self->delegates_row);
  LkExchangeScriptInput in = { 0 };
  g_autoptr(GError) error = NULL;

  in.tenant = tenant;
  in.app_id = client_id;
  in.object_id = object_id;
  in.display_name = *display_name != '\0' ? display_name : NULL;
  in.mailboxes = (const char * const *) mailboxes;
  in.shared_mailboxes = (const char * const *) shared;
  in.delegates = (const char * const *) delegates;
  in.send_as = gtk_switch_get_active (self->send_as_switch);
  in.smtp_rbac = gtk_switch_get_active (self->smtp_rbac_switch);
  in.protocols = protocols (self);
  g_clear_pointer (&self->script, g_free);
  self->script = app_only (self) ? lk_exchange_script_generate (&in, &error)
                                 : lk_exchange_script_generate_delegated (&in, &error);
  lk_code_view_set_text (self->script_view, self->script);
  gtk_widget_set_visible (GTK_WIDGET (self->script_view), self->script != NULL);
  gtk_label_set_text (self->script_problem_label, error != NULL ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->script_problem_label), error != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_script_button), self->script != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "admin.save-script", self->script != NULL);
}

/* The Exchange Online group asks for what the mode needs: the service
 * principal for app-only, shared mailboxes and their people otherwise. */
static void
update_exchange_group (LkAdminWindow *self)
{
  gboolean app = app_only (self);

  adw_preferences_group_set_description (self->exchange_group, app
    ? _("Register the app in Exchange and give it the mailboxes. The object ID is the "
        "Enterprise application’s, not the app registration’s.")
    : _("Switch IMAP, POP and SMTP AUTH on for the mailboxes, and give people the shared "
        "mailboxes they use."));
  gtk_widget_set_visible (GTK_WIDGET (self->object_id_row), app);
  gtk_widget_set_visible (GTK_WIDGET (self->display_name_row), app);
  /* Application RBAC is for an app's own sending: app-only. */
  gtk_widget_set_visible (GTK_WIDGET (self->smtp_rbac_row), app);
  gtk_widget_set_visible (GTK_WIDGET (self->shared_row), !app);
  gtk_widget_set_visible (GTK_WIDGET (self->delegates_row), !app);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->send_as_row),
                                 app ? _("_Send as the Mailboxes")
                                     : _("_Send as the Shared Mailboxes"));
}

/* Everything that follows from the inputs: the checklist, the consent link,
 * the script, what can be saved. */
static void
update (LkAdminWindow *self)
{
  g_autofree char *tenant = NULL;
  g_autofree char *client_id = NULL;
  g_autoptr(GError) error = NULL;
  const char *link;

  g_clear_handle_id (&self->update_id, g_source_remove);
  tenant = entry_text (self->tenant_row);
  client_id = entry_text (self->client_id_row);
  update_checklist (self, tenant, client_id);
  look_up_tenant (self, tenant);
  gtk_label_set_text (self->tenant_lookup_label,
                      self->looked_up_said != NULL ? self->looked_up_said : "");
  gtk_widget_set_visible (GTK_WIDGET (self->tenant_lookup_label), self->looked_up_said != NULL);
  g_free (self->consent_link);
  self->consent_link = build_consent_link (self, &error);
  link = self->consent_link;
  lk_code_view_set_text (self->consent_view, link);
  gtk_widget_set_visible (GTK_WIDGET (self->consent_view), link != NULL);
  gtk_label_set_text (self->consent_problem_label, error != NULL ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->consent_problem_label), error != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_consent_button), link != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->open_consent_button),
                            link != NULL && self->consent == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "admin.save-profile",
                                 lk_microsoft_tenant_check (tenant, NULL) && *client_id != '\0');
  update_exchange_group (self);
  update_script (self, tenant, client_id);
}

static gboolean
update_idle_cb (gpointer user_data)
{
  LkAdminWindow *self = user_data;

  self->update_id = 0;
  update (self);
  return G_SOURCE_REMOVE;
}

/* Several inputs change at once (a profile opened, the remembered values
 * restored): one update for them all, once the main loop is idle. */
static void
inputs_changed_cb (LkAdminWindow *self)
{
  /* The remembered values arrive before the profile does. */
  if (self->provider == NULL || self->update_id != 0)
    return;
  self->update_id = g_idle_add (update_idle_cb, self);
}

/* What the window shows now, with any pending change applied. */
static void
flush (LkAdminWindow *self)
{
  if (self->update_id != 0)
    update (self);
}

/* The link as shown, so that what is copied is what was read. */
static void
copy_consent_cb (LkAdminWindow *self)
{
  flush (self);
  if (self->consent_link != NULL)
    lk_ui_copy_text (GTK_WIDGET (self), self->consent_link, _("Link copied"));
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
  if (tenant != NULL)
    {
      g_autofree char *text = NULL;

      /* Translators: %s is the organisation's tenant id or domain. */
      text = g_strdup_printf (_("Consent granted for the organisation %s."),
                              *tenant != '\0' ? tenant : _("(not named)"));
      gtk_label_set_text (self->consent_result_label, text);
      gtk_widget_set_visible (GTK_WIDGET (self->consent_result_label), TRUE);
      lk_diagnosis_view_set_diagnosis (self->consent_diagnosis_view, NULL);
    }
  else
    {
      g_autoptr(LkDiagnosis) d = lk_admin_consent_diagnose (consent, error);

      gtk_widget_set_visible (GTK_WIDGET (self->consent_result_label), d == NULL);
      gtk_label_set_text (self->consent_result_label, error->message);
      lk_diagnosis_view_set_diagnosis (self->consent_diagnosis_view, d);
    }
  inputs_changed_cb (self);
}

static void
open_consent_cb (LkAdminWindow *self)
{
  g_autoptr(GError) error = NULL;

  if (self->consent != NULL)
    return;
  self->consent = new_consent (self);
  if (!lk_admin_consent_listen (self->consent, &error))
    {
      g_clear_object (&self->consent);
      lk_ui_toast_error (GTK_WIDGET (self), error->message);
      return;
    }
  lk_ui_open_uri (GTK_WIDGET (self), lk_admin_consent_get_url (self->consent), self->cancellable);
  gtk_spinner_start (self->consent_spinner);
  gtk_label_set_text (self->consent_result_label,
                      _("Waiting for the browser: sign in as an administrator and accept."));
  gtk_widget_set_visible (GTK_WIDGET (self->consent_result_label), TRUE);
  lk_diagnosis_view_set_diagnosis (self->consent_diagnosis_view, NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->open_consent_button), FALSE);
  lk_admin_consent_wait_async (self->consent, self->cancellable, consent_done_cb,
                               g_object_ref (self));
}

static void
copy_script_cb (LkAdminWindow *self)
{
  flush (self);
  if (self->script != NULL)
    lk_ui_copy_text (GTK_WIDGET (self), self->script, _("Script copied"));
}

typedef gboolean (*SaveFunc) (LkAdminWindow  *self,
                              const char     *path,
                              GError        **error);

/* Writes with @save to @file, and says how it went: "Saved to
 * ~/contoso.latchkey", or why not. */
static gboolean
save_and_say (LkAdminWindow *self,
              GFile         *file,
              SaveFunc       save)
{
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *shown = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  if (path == NULL)
    {
      lk_ui_toast_error (GTK_WIDGET (self), _("Choose a folder on this computer."));
      return FALSE;
    }
  if (!save (self, path, &error))
    {
      lk_ui_toast_error (GTK_WIDGET (self), error->message);
      return FALSE;
    }
  shown = lk_ui_display_path (path);
  /* Translators: %s is where the file went, such as "~/contoso.latchkey". */
  text = g_strdup_printf (_("Saved to %s"), shown);
  lk_ui_toast (GTK_WIDGET (self), text);
  return TRUE;
}

static gboolean
save_script (LkAdminWindow  *self,
             const char     *path,
             GError        **error)
{
  /* Meant to be read and handed on, and it holds no secret. */
  return g_file_set_contents_full (path, self->script, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                   0644, error);
}

/**
 * lk_admin_window_save_script_to:
 *
 * Writes the Exchange Online script to @file, as Save Script… does once the
 * administrator has chosen where, and says how it went.
 */
void
lk_admin_window_save_script_to (LkAdminWindow *self,
                                GFile         *file)
{
  g_return_if_fail (LK_IS_ADMIN_WINDOW (self));

  flush (self);
  if (self->script != NULL)
    save_and_say (self, file, save_script);
}

/**
 * lk_admin_window_save_profile_to:
 *
 * Writes the organisation profile to @file, as Save Organisation Profile…
 * does once the administrator has chosen where, and says how it went.
 */
void
lk_admin_window_save_profile_to (LkAdminWindow *self,
                                 GFile         *file)
{
  g_return_if_fail (LK_IS_ADMIN_WINDOW (self));

  if (save_and_say (self, file, lk_admin_window_save_profile))
    g_set_object (&self->profile_file, file);
}

static void
script_chosen_cb (GtkWidget *widget,
                  GFile     *file,
                  gpointer   user_data)
{
  lk_admin_window_save_script_to (LK_ADMIN_WINDOW (widget), file);
}

static void
lk_admin_window_save_script_action (GtkWidget  *widget,
                                    const char *action_name,
                                    GVariant   *parameter)
{
  g_autoptr(GFile) initial = g_file_new_build_filename (g_get_home_dir (),
                                                        "latchkey-exchange.ps1", NULL);

  lk_ui_choose_file (widget, TRUE, _("Save Exchange Online Script"), _("_Save"), initial, NULL,
                     script_chosen_cb, NULL, NULL);
}

static void
profile_chosen_cb (GtkWidget *widget,
                   GFile     *file,
                   gpointer   user_data)
{
  lk_admin_window_save_profile_to (LK_ADMIN_WINDOW (widget), file);
}

static void
lk_admin_window_save_profile_action (GtkWidget  *widget,
                                     const char *action_name,
                                     GVariant   *parameter)
{
  LkAdminWindow *self = LK_ADMIN_WINDOW (widget);
  g_autoptr(GFile) initial = NULL;

  if (self->profile_file != NULL)
    initial = g_object_ref (self->profile_file);
  else
    {
      g_autofree char *tenant = entry_text (self->tenant_row);
      g_autofree char *name = g_strdup_printf ("%s.latchkey", tenant);

      initial = g_file_new_build_filename (g_get_home_dir (), name, NULL);
    }
  lk_ui_choose_file (widget, TRUE, _("Save Organisation Profile"), _("_Save"), initial, NULL,
                     profile_chosen_cb, NULL, NULL);
}

/**
 * lk_admin_window_load_profile:
 * @data: an organisation profile (the provider format)
 * @origin: where it came from, for messages
 *
 * Fills the window in from an existing organisation profile, for editing:
 * tenant, client id, mail domains, protocols. Saving it again keeps its id
 * and name.
 *
 * Returns: %FALSE when @data is no profile this window can edit
 */
gboolean
lk_admin_window_load_profile (LkAdminWindow  *self,
                              const char     *data,
                              gssize          length,
                              const char     *origin,
                              GError        **error)
{
  g_autoptr(LkProvider) profile = NULL;
  g_autofree char *domains = NULL;
  LkProtocolFlags offered;

  g_return_val_if_fail (LK_IS_ADMIN_WINDOW (self), FALSE);

  profile = lk_provider_new_from_data (data, length, origin, error);
  if (profile == NULL || !lk_provider_validate (profile, error))
    return FALSE;
  if (g_strcmp0 (profile->kind, self->provider->kind) != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_PROFILE,
                   /* Translators: the first %s is a file, the second a provider */
                   _("%s is not a profile for %s; this window sets up %s only."),
                   origin, self->provider->name, self->provider->name);
      return FALSE;
    }

  g_free (self->profile_tenant);
  self->profile_tenant = g_strdup (profile->tenant);
  g_free (self->profile_id);
  self->profile_id = g_strdup (profile->id);
  g_free (self->profile_name);
  self->profile_name = g_strdup (profile->name);
  domains = profile->domains != NULL ? g_strjoinv (", ", profile->domains) : g_strdup ("");
  offered = lk_provider_get_protocols (profile);
  gtk_editable_set_text (GTK_EDITABLE (self->tenant_row),
                         profile->tenant != NULL ? profile->tenant : "");
  gtk_editable_set_text (GTK_EDITABLE (self->client_id_row),
                         profile->client_id != NULL ? profile->client_id : "");
  gtk_editable_set_text (GTK_EDITABLE (self->domains_row), domains);
  gtk_check_button_set_active (self->imap_check, (offered & LK_PROTOCOL_FLAG_IMAP) != 0);
  gtk_check_button_set_active (self->pop_check, (offered & LK_PROTOCOL_FLAG_POP) != 0);
  gtk_check_button_set_active (self->smtp_check, (offered & LK_PROTOCOL_FLAG_SMTP) != 0);
  update (self);
  return TRUE;
}

static void
profile_loaded_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(LkAdminWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *origin = g_file_get_parse_name (G_FILE (source));
  g_autofree char *text = NULL;
  gsize length = 0;

  if (!g_file_load_contents_finish (G_FILE (source), result, &data, &length, NULL, &error) ||
      !lk_admin_window_load_profile (self, data, (gssize) length, origin, &error))
    {
      g_autofree char *message = lk_ui_error_message (error);

      if (message != NULL)
        lk_ui_toast_error (GTK_WIDGET (self), message);
      return;
    }
  g_set_object (&self->profile_file, G_FILE (source));
  /* Translators: %s is the profile's name, such as "Contoso (Microsoft 365)". */
  text = g_strdup_printf (_("Opened %s"), self->profile_name);
  lk_ui_toast (GTK_WIDGET (self), text);
}

/**
 * lk_admin_window_open_profile_file:
 *
 * Opens @file for editing as "Open Organisation Profile" does once a file is
 * chosen, and says how it went.
 */
void
lk_admin_window_open_profile_file (LkAdminWindow *self,
                                   GFile         *file)
{
  g_return_if_fail (LK_IS_ADMIN_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  /* A few kilobytes; loading never blocks the window. */
  g_file_load_contents_async (file, self->cancellable, profile_loaded_cb, g_object_ref (self));
}

static void
open_chosen_cb (GtkWidget *widget,
                GFile     *file,
                gpointer   user_data)
{
  lk_admin_window_open_profile_file (LK_ADMIN_WINDOW (widget), file);
}

static void
lk_admin_window_open_profile_action (GtkWidget  *widget,
                                     const char *action_name,
                                     GVariant   *parameter)
{
  g_autoptr(GtkFileFilter) filter = lk_ui_new_profile_filter ();

  lk_ui_choose_file (widget, FALSE, _("Open Organisation Profile"), _("_Open"), NULL, filter,
                     open_chosen_cb, NULL, NULL);
}

/* A device's Exchange steps with the app's values typed above: the same
 * generator as `latchkey-cli admin exchange-script --device`. */
static char *
device_steps (LkAdminWindow  *self,
              const char     *name,
              GError        **error)
{
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (NULL);
  g_autoptr(LkBridgeUser) device = NULL;
  g_autofree char *tenant = entry_text (self->tenant_row);
  g_autofree char *client_id = entry_text (self->client_id_row);
  g_autofree char *object_id = entry_text (self->object_id_row);
  g_autofree char *display_name = entry_text (self->display_name_row);
  LkExchangeScriptInput in = { 0 };

  if (!lk_bridge_credentials_load (credentials, error))
    return NULL;
  device = lk_bridge_credentials_lookup (credentials, name);
  if (device == NULL || device->kind != LK_BRIDGE_USER_DEVICE)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("There is no device %s any more"), name);
      return NULL;
    }
  in.tenant = tenant;
  in.app_id = client_id;
  in.object_id = object_id;
  in.display_name = *display_name != '\0' ? display_name : NULL;
  in.smtp_rbac = gtk_switch_get_active (self->smtp_rbac_switch);
  return lk_exchange_script_generate_for_device (&in, device, error);
}

static void
steps_dialog_destroyed_cb (LkAdminWindow *self)
{
  self->steps_dialog = NULL;
}

/**
 * lk_admin_window_show_device_steps:
 * @name: a device of the office bridge
 *
 * Shows the Exchange Online steps that let the app send through the
 * device's mailbox (and as its pinned sender), with Copy; or, when the
 * app's values above are incomplete, what is missing.
 *
 * Returns: (transfer none): the dialog
 */
GtkWidget *
lk_admin_window_show_device_steps (LkAdminWindow *self,
                                   const char    *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *script = NULL;
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  g_return_val_if_fail (LK_IS_ADMIN_WINDOW (self), NULL);

  if (self->steps_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->steps_dialog));
  script = device_steps (self, name, &error);
  /* Translators: %s is a device's name, such as 2nd-floor-mfp */
  heading = g_strdup_printf (_("Permission Steps for %s"), name);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, NULL);
  if (script != NULL)
    {
      GtkWidget *overlay = adw_toast_overlay_new ();
      GtkWidget *view = lk_code_view_new (script);

      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog),
        _("An Exchange administrator runs this in PowerShell once: it lets the app send "
          "through the device’s mailbox (and as the address it is pinned to, if any)."));
      lk_code_view_set_copy_label (LK_CODE_VIEW (view), _("Copy Script"), _("Script copied"));
      adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), view);
      adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), overlay);
    }
  else
    {
      g_autofree char *message = lk_ui_error_message (error);
      g_autofree char *body = NULL;

      body = g_strdup_printf ("%s\n\n%s", message,
                              _("The steps need the app’s values: fill in the tenant, the "
                                "application ID and the Enterprise application’s object ID "
                                "above."));
      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), body);
    }
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_set_default_size (GTK_WINDOW (dialog), 720, -1);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  self->steps_dialog = dialog;
  g_signal_connect_object (dialog, "destroy", G_CALLBACK (steps_dialog_destroyed_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

static void
device_steps_cb (LkAdminWindow *self,
                 const char    *name)
{
  lk_admin_window_show_device_steps (self, name);
}

static void
lk_admin_window_dispose (GObject *object)
{
  LkAdminWindow *self = LK_ADMIN_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->lookup);
  g_clear_handle_id (&self->update_id, g_source_remove);
  g_clear_handle_id (&self->lookup_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_ADMIN_WINDOW);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (lk_admin_window_parent_class)->dispose (object);
}

static void
lk_admin_window_finalize (GObject *object)
{
  LkAdminWindow *self = LK_ADMIN_WINDOW (object);

  g_clear_object (&self->consent);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->lookup);
  g_free (self->looked_up);
  g_free (self->looked_up_tenant);
  g_free (self->looked_up_said);
  g_clear_object (&self->profile_file);
  g_clear_pointer (&self->provider, lk_provider_unref);
  g_free (self->script);
  g_free (self->consent_link);
  g_free (self->profile_tenant);
  g_free (self->profile_id);
  g_free (self->profile_name);
  G_OBJECT_CLASS (lk_admin_window_parent_class)->finalize (object);
}

static void
lk_admin_window_class_init (LkAdminWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_admin_window_dispose;
  object_class->finalize = lk_admin_window_finalize;

  g_type_ensure (LK_TYPE_CODE_VIEW);
  g_type_ensure (LK_TYPE_DIAGNOSIS_VIEW);
  g_type_ensure (LK_TYPE_DEVICES_PAGE);
  lk_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/lk-admin-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, tenant_row);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, client_id_row);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, domains_row);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, imap_check);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, pop_check);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, smtp_check);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, app_only_switch);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, checklist_box);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, consent_view);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, consent_problem_label);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, tenant_lookup_label);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, copy_consent_button);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, open_consent_button);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, consent_spinner);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, consent_result_label);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, consent_diagnosis_view);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, exchange_group);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, object_id_row);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, mailboxes_row);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, shared_row);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, delegates_row);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, display_name_row);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, send_as_row);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, send_as_switch);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, smtp_rbac_row);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, smtp_rbac_switch);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, script_view);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, script_problem_label);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, copy_script_button);
  gtk_widget_class_bind_template_child (widget_class, LkAdminWindow, devices_page);
  gtk_widget_class_bind_template_callback (widget_class, inputs_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, copy_consent_cb);
  gtk_widget_class_bind_template_callback (widget_class, open_consent_cb);
  gtk_widget_class_bind_template_callback (widget_class, copy_script_cb);
  gtk_widget_class_bind_template_callback (widget_class, device_steps_cb);

  gtk_widget_class_install_action (widget_class, "admin.open-profile", NULL,
                                   lk_admin_window_open_profile_action);
  gtk_widget_class_install_action (widget_class, "admin.save-profile", NULL,
                                   lk_admin_window_save_profile_action);
  gtk_widget_class_install_action (widget_class, "admin.save-script", NULL,
                                   lk_admin_window_save_script_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

/* What the administrator typed last time comes back. */
static void
bind_settings (LkAdminWindow *self)
{
  static const struct { const char *key; gsize offset; const char *property; } bindings[] = {
    { "tenant", G_STRUCT_OFFSET (LkAdminWindow, tenant_row), "text" },
    { "client-id", G_STRUCT_OFFSET (LkAdminWindow, client_id_row), "text" },
    { "domains", G_STRUCT_OFFSET (LkAdminWindow, domains_row), "text" },
    { "imap", G_STRUCT_OFFSET (LkAdminWindow, imap_check), "active" },
    { "pop", G_STRUCT_OFFSET (LkAdminWindow, pop_check), "active" },
    { "smtp", G_STRUCT_OFFSET (LkAdminWindow, smtp_check), "active" },
    { "app-only", G_STRUCT_OFFSET (LkAdminWindow, app_only_switch), "active" },
    { "object-id", G_STRUCT_OFFSET (LkAdminWindow, object_id_row), "text" },
    { "mailboxes", G_STRUCT_OFFSET (LkAdminWindow, mailboxes_row), "text" },
    { "shared-mailboxes", G_STRUCT_OFFSET (LkAdminWindow, shared_row), "text" },
    { "delegates", G_STRUCT_OFFSET (LkAdminWindow, delegates_row), "text" },
    { "display-name", G_STRUCT_OFFSET (LkAdminWindow, display_name_row), "text" },
    { "send-as", G_STRUCT_OFFSET (LkAdminWindow, send_as_switch), "active" },
    { "smtp-rbac", G_STRUCT_OFFSET (LkAdminWindow, smtp_rbac_switch), "active" },
  };

  self->settings = g_settings_new (APP_ID ".for-it");
  for (guint i = 0; i < G_N_ELEMENTS (bindings); i++)
    g_settings_bind (self->settings, bindings[i].key,
                     G_STRUCT_MEMBER (GObject *, self, bindings[i].offset), bindings[i].property,
                     G_SETTINGS_BIND_DEFAULT);
}

static void
lk_admin_window_init (LkAdminWindow *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  bind_settings (self);
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
  update (self);
  return self;
}

char *
lk_admin_window_dup_script (LkAdminWindow *self)
{
  flush (self);
  return g_strdup (self->script);
}

char *
lk_admin_window_dup_checklist (LkAdminWindow *self)
{
  g_autoptr(GString) s = g_string_new (NULL);

  flush (self);
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->checklist_box));
       row != NULL; row = gtk_widget_get_next_sibling (row))
    g_string_append_printf (s, "%s\n%s\n", adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                            adw_action_row_get_subtitle (ADW_ACTION_ROW (row)));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

char *
lk_admin_window_dup_consent_url (LkAdminWindow *self)
{
  flush (self);
  return g_strdup (self->consent_link);
}

/**
 * lk_admin_window_save_profile:
 *
 * Writes the organisation profile to @path (replacing a file there: the
 * file chooser has asked), with the mail domains typed.
 */
gboolean
lk_admin_window_save_profile (LkAdminWindow  *self,
                              const char     *path,
                              GError        **error)
{
  g_autofree char *tenant = entry_text (self->tenant_row);
  g_autofree char *client_id = entry_text (self->client_id_row);
  g_auto(GStrv) domains = entry_list (self->domains_row);
  g_autoptr(LkProvider) profile = NULL;
  /* Another tenant is another organisation: its own id and name. */
  gboolean same = self->profile_tenant != NULL &&
                  g_ascii_strcasecmp (tenant, self->profile_tenant) == 0;

  profile = lk_org_profile_new (self->provider, tenant, client_id,
                                same ? self->profile_id : NULL,
                                same ? self->profile_name : NULL, protocols (self), error);
  return profile != NULL &&
         lk_org_profile_set_domains (profile, (const char * const *) domains, error) &&
         lk_org_profile_write (profile, path, TRUE, error);
}
