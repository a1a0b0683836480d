/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bridge/lk-bridge-autostart.h"
#include "bridge/lk-bridge-client.h"
#include "bridge/lk-bridge-credentials.h"
#include "bridge/lk-bridge-settings.h"
#include "lk-bridge-section.h"
#include "lk-error.h"
#include "lk-json.h"
#include "lk-ui-init.h"
#include "lk-ui-util.h"

/**
 * LkBridgeSection:
 *
 * "Use with Other Programs" on an account's page (issue #15's GUI): a
 * switch that lets password-only programs use the account through the
 * bridge (core's LkBridgeCredentials, as `latchkey-cli bridge enable`
 * does), the settings to type into such a program per protocol with a copy
 * button per value, the password right after it was made (the bridge keeps
 * only its hash, so it is shown once) and "New Password…", and whether the
 * bridge runs, with this account's sessions and last error (its control
 * socket, lk_bridge_client_request_async()). After a change a running
 * bridge is told to read its logins again.
 */
struct _LkBridgeSection
{
  GtkWidget            parent_instance;

  /* Template children */
  AdwPreferencesGroup *group;
  AdwActionRow        *enable_row;
  GtkSwitch           *enable_switch;
  AdwActionRow        *state_row;
  AdwActionRow        *autostart_row;
  GtkSwitch           *autostart_switch;
  AdwActionRow        *password_row;
  GtkWidget           *copy_password_button;

  LkAccount           *account;
  LkBridgeCredentials *credentials;
  JsonObject          *status;         /* nullable: the running bridge's */
  char                *state;          /* what the state row says */
  char                *password;       /* nullable: made just now, shown once */
  GCancellable        *cancellable;    /* the status request */
  GPtrArray           *protocol_rows;  /* added to group */
  AdwExpanderRow      *rows[LK_N_PROTOCOLS];
  gboolean             updating;
};

G_DEFINE_FINAL_TYPE (LkBridgeSection, lk_bridge_section, GTK_TYPE_WIDGET)

GtkWidget *
lk_bridge_section_new (void)
{
  return g_object_new (LK_TYPE_BRIDGE_SECTION, NULL);
}

/* The password leaves memory as soon as it is not shown any more. */
static void
forget_password (LkBridgeSection *self)
{
  if (self->password != NULL)
    explicit_bzero (self->password, strlen (self->password));
  g_clear_pointer (&self->password, g_free);
}

static LkBridgeUser *
lookup_user (LkBridgeSection *self)
{
  g_autoptr(GError) error = NULL;

  if (!lk_bridge_credentials_load (self->credentials, &error))
    {
      g_debug ("The bridge's logins are not read: %s", error->message);
      return NULL;
    }
  return lk_bridge_credentials_lookup (self->credentials, self->account->email);
}

/* The protocols the bridge serves for the account: those it uses and has a
 * server for, as `latchkey-cli bridge enable` takes by default. */
static LkProtocolFlags
served_protocols (LkAccount *account)
{
  LkProtocolFlags protocols = 0;

  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    if ((account->protocols & (1u << p)) != 0 &&
        lk_provider_get_server (account->provider, p) != NULL)
      protocols |= 1u << p;
  return protocols;
}

static const char *
security_label (LkSecurity security)
{
  /* The same words as `latchkey-cli bridge enable`. */
  return security == LK_SECURITY_TLS ? _("SSL/TLS") : _("STARTTLS (or none: this computer only)");
}

/* One value to type into the mail program, with its copy button. */
static GtkWidget *
value_row_new (const char *name,
               const char *value,
               gboolean    can_copy)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  gtk_widget_add_css_class (row, "property");
  if (can_copy)
    {
      GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");
      g_autofree char *label = NULL;

      gtk_widget_set_valign (copy, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (copy, "flat");
      /* Translators: %s names a value, such as "Server". */
      label = g_strdup_printf (_("Copy %s"), name);
      gtk_widget_set_tooltip_text (copy, label);
      gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      label, -1);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (copy), "bridge.copy");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (copy), "s", value);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), copy);
    }
  lk_ui_row_keep_words (row);
  return row;
}

static void
update_protocols (LkBridgeSection *self,
                  gboolean         enabled)
{
  g_autoptr(LkBridgeSettings) settings = NULL;
  g_autoptr(GError) error = NULL;
  LkProtocolFlags protocols = served_protocols (self->account);

  for (guint i = 0; i < self->protocol_rows->len; i++)
    adw_preferences_group_remove (self->group, g_ptr_array_index (self->protocol_rows, i));
  g_ptr_array_set_size (self->protocol_rows, 0);
  memset (self->rows, 0, sizeof self->rows);
  if (!enabled)
    return;

  /* Without a running bridge: where bridge.json says it will listen. */
  if (self->status == NULL)
    {
      settings = lk_bridge_settings_load (NULL, &error);
      if (settings == NULL)
        g_debug ("bridge.json is not read: %s", error->message);
    }
  if (settings == NULL)
    settings = lk_bridge_settings_new_default ();
  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    {
      g_autoptr(LkBridgeEndpoint) endpoint = NULL;
      g_autofree char *port = NULL;
      g_autofree char *where = NULL;
      GtkWidget *row;

      if ((protocols & (1u << p)) == 0)
        continue;
      endpoint = lk_bridge_client_find_listener (self->status, settings, p);
      row = adw_expander_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), lk_ui_protocol_title (p));
      if (endpoint == NULL)
        {
          adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row),
                                         _("The bridge does not listen for it: add a listener "
                                           "in bridge.json"));
          lk_ui_expander_row_set_has_details (ADW_EXPANDER_ROW (row), FALSE);
        }
      else
        {
          port = g_strdup_printf ("%u", endpoint->port);
          where = lk_bridge_endpoint_to_string (endpoint, endpoint->port);
          adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), where);
          adw_expander_row_add_row (ADW_EXPANDER_ROW (row),
                                    value_row_new (_("Server"), endpoint->address, TRUE));
          adw_expander_row_add_row (ADW_EXPANDER_ROW (row), value_row_new (_("Port"), port, TRUE));
          adw_expander_row_add_row (ADW_EXPANDER_ROW (row),
                                    value_row_new (_("Security"),
                                                   security_label (endpoint->security), FALSE));
          adw_expander_row_add_row (ADW_EXPANDER_ROW (row),
                                    value_row_new (_("User Name"), self->account->email, TRUE));
        }
      lk_ui_row_keep_words (row);
      adw_preferences_group_add (self->group, row);
      g_ptr_array_add (self->protocol_rows, row);
      self->rows[p] = ADW_EXPANDER_ROW (row);
    }
}

/* This account's entry in the running bridge's status. */
static JsonObject *
find_account_status (LkBridgeSection *self)
{
  JsonArray *accounts;

  if (self->status == NULL || !json_object_has_member (self->status, "accounts"))
    return NULL;
  accounts = json_object_get_array_member (self->status, "accounts");
  for (guint i = 0; accounts != NULL && i < json_array_get_length (accounts); i++)
    {
      JsonObject *entry = json_array_get_object_element (accounts, i);

      if (entry != NULL &&
          g_strcmp0 (lk_json_get_string_or (entry, "email", ""),
                     self->account->email) == 0)
        return entry;
    }
  return NULL;
}

static void
set_state (LkBridgeSection *self,
           char            *state)
{
  g_free (self->state);
  self->state = state;
  adw_action_row_set_subtitle (self->state_row, state != NULL ? state : "");
}

static void
update_state (LkBridgeSection *self)
{
  JsonObject *entry = find_account_status (self);
  const char *last_error = NULL;
  guint sessions;
  g_autofree char *running = NULL;

  if (self->cancellable != NULL)
    {
      set_state (self, g_strdup (_("Asking the bridge…")));
      return;
    }
  if (self->status == NULL)
    {
      /* self->state already says why (not running, or the error). */
      adw_action_row_set_subtitle (self->state_row, self->state != NULL ? self->state : "");
      return;
    }
  sessions = entry != NULL ? lk_json_get_int (entry, "sessions", 0) : 0;
  if (entry != NULL)
    last_error = lk_json_get_string (entry, "last_error");
  /* Translators: how many programs are connected through the bridge now. */
  running = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Running, %u program connected",
                                          "Running, %u programs connected", sessions),
                             sessions);
  if (last_error != NULL)
    /* Translators: the bridge's state, then the account's last error there. */
    set_state (self, g_strdup_printf (_("%s; last error: %s"), running, last_error));
  else
    set_state (self, g_steal_pointer (&running));
}

static void
update (LkBridgeSection *self)
{
  g_autoptr(LkBridgeUser) user = NULL;
  gboolean enabled;

  if (self->account == NULL)
    return;
  user = lookup_user (self);
  enabled = user != NULL && user->enabled;
  self->updating = TRUE;
  gtk_switch_set_active (self->enable_switch, enabled);
  self->updating = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->state_row), enabled);
  gtk_widget_set_visible (GTK_WIDGET (self->autostart_row), enabled);
  self->updating = TRUE;
  gtk_switch_set_active (self->autostart_switch, lk_bridge_autostart_get_enabled ());
  self->updating = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->password_row), enabled);
  if (self->password != NULL)
    adw_action_row_set_subtitle (self->password_row, self->password);
  else
    adw_action_row_set_subtitle (self->password_row,
                                 _("Shown only when it is made. Forgot it? Make a new one."));
  gtk_widget_set_visible (self->copy_password_button, self->password != NULL);
  update_state (self);
  update_protocols (self, enabled);
}

static void
status_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(LkBridgeSection) self = user_data;
  g_autoptr(GError) error = NULL;
  JsonObject *status = lk_bridge_client_request_finish (result, &error);

  if (status == NULL && lk_error_is_cancelled (error))
    return;
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->status, json_object_unref);
  self->status = status;
  if (status == NULL && lk_bridge_client_is_not_running (error))
    set_state (self, g_strdup (_("Not running. It starts with “latchkey-cli bridge run”, or at "
                                 "login with “systemctl --user enable --now latchkey-bridge”.")));
  else if (status == NULL)
    set_state (self, lk_ui_error_message (error));
  update (self);
}

/* Asks the running bridge how it is, or sees that none runs. */
static void
ask_status (LkBridgeSection *self)
{
  lk_ui_bridge_request (&self->cancellable, "status", status_cb, g_object_ref (self));
}

static void
reloaded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(LkBridgeSection) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = lk_bridge_client_request_finish (result, &error);

  /* Not running: it reads the logins when it starts. */
  if (reply == NULL && !lk_error_is_cancelled (error) &&
      !lk_bridge_client_is_not_running (error))
    lk_ui_toast_error (GTK_WIDGET (self), error->message);
  if (self->account != NULL)
    ask_status (self);
}

/* The logins changed: a running bridge reads them again. */
static void
reload_bridge (LkBridgeSection *self)
{
  lk_ui_bridge_request (&self->cancellable, "reload", reloaded_cb, g_object_ref (self));
  update (self);
}

/**
 * lk_bridge_section_set_enabled:
 *
 * What the switch does: serves the account through the bridge with a new
 * password (shown once), or stops serving it and keeps its password for
 * when it is switched on again.
 */
void
lk_bridge_section_set_enabled (LkBridgeSection *self,
                               gboolean         enabled)
{
  g_autoptr(GError) error = NULL;
  gboolean done;

  g_return_if_fail (LK_IS_BRIDGE_SECTION (self));
  g_return_if_fail (self->account != NULL);

  if (enabled)
    {
      g_autofree char *password = NULL;

      done = lk_bridge_credentials_enable (self->credentials, self->account->email,
                                           served_protocols (self->account), &password, &error);
      if (done && password != NULL)
        {
          forget_password (self);
          self->password = g_steal_pointer (&password);
        }
    }
  else
    {
      done = lk_bridge_credentials_disable (self->credentials, self->account->email, &error);
      forget_password (self);
    }
  if (!done)
    {
      lk_ui_toast_error (GTK_WIDGET (self), error->message);
      update (self);
      return;
    }
  reload_bridge (self);
}

static void
autostart_set_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(LkBridgeSection) self = user_data;
  g_autoptr(GError) error = NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->autostart_switch), TRUE);
  if (!lk_bridge_autostart_set_finish (result, &error))
    lk_ui_toast_error (GTK_WIDGET (self), error->message);
  /* The switch says what is, whether or not the change worked; a bridge
   * started just now is running a moment later. */
  update (self);
  ask_status (self);
}

static void
lk_bridge_section_autostart_cb (LkBridgeSection *self)
{
  if (self->updating)
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->autostart_switch), FALSE);
  lk_bridge_autostart_set_async (gtk_switch_get_active (self->autostart_switch), NULL,
                                 autostart_set_cb, g_object_ref (self));
}

static void
lk_bridge_section_switch_cb (LkBridgeSection *self)
{
  if (self->updating || self->account == NULL)
    return;
  lk_bridge_section_set_enabled (self, gtk_switch_get_active (self->enable_switch));
}

/**
 * lk_bridge_section_new_password:
 *
 * Replaces the account's bridge password at once (the old one stops
 * working) and shows the new one.
 */
void
lk_bridge_section_new_password (LkBridgeSection *self)
{
  g_autoptr(GError) error = NULL;
  char *password;

  g_return_if_fail (LK_IS_BRIDGE_SECTION (self));
  g_return_if_fail (self->account != NULL);

  password = lk_bridge_credentials_reset_password (self->credentials, self->account->email,
                                                   &error);
  if (password == NULL)
    {
      lk_ui_toast_error (GTK_WIDGET (self), error->message);
      return;
    }
  forget_password (self);
  self->password = password;
  reload_bridge (self);
}

static void
new_password_response_cb (AdwMessageDialog *dialog,
                          const char       *response,
                          LkBridgeSection  *self)
{
  if (g_str_equal (response, "new") && self->account != NULL)
    lk_bridge_section_new_password (self);
}

static void
lk_bridge_section_new_password_action (GtkWidget  *widget,
                                       const char *action_name,
                                       GVariant   *parameter)
{
  LkBridgeSection *self = LK_BRIDGE_SECTION (widget);
  GtkWidget *dialog;

  if (self->account == NULL)
    return;
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                   _("Make a New Password?"),
                                   _("The password used now stops working at once. Each program "
                                     "that uses it needs the new one."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "new", _("_New Password"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "new",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (new_password_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
lk_bridge_section_copy_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  lk_ui_copy_text (widget, g_variant_get_string (parameter, NULL), _("Copied"));
}

static void
lk_bridge_section_copy_password_action (GtkWidget  *widget,
                                        const char *action_name,
                                        GVariant   *parameter)
{
  LkBridgeSection *self = LK_BRIDGE_SECTION (widget);

  if (self->password != NULL)
    lk_ui_copy_text (widget, self->password, _("Password copied"));
}

/**
 * lk_bridge_section_set_account:
 *
 * Shows the bridge for @account, and asks the running bridge how it is. A
 * password shown for another account is forgotten.
 */
void
lk_bridge_section_set_account (LkBridgeSection *self,
                               LkAccount       *account)
{
  g_return_if_fail (LK_IS_BRIDGE_SECTION (self));
  g_return_if_fail (account != NULL);

  if (self->account == NULL || g_strcmp0 (self->account->email, account->email) != 0)
    forget_password (self);
  if (account != self->account)
    {
      g_clear_pointer (&self->account, lk_account_unref);
      self->account = lk_account_ref (account);
    }
  ask_status (self);
  update (self);
}

gboolean
lk_bridge_section_get_enabled (LkBridgeSection *self)
{
  g_return_val_if_fail (LK_IS_BRIDGE_SECTION (self), FALSE);
  return gtk_switch_get_active (self->enable_switch);
}

/* The password as shown, right after it was made; %NULL otherwise. */
const char *
lk_bridge_section_get_password (LkBridgeSection *self)
{
  g_return_val_if_fail (LK_IS_BRIDGE_SECTION (self), NULL);
  return self->password;
}

/* What the state row says: running, not running, or why it is not known. */
const char *
lk_bridge_section_get_state (LkBridgeSection *self)
{
  g_return_val_if_fail (LK_IS_BRIDGE_SECTION (self), NULL);
  return self->state;
}

/* Whether the bridge is being asked. */
gboolean
lk_bridge_section_get_busy (LkBridgeSection *self)
{
  g_return_val_if_fail (LK_IS_BRIDGE_SECTION (self), FALSE);
  return self->cancellable != NULL;
}

AdwExpanderRow *
lk_bridge_section_get_protocol_row (LkBridgeSection *self,
                                    LkProtocol       protocol)
{
  g_return_val_if_fail (LK_IS_BRIDGE_SECTION (self), NULL);
  g_return_val_if_fail (protocol < LK_N_PROTOCOLS, NULL);
  return self->rows[protocol];
}

static void
lk_bridge_section_dispose (GObject *object)
{
  LkBridgeSection *self = LK_BRIDGE_SECTION (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  forget_password (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_BRIDGE_SECTION);
  lk_ui_unparent_children (GTK_WIDGET (self));
  g_clear_pointer (&self->protocol_rows, g_ptr_array_unref);
  g_clear_pointer (&self->status, json_object_unref);
  g_clear_pointer (&self->state, g_free);
  g_clear_pointer (&self->account, lk_account_unref);
  g_clear_object (&self->credentials);

  G_OBJECT_CLASS (lk_bridge_section_parent_class)->dispose (object);
}

static void
lk_bridge_section_class_init (LkBridgeSectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_bridge_section_dispose;

  lk_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/lk-bridge-section.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, LkBridgeSection, group);
  gtk_widget_class_bind_template_child (widget_class, LkBridgeSection, enable_row);
  gtk_widget_class_bind_template_child (widget_class, LkBridgeSection, enable_switch);
  gtk_widget_class_bind_template_child (widget_class, LkBridgeSection, state_row);
  gtk_widget_class_bind_template_child (widget_class, LkBridgeSection, autostart_row);
  gtk_widget_class_bind_template_child (widget_class, LkBridgeSection, autostart_switch);
  gtk_widget_class_bind_template_child (widget_class, LkBridgeSection, password_row);
  gtk_widget_class_bind_template_child (widget_class, LkBridgeSection, copy_password_button);
  gtk_widget_class_bind_template_callback (widget_class, lk_bridge_section_switch_cb);
  gtk_widget_class_bind_template_callback (widget_class, lk_bridge_section_autostart_cb);

  gtk_widget_class_install_action (widget_class, "bridge.copy", "s",
                                   lk_bridge_section_copy_action);
  gtk_widget_class_install_action (widget_class, "bridge.copy-password", NULL,
                                   lk_bridge_section_copy_password_action);
  gtk_widget_class_install_action (widget_class, "bridge.new-password", NULL,
                                   lk_bridge_section_new_password_action);
}

static void
lk_bridge_section_init (LkBridgeSection *self)
{
  self->protocol_rows = g_ptr_array_new ();
  self->credentials = lk_bridge_credentials_new (NULL);
  gtk_widget_init_template (GTK_WIDGET (self));
}
