/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * LkBridgeOptions:
 *
 * The command line of `latchkey-bridge` and `latchkey-cli bridge run`
 * (one table, lk_bridge_options_get_entries()): listeners given here
 * replace those of bridge.json.
 */
typedef struct
{
  char **imap;
  char **pop;
  char **smtp;
  char **imaps;
  char **pop3s;
  char **smtps;
  char  *config;
  gboolean system;
  char **lan;
  char **allow;
  char  *cert;
  char  *key;
  char **relay_without_auth;
  char **legacy_tls;
  char **legacy_smtps;
  char  *legacy_child;          /* internal: the legacy-TLS process (LkBridgeLegacy) */
  gboolean legacy_child_tls;    /* internal: its listener speaks implicit TLS */
} LkBridgeOptions;

GOptionEntry *lk_bridge_options_get_entries (LkBridgeOptions       *options) G_GNUC_WARN_UNUSED_RESULT;
void          lk_bridge_options_clear       (LkBridgeOptions       *options);
int           lk_bridge_daemon_run          (const LkBridgeOptions *options);

G_END_DECLS
