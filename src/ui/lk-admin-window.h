/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "providers/lk-provider.h"

G_BEGIN_DECLS

#define LK_TYPE_ADMIN_WINDOW (lk_admin_window_get_type ())

G_DECLARE_FINAL_TYPE (LkAdminWindow, lk_admin_window, LK, ADMIN_WINDOW, AdwWindow)

LkAdminWindow *lk_admin_window_new             (GtkWindow     *parent,
                                                LkProvider    *provider);
char          *lk_admin_window_dup_script      (LkAdminWindow *self) G_GNUC_WARN_UNUSED_RESULT;
char          *lk_admin_window_dup_checklist   (LkAdminWindow *self) G_GNUC_WARN_UNUSED_RESULT;
char          *lk_admin_window_dup_consent_url (LkAdminWindow *self) G_GNUC_WARN_UNUSED_RESULT;
gboolean       lk_admin_window_save_profile    (LkAdminWindow *self,
                                                const char    *path,
                                                GError       **error);
void           lk_admin_window_save_profile_to (LkAdminWindow *self,
                                                GFile         *file);
void           lk_admin_window_save_script_to  (LkAdminWindow *self,
                                                GFile         *file);
gboolean       lk_admin_window_load_profile    (LkAdminWindow *self,
                                                const char    *data,
                                                gssize         length,
                                                const char    *origin,
                                                GError       **error);
GtkWidget     *lk_admin_window_show_device_steps (LkAdminWindow *self,
                                                  const char    *name);
void           lk_admin_window_open_profile_file (LkAdminWindow *self,
                                                  GFile         *file);

G_END_DECLS
