/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <stdio.h>

#include "bridge/lk-bridge-credentials.h"
#include "lk-cli.h"

G_BEGIN_DECLS

/* What `bridge` and `bridge device` (lk-cli-bridge-device.c) share. */
JsonObject *lk_cli_bridge_ask        (const char  *command,
                                      GError     **error) G_GNUC_WARN_UNUSED_RESULT;
void        lk_cli_bridge_reload     (void);
void        lk_cli_bridge_print_json (JsonNode    *node);
LkBridgeUser *lk_cli_bridge_find_device (LkBridgeCredentials *credentials,
                                      const char          *name,
                                      int                 *out_status) G_GNUC_WARN_UNUSED_RESULT;
int         lk_cli_bridge_device     (int          argc,
                                      char       **argv);
int         lk_cli_bridge_queue      (int          argc,
                                      char       **argv);
void        lk_cli_bridge_print_commands (FILE               *out,
                                      const LkCliCommand *commands,
                                      guint               n_commands);
int         lk_cli_bridge_dispatch   (const char         *group,
                                      const LkCliCommand *commands,
                                      guint               n_commands,
                                      void              (*help) (FILE *out),
                                      int                 argc,
                                      char              **argv);

G_END_DECLS
