/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _LkRefreshLock LkRefreshLock;

char          *lk_refresh_lock_get_path       (const char          *account) G_GNUC_WARN_UNUSED_RESULT;
void           lk_refresh_lock_acquire_async  (const char          *account,
                                               guint                timeout_ms,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
LkRefreshLock *lk_refresh_lock_acquire_finish (GAsyncResult        *result,
                                               GError             **error) G_GNUC_WARN_UNUSED_RESULT;
LkRefreshLock *lk_refresh_lock_acquire_sync   (const char          *account,
                                               guint                timeout_ms,
                                               GCancellable        *cancellable,
                                               GError             **error) G_GNUC_WARN_UNUSED_RESULT;
void           lk_refresh_lock_free           (LkRefreshLock       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkRefreshLock, lk_refresh_lock_free)

G_END_DECLS
