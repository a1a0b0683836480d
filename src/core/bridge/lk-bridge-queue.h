/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "bridge/lk-bridge-spool.h"
#include "bridge/lk-bridge.h"

G_BEGIN_DECLS

#define LK_BRIDGE_QUEUE_FIRST_RETRY_S 60
#define LK_BRIDGE_QUEUE_MAX_RETRY_S   3600
#define LK_BRIDGE_QUEUE_GIVE_UP_S     (24 * 3600)

#define LK_TYPE_BRIDGE_QUEUE (lk_bridge_queue_get_type ())

G_DECLARE_FINAL_TYPE (LkBridgeQueue, lk_bridge_queue, LK, BRIDGE_QUEUE, GObject)

LkBridgeQueue *lk_bridge_queue_new          (LkBridge            *bridge,
                                             LkBridgeSpool       *spool) G_GNUC_WARN_UNUSED_RESULT;
LkBridgeSpool *lk_bridge_queue_get_spool    (LkBridgeQueue       *self);
void           lk_bridge_queue_set_schedule (LkBridgeQueue       *self,
                                             guint                first_retry_s,
                                             guint                max_retry_s,
                                             guint                give_up_s);
void           lk_bridge_queue_start        (LkBridgeQueue       *self);
void           lk_bridge_queue_stop         (LkBridgeQueue       *self);
gboolean       lk_bridge_queue_is_busy      (LkBridgeQueue       *self);
void           lk_bridge_queue_rescan       (LkBridgeQueue       *self);
void           lk_bridge_queue_add          (LkBridgeQueue       *self,
                                             const LkBridgeSpoolEntry *entry);
guint          lk_bridge_queue_retry        (LkBridgeQueue       *self,
                                             const char          *account);
gboolean       lk_bridge_queue_drop         (LkBridgeQueue       *self,
                                             const char          *id,
                                             GError             **error);
JsonNode      *lk_bridge_queue_describe     (LkBridgeQueue       *self) G_GNUC_WARN_UNUSED_RESULT;
char          *lk_bridge_queue_size_refusal (gint64               max_size,
                                             goffset              size) G_GNUC_WARN_UNUSED_RESULT;
JsonNode      *lk_bridge_queue_summarize    (GPtrArray           *entries) G_GNUC_WARN_UNUSED_RESULT;
JsonNode      *lk_bridge_queue_describe_entries (GPtrArray       *entries) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
