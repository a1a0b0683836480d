/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* AddressSanitizer with full stacks on every malloc (build-aux/test.sh
 * --sanitize) makes GTK ten times slower or more: waits for what a person
 * would see stretch as much. */
#ifdef __SANITIZE_ADDRESS__
#define LK_UI_TEST_PATIENCE 12
#else
#define LK_UI_TEST_PATIENCE 1
#endif

void       lk_ui_test_iterate         (guint       n);
void       lk_ui_test_wait            (guint       ms);
GtkWidget *lk_ui_test_find            (GtkWidget  *root,
                                       GType       type,
                                       const char *text);
GtkWidget *lk_ui_test_show            (GtkWidget  *page);
void       lk_ui_test_screenshot      (GtkWidget  *window,
                                       const char *name);
char      *lk_ui_test_read_clipboard  (GtkWidget  *widget);
void       lk_ui_test_wait_toast      (GtkWidget  *window,
                                       const char *text);
char      *lk_ui_test_wait_toast_prefix (GtkWidget *window,
                                         const char *prefix) G_GNUC_WARN_UNUSED_RESULT;
gboolean   lk_ui_test_has_inserted_hyphen (GtkLabel *label);
GtkLabel  *lk_ui_test_find_inserted_hyphen (GtkWidget *root);
void       lk_ui_test_scroll_to       (GtkWidget  *widget);
void       lk_ui_test_type_into       (GtkWidget  *root,
                                       const char *title,
                                       const char *text);
GtkWidget *lk_ui_test_find_mapped     (GtkWidget  *root,
                                       GType       type,
                                       const char *text);

G_END_DECLS
