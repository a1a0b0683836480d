/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "store/lk-account.h"

G_BEGIN_DECLS

#define LK_TYPE_ACCOUNT_STORE (lk_account_store_get_type ())

G_DECLARE_FINAL_TYPE (LkAccountStore, lk_account_store, LK, ACCOUNT_STORE, GObject)

LkAccountStore *lk_account_store_new           (const char      *directory) G_GNUC_WARN_UNUSED_RESULT;
const char     *lk_account_store_get_directory (LkAccountStore  *self);
GPtrArray      *lk_account_store_list          (LkAccountStore  *self,
                                                GPtrArray      **problems,
                                                GError         **error) G_GNUC_WARN_UNUSED_RESULT;
LkAccount      *lk_account_store_load          (LkAccountStore  *self,
                                                const char      *email,
                                                GError         **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean        lk_account_store_exists        (LkAccountStore  *self,
                                                const char      *email);
gboolean        lk_account_store_save          (LkAccountStore  *self,
                                                LkAccount       *account,
                                                GError         **error);
gboolean        lk_account_store_record_export (LkAccountStore  *self,
                                                LkAccount       *account,
                                                const char      *client,
                                                const char      *path,
                                                GError         **error);
gboolean        lk_account_store_remove        (LkAccountStore  *self,
                                                const char      *email,
                                                gboolean        *out_found,
                                                GError         **error);
char           *lk_account_store_get_path      (LkAccountStore  *self,
                                                const char      *email) G_GNUC_WARN_UNUSED_RESULT;
char           *lk_account_file_stem           (const char      *email) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
