/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  LK_PROTOCOL_IMAP,
  LK_PROTOCOL_POP,
  LK_PROTOCOL_SMTP,
} LkProtocol;

#define LK_N_PROTOCOLS 3

typedef enum
{
  LK_PROTOCOL_FLAG_NONE = 0,
  LK_PROTOCOL_FLAG_IMAP = 1 << LK_PROTOCOL_IMAP,
  LK_PROTOCOL_FLAG_POP  = 1 << LK_PROTOCOL_POP,
  LK_PROTOCOL_FLAG_SMTP = 1 << LK_PROTOCOL_SMTP,
  LK_PROTOCOL_FLAG_ALL  = 0x7,
} LkProtocolFlags;

typedef enum
{
  LK_SECURITY_TLS,       /* implicit TLS from the first byte */
  LK_SECURITY_STARTTLS,  /* STARTTLS, never falling back to clear text */
  LK_SECURITY_NONE,      /* clear text: refused unless the host is loopback */
} LkSecurity;

const char      *lk_protocol_to_string     (LkProtocol       protocol);
const char      *lk_protocol_get_name      (LkProtocol       protocol);
gboolean         lk_protocol_from_string   (const char      *text,
                                            LkProtocol      *out_protocol);
char            *lk_protocol_flags_to_string (LkProtocolFlags flags);
gboolean         lk_protocol_flags_parse   (const char      *text,
                                            LkProtocolFlags *out_flags,
                                            GError         **error);
const char      *lk_security_to_string     (LkSecurity       security);
gboolean         lk_security_from_string   (const char      *text,
                                            LkSecurity      *out_security);
gboolean         lk_host_is_loopback       (const char      *host);
char            *lk_host_to_ascii          (const char      *host) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
