/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Every secret the test identity provider hands out carries a marker, so
 * that leak scans can find one anywhere without knowing the exact value:
 * access tokens (JWTs) start with LK_TEST_JWT_PREFIX (the base64url of a
 * fixed header), refresh tokens, codes and device codes with the prefixes
 * below. tests/integration/scan-secrets.py looks for all of them. */
#define LK_TEST_JWT_HEADER        "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"lkt\":\"LKTEST\"}"
#define LK_TEST_REFRESH_PREFIX    "lkrt_"
#define LK_TEST_CODE_PREFIX       "lkcode_"
#define LK_TEST_DEVICE_PREFIX     "lkdev_"
#define LK_TEST_SECRET_PREFIX     "lksecret_"

char   *lk_test_jwt_prefix      (void);
char   *lk_test_jwt_sign        (const char   *claims_json,
                                 const guint8 *key,
                                 gsize         key_len);
char   *lk_test_jwt_mint        (const guint8 *key,
                                 gsize         key_len,
                                 const char   *issuer,
                                 const char   *email,
                                 const char   *audience,
                                 const char   *scope,
                                 gint64        expires_in,
                                 gsize         pad_to);
GBytes *lk_test_jwt_load_key    (const char   *path,
                                 GError      **error);
char   *lk_test_random_string   (const char   *prefix,
                                 gsize         n_bytes);

G_END_DECLS
