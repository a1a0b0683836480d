/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "lk-http.h"
#include "lk-protocol.h"
#include "providers/lk-provider.h"

G_BEGIN_DECLS

/* Tenants */
gboolean  lk_guid_is_valid                   (const char          *text);
gboolean  lk_microsoft_tenant_is_placeholder (const char          *tenant);
gboolean  lk_microsoft_tenant_check          (const char          *tenant,
                                              GError             **error);
char     *lk_microsoft_tenant_from_issuer    (const char          *issuer) G_GNUC_WARN_UNUSED_RESULT;
char     *lk_microsoft_tenant_discovery_url  (LkProvider          *provider,
                                              const char          *domain) G_GNUC_WARN_UNUSED_RESULT;
void      lk_microsoft_tenant_lookup_async   (LkHttp              *http,
                                              const char          *url,
                                              const char          *domain,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
char     *lk_microsoft_tenant_lookup_finish  (LkHttp              *http,
                                              GAsyncResult        *result,
                                              GError             **error) G_GNUC_WARN_UNUSED_RESULT;
void      lk_microsoft_tenant_resolve_async  (LkProvider          *provider,
                                              const char          *tenant,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
char     *lk_microsoft_tenant_resolve_finish (GAsyncResult        *result,
                                              GError             **error) G_GNUC_WARN_UNUSED_RESULT;
char     *lk_microsoft_tenant_resolve_describe (const char        *domain,
                                                const char        *tenant,
                                                const GError      *error) G_GNUC_WARN_UNUSED_RESULT;

/* Admin consent */
char     *lk_microsoft_admin_consent_scope   (LkProvider          *provider,
                                              LkProtocolFlags      protocols,
                                              gboolean             app_only,
                                              const char         **out_reason) G_GNUC_WARN_UNUSED_RESULT;
char     *lk_microsoft_admin_consent_url     (LkProvider          *provider,
                                              const char          *tenant,
                                              const char          *client_id,
                                              LkProtocolFlags      protocols,
                                              gboolean             app_only,
                                              const char          *redirect_uri,
                                              const char          *state,
                                              GError             **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
