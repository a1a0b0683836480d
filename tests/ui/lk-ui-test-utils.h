/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

void       lk_ui_test_iterate         (guint       n);
void       lk_ui_test_wait            (guint       ms);
GtkWidget *lk_ui_test_find            (GtkWidget  *root,
                                       GType       type,
                                       const char *text);
GtkWidget *lk_ui_test_show            (GtkWidget  *page);
void       lk_ui_test_screenshot      (GtkWidget  *window,
                                       const char *name);
char      *lk_ui_test_read_clipboard  (GtkWidget  *widget);

G_END_DECLS
