/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include <string.h>

#include "bridge/lk-mail-header.h"
#include "lk-fuzz.h"

/* What a device puts in a message's header block and in MAIL FROM / RCPT
 * TO, as the office bridge reads it for sender pinning. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_auto(GStrv) from = NULL;
  g_autofree char *text = g_strndup ((const char *) data, size);
  const char *rest = NULL;
  g_autofree char *path = NULL;

  lk_fuzz_init ();
  from = lk_mail_header_from_addresses ((const char *) data, size);
  for (guint i = 0; from[i] != NULL; i++)
    g_assert (strlen (from[i]) <= size);
  path = lk_mail_path_parse (text, &rest);
  if (path != NULL)
    {
      g_assert (rest != NULL && rest >= text && rest <= text + strlen (text));
      g_assert (path[0] == '\0' || strchr (path, '@') != NULL);
    }
  return 0;
}
