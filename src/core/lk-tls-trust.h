/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GTlsDatabase *lk_tls_trust_load_ca_file (const char            *ca_file,
                                         GError               **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean      lk_tls_trust_accept       (GTlsDatabase          *extra_anchors,
                                         GTlsCertificate       *peer,
                                         GTlsCertificateFlags   peer_errors,
                                         const char            *host,
                                         guint16                port);

G_END_DECLS
