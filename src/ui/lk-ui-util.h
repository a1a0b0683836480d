/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

void  lk_ui_toast          (GtkWidget  *widget,
                            const char *text);
void  lk_ui_copy_text      (GtkWidget  *widget,
                            const char *text,
                            const char *toast);
void  lk_ui_unparent_children (GtkWidget *widget);
char *lk_ui_error_message  (const GError *error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
