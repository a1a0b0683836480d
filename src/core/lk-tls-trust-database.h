/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LK_TYPE_TLS_TRUST_DATABASE (lk_tls_trust_database_get_type ())

G_DECLARE_FINAL_TYPE (LkTlsTrustDatabase, lk_tls_trust_database, LK, TLS_TRUST_DATABASE, GTlsDatabase)

GTlsDatabase *lk_tls_trust_database_new        (GTlsDatabase      *extra_anchors) G_GNUC_WARN_UNUSED_RESULT;
GIOStream    *lk_tls_trust_client_connection_new (GIOStream        *base,
                                                GSocketConnectable *identity,
                                                GTlsDatabase      *extra_anchors,
                                                GError           **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
