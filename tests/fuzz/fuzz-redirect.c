/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include "lk-fuzz.h"
#include "oauth/lk-redirect.h"

/* The query of the browser's request to the loopback redirect URI, then the
 * checks the sign-in makes on it. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *query = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LkRedirect) redirect = NULL;

  lk_fuzz_init ();
  query = lk_fuzz_to_string (data, size);
  redirect = lk_redirect_parse (query, &error);
  g_assert ((redirect != NULL) != (error != NULL));
  if (redirect != NULL)
    {
      static const char *tenants[] = { NULL, "common", "organizations",
                                       "72f988bf-86f1-41af-91ab-2d7cd011db47" };

      for (gsize i = 0; i < G_N_ELEMENTS (tenants); i++)
        {
          g_autoptr(GError) check_error = NULL;

          if (!lk_redirect_check (redirect, "Zm9vYmFyYmF6",
                                  "https://login.microsoftonline.com/{tenant}/v2.0",
                                  tenants[i], &check_error))
            g_assert (check_error != NULL);
          if (redirect->iss != NULL)
            (void) lk_issuer_matches (redirect->iss,
                                      "https://login.microsoftonline.com/{tenant}/v2.0",
                                      tenants[i]);
        }
      (void) lk_secret_equal (redirect->state, "Zm9vYmFyYmF6");
    }
  return 0;
}
