/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bridge/lk-bridge-client.h"
#include "bridge/lk-bridge-device-sheet.h"
#include "lk-devices-page.h"
#include "lk-error.h"
#include "lk-token-set.h"
#include "lk-ui-init.h"
#include "lk-ui-util.h"
#include "store/lk-account-store.h"

/**
 * LkDevicesPage:
 *
 * The IT window's printers and scanners of the office bridge
 * (doc/bridge-office.md, "Devices"): each device with its account,
 * protocols, when the running bridge last saw it, its messages today and
 * its last error (the control socket's `status`; when no bridge runs, what
 * the logins file says, lk_bridge_describe_devices()), Remove and New
 * Password per device, the setup sheet again (without its password, which
 * the bridge does not keep), and a form that adds one. Adding or resetting shows
 * the setup sheet (LkBridgeDeviceSheet, as `latchkey-cli bridge device add`
 * prints it) once, with its password, copy buttons and Print… (a
 * GtkPrintOperation, which also saves a PDF). Every change goes through
 * core's LkBridgeCredentials; a running bridge is told to reload.
 * While the page is on screen it asks again every 30 seconds, so that
 * "last seen" and "messages today" keep up with the printers; the timer
 * stops when the page is hidden.
 * Permission Steps asks the window, which holds the app's values, for a
 * device's Exchange steps (#LkDevicesPage::permission-steps).
 */
struct _LkDevicesPage
{
  GtkWidget            parent_instance;

  /* Template children */
  GtkWidget           *sheet_box;
  AdwPreferencesGroup *sheet_group;
  AdwPreferencesGroup *devices_group;
  AdwActionRow        *empty_row;
  AdwEntryRow         *name_row;
  AdwComboRow         *account_row;
  GtkCheckButton      *smtp_check;
  GtkCheckButton      *imap_check;
  GtkCheckButton      *pop_check;
  AdwEntryRow         *sender_row;
  GtkSpinButton       *cap_spin;

  LkBridgeCredentials *credentials;
  GtkStringList       *accounts;       /* the account row's model */
  JsonObject          *status;         /* nullable: the running bridge's */
  char                *state;          /* nullable: why nothing runs */
  LkBridgeDeviceSheet *sheet;          /* nullable: shown, with its password */
  GCancellable        *cancellable;    /* the status or reload request */
  GPtrArray           *device_rows;    /* added to devices_group */
  GPtrArray           *sheet_rows;     /* added to sheet_group */
  guint                refresh_interval; /* seconds */
  guint                refresh_id;     /* the timer while mapped, or 0 */
};

#define DEFAULT_REFRESH_INTERVAL_S 30

G_DEFINE_FINAL_TYPE (LkDevicesPage, lk_devices_page, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_PERMISSION_STEPS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

GtkWidget *
lk_devices_page_new (void)
{
  return g_object_new (LK_TYPE_DEVICES_PAGE, NULL);
}

static void
clear_rows (AdwPreferencesGroup *group,
            GPtrArray           *rows)
{
  for (guint i = 0; i < rows->len; i++)
    adw_preferences_group_remove (group, g_ptr_array_index (rows, i));
  g_ptr_array_set_size (rows, 0);
}

/* The password leaves memory as soon as the sheet is closed. */
static void
close_sheet (LkDevicesPage *self)
{
  g_clear_pointer (&self->sheet, lk_bridge_device_sheet_free);
  clear_rows (self->sheet_group, self->sheet_rows);
  gtk_widget_set_visible (self->sheet_box, FALSE);
}

static void
add_sheet_row (LkDevicesPage *self,
               const char    *title,
               const char    *value,
               const char    *copy_action)
{
  GtkWidget *row;
  GtkWidget *button;

  if (value == NULL)
    return;
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  gtk_widget_add_css_class (row, "property");
  if (copy_action != NULL)
    {
      button = gtk_button_new_from_icon_name ("edit-copy-symbolic");
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_set_tooltip_text (button, _("Copy"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      title, -1);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button), copy_action);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
    }
  adw_preferences_group_add (self->sheet_group, row);
  g_ptr_array_add (self->sheet_rows, row);
}

/* "587 (STARTTLS), 465 (TLS)", or NULL when there is neither port. */
static char *
format_ports (guint smtp_port,
              guint smtps_port)
{
  if (smtp_port != 0 && smtps_port != 0)
    /* Translators: the bridge's SMTP ports, "587 (STARTTLS), 465 (TLS)" */
    return g_strdup_printf (_("%u (STARTTLS), %u (TLS)"), smtp_port, smtps_port);
  if (smtp_port != 0)
    return g_strdup_printf (_("%u (STARTTLS)"), smtp_port);
  if (smtps_port != 0)
    return g_strdup_printf (_("%u (TLS)"), smtps_port);
  return NULL;
}

/* What `bridge device add` prints, one row per value, shown once. */
static void
show_sheet (LkDevicesPage       *self,
            LkBridgeDeviceSheet *sheet)
{
  g_autofree char *server = NULL;
  g_autofree char *ports = NULL;
  g_autofree char *legacy_ports = NULL;

  close_sheet (self);
  self->sheet = sheet;
  server = sheet->address != NULL ? g_strdup_printf ("%s (%s)", sheet->address, sheet->host_name)
                                  : g_strdup (sheet->host_name);
  ports = format_ports (sheet->smtp_port, sheet->smtps_port);
  legacy_ports = format_ports (sheet->legacy_smtp_port, sheet->legacy_smtps_port);
  adw_preferences_group_set_description (self->sheet_group, sheet->password != NULL
    ? _("Type these into the device’s web page. The password is shown only now: print the sheet "
        "or copy it before you close it.")
    : _("Type these into the device’s web page. The bridge keeps no copy of the password: "
        "New Password gives the device a new one."));
  add_sheet_row (self, _("User Name"), sheet->name, "devices.copy-name");
  add_sheet_row (self, _("Password"), sheet->password, "devices.copy-password");
  add_sheet_row (self, _("Server"), server, "devices.copy-server");
  add_sheet_row (self, _("SMTP Port"), ports, NULL);
  /* Translators: the ports of --legacy-tls and --legacy-smtps */
  add_sheet_row (self, _("SMTP Port for TLS 1.0 or 1.1 Only"), legacy_ports, NULL);
  add_sheet_row (self, _("Sends As"), sheet->sender != NULL ? sheet->sender : sheet->account, NULL);
  add_sheet_row (self, _("Certificate Fingerprint (SHA-256)"), sheet->fingerprint, NULL);
  gtk_widget_set_visible (self->sheet_box, TRUE);
}

static LkBridgeDeviceSheet *
new_sheet (LkDevicesPage *self,
           const char    *name,
           const char    *password)
{
  g_autoptr(LkBridgeUser) device = lk_bridge_credentials_lookup (self->credentials, name);

  if (device == NULL)
    return NULL;
  return lk_bridge_device_sheet_new (device, password, self->status);
}

static char *
describe_device (JsonObject *device)
{
  g_autoptr(GString) text = g_string_new (json_object_get_string_member_with_default (device, "account", ""));
  JsonNode *node = json_object_get_member (device, "protocols");
  JsonArray *protocols = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  g_autoptr(GDateTime) seen = NULL;
  guint today;

  for (guint i = 0; protocols != NULL && i < json_array_get_length (protocols); i++)
    {
      g_autofree char *upper = g_ascii_strup (json_array_get_string_element (protocols, i), -1);

      g_string_append_printf (text, i == 0 ? " · %s" : ", %s", upper);
    }
  if (!json_object_get_boolean_member_with_default (device, "enabled", TRUE))
    /* Translators: a device's row when IT switched it off (its switch) */
    g_string_append_printf (text, " · %s", _("Switched off: its logins are refused"));
  node = json_object_get_member (device, "last_seen");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
    seen = g_date_time_new_from_iso8601 (json_node_get_string (node), NULL);
  today = json_object_get_int_member_with_default (device, "messages_today", 0);
  if (seen != NULL)
    {
      g_autofree char *age = lk_ui_format_age (g_date_time_to_unix (seen),
                                               g_get_real_time () / G_USEC_PER_SEC);

      g_string_append_c (text, '\n');
      /* Translators: "last seen 5 minutes ago" */
      g_string_append_printf (text, _("last seen %s"), age);
      g_string_append (text, " · ");
      g_string_append_printf (text, ngettext ("%u message today", "%u messages today", today),
                              today);
    }
  else if (today > 0)
    /* The bridge is not running: its file keeps the counts, not the time
     * of the last login. */
    g_string_append_printf (text, ngettext ("\n%u message today", "\n%u messages today", today),
                            today);
  else
    g_string_append_printf (text, "\n%s", _("not seen yet"));
  node = json_object_get_member (device, "locked_until");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
    {
      g_autoptr(GDateTime) until = g_date_time_new_from_iso8601 (json_node_get_string (node), NULL);
      g_autoptr(GDateTime) local = until != NULL ? g_date_time_to_local (until) : NULL;
      g_autofree char *clock = local != NULL ? g_date_time_format (local, "%H:%M") : NULL;

      if (clock != NULL)
        {
          g_string_append_c (text, '\n');
          /* Translators: %s is a time of day, "14:05" */
          g_string_append_printf (text, _("Locked out until %s: too many wrong passwords. New "
                                          "Password ends it."), clock);
        }
    }
  node = json_object_get_member (device, "last_error");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
    {
      g_string_append_c (text, '\n');
      g_string_append_printf (text, _("Last error: %s"), json_node_get_string (node));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static GtkWidget *
new_row_button (const char *icon,
                const char *tooltip,
                const char *action,
                const char *name)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  tooltip, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", name);
  return button;
}

/* What IT does to a device less often than print its sheet: behind one
 * menu button, so that at 360 px the row keeps room for the device's name
 * (four buttons and the switch left it a dozen characters a line). */
static GtkWidget *
new_row_menu (const char *name)
{
  static const struct { const char *label, *action; } items[] = {
    { N_("_Permission Steps…"), "devices.permission-steps" },
    { N_("_New Password"), "devices.new-password" },
    { N_("_Remove"), "devices.remove" },
  };
  g_autoptr(GMenu) menu = g_menu_new ();
  GtkWidget *button = gtk_menu_button_new ();
  g_autofree char *label = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (_(items[i].label), NULL);

      g_menu_item_set_action_and_target_value (item, items[i].action, g_variant_new_string (name));
      g_menu_append_item (menu, item);
    }
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "view-more-symbolic");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (button), G_MENU_MODEL (menu));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  /* Translators: the tooltip of the menu on a device's row; %s is its name */
  label = g_strdup_printf (_("More for %s"), name);
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  return button;
}

static gboolean enabled_switch_state_set_cb (GtkSwitch *enabled_switch, gboolean state,
                                             LkDevicesPage *self);

/* The row's "Enabled" switch (`bridge device enable`/`disable`), which
 * shows @enabled without switching anything itself. */
static void
show_enabled (LkDevicesPage *self,
              GtkWidget     *row,
              gboolean       enabled)
{
  GtkSwitch *enabled_switch = g_object_get_data (G_OBJECT (row), "enabled-switch");

  g_signal_handlers_block_by_func (enabled_switch, enabled_switch_state_set_cb, self);
  gtk_switch_set_active (enabled_switch, enabled);
  gtk_switch_set_state (enabled_switch, enabled);
  g_signal_handlers_unblock_by_func (enabled_switch, enabled_switch_state_set_cb, self);
}

static GtkWidget *
new_enabled_switch (LkDevicesPage *self,
                    const char    *name)
{
  GtkWidget *enabled_switch = gtk_switch_new ();

  gtk_widget_set_valign (enabled_switch, GTK_ALIGN_CENTER);
  /* Translators: the tooltip of a device's switch in the Devices list */
  gtk_widget_set_tooltip_text (enabled_switch, _("Enabled"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (enabled_switch), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Enabled"), -1);
  g_object_set_data_full (G_OBJECT (enabled_switch), "device", g_strdup (name), g_free);
  g_signal_connect_object (enabled_switch, "state-set", G_CALLBACK (enabled_switch_state_set_cb),
                           self, 0);
  return enabled_switch;
}

/* The same devices as the rows show, in the same order: then only their
 * subtitles change, and a row's buttons keep the focus. */
static gboolean
same_devices (LkDevicesPage *self,
              JsonArray     *array)
{
  guint n = 0;

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *device = json_array_get_object_element (array, i);
      const char *name = device != NULL ? json_object_get_string_member_with_default (device, "name", NULL) : NULL;

      if (name == NULL)
        continue;
      if (n >= self->device_rows->len
          || g_strcmp0 (adw_preferences_row_get_title (g_ptr_array_index (self->device_rows, n)),
                        name) != 0)
        return FALSE;
      n++;
    }
  return n == self->device_rows->len;
}

static void
update_devices (LkDevicesPage *self)
{
  g_autoptr(JsonNode) devices = NULL;
  JsonArray *array;

  devices = lk_bridge_client_dup_devices (self->status, self->credentials);
  array = JSON_NODE_HOLDS_ARRAY (devices) ? json_node_get_array (devices) : NULL;
  if (self->device_rows->len > 0 && same_devices (self, array))
    {
      guint n = 0;

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonObject *device = json_array_get_object_element (array, i);
          g_autofree char *subtitle = NULL;

          if (device == NULL || json_object_get_string_member_with_default (device, "name", NULL) == NULL)
            continue;
          subtitle = describe_device (device);
          show_enabled (self, g_ptr_array_index (self->device_rows, n),
                        json_object_get_boolean_member_with_default (device, "enabled", TRUE));
          adw_action_row_set_subtitle (g_ptr_array_index (self->device_rows, n++), subtitle);
        }
      adw_preferences_group_set_description (self->devices_group, self->state);
      return;
    }
  clear_rows (self->devices_group, self->device_rows);
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *device = json_array_get_object_element (array, i);
      const char *name = device != NULL ? json_object_get_string_member_with_default (device, "name", NULL) : NULL;
      g_autofree char *subtitle = NULL;
      GtkWidget *row;
      GtkWidget *enabled_switch;

      if (name == NULL)
        continue;
      subtitle = describe_device (device);
      row = adw_action_row_new ();
      enabled_switch = new_enabled_switch (self, name);
      g_object_set_data (G_OBJECT (row), "enabled-switch", enabled_switch);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 new_row_button ("printer-symbolic", _("Setup Sheet"),
                                                 "devices.show-sheet", name));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), new_row_menu (name));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), enabled_switch);
      show_enabled (self, row, json_object_get_boolean_member_with_default (device, "enabled", TRUE));
      adw_preferences_group_add (self->devices_group, row);
      g_ptr_array_add (self->device_rows, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->empty_row), self->device_rows->len == 0);
  adw_preferences_group_set_description (self->devices_group, self->state);
}

/* The accounts a device may send as, as the account list shows them. */
static void
update_accounts (LkDevicesPage *self)
{
  g_autoptr(LkAccountStore) store = lk_account_store_new (NULL);
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) emails = g_ptr_array_new ();

  accounts = lk_account_store_list (store, NULL, &error);
  if (accounts == NULL)
    g_debug ("No accounts for devices: %s", error->message);
  for (guint i = 0; accounts != NULL && i < accounts->len; i++)
    g_ptr_array_add (emails, ((LkAccount *) g_ptr_array_index (accounts, i))->email);
  g_ptr_array_add (emails, NULL);
  gtk_string_list_splice (self->accounts, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->accounts)),
                          (const char * const *) emails->pdata);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "devices.add", emails->len > 1);
}

static void
status_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(LkDevicesPage) self = user_data;
  g_autoptr(GError) error = NULL;
  JsonObject *status = lk_bridge_client_request_finish (result, &error);

  if (status == NULL && lk_error_is_cancelled (error))
    return;
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->status, json_object_unref);
  g_clear_pointer (&self->state, g_free);
  self->status = status;
  if (status == NULL && lk_bridge_client_is_not_running (error))
    self->state = g_strdup (_("The bridge is not running, so this is what its files say. It starts "
                              "with “latchkey-cli bridge run”."));
  else if (status == NULL)
    self->state = lk_ui_error_message (error);
  update_devices (self);
}

/**
 * lk_devices_page_refresh:
 *
 * Reads the accounts and the devices again and asks the running bridge
 * how each device is doing.
 */
void
lk_devices_page_refresh (LkDevicesPage *self)
{
  g_return_if_fail (LK_IS_DEVICES_PAGE (self));

  update_accounts (self);
  update_devices (self);
  lk_ui_bridge_request (&self->cancellable, "status", status_cb, g_object_ref (self));
}

static gboolean
refresh_cb (gpointer user_data)
{
  LkDevicesPage *self = user_data;

  /* A request under way (a change, or the last tick's) answers soon. */
  if (self->cancellable == NULL)
    {
      update_devices (self);
      lk_ui_bridge_request (&self->cancellable, "status", status_cb, g_object_ref (self));
    }
  return G_SOURCE_CONTINUE;
}

static void
start_refreshing (LkDevicesPage *self)
{
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  self->refresh_id = g_timeout_add_seconds (self->refresh_interval, refresh_cb, self);
  g_source_set_name_by_id (self->refresh_id, "[latchkey] devices page refresh");
}

/**
 * lk_devices_page_set_refresh_interval:
 * @seconds: how often the page asks the bridge again while it is on
 *   screen (30 by default)
 */
void
lk_devices_page_set_refresh_interval (LkDevicesPage *self,
                                      guint          seconds)
{
  g_return_if_fail (LK_IS_DEVICES_PAGE (self));
  g_return_if_fail (seconds > 0);

  self->refresh_interval = seconds;
  if (self->refresh_id != 0)
    start_refreshing (self);
}

/* Returns: whether the page is asking again every few seconds (it is on
 * screen) */
gboolean
lk_devices_page_get_refreshing (LkDevicesPage *self)
{
  g_return_val_if_fail (LK_IS_DEVICES_PAGE (self), FALSE);

  return self->refresh_id != 0;
}

static void
lk_devices_page_map (GtkWidget *widget)
{
  LkDevicesPage *self = LK_DEVICES_PAGE (widget);

  GTK_WIDGET_CLASS (lk_devices_page_parent_class)->map (widget);
  /* Shown again after a while: what it shows may be old already. */
  refresh_cb (self);
  start_refreshing (self);
}

static void
lk_devices_page_unmap (GtkWidget *widget)
{
  LkDevicesPage *self = LK_DEVICES_PAGE (widget);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  GTK_WIDGET_CLASS (lk_devices_page_parent_class)->unmap (widget);
}

static void
reloaded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(LkDevicesPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = lk_bridge_client_request_finish (result, &error);

  if (reply == NULL && lk_error_is_cancelled (error))
    return;
  /* Not running: it reads the logins when it starts. */
  if (reply == NULL && !lk_bridge_client_is_not_running (error))
    lk_ui_toast_error (GTK_WIDGET (self), error->message);
  g_clear_object (&self->cancellable);
  lk_devices_page_refresh (self);
}

/* The logins changed: a running bridge reads them again. */
static void
reload_bridge (LkDevicesPage *self)
{
  update_devices (self);
  lk_ui_bridge_request (&self->cancellable, "reload", reloaded_cb, g_object_ref (self));
}

/**
 * lk_devices_page_add_device:
 *
 * Adds a device as `latchkey-cli bridge device add` does and shows its
 * setup sheet; says what is wrong otherwise.
 *
 * Returns: whether it was added
 */
gboolean
lk_devices_page_add_device (LkDevicesPage            *self,
                            const LkBridgeDeviceSpec *spec)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  LkBridgeDeviceSheet *sheet;

  g_return_val_if_fail (LK_IS_DEVICES_PAGE (self), FALSE);

  if (!lk_bridge_credentials_add_device (self->credentials, spec, &password, &error))
    {
      g_autofree char *message = lk_ui_error_message (error);

      lk_ui_toast_error (GTK_WIDGET (self), message);
      return FALSE;
    }
  sheet = new_sheet (self, spec->name, password);
  lk_secret_wipe (g_steal_pointer (&password));
  if (sheet != NULL)
    show_sheet (self, sheet);
  reload_bridge (self);
  return TRUE;
}

static void
lk_devices_page_add_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  LkDevicesPage *self = LK_DEVICES_PAGE (widget);
  GtkStringObject *account = adw_combo_row_get_selected_item (self->account_row);
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  g_autofree char *sender = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->sender_row))));
  LkBridgeDeviceSpec spec = { 0 };

  if (account == NULL)
    {
      lk_ui_toast_error (widget, _("Add the account the device sends as first, in the main "
                                   "window."));
      return;
    }
  if (gtk_check_button_get_active (self->smtp_check))
    spec.protocols |= LK_PROTOCOL_FLAG_SMTP;
  if (gtk_check_button_get_active (self->imap_check))
    spec.protocols |= LK_PROTOCOL_FLAG_IMAP;
  if (gtk_check_button_get_active (self->pop_check))
    spec.protocols |= LK_PROTOCOL_FLAG_POP;
  spec.name = name;
  spec.account = gtk_string_object_get_string (account);
  spec.sender = sender[0] != '\0' ? sender : NULL;
  spec.max_per_hour = (guint) gtk_spin_button_get_value_as_int (self->cap_spin);
  if (lk_devices_page_add_device (self, &spec))
    {
      gtk_editable_set_text (GTK_EDITABLE (self->name_row), "");
      gtk_editable_set_text (GTK_EDITABLE (self->sender_row), "");
    }
}

static void
remove_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  LkDevicesPage *self = LK_DEVICES_PAGE (user_data);
  const char *name = g_object_get_data (G_OBJECT (dialog), "device");
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "remove") != 0)
    return;
  if (!lk_bridge_credentials_remove (self->credentials, name, &error))
    {
      g_autofree char *message = lk_ui_error_message (error);

      lk_ui_toast_error (GTK_WIDGET (self), message);
      return;
    }
  if (self->sheet != NULL && g_strcmp0 (self->sheet->name, name) == 0)
    close_sheet (self);
  reload_bridge (self);
}

/**
 * lk_devices_page_remove_device:
 *
 * Asks whether to remove the device @name; its password stops working at
 * once when the answer is Remove.
 */
void
lk_devices_page_remove_device (LkDevicesPage *self,
                               const char    *name)
{
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  g_return_if_fail (LK_IS_DEVICES_PAGE (self));

  /* Translators: %s is a device's name. */
  heading = g_strdup_printf (_("Remove %s?"), name);
  dialog = lk_ui_confirm_removal_new (GTK_WIDGET (self), heading,
                                      _("Its password stops working at once: the device cannot "
                                        "send mail through the bridge any more."));
  g_object_set_data_full (G_OBJECT (dialog), "device", g_strdup (name), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
lk_devices_page_remove_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  lk_devices_page_remove_device (LK_DEVICES_PAGE (widget), g_variant_get_string (parameter, NULL));
}

/**
 * lk_devices_page_new_password:
 *
 * Gives the device @name a new password, as `bridge device reset` does,
 * and shows its setup sheet with it; the old password stops working.
 */
void
lk_devices_page_new_password (LkDevicesPage *self,
                              const char    *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  LkBridgeDeviceSheet *sheet;

  g_return_if_fail (LK_IS_DEVICES_PAGE (self));

  password = lk_bridge_credentials_reset_password (self->credentials, name, &error);
  if (password == NULL)
    {
      g_autofree char *message = lk_ui_error_message (error);

      lk_ui_toast_error (GTK_WIDGET (self), message);
      return;
    }
  sheet = new_sheet (self, name, password);
  lk_secret_wipe (g_steal_pointer (&password));
  if (sheet != NULL)
    show_sheet (self, sheet);
  reload_bridge (self);
}

/**
 * lk_devices_page_set_device_enabled:
 *
 * Switches the device @name on or off, as `bridge device enable` and
 * `disable` do: its record changes, the running bridge is told, and its
 * row says so. Says what went wrong otherwise.
 *
 * Returns: whether it was done
 */
gboolean
lk_devices_page_set_device_enabled (LkDevicesPage *self,
                                    const char    *name,
                                    gboolean       enabled)
{
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (LK_IS_DEVICES_PAGE (self), FALSE);

  if (!lk_bridge_credentials_set_enabled (self->credentials, name, enabled, &error))
    {
      g_autofree char *message = lk_ui_error_message (error);

      lk_ui_toast_error (GTK_WIDGET (self), message);
      /* The rows show the record as it is. */
      update_devices (self);
      return FALSE;
    }
  reload_bridge (self);
  return TRUE;
}

/* Returns TRUE: whatever happened, update_devices() (through
 * reload_bridge()) set the switch to the record's state, so the default
 * handler must not. */
static gboolean
enabled_switch_state_set_cb (GtkSwitch     *enabled_switch,
                             gboolean       state,
                             LkDevicesPage *self)
{
  const char *name = g_object_get_data (G_OBJECT (enabled_switch), "device");

  lk_devices_page_set_device_enabled (self, name, state);
  return TRUE;
}

static void
lk_devices_page_new_password_action (GtkWidget  *widget,
                                     const char *action_name,
                                     GVariant   *parameter)
{
  lk_devices_page_new_password (LK_DEVICES_PAGE (widget), g_variant_get_string (parameter, NULL));
}

/* The sheet again, to print it once more: without a password, which the
 * bridge does not keep. */
static void
lk_devices_page_show_sheet_action (GtkWidget  *widget,
                                   const char *action_name,
                                   GVariant   *parameter)
{
  LkDevicesPage *self = LK_DEVICES_PAGE (widget);
  g_autoptr(GError) error = NULL;
  LkBridgeDeviceSheet *sheet;

  if (!lk_bridge_credentials_load (self->credentials, &error))
    {
      g_autofree char *message = lk_ui_error_message (error);

      lk_ui_toast_error (widget, message);
      return;
    }
  sheet = new_sheet (self, g_variant_get_string (parameter, NULL), NULL);
  if (sheet != NULL)
    show_sheet (self, sheet);
}

/* The protocols the chosen account's provider has servers for, as
 * `bridge device add` insists. */
static void
account_selected_cb (LkDevicesPage *self)
{
  GtkStringObject *item = adw_combo_row_get_selected_item (self->account_row);
  g_autoptr(LkAccountStore) store = NULL;
  g_autoptr(LkAccount) account = NULL;
  LkProtocolFlags offered = LK_PROTOCOL_FLAG_ALL;
  struct { GtkCheckButton *check; LkProtocolFlags flag; } checks[] = {
    { self->smtp_check, LK_PROTOCOL_FLAG_SMTP },
    { self->imap_check, LK_PROTOCOL_FLAG_IMAP },
    { self->pop_check, LK_PROTOCOL_FLAG_POP },
  };

  if (item != NULL)
    {
      store = lk_account_store_new (NULL);
      account = lk_account_store_load (store, gtk_string_object_get_string (item), NULL);
    }
  if (account != NULL)
    offered = lk_provider_get_protocols (account->provider);
  for (guint i = 0; i < G_N_ELEMENTS (checks); i++)
    {
      gboolean has = (offered & checks[i].flag) != 0;

      gtk_widget_set_sensitive (GTK_WIDGET (checks[i].check), has);
      if (!has)
        gtk_check_button_set_active (checks[i].check, FALSE);
    }
}

static void
lk_devices_page_permission_steps_action (GtkWidget  *widget,
                                         const char *action_name,
                                         GVariant   *parameter)
{
  g_signal_emit (widget, signals[SIGNAL_PERMISSION_STEPS], 0,
                 g_variant_get_string (parameter, NULL));
}

static void
lk_devices_page_done_action (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  close_sheet (LK_DEVICES_PAGE (widget));
}

static void
lk_devices_page_copy_action (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  LkDevicesPage *self = LK_DEVICES_PAGE (widget);

  if (self->sheet == NULL)
    return;
  if (g_str_equal (action_name, "devices.copy-name"))
    lk_ui_copy_text (widget, self->sheet->name, _("User name copied"));
  else if (g_str_equal (action_name, "devices.copy-password") && self->sheet->password != NULL)
    lk_ui_copy_text (widget, self->sheet->password, _("Password copied"));
  else if (g_str_equal (action_name, "devices.copy-server"))
    lk_ui_copy_text (widget, self->sheet->address != NULL ? self->sheet->address
                                                          : self->sheet->host_name,
                     _("Server copied"));
}

/* The sheet's text on one page; it is short enough for A4 and Letter. A
 * line wider than the page (the fingerprint) shrinks the whole sheet
 * rather than break, so that what IT compares stays on one line. */
static void
draw_page_cb (GtkPrintOperation *operation,
              GtkPrintContext   *context,
              int                page_nr,
              gpointer          user_data)
{
  const char *text = user_data;
  cairo_t *cr = gtk_print_context_get_cairo_context (context);
  g_autoptr(PangoLayout) layout = gtk_print_context_create_pango_layout (context);
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string ("Monospace 10");
  double page_width = gtk_print_context_get_width (context);
  int width, height;

  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_size (layout, &width, &height);
  if (width > 0 && width / (double) PANGO_SCALE > page_width)
    {
      double scale = page_width / (width / (double) PANGO_SCALE);

      cairo_scale (cr, scale, scale);
    }
  cairo_move_to (cr, 0, 0);
  pango_cairo_show_layout (cr, layout);
}

static void
wipe_text (gpointer data)
{
  lk_secret_wipe (data);
}

/**
 * lk_devices_page_print_sheet:
 * @export_filename: (nullable): save it as this PDF without asking; the
 *   print dialog otherwise
 *
 * Prints the setup sheet being shown, with its password (it was just
 * made), or saves it as PDF.
 */
void
lk_devices_page_print_sheet (LkDevicesPage *self,
                             const char    *export_filename)
{
  g_autoptr(GtkPrintOperation) operation = NULL;
  g_autoptr(GError) error = NULL;
  GtkRoot *root;
  char *text;
  g_autofree char *job = NULL;

  g_return_if_fail (LK_IS_DEVICES_PAGE (self));
  g_return_if_fail (self->sheet != NULL);

  root = gtk_widget_get_root (GTK_WIDGET (self));
  text = lk_bridge_device_sheet_to_text (self->sheet);
  operation = gtk_print_operation_new ();
  /* Translators: the print job's name, "Setup sheet for 2nd-floor-mfp" */
  job = g_strdup_printf (_("Setup sheet for %s"), self->sheet->name);
  gtk_print_operation_set_job_name (operation, job);
  gtk_print_operation_set_n_pages (operation, 1);
  gtk_print_operation_set_embed_page_setup (operation, TRUE);
  g_signal_connect_data (operation, "draw-page", G_CALLBACK (draw_page_cb), text,
                         (GClosureNotify) (void (*) (void)) wipe_text, 0);
  if (export_filename != NULL)
    gtk_print_operation_set_export_filename (operation, export_filename);
  if (gtk_print_operation_run (operation,
                               export_filename != NULL ? GTK_PRINT_OPERATION_ACTION_EXPORT
                                                       : GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG,
                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                               &error) == GTK_PRINT_OPERATION_RESULT_ERROR)
    {
      g_autofree char *message = lk_ui_error_message (error);

      lk_ui_toast_error (GTK_WIDGET (self), message);
    }
}

static void
lk_devices_page_print_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  lk_devices_page_print_sheet (LK_DEVICES_PAGE (widget), NULL);
}

const char *
lk_devices_page_get_password (LkDevicesPage *self)
{
  g_return_val_if_fail (LK_IS_DEVICES_PAGE (self), NULL);

  return self->sheet != NULL ? self->sheet->password : NULL;
}

/* Returns: (nullable): why the list is what the files say */
const char *
lk_devices_page_get_state (LkDevicesPage *self)
{
  g_return_val_if_fail (LK_IS_DEVICES_PAGE (self), NULL);

  return self->state;
}

/* Returns: whether a request to the bridge is under way */
gboolean
lk_devices_page_get_busy (LkDevicesPage *self)
{
  g_return_val_if_fail (LK_IS_DEVICES_PAGE (self), FALSE);

  return self->cancellable != NULL;
}

static void
lk_devices_page_dispose (GObject *object)
{
  LkDevicesPage *self = LK_DEVICES_PAGE (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->sheet, lk_bridge_device_sheet_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_DEVICES_PAGE);
  lk_ui_unparent_children (GTK_WIDGET (self));
  G_OBJECT_CLASS (lk_devices_page_parent_class)->dispose (object);
}

static void
lk_devices_page_finalize (GObject *object)
{
  LkDevicesPage *self = LK_DEVICES_PAGE (object);

  g_clear_object (&self->credentials);
  g_clear_object (&self->accounts);
  g_clear_pointer (&self->status, json_object_unref);
  g_free (self->state);
  g_ptr_array_unref (self->device_rows);
  g_ptr_array_unref (self->sheet_rows);
  G_OBJECT_CLASS (lk_devices_page_parent_class)->finalize (object);
}

static void
lk_devices_page_class_init (LkDevicesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_devices_page_dispose;
  object_class->finalize = lk_devices_page_finalize;
  widget_class->map = lk_devices_page_map;
  widget_class->unmap = lk_devices_page_unmap;

  /**
   * LkDevicesPage::permission-steps:
   * @name: the device's name
   *
   * Permission Steps was chosen for the device @name: the Exchange Online
   * steps that let the app send through its mailbox, which only the
   * window knows the app's values for.
   */
  signals[SIGNAL_PERMISSION_STEPS] =
    g_signal_new ("permission-steps", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  lk_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/lk-devices-page.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, LkDevicesPage, sheet_box);
  gtk_widget_class_bind_template_child (widget_class, LkDevicesPage, sheet_group);
  gtk_widget_class_bind_template_child (widget_class, LkDevicesPage, devices_group);
  gtk_widget_class_bind_template_child (widget_class, LkDevicesPage, empty_row);
  gtk_widget_class_bind_template_child (widget_class, LkDevicesPage, name_row);
  gtk_widget_class_bind_template_child (widget_class, LkDevicesPage, account_row);
  gtk_widget_class_bind_template_child (widget_class, LkDevicesPage, smtp_check);
  gtk_widget_class_bind_template_child (widget_class, LkDevicesPage, imap_check);
  gtk_widget_class_bind_template_child (widget_class, LkDevicesPage, pop_check);
  gtk_widget_class_bind_template_child (widget_class, LkDevicesPage, sender_row);
  gtk_widget_class_bind_template_child (widget_class, LkDevicesPage, cap_spin);

  gtk_widget_class_install_action (widget_class, "devices.add", NULL,
                                   lk_devices_page_add_action);
  gtk_widget_class_install_action (widget_class, "devices.remove", "s",
                                   lk_devices_page_remove_action);
  gtk_widget_class_install_action (widget_class, "devices.new-password", "s",
                                   lk_devices_page_new_password_action);
  gtk_widget_class_install_action (widget_class, "devices.show-sheet", "s",
                                   lk_devices_page_show_sheet_action);
  gtk_widget_class_install_action (widget_class, "devices.permission-steps", "s",
                                   lk_devices_page_permission_steps_action);
  gtk_widget_class_install_action (widget_class, "devices.done", NULL,
                                   lk_devices_page_done_action);
  gtk_widget_class_install_action (widget_class, "devices.print", NULL,
                                   lk_devices_page_print_action);
  gtk_widget_class_install_action (widget_class, "devices.copy-name", NULL,
                                   lk_devices_page_copy_action);
  gtk_widget_class_install_action (widget_class, "devices.copy-password", NULL,
                                   lk_devices_page_copy_action);
  gtk_widget_class_install_action (widget_class, "devices.copy-server", NULL,
                                   lk_devices_page_copy_action);
}

static void
lk_devices_page_init (LkDevicesPage *self)
{
  self->credentials = lk_bridge_credentials_new (NULL);
  self->accounts = gtk_string_list_new (NULL);
  self->device_rows = g_ptr_array_new ();
  self->sheet_rows = g_ptr_array_new ();
  self->refresh_interval = DEFAULT_REFRESH_INTERVAL_S;
  gtk_widget_init_template (GTK_WIDGET (self));
  adw_combo_row_set_model (self->account_row, G_LIST_MODEL (self->accounts));
  g_signal_connect_object (self->account_row, "notify::selected-item",
                           G_CALLBACK (account_selected_cb), self, G_CONNECT_SWAPPED);
  lk_devices_page_refresh (self);
}
