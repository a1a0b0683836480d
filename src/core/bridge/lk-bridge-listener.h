/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "bridge/lk-bridge-session.h"
#include "bridge/lk-bridge-settings.h"
#include "bridge/lk-bridge.h"

G_BEGIN_DECLS

#define LK_TYPE_BRIDGE_LISTENER (lk_bridge_listener_get_type ())

G_DECLARE_FINAL_TYPE (LkBridgeListener, lk_bridge_listener, LK, BRIDGE_LISTENER, GSocketService)

LkBridgeListener       *lk_bridge_listener_new          (LkBridge                     *bridge,
                                                         const LkBridgeEndpoint       *endpoint,
                                                         const LkBridgeSessionOptions *options,
                                                         GError                      **error) G_GNUC_WARN_UNUSED_RESULT;
LkBridgeListener       *lk_bridge_listener_new_for_socket (LkBridge                   *bridge,
                                                         const LkBridgeEndpoint       *endpoint,
                                                         const LkBridgeSessionOptions *options,
                                                         GSocket                      *socket,
                                                         GError                      **error) G_GNUC_WARN_UNUSED_RESULT;
const LkBridgeEndpoint *lk_bridge_listener_get_endpoint (LkBridgeListener             *self);
guint16                 lk_bridge_listener_get_port     (LkBridgeListener             *self);
char                   *lk_bridge_listener_describe     (LkBridgeListener             *self) G_GNUC_WARN_UNUSED_RESULT;
void                    lk_bridge_listener_set_allow    (LkBridgeListener             *self,
                                                         GPtrArray                    *allow);
GPtrArray              *lk_bridge_listener_get_allow    (LkBridgeListener             *self);
void                    lk_bridge_listener_close        (LkBridgeListener             *self);

G_END_DECLS
