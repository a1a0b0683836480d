/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GTlsCertificate *lk_bridge_certificate_ensure      (const char          *directory,
                                                    const char * const  *names,
                                                    GError             **error) G_GNUC_WARN_UNUSED_RESULT;
GTlsCertificate *lk_bridge_certificate_load        (const char          *cert_file,
                                                    const char          *key_file,
                                                    GError             **error) G_GNUC_WARN_UNUSED_RESULT;
char            *lk_bridge_certificate_default_directory (void) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
