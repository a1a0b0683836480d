/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "bridge/lk-bridge-client.h"
#include "bridge/lk-bridge-credentials.h"
#include "bridge/lk-bridge-device-sheet.h"
#include "bridge/lk-bridge.h"
#include "lk-cli-bridge.h"
#include "lk-cli-commands.h"
#include "lk-error.h"
#include "lk-json.h"
#include "lk-token-set.h"
#include "store/lk-account-store.h"

/* `latchkey-cli bridge device …`: the office bridge's devices
 * (doc/bridge-office.md). Each is a login in the bridge's logins file with
 * a password of its own, for one account; the setup sheet says what to
 * type into the device. */

static void
print_sheet (const LkBridgeUser *device,
             const char         *password,
             gboolean            json)
{
  g_autoptr(GError) ignored = NULL;
  g_autoptr(JsonObject) status = lk_cli_bridge_ask ("status", &ignored);
  g_autoptr(LkBridgeDeviceSheet) sheet = lk_bridge_device_sheet_new (device, password, status);

  if (json)
    {
      g_autoptr(JsonNode) root = lk_bridge_device_sheet_to_json (sheet);

      lk_cli_bridge_print_json (root);
    }
  else
    {
      g_autofree char *text = lk_bridge_device_sheet_to_text (sheet);

      g_print ("%s", text);
      lk_secret_wipe (g_steal_pointer (&text));
    }
}

static int
device_add (int    argc,
            char **argv)
{
  static const LkCliCommand command = {
    "bridge device add", "NAME", N_("Add a printer or scanner and print its setup sheet"), NULL
  };
  g_autofree char *account_text = NULL;
  g_autofree char *protocol_text = NULL;
  g_autofree char *sender = NULL;
  int max_per_hour = 0;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &account_text,
      N_("The account the device sends as (required)"), N_("EMAIL") },
    { "protocols", 0, 0, G_OPTION_ARG_STRING, &protocol_text,
      N_("What it may use: smtp, imap, pop, separated by commas (default: smtp)"), N_("LIST") },
    { "from", 0, 0, G_OPTION_ARG_STRING, &sender,
      N_("The only sender address it may use (MAIL FROM and From:)"), N_("ADDRESS") },
    { "max-per-hour", 0, 0, G_OPTION_ARG_INT, &max_per_hour,
      N_("How many messages it may send per hour (default: no cap)"), N_("N") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  g_autoptr(LkAccountStore) store = lk_account_store_new (NULL);
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (NULL);
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(LkBridgeUser) device = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  LkBridgeDeviceSpec spec = { 0 };
  int exit_status;

  if (!lk_cli_parse (context, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 2)
    return lk_cli_usage_error (context, _("Give exactly one device name, such as 2nd-floor-mfp"));
  if (account_text == NULL)
    return lk_cli_usage_error (context, _("Say which account the device sends as: --account EMAIL"));
  if (max_per_hour < 0)
    return lk_cli_usage_error (context, _("--max-per-hour must be 0 (no cap) or more"));
  spec.protocols = LK_PROTOCOL_FLAG_SMTP;
  if (protocol_text != NULL && !lk_protocol_flags_parse (protocol_text, &spec.protocols, &error))
    return lk_cli_usage_error (context, "%s", error->message);
  account = lk_account_store_load (store, account_text, &error);
  if (account == NULL)
    {
      if (g_error_matches (error, LK_ERROR, LK_ERROR_NOT_FOUND))
        {
          g_printerr (_("%s: there is no account %s; add it with “latchkey-cli add %s” first\n"),
                      g_get_prgname (), account_text, account_text);
          return LK_EXIT_FAILURE;
        }
      return lk_cli_fail (error);
    }
  if ((spec.protocols & lk_provider_get_protocols (account->provider)) != spec.protocols)
    {
      g_autofree char *missing = lk_protocol_flags_to_string (spec.protocols & ~lk_provider_get_protocols (account->provider));

      return lk_cli_usage_error (context, _("%s has no server for %s"), account->provider->name,
                                 missing);
    }
  spec.name = argv[1];
  spec.account = account->email;
  spec.sender = sender;
  spec.max_per_hour = (guint) max_per_hour;
  if (!lk_bridge_credentials_add_device (credentials, &spec, &password, &error))
    {
      if (g_error_matches (error, LK_ERROR, LK_ERROR_INVALID_INPUT))
        return lk_cli_usage_error (context, "%s", error->message);
      return lk_cli_fail (error);
    }
  lk_cli_bridge_reload ();
  device = lk_bridge_credentials_lookup (credentials, spec.name);
  print_sheet (device, password, json);
  lk_secret_wipe (g_steal_pointer (&password));
  return fflush (stdout) == 0 ? LK_EXIT_OK : LK_EXIT_FAILURE;
}

static void
print_list_human (JsonArray *devices)
{
  if (devices == NULL || json_array_get_length (devices) == 0)
    {
      g_print ("%s\n", _("No devices; “latchkey-cli bridge device add NAME --account EMAIL” "
                         "adds one."));
      return;
    }
  for (guint i = 0; i < json_array_get_length (devices); i++)
    {
      JsonObject *device = json_array_get_object_element (devices, i);
      JsonNode *node;

      g_print ("%s  %s", lk_json_get_string_or (device, "name", "?"),
               lk_json_get_string_or (device, "account", "?"));
      node = json_object_get_member (device, "from");
      if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
        g_print (_("  only as %s"), json_node_get_string (node));
      if (lk_json_get_int (device, "max_per_hour", 0) > 0)
        /* Translators: "3 of at most 60 an hour" */
        g_print (_("  %u of at most %u an hour"),
                 (guint) lk_json_get_int (device, "messages_this_hour", 0),
                 (guint) lk_json_get_int (device, "max_per_hour", 0));
      else
        g_print (_("  %u this hour"), (guint) lk_json_get_int (device, "messages_this_hour", 0));
      if (!lk_json_get_boolean (device, "enabled", TRUE))
        g_print ("  %s", _("(disabled)"));
      node = json_object_get_member (device, "locked_until");
      if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
        g_print (_("  locked out until %s"), json_node_get_string (node));
      node = json_object_get_member (device, "last_seen");
      if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
        g_print (_("  last seen %s"), json_node_get_string (node));
      g_print ("\n");
      node = json_object_get_member (device, "last_error");
      if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
        g_print (_("    last error: %s\n"), json_node_get_string (node));
    }
}

static int
device_list (int    argc,
             char **argv)
{
  static const LkCliCommand command = {
    "bridge device list", NULL, N_("List the devices, when each was last seen and its last error"), NULL
  };
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) status = NULL;
  g_autoptr(JsonNode) devices = NULL;
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (NULL);
  int exit_status;

  if (!lk_cli_parse (context, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 1)
    return lk_cli_usage_error (context, _("bridge device list takes no argument"));
  status = lk_cli_bridge_ask ("status", &error);
  devices = lk_bridge_client_dup_devices (status, credentials);
  if (json)
    lk_cli_bridge_print_json (devices);
  else
    print_list_human (json_node_get_array (devices));
  return LK_EXIT_OK;
}

/* The device @name, or NULL having said why (and the exit status); also
 * for `admin exchange-script --device`. */
LkBridgeUser *
lk_cli_bridge_find_device (LkBridgeCredentials *credentials,
                           const char          *name,
                           int                 *out_status)
{
  g_autoptr(GError) error = NULL;
  LkBridgeUser *device;

  if (!lk_bridge_credentials_load (credentials, &error))
    {
      *out_status = lk_cli_fail (error);
      return NULL;
    }
  device = lk_bridge_credentials_lookup (credentials, name);
  if (device == NULL || device->kind != LK_BRIDGE_USER_DEVICE)
    {
      g_autofree char *said = NULL;
      g_autofree char *adapted = NULL;

      g_clear_pointer (&device, lk_bridge_user_unref);
      said = g_strdup_printf (_("there is no device %s; “latchkey-cli bridge device list” shows "
                                "them"), name);
      /* In system mode the advice says --system. */
      adapted = lk_cli_adapt_advice (said);
      g_printerr ("%s: %s\n", g_get_prgname (), adapted);
      *out_status = LK_EXIT_FAILURE;
    }
  return device;
}

/* The options and the one device's name of `remove`, `reset`, `disable`
 * and `enable`: the device, or NULL having said why (and the exit
 * status). */
static LkBridgeUser *
parse_device_command (GOptionContext       *context,
                      LkBridgeCredentials  *credentials,
                      int                  *argc,
                      char               ***argv,
                      int                  *out_status)
{
  if (!lk_cli_parse (context, argc, argv, out_status))
    return NULL;
  if (*argc != 2)
    {
      *out_status = lk_cli_usage_error (context, _("Give exactly one device name"));
      return NULL;
    }
  return lk_cli_bridge_find_device (credentials, (*argv)[1], out_status);
}

static int
device_remove (int    argc,
               char **argv)
{
  static const LkCliCommand command = {
    "bridge device remove", "NAME", N_("Remove a device: its password stops working at once"), NULL
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, NULL);
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (NULL);
  g_autoptr(LkBridgeUser) device = NULL;
  g_autoptr(GError) error = NULL;
  int exit_status;

  device = parse_device_command (context, credentials, &argc, &argv, &exit_status);
  if (device == NULL)
    return exit_status;
  if (!lk_bridge_credentials_remove (credentials, device->name, &error))
    return lk_cli_fail (error);
  lk_cli_bridge_reload ();
  g_printerr (_("Removed the device %s.\n"), device->name);
  return LK_EXIT_OK;
}

static int
device_reset (int    argc,
              char **argv)
{
  static const LkCliCommand command = {
    "bridge device reset", "NAME", N_("Give a device a new password and print its setup sheet"), NULL
  };
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (NULL);
  g_autoptr(LkBridgeUser) device = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  int exit_status;

  device = parse_device_command (context, credentials, &argc, &argv, &exit_status);
  if (device == NULL)
    return exit_status;
  password = lk_bridge_credentials_reset_password (credentials, device->name, &error);
  if (password == NULL)
    return lk_cli_fail (error);
  lk_cli_bridge_reload ();
  print_sheet (device, password, json);
  lk_secret_wipe (g_steal_pointer (&password));
  return fflush (stdout) == 0 ? LK_EXIT_OK : LK_EXIT_FAILURE;
}

static int
set_enabled (const LkCliCommand *command,
             gboolean            enabled,
             int                 argc,
             char              **argv)
{
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (command, NULL);
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (NULL);
  g_autoptr(LkBridgeUser) device = NULL;
  g_autoptr(GError) error = NULL;
  int exit_status;

  device = parse_device_command (context, credentials, &argc, &argv, &exit_status);
  if (device == NULL)
    return exit_status;
  if (!lk_bridge_credentials_set_enabled (credentials, device->name, enabled, &error))
    return lk_cli_fail (error);
  /* The bridge reads the file at each login check; the reload makes it
   * show the change in `bridge status` at once too. */
  lk_cli_bridge_reload ();
  if (enabled)
    g_printerr (_("Switched the device %s on: it logs in with the password on its setup sheet "
                  "again.\n"), device->name);
  else
    g_printerr (_("Switched the device %s off: its logins are refused until “latchkey-cli "
                  "bridge device enable %s”; mail it handed over before is still "
                  "delivered.\n"), device->name, device->name);
  return LK_EXIT_OK;
}

static int
device_disable (int    argc,
                char **argv)
{
  static const LkCliCommand command = {
    "bridge device disable", "NAME",
    N_("Switch a device off: its logins are refused, its password and settings are kept"), NULL
  };

  return set_enabled (&command, FALSE, argc, argv);
}

static int
device_enable (int    argc,
               char **argv)
{
  static const LkCliCommand command = {
    "bridge device enable", "NAME",
    N_("Switch a device on again, with the password it had"), NULL
  };

  return set_enabled (&command, TRUE, argc, argv);
}

static const LkCliCommand device_commands[] = {
  { "add", "NAME --account EMAIL", N_("Add a device and print its setup sheet"), device_add },
  { "list", NULL, N_("List the devices"), device_list },
  { "remove", "NAME", N_("Remove a device"), device_remove },
  { "reset", "NAME", N_("Give a device a new password"), device_reset },
  { "disable", "NAME", N_("Switch a device off, keeping it"), device_disable },
  { "enable", "NAME", N_("Switch a device on again"), device_enable },
};

static void
device_help (FILE *out)
{
  fprintf (out, "%s", _("Usage:\n  latchkey-cli bridge device COMMAND [OPTION…]\n\n"
                        "Printers and scanners that send mail with a user name and password: "
                        "each device logs in to the bridge on the office network with its name "
                        "and a password of its own, and sends as one account.\n\nCommands:\n"));
  lk_cli_bridge_print_commands (out, device_commands, G_N_ELEMENTS (device_commands));
  fprintf (out, "%s", _("\nSee latchkey-bridge(1), OFFICE BRIDGE.\n"));
}

int
lk_cli_bridge_device (int    argc,
                      char **argv)
{
  return lk_cli_bridge_dispatch ("bridge device", device_commands, G_N_ELEMENTS (device_commands),
                                 device_help, argc, argv);
}
