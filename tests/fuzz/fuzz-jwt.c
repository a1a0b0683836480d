/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include "lk-fuzz.h"
#include "oauth/lk-jwt.h"

/* An access token or id_token, decoded without verification as the
 * diagnostics do. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *token = NULL;
  g_autoptr(LkJwtClaims) claims = NULL;
  g_autoptr(JsonObject) payload = NULL;

  lk_fuzz_init ();
  token = lk_fuzz_to_string (data, size);
  claims = lk_jwt_claims_decode (token);
  payload = lk_jwt_decode_payload (token);
  if (claims != NULL)
    for (gsize i = 0; claims->roles != NULL && claims->roles[i] != NULL; i++)
      g_assert (g_utf8_validate (claims->roles[i], -1, NULL));
  return 0;
}
