/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include <string.h>

#include "lk-fuzz.h"
#include "mail/lk-sasl.h"

/* A server's SASL challenge (base64 of a JSON error for OAUTHBEARER and
 * XOAUTH2), then the input's words as an advertised mechanism list. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = NULL;
  g_autofree char *decoded = NULL;
  g_auto(GStrv) words = NULL;

  lk_fuzz_init ();
  text = lk_fuzz_to_string (data, size);
  decoded = lk_sasl_decode_challenge (text);
  if (decoded != NULL)
    {
      g_assert (g_utf8_validate (decoded, -1, NULL));
      for (const char *p = decoded; *p != '\0'; p++)
        g_assert ((guchar) *p >= 0x20 && *p != 0x7f);
    }
  words = g_strsplit (text, " ", -1);
  for (gsize i = 0; words[i] != NULL; i++)
    (void) lk_sasl_mechanism_from_string (words[i]);
  (void) lk_sasl_choose (NULL, (const char * const *) words);
  (void) lk_sasl_choose ((const char * const *) words, (const char * const *) words);
  return 0;
}
