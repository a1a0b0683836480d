/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The daemon's control socket: one JSON object per line each way, one
 * request per connection. Requests: {"command": "status"} and
 * {"command": "reload"}; see doc/bridge.md. The office bridge adds
 * {"command": "queue"}, {"command": "queue-retry"} and {"command":
 * "queue-drop", "id": ID} (doc/bridge-office.md). */

/* Answers @request (a JSON object with "command"); returns the reply. */
typedef JsonNode *(*LkBridgeControlHandler) (JsonObject *request,
                                             gpointer    user_data);

#define LK_TYPE_BRIDGE_CONTROL (lk_bridge_control_get_type ())

G_DECLARE_FINAL_TYPE (LkBridgeControl, lk_bridge_control, LK, BRIDGE_CONTROL, GSocketService)

char            *lk_bridge_control_default_path (void) G_GNUC_WARN_UNUSED_RESULT;
LkBridgeControl *lk_bridge_control_new          (const char              *path,
                                                 LkBridgeControlHandler   handler,
                                                 gpointer                 user_data,
                                                 GError                 **error) G_GNUC_WARN_UNUSED_RESULT;
const char      *lk_bridge_control_get_path     (LkBridgeControl         *self);
void             lk_bridge_control_close        (LkBridgeControl         *self);

G_END_DECLS
