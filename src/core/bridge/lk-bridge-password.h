/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The bridge's local passwords: made here, stored only as a yescrypt hash
 * (libxcrypt, as /etc/shadow keeps them), checked in constant time. */

char     *lk_bridge_password_generate  (void) G_GNUC_WARN_UNUSED_RESULT;
char     *lk_bridge_password_normalize (const char  *password) G_GNUC_WARN_UNUSED_RESULT;
char     *lk_bridge_password_hash      (const char  *password,
                                        GError     **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean  lk_bridge_password_check     (const char  *password,
                                        const char  *hash);

G_END_DECLS
