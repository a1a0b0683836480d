/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * LkBridgeReportInput:
 * @reporting_host: this machine's name (Reporting-MTA)
 * @from: the account the report is sent as
 * @to: the envelope sender of the message that failed
 * @device: the device that handed it over
 * @queue_id: its ID in the spool
 * @arrival: Unix time the bridge accepted it
 * @last_attempt: Unix time of the last delivery attempt
 * @recipients: (array zero-terminated=1): its envelope recipients
 * @reason: why it failed, in words
 * @reply: (nullable): the upstream's last reply ("550 5.1.1 …"), when a
 *   reply was the reason
 * @status: (nullable): the RFC 3463 status when no @reply gives it: the
 *   bridge refused the message itself ("5.3.4": larger than the upstream's
 *   SIZE)
 * @permanent: refused for good (a 5xx) rather than given up after a day
 * @headers: (nullable): the message's header section, as it was handed
 *   over (lk_bridge_report_read_headers())
 * @headers_length: its length
 * @boundary: the MIME boundary; it must not occur in @headers
 *
 * Zero it first and fill it in; nothing is kept.
 */
typedef struct
{
  const char         *reporting_host;
  const char         *from;
  const char         *to;
  const char         *device;
  const char         *queue_id;
  gint64              arrival;
  gint64              last_attempt;
  const char * const *recipients;
  const char         *reason;
  const char         *reply;
  const char         *status;
  gboolean            permanent;
  const char         *headers;
  gsize               headers_length;
  const char         *boundary;
} LkBridgeReportInput;

char *lk_bridge_report_status       (const char                *reply,
                                     gboolean                   permanent) G_GNUC_WARN_UNUSED_RESULT;
char *lk_bridge_report_build        (const LkBridgeReportInput *input) G_GNUC_WARN_UNUSED_RESULT;
char *lk_bridge_report_read_headers (const char                *path,
                                     gsize                     *out_length,
                                     GError                   **error) G_GNUC_WARN_UNUSED_RESULT;

#define LK_BRIDGE_REPORT_MAX_HEADERS (64 * 1024)

G_END_DECLS
