/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What POP3 and SMTP clients send before they have logged in, and the SASL
 * response lines of every protocol: one command per line. Pure functions
 * over bytes; they accept any input and never crash, so a fuzzer may call
 * them directly (tests/fuzz/fuzz-mail-command.c). */

typedef enum
{
  LK_LINE_FOUND,        /* a whole line: *out_length bytes without the line end */
  LK_LINE_INCOMPLETE,   /* no line end yet, and within the cap */
  LK_LINE_TOO_LONG,     /* no line end within the cap */
} LkLineStatus;

LkLineStatus lk_mail_line_find        (const guint8  *data,
                                       gsize          length,
                                       gsize          max_length,
                                       gsize         *out_length,
                                       gsize         *out_consumed);

/**
 * LkMailCommand:
 * @verb: the command word, upper-cased ("AUTH", "EHLO", "USER")
 * @argument: everything after the single space that follows the verb, as
 *   sent (POP3's PASS keeps its spaces); "" when there is none
 */
typedef struct
{
  char *verb;
  char *argument;
} LkMailCommand;

gboolean     lk_mail_command_parse    (const char     *line,
                                       gsize           length,
                                       LkMailCommand  *out,
                                       GError        **error);
void         lk_mail_command_clear    (LkMailCommand  *command);
char        *lk_mail_command_next_word (const char    *text,
                                       const char    **out_rest) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LkMailCommand, lk_mail_command_clear)

G_END_DECLS
