/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "bridge/lk-bridge-credentials.h"

G_BEGIN_DECLS

#define LK_TYPE_DEVICES_PAGE (lk_devices_page_get_type ())

G_DECLARE_FINAL_TYPE (LkDevicesPage, lk_devices_page, LK, DEVICES_PAGE, GtkWidget)

GtkWidget  *lk_devices_page_new            (void);
void        lk_devices_page_refresh        (LkDevicesPage            *self);
gboolean    lk_devices_page_add_device     (LkDevicesPage            *self,
                                            const LkBridgeDeviceSpec *spec);
void        lk_devices_page_remove_device  (LkDevicesPage            *self,
                                            const char               *name);
void        lk_devices_page_new_password   (LkDevicesPage            *self,
                                            const char               *name);
gboolean    lk_devices_page_set_device_enabled (LkDevicesPage        *self,
                                                const char           *name,
                                                gboolean              enabled);
const char *lk_devices_page_get_password   (LkDevicesPage            *self);
const char *lk_devices_page_get_state      (LkDevicesPage            *self);
gboolean    lk_devices_page_get_busy       (LkDevicesPage            *self);
void        lk_devices_page_set_refresh_interval (LkDevicesPage      *self,
                                                  guint               seconds);
gboolean    lk_devices_page_get_refreshing (LkDevicesPage            *self);
void        lk_devices_page_print_sheet    (LkDevicesPage            *self,
                                            const char               *export_filename);

G_END_DECLS
