/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "lk-protocol.h"

G_BEGIN_DECLS

/**
 * LkBridgeEndpoint:
 * @security: %LK_SECURITY_STARTTLS (clear text, STARTTLS offered) or
 *   %LK_SECURITY_TLS (implicit TLS)
 * @port: 0 picks a free port
 */
typedef struct
{
  LkProtocol  protocol;
  LkSecurity  security;
  char       *address;
  guint16     port;
} LkBridgeEndpoint;

/**
 * LkBridgeSettings:
 *
 * The daemon's settings: `bridge.json` in %LK_PLACE_CONFIG
 * (`$XDG_CONFIG_HOME/latchkey/`, system mode `/var/lib/latchkey/`), then the
 * command line's listeners, which replace the file's (see
 * latchkey-bridge(1)).
 */
typedef struct
{
  GPtrArray *endpoints;              /* LkBridgeEndpoint */
  guint      max_connections_per_address;
  guint      login_timeout_seconds;
  guint      upstream_timeout_seconds;
  guint      keep_alive_days;
  /* The office bridge (doc/bridge-office.md). */
  GPtrArray *allow;                  /* char *, "10.0.0.0/24": who may connect off loopback */
  char      *cert_file;              /* a certificate of IT's own, or NULL */
  char      *key_file;
  guint      max_failure_delay_ms;
  guint      lockout_after;
  guint      lockout_seconds;
  guint      spool_first_retry_seconds;
  guint      spool_max_retry_seconds;
  guint      spool_give_up_seconds;
  GPtrArray *relay_without_auth;     /* char *, "CIDR=DEVICE" */
  GPtrArray *legacy_endpoints;       /* LkBridgeEndpoint: SMTP with TLS 1.0 and 1.1 too, with
                                      * STARTTLS or implicit TLS (LkBridgeLegacy) */
} LkBridgeSettings;

#define LK_BRIDGE_DEFAULT_IMAP_PORT 1143
#define LK_BRIDGE_DEFAULT_POP_PORT  1110
#define LK_BRIDGE_DEFAULT_SMTP_PORT 1587
#define LK_BRIDGE_DEFAULT_MAX_CONNECTIONS_PER_ADDRESS 500
#define LK_BRIDGE_DEFAULT_KEEP_ALIVE_DAYS 14
/* `--lan ADDRESS`: submission with STARTTLS and with implicit TLS on the
 * usual ports (RFC 6409, RFC 8314). */
#define LK_BRIDGE_LAN_SMTP_PORT  587
#define LK_BRIDGE_LAN_SMTPS_PORT 465

LkBridgeSettings *lk_bridge_settings_new_default (void) G_GNUC_WARN_UNUSED_RESULT;
LkBridgeSettings *lk_bridge_settings_load        (const char         *path,
                                                  GError            **error) G_GNUC_WARN_UNUSED_RESULT;
char             *lk_bridge_settings_default_path (void) G_GNUC_WARN_UNUSED_RESULT;
void              lk_bridge_settings_free        (LkBridgeSettings   *self);
LkBridgeEndpoint *lk_bridge_endpoint_parse       (LkProtocol          protocol,
                                                  LkSecurity          security,
                                                  const char         *text,
                                                  GError            **error) G_GNUC_WARN_UNUSED_RESULT;
LkBridgeEndpoint *lk_bridge_endpoint_copy        (const LkBridgeEndpoint *endpoint) G_GNUC_WARN_UNUSED_RESULT;
void              lk_bridge_endpoint_free        (LkBridgeEndpoint   *endpoint);
gboolean          lk_bridge_endpoint_equal       (const LkBridgeEndpoint *a,
                                                  const LkBridgeEndpoint *b);
char             *lk_bridge_endpoint_to_string   (const LkBridgeEndpoint *endpoint,
                                                  guint16             port) G_GNUC_WARN_UNUSED_RESULT;
char             *lk_bridge_endpoint_describe    (const LkBridgeEndpoint *endpoint,
                                                  guint16             port) G_GNUC_WARN_UNUSED_RESULT;
gboolean          lk_bridge_settings_add_lan     (LkBridgeSettings   *self,
                                                  const char         *address,
                                                  GError            **error);
gboolean          lk_bridge_endpoint_is_lan      (const LkBridgeEndpoint *endpoint);
const LkBridgeEndpoint *lk_bridge_settings_find  (const LkBridgeSettings *self,
                                                  LkProtocol          protocol);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkBridgeSettings, lk_bridge_settings_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkBridgeEndpoint, lk_bridge_endpoint_free)

G_END_DECLS
