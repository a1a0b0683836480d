/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "bridge/lk-bridge-client.h"
#include "bridge/lk-bridge-control.h"
#include "bridge/lk-bridge.h"
#include "lk-error.h"
#include "lk-json.h"

#define MAX_REPLY (1024 * 1024)
#define REQUEST_MS 10000

typedef struct
{
  char         *request;
  GByteArray   *reply;
  guint8        chunk[4096];
  GIOStream    *connection;
  GCancellable *cancellable;
  GCancellable *caller_cancellable;
  gulong        cancelled_id;
  guint         timeout;
} Request;

static void
request_free (Request *request)
{
  g_clear_handle_id (&request->timeout, g_source_remove);
  if (request->caller_cancellable != NULL)
    {
      g_cancellable_disconnect (request->caller_cancellable, request->cancelled_id);
      g_object_unref (request->caller_cancellable);
    }
  g_free (request->request);
  g_byte_array_unref (request->reply);
  if (request->connection != NULL)
    g_io_stream_close (request->connection, NULL, NULL);
  g_clear_object (&request->connection);
  g_clear_object (&request->cancellable);
  g_free (request);
}

static void
fail (GTask        *task,
      const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    g_task_return_new_error (task, LK_ERROR, LK_ERROR_NOT_FOUND,
                             _("The bridge is not running; start it with “latchkey-cli bridge "
                               "run” or “systemctl --user start latchkey-bridge”"));
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_new_error (task, LK_ERROR, LK_ERROR_TIMED_OUT,
                             _("The bridge did not answer in time"));
  else
    g_task_return_error (task, g_error_copy (error));
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  JsonNode *root;

  if (n < 0)
    {
      fail (task, error);
      return;
    }
  if (n > 0)
    {
      g_byte_array_append (request->reply, request->chunk, n);
      if (request->reply->len > MAX_REPLY)
        {
          g_task_return_new_error (task, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                                   _("The bridge answered too much"));
          return;
        }
      g_input_stream_read_async (G_INPUT_STREAM (source), request->chunk, sizeof request->chunk,
                                 G_PRIORITY_DEFAULT, request->cancellable, read_cb,
                                 g_steal_pointer (&task));
      return;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *) request->reply->data, request->reply->len,
                                   &error)
      || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                               _("The bridge’s answer was not understood"));
      return;
    }
  g_task_return_pointer (task, json_object_ref (json_node_get_object (root)),
                         (GDestroyNotify) json_object_unref);
}

static void
written_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      fail (task, error);
      return;
    }
  g_input_stream_read_async (g_io_stream_get_input_stream (request->connection), request->chunk,
                             sizeof request->chunk, G_PRIORITY_DEFAULT, request->cancellable,
                             read_cb, g_steal_pointer (&task));
}

static gboolean
timeout_cb (gpointer user_data)
{
  Request *request = user_data;

  request->timeout = 0;
  g_cancellable_cancel (request->cancellable);
  return G_SOURCE_REMOVE;
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (connection == NULL)
    {
      fail (task, error);
      return;
    }
  request->connection = G_IO_STREAM (connection);
  /* The clock starts once a bridge took the connection: with none, the
   * connect fails at once, and a caller whose main loop was busy for a
   * while (a GUI's first frame under load) must still hear "not running",
   * not "did not answer in time". */
  request->timeout = g_timeout_add (REQUEST_MS, timeout_cb, request);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (request->connection),
                                   request->request, strlen (request->request), G_PRIORITY_DEFAULT,
                                   request->cancellable, written_cb, g_steal_pointer (&task));
}

static void
caller_cancelled_cb (GCancellable *caller,
                     GCancellable *ours)
{
  g_cancellable_cancel (ours);
}

/**
 * lk_bridge_client_request_async:
 * @command: "status", "reload", "queue", "queue-retry" (see
 *   lk-bridge-control.h)
 * @socket_path: (nullable): the control socket; %NULL for the default
 *
 * Asks the running bridge. Fails with %LK_ERROR_NOT_FOUND (see
 * lk_bridge_client_is_not_running()) when there is none.
 */
void
lk_bridge_client_request_async (const char          *command,
                                const char          *socket_path,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  lk_bridge_client_request_id_async (command, NULL, socket_path, cancellable, callback, user_data);
}

/**
 * lk_bridge_client_request_id_async:
 * @id: (nullable): what the command is about ("queue-drop": a queue ID)
 *
 * As lk_bridge_client_request_async(), with {"id": @id} in the request.
 */
void
lk_bridge_client_request_id_async (const char          *command,
                                   const char          *id,
                                   const char          *socket_path,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *path = socket_path != NULL ? g_strdup (socket_path)
                                              : lk_bridge_control_default_path ();
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  Request *request = g_new0 (Request, 1);

  g_task_set_source_tag (task, lk_bridge_client_request_id_async);
  json_builder_begin_object (builder);
  lk_json_add_string (builder, "command", command);
  if (id != NULL)
    lk_json_add_string (builder, "id", id);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = lk_json_to_data (root, FALSE, NULL);
  request->request = g_strconcat (json, "\n", NULL);
  request->reply = g_byte_array_new ();
  request->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      request->caller_cancellable = g_object_ref (cancellable);
      request->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                                     request->cancellable, NULL);
    }
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);

  address = g_unix_socket_address_new (path);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address), request->cancellable,
                                 connected_cb, g_steal_pointer (&task));
}

/**
 * lk_bridge_client_request_finish:
 *
 * Returns: (transfer full): the bridge's answer
 */
JsonObject *
lk_bridge_client_request_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * lk_bridge_client_dup_devices:
 * @status: (nullable): the running bridge's `status`; %NULL when none runs
 * @credentials: the logins file, read when no bridge answered
 *
 * The office bridge's devices as `bridge device list` and the IT window
 * show them: the running bridge's, with when it last saw each and its
 * last error, or what the logins file says. Whether each is enabled
 * comes from the file in both cases: the bridge reads it at each login
 * check, so it is true at once, while @status may be from before a
 * `bridge device disable` or the IT window's switch.
 *
 * Returns: (transfer full): a JSON array (lk_bridge_describe_devices())
 */
JsonNode *
lk_bridge_client_dup_devices (JsonObject          *status,
                              LkBridgeCredentials *credentials)
{
  g_autoptr(GError) error = NULL;
  JsonNode *devices;
  JsonArray *array;

  if (status == NULL || !json_object_has_member (status, "devices"))
    return lk_bridge_describe_devices (credentials, NULL);
  devices = json_node_copy (json_object_get_member (status, "devices"));
  array = JSON_NODE_HOLDS_ARRAY (devices) ? json_node_get_array (devices) : NULL;
  if (array == NULL || !lk_bridge_credentials_load (credentials, &error))
    return devices;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *device = json_array_get_object_element (array, i);
      const char *name = device != NULL ? json_object_get_string_member_with_default (device, "name", NULL) : NULL;
      g_autoptr(LkBridgeUser) user = name != NULL ? lk_bridge_credentials_lookup (credentials, name) : NULL;

      if (user != NULL)
        json_object_set_boolean_member (device, "enabled", user->enabled);
    }
  return devices;
}

gboolean
lk_bridge_client_is_not_running (const GError *error)
{
  return g_error_matches (error, LK_ERROR, LK_ERROR_NOT_FOUND);
}

/**
 * lk_bridge_client_find_listener:
 * @status: (nullable): a running bridge's "status" reply
 * @settings: what bridge.json says, for when no bridge runs
 * @protocol: what the mail program speaks
 *
 * Where a mail program reaches the bridge for @protocol, as the CLI's
 * `bridge enable` and the account page say it: the running bridge's
 * listeners, else those of @settings; STARTTLS is preferred over implicit
 * TLS (every client knows it, and loopback may go without it).
 *
 * Returns: (transfer full) (nullable): the listener; %NULL when the bridge
 *   serves no @protocol
 */
LkBridgeEndpoint *
lk_bridge_client_find_listener (JsonObject             *status,
                                const LkBridgeSettings *settings,
                                LkProtocol              protocol)
{
  const char *name = lk_protocol_to_string (protocol);
  JsonArray *listeners;
  JsonObject *found = NULL;
  LkBridgeEndpoint *endpoint;

  g_return_val_if_fail (settings != NULL, NULL);

  if (status == NULL || !json_object_has_member (status, "listeners"))
    {
      const LkBridgeEndpoint *configured = lk_bridge_settings_find (settings, protocol);

      return configured != NULL ? lk_bridge_endpoint_copy (configured) : NULL;
    }
  listeners = json_object_get_array_member (status, "listeners");
  for (guint i = 0; listeners != NULL && i < json_array_get_length (listeners); i++)
    {
      JsonObject *listener = json_array_get_object_element (listeners, i);

      if (listener == NULL ||
          g_strcmp0 (lk_json_get_string_or (listener, "protocol", ""),
                     name) != 0)
        continue;
      if (found == NULL ||
          g_strcmp0 (lk_json_get_string_or (listener, "security", ""),
                     "starttls") == 0)
        found = listener;
    }
  if (found == NULL)
    return NULL;
  endpoint = g_new0 (LkBridgeEndpoint, 1);
  endpoint->protocol = protocol;
  endpoint->address = g_strdup (lk_json_get_string_or (found, "address", "127.0.0.1"));
  endpoint->port = lk_json_get_int (found, "port", 0);
  endpoint->security = g_strcmp0 (lk_json_get_string_or (found, "security", "starttls"),
                                  "tls") == 0 ? LK_SECURITY_TLS : LK_SECURITY_STARTTLS;
  return endpoint;
}
