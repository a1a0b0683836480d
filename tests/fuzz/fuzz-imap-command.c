/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include <string.h>

#include "bridge/lk-imap-command.h"
#include "lk-fuzz.h"

/* What an IMAP client sends before login, as the bridge reads it: command
 * after command from the same bytes (pipelining), until one is incomplete
 * or too long. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  gsize offset = 0;

  lk_fuzz_init ();
  while (offset < size)
    {
      g_auto(LkImapCommand) cmd = { 0 };
      g_autoptr(GError) error = NULL;
      gsize consumed = 0;
      guint prompts = 0;
      LkImapParseStatus status;

      status = lk_imap_command_parse (data + offset, size - offset, &cmd, &consumed, &prompts, &error);
      if (status == LK_IMAP_PARSE_INCOMPLETE || status == LK_IMAP_PARSE_TOO_LONG)
        {
          g_assert (status == LK_IMAP_PARSE_INCOMPLETE || error != NULL);
          break;
        }
      g_assert (consumed > 0 && consumed <= size - offset);
      if (status == LK_IMAP_PARSE_COMPLETE)
        {
          g_assert (cmd.tag != NULL && *cmd.tag != '\0' && cmd.name != NULL && cmd.args != NULL);
          for (const char *p = cmd.name; *p != '\0'; p++)
            g_assert (!g_ascii_islower (*p));
          for (guint i = 0; i < cmd.args->len; i++)
            (void) lk_imap_command_get_string (&cmd, i);
        }
      else
        g_assert (error != NULL);
      offset += consumed;
    }
  return 0;
}
