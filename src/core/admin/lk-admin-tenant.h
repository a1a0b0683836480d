/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "lk-http.h"
#include "providers/lk-provider.h"

G_BEGIN_DECLS

gboolean  lk_guid_is_valid                  (const char          *text);
gboolean  lk_admin_tenant_check             (const char          *tenant,
                                             GError             **error);
char     *lk_admin_tenant_discovery_url     (LkProvider          *provider,
                                             const char          *domain) G_GNUC_WARN_UNUSED_RESULT;
void      lk_admin_tenant_lookup_async      (LkHttp              *http,
                                             LkProvider          *provider,
                                             const char          *domain,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
char     *lk_admin_tenant_lookup_finish     (LkHttp              *http,
                                             GAsyncResult        *result,
                                             GError             **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
