/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "bridge/lk-bridge-report.h"

/**
 * SECTION:lk-bridge-report
 *
 * The delivery report the office bridge sends a device's sender when it
 * gives a message up (doc/bridge-office.md, "Nothing lost"): a
 * multipart/report (RFC 6522) of report-type delivery-status, with
 *
 * 1. text/plain: what failed, why, and what to do next;
 * 2. message/delivery-status (RFC 3464 §2): Reporting-MTA and
 *    Arrival-Date, then per recipient Final-Recipient, Action: failed,
 *    Status (RFC 3463, from the upstream's reply), Diagnostic-Code and
 *    Last-Attempt-Date;
 * 3. text/rfc822-headers: the message's header section, never its body
 *    (a scan may be confidential; its sender knows what it sent).
 *
 * The report is US-ASCII except the original headers as they came. Every
 * value from outside (the upstream's reply, addresses, the reason) becomes
 * one line of printable ASCII before it goes into a header field, so that
 * nothing can add a field or a part.
 */

/* RFC 5322 §2.1.1: lines of at most 998 characters; a reply or a reason
 * longer than this is cut, which keeps every field well within it. */
#define MAX_VALUE 400

/* One line of printable ASCII: control characters (CR, LF among them)
 * become spaces, other bytes question marks. */
static char *
one_line (const char *value)
{
  g_autofree char *ascii = g_str_to_ascii (value != NULL ? value : "", "C");
  GString *s = g_string_new (NULL);

  for (const char *p = ascii; *p != '\0' && s->len < MAX_VALUE; p++)
    g_string_append_c (s, g_ascii_isprint (*p) ? *p : ' ');
  g_strstrip (s->str);
  s->len = strlen (s->str);
  return g_string_free (s, FALSE);
}

static char *
rfc5322_date (gint64 unix_time)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (unix_time);

  /* The C locale's English day and month names, as RFC 5322 §3.3 wants. */
  static const char *days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autofree char *zone = g_date_time_format (time, "%z");

  return g_strdup_printf ("%s, %02d %s %04d %02d:%02d:%02d %s",
                          days[g_date_time_get_day_of_week (time) - 1],
                          g_date_time_get_day_of_month (time),
                          months[g_date_time_get_month (time) - 1],
                          g_date_time_get_year (time), g_date_time_get_hour (time),
                          g_date_time_get_minute (time), g_date_time_get_second (time), zone);
}

/* "1-3 digits" of an enhanced status code's subject or detail. */
static gboolean
scan_number (const char **p,
             guint        max_digits)
{
  guint n = 0;

  while (g_ascii_isdigit (**p) && n < max_digits)
    {
      (*p)++;
      n++;
    }
  return n > 0 && !g_ascii_isdigit (**p);
}

/**
 * lk_bridge_report_status:
 * @reply: (nullable): the upstream's reply, "550 5.1.1 <a@b>: unknown"
 * @permanent: it was refused for good
 *
 * The RFC 3463 status for the report: the reply's own enhanced code when
 * it has one of its class (RFC 2034), else the class of its basic code
 * ("5.0.0", "4.0.0"); without a reply, "5.0.0" for a refusal and "4.4.7"
 * (delivery time expired) for a message given up after a day.
 *
 * Returns: (transfer full): "c.s.d"
 */
char *
lk_bridge_report_status (const char *reply,
                         gboolean    permanent)
{
  const char *p;
  const char *start;

  if (reply == NULL || strlen (reply) < 3 || (reply[0] != '4' && reply[0] != '5')
      || !g_ascii_isdigit (reply[1]) || !g_ascii_isdigit (reply[2]))
    return g_strdup (permanent ? "5.0.0" : "4.4.7");
  p = reply + 3;
  while (*p == ' ' || *p == '-')
    p++;
  start = p;
  if (*p == reply[0] && p[1] == '.')
    {
      p += 2;
      if (scan_number (&p, 3) && *p == '.')
        {
          p++;
          if (scan_number (&p, 3) && (*p == '\0' || *p == ' '))
            return g_strndup (start, p - start);
        }
    }
  return g_strdup_printf ("%c.0.0", reply[0]);
}

/**
 * lk_bridge_report_build:
 *
 * Returns: (transfer full): the report, header and body, lines ending in
 *   CRLF
 */
char *
lk_bridge_report_build (const LkBridgeReportInput *in)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree char *from = one_line (in->from);
  g_autofree char *to = one_line (in->to);
  g_autofree char *device = one_line (in->device);
  g_autofree char *queue_id = one_line (in->queue_id);
  g_autofree char *host = one_line (in->reporting_host);
  g_autofree char *reason = one_line (in->reason);
  g_autofree char *reply = in->reply != NULL ? one_line (in->reply) : NULL;
  g_autofree char *status = reply == NULL && in->status != NULL
                            ? one_line (in->status) : lk_bridge_report_status (reply, in->permanent);
  g_autofree char *now = rfc5322_date (in->last_attempt);
  g_autofree char *arrival = rfc5322_date (in->arrival);
  g_autofree char *boundary = one_line (in->boundary);
  g_autoptr(GString) to_list = g_string_new (NULL);
  gboolean eight_bit = FALSE;

  for (guint i = 0; in->recipients[i] != NULL; i++)
    {
      g_autofree char *rcpt = one_line (in->recipients[i]);

      g_string_append_printf (to_list, "%s%s", i > 0 ? ", " : "", rcpt);
    }

  g_string_append_printf (s,
    "From: Latchkey bridge <%s>\r\n"
    "To: <%s>\r\n"
    "Subject: Undelivered mail from %s\r\n"
    "Date: %s\r\n"
    "Message-ID: <%s.report@%s>\r\n"
    "Auto-Submitted: auto-replied\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
    "\tboundary=\"%s\"\r\n"
    "\r\n"
    "This is a delivery report in MIME format.\r\n"
    "\r\n",
    from, to, device, now, queue_id, host, boundary);

  /* 1. For the person. */
  g_string_append_printf (s,
    "--%s\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "Content-Description: Notification\r\n"
    "\r\n"
    "The mail that the device %s handed to the Latchkey bridge at %s\r\n"
    "for %s %s, and will not be tried again:\r\n"
    "\r\n"
    "  %s\r\n"
    "\r\n",
    boundary, device, arrival, to_list->str,
    in->permanent ? "was refused by the mail server" : "could not be delivered within a day",
    reason);
  if (in->permanent)
    g_string_append (s,
      "What to do: check the recipients' addresses and the size of the scan; correct\r\n"
      "them on the device and send it again. If the mail server refuses the account\r\n"
      "itself, IT checks its permission to send (latchkey-cli admin exchange-script\r\n"
      "--device NAME).\r\n");
  else
    g_string_append (s,
      "What to do: send it again from the device once the bridge can deliver mail\r\n"
      "(latchkey-cli bridge status shows the queue and its last error). If the\r\n"
      "account needs a new sign-in, sign in again with Latchkey first.\r\n");
  g_string_append_printf (s, "\r\nQueue ID: %s\r\n\r\n", queue_id);

  /* 2. For programs: RFC 3464 §2.2 (per message) and §2.3 (per
   * recipient), each group followed by a blank line. */
  g_string_append_printf (s,
    "--%s\r\n"
    "Content-Type: message/delivery-status\r\n"
    "Content-Description: Delivery report\r\n"
    "\r\n"
    "Reporting-MTA: dns; %s\r\n"
    "X-Latchkey-Queue-ID: %s\r\n"
    "Arrival-Date: %s\r\n"
    "\r\n",
    boundary, host, queue_id, arrival);
  for (guint i = 0; in->recipients[i] != NULL; i++)
    {
      g_autofree char *rcpt = one_line (in->recipients[i]);

      g_string_append_printf (s,
        "Final-Recipient: rfc822; %s\r\n"
        "Action: failed\r\n"
        "Status: %s\r\n",
        rcpt, status);
      if (reply != NULL)
        g_string_append_printf (s, "Diagnostic-Code: smtp; %s\r\n", reply);
      else
        g_string_append_printf (s, "Diagnostic-Code: X-Latchkey; %s\r\n", reason);
      g_string_append_printf (s, "Last-Attempt-Date: %s\r\n\r\n", now);
    }

  /* 3. The header section, as it came (8 bit when it is). */
  for (gsize i = 0; in->headers != NULL && i < in->headers_length; i++)
    eight_bit |= (guchar) in->headers[i] >= 0x80;
  g_string_append_printf (s,
    "--%s\r\n"
    "Content-Type: text/rfc822-headers\r\n"
    "%s"
    "Content-Description: The message's header\r\n"
    "\r\n",
    boundary, eight_bit ? "Content-Transfer-Encoding: 8bit\r\n" : "");
  if (in->headers != NULL)
    g_string_append_len (s, in->headers, (gssize) in->headers_length);
  if (s->len < 2 || s->str[s->len - 1] != '\n')
    g_string_append (s, "\r\n");
  g_string_append_printf (s, "\r\n--%s--\r\n", boundary);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/**
 * lk_bridge_report_read_headers:
 * @path: a message in the spool
 *
 * The message's header section, up to (not with) the blank line that ends
 * it, at most %LK_BRIDGE_REPORT_MAX_HEADERS bytes and whole lines. NUL
 * bytes become spaces: the report is text.
 *
 * Returns: (transfer full) (nullable): the header lines, each ending in
 *   its line end, or %NULL with @error
 */
char *
lk_bridge_report_read_headers (const char  *path,
                               gsize       *out_length,
                               GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) in = g_file_read (file, NULL, error);
  g_autofree char *data = NULL;
  gsize length = 0;
  gsize end = 0;

  if (in == NULL)
    return NULL;
  data = g_malloc (LK_BRIDGE_REPORT_MAX_HEADERS + 1);
  if (!g_input_stream_read_all (G_INPUT_STREAM (in), data, LK_BRIDGE_REPORT_MAX_HEADERS,
                                &length, NULL, error))
    return NULL;
  /* Whole lines, until the first empty one. */
  for (gsize i = 0; i < length; i++)
    {
      if (data[i] == '\0')
        data[i] = ' ';
      if (data[i] != '\n')
        continue;
      if (i == end || (i == end + 1 && data[end] == '\r'))
        break;   /* the empty line: the body follows */
      end = i + 1;
    }
  /* A message of headers alone that ends without a line end. */
  if (length < LK_BRIDGE_REPORT_MAX_HEADERS && end < length && memchr (data + end, '\n', length - end) == NULL)
    end = length;
  data[end] = '\0';
  *out_length = end;
  return g_steal_pointer (&data);
}
