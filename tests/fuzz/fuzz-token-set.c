/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include "lk-fuzz.h"
#include "lk-token-set.h"

/* The keyring payload, as the token store and the CLI's fast path read it.
 * What loads must serialize and load again to the same tokens. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *payload = NULL;
  g_autoptr(LkTokenSet) tokens = NULL;
  g_autoptr(GError) error = NULL;

  lk_fuzz_init ();
  payload = lk_fuzz_to_string (data, size);
  tokens = lk_token_set_deserialize (payload, &error);
  g_assert ((tokens != NULL) != (error != NULL));
  if (tokens != NULL)
    {
      LkTokenSet *copy = lk_token_set_copy (tokens);
      g_autoptr(LkTokenSet) again = NULL;
      char *out = lk_token_set_serialize (tokens);

      again = lk_token_set_deserialize (out, NULL);
      lk_secret_wipe (out);
      g_assert (again != NULL);
      g_assert_cmpstr (again->access_token, ==, tokens->access_token);
      g_assert_cmpstr (again->refresh_token, ==, tokens->refresh_token);
      g_assert_cmpint (again->expires_at, ==, tokens->expires_at);
      g_assert_cmpint (lk_token_set_is_fresh (copy, 1700000000, 300), ==,
                       lk_token_set_is_fresh (tokens, 1700000000, 300));
      lk_token_set_free (copy);
    }
  lk_secret_wipe (g_steal_pointer (&payload));
  return 0;
}
