/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define LK_TYPE_EXPORT_PAGE (lk_export_page_get_type ())

G_DECLARE_FINAL_TYPE (LkExportPage, lk_export_page, LK, EXPORT_PAGE, GtkWidget)

GtkWidget  *lk_export_page_new          (void);
void        lk_export_page_clear        (LkExportPage *self);
void        lk_export_page_add_client   (LkExportPage *self,
                                         const char   *id,
                                         const char   *name,
                                         const char   *text,
                                         const char   *default_path,
                                         const char   *what_next);
GtkWidget  *lk_export_page_get_row      (LkExportPage *self,
                                         const char   *id);
const char *lk_export_page_get_text     (LkExportPage *self,
                                         const char   *id);
void        lk_export_page_save_to      (LkExportPage *self,
                                         const char   *id,
                                         GFile        *file);
void        lk_export_page_set_can_set_up (LkExportPage *self,
                                           const char   *id,
                                           gboolean      installed);
void        lk_export_page_show_set_up  (LkExportPage *self,
                                         const char   *id,
                                         const char   *result);
const char *lk_export_page_get_set_up_result (LkExportPage *self,
                                              const char   *id);

G_END_DECLS
