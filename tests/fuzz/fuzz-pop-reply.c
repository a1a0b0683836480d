/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include <string.h>

#include "lk-fuzz.h"
#include "mail/lk-mail-reply.h"

/* POP3 status lines and a CAPA answer made of the same lines. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) mechanisms = NULL;
  gboolean stls;

  lk_fuzz_init ();
  lines = lk_fuzz_split_lines (data, size);
  for (gsize i = 0; lines[i] != NULL; i++)
    {
      const char *text = NULL;

      lk_pop_reply_parse (lines[i], &text);
      g_assert (text != NULL);
      (void) strlen (text);
    }
  lk_pop_capa_parse ((const char * const *) lines, &stls, &mechanisms);
  return 0;
}
