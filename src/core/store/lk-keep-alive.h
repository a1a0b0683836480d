/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "store/lk-account-store.h"
#include "store/lk-token-manager.h"

G_BEGIN_DECLS

#define LK_TYPE_KEEP_ALIVE (lk_keep_alive_get_type ())

G_DECLARE_FINAL_TYPE (LkKeepAlive, lk_keep_alive, LK, KEEP_ALIVE, GObject)

LkKeepAlive *lk_keep_alive_new        (LkAccountStore       *accounts,
                                       LkTokenManager       *tokens,
                                       guint                 days) G_GNUC_WARN_UNUSED_RESULT;
void         lk_keep_alive_set_days   (LkKeepAlive          *self,
                                       guint                 days);
void         lk_keep_alive_run_async  (LkKeepAlive          *self,
                                       gboolean              notify_all,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
guint        lk_keep_alive_run_finish (LkKeepAlive          *self,
                                       GAsyncResult         *result,
                                       GError              **error);

G_END_DECLS
