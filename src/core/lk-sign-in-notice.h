/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "store/lk-account.h"

G_BEGIN_DECLS

void     lk_sign_in_notice_send         (LkAccount           *account);
void     lk_sign_in_notice_send_async   (LkAccount           *account,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean lk_sign_in_notice_send_finish  (GAsyncResult        *result,
                                         GError             **error);

G_END_DECLS
