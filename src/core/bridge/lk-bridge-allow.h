/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Who may connect to the office bridge's LAN listeners: a list of
 * GInetAddressMask, from `--allow CIDR` or the listening interface's own
 * subnet. */

GPtrArray *lk_bridge_allow_parse         (GPtrArray     *cidrs,
                                          GError       **error) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray *lk_bridge_allow_for_interface (const char    *address,
                                          GError       **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean   lk_bridge_allow_matches       (GPtrArray     *allow,
                                          GInetAddress  *address);
char      *lk_bridge_allow_to_string     (GPtrArray     *allow) G_GNUC_WARN_UNUSED_RESULT;

/**
 * LkBridgeRelayRule:
 * @network: who may send without AUTH
 * @device: as which device
 *
 * One `--relay-without-auth CIDR=DEVICE`.
 */
typedef struct
{
  GInetAddressMask *network;
  char             *device;
} LkBridgeRelayRule;

void       lk_bridge_relay_rule_free     (LkBridgeRelayRule *rule);
GPtrArray *lk_bridge_relay_rules_parse   (GPtrArray     *texts,
                                          GError       **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
