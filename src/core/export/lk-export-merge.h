/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Merging one account's block into a text configuration file that other
 * accounts share (~/.msmtprc, ~/.mbsyncrc, a muttrc, aerc's accounts.conf,
 * Thunderbird's user.js). Latchkey writes the block between two marker
 * comments naming the account by its slug (lk_export_slug()):
 *
 *   # >>> latchkey alice-1a2b3c >>>
 *   …the exporter's text…
 *   # <<< latchkey alice-1a2b3c 0123456789ab <<<
 *
 * The end marker carries a hash of what was written, so that a block edited
 * by hand since is recognised (and said so; the backup keeps it). Blocks
 * written before the markers existed (`export --output -`, pasted) are found
 * by each client's own finder, which knows its syntax. Everything outside
 * the blocks is kept byte for byte. */

/**
 * LkExportLines:
 * @text: the file's bytes, not necessarily UTF-8 nor NUL-free
 * @length: their number
 * @starts: where each line starts; a line ends where the next starts
 *
 * A text split into lines without copying, for the clients' finders.
 */
typedef struct
{
  const char *text;
  gsize       length;
  GArray     *starts;   /* gsize; one more than the number of lines */
} LkExportLines;

/* A run of whole lines [first, last) that belongs to the account. */
typedef struct
{
  guint first;
  guint last;
} LkExportLineSpan;

/* A client's finder: adds to @spans (LkExportLineSpan, any order) the lines
 * of blocks for the account @slug / @email written without markers. */
typedef void (*LkExportFindFunc) (const LkExportLines *lines,
                                  const char          *slug,
                                  const char          *email,
                                  GArray              *spans);

typedef enum
{
  LK_EXPORT_MERGE_ADDED,       /* no block for the account was there */
  LK_EXPORT_MERGE_REPLACED,    /* its marked block was replaced */
  LK_EXPORT_MERGE_REPLACED_EARLIER, /* a block written before markers was */
  LK_EXPORT_MERGE_UNCHANGED,   /* the block was already as it would be written */
} LkExportMergeKind;

LkExportLines *lk_export_lines_new            (const char          *text,
                                               gsize                length);
void           lk_export_lines_free           (LkExportLines       *self);
guint          lk_export_lines_count          (const LkExportLines *self);
const char    *lk_export_lines_get            (const LkExportLines *self,
                                               guint                index,
                                               gsize               *out_length);
gboolean       lk_export_lines_is_blank       (const LkExportLines *self,
                                               guint                index);
gboolean       lk_export_lines_is_comment     (const LkExportLines *self,
                                               guint                index,
                                               const char          *comment);
char          *lk_export_lines_word           (const LkExportLines *self,
                                               guint                index,
                                               guint                nth) G_GNUC_WARN_UNUSED_RESULT;
gboolean       lk_export_lines_contains       (const LkExportLines *self,
                                               guint                index,
                                               const char          *needle);
guint          lk_export_lines_header_start   (const LkExportLines *self,
                                               guint                first,
                                               const char          *comment,
                                               const char          *needle);
guint          lk_export_lines_trim_end       (const LkExportLines *self,
                                               guint                first,
                                               guint                last,
                                               const char          *comment);

gboolean       lk_export_same_but_first_line  (const char          *a,
                                               gsize                a_length,
                                               const char          *b,
                                               gsize                b_length);
char          *lk_export_merge                (const char          *old_text,
                                               gsize                old_length,
                                               const char          *comment,
                                               const char          *slug,
                                               const char          *block,
                                               LkExportFindFunc     find_earlier,
                                               const char          *email,
                                               LkExportMergeKind   *out_kind,
                                               gboolean            *out_edited,
                                               GError             **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkExportLines, lk_export_lines_free)

G_END_DECLS
