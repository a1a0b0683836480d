/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <glib-unix.h>
#include <sys/prctl.h>
#include <signal.h>
#include <glib/gi18n-lib.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bridge/lk-bridge-allow.h"
#include "bridge/lk-bridge-certificate.h"
#include "bridge/lk-bridge-control.h"
#include "bridge/lk-bridge-credentials.h"
#include "bridge/lk-bridge-daemon.h"
#include "bridge/lk-bridge-device-state.h"
#include "bridge/lk-bridge-legacy.h"
#include "bridge/lk-bridge-listener.h"
#include "bridge/lk-bridge-queue.h"
#include "bridge/lk-bridge-settings.h"
#include "bridge/lk-bridge.h"
#include "lk-core.h"
#include "lk-error.h"
#include "lk-json.h"
#include "lk-places.h"
#include "lk-system-mode.h"
#include "mail/lk-probe-result.h"
#include "oauth/lk-oauth-refresher.h"
#include "store/lk-keep-alive.h"

/*
 * The bridge daemon: what `latchkey-bridge` and `latchkey-cli bridge run`
 * both are (one owner). It serves every account with the bridge enabled on
 * the listeners of bridge.json or the command line, answers `bridge status`
 * on its control socket, reloads on SIGHUP and when its files change,
 * keeps idle accounts' sign-ins alive, and on SIGTERM closes every session
 * and waits for a token refresh in flight to be stored before it exits.
 */

#define RELOAD_DELAY_MS     300
#define KEEP_ALIVE_FIRST_S  10
#define KEEP_ALIVE_EVERY_S  3600
#define STOP_WAIT_MS        10000

typedef struct
{
  const LkBridgeOptions *options;
  GMainLoop             *loop;
  LkBridgeSettings      *settings;
  char                  *settings_path;
  LkAccountStore        *accounts;
  LkTokenManager        *tokens;
  LkBridgeCredentials   *credentials;
  LkBridge              *bridge;
  LkBridgeQueue         *queue;
  LkKeepAlive           *keep_alive;
  LkBridgeControl       *control;
  GPtrArray             *listeners;      /* LkBridgeListener */
  GPtrArray             *legacy;         /* LkBridgeLegacy */
  GFileMonitor          *spool_monitor;  /* what the legacy processes spool */
  GPtrArray             *monitors;       /* GFileMonitor */
  char                  *fingerprint;
  GDateTime             *started;
  guint                  reload_id;
  guint                  keep_alive_id;
  gboolean               keep_alive_running;
  gboolean               keep_alive_first;
  gboolean               stopping;
  gint64                 stop_deadline;
  int                    status;
} Daemon;

GOptionEntry *
lk_bridge_options_get_entries (LkBridgeOptions *options)
{
  const GOptionEntry entries[] = {
    { "imap", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->imap,
      N_("Serve IMAP with STARTTLS on ADDRESS:PORT (repeatable; port 0 picks one)"),
      N_("ADDRESS:PORT") },
    { "pop", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->pop,
      N_("Serve POP3 with STARTTLS on ADDRESS:PORT"), N_("ADDRESS:PORT") },
    { "smtp", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->smtp,
      N_("Serve SMTP submission with STARTTLS on ADDRESS:PORT"), N_("ADDRESS:PORT") },
    { "imaps", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->imaps,
      N_("Serve IMAP with implicit TLS on ADDRESS:PORT"), N_("ADDRESS:PORT") },
    { "pop3s", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->pop3s,
      N_("Serve POP3 with implicit TLS on ADDRESS:PORT"), N_("ADDRESS:PORT") },
    { "smtps", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->smtps,
      N_("Serve SMTP submission with implicit TLS on ADDRESS:PORT"), N_("ADDRESS:PORT") },
    { "lan", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->lan,
      N_("Serve devices on the office network at ADDRESS, one of this machine’s (repeatable): "
         "SMTP with STARTTLS on port 587 and with TLS on 465, login only after TLS"),
      N_("ADDRESS") },
    { "allow", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->allow,
      N_("Let only this network connect to the LAN listeners (repeatable; default: the "
         "subnet of each --lan address)"), N_("CIDR") },
    { "legacy-tls", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->legacy_tls,
      N_("Serve old devices that speak only TLS 1.0 or 1.1 with SMTP and STARTTLS on "
         "ADDRESS:PORT, in a process of its own (repeatable)"), N_("ADDRESS:PORT") },
    { "legacy-smtps", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->legacy_smtps,
      N_("Serve old devices that speak only TLS 1.0 or 1.1 with SMTP and implicit TLS on "
         "ADDRESS:PORT, in a process of its own (repeatable)"), N_("ADDRESS:PORT") },
    { "legacy-child", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &options->legacy_child,
      NULL, NULL },
    { "legacy-child-tls", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &options->legacy_child_tls,
      NULL, NULL },
    { "relay-without-auth", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->relay_without_auth,
      N_("Let devices at NETWORK send over SMTP without logging in, as DEVICE (repeatable; "
         "its sender pinning and cap still apply)"), N_("NETWORK=DEVICE") },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &options->cert,
      N_("Use this certificate (PEM) instead of the one the bridge makes"), N_("FILE") },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &options->key,
      N_("The private key (PEM) of --cert"), N_("FILE") },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &options->config,
      N_("Read the settings from FILE instead of bridge.json"), N_("FILE") },
    { "system", 0, 0, G_OPTION_ARG_NONE, &options->system,
      N_("Run as the machine’s bridge (latchkey-bridge.service): the system’s folders and the "
         "sealed token store, as the bridge’s own user"), NULL },
    { NULL }
  };

  return g_memdup2 (entries, sizeof entries);
}

void
lk_bridge_options_clear (LkBridgeOptions *options)
{
  g_strfreev (options->imap);
  g_strfreev (options->pop);
  g_strfreev (options->smtp);
  g_strfreev (options->imaps);
  g_strfreev (options->pop3s);
  g_strfreev (options->smtps);
  g_free (options->config);
  g_strfreev (options->lan);
  g_strfreev (options->allow);
  g_strfreev (options->relay_without_auth);
  g_strfreev (options->legacy_tls);
  g_strfreev (options->legacy_smtps);
  g_free (options->legacy_child);
  g_free (options->cert);
  g_free (options->key);
  memset (options, 0, sizeof *options);
}

/* The command line's listeners, or NULL when it names none. */
static GPtrArray *
command_line_endpoints (const LkBridgeOptions  *options,
                        GError                **error)
{
  struct { char **values; LkProtocol protocol; LkSecurity security; } kinds[] = {
    { options->imap, LK_PROTOCOL_IMAP, LK_SECURITY_STARTTLS },
    { options->pop, LK_PROTOCOL_POP, LK_SECURITY_STARTTLS },
    { options->smtp, LK_PROTOCOL_SMTP, LK_SECURITY_STARTTLS },
    { options->imaps, LK_PROTOCOL_IMAP, LK_SECURITY_TLS },
    { options->pop3s, LK_PROTOCOL_POP, LK_SECURITY_TLS },
    { options->smtps, LK_PROTOCOL_SMTP, LK_SECURITY_TLS },
  };
  g_autoptr(GPtrArray) endpoints = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_bridge_endpoint_free);

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    for (guint i = 0; kinds[k].values != NULL && kinds[k].values[i] != NULL; i++)
      {
        LkBridgeEndpoint *endpoint = lk_bridge_endpoint_parse (kinds[k].protocol, kinds[k].security,
                                                               kinds[k].values[i], error);
        if (endpoint == NULL)
          return NULL;
        g_ptr_array_add (endpoints, endpoint);
      }
  for (guint i = 0; options->lan != NULL && options->lan[i] != NULL; i++)
    {
      g_autoptr(LkBridgeSettings) lan = lk_bridge_settings_new_default ();

      g_ptr_array_set_size (lan->endpoints, 0);
      if (!lk_bridge_settings_add_lan (lan, options->lan[i], error))
        return NULL;
      for (guint j = 0; j < lan->endpoints->len; j++)
        g_ptr_array_add (endpoints, lk_bridge_endpoint_copy (g_ptr_array_index (lan->endpoints, j)));
    }
  if (endpoints->len == 0)
    return g_ptr_array_new ();
  return g_steal_pointer (&endpoints);
}

static LkBridgeSettings *
load_settings (Daemon  *daemon,
               GError **error)
{
  g_autoptr(LkBridgeSettings) settings = lk_bridge_settings_load (daemon->settings_path, error);
  g_autoptr(GPtrArray) endpoints = NULL;

  if (settings == NULL)
    return NULL;
  endpoints = command_line_endpoints (daemon->options, error);
  if (endpoints == NULL)
    return NULL;
  if (endpoints->len > 0)
    {
      g_ptr_array_unref (settings->endpoints);
      settings->endpoints = g_steal_pointer (&endpoints);
    }
  if (daemon->options->allow != NULL)
    {
      g_ptr_array_set_size (settings->allow, 0);
      for (guint i = 0; daemon->options->allow[i] != NULL; i++)
        g_ptr_array_add (settings->allow, g_strdup (daemon->options->allow[i]));
    }
  if (daemon->options->legacy_tls != NULL || daemon->options->legacy_smtps != NULL)
    {
      /* Named on the command line, they replace the file's, as the other
       * listeners do. */
      struct { char **values; LkSecurity security; } kinds[] = {
        { daemon->options->legacy_tls, LK_SECURITY_STARTTLS },
        { daemon->options->legacy_smtps, LK_SECURITY_TLS },
      };

      g_ptr_array_set_size (settings->legacy_endpoints, 0);
      for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
        for (guint i = 0; kinds[k].values != NULL && kinds[k].values[i] != NULL; i++)
          {
            LkBridgeEndpoint *endpoint = lk_bridge_endpoint_parse (LK_PROTOCOL_SMTP, kinds[k].security,
                                                                   kinds[k].values[i], error);

            if (endpoint == NULL)
              return NULL;
            g_ptr_array_add (settings->legacy_endpoints, endpoint);
          }
    }
  if (daemon->options->legacy_child != NULL)
    {
      /* The legacy process serves its one listener (LkBridgeLegacy). */
      LkBridgeEndpoint *endpoint = lk_bridge_endpoint_parse (LK_PROTOCOL_SMTP,
                                                             daemon->options->legacy_child_tls
                                                             ? LK_SECURITY_TLS : LK_SECURITY_STARTTLS,
                                                             daemon->options->legacy_child, error);

      if (endpoint == NULL)
        return NULL;
      g_ptr_array_set_size (settings->endpoints, 0);
      g_ptr_array_add (settings->endpoints, endpoint);
      g_ptr_array_set_size (settings->legacy_endpoints, 0);
    }
  if (daemon->options->relay_without_auth != NULL)
    {
      g_ptr_array_set_size (settings->relay_without_auth, 0);
      for (guint i = 0; daemon->options->relay_without_auth[i] != NULL; i++)
        g_ptr_array_add (settings->relay_without_auth,
                         g_strdup (daemon->options->relay_without_auth[i]));
    }
  {
    g_autoptr(GPtrArray) rules = lk_bridge_relay_rules_parse (settings->relay_without_auth, error);

    if (rules == NULL)
      return NULL;
  }
  if ((daemon->options->cert == NULL) != (daemon->options->key == NULL))
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("Give --cert FILE and --key FILE together"));
      return NULL;
    }
  if (daemon->options->cert != NULL)
    {
      g_free (settings->cert_file);
      g_free (settings->key_file);
      settings->cert_file = g_strdup (daemon->options->cert);
      settings->key_file = g_strdup (daemon->options->key);
    }
  /* Said wrong, the allow-list would open the bridge to more than IT
   * meant: refuse to start (or keep the settings in use) instead. */
  {
    g_autoptr(GPtrArray) allow = lk_bridge_allow_parse (settings->allow, error);

    if (allow == NULL)
      return NULL;
  }
  return g_steal_pointer (&settings);
}

static void
apply_limits (Daemon *daemon)
{
  lk_bridge_set_max_connections_per_address (daemon->bridge,
                                             daemon->settings->max_connections_per_address);
  /* Each step of the sign-in (connect, TLS, a reply), and three of them
   * for the whole of it. */
  lk_bridge_set_upstream_timeouts (daemon->bridge, daemon->settings->upstream_timeout_seconds * 1000,
                                   daemon->settings->upstream_timeout_seconds * 3000);
  lk_keep_alive_set_days (daemon->keep_alive, daemon->settings->keep_alive_days);
  lk_bridge_set_login_limits (daemon->bridge, daemon->settings->max_failure_delay_ms,
                              daemon->settings->lockout_after, daemon->settings->lockout_seconds);
  {
    g_autoptr(GPtrArray) rules = lk_bridge_relay_rules_parse (daemon->settings->relay_without_auth,
                                                               NULL);

    lk_bridge_set_relay_without_auth (daemon->bridge, rules);
  }
  lk_bridge_queue_set_schedule (daemon->queue, daemon->settings->spool_first_retry_seconds,
                                daemon->settings->spool_max_retry_seconds,
                                daemon->settings->spool_give_up_seconds);
}

static LkBridgeListener *
open_listener (Daemon                 *daemon,
               const LkBridgeEndpoint *endpoint,
               GError                **error)
{
  LkBridgeSessionOptions options = { 0 };
  g_autoptr(LkBridgeListener) listener = NULL;
  g_autoptr(GPtrArray) allow = NULL;

  options.security = endpoint->security;
  /* Loopback only on the desktop: plain login is allowed there (fetchmail
   * and friends expect it); anything else insists on TLS first. */
  options.login_requires_tls = lk_bridge_endpoint_is_lan (endpoint);
  options.prelogin_timeout_ms = daemon->settings->login_timeout_seconds * 1000;
  if (lk_bridge_endpoint_is_lan (endpoint))
    {
      allow = daemon->settings->allow->len > 0
              ? lk_bridge_allow_parse (daemon->settings->allow, error)
              : lk_bridge_allow_for_interface (endpoint->address, error);
      if (allow == NULL)
        return NULL;
    }
  if (daemon->options->legacy_child != NULL)
    {
      g_autoptr(GSocket) socket = g_socket_new_from_fd (LK_BRIDGE_LEGACY_FD, error);

      listener = socket != NULL
                 ? lk_bridge_listener_new_for_socket (daemon->bridge, endpoint, &options, socket, error)
                 : NULL;
    }
  else
    listener = lk_bridge_listener_new (daemon->bridge, endpoint, &options, error);
  if (listener == NULL)
    return NULL;
  lk_bridge_listener_set_allow (listener, allow);
  if (allow != NULL)
    {
      g_autofree char *line = lk_bridge_listener_describe (listener);
      g_autofree char *who = lk_bridge_allow_to_string (allow);

      g_message ("%s accepts connections from %s only", line, who);
    }
  return g_steal_pointer (&listener);
}

/* Names the certificate must have: the host name and each LAN address. */
static GStrv
certificate_names (Daemon *daemon)
{
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  gboolean lan = FALSE;

  for (guint i = 0; i < daemon->settings->endpoints->len + daemon->settings->legacy_endpoints->len; i++)
    {
      const LkBridgeEndpoint *endpoint = i < daemon->settings->endpoints->len
                                         ? g_ptr_array_index (daemon->settings->endpoints, i)
                                         : g_ptr_array_index (daemon->settings->legacy_endpoints,
                                                              i - daemon->settings->endpoints->len);
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (endpoint->address);

      if (!lk_bridge_endpoint_is_lan (endpoint) || inet == NULL || g_inet_address_get_is_any (inet))
        continue;
      lan = TRUE;
      g_strv_builder_add (names, endpoint->address);
    }
  if (lan)
    g_strv_builder_add (names, g_get_host_name ());
  return g_strv_builder_end (names);
}

/* ── Status and reload ────────────────────────────────────────────────── */

static JsonNode *
status_reply (Daemon *daemon)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *cert_dir = lk_bridge_certificate_default_directory ();
  g_autofree char *cert_file = daemon->settings->cert_file != NULL
                               ? g_strdup (daemon->settings->cert_file)
                               : g_build_filename (cert_dir, "cert.pem", NULL);

  json_builder_begin_object (builder);
  lk_json_add_boolean (builder, "running", TRUE);
  lk_json_add_int (builder, "pid", getpid ());
  lk_json_add_string (builder, "version", PACKAGE_VERSION);
  lk_json_add_date (builder, "started", daemon->started);
  lk_json_add_int (builder, "sessions", lk_bridge_get_n_sessions (daemon->bridge));
  json_builder_set_member_name (builder, "certificate");
  json_builder_begin_object (builder);
  lk_json_add_string (builder, "sha256", daemon->fingerprint);
  lk_json_add_string (builder, "file", cert_file);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "listeners");
  json_builder_begin_array (builder);
  for (guint i = 0; i < daemon->listeners->len; i++)
    {
      LkBridgeListener *listener = g_ptr_array_index (daemon->listeners, i);
      const LkBridgeEndpoint *endpoint = lk_bridge_listener_get_endpoint (listener);

      json_builder_begin_object (builder);
      lk_json_add_string (builder, "protocol", lk_protocol_to_string (endpoint->protocol));
      lk_json_add_string (builder, "address", endpoint->address);
      lk_json_add_int (builder, "port", lk_bridge_listener_get_port (listener));
      lk_json_add_string (builder, "security", lk_security_to_string (endpoint->security));
      if (lk_bridge_listener_get_allow (listener) != NULL)
        {
          g_autofree char *allow = lk_bridge_allow_to_string (lk_bridge_listener_get_allow (listener));

          lk_json_add_string (builder, "allow", allow);
        }
      json_builder_end_object (builder);
    }
  for (guint i = 0; i < daemon->legacy->len; i++)
    {
      LkBridgeLegacy *legacy = g_ptr_array_index (daemon->legacy, i);
      const LkBridgeEndpoint *endpoint = g_ptr_array_index (daemon->settings->legacy_endpoints, i);

      json_builder_begin_object (builder);
      lk_json_add_string (builder, "protocol", lk_protocol_to_string (endpoint->protocol));
      lk_json_add_string (builder, "address", endpoint->address);
      lk_json_add_int (builder, "port", lk_bridge_legacy_get_port (legacy));
      lk_json_add_string (builder, "security", lk_security_to_string (endpoint->security));
      lk_json_add_boolean (builder, "legacy_tls", TRUE);
      lk_json_add_boolean (builder, "running", lk_bridge_legacy_is_running (legacy));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "accounts");
  json_builder_add_value (builder, lk_bridge_get_account_status (daemon->bridge));
  json_builder_set_member_name (builder, "devices");
  json_builder_add_value (builder, lk_bridge_get_device_status (daemon->bridge));
  {
    g_autoptr(JsonNode) queue = lk_bridge_queue_describe (daemon->queue);

    json_builder_set_member_name (builder, "queue");
    json_builder_add_value (builder, json_node_copy (json_object_get_member (json_node_get_object (queue),
                                                                             "summary")));
  }
  lk_json_add_string (builder, "host_name", g_get_host_name ());
  {
    g_autoptr(GStrvBuilder) relay = g_strv_builder_new ();
    g_auto(GStrv) rules = NULL;

    for (guint i = 0; i < daemon->settings->relay_without_auth->len; i++)
      g_strv_builder_add (relay, g_ptr_array_index (daemon->settings->relay_without_auth, i));
    rules = g_strv_builder_end (relay);
    lk_json_add_strv (builder, "relay_without_auth", rules);
  }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Listeners follow bridge.json unless the command line named them: new
 * ones first (a port that cannot be bound keeps the old listener), then
 * the ones no longer wanted close. Open sessions go on either way. */
static void
update_listeners (Daemon *daemon)
{
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < daemon->settings->endpoints->len; i++)
    {
      const LkBridgeEndpoint *wanted = g_ptr_array_index (daemon->settings->endpoints, i);
      LkBridgeListener *found = NULL;

      for (guint j = 0; j < daemon->listeners->len && found == NULL; j++)
        {
          LkBridgeListener *listener = g_ptr_array_index (daemon->listeners, j);

          if (lk_bridge_endpoint_equal (lk_bridge_listener_get_endpoint (listener), wanted))
            found = listener;
        }
      if (found != NULL)
        g_ptr_array_add (kept, g_object_ref (found));
      else
        {
          g_autoptr(GError) error = NULL;
          LkBridgeListener *listener = open_listener (daemon, wanted, &error);

          if (listener == NULL)
            {
              g_warning ("%s", error->message);
              continue;
            }
          {
            g_autofree char *line = lk_bridge_listener_describe (listener);
            g_message ("Now listening: %s", line);
          }
          g_ptr_array_add (kept, listener);
        }
    }
  for (guint j = 0; j < daemon->listeners->len; j++)
    {
      LkBridgeListener *listener = g_ptr_array_index (daemon->listeners, j);

      if (!g_ptr_array_find (kept, listener, NULL))
        {
          g_autofree char *line = lk_bridge_listener_describe (listener);

          lk_bridge_listener_close (listener);
          g_message ("No longer listening: %s", line);
        }
    }
  g_ptr_array_unref (daemon->listeners);
  daemon->listeners = g_steal_pointer (&kept);
}

static void
reload (Daemon *daemon)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkBridgeSettings) settings = load_settings (daemon, &error);

  if (settings == NULL)
    g_warning ("Kept the settings in use: %s", error->message);
  else
    {
      lk_bridge_settings_free (daemon->settings);
      daemon->settings = g_steal_pointer (&settings);
      apply_limits (daemon);
      update_listeners (daemon);
    }
  g_clear_error (&error);
  if (!lk_bridge_credentials_load (daemon->credentials, &error))
    g_warning ("%s", error->message);
  /* A device with a new password (`bridge device reset`) is not locked
   * out any more. */
  lk_bridge_reload_devices (daemon->bridge);
  /* An account signed in again (its file changed): what waited for it
   * goes now, not after its backoff. */
  lk_bridge_queue_retry (daemon->queue, NULL);
  g_debug ("Reloaded the settings, accounts and logins");
}

static JsonNode *
control_cb (JsonObject *request,
            gpointer    user_data)
{
  Daemon *daemon = user_data;
  const char *command = lk_json_get_string_or (request, "command", "");
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  if (g_strcmp0 (command, "status") == 0)
    return status_reply (daemon);
  json_builder_begin_object (builder);
  if (g_strcmp0 (command, "reload") == 0)
    {
      reload (daemon);
      lk_json_add_boolean (builder, "ok", TRUE);
    }
  else if (g_strcmp0 (command, "queue") == 0)
    return lk_bridge_queue_describe (daemon->queue);
  else if (g_strcmp0 (command, "queue-retry") == 0)
    {
      lk_json_add_boolean (builder, "ok", TRUE);
      lk_json_add_int (builder, "count", lk_bridge_queue_retry (daemon->queue, NULL));
    }
  else if (g_strcmp0 (command, "queue-drop") == 0)
    {
      g_autoptr(GError) error = NULL;

      if (lk_bridge_queue_drop (daemon->queue,
                                lk_json_get_string_or (request, "id", ""),
                                &error))
        lk_json_add_boolean (builder, "ok", TRUE);
      else
        lk_json_add_string (builder, "error", error->message);
    }
  else
    lk_json_add_string (builder, "error", "unknown command");
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static gboolean
reload_cb (gpointer user_data)
{
  Daemon *daemon = user_data;

  daemon->reload_id = 0;
  reload (daemon);
  return G_SOURCE_REMOVE;
}

static void
schedule_reload (Daemon *daemon)
{
  if (daemon->stopping)
    return;
  /* Editors and atomic writes touch a file several times. */
  g_clear_handle_id (&daemon->reload_id, g_source_remove);
  daemon->reload_id = g_timeout_add (RELOAD_DELAY_MS, reload_cb, daemon);
}

static void
file_changed_cb (GFileMonitor      *monitor,
                 GFile             *file,
                 GFile             *other,
                 GFileMonitorEvent  event,
                 gpointer           user_data)
{
  if (event == G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT || event == G_FILE_MONITOR_EVENT_DELETED
      || event == G_FILE_MONITOR_EVENT_CREATED || event == G_FILE_MONITOR_EVENT_MOVED_IN
      || event == G_FILE_MONITOR_EVENT_RENAMED)
    schedule_reload (user_data);
}

static void
watch (Daemon     *daemon,
       const char *path,
       gboolean    directory)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  GFileMonitor *monitor;

  monitor = directory ? g_file_monitor_directory (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error)
                      : g_file_monitor_file (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (monitor == NULL)
    {
      g_debug ("Not watching %s: %s", path, error->message);
      return;
    }
  g_signal_connect (monitor, "changed", G_CALLBACK (file_changed_cb), daemon);
  g_ptr_array_add (daemon->monitors, monitor);
}

/* ── Keep-alive ───────────────────────────────────────────────────────── */

static gboolean keep_alive_cb (gpointer user_data);

static void
keep_alive_done_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Daemon *daemon = user_data;
  g_autoptr(GError) error = NULL;

  lk_keep_alive_run_finish (LK_KEEP_ALIVE (source), result, &error);
  daemon->keep_alive_running = FALSE;
  if (daemon->stopping)
    return;
  daemon->keep_alive_id = g_timeout_add_seconds (KEEP_ALIVE_EVERY_S, keep_alive_cb, daemon);
}

static gboolean
keep_alive_cb (gpointer user_data)
{
  Daemon *daemon = user_data;

  daemon->keep_alive_id = 0;
  daemon->keep_alive_running = TRUE;
  lk_keep_alive_run_async (daemon->keep_alive, daemon->keep_alive_first, NULL,
                           keep_alive_done_cb, daemon);
  daemon->keep_alive_first = FALSE;
  return G_SOURCE_REMOVE;
}

/* ── Start and stop ───────────────────────────────────────────────────── */

static gboolean
wait_for_quiet_cb (gpointer user_data)
{
  Daemon *daemon = user_data;

  if ((lk_bridge_get_n_sessions (daemon->bridge) == 0 && !lk_token_manager_is_busy (daemon->tokens)
       && !daemon->keep_alive_running && !lk_bridge_queue_is_busy (daemon->queue))
      || g_get_monotonic_time () > daemon->stop_deadline)
    {
      g_main_loop_quit (daemon->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
stop_cb (gpointer user_data)
{
  Daemon *daemon = user_data;

  if (daemon->stopping)
    return G_SOURCE_CONTINUE;
  daemon->stopping = TRUE;
  g_message ("Stopping: closing %u session(s)", lk_bridge_get_n_sessions (daemon->bridge));
  for (guint i = 0; i < daemon->listeners->len; i++)
    lk_bridge_listener_close (g_ptr_array_index (daemon->listeners, i));
  if (daemon->control != NULL)
    lk_bridge_control_close (daemon->control);
  for (guint i = 0; i < daemon->legacy->len; i++)
    lk_bridge_legacy_stop (g_ptr_array_index (daemon->legacy, i));
  g_clear_handle_id (&daemon->reload_id, g_source_remove);
  g_clear_handle_id (&daemon->keep_alive_id, g_source_remove);
  lk_bridge_close_all (daemon->bridge);
  lk_bridge_save_device_state (daemon->bridge);
  /* Deliveries under way end (a message is removed only after the
   * upstream's 250); the rest waits in the spool for the next start. */
  lk_bridge_queue_stop (daemon->queue);
  /* A refresh in flight ends by storing the rotated refresh token. */
  daemon->stop_deadline = g_get_monotonic_time () + STOP_WAIT_MS * 1000;
  g_timeout_add (50, wait_for_quiet_cb, daemon);
  return G_SOURCE_CONTINUE;
}

static gboolean
hangup_cb (gpointer user_data)
{
  schedule_reload (user_data);
  return G_SOURCE_CONTINUE;
}

/* glibc gives a thread that finds the arenas' locks taken an arena of its
 * own, up to eight per core, and never gives one back. The bridge's
 * threads (the TLS backend's, one per connection; the deliveries' and the
 * spool's workers) come and go by the hundred, and every arena keeps the
 * free space they left between live blocks, which malloc_trim() cannot
 * return. bench/bridge-office saw the RSS grow 8 to 11 % over 30,000 to
 * 100,000 small messages while the heap in use stayed flat (13 arenas,
 * 2.9 MB free in them after 1,000 messages, 4.8 MB some 30,000 later); with
 * two arenas it stays flat, at no cost the bench can see: the main loop
 * does most of the work (doc/bridge-office.md, "Performance"). */
static void
limit_malloc_arenas (void)
{
#ifdef M_ARENA_MAX
  mallopt (M_ARENA_MAX, 2);
#endif
}

/* Each session holds two sockets: lift the soft limit on open files to
 * the hard one, as servers do, so that the cap is ours to set
 * (max_connections_per_address), not the default 1024. */
static void
raise_file_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

/* What the legacy process must be told of the bridge's command line. */
static GStrv
legacy_forward (Daemon *daemon)
{
  const LkBridgeOptions *options = daemon->options;
  g_autoptr(GStrvBuilder) out = g_strv_builder_new ();

  g_strv_builder_add_many (out, "--config", daemon->settings_path, NULL);
  for (guint i = 0; options->allow != NULL && options->allow[i] != NULL; i++)
    g_strv_builder_add_many (out, "--allow", options->allow[i], NULL);
  for (guint i = 0; options->relay_without_auth != NULL && options->relay_without_auth[i] != NULL; i++)
    g_strv_builder_add_many (out, "--relay-without-auth", options->relay_without_auth[i], NULL);
  if (options->cert != NULL)
    g_strv_builder_add_many (out, "--cert", options->cert, "--key", options->key, NULL);
  if (options->system)
    g_strv_builder_add (out, "--system");
  return g_strv_builder_end (out);
}

static void
spool_changed_cb (GFileMonitor      *monitor,
                  GFile             *file,
                  GFile             *other,
                  GFileMonitorEvent  event,
                  gpointer           user_data)
{
  Daemon *daemon = user_data;
  g_autofree char *name = g_file_get_basename (other != NULL && event == G_FILE_MONITOR_EVENT_RENAMED
                                               ? other : file);

  if (g_str_has_suffix (name, ".json")
      && (event == G_FILE_MONITOR_EVENT_CREATED || event == G_FILE_MONITOR_EVENT_MOVED_IN
          || event == G_FILE_MONITOR_EVENT_RENAMED || event == G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT))
    lk_bridge_queue_rescan (daemon->queue);
}

static gboolean
start (Daemon  *daemon,
       GError **error)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(LkOAuthRefresher) refresher = lk_oauth_refresher_new ();
  g_autoptr(GError) local = NULL;

  daemon->settings = load_settings (daemon, error);
  if (daemon->settings == NULL)
    return FALSE;
  /* The legacy process answers nothing: the bridge that started it does. */
  if (daemon->options->legacy_child == NULL)
    {
      daemon->control = lk_bridge_control_new (NULL, control_cb, daemon, error);
      if (daemon->control == NULL)
        return FALSE;
    }
  if (daemon->settings->cert_file != NULL)
    certificate = lk_bridge_certificate_load (daemon->settings->cert_file,
                                              daemon->settings->key_file, error);
  else
    {
      g_auto(GStrv) names = certificate_names (daemon);

      certificate = lk_bridge_certificate_ensure (NULL, (const char * const *) names, error);
    }
  if (certificate == NULL)
    return FALSE;
  daemon->fingerprint = lk_certificate_fingerprint (certificate);

  daemon->accounts = lk_account_store_new (NULL);
  daemon->tokens = lk_token_manager_new (daemon->accounts, LK_TOKEN_REFRESHER (refresher));
  daemon->credentials = lk_bridge_credentials_new (NULL);
  if (!lk_bridge_credentials_load (daemon->credentials, &local))
    g_warning ("%s", local->message);
  daemon->bridge = lk_bridge_new (daemon->accounts, daemon->tokens, daemon->credentials);
  lk_bridge_set_certificate (daemon->bridge, certificate);
  daemon->keep_alive = lk_keep_alive_new (daemon->accounts, daemon->tokens,
                                          daemon->settings->keep_alive_days);
  {
    g_autofree char *dir = lk_places_get_dir (LK_PLACE_SPOOL);
    g_autoptr(LkBridgeSpool) spool = lk_bridge_spool_new (dir);

    /* Only the bridge tidies the spool up: the legacy process may start
     * again while the bridge takes a message in. */
    if (daemon->options->legacy_child == NULL && !lk_bridge_spool_prepare (spool, error))
      return FALSE;
    daemon->queue = lk_bridge_queue_new (daemon->bridge, g_steal_pointer (&spool));
    lk_bridge_set_queue (daemon->bridge, daemon->queue);
  }
  apply_limits (daemon);
  /* The devices' caps and lock-outs outlive a restart. Only the bridge
   * writes their file: the legacy process counts its own in memory (two
   * writers would each overwrite the other's counts). */
  if (daemon->options->legacy_child == NULL)
    {
      g_autofree char *state = lk_bridge_device_state_default_path ();

      lk_bridge_set_device_state (daemon->bridge, state);
    }

  for (guint i = 0; i < daemon->settings->endpoints->len; i++)
    {
      LkBridgeListener *listener = open_listener (daemon, g_ptr_array_index (daemon->settings->endpoints, i),
                                                  error);

      if (listener == NULL)
        return FALSE;
      g_ptr_array_add (daemon->listeners, listener);
    }
  if (daemon->options->legacy_child != NULL)
    lk_bridge_set_devices_only (daemon->bridge, TRUE);
  for (guint i = 0; i < daemon->settings->legacy_endpoints->len; i++)
    {
      g_auto(GStrv) forward = legacy_forward (daemon);
      LkBridgeLegacy *legacy = lk_bridge_legacy_new (g_ptr_array_index (daemon->settings->legacy_endpoints, i),
                                                     (const char * const *) forward, error);

      if (legacy == NULL)
        return FALSE;
      g_ptr_array_add (daemon->legacy, legacy);
    }
  if (daemon->listeners->len == 0 && daemon->legacy->len == 0)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("No listener: name at least one in bridge.json or with --imap, "
                             "--pop or --smtp"));
      return FALSE;
    }
  return TRUE;
}

static void
daemon_clear (Daemon *daemon)
{
  if (daemon->control != NULL && !daemon->stopping)
    lk_bridge_control_close (daemon->control);
  for (guint i = 0; daemon->listeners != NULL && i < daemon->listeners->len; i++)
    lk_bridge_listener_close (g_ptr_array_index (daemon->listeners, i));
  g_clear_pointer (&daemon->listeners, g_ptr_array_unref);
  for (guint i = 0; daemon->legacy != NULL && i < daemon->legacy->len; i++)
    lk_bridge_legacy_stop (g_ptr_array_index (daemon->legacy, i));
  g_clear_pointer (&daemon->legacy, g_ptr_array_unref);
  g_clear_object (&daemon->spool_monitor);
  g_clear_pointer (&daemon->monitors, g_ptr_array_unref);
  g_clear_object (&daemon->control);
  g_clear_object (&daemon->keep_alive);
  if (daemon->bridge != NULL)
    lk_bridge_set_queue (daemon->bridge, NULL);
  g_clear_object (&daemon->queue);
  g_clear_object (&daemon->bridge);
  g_clear_object (&daemon->credentials);
  g_clear_object (&daemon->tokens);
  g_clear_object (&daemon->accounts);
  g_clear_pointer (&daemon->settings, lk_bridge_settings_free);
  g_free (daemon->settings_path);
  g_free (daemon->fingerprint);
  g_clear_pointer (&daemon->started, g_date_time_unref);
  g_clear_pointer (&daemon->loop, g_main_loop_unref);
}

/**
 * lk_bridge_daemon_run:
 *
 * Runs the bridge until SIGTERM or SIGINT. When every listener is ready it
 * prints one line per listener on stdout, "PROTOCOL ADDRESS:PORT
 * SECURITY", and nothing more there (logs go to stderr or the journal).
 *
 * Returns: the exit status: 0 after a clean stop, 1 when it cannot start
 *   (a port taken, already running, broken settings), 2 for a malformed
 *   ADDRESS:PORT
 */
int
lk_bridge_daemon_run (const LkBridgeOptions *options)
{
  Daemon daemon = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *credentials_path = NULL;
  g_autofree char *accounts_dir = NULL;
  guint signal_ids[3];

  /* Before anything uses TLS: glib-networking reads it once. The bridge
   * and its upstream connections take TLS 1.2 and later; only a
   * --legacy-tls or --legacy-smtps process (LkBridgeLegacy sets its own)
   * takes 1.0 and 1.1.
   * An administrator's own G_TLS_GNUTLS_PRIORITY is kept. */
  if (g_getenv ("G_TLS_GNUTLS_PRIORITY") == NULL)
    g_setenv ("G_TLS_GNUTLS_PRIORITY", LK_BRIDGE_TLS_PRIORITY_STRICT, TRUE);
  if (options->legacy_child != NULL)
    {
      /* It lives as long as the bridge that started it. */
      prctl (PR_SET_PDEATHSIG, SIGTERM);
      if (getppid () == 1)
        return 1;
    }
  lk_core_init ();
  /* First: it decides every path, the token store and the user we run as
   * (doc/system-mode.md). */
  if (options->system && !lk_system_mode_enter (&error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      return 1;
    }
  limit_malloc_arenas ();
  raise_file_limit ();
  daemon.options = options;
  daemon.settings_path = options->config != NULL ? g_strdup (options->config)
                                                 : lk_bridge_settings_default_path ();
  daemon.listeners = g_ptr_array_new_with_free_func (g_object_unref);
  daemon.legacy = g_ptr_array_new_with_free_func (g_object_unref);
  daemon.monitors = g_ptr_array_new_with_free_func (g_object_unref);
  daemon.started = g_date_time_new_now_utc ();
  daemon.loop = g_main_loop_new (NULL, FALSE);
  daemon.keep_alive_first = TRUE;

  {
    g_autoptr(GPtrArray) endpoints = command_line_endpoints (options, &error);

    if (endpoints == NULL)
      {
        g_printerr ("%s: %s\n", g_get_prgname (), error->message);
        daemon_clear (&daemon);
        return 2;
      }
  }
  if (!start (&daemon, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      daemon_clear (&daemon);
      return 1;
    }

  for (guint i = 0; i < daemon.listeners->len; i++)
    {
      g_autofree char *line = lk_bridge_listener_describe (g_ptr_array_index (daemon.listeners, i));

      g_print ("%s\n", line);
    }
  for (guint i = 0; i < daemon.legacy->len; i++)
    {
      g_autofree char *line = lk_bridge_legacy_describe (g_ptr_array_index (daemon.legacy, i));

      g_print ("%s\n", line);
      g_message ("%s: TLS 1.0 and 1.1 too, in a process of its own, for devices only", line);
    }
  if (daemon.legacy->len > 0)
    {
      g_autoptr(GFile) spool = g_file_new_for_path (lk_bridge_spool_get_directory (lk_bridge_queue_get_spool (daemon.queue)));

      daemon.spool_monitor = g_file_monitor_directory (spool, G_FILE_MONITOR_WATCH_MOVES, NULL, NULL);
      if (daemon.spool_monitor != NULL)
        g_signal_connect (daemon.spool_monitor, "changed", G_CALLBACK (spool_changed_cb), &daemon);
    }
  fflush (stdout);
  g_message ("Ready; certificate SHA-256 %s", daemon.fingerprint);

  watch (&daemon, daemon.settings_path, FALSE);
  credentials_path = g_strdup (lk_bridge_credentials_get_path (daemon.credentials));
  watch (&daemon, credentials_path, FALSE);
  accounts_dir = g_strdup (lk_account_store_get_directory (daemon.accounts));
  watch (&daemon, accounts_dir, TRUE);
  signal_ids[0] = g_unix_signal_add (SIGTERM, stop_cb, &daemon);
  signal_ids[1] = g_unix_signal_add (SIGINT, stop_cb, &daemon);
  signal_ids[2] = g_unix_signal_add (SIGHUP, hangup_cb, &daemon);
  /* Refreshing tokens is the bridge's: the legacy process makes no
   * connection of its own. */
  if (options->legacy_child == NULL)
    daemon.keep_alive_id = g_timeout_add_seconds (KEEP_ALIVE_FIRST_S, keep_alive_cb, &daemon);
  /* What the spool kept from before (a restart, a crash) goes out now.
   * The legacy process only takes mail in: the bridge delivers it. */
  if (options->legacy_child == NULL)
    lk_bridge_queue_start (daemon.queue);

  g_main_loop_run (daemon.loop);

  for (guint i = 0; i < G_N_ELEMENTS (signal_ids); i++)
    g_source_remove (signal_ids[i]);
  g_clear_handle_id (&daemon.keep_alive_id, g_source_remove);
  g_message ("Stopped");
  daemon_clear (&daemon);
  return daemon.status;
}
