/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Failed logins per key (a user name or device name, and on the LAN a
 * source address): each failure doubles the wait before the next check,
 * and after as many as the lock-out allows the key is locked for a while. */
typedef struct _LkBridgeBackoff LkBridgeBackoff;

LkBridgeBackoff *lk_bridge_backoff_new          (void);
void             lk_bridge_backoff_free         (LkBridgeBackoff *self);
guint            lk_bridge_backoff_get_delay_ms (LkBridgeBackoff *self,
                                                 const char      *key);
guint            lk_bridge_backoff_get_failures (LkBridgeBackoff *self,
                                                 const char      *key);
void             lk_bridge_backoff_failed       (LkBridgeBackoff *self,
                                                 const char      *key);
void             lk_bridge_backoff_succeeded    (LkBridgeBackoff *self,
                                                 const char      *key);
void             lk_bridge_backoff_set_limits   (LkBridgeBackoff *self,
                                                 guint            max_delay_ms,
                                                 guint            lockout_after,
                                                 guint            lockout_seconds);
gboolean         lk_bridge_backoff_is_locked    (LkBridgeBackoff *self,
                                                 const char      *key);
guint            lk_bridge_backoff_get_locked_seconds (LkBridgeBackoff *self,
                                                 const char      *key);
void             lk_bridge_backoff_restore      (LkBridgeBackoff *self,
                                                 const char      *key,
                                                 guint            failures,
                                                 guint64          seconds_since_failure,
                                                 guint64          locked_seconds);
void             lk_bridge_backoff_set_clock    (LkBridgeBackoff *self,
                                                 gint64         (*now_us) (void));

#define LK_BRIDGE_BACKOFF_MAX_DELAY_MS     16000
#define LK_BRIDGE_BACKOFF_LOCKOUT_AFTER    20
#define LK_BRIDGE_BACKOFF_LOCKOUT_SECONDS  (15 * 60)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkBridgeBackoff, lk_bridge_backoff_free)

G_END_DECLS
