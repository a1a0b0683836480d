/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "lk-protocol.h"
#include "store/lk-account.h"

G_BEGIN_DECLS

void  lk_ui_toast          (GtkWidget  *widget,
                            const char *text);
void  lk_ui_toast_error    (GtkWidget  *widget,
                            const char *text);
void  lk_ui_copy_text      (GtkWidget  *widget,
                            const char *text,
                            const char *toast);
void  lk_ui_open_uri       (GtkWidget    *widget,
                            const char   *uri,
                            GCancellable *cancellable);
void  lk_ui_expander_row_set_has_details (AdwExpanderRow *row,
                                          gboolean        has_details);
GtkWidget *lk_ui_label_new_prose (const char *text);
void       lk_ui_row_keep_words  (GtkWidget  *row);
char      *lk_ui_display_path    (const char *path) G_GNUC_WARN_UNUSED_RESULT;
GtkFileFilter *lk_ui_new_profile_filter (void) G_GNUC_WARN_UNUSED_RESULT;
typedef void (*LkUiFileChosen) (GtkWidget *widget,
                                GFile     *file,
                                gpointer   user_data);

void  lk_ui_choose_file    (GtkWidget      *widget,
                            gboolean        save,
                            const char     *title,
                            const char     *accept_label,
                            GFile          *initial_file,
                            GtkFileFilter  *filter,
                            LkUiFileChosen  callback,
                            gpointer        user_data,
                            GDestroyNotify  destroy);
void  lk_ui_unparent_children (GtkWidget *widget);
GtkWidget *lk_ui_confirm_removal_new (GtkWidget  *widget,
                                      const char *heading,
                                      const char *body);
char *lk_ui_error_message  (const GError *error) G_GNUC_WARN_UNUSED_RESULT;
void  lk_ui_bridge_request  (GCancellable        **pending,
                             const char           *command,
                             GAsyncReadyCallback   callback,
                             gpointer              user_data);
const char *lk_ui_protocol_title (LkProtocol protocol);
char *lk_ui_format_age     (gint64      then,
                            gint64      now) G_GNUC_WARN_UNUSED_RESULT;
char *lk_ui_format_time    (gint64      when) G_GNUC_WARN_UNUSED_RESULT;
char *lk_ui_describe_failures (LkAccount *account) G_GNUC_WARN_UNUSED_RESULT;
char **lk_ui_dup_token_argv (const char *email) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
