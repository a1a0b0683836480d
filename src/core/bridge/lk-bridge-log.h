/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * LkBridgeLogFields:
 *
 * The journal fields of one bridge event (journalctl -o verbose shows
 * them; the office bridge's fail2ban filter matches them). Every member is
 * optional. None may ever hold a password, a token, a SASL string or mail.
 */
typedef struct
{
  const char *connection;       /* LK_CONNECTION, "c42" */
  const char *source_address;   /* LK_SOURCE_ADDRESS */
  const char *protocol;         /* LK_PROTOCOL: imap, pop, smtp */
  const char *user;             /* LK_USER: what the client logged in as */
  const char *account;          /* LK_ACCOUNT */
  const char *result;           /* LK_RESULT: ok, refused, temporary, permanent, closed… */
  gint64      bytes_in;         /* LK_BYTES_IN, from the client; -1 unknown */
  gint64      bytes_out;        /* LK_BYTES_OUT, to the client; -1 unknown */
  gint64      duration_ms;      /* LK_DURATION_MS; -1 unknown */
} LkBridgeLogFields;

#define LK_BRIDGE_LOG_FIELDS_INIT { NULL, NULL, NULL, NULL, NULL, NULL, -1, -1, -1 }

void  lk_bridge_log      (GLogLevelFlags           level,
                          const LkBridgeLogFields *fields,
                          const char              *format,
                          ...) G_GNUC_PRINTF (3, 4);
char *lk_bridge_log_safe (const char              *text) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
