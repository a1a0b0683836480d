/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-export"
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-export-merge.h"

/* Enough of the block's SHA-256 to tell a hand edit from what was written. */
#define HASH_LENGTH 12

LkExportLines *
lk_export_lines_new (const char *text,
                     gsize       length)
{
  LkExportLines *self = g_new0 (LkExportLines, 1);
  gsize zero = 0;

  self->text = text != NULL ? text : "";
  self->length = text != NULL ? length : 0;
  self->starts = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_array_append_val (self->starts, zero);
  for (gsize i = 0; i < self->length; i++)
    {
      if (self->text[i] == '\n')
        {
          gsize next = i + 1;
          g_array_append_val (self->starts, next);
        }
    }
  /* A last line without its line break is a line all the same. */
  if (self->length > g_array_index (self->starts, gsize, self->starts->len - 1))
    g_array_append_val (self->starts, self->length);
  return self;
}

void
lk_export_lines_free (LkExportLines *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->starts);
  g_free (self);
}

guint
lk_export_lines_count (const LkExportLines *self)
{
  return self->starts->len - 1;
}

static gsize
line_start (const LkExportLines *self,
            guint                index)
{
  return g_array_index (self->starts, gsize, index);
}

/**
 * lk_export_lines_get:
 * @out_length: (out): the line's length without its line break (LF or CRLF)
 *
 * Returns: (transfer none): the line, not NUL-terminated
 */
const char *
lk_export_lines_get (const LkExportLines *self,
                     guint                index,
                     gsize               *out_length)
{
  gsize start = line_start (self, index);
  gsize end = line_start (self, index + 1);

  if (end > start && self->text[end - 1] == '\n')
    end--;
  if (end > start && self->text[end - 1] == '\r')
    end--;
  *out_length = end - start;
  return self->text + start;
}

/* The line without the blanks around it. */
static const char *
get_trimmed (const LkExportLines *self,
             guint                index,
             gsize               *out_length)
{
  gsize length;
  const char *line = lk_export_lines_get (self, index, &length);

  while (length > 0 && g_ascii_isspace (*line))
    line++, length--;
  while (length > 0 && g_ascii_isspace (line[length - 1]))
    length--;
  *out_length = length;
  return line;
}

gboolean
lk_export_lines_is_blank (const LkExportLines *self,
                          guint                index)
{
  gsize length;

  get_trimmed (self, index, &length);
  return length == 0;
}

/* @comment: "#" or "//", with or without the space Latchkey writes after it */
gboolean
lk_export_lines_is_comment (const LkExportLines *self,
                            guint                index,
                            const char          *comment)
{
  g_autofree char *mark = g_strstrip (g_strdup (comment));
  gsize length;
  const char *line = get_trimmed (self, index, &length);

  return length >= strlen (mark) && memcmp (line, mark, strlen (mark)) == 0;
}

/**
 * lk_export_lines_word:
 * @nth: 0 for the first word
 *
 * Returns: (nullable): the @nth word of the line, words being separated by
 *   blanks, or %NULL when it has fewer
 */
char *
lk_export_lines_word (const LkExportLines *self,
                      guint                index,
                      guint                nth)
{
  gsize length;
  const char *line = lk_export_lines_get (self, index, &length);
  gsize i = 0;

  for (guint n = 0;; n++)
    {
      gsize start;

      while (i < length && g_ascii_isspace (line[i]))
        i++;
      if (i == length)
        return NULL;
      start = i;
      while (i < length && !g_ascii_isspace (line[i]))
        i++;
      if (n == nth)
        return g_strndup (line + start, i - start);
    }
}

gboolean
lk_export_lines_contains (const LkExportLines *self,
                          guint                index,
                          const char          *needle)
{
  gsize length;
  const char *line = lk_export_lines_get (self, index, &length);

  /* Lines are not NUL-terminated; a NUL inside one ends the search. */
  return g_strstr_len (line, length, needle) != NULL;
}

/**
 * lk_export_lines_header_start:
 * @first: the first line of a block (its "account" line)
 * @needle: what Latchkey's header holds, e.g. "--client msmtp"
 *
 * Exported blocks start with Latchkey's comment header, then an empty line.
 * Returns: the header's first line when the comments right above @first
 *   (blank lines between allowed) hold @needle; @first otherwise
 */
guint
lk_export_lines_header_start (const LkExportLines *self,
                              guint                first,
                              const char          *comment,
                              const char          *needle)
{
  guint above = first;
  guint top;
  gboolean found = FALSE;

  while (above > 0 && lk_export_lines_is_blank (self, above - 1))
    above--;
  top = above;
  while (top > 0 && lk_export_lines_is_comment (self, top - 1, comment))
    {
      top--;
      found |= lk_export_lines_contains (self, top, needle);
    }
  return found ? top : first;
}

/**
 * lk_export_lines_trim_end:
 *
 * A block runs until the next one begins; the comments and blank lines just
 * before that one belong to it ("# Gmail" above "account gmail").
 * Returns: @last moved up over them, never to @first
 */
guint
lk_export_lines_trim_end (const LkExportLines *self,
                          guint                first,
                          guint                last,
                          const char          *comment)
{
  while (last > first + 1 &&
         (lk_export_lines_is_blank (self, last - 1) ||
          lk_export_lines_is_comment (self, last - 1, comment)))
    last--;
  return last;
}

/**
 * lk_export_same_but_first_line:
 *
 * Whether two exports differ at most in their first line, which is the
 * header line saying when they were made.
 */
gboolean
lk_export_same_but_first_line (const char *a,
                               gsize       a_length,
                               const char *b,
                               gsize       b_length)
{
  const char *a_rest = memchr (a, '\n', a_length);
  const char *b_rest = memchr (b, '\n', b_length);

  if (a_rest == NULL || b_rest == NULL)
    return a_length == b_length && memcmp (a, b, a_length) == 0;
  a_length -= a_rest - a;
  b_length -= b_rest - b;
  return a_length == b_length && memcmp (a_rest, b_rest, a_length) == 0;
}

static char *
block_hash (const char *text,
            gsize       length)
{
  g_autofree char *full = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                                       (const guchar *) text, length);
  return g_strndup (full, HASH_LENGTH);
}

static gboolean
line_equals (const LkExportLines *lines,
             guint                index,
             const char          *text)
{
  gsize length;
  const char *line = get_trimmed (lines, index, &length);

  return length == strlen (text) && memcmp (line, text, length) == 0;
}

/* "# <<< latchkey SLUG HASH <<<": the hash, "" when it is missing, or NULL
 * when the line is no end marker of @slug. */
static char *
end_marker_hash (const LkExportLines *lines,
                 guint                index,
                 const char          *prefix,
                 const char          *slug)
{
  gsize length;
  const char *line = get_trimmed (lines, index, &length);
  g_autofree char *text = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) parts = NULL;
  g_auto(GStrv) words = NULL;
  guint n;

  if (length < strlen (prefix) || memcmp (line, prefix, strlen (prefix)) != 0)
    return NULL;
  text = g_strndup (line + strlen (prefix), length - strlen (prefix));
  parts = g_strsplit_set (text, " \t", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] != '\0')
      g_strv_builder_add (builder, parts[i]);
  words = g_strv_builder_end (builder);
  n = g_strv_length (words);
  if (n < 4 || n > 5 || strcmp (words[0], "<<<") != 0 || strcmp (words[1], "latchkey") != 0 ||
      strcmp (words[2], slug) != 0 || strcmp (words[n - 1], "<<<") != 0)
    return NULL;
  return g_strdup (n == 5 ? words[3] : "");
}

static gint
compare_spans (gconstpointer a,
               gconstpointer b)
{
  const LkExportLineSpan *x = a, *y = b;

  return x->first < y->first ? -1 : x->first > y->first;
}

/* Sorted, overlapping or touching spans joined. */
static void
normalise_spans (GArray *spans)
{
  guint kept = 0;

  g_array_sort (spans, compare_spans);
  for (guint i = 0; i < spans->len; i++)
    {
      LkExportLineSpan span = g_array_index (spans, LkExportLineSpan, i);

      if (span.last <= span.first)
        continue;
      if (kept > 0 && span.first <= g_array_index (spans, LkExportLineSpan, kept - 1).last)
        {
          LkExportLineSpan *previous = &g_array_index (spans, LkExportLineSpan, kept - 1);
          previous->last = MAX (previous->last, span.last);
          continue;
        }
      g_array_index (spans, LkExportLineSpan, kept++) = span;
    }
  g_array_set_size (spans, kept);
}

/* @body ends with a line break: the hash is of exactly what stands
 * between the markers. */
static void
append_marked (GString    *out,
               const char *comment,
               const char *slug,
               const char *body)
{
  g_autofree char *hash = block_hash (body, strlen (body));

  g_string_append_printf (out, "%s>>> latchkey %s >>>\n", comment, slug);
  g_string_append (out, body);
  g_string_append_printf (out, "%s<<< latchkey %s %s <<<\n", comment, slug, hash);
}

/**
 * lk_export_merge:
 * @old_text: (nullable): the file as it is, or %NULL when there is none
 * @comment: how a comment starts, with the space after it: "# ", "// "
 * @slug: the account's name in client files (lk_export_slug())
 * @block: the account's text, as the exporter made it
 * @find_earlier: (nullable): the client's finder of blocks written before
 * @out_kind: (out): what happened to the account's block
 * @out_edited: (out): whether the replaced block had been edited by hand
 *
 * The file with the account's block in place of its old one (or ones), or
 * added at the end after an empty line. Nothing outside those blocks
 * changes. A begin marker without its end is refused: the end of the block
 * cannot be known, and guessing could delete the user's lines. So is a
 * file with a NUL byte, which is no text.
 *
 * Returns: (transfer full): the new text, or %NULL with @error set
 */
char *
lk_export_merge (const char         *old_text,
                 gsize               old_length,
                 const char         *comment,
                 const char         *slug,
                 const char         *block,
                 LkExportFindFunc    find_earlier,
                 const char         *email,
                 LkExportMergeKind  *out_kind,
                 gboolean           *out_edited,
                 GError            **error)
{
  g_autoptr(LkExportLines) lines = lk_export_lines_new (old_text, old_length);
  g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (LkExportLineSpan));
  g_autofree char *begin = g_strstrip (g_strdup_printf ("%s>>> latchkey %s >>>", comment, slug));
  g_autofree char *prefix = g_strstrip (g_strdup (comment));
  g_autofree char *body = g_str_has_suffix (block, "\n") || *block == '\0'
    ? g_strdup (block) : g_strconcat (block, "\n", NULL);
  guint count = lk_export_lines_count (lines);
  LkExportMergeKind kind = LK_EXPORT_MERGE_REPLACED;
  gboolean edited = FALSE;
  GString *out;
  gsize pos = 0;

  *out_kind = LK_EXPORT_MERGE_ADDED;
  *out_edited = FALSE;

  /* No configuration syntax has a NUL byte; a file with one is not text,
   * and the merged result could not be written whole. */
  if (old_text != NULL && memchr (old_text, '\0', old_length) != NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("It holds a NUL byte, so it is not a text file Latchkey can add to; "
                     "nothing was changed. Check what the file is, and move it out of the "
                     "way if it is not the mail program’s configuration."));
      return NULL;
    }

  for (guint i = 0; i < count; i++)
    {
      LkExportLineSpan span = { i, 0 };
      gboolean closed = FALSE;

      if (!line_equals (lines, i, begin))
        continue;
      for (guint j = i + 1; j < count && !closed; j++)
        {
          g_autofree char *hash = NULL;

          if (line_equals (lines, j, begin))
            break;
          hash = end_marker_hash (lines, j, prefix, slug);
          if (hash == NULL)
            continue;
          {
            gsize body_start = line_start (lines, i + 1);
            gsize body_end = line_start (lines, j);
            g_autofree char *now = block_hash (old_text + body_start, body_end - body_start);

            edited |= strcmp (now, hash) != 0;
            if (spans->len == 0 &&
                lk_export_same_but_first_line (old_text + body_start, body_end - body_start,
                                               body, strlen (body)))
              kind = LK_EXPORT_MERGE_UNCHANGED;
          }
          span.last = j + 1;
          closed = TRUE;
        }
      if (!closed)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                       _("Line %u opens Latchkey’s block for %s (“%s”), but no line closes it "
                         "(“%s<<< latchkey %s … <<<”); nothing was changed. Delete the block’s "
                         "lines, or put that closing line back, and try again."),
                       i + 1, email, begin, comment, slug);
          return NULL;
        }
      g_array_append_val (spans, span);
      i = span.last - 1;
    }

  if (spans->len == 1 && kind == LK_EXPORT_MERGE_UNCHANGED)
    {
      *out_kind = LK_EXPORT_MERGE_UNCHANGED;
      *out_edited = edited;
      return g_strndup (old_text, old_length);
    }
  if (spans->len == 0 && find_earlier != NULL)
    {
      find_earlier (lines, slug, email, spans);
      kind = LK_EXPORT_MERGE_REPLACED_EARLIER;
    }
  normalise_spans (spans);

  out = g_string_sized_new (old_length + strlen (body) + 128);
  if (spans->len == 0)
    {
      g_string_append_len (out, old_text != NULL ? old_text : "", old_length);
      if (old_length > 0 && old_text[old_length - 1] != '\n')
        g_string_append_c (out, '\n');
      if (count > 0 && !lk_export_lines_is_blank (lines, count - 1))
        g_string_append_c (out, '\n');
      append_marked (out, comment, slug, body);
      return g_string_free (out, FALSE);
    }

  for (guint n = 0; n < spans->len; n++)
    {
      LkExportLineSpan span = g_array_index (spans, LkExportLineSpan, n);

      g_string_append_len (out, old_text + pos, line_start (lines, span.first) - pos);
      pos = line_start (lines, span.last);
      if (n == 0)
        {
          append_marked (out, comment, slug, body);
          continue;
        }
      /* A block removed from between two others leaves one empty line. */
      if (span.last < count && lk_export_lines_is_blank (lines, span.last) &&
          (span.first == 0 || lk_export_lines_is_blank (lines, span.first - 1)))
        pos = line_start (lines, span.last + 1);
    }
  g_string_append_len (out, old_text + pos, old_length - pos);

  *out_kind = kind;
  *out_edited = edited;
  return g_string_free (out, FALSE);
}
