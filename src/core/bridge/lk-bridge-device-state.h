/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LK_BRIDGE_DEVICE_STATE_MINUTES 60

/**
 * LkBridgeDeviceRecord:
 * @minute: the Unix minute (time / 60) each slot of @count counts; a slot
 *   is reused when its minute comes round again
 * @count: messages handed over in that minute
 * @day: the local day @messages_today counts (lk_bridge_device_record_day())
 * @messages_today: messages handed over that day
 * @failures: wrong passwords in a row, as the backoff counted them
 * @last_failure: Unix time of the last one, 0 for none
 * @locked_at: Unix time the lock began, 0 when not locked
 * @locked_until: Unix time the lock ends, 0 when not locked
 *
 * What one device did that must outlive a restart of the bridge: its
 * hourly cap's window and its lock-out (doc/bridge-office.md, "Devices").
 * No secret: counts and times only.
 */
typedef struct
{
  gint64 minute[LK_BRIDGE_DEVICE_STATE_MINUTES];
  guint  count[LK_BRIDGE_DEVICE_STATE_MINUTES];
  gint64 day;
  guint  messages_today;
  guint  failures;
  gint64 last_failure;
  gint64 locked_at;
  gint64 locked_until;
} LkBridgeDeviceRecord;

gint64   lk_bridge_device_record_day       (gint64                      unix_time);
void     lk_bridge_device_record_count     (LkBridgeDeviceRecord       *record,
                                            gint64                      now);
guint    lk_bridge_device_record_this_hour (const LkBridgeDeviceRecord *record,
                                            gint64                      now,
                                            gint64                     *out_free_at);
guint    lk_bridge_device_record_today     (const LkBridgeDeviceRecord *record,
                                            gint64                      now);
void     lk_bridge_device_record_clear_lock (LkBridgeDeviceRecord      *record);

/* Every device's record, and the file they live in. */
typedef struct _LkBridgeDeviceState LkBridgeDeviceState;

LkBridgeDeviceState  *lk_bridge_device_state_new      (const char          *path);
void                  lk_bridge_device_state_free     (LkBridgeDeviceState *self);
char                 *lk_bridge_device_state_default_path (void) G_GNUC_WARN_UNUSED_RESULT;
const char           *lk_bridge_device_state_get_path (LkBridgeDeviceState *self);
gboolean              lk_bridge_device_state_load     (LkBridgeDeviceState *self,
                                                       GError             **error);
gboolean              lk_bridge_device_state_save     (LkBridgeDeviceState *self,
                                                       GError             **error);
LkBridgeDeviceRecord *lk_bridge_device_state_lookup   (LkBridgeDeviceState *self,
                                                       const char          *name);
LkBridgeDeviceRecord *lk_bridge_device_state_get      (LkBridgeDeviceState *self,
                                                       const char          *name);
GPtrArray            *lk_bridge_device_state_dup_names (LkBridgeDeviceState *self) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkBridgeDeviceState, lk_bridge_device_state_free)

G_END_DECLS
