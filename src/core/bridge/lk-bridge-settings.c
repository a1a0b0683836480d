/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/lk-bridge-backoff.h"
#include "bridge/lk-bridge-queue.h"
#include "bridge/lk-bridge-settings.h"
#include "lk-error.h"
#include "lk-file.h"
#include "lk-json.h"
#include "lk-places.h"

LkBridgeEndpoint *
lk_bridge_endpoint_copy (const LkBridgeEndpoint *endpoint)
{
  LkBridgeEndpoint *copy = g_new0 (LkBridgeEndpoint, 1);

  *copy = *endpoint;
  copy->address = g_strdup (endpoint->address);
  return copy;
}

void
lk_bridge_endpoint_free (LkBridgeEndpoint *endpoint)
{
  if (endpoint == NULL)
    return;
  g_free (endpoint->address);
  g_free (endpoint);
}

gboolean
lk_bridge_endpoint_equal (const LkBridgeEndpoint *a,
                          const LkBridgeEndpoint *b)
{
  return a->protocol == b->protocol && a->security == b->security && a->port == b->port
         && g_strcmp0 (a->address, b->address) == 0;
}

/* "127.0.0.1:1143", "[::1]:1143" */
char *
lk_bridge_endpoint_to_string (const LkBridgeEndpoint *endpoint,
                              guint16                 port)
{
  if (strchr (endpoint->address, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", endpoint->address, port);
  return g_strdup_printf ("%s:%u", endpoint->address, port);
}

/* "smtp 192.168.1.10:465 tls": a listener's line on `bridge run`'s
 * standard output (latchkey-bridge(1)), the same for the legacy ones. */
char *
lk_bridge_endpoint_describe (const LkBridgeEndpoint *endpoint,
                             guint16                 port)
{
  g_autofree char *where = lk_bridge_endpoint_to_string (endpoint, port);

  return g_strdup_printf ("%s %s %s", lk_protocol_to_string (endpoint->protocol), where,
                          lk_security_to_string (endpoint->security));
}

/**
 * lk_bridge_endpoint_parse:
 * @text: "ADDRESS:PORT", "[IPV6]:PORT" or ":PORT" (127.0.0.1)
 *
 * The address must be a numeric IP address: the bridge listens on explicit
 * addresses only, never on a name that could resolve elsewhere.
 */
static gboolean
split_endpoint (const char   *text,
                char        **out_address,
                guint16      *out_port)
{
  g_autofree char *address = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  const char *port_text;
  char *end = NULL;
  guint64 port;

  if (text[0] == '[')
    {
      const char *close = strchr (text, ']');

      if (close == NULL || close[1] != ':')
        return FALSE;
      address = g_strndup (text + 1, close - text - 1);
      port_text = close + 2;
    }
  else
    {
      const char *colon = strrchr (text, ':');

      /* An IPv6 address needs its brackets: "::1:1143" is ambiguous. */
      if (colon == NULL || memchr (text, ':', colon - text) != NULL)
        return FALSE;
      address = colon == text ? g_strdup ("127.0.0.1") : g_strndup (text, colon - text);
      port_text = colon + 1;
    }
  inet = g_inet_address_new_from_string (address);
  if (inet == NULL || !g_ascii_isdigit (*port_text))
    return FALSE;
  port = g_ascii_strtoull (port_text, &end, 10);
  if (end == NULL || *end != '\0' || port > 65535)
    return FALSE;
  *out_address = g_inet_address_to_string (inet);
  *out_port = (guint16) port;
  return TRUE;
}

/**
 * lk_bridge_endpoint_parse:
 * @text: "ADDRESS:PORT", "[IPV6]:PORT" or ":PORT" (127.0.0.1)
 *
 * The address must be a numeric IP address: the bridge listens on explicit
 * addresses only, never on a name that could resolve elsewhere.
 */
LkBridgeEndpoint *
lk_bridge_endpoint_parse (LkProtocol   protocol,
                          LkSecurity   security,
                          const char  *text,
                          GError     **error)
{
  LkBridgeEndpoint *endpoint = g_new0 (LkBridgeEndpoint, 1);

  endpoint->protocol = protocol;
  endpoint->security = security;
  if (!split_endpoint (text, &endpoint->address, &endpoint->port))
    {
      lk_bridge_endpoint_free (endpoint);
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   /* Translators: %s is what the user typed */
                   _("“%s” is not ADDRESS:PORT with a numeric address, such as 127.0.0.1:1143 "
                     "or [::1]:1143"), text);
      return NULL;
    }
  return endpoint;
}

static LkBridgeEndpoint *
endpoint_new (LkProtocol  protocol,
              guint16     port)
{
  LkBridgeEndpoint *endpoint = g_new0 (LkBridgeEndpoint, 1);

  endpoint->protocol = protocol;
  endpoint->security = LK_SECURITY_STARTTLS;
  endpoint->address = g_strdup ("127.0.0.1");
  endpoint->port = port;
  return endpoint;
}

/**
 * lk_bridge_settings_new_default:
 *
 * IMAP on 1143, POP3 on 1110 and SMTP on 1587, all on 127.0.0.1 with
 * STARTTLS offered: the ports of the usual services plus 1000, which a
 * user may bind.
 */
LkBridgeSettings *
lk_bridge_settings_new_default (void)
{
  LkBridgeSettings *self = g_new0 (LkBridgeSettings, 1);

  self->endpoints = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_bridge_endpoint_free);
  g_ptr_array_add (self->endpoints, endpoint_new (LK_PROTOCOL_IMAP, LK_BRIDGE_DEFAULT_IMAP_PORT));
  g_ptr_array_add (self->endpoints, endpoint_new (LK_PROTOCOL_POP, LK_BRIDGE_DEFAULT_POP_PORT));
  g_ptr_array_add (self->endpoints, endpoint_new (LK_PROTOCOL_SMTP, LK_BRIDGE_DEFAULT_SMTP_PORT));
  self->max_connections_per_address = LK_BRIDGE_DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
  self->login_timeout_seconds = 60;
  self->upstream_timeout_seconds = 15;
  self->keep_alive_days = LK_BRIDGE_DEFAULT_KEEP_ALIVE_DAYS;
  self->allow = g_ptr_array_new_with_free_func (g_free);
  self->max_failure_delay_ms = LK_BRIDGE_BACKOFF_MAX_DELAY_MS;
  self->lockout_after = LK_BRIDGE_BACKOFF_LOCKOUT_AFTER;
  self->lockout_seconds = LK_BRIDGE_BACKOFF_LOCKOUT_SECONDS;
  self->spool_first_retry_seconds = LK_BRIDGE_QUEUE_FIRST_RETRY_S;
  self->spool_max_retry_seconds = LK_BRIDGE_QUEUE_MAX_RETRY_S;
  self->spool_give_up_seconds = LK_BRIDGE_QUEUE_GIVE_UP_S;
  self->relay_without_auth = g_ptr_array_new_with_free_func (g_free);
  self->legacy_endpoints = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_bridge_endpoint_free);
  return self;
}

/**
 * lk_bridge_endpoint_is_lan:
 *
 * Whether @endpoint listens off loopback: there logins need TLS first,
 * only the allow-list may connect, and the certificate names its address.
 */
gboolean
lk_bridge_endpoint_is_lan (const LkBridgeEndpoint *endpoint)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (endpoint->address);

  return inet == NULL || !g_inet_address_get_is_loopback (inet);
}

/**
 * lk_bridge_settings_add_lan:
 * @address: a numeric address of this machine (`--lan`)
 *
 * Adds SMTP submission with STARTTLS on @address:587 and with implicit TLS
 * on @address:465, the ports printers offer first.
 */
gboolean
lk_bridge_settings_add_lan (LkBridgeSettings  *self,
                            const char        *address,
                            GError           **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autofree char *normal = NULL;

  if (inet == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   /* Translators: %s is what the user typed */
                   _("“%s” is not a numeric address; give one of this machine’s, such as "
                     "192.168.1.10"), address);
      return FALSE;
    }
  normal = g_inet_address_to_string (inet);
  for (guint i = 0; i < 2; i++)
    {
      LkBridgeEndpoint *endpoint = g_new0 (LkBridgeEndpoint, 1);

      endpoint->protocol = LK_PROTOCOL_SMTP;
      endpoint->security = i == 0 ? LK_SECURITY_STARTTLS : LK_SECURITY_TLS;
      endpoint->address = g_strdup (normal);
      endpoint->port = i == 0 ? LK_BRIDGE_LAN_SMTP_PORT : LK_BRIDGE_LAN_SMTPS_PORT;
      g_ptr_array_add (self->endpoints, endpoint);
    }
  return TRUE;
}

void
lk_bridge_settings_free (LkBridgeSettings *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->endpoints);
  g_ptr_array_unref (self->allow);
  g_ptr_array_unref (self->relay_without_auth);
  g_ptr_array_unref (self->legacy_endpoints);
  g_free (self->cert_file);
  g_free (self->key_file);
  g_free (self);
}

char *
lk_bridge_settings_default_path (void)
{
  return lk_places_build_path (LK_PLACE_CONFIG, "bridge.json", NULL);
}

static gboolean
parse_listener (JsonNode          *node,
                LkBridgeEndpoint **out,
                GError           **error)
{
  JsonObject *obj = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  const char *protocol_text = obj != NULL ? lk_json_get_string (obj, "protocol") : NULL;
  const char *security_text = obj != NULL ? lk_json_get_string (obj, "security") : NULL;
  const char *address = obj != NULL ? lk_json_get_string (obj, "address") : NULL;
  gint64 port = obj != NULL ? lk_json_get_int (obj, "port", -1) : -1;
  LkProtocol protocol;
  LkSecurity security = LK_SECURITY_STARTTLS;
  g_autofree char *text = NULL;

  if (protocol_text == NULL || !lk_protocol_from_string (protocol_text, &protocol)
      || (security_text != NULL && (!lk_security_from_string (security_text, &security)
                                    || security == LK_SECURITY_NONE))
      || port < 0 || port > 65535)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("each listener needs “protocol” (imap, pop or smtp), “port”, and "
                             "optionally “address” and “security” (starttls or tls)"));
      return FALSE;
    }
  if (address == NULL)
    address = "127.0.0.1";
  text = g_strdup_printf (strchr (address, ':') != NULL ? "[%s]:%d" : "%s:%d", address, (int) port);
  *out = lk_bridge_endpoint_parse (protocol, security, text, error);
  return *out != NULL;
}

static gboolean
parse_strings (JsonObject  *root,
               const char  *name,
               GPtrArray   *out,
               const char  *file,
               GError     **error)
{
  JsonNode *node = json_object_get_member (root, name);
  JsonArray *array;

  if (node == NULL)
    return TRUE;
  array = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
        {
          array = NULL;
          break;
        }
      g_ptr_array_add (out, g_strdup (json_node_get_string (item)));
    }
  if (array == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   /* Translators: the first %s is a file, the second a setting's name */
                   _("%s: “%s” must be a list of strings"), file, name);
      return FALSE;
    }
  return TRUE;
}

/* The office bridge's part: "lan", "allow", "legacy_tls" and "legacy_smtps"
 * (["ADDRESS:PORT"]), "relay_without_auth"
 * (["CIDR=DEVICE"]), "certificate" and "key",
 * "lockout": {"after", "minutes"}, "spool": {"first_retry", "max_retry",
 * "give_up"} (seconds). */
static gboolean
parse_office (LkBridgeSettings  *self,
              JsonObject        *root,
              const char        *file,
              GError           **error)
{
  g_autoptr(GPtrArray) lan = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) legacy_tls = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) legacy_smtps = g_ptr_array_new_with_free_func (g_free);
  struct { const char *name; GPtrArray *texts; LkSecurity security; } legacy[] = {
    { "legacy_tls", legacy_tls, LK_SECURITY_STARTTLS },
    { "legacy_smtps", legacy_smtps, LK_SECURITY_TLS },
  };
  JsonNode *lockout = json_object_get_member (root, "lockout");
  JsonNode *spool = json_object_get_member (root, "spool");
  g_autoptr(GError) local = NULL;

  if (!parse_strings (root, "lan", lan, file, error)
      || !parse_strings (root, "allow", self->allow, file, error)
      || !parse_strings (root, "relay_without_auth", self->relay_without_auth, file, error))
    return FALSE;
  for (guint k = 0; k < G_N_ELEMENTS (legacy); k++)
    {
      if (!parse_strings (root, legacy[k].name, legacy[k].texts, file, error))
        return FALSE;
      for (guint i = 0; i < legacy[k].texts->len; i++)
        {
          LkBridgeEndpoint *endpoint = lk_bridge_endpoint_parse (LK_PROTOCOL_SMTP, legacy[k].security,
                                                                 g_ptr_array_index (legacy[k].texts, i),
                                                                 &local);

          if (endpoint == NULL)
            {
              g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT, "%s: %s: %s", file,
                           legacy[k].name, local->message);
              return FALSE;
            }
          g_ptr_array_add (self->legacy_endpoints, endpoint);
        }
    }
  for (guint i = 0; i < lan->len; i++)
    if (!lk_bridge_settings_add_lan (self, g_ptr_array_index (lan, i), &local))
      {
        g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT, "%s: %s", file, local->message);
        return FALSE;
      }
  self->cert_file = lk_json_dup_string (root, "certificate");
  self->key_file = lk_json_dup_string (root, "key");
  if ((self->cert_file == NULL) != (self->key_file == NULL))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("%s: give both “certificate” and “key”, or neither"), file);
      return FALSE;
    }
  if (spool != NULL)
    {
      JsonObject *obj = JSON_NODE_HOLDS_OBJECT (spool) ? json_node_get_object (spool) : NULL;

      if (obj == NULL)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                       _("%s: “spool” must be an object with “first_retry”, “max_retry” and "
                         "“give_up” (seconds)"), file);
          return FALSE;
        }
      self->spool_first_retry_seconds = CLAMP (lk_json_get_int (obj, "first_retry",
                                                                self->spool_first_retry_seconds),
                                               1, 86400);
      self->spool_max_retry_seconds = CLAMP (lk_json_get_int (obj, "max_retry",
                                                              self->spool_max_retry_seconds),
                                             self->spool_first_retry_seconds, 86400);
      self->spool_give_up_seconds = CLAMP (lk_json_get_int (obj, "give_up",
                                                            self->spool_give_up_seconds),
                                           1, 30 * 86400);
    }
  if (lockout != NULL)
    {
      JsonObject *obj = JSON_NODE_HOLDS_OBJECT (lockout) ? json_node_get_object (lockout) : NULL;

      if (obj == NULL)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                       _("%s: “lockout” must be an object with “after” and “minutes”"), file);
          return FALSE;
        }
      self->lockout_after = CLAMP (lk_json_get_int (obj, "after", self->lockout_after), 0, 100000);
      self->lockout_seconds = CLAMP (lk_json_get_int (obj, "minutes", self->lockout_seconds / 60),
                                     1, 7 * 24 * 60) * 60;
    }
  return TRUE;
}

/**
 * lk_bridge_settings_load:
 * @path: (nullable): the file; %NULL for the default. A missing file
 *   gives the defaults.
 */
LkBridgeSettings *
lk_bridge_settings_load (const char  *path,
                         GError     **error)
{
  g_autofree char *file = path != NULL ? g_strdup (path) : lk_bridge_settings_default_path ();
  g_autoptr(LkBridgeSettings) self = lk_bridge_settings_new_default ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;
  g_autofree char *data = NULL;
  gsize length = 0;
  JsonObject *root;
  JsonNode *node;

  if (!lk_file_read_regular (file, LK_FILE_MAX_SMALL, &data, &length, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&self);
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (!json_parser_load_from_data (parser, data, (gssize) length, &local))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT, _("Cannot read %s: %s"), file,
                   local->message);
      return NULL;
    }
  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT, _("%s is not a JSON object"), file);
      return NULL;
    }
  root = json_node_get_object (node);
  node = json_object_get_member (root, "listeners");
  if (node != NULL)
    {
      JsonArray *array;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                       _("%s: “listeners” must be a list"), file);
          return NULL;
        }
      array = json_node_get_array (node);
      g_ptr_array_set_size (self->endpoints, 0);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          LkBridgeEndpoint *endpoint = NULL;

          if (!parse_listener (json_array_get_element (array, i), &endpoint, &local))
            {
              g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("%s: listener %u: %s"), file, i + 1, local->message);
              return NULL;
            }
          g_ptr_array_add (self->endpoints, endpoint);
        }
    }
  self->max_connections_per_address = CLAMP (lk_json_get_int (root, "max_connections_per_address",
                                                              self->max_connections_per_address),
                                             1, 100000);
  self->login_timeout_seconds = CLAMP (lk_json_get_int (root, "login_timeout",
                                                        self->login_timeout_seconds), 5, 3600);
  self->upstream_timeout_seconds = CLAMP (lk_json_get_int (root, "upstream_timeout",
                                                           self->upstream_timeout_seconds), 2, 300);
  self->keep_alive_days = CLAMP (lk_json_get_int (root, "keep_alive_days", self->keep_alive_days),
                                 0, 80);
  self->max_failure_delay_ms = CLAMP (lk_json_get_int (root, "max_failure_delay_ms",
                                                       self->max_failure_delay_ms), 1, 600000);
  if (!parse_office (self, root, file, error))
    return NULL;
  return g_steal_pointer (&self);
}

/* The first listener of @protocol with STARTTLS, else the first one. */
const LkBridgeEndpoint *
lk_bridge_settings_find (const LkBridgeSettings *self,
                         LkProtocol              protocol)
{
  const LkBridgeEndpoint *found = NULL;

  for (guint i = 0; i < self->endpoints->len; i++)
    {
      const LkBridgeEndpoint *endpoint = g_ptr_array_index (self->endpoints, i);

      if (endpoint->protocol != protocol)
        continue;
      if (endpoint->security == LK_SECURITY_STARTTLS)
        return endpoint;
      if (found == NULL)
        found = endpoint;
    }
  return found;
}
