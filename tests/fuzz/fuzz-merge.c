/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include <string.h>

#include "export/lk-export-private.h"
#include "lk-error.h"
#include "lk-fuzz.h"

/* A person's configuration file, whatever it holds, with an account's
 * block merged in by Set Up (lk_export_merge() with each client's finder of
 * earlier blocks). Either the merge is refused with an error (a block
 * opened and never closed), or the result holds the account's block exactly
 * once, and merging it again changes nothing: a second Set Up never
 * duplicates, moves or rewrites anything. */

#define SLUG "alice-1a2b3c"
#define EMAIL "alice@example.com"

static guint
count_begin_lines (const char *text,
                   gsize       length,
                   const char *begin)
{
  g_autoptr(LkExportLines) lines = lk_export_lines_new (text, length);
  g_autofree char *want = g_strstrip (g_strdup (begin));
  guint n = 0;

  for (guint i = 0; i < lk_export_lines_count (lines); i++)
    {
      gsize len;
      const char *line = lk_export_lines_get (lines, i, &len);

      while (len > 0 && g_ascii_isspace (*line))
        line++, len--;
      while (len > 0 && g_ascii_isspace (line[len - 1]))
        len--;
      n += len == strlen (want) && memcmp (line, want, len) == 0;
    }
  return n;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char * const clients[] = { "msmtp", "mbsync", "aerc", "neomutt", "thunderbird" };

  lk_fuzz_init ();
  for (guint c = 0; c < G_N_ELEMENTS (clients); c++)
    {
      const LkExporter *exporter = lk_exporter_lookup (clients[c]);
      const LkExportApplier *applier = exporter->applier;
      g_autofree char *block = g_strdup_printf ("%sexported for " EMAIL "\naccount " SLUG "\n",
                                                applier->comment);
      g_autofree char *begin = g_strdup_printf ("%s>>> latchkey " SLUG " >>>", applier->comment);
      g_autoptr(GError) error = NULL;
      g_autofree char *merged = NULL;
      g_autofree char *again = NULL;
      LkExportMergeKind kind;
      gboolean edited;

      merged = lk_export_merge ((const char *) data, size, applier->comment, SLUG, block,
                                applier->find_earlier, EMAIL, &kind, &edited, &error);
      if (merged == NULL)
        {
          if (!g_error_matches (error, LK_ERROR, LK_ERROR_INVALID_INPUT))
            g_error ("%s: refused without LK_ERROR_INVALID_INPUT", clients[c]);
          continue;
        }
      if (count_begin_lines (merged, strlen (merged), begin) != 1)
        g_error ("%s: the account's block is not there exactly once", clients[c]);

      again = lk_export_merge (merged, strlen (merged), applier->comment, SLUG, block,
                               applier->find_earlier, EMAIL, &kind, &edited, &error);
      if (again == NULL)
        g_error ("%s: its own result refused: %s", clients[c], error->message);
      if (kind != LK_EXPORT_MERGE_UNCHANGED || strcmp (again, merged) != 0)
        g_error ("%s: a second merge changed the file", clients[c]);
    }
  return 0;
}
