/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "bridge/lk-bridge-settings.h"

G_BEGIN_DECLS

/* The GnuTLS priority strings of the two kinds of bridge process
 * (G_TLS_GNUTLS_PRIORITY, read by glib-networking once per process). */
#define LK_BRIDGE_TLS_PRIORITY_STRICT "NORMAL:%COMPAT:-VERS-TLS1.1:-VERS-TLS1.0"
#define LK_BRIDGE_TLS_PRIORITY_LEGACY "NORMAL:%COMPAT:+VERS-TLS1.1:+VERS-TLS1.0:+SHA1:+SIGN-ALL"

/* The socket the legacy process finds its listener on. */
#define LK_BRIDGE_LEGACY_FD 3

#define LK_TYPE_BRIDGE_LEGACY (lk_bridge_legacy_get_type ())

G_DECLARE_FINAL_TYPE (LkBridgeLegacy, lk_bridge_legacy, LK, BRIDGE_LEGACY, GObject)

LkBridgeLegacy *lk_bridge_legacy_new      (const LkBridgeEndpoint *endpoint,
                                           const char * const     *forward,
                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;
guint16         lk_bridge_legacy_get_port (LkBridgeLegacy         *self);
char           *lk_bridge_legacy_describe (LkBridgeLegacy         *self) G_GNUC_WARN_UNUSED_RESULT;
void            lk_bridge_legacy_stop     (LkBridgeLegacy         *self);
gboolean        lk_bridge_legacy_is_running (LkBridgeLegacy       *self);

G_END_DECLS
