/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include "lk-fuzz.h"
#include "mail/lk-mail-reply.h"

/* IMAP response lines: greeting, CAPABILITY, tagged answers, continuations. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_auto(GStrv) lines = NULL;

  lk_fuzz_init ();
  lines = lk_fuzz_split_lines (data, size);
  for (gsize i = 0; lines[i] != NULL; i++)
    {
      g_auto(LkImapReply) reply = { 0, };
      g_auto(GStrv) caps = NULL;
      g_auto(GStrv) direct = NULL;

      lk_imap_reply_parse (lines[i], &reply);
      caps = lk_imap_reply_get_capabilities (&reply);
      if (caps != NULL)
        {
          g_auto(GStrv) mechanisms = lk_imap_capabilities_get_mechanisms ((const char * const *) caps);

          (void) lk_capabilities_contain ((const char * const *) caps, "STARTTLS");
          (void) lk_capabilities_contain ((const char * const *) mechanisms, "XOAUTH2");
        }
      direct = lk_imap_capabilities_parse (lines[i]);
    }
  return 0;
}
