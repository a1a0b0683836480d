/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include <string.h>

#include "bridge/lk-sasl-password.h"
#include "lk-fuzz.h"
#include "lk-token-set.h"

/* A client's base64 SASL response, as PLAIN (RFC 4616) and as one LOGIN
 * step: whatever comes out is a non-empty UTF-8 string without NUL. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = NULL;
  char *user = NULL;
  char *password = NULL;
  char *field;

  lk_fuzz_init ();
  text = lk_fuzz_to_string (data, size);
  if (lk_sasl_plain_decode (text, &user, &password, NULL))
    {
      g_assert (*user != '\0' && *password != '\0');
      g_assert (g_utf8_validate (user, -1, NULL) && g_utf8_validate (password, -1, NULL));
      g_assert (strlen (user) <= LK_SASL_MAX_FIELD && strlen (password) <= LK_SASL_MAX_FIELD);
    }
  else
    g_assert (user == NULL && password == NULL);
  g_free (user);
  lk_secret_wipe (password);
  field = lk_sasl_login_decode (text, NULL);
  if (field != NULL)
    g_assert (*field != '\0' && g_utf8_validate (field, -1, NULL));
  lk_secret_wipe (field);
  (void) lk_sasl_is_cancel (text);
  return 0;
}
