/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * LkPkce:
 * @verifier: the code_verifier (secret: sent only to the token endpoint)
 * @challenge: BASE64URL(SHA256(verifier)), sent in the authorization URL
 *
 * RFC 7636 with S256. lk_pkce_free() wipes the verifier.
 */
typedef struct
{
  char *verifier;
  char *challenge;
} LkPkce;

#define LK_PKCE_METHOD "S256"

LkPkce *lk_pkce_new               (void) G_GNUC_WARN_UNUSED_RESULT;
LkPkce *lk_pkce_new_for_verifier  (const char   *verifier) G_GNUC_WARN_UNUSED_RESULT;
void    lk_pkce_free              (LkPkce       *self);
char   *lk_pkce_compute_challenge (const char   *verifier) G_GNUC_WARN_UNUSED_RESULT;
char   *lk_oauth_new_state        (void) G_GNUC_WARN_UNUSED_RESULT;
char   *lk_base64url_encode       (const guint8 *data,
                                   gsize         length) G_GNUC_WARN_UNUSED_RESULT;
char   *lk_random_base64url       (gsize         n_bytes) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkPkce, lk_pkce_free)

G_END_DECLS
