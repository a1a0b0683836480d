/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "bridge/lk-bridge-credentials.h"

G_BEGIN_DECLS

/**
 * LkBridgeDeviceSheet:
 * @name: the device, which is also its user name
 * @password: (nullable): only right after `device add` or `device reset`
 * @account: the account it sends as
 * @sender: (nullable): the only sender it may use
 * @max_per_hour: 0: no cap
 * @address: (nullable): where the device reaches the bridge: the first LAN
 *   address (%NULL when the bridge has none: `--lan` is missing)
 * @host_name: the bridge machine's name, for devices that take a name
 * @smtp_port, @smtps_port: the LAN's submission ports with STARTTLS and
 *   with implicit TLS; 0 when there is none
 * @legacy_smtp_port, @legacy_smtps_port: the same for old devices that
 *   speak only TLS 1.0 or 1.1 (`--legacy-tls`, `--legacy-smtps`); 0 when
 *   there is none
 * @fingerprint: (nullable): the certificate's SHA-256, "AB:CD:…"
 * @relay_networks: networks from which the device may send without
 *   logging in (`--relay-without-auth NETWORK=NAME`), often none
 *
 * What IT types into a printer's web page: `bridge device add` prints it
 * as text or JSON, the IT window prints it or saves it as PDF.
 */
typedef struct
{
  char            *name;
  char            *password;
  char            *account;
  LkProtocolFlags  protocols;
  char            *sender;
  guint            max_per_hour;
  char            *address;
  char            *host_name;
  guint            smtp_port;
  guint            smtps_port;
  guint            legacy_smtp_port;
  guint            legacy_smtps_port;
  char            *fingerprint;
  GStrv            relay_networks;
} LkBridgeDeviceSheet;

LkBridgeDeviceSheet *lk_bridge_device_sheet_new     (const LkBridgeUser  *device,
                                                     const char          *password,
                                                     JsonObject          *status) G_GNUC_WARN_UNUSED_RESULT;
void                 lk_bridge_device_sheet_free    (LkBridgeDeviceSheet *self);
JsonNode            *lk_bridge_device_sheet_to_json (const LkBridgeDeviceSheet *self) G_GNUC_WARN_UNUSED_RESULT;
char                *lk_bridge_device_sheet_to_text (const LkBridgeDeviceSheet *self) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkBridgeDeviceSheet, lk_bridge_device_sheet_free)

G_END_DECLS
