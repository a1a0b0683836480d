/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include <string.h>

#include "bridge/lk-mail-command.h"
#include "lk-fuzz.h"

/* What POP3 and SMTP clients send before login: lines, each a command
 * word and its argument, as the bridge splits them. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  gsize offset = 0;

  lk_fuzz_init ();
  while (offset < size)
    {
      g_auto(LkMailCommand) cmd = { 0 };
      gsize length = 0, consumed = 0;
      g_autofree char *line = NULL;

      if (lk_mail_line_find (data + offset, size - offset, 512, &length, &consumed) != LK_LINE_FOUND)
        break;
      g_assert (length < consumed && consumed <= size - offset);
      line = g_strndup ((const char *) data + offset, length);
      if (lk_mail_command_parse ((const char *) data + offset, length, &cmd, NULL))
        {
          const char *rest = NULL;
          g_autofree char *word = lk_mail_command_next_word (cmd.argument, &rest);

          g_assert (*cmd.verb != '\0' && strlen (cmd.verb) <= 16);
          g_assert (rest != NULL && strlen (word) <= strlen (cmd.argument));
        }
      offset += consumed;
    }
  return 0;
}
