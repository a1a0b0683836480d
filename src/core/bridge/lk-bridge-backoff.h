/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Failed logins per key (a user name; the office bridge adds source
 * addresses): each failure doubles the wait before the next check. */
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
void             lk_bridge_backoff_set_clock    (LkBridgeBackoff *self,
                                                 gint64         (*now_us) (void));

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkBridgeBackoff, lk_bridge_backoff_free)

G_END_DECLS
