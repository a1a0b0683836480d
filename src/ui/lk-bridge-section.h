/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "store/lk-account.h"

G_BEGIN_DECLS

#define LK_TYPE_BRIDGE_SECTION (lk_bridge_section_get_type ())

G_DECLARE_FINAL_TYPE (LkBridgeSection, lk_bridge_section, LK, BRIDGE_SECTION, GtkWidget)

GtkWidget  *lk_bridge_section_new          (void);
void        lk_bridge_section_set_account  (LkBridgeSection *self,
                                            LkAccount       *account);
gboolean    lk_bridge_section_get_enabled  (LkBridgeSection *self);
void        lk_bridge_section_set_enabled  (LkBridgeSection *self,
                                            gboolean         enabled);
void        lk_bridge_section_new_password (LkBridgeSection *self);
const char *lk_bridge_section_get_password (LkBridgeSection *self);
const char *lk_bridge_section_get_state    (LkBridgeSection *self);
gboolean    lk_bridge_section_get_busy     (LkBridgeSection *self);
AdwExpanderRow *lk_bridge_section_get_protocol_row (LkBridgeSection *self,
                                                    LkProtocol       protocol);

G_END_DECLS
