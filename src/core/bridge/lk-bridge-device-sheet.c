/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "bridge/lk-bridge-certificate.h"
#include "bridge/lk-bridge-device-sheet.h"
#include "bridge/lk-bridge-settings.h"
#include "bridge/lk-bridge.h"
#include "lk-json.h"
#include "lk-token-set.h"
#include "mail/lk-probe-result.h"

/* The networks of "NETWORK=DEVICE" rules that name @name. */
static GStrv
relay_networks (const char  *name,
                const char **rules)
{
  g_autoptr(GStrvBuilder) out = g_strv_builder_new ();

  for (guint i = 0; rules != NULL && rules[i] != NULL; i++)
    {
      const char *equals = strchr (rules[i], '=');

      if (equals != NULL && g_strcmp0 (equals + 1, name) == 0)
        {
          g_autofree char *network = g_strndup (rules[i], equals - rules[i]);

          g_strv_builder_add (out, network);
        }
    }
  return g_strv_builder_end (out);
}

/* Takes the port of an SMTP listener on the sheet's address (the first
 * LAN one), the first of each kind: the normal ones, and those for old
 * devices that speak only TLS 1.0 or 1.1 (--legacy-tls, --legacy-smtps). */
static void
note_listener (LkBridgeDeviceSheet    *self,
               const LkBridgeEndpoint *endpoint,
               guint                   port,
               gboolean                legacy)
{
  guint *slot;

  if (endpoint->protocol != LK_PROTOCOL_SMTP || !lk_bridge_endpoint_is_lan (endpoint))
    return;
  if (self->address == NULL)
    self->address = g_strdup (endpoint->address);
  else if (g_strcmp0 (self->address, endpoint->address) != 0)
    return;
  if (endpoint->security == LK_SECURITY_TLS)
    slot = legacy ? &self->legacy_smtps_port : &self->smtps_port;
  else
    slot = legacy ? &self->legacy_smtp_port : &self->smtp_port;
  if (*slot == 0)
    *slot = port;
}

/* Where the device finds the bridge, from the running bridge's status
 * (its listeners, certificate and host name) when there is one, else from
 * bridge.json and the certificate on disk. */
static void
fill_from_status (LkBridgeDeviceSheet *self,
                  JsonObject          *status)
{
  JsonArray *listeners = json_object_get_array_member (status, "listeners");
  JsonObject *certificate = json_object_has_member (status, "certificate")
                            ? json_object_get_object_member (status, "certificate") : NULL;

  for (guint i = 0; listeners != NULL && i < json_array_get_length (listeners); i++)
    {
      JsonObject *listener = json_array_get_object_element (listeners, i);
      LkBridgeEndpoint endpoint = { 0 };

      if (listener == NULL
          || !lk_protocol_from_string (lk_json_get_string_or (listener, "protocol", ""),
                                       &endpoint.protocol)
          || !lk_security_from_string (lk_json_get_string_or (listener, "security", ""),
                                       &endpoint.security))
        continue;
      endpoint.address = (char *) lk_json_get_string_or (listener, "address", "127.0.0.1");
      note_listener (self, &endpoint, lk_json_get_int (listener, "port", 0),
                     lk_json_get_boolean (listener, "legacy_tls", FALSE));
    }
  if (certificate != NULL)
    self->fingerprint = g_strdup (lk_json_get_string (certificate, "sha256"));
  if (json_object_has_member (status, "relay_without_auth"))
    {
      JsonArray *rules = json_object_get_array_member (status, "relay_without_auth");
      g_autoptr(GPtrArray) texts = g_ptr_array_new ();

      for (guint i = 0; rules != NULL && i < json_array_get_length (rules); i++)
        g_ptr_array_add (texts, (gpointer) json_array_get_string_element (rules, i));
      g_ptr_array_add (texts, NULL);
      self->relay_networks = relay_networks (self->name, (const char **) texts->pdata);
    }
  self->host_name = g_strdup (lk_json_get_string (status, "host_name"));
}

static void
fill_from_settings (LkBridgeDeviceSheet *self)
{
  g_autoptr(LkBridgeSettings) settings = lk_bridge_settings_load (NULL, NULL);
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *cert_file = NULL;

  if (settings == NULL)
    settings = lk_bridge_settings_new_default ();
  for (guint i = 0; i < settings->endpoints->len; i++)
    {
      const LkBridgeEndpoint *endpoint = g_ptr_array_index (settings->endpoints, i);

      note_listener (self, endpoint, endpoint->port, FALSE);
    }
  for (guint i = 0; i < settings->legacy_endpoints->len; i++)
    {
      const LkBridgeEndpoint *endpoint = g_ptr_array_index (settings->legacy_endpoints, i);

      note_listener (self, endpoint, endpoint->port, TRUE);
    }
  dir = lk_bridge_certificate_default_directory ();
  cert_file = settings->cert_file != NULL ? g_strdup (settings->cert_file)
                                          : g_build_filename (dir, "cert.pem", NULL);
  certificate = g_tls_certificate_new_from_file (cert_file, NULL);
  if (certificate != NULL)
    self->fingerprint = lk_certificate_fingerprint (certificate);
  g_ptr_array_add (settings->relay_without_auth, NULL);
  self->relay_networks = relay_networks (self->name, (const char **) settings->relay_without_auth->pdata);
}

/**
 * lk_bridge_device_sheet_new:
 * @password: (nullable): the password just made, shown this once
 * @status: (nullable): the running bridge's `status` reply
 */
LkBridgeDeviceSheet *
lk_bridge_device_sheet_new (const LkBridgeUser *device,
                            const char         *password,
                            JsonObject         *status)
{
  LkBridgeDeviceSheet *self = g_new0 (LkBridgeDeviceSheet, 1);

  self->name = g_strdup (device->name);
  self->password = g_strdup (password);
  self->account = g_strdup (device->account);
  self->protocols = device->protocols;
  self->sender = g_strdup (device->sender);
  self->max_per_hour = device->max_per_hour;
  if (status != NULL && lk_json_get_boolean (status, "running", FALSE))
    fill_from_status (self, status);
  else
    fill_from_settings (self);
  if (self->host_name == NULL)
    self->host_name = g_strdup (g_get_host_name ());
  if (self->relay_networks == NULL)
    self->relay_networks = g_new0 (char *, 1);
  return self;
}

void
lk_bridge_device_sheet_free (LkBridgeDeviceSheet *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  lk_secret_wipe (self->password);
  g_free (self->account);
  g_free (self->sender);
  g_free (self->address);
  g_free (self->host_name);
  g_free (self->fingerprint);
  g_strfreev (self->relay_networks);
  g_free (self);
}

/* "name": port, or null when there is none. */
static void
add_port (JsonBuilder *builder,
          const char  *name,
          guint        port)
{
  json_builder_set_member_name (builder, name);
  if (port != 0)
    json_builder_add_int_value (builder, port);
  else
    json_builder_add_null_value (builder);
}

/**
 * lk_bridge_device_sheet_to_json:
 *
 * `{"name", "username", "password", "account", "protocols", "server",
 * "host_name", "ports": {"smtp", "smtps", "legacy_tls", "legacy_smtps"}, "security", "from",
 * "max_per_hour", "fingerprint", "relay_without_auth"}`: "server" is the address the device
 * should use (null without `--lan`), a port null when there is none; the
 * "legacy_" ones take TLS 1.0 and 1.1 too (doc/bridge-office.md).
 */
JsonNode *
lk_bridge_device_sheet_to_json (const LkBridgeDeviceSheet *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  lk_json_add_string (builder, "name", self->name);
  lk_json_add_string (builder, "username", self->name);
  lk_json_add_string (builder, "password", self->password);
  lk_json_add_string (builder, "account", self->account);
  lk_bridge_add_protocols_member (builder, self->protocols);
  lk_json_add_string (builder, "server", self->address);
  lk_json_add_string (builder, "host_name", self->host_name);
  json_builder_set_member_name (builder, "ports");
  json_builder_begin_object (builder);
  add_port (builder, "smtp", self->smtp_port);
  add_port (builder, "smtps", self->smtps_port);
  add_port (builder, "legacy_tls", self->legacy_smtp_port);
  add_port (builder, "legacy_smtps", self->legacy_smtps_port);
  json_builder_end_object (builder);
  lk_json_add_string (builder, "security", self->smtp_port != 0 ? "starttls"
                                           : self->smtps_port != 0 ? "tls" : NULL);
  lk_json_add_string (builder, "from", self->sender);
  lk_json_add_int (builder, "max_per_hour", self->max_per_hour);
  lk_json_add_string (builder, "fingerprint", self->fingerprint);
  lk_json_add_strv (builder, "relay_without_auth", self->relay_networks);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/**
 * lk_bridge_device_sheet_to_text:
 *
 * The sheet as a person reads it, translated: what goes in which field of
 * the device's web page.
 */
char *
lk_bridge_device_sheet_to_text (const LkBridgeDeviceSheet *self)
{
  GString *out = g_string_new (NULL);

  /* Translators: the title of a device's setup sheet; %s are its name and an address */
  g_string_append_printf (out, _("Setup sheet for the device %s (sends as %s)\n\n"), self->name,
                          self->sender != NULL ? self->sender : self->account);
  g_string_append (out, _("In the device’s web page, under e-mail or SMTP:\n"));
  if (self->address != NULL)
    /* Translators: the settings block of a setup sheet; keep the values aligned */
    g_string_append_printf (out, _("  SMTP server:     %s (or by name: %s)\n"), self->address,
                            self->host_name);
  else
    g_string_append (out, _("  SMTP server:     none yet: start the bridge with --lan ADDRESS "
                            "(latchkey-bridge(1))\n"));
  if (self->smtp_port != 0)
    {
      g_string_append_printf (out, _("  Port:            %u\n"), self->smtp_port);
      g_string_append (out, _("  Security:        STARTTLS\n"));
      if (self->smtps_port != 0)
        g_string_append_printf (out, _("                   (or SSL/TLS on port %u)\n"),
                                self->smtps_port);
    }
  else if (self->smtps_port != 0)
    {
      g_string_append_printf (out, _("  Port:            %u\n"), self->smtps_port);
      g_string_append (out, _("  Security:        SSL/TLS\n"));
    }
  if (self->legacy_smtp_port != 0 || self->legacy_smtps_port != 0)
    /* Translators: before the ports for old devices (--legacy-tls, --legacy-smtps) */
    g_string_append (out, _("  Only if the device cannot use TLS 1.2 (it speaks TLS 1.0 or 1.1):\n"));
  if (self->legacy_smtp_port != 0)
    g_string_append_printf (out, _("                   port %u, security STARTTLS\n"),
                            self->legacy_smtp_port);
  if (self->legacy_smtps_port != 0)
    g_string_append_printf (out, _("                   port %u, security SSL/TLS\n"),
                            self->legacy_smtps_port);
  g_string_append (out, _("  Authentication:  on (SMTP AUTH, LOGIN or PLAIN)\n"));
  g_string_append_printf (out, _("  User name:       %s\n"), self->name);
  if (self->password != NULL)
    g_string_append_printf (out, _("  Password:        %s\n"), self->password);
  else
    g_string_append_printf (out, _("  Password:        (shown when the device was added; "
                                   "“latchkey-cli bridge device reset %s” makes a new one)\n"),
                            self->name);
  if (self->sender != NULL)
    g_string_append_printf (out, _("  Sender address:  %s (the only one this device may use)\n"),
                            self->sender);
  else
    g_string_append_printf (out, _("  Sender address:  %s\n"), self->account);
  if (self->fingerprint != NULL)
    g_string_append_printf (out, _("  Certificate SHA-256 fingerprint, if the device asks:\n"
                                   "                   %s\n"), self->fingerprint);
  for (guint i = 0; self->relay_networks[i] != NULL; i++)
    /* Translators: %s are a network (192.168.1.50), the device, an address */
    g_string_append_printf (out, _("\nWithout logging in: anything at %s may send through the "
                                   "bridge as %s, and so as %s, with no password and no TLS "
                                   "(--relay-without-auth). Switch SMTP authentication off on "
                                   "the device only if it cannot log in at all; its sender "
                                   "pinning and cap still apply.\n"),
                            self->relay_networks[i], self->name,
                            self->sender != NULL ? self->sender : self->account);
  if (self->max_per_hour > 0)
    g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE,
                                              "\nIt may send %u message an hour.\n",
                                              "\nIt may send %u messages an hour.\n",
                                              self->max_per_hour), self->max_per_hour);
  if (self->password != NULL)
    g_string_append (out, _("\nThe password is shown only now. Keep this sheet with the device, "
                            "or make a new password later.\n"));
  return g_string_free (out, FALSE);
}
