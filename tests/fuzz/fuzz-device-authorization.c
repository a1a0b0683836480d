/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include "lk-fuzz.h"
#include "oauth/lk-device-authorization.h"

/* A device authorization endpoint's body (RFC 8628 §3.2). */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const guint statuses[] = { 200, 400 };
  g_autoptr(GBytes) body = NULL;

  lk_fuzz_init ();
  body = g_bytes_new (data, size);
  for (gsize i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LkDeviceAuthorization) auth = lk_device_authorization_parse (statuses[i], body,
                                                                             1700000000, &error);

      g_assert ((auth != NULL) != (error != NULL));
      if (auth != NULL)
        {
          LkDeviceAuthorization *copy = lk_device_authorization_copy (auth);

          g_assert_cmpstr (copy->user_code, ==, auth->user_code);
          lk_device_authorization_free (copy);
          g_assert (auth->device_code != NULL && auth->user_code != NULL);
          g_assert (auth->verification_uri != NULL);
          g_assert (auth->interval > 0);
        }
    }
  return 0;
}
