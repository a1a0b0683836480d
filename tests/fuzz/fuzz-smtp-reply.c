/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include "lk-fuzz.h"
#include "mail/lk-mail-reply.h"

/* SMTP replies, single and multi-line (EHLO), fed line by line as the probe
 * does; each complete reply is then read as an EHLO answer. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_auto(GStrv) lines = NULL;
  g_autoptr(LkSmtpReply) reply = NULL;

  lk_fuzz_init ();
  lines = lk_fuzz_split_lines (data, size);
  reply = lk_smtp_reply_new ();
  for (gsize i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      if (lk_smtp_reply_feed (reply, lines[i], &error))
        {
          g_auto(GStrv) mechanisms = NULL;
          char *text = lk_smtp_reply_to_string (reply);
          gboolean starttls;

          g_assert (reply->code >= 200 && reply->code <= 599);
          g_assert (g_str_has_prefix (text, "2") || g_str_has_prefix (text, "3")
                    || g_str_has_prefix (text, "4") || g_str_has_prefix (text, "5"));
          g_free (text);
          lk_smtp_ehlo_parse (reply, &starttls, &mechanisms);
          {
            g_auto(GStrv) keywords = lk_smtp_ehlo_keywords (reply);

            g_assert (lk_smtp_ehlo_max_size ((const char * const *) keywords) >= -1);
          }
          g_clear_pointer (&reply, lk_smtp_reply_free);
          reply = lk_smtp_reply_new ();
        }
      else if (error != NULL)
        {
          g_clear_pointer (&reply, lk_smtp_reply_free);
          reply = lk_smtp_reply_new ();
        }
    }
  return 0;
}
