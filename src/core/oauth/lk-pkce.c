/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-oauth"

#include "config.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "lk-pkce.h"
#include "lk-token-set.h"

/**
 * lk_base64url_encode:
 *
 * Returns: @data in base64url without padding (RFC 4648 §5, RFC 7636 App. A).
 */
char *
lk_base64url_encode (const guint8 *data,
                     gsize         length)
{
  char *out = g_base64_encode (data, length);
  gsize n = strlen (out);

  for (gsize i = 0; i < n; i++)
    {
      if (out[i] == '+')
        out[i] = '-';
      else if (out[i] == '/')
        out[i] = '_';
    }
  while (n > 0 && out[n - 1] == '=')
    out[--n] = '\0';
  return out;
}

/**
 * lk_random_base64url:
 * @n_bytes: how many random octets, at most 64
 *
 * Returns: @n_bytes from the key-grade generator of GnuTLS, base64url
 *   encoded. Aborts if the system has no randomness: nothing secret can be
 *   made without it.
 */
char *
lk_random_base64url (gsize n_bytes)
{
  guint8 buffer[64];
  char *out;

  g_return_val_if_fail (n_bytes > 0 && n_bytes <= sizeof buffer, NULL);

  if (gnutls_rnd (GNUTLS_RND_KEY, buffer, n_bytes) != 0)
    g_error ("No random numbers available from GnuTLS");
  out = lk_base64url_encode (buffer, n_bytes);
  explicit_bzero (buffer, sizeof buffer);
  return out;
}

/**
 * lk_oauth_new_state:
 *
 * Returns: a fresh `state` value: 16 random octets, base64url (22 chars).
 */
char *
lk_oauth_new_state (void)
{
  return lk_random_base64url (16);
}

/**
 * lk_pkce_compute_challenge:
 *
 * Returns: BASE64URL(SHA256(ASCII(@verifier))).
 */
char *
lk_pkce_compute_challenge (const char *verifier)
{
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  g_checksum_update (checksum, (const guchar *) verifier, strlen (verifier));
  g_checksum_get_digest (checksum, digest, &digest_len);
  return lk_base64url_encode (digest, digest_len);
}

/**
 * lk_pkce_new:
 *
 * Returns: a verifier of 32 random octets (43 characters) and its challenge.
 */
LkPkce *
lk_pkce_new (void)
{
  LkPkce *self = g_new0 (LkPkce, 1);

  self->verifier = lk_random_base64url (32);
  self->challenge = lk_pkce_compute_challenge (self->verifier);
  return self;
}

/* For tests: the RFC 7636 Appendix B vector. */
LkPkce *
lk_pkce_new_for_verifier (const char *verifier)
{
  LkPkce *self = g_new0 (LkPkce, 1);

  self->verifier = g_strdup (verifier);
  self->challenge = lk_pkce_compute_challenge (verifier);
  return self;
}

void
lk_pkce_free (LkPkce *self)
{
  if (self == NULL)
    return;
  lk_secret_wipe (self->verifier);
  g_free (self->challenge);
  g_free (self);
}
