/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include "lk-fuzz.h"
#include "lk-text.h"
#include "oauth/lk-token-response.h"

/* A token endpoint's body, read both as a success (200) and as an error
 * (400), the two ways LkOAuthClient reads it. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const guint statuses[] = { 200, 400, 401, 500 };
  g_autoptr(GBytes) body = NULL;

  lk_fuzz_init ();
  body = g_bytes_new (data, size);
  for (gsize i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) token_error = NULL;
      g_autoptr(JsonObject) obj = lk_oauth_response_parse (statuses[i], body, &error);
      g_autoptr(LkTokenSet) rotated = NULL;
      g_autoptr(LkTokenSet) tokens = lk_token_response_parse (statuses[i], body, 1700000000,
                                                              &rotated, &token_error);

      g_assert ((obj != NULL) != (error != NULL));
      g_assert ((tokens != NULL) != (token_error != NULL));
      /* Only a refused answer hands back its refresh token, and only that. */
      g_assert (rotated == NULL ||
                (tokens == NULL && rotated->refresh_token != NULL && rotated->access_token == NULL));
      if (tokens != NULL)
        g_assert (lk_text_is_b64token (tokens->access_token));
      if (tokens != NULL)
        {
          g_autofree char *payload = lk_token_set_serialize (tokens);
          g_autoptr(LkTokenSet) again = lk_token_set_deserialize (payload, NULL);

          g_assert (tokens->access_token != NULL);
          g_assert (again != NULL);
          lk_secret_wipe (g_steal_pointer (&payload));
        }
      if (obj != NULL)
        {
          gint64 seconds;
          g_autofree char *value = lk_json_dup_string (obj, "access_token");

          (void) lk_json_get_seconds (obj, "expires_in", &seconds);
          lk_secret_wipe (g_steal_pointer (&value));
        }
    }
  return 0;
}
