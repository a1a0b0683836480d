/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <crypt.h>
#include <glib/gi18n-lib.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "bridge/lk-bridge-password.h"
#include "lk-error.h"
#include "lk-token-set.h"

/* 25 characters from 36 (a–z, 0–9) carry 25·log2(36) ≈ 129 bits, as five
 * groups of five that a person can read aloud and type. */
#define GROUPS      5
#define GROUP_CHARS 5
static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * lk_bridge_password_generate:
 *
 * A new password such as "k3x9q-7bmwd-…" from GnuTLS's key-grade random
 * generator, without modulo bias (bytes ≥ 252 are drawn again).
 *
 * Returns: (transfer full): the password; free it with lk_secret_wipe()
 */
char *
lk_bridge_password_generate (void)
{
  GString *out = g_string_sized_new (GROUPS * (GROUP_CHARS + 1));
  guint8 random[64];
  gsize used = sizeof random;
  guint n = 0;

  while (n < GROUPS * GROUP_CHARS)
    {
      guint8 byte;

      if (used == sizeof random)
        {
          if (gnutls_rnd (GNUTLS_RND_KEY, random, sizeof random) != 0)
            g_error ("GnuTLS could not produce random numbers");
          used = 0;
        }
      byte = random[used++];
      if (byte >= 252)   /* 252 = 7 · 36 */
        continue;
      if (n > 0 && n % GROUP_CHARS == 0)
        g_string_append_c (out, '-');
      g_string_append_c (out, alphabet[byte % 36]);
      n++;
    }
  memset (random, 0, sizeof random);
  return g_string_free (out, FALSE);
}

/**
 * lk_bridge_password_normalize:
 *
 * What is hashed and checked: the password without the hyphens and spaces
 * that only group it for reading, so that "k3x9q-7bmwd" and "k3x9q7bmwd"
 * are the same password. Nothing else changes.
 *
 * Returns: (transfer full): free it with lk_secret_wipe()
 */
char *
lk_bridge_password_normalize (const char *password)
{
  GString *out = g_string_sized_new (strlen (password));

  for (const char *p = password; *p != '\0'; p++)
    if (*p != '-' && *p != ' ')
      g_string_append_c (out, *p);
  return g_string_free (out, FALSE);
}

/**
 * lk_bridge_password_hash:
 *
 * A yescrypt hash ("$y$…") of @password with a random salt. Takes tens of
 * milliseconds on purpose: call it off the main thread in a daemon.
 */
char *
lk_bridge_password_hash (const char  *password,
                         GError     **error)
{
  g_autofree char *normalized = lk_bridge_password_normalize (password);
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  struct crypt_data *data = g_malloc0 (sizeof *data);
  guint8 salt[16];
  char *hash = NULL;
  const char *result;

  if (gnutls_rnd (GNUTLS_RND_KEY, salt, sizeof salt) != 0
      || crypt_gensalt_rn ("$y$", 0, (const char *) salt, sizeof salt, setting, sizeof setting) == NULL)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_FAILED,
                           _("Could not prepare a password hash (libxcrypt has no yescrypt?)"));
      g_free (data);
      lk_secret_wipe (g_steal_pointer (&normalized));
      return NULL;
    }
  result = crypt_r (normalized, setting, data);
  if (result != NULL && result[0] == '$')
    hash = g_strdup (result);
  else
    g_set_error_literal (error, LK_ERROR, LK_ERROR_FAILED, _("Could not hash the password"));
  explicit_bzero (data, sizeof *data);
  g_free (data);
  lk_secret_wipe (g_steal_pointer (&normalized));
  return hash;
}

/**
 * lk_bridge_password_check:
 * @hash: a stored "$y$…" hash
 *
 * Whether @password is the one @hash was made from. The comparison takes
 * the same time wherever the strings differ.
 */
gboolean
lk_bridge_password_check (const char *password,
                          const char *hash)
{
  g_autofree char *normalized = lk_bridge_password_normalize (password);
  struct crypt_data *data = g_malloc0 (sizeof *data);
  const char *result;
  gboolean ok = FALSE;

  result = crypt_r (normalized, hash, data);
  if (result != NULL && result[0] == '$' && strlen (result) == strlen (hash))
    ok = gnutls_memcmp (result, hash, strlen (hash)) == 0;
  explicit_bzero (data, sizeof *data);
  g_free (data);
  lk_secret_wipe (g_steal_pointer (&normalized));
  return ok;
}
