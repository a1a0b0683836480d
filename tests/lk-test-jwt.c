/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * HS256 JWTs that Dovecot's oauth2 passdb validates locally
 * (doc/testing.md §4): the test identity provider issues them, and
 * tests that talk to Dovecot directly mint them. The key file holds the raw
 * secret; Dovecot's dict holds its base64.
 */
#define G_LOG_DOMAIN "latchkey-test"

#include "config.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "lk-test-jwt.h"

static char *
base64url (const guint8 *data,
           gsize         len)
{
  g_autofree char *b64 = g_base64_encode (data, len);
  gsize n = strlen (b64);

  while (n > 0 && b64[n - 1] == '=')
    b64[--n] = '\0';
  g_strdelimit (b64, "+", '-');
  g_strdelimit (b64, "/", '_');
  return g_steal_pointer (&b64);
}

/* What every test access token starts with. */
char *
lk_test_jwt_prefix (void)
{
  g_autofree char *header = base64url ((const guint8 *) LK_TEST_JWT_HEADER,
                                       strlen (LK_TEST_JWT_HEADER));
  return g_strconcat (header, ".", NULL);
}

char *
lk_test_jwt_sign (const char   *claims_json,
                  const guint8 *key,
                  gsize         key_len)
{
  g_autofree char *prefix = lk_test_jwt_prefix ();
  g_autofree char *body = base64url ((const guint8 *) claims_json, strlen (claims_json));
  g_autofree char *signing_input = g_strconcat (prefix, body, NULL);
  g_autofree char *signature = NULL;
  guint8 mac[32];

  g_assert_cmpint (gnutls_hmac_fast (GNUTLS_MAC_SHA256, key, key_len, signing_input,
                                     strlen (signing_input), mac), ==, 0);
  signature = base64url (mac, sizeof mac);
  return g_strconcat (signing_input, ".", signature, NULL);
}

/**
 * lk_test_jwt_mint:
 * @expires_in: seconds from now; negative for an expired token
 * @pad_to: grow the token with a filler claim to about this many characters
 *   (Microsoft's are 1.5–2.5 KB); 0 for no filler
 */
char *
lk_test_jwt_mint (const guint8 *key,
                  gsize         key_len,
                  const char   *issuer,
                  const char   *email,
                  const char   *audience,
                  const char   *scope,
                  gint64        expires_in,
                  gsize         pad_to)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *claims = NULL;
  g_autofree char *jti = lk_test_random_string ("", 8);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  char *token;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "iss");
  json_builder_add_string_value (builder, issuer);
  json_builder_set_member_name (builder, "sub");
  json_builder_add_string_value (builder, email);
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, email);
  json_builder_set_member_name (builder, "upn");
  json_builder_add_string_value (builder, email);
  json_builder_set_member_name (builder, "aud");
  json_builder_add_string_value (builder, audience);
  json_builder_set_member_name (builder, "scp");
  json_builder_add_string_value (builder, scope);
  json_builder_set_member_name (builder, "jti");
  json_builder_add_string_value (builder, jti);
  json_builder_set_member_name (builder, "iat");
  json_builder_add_int_value (builder, expires_in < 0 ? now + expires_in - 60 : now);
  json_builder_set_member_name (builder, "nbf");
  json_builder_add_int_value (builder, expires_in < 0 ? now + expires_in - 60 : now);
  json_builder_set_member_name (builder, "exp");
  json_builder_add_int_value (builder, now + expires_in);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  claims = json_generator_to_data (generator, NULL);

  token = lk_test_jwt_sign (claims, key, key_len);
  if (pad_to > 0 && strlen (token) < pad_to)
    {
      /* base64 grows by 4/3; add a filler claim of the right size. */
      gsize filler = (pad_to - strlen (token)) * 3 / 4;
      g_autofree char *pad = g_strnfill (filler, 'x');
      g_autofree char *padded = NULL;

      g_free (token);
      claims[strlen (claims) - 1] = '\0';
      padded = g_strdup_printf ("%s,\"xms_pad\":\"%s\"}", claims, pad);
      token = lk_test_jwt_sign (padded, key, key_len);
    }
  return token;
}

GBytes *
lk_test_jwt_load_key (const char  *path,
                      GError     **error)
{
  char *data;
  gsize len;

  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  return g_bytes_new_take (data, len);
}

/* A random URL-safe string with a recognisable prefix. */
char *
lk_test_random_string (const char *prefix,
                       gsize       n_bytes)
{
  g_autofree guint8 *bytes = g_malloc (n_bytes);
  g_autofree char *encoded = NULL;

  g_assert_cmpint (gnutls_rnd (GNUTLS_RND_NONCE, bytes, n_bytes), ==, 0);
  encoded = base64url (bytes, n_bytes);
  return g_strconcat (prefix, encoded, NULL);
}
