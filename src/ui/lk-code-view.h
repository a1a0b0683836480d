/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define LK_TYPE_CODE_VIEW (lk_code_view_get_type ())

G_DECLARE_FINAL_TYPE (LkCodeView, lk_code_view, LK, CODE_VIEW, GtkWidget)

GtkWidget  *lk_code_view_new            (const char *text);
const char *lk_code_view_get_text       (LkCodeView *self);
void        lk_code_view_set_text       (LkCodeView *self,
                                         const char *text);
void        lk_code_view_set_copy_label (LkCodeView *self,
                                         const char *label,
                                         const char *copied);
GtkWidget  *lk_code_view_get_copy_button (LkCodeView *self);

G_END_DECLS
