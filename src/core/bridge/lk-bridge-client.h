/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "bridge/lk-bridge-credentials.h"
#include "bridge/lk-bridge-settings.h"

G_BEGIN_DECLS

/* What the CLI and the GUI ask a running bridge (its control socket). */

void        lk_bridge_client_request_async  (const char           *command,
                                             const char           *socket_path,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
void        lk_bridge_client_request_id_async (const char         *command,
                                             const char           *id,
                                             const char           *socket_path,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
JsonObject *lk_bridge_client_request_finish (GAsyncResult         *result,
                                             GError              **error) G_GNUC_WARN_UNUSED_RESULT;
JsonNode   *lk_bridge_client_dup_devices    (JsonObject           *status,
                                             LkBridgeCredentials  *credentials) G_GNUC_WARN_UNUSED_RESULT;
gboolean    lk_bridge_client_is_not_running (const GError         *error);
LkBridgeEndpoint *lk_bridge_client_find_listener (JsonObject             *status,
                                                  const LkBridgeSettings *settings,
                                                  LkProtocol              protocol) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
