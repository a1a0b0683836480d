/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include "lk-fuzz.h"
#include "providers/lk-autoconfig.h"

/* A Mozilla autoconfig file (clientConfig 1.1), as discovery fetches it
 * from a domain anyone may own. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(LkAutoconfig) config = NULL;
  g_autoptr(GError) error = NULL;

  lk_fuzz_init ();
  lk_fuzz_allow_markup_double_error ();
  config = lk_autoconfig_parse ((const char *) data, size, &error);
  g_assert ((config != NULL) != (error != NULL));
  if (config != NULL)
    {
      g_assert (config->domains != NULL);
      for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
        {
          const LkAutoconfigServer *server = lk_autoconfig_get_server (config, p);

          if (server != NULL)
            {
              g_assert (server->hostname != NULL);
              (void) lk_autoconfig_server_has_auth (server, "OAuth2");
            }
        }
      (void) lk_autoconfig_offers_oauth2 (config);
    }
  return 0;
}
