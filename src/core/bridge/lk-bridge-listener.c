/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "bridge/lk-bridge-allow.h"
#include "bridge/lk-bridge-listener.h"
#include "bridge/lk-bridge-log.h"
#include "lk-error.h"

/**
 * LkBridgeListener:
 *
 * One listening socket of the bridge (one protocol, one address and port,
 * STARTTLS or implicit TLS), on the main context: each connection becomes
 * an LkBridgeSession of the protocol, unless its address already has as
 * many as the bridge allows, or (on the LAN) its address is not on the
 * allow-list: those are closed before the greeting, with nothing said.
 */
struct _LkBridgeListener
{
  GSocketService          parent_instance;
  LkBridge               *bridge;
  LkBridgeEndpoint       *endpoint;
  LkBridgeSessionOptions  options;
  guint16                 port;
  GPtrArray              *allow;    /* GInetAddressMask; NULL: everyone */
};

G_DEFINE_FINAL_TYPE (LkBridgeListener, lk_bridge_listener, G_TYPE_SOCKET_SERVICE)

static gboolean
lk_bridge_listener_incoming (GSocketService    *service,
                             GSocketConnection *connection,
                             GObject           *source_object)
{
  LkBridgeListener *self = LK_BRIDGE_LISTENER (service);
  g_autoptr(LkBridgeSession) session = NULL;

  if (self->allow != NULL)
    {
      g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
      GInetAddress *inet = remote != NULL && G_IS_INET_SOCKET_ADDRESS (remote)
                           ? g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote))
                           : NULL;

      if (inet == NULL || !lk_bridge_allow_matches (self->allow, inet))
        {
          LkBridgeLogFields fields = LK_BRIDGE_LOG_FIELDS_INIT;
          g_autofree char *source = inet != NULL ? g_inet_address_to_string (inet)
                                                 : g_strdup ("unknown");

          fields.source_address = source;
          fields.protocol = lk_protocol_to_string (self->endpoint->protocol);
          fields.result = "not-allowed";
          /* Before any session: a connection from outside gets not even a
           * greeting. fail2ban's filter matches this line too. */
          lk_bridge_log (G_LOG_LEVEL_MESSAGE, &fields,
                         "refused a connection from %s: not on the allow-list (--allow)", source);
          g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
          return TRUE;
        }
    }

  session = lk_bridge_session_new (self->endpoint->protocol, self->bridge, connection, &self->options);
  if (!lk_bridge_may_accept (self->bridge, lk_bridge_session_get_source_address (session)))
    {
      LkBridgeLogFields fields = LK_BRIDGE_LOG_FIELDS_INIT;

      fields.connection = lk_bridge_session_get_id (session);
      fields.source_address = lk_bridge_session_get_source_address (session);
      fields.protocol = lk_protocol_to_string (self->endpoint->protocol);
      fields.result = "too-many-connections";
      lk_bridge_log (G_LOG_LEVEL_WARNING, &fields,
                     "%s: refused a connection from %s: it has as many open as allowed "
                     "(max_connections_per_address in bridge.json)",
                     fields.connection, fields.source_address);
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }
  lk_bridge_session_start (session);
  return TRUE;
}

static void
lk_bridge_listener_finalize (GObject *object)
{
  LkBridgeListener *self = LK_BRIDGE_LISTENER (object);

  g_clear_object (&self->bridge);
  lk_bridge_endpoint_free (self->endpoint);
  g_clear_pointer (&self->allow, g_ptr_array_unref);
  G_OBJECT_CLASS (lk_bridge_listener_parent_class)->finalize (object);
}

static void
lk_bridge_listener_class_init (LkBridgeListenerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_bridge_listener_finalize;
  G_SOCKET_SERVICE_CLASS (klass)->incoming = lk_bridge_listener_incoming;
}

static void
lk_bridge_listener_init (LkBridgeListener *self)
{
}

/**
 * lk_bridge_listener_new:
 *
 * Binds @endpoint and starts accepting. Fails with G_IO_ERROR_ADDRESS_IN_USE
 * (the message says what to do) when the port is taken.
 */
LkBridgeListener *
lk_bridge_listener_new (LkBridge                     *bridge,
                        const LkBridgeEndpoint       *endpoint,
                        const LkBridgeSessionOptions *options,
                        GError                      **error)
{
  g_autoptr(LkBridgeListener) self = g_object_new (LK_TYPE_BRIDGE_LISTENER, "active", FALSE, NULL);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (endpoint->address);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *where = NULL;

  g_return_val_if_fail (inet != NULL, NULL);

  self->bridge = g_object_ref (bridge);
  self->endpoint = lk_bridge_endpoint_copy (endpoint);
  self->options = *options;
  self->options.security = endpoint->security;
  /* GSocketListener's default backlog is 10: mail programs that connect
   * many sessions at once would wait for SYN retries. */
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (self), 128);
  address = g_inet_socket_address_new (inet, endpoint->port);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self), address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &effective, &local))
    {
      where = lk_bridge_endpoint_to_string (endpoint, endpoint->port);
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                     /* Translators: %s is ADDRESS:PORT, then a protocol (IMAP, POP, SMTP) */
                     _("%s (%s) is already in use, perhaps by another bridge; stop that, or "
                       "choose another port with --%s ADDRESS:PORT or in bridge.json"),
                     where, lk_protocol_to_string (endpoint->protocol),
                     endpoint->security == LK_SECURITY_TLS
                     ? (endpoint->protocol == LK_PROTOCOL_IMAP ? "imaps"
                        : endpoint->protocol == LK_PROTOCOL_POP ? "pop3s" : "smtps")
                     : lk_protocol_to_string (endpoint->protocol));
      else
        g_set_error (error, local->domain, local->code, _("Cannot listen on %s: %s"), where,
                     local->message);
      return NULL;
    }
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_socket_service_start (G_SOCKET_SERVICE (self));
  return g_steal_pointer (&self);
}

/**
 * lk_bridge_listener_new_for_socket:
 * @socket: bound and listening already (the legacy-TLS process gets its
 *   socket from the bridge that started it, LkBridgeLegacy)
 *
 * As lk_bridge_listener_new(), on @socket.
 */
LkBridgeListener *
lk_bridge_listener_new_for_socket (LkBridge                     *bridge,
                                   const LkBridgeEndpoint       *endpoint,
                                   const LkBridgeSessionOptions *options,
                                   GSocket                      *socket,
                                   GError                      **error)
{
  g_autoptr(LkBridgeListener) self = g_object_new (LK_TYPE_BRIDGE_LISTENER, "active", FALSE, NULL);
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, error);

  if (local == NULL || !G_IS_INET_SOCKET_ADDRESS (local)
      || !g_socket_listener_add_socket (G_SOCKET_LISTENER (self), socket, NULL, error))
    return NULL;
  self->bridge = g_object_ref (bridge);
  self->endpoint = lk_bridge_endpoint_copy (endpoint);
  self->options = *options;
  self->options.security = endpoint->security;
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  g_socket_service_start (G_SOCKET_SERVICE (self));
  return g_steal_pointer (&self);
}

const LkBridgeEndpoint *
lk_bridge_listener_get_endpoint (LkBridgeListener *self)
{
  return self->endpoint;
}

/* The port actually bound (port 0 picks one). */
guint16
lk_bridge_listener_get_port (LkBridgeListener *self)
{
  return self->port;
}

/* "imap 127.0.0.1:1143 starttls": the line `bridge run` prints. */
char *
lk_bridge_listener_describe (LkBridgeListener *self)
{
  return lk_bridge_endpoint_describe (self->endpoint, self->port);
}

/**
 * lk_bridge_listener_set_allow:
 * @allow: (nullable) (element-type GInetAddressMask): who may connect;
 *   %NULL for everyone (loopback)
 */
void
lk_bridge_listener_set_allow (LkBridgeListener *self,
                              GPtrArray        *allow)
{
  g_clear_pointer (&self->allow, g_ptr_array_unref);
  if (allow != NULL)
    self->allow = g_ptr_array_ref (allow);
}

GPtrArray *
lk_bridge_listener_get_allow (LkBridgeListener *self)
{
  return self->allow;
}

/* Stops accepting and frees the port; open sessions go on. */
void
lk_bridge_listener_close (LkBridgeListener *self)
{
  g_socket_service_stop (G_SOCKET_SERVICE (self));
  g_socket_listener_close (G_SOCKET_LISTENER (self));
}
