/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bridge/lk-bridge-control.h"
#include "lk-error.h"
#include "lk-json.h"
#include "lk-places.h"

/**
 * LkBridgeControl:
 *
 * `bridge.sock` in the runtime place (`$XDG_RUNTIME_DIR/latchkey/`; in
 * system mode `/run/latchkey/`): the folder 0700, the socket 0600, so only
 * the user (the system bridge's own user) reaches it. A second daemon finds
 * the first one there and stops; a socket left by a crash is replaced.
 */

#define MAX_REQUEST 4096
#define REQUEST_MS  5000

struct _LkBridgeControl
{
  GSocketService          parent_instance;
  char                   *path;
  LkBridgeControlHandler  handler;
  gpointer                user_data;
};

G_DEFINE_FINAL_TYPE (LkBridgeControl, lk_bridge_control, G_TYPE_SOCKET_SERVICE)

typedef struct
{
  LkBridgeControl   *self;
  GSocketConnection *connection;
  GByteArray        *request;
  guint8             chunk[512];
  GCancellable      *cancellable;
  guint              timeout;
  char              *reply;
} Exchange;

static void
exchange_free (Exchange *exchange)
{
  g_clear_handle_id (&exchange->timeout, g_source_remove);
  g_io_stream_close (G_IO_STREAM (exchange->connection), NULL, NULL);
  g_object_unref (exchange->connection);
  g_object_unref (exchange->self);
  g_byte_array_unref (exchange->request);
  g_object_unref (exchange->cancellable);
  g_free (exchange->reply);
  g_free (exchange);
}

static void
written_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  exchange_free (user_data);
}

static JsonNode *
error_reply (const char *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  lk_json_add_string (builder, "error", message);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
answer (Exchange *exchange,
        gsize     length)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *json = NULL;
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (exchange->connection));
  JsonNode *root;

  if (!json_parser_load_from_data (parser, (const char *) exchange->request->data, length, NULL)
      || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    reply = error_reply ("not a JSON object");
  else
    reply = exchange->self->handler (json_node_get_object (root), exchange->self->user_data);
  json = lk_json_to_data (reply, FALSE, NULL);
  exchange->reply = g_strconcat (json, "\n", NULL);
  g_output_stream_write_all_async (output, exchange->reply, strlen (exchange->reply),
                                   G_PRIORITY_DEFAULT, exchange->cancellable, written_cb, exchange);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Exchange *exchange = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);
  guint8 *nl;

  if (n <= 0)
    {
      exchange_free (exchange);
      return;
    }
  g_byte_array_append (exchange->request, exchange->chunk, n);
  nl = memchr (exchange->request->data, '\n', exchange->request->len);
  if (nl != NULL)
    {
      answer (exchange, nl - exchange->request->data);
      return;
    }
  if (exchange->request->len > MAX_REQUEST)
    {
      exchange_free (exchange);
      return;
    }
  g_input_stream_read_async (G_INPUT_STREAM (source), exchange->chunk, sizeof exchange->chunk,
                             G_PRIORITY_DEFAULT, exchange->cancellable, read_cb, exchange);
}

static gboolean
exchange_timeout_cb (gpointer user_data)
{
  Exchange *exchange = user_data;

  exchange->timeout = 0;
  g_cancellable_cancel (exchange->cancellable);
  return G_SOURCE_REMOVE;
}

static gboolean
lk_bridge_control_incoming (GSocketService    *service,
                            GSocketConnection *connection,
                            GObject           *source_object)
{
  Exchange *exchange = g_new0 (Exchange, 1);

  exchange->self = g_object_ref (LK_BRIDGE_CONTROL (service));
  exchange->connection = g_object_ref (connection);
  exchange->request = g_byte_array_new ();
  exchange->cancellable = g_cancellable_new ();
  exchange->timeout = g_timeout_add (REQUEST_MS, exchange_timeout_cb, exchange);
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                             exchange->chunk, sizeof exchange->chunk, G_PRIORITY_DEFAULT,
                             exchange->cancellable, read_cb, exchange);
  return TRUE;
}

static void
lk_bridge_control_finalize (GObject *object)
{
  LkBridgeControl *self = LK_BRIDGE_CONTROL (object);

  g_free (self->path);
  G_OBJECT_CLASS (lk_bridge_control_parent_class)->finalize (object);
}

static void
lk_bridge_control_class_init (LkBridgeControlClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_bridge_control_finalize;
  G_SOCKET_SERVICE_CLASS (klass)->incoming = lk_bridge_control_incoming;
}

static void
lk_bridge_control_init (LkBridgeControl *self)
{
}

char *
lk_bridge_control_default_path (void)
{
  return lk_places_build_path (LK_PLACE_RUNTIME, "bridge.sock", NULL);
}

/* Whether a daemon answers on @path. */
static gboolean
someone_listens (const char *path)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GSocketConnection) connection = NULL;

  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, NULL);
  if (connection == NULL)
    return FALSE;
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

/**
 * lk_bridge_control_new:
 * @path: (nullable): the socket; %NULL for the default
 *
 * Fails with %LK_ERROR_EXISTS when another daemon already listens there.
 */
LkBridgeControl *
lk_bridge_control_new (const char              *path,
                       LkBridgeControlHandler   handler,
                       gpointer                 user_data,
                       GError                 **error)
{
  g_autoptr(LkBridgeControl) self = g_object_new (LK_TYPE_BRIDGE_CONTROL, "active", FALSE, NULL);
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *dir = NULL;
  mode_t old_mask;
  gboolean ok;

  self->path = path != NULL ? g_strdup (path) : lk_bridge_control_default_path ();
  self->handler = handler;
  self->user_data = user_data;
  dir = g_path_get_dirname (self->path);
  /* Made 0700 even if it was there: only the user may reach the socket. */
  if (g_mkdir_with_parents (dir, 0700) != 0 || g_chmod (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create the folder %s: %s"), dir, g_strerror (saved));
      return NULL;
    }
  if (g_file_test (self->path, G_FILE_TEST_EXISTS))
    {
      if (someone_listens (self->path))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_EXISTS,
                       _("The bridge is already running (its control socket is %s); stop it "
                         "first, or use “latchkey-cli bridge status”"), self->path);
          return NULL;
        }
      g_unlink (self->path);   /* left by a crash */
    }
  address = g_unix_socket_address_new (self->path);
  /* Born 0600: no window in which another user could connect. */
  old_mask = umask (0077);
  ok = g_socket_listener_add_address (G_SOCKET_LISTENER (self), address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error);
  umask (old_mask);
  if (!ok)
    {
      g_prefix_error (error, _("Cannot open the control socket %s: "), self->path);
      return NULL;
    }
  g_chmod (self->path, 0600);
  g_socket_service_start (G_SOCKET_SERVICE (self));
  return g_steal_pointer (&self);
}

const char *
lk_bridge_control_get_path (LkBridgeControl *self)
{
  return self->path;
}

/* Stops answering and removes the socket. */
void
lk_bridge_control_close (LkBridgeControl *self)
{
  g_socket_service_stop (G_SOCKET_SERVICE (self));
  g_socket_listener_close (G_SOCKET_LISTENER (self));
  g_unlink (self->path);
}
