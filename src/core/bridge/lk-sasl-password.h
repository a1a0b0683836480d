/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The server side of the two SASL mechanisms that carry a password, as mail
 * clients send them to the bridge: PLAIN (RFC 4616) and LOGIN
 * (draft-murchison-sasl-login). Pure functions; they accept any input and
 * never crash (tests/fuzz/fuzz-sasl-password.c). Every string they return
 * may hold a password: free it with lk_secret_wipe(). */

/* LOGIN's two challenges, base64 of "Username:" and "Password:". */
#define LK_SASL_LOGIN_USERNAME_CHALLENGE "VXNlcm5hbWU6"
#define LK_SASL_LOGIN_PASSWORD_CHALLENGE "UGFzc3dvcmQ6"

/* The longest user name or password accepted, in bytes (RFC 4616 §2 allows
 * 255 octets; a little more room costs nothing). */
#define LK_SASL_MAX_FIELD 1024

gboolean  lk_sasl_plain_decode (const char  *response,
                                char       **out_user,
                                char       **out_password,
                                GError     **error);
char     *lk_sasl_login_decode (const char  *response,
                                GError     **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean  lk_sasl_is_cancel    (const char  *response);

G_END_DECLS
