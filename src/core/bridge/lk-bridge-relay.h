/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "bridge/lk-bridge-channel.h"

G_BEGIN_DECLS

/**
 * LkBridgeRelay:
 *
 * Copies bytes both ways between two channels without looking at them,
 * until either side ends. A side is read only while the other has nothing
 * queued, so memory stays bounded by one queued read per direction.
 */
typedef struct _LkBridgeRelay LkBridgeRelay;

/* @error is NULL when a side closed its end in order. */
typedef void (*LkBridgeRelayDoneFunc) (LkBridgeRelay *relay,
                                       const GError  *error,
                                       gpointer       user_data);

LkBridgeRelay *lk_bridge_relay_new   (LkBridgeChannel       *client,
                                      LkBridgeChannel       *upstream,
                                      LkBridgeRelayDoneFunc  done,
                                      gpointer               user_data);
void           lk_bridge_relay_start (LkBridgeRelay         *self);
void           lk_bridge_relay_free  (LkBridgeRelay         *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkBridgeRelay, lk_bridge_relay_free)

G_END_DECLS
