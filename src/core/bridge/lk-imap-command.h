/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* IMAP commands as a client sends them before login (RFC 9051 §9): a tag,
 * a command name and arguments that are atoms, quoted strings with "\"
 * escapes, literals ({n} synchronising, {n+} not, RFC 7888) and
 * parenthesised lists. A pure parser over the bytes received so far; it
 * accepts any input and never crashes (tests/fuzz/fuzz-imap-command.c). */

/* Caps before login: the command text outside literals, and all literal
 * data of one command together. */
#define LK_IMAP_MAX_LINE     8192
#define LK_IMAP_MAX_LITERALS 65536

typedef enum
{
  LK_IMAP_ARG_ATOM,     /* including NIL */
  LK_IMAP_ARG_STRING,   /* quoted or literal */
  LK_IMAP_ARG_LIST,
} LkImapArgKind;

typedef struct _LkImapArg LkImapArg;
struct _LkImapArg
{
  LkImapArgKind  kind;
  char          *value;      /* atoms and strings; NULL for a list */
  GPtrArray     *children;   /* lists: LkImapArg; NULL otherwise */
};

typedef struct
{
  char      *tag;
  char      *name;           /* upper-cased */
  GPtrArray *args;           /* LkImapArg */
} LkImapCommand;

typedef enum
{
  LK_IMAP_PARSE_COMPLETE,    /* *out is the command; it took *out_consumed bytes */
  LK_IMAP_PARSE_INCOMPLETE,  /* more bytes needed; *out_literal_prompts tells how many
                              * synchronising literals were announced so far */
  LK_IMAP_PARSE_BAD,         /* malformed: answer BAD (tagged when out->tag is set) and
                              * drop *out_consumed bytes, the whole command */
  LK_IMAP_PARSE_TOO_LONG,    /* over the caps: answer BAD and close the connection */
} LkImapParseStatus;

LkImapParseStatus lk_imap_command_parse (const guint8   *data,
                                         gsize           length,
                                         LkImapCommand  *out,
                                         gsize          *out_consumed,
                                         guint          *out_literal_prompts,
                                         GError        **error);
void              lk_imap_command_clear (LkImapCommand  *command);
const char       *lk_imap_command_get_string (const LkImapCommand *command,
                                              guint                index);
gboolean          lk_imap_is_atom_char  (guchar          c);
char             *lk_imap_quote         (const char     *text) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LkImapCommand, lk_imap_command_clear)

G_END_DECLS
