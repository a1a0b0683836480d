/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void     lk_background_portal_request_async  (const char          *reason,
                                              gboolean             autostart,
                                              const char * const  *commandline,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean lk_background_portal_request_finish (GAsyncResult        *result,
                                              gboolean            *autostart,
                                              GError             **error);

G_END_DECLS
