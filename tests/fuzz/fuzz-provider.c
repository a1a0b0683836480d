/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include "lk-fuzz.h"
#include "providers/lk-provider.h"

/* A provider profile file (data/providers/, or one a user or an
 * organisation installs). What loads must write back out and load again. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(LkProvider) provider = NULL;
  g_autoptr(GError) error = NULL;

  lk_fuzz_init ();
  provider = lk_provider_new_from_data ((const char *) data, size, "fuzz.json", &error);
  g_assert ((provider != NULL) != (error != NULL));
  if (provider != NULL)
    {
      g_autoptr(GError) validate_error = NULL;
      g_autoptr(GError) reload_error = NULL;
      g_autoptr(LkProvider) reloaded = NULL;
      g_autoptr(LkProvider) copy = NULL;
      g_autofree char *scope = NULL;
      g_autofree char *out = NULL;
      gsize out_length;

      (void) lk_provider_validate (provider, &validate_error);
      for (LkEndpoint e = LK_ENDPOINT_AUTHORIZATION; e <= LK_ENDPOINT_ISSUER; e++)
        {
          g_free (lk_provider_dup_endpoint (provider, e, "contoso.example"));
          g_free (lk_provider_dup_endpoint (provider, e, NULL));
        }
      for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
        (void) lk_provider_get_server (provider, p);
      scope = lk_provider_dup_scope_string (provider, lk_provider_get_protocols (provider));
      (void) lk_provider_get_client_secret (provider);
      copy = lk_provider_copy_with (provider, "organizations", "00000000-0000-0000-0000-000000000000");

      out = lk_provider_to_data (provider, &out_length);
      reloaded = lk_provider_new_from_data (out, out_length, "fuzz.json (written back)", &reload_error);
      if (reloaded == NULL)
        g_error ("A profile that loaded does not load once written back: %s", reload_error->message);
    }
  return 0;
}
