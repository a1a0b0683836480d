/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Parsers for what IMAP, POP3 and SMTP servers say. Pure functions over one
 * line (without CRLF) or a few; they accept any bytes and never crash, so a
 * fuzzer may call them directly. */

/* IMAP (RFC 9051 §7) */
typedef enum
{
  LK_IMAP_LINE_INVALID,
  LK_IMAP_LINE_UNTAGGED,       /* "* …" */
  LK_IMAP_LINE_TAGGED,         /* "A1 OK …" */
  LK_IMAP_LINE_CONTINUATION,   /* "+ …" */
} LkImapLineKind;

typedef enum
{
  LK_IMAP_STATUS_NONE,         /* untagged data such as "* CAPABILITY …" */
  LK_IMAP_STATUS_OK,
  LK_IMAP_STATUS_NO,
  LK_IMAP_STATUS_BAD,
  LK_IMAP_STATUS_PREAUTH,
  LK_IMAP_STATUS_BYE,
} LkImapStatus;

typedef struct
{
  LkImapLineKind  kind;
  char           *tag;         /* tagged lines only */
  LkImapStatus    status;
  char           *code;        /* the resp-text-code inside [ ], or NULL */
  char           *text;        /* the rest: human text, untagged data, or a continuation's base64 */
} LkImapReply;

gboolean  lk_imap_reply_parse             (const char          *line,
                                           LkImapReply         *out);
void      lk_imap_reply_clear             (LkImapReply         *reply);
char    **lk_imap_reply_get_capabilities  (const LkImapReply   *reply) G_GNUC_WARN_UNUSED_RESULT;
char    **lk_imap_capabilities_parse      (const char          *text) G_GNUC_WARN_UNUSED_RESULT;
char    **lk_imap_capabilities_get_mechanisms (const char * const *capabilities) G_GNUC_WARN_UNUSED_RESULT;
gboolean  lk_capabilities_contain         (const char * const  *capabilities,
                                           const char          *name);

/* POP3 (RFC 1939, RFC 2449 CAPA, RFC 5034 SASL) */
typedef enum
{
  LK_POP_REPLY_INVALID,
  LK_POP_REPLY_OK,             /* "+OK …" */
  LK_POP_REPLY_ERR,            /* "-ERR …" */
  LK_POP_REPLY_CONTINUATION,   /* "+ …" during AUTH */
} LkPopReplyKind;

LkPopReplyKind lk_pop_reply_parse         (const char          *line,
                                           const char         **out_text);
void      lk_pop_capa_parse               (const char * const  *lines,
                                           gboolean            *out_stls,
                                           char              ***out_mechanisms);

/* SMTP (RFC 5321 §4.2, RFC 3463 enhanced status codes) */
typedef struct
{
  guint      code;             /* 0 until the first line is fed */
  char      *enhanced;         /* "5.7.139", or NULL */
  GPtrArray *lines;            /* the text of each line, after "NNN-" / "NNN " */
  gboolean   complete;
} LkSmtpReply;

LkSmtpReply *lk_smtp_reply_new            (void);
void      lk_smtp_reply_free              (LkSmtpReply         *reply);
gboolean  lk_smtp_reply_feed              (LkSmtpReply         *reply,
                                           const char          *line,
                                           GError             **error);
char     *lk_smtp_reply_to_string         (const LkSmtpReply   *reply) G_GNUC_WARN_UNUSED_RESULT;
void      lk_smtp_ehlo_parse              (const LkSmtpReply   *reply,
                                           gboolean            *out_starttls,
                                           char              ***out_mechanisms);
char    **lk_smtp_ehlo_keywords           (const LkSmtpReply   *reply) G_GNUC_WARN_UNUSED_RESULT;
gint64    lk_smtp_ehlo_max_size           (const char * const  *keywords);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LkImapReply, lk_imap_reply_clear)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkSmtpReply, lk_smtp_reply_free)

G_END_DECLS
