/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "bridge/lk-bridge-client.h"
#include "bridge/lk-bridge-queue.h"
#include "bridge/lk-bridge-spool.h"
#include "lk-cli-bridge.h"
#include "lk-cli-commands.h"
#include "lk-cli-context.h"
#include "lk-error.h"
#include "lk-json.h"
#include "lk-places.h"

/* `latchkey-cli bridge queue …`: what devices handed to the office bridge
 * and it has not delivered yet (doc/bridge-office.md). The running bridge
 * answers; without one, the spool folder is read (and changed) directly. */

/* {"summary": …, "messages": […]} from the spool itself. */
static JsonNode *
read_spool (void)
{
  g_autofree char *dir = lk_places_get_dir (LK_PLACE_SPOOL);
  g_autoptr(LkBridgeSpool) spool = lk_bridge_spool_new (dir);
  g_autoptr(GPtrArray) entries = lk_bridge_spool_list (spool);

  return lk_bridge_queue_describe_entries (entries);
}

static JsonObject *
ask (const char  *command,
     const char  *id,
     GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  lk_bridge_client_request_id_async (command, id, NULL, NULL, lk_cli_store_result_cb, &result);
  return lk_bridge_client_request_finish (lk_cli_wait (&result), error);
}

static void
print_human (JsonObject *queue)
{
  JsonArray *messages = json_object_get_array_member (queue, "messages");

  if (messages == NULL || json_array_get_length (messages) == 0)
    {
      g_print ("%s\n", _("The spool is empty: everything devices sent was delivered."));
      return;
    }
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *m = json_array_get_object_element (messages, i);
      JsonNode *error = json_object_get_member (m, "last_error");

      /* Translators: one queued message: its ID, device, size, time, attempts */
      g_print (_("%s  from %s  %u bytes  received %s  %u attempt(s)\n"),
               lk_json_get_string_or (m, "id", "?"),
               lk_json_get_string_or (m, "device", "?"),
               (guint) lk_json_get_int (m, "size", 0),
               lk_json_get_string_or (m, "received", "?"),
               (guint) lk_json_get_int (m, "attempts", 0));
      if (error != NULL && JSON_NODE_HOLDS_VALUE (error))
        g_print (_("    last error: %s\n"), json_node_get_string (error));
    }
}

static int
queue_list (int    argc,
            char **argv)
{
  static const LkCliCommand command = {
    "bridge queue", NULL, N_("List the messages devices sent that are not delivered yet"), NULL
  };
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonNode) root = NULL;
  int exit_status;

  if (!lk_cli_parse (context, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 1)
    return lk_cli_usage_error (context, _("bridge queue takes no argument here; its commands "
                                          "are retry and drop ID"));
  reply = ask ("queue", NULL, &error);
  if (reply == NULL)
    {
      if (!lk_bridge_client_is_not_running (error))
        return lk_cli_fail (error);
      root = read_spool ();
    }
  else
    {
      root = json_node_new (JSON_NODE_OBJECT);
      json_node_set_object (root, reply);
    }
  if (json)
    lk_cli_bridge_print_json (root);
  else
    print_human (json_node_get_object (root));
  return LK_EXIT_OK;
}

static int
queue_retry (int    argc,
             char **argv)
{
  static const LkCliCommand command = {
    "bridge queue retry", NULL, N_("Try to deliver every queued message now"), NULL
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;
  int exit_status;

  if (!lk_cli_parse (context, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 1)
    return lk_cli_usage_error (context, _("bridge queue retry takes no argument"));
  reply = ask ("queue-retry", NULL, &error);
  if (reply == NULL)
    {
      if (!lk_bridge_client_is_not_running (error))
        return lk_cli_fail (error);
      g_printerr ("%s\n", _("The bridge is not running; it delivers what the spool holds as soon "
                            "as it starts."));
      return LK_EXIT_FAILURE;
    }
  g_printerr (g_dngettext (GETTEXT_PACKAGE, "Trying %u message now.\n",
                           "Trying %u messages now.\n",
                           lk_json_get_int (reply, "count", 0)),
              (guint) lk_json_get_int (reply, "count", 0));
  return LK_EXIT_OK;
}

static int
queue_drop (int    argc,
            char **argv)
{
  static const LkCliCommand command = {
    "bridge queue drop", "ID", N_("Remove a queued message without delivering it"), NULL
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;
  int exit_status;

  if (!lk_cli_parse (context, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 2)
    return lk_cli_usage_error (context, _("Give exactly one queue ID (“latchkey-cli bridge "
                                          "queue” lists them)"));
  if (!lk_bridge_spool_id_is_valid (argv[1]))
    return lk_cli_usage_error (context, _("“%s” is not a queue ID"), argv[1]);
  reply = ask ("queue-drop", argv[1], &error);
  if (reply == NULL)
    {
      g_autofree char *dir = NULL;
      g_autoptr(LkBridgeSpool) spool = NULL;
      g_autofree char *message = NULL;

      if (!lk_bridge_client_is_not_running (error))
        return lk_cli_fail (error);
      dir = lk_places_get_dir (LK_PLACE_SPOOL);
      spool = lk_bridge_spool_new (dir);
      message = lk_bridge_spool_message_path (spool, argv[1]);
      if (!g_file_test (message, G_FILE_TEST_EXISTS))
        {
          g_printerr (_("%s: there is no message %s in the spool\n"), g_get_prgname (), argv[1]);
          return LK_EXIT_FAILURE;
        }
      g_clear_error (&error);
      if (!lk_bridge_spool_remove (spool, argv[1], &error))
        return lk_cli_fail (error);
    }
  else if (json_object_has_member (reply, "error"))
    {
      g_printerr ("%s: %s\n", g_get_prgname (),
                  lk_json_get_string_or (reply, "error", "?"));
      return LK_EXIT_FAILURE;
    }
  g_printerr (_("Dropped %s; it will not be delivered.\n"), argv[1]);
  return LK_EXIT_OK;
}

static const LkCliCommand queue_commands[] = {
  { "retry", NULL, N_("Try every queued message now"), queue_retry },
  { "drop", "ID", N_("Remove a message without delivering it"), queue_drop },
};

static void
queue_help (FILE *out)
{
  fprintf (out, "%s", _("Usage:\n  latchkey-cli bridge queue [--json]\n"
                        "  latchkey-cli bridge queue COMMAND\n\n"
                        "What devices handed to the bridge and it has not delivered yet: the "
                        "bridge tries again for a day, then reports to the sender.\n\n"
                        "Commands:\n"));
  lk_cli_bridge_print_commands (out, queue_commands, G_N_ELEMENTS (queue_commands));
  fprintf (out, "%s", _("\nSee latchkey-bridge(1), OFFICE BRIDGE.\n"));
}

int
lk_cli_bridge_queue (int    argc,
                     char **argv)
{
  if (argc < 2 || argv[1][0] == '-')
    return queue_list (argc, argv);
  return lk_cli_bridge_dispatch ("bridge queue", queue_commands, G_N_ELEMENTS (queue_commands),
                                 queue_help, argc, argv);
}
