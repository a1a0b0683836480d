/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The office bridge's pieces without a network: devices in the logins
 * file, the lock-out, the allow-list, the office settings and the
 * certificate's names. tests/integration/test-bridge-office.py drives them
 * with a printer in a network namespace. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "bridge/lk-bridge-allow.h"
#include "bridge/lk-bridge-backoff.h"
#include "bridge/lk-bridge-certificate.h"
#include "bridge/lk-bridge-credentials.h"
#include "bridge/lk-bridge-device-sheet.h"
#include "bridge/lk-bridge-device-state.h"
#include "bridge/lk-bridge-queue.h"
#include "bridge/lk-bridge-report.h"
#include "bridge/lk-bridge-settings.h"
#include "bridge/lk-bridge-spool.h"
#include "bridge/lk-mail-header.h"
#include "lk-error.h"
#include "lk-test-utils.h"
#include "lk-token-set.h"

static void
test_device_names (void)
{
  const char *good[] = { "2nd-floor-mfp", "scanner", "a", "mfp.lobby_2" };
  const char *bad[] = { "", "Scanner", "-mfp", "a b", "mfp@example.com", "ünicode", "a/b",
                        "01234567890123456789012345678901234567890123456789012345678901234" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (lk_bridge_device_name_is_valid (good[i]));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (lk_bridge_device_name_is_valid (bad[i]));
}

static void
test_devices (void)
{
  g_autofree char *scratch = lk_test_make_scratch ();
  g_autofree char *path = g_build_filename (scratch, "bridge-users.json", NULL);
  g_autoptr(LkBridgeCredentials) credentials = lk_bridge_credentials_new (path);
  g_autoptr(LkBridgeCredentials) reader = lk_bridge_credentials_new (path);
  g_autoptr(LkBridgeUser) device = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  g_autofree char *again = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *account_password = NULL;
  LkBridgeDeviceSpec spec = { "2nd-floor-mfp", "scans@example.com", 0, "scans@example.com", 30 };

  g_assert_true (lk_bridge_credentials_enable (credentials, "alice@example.com",
                                               LK_PROTOCOL_FLAG_IMAP, &account_password, &error));
  g_assert_no_error (error);
  g_assert_true (lk_bridge_credentials_add_device (credentials, &spec, &password, &error));
  g_assert_no_error (error);
  g_assert_nonnull (password);

  /* Only the hash is stored; another process reads every field back. */
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_null (strstr (contents, password));
  g_assert_true (lk_bridge_credentials_load (reader, &error));
  device = lk_bridge_credentials_lookup (reader, "2nd-floor-mfp");
  g_assert_nonnull (device);
  g_assert_cmpint (device->kind, ==, LK_BRIDGE_USER_DEVICE);
  g_assert_cmpstr (device->account, ==, "scans@example.com");
  g_assert_cmpstr (device->sender, ==, "scans@example.com");
  g_assert_cmpuint (device->max_per_hour, ==, 30);
  g_assert_cmpuint (device->protocols, ==, LK_PROTOCOL_FLAG_SMTP);   /* SMTP by default */
  g_clear_pointer (&device, lk_bridge_user_unref);
  device = lk_bridge_credentials_lookup (reader, "alice@example.com");
  g_assert_cmpint (device->kind, ==, LK_BRIDGE_USER_ACCOUNT);
  g_assert_null (device->sender);

  /* A name is added once; bad names and addresses are refused. */
  g_assert_false (lk_bridge_credentials_add_device (credentials, &spec, &again, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_EXISTS);
  g_assert_null (again);
  g_clear_error (&error);
  spec.name = "Bad Name";
  g_assert_false (lk_bridge_credentials_add_device (credentials, &spec, &again, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  spec.name = "lobby";
  spec.sender = "not an address";
  g_assert_false (lk_bridge_credentials_add_device (credentials, &spec, &again, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  /* A device with an unknown kind or a broken sender is a damaged file. */
  lk_test_write_file (path, "{\"version\": 1, \"users\": [{\"name\": \"x\", \"account\": "
                      "\"a@example.com\", \"hash\": \"$y$x\", \"protocols\": \"smtp\", "
                      "\"kind\": \"robot\"}]}");
  g_assert_false (lk_bridge_credentials_load (reader, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  lk_test_write_file (path, "{\"version\": 1, \"users\": [{\"name\": \"Not Valid\", \"account\": "
                      "\"a@example.com\", \"hash\": \"$y$x\", \"protocols\": \"smtp\", "
                      "\"kind\": \"device\"}]}");
  g_assert_false (lk_bridge_credentials_load (reader, &error));
  g_clear_error (&error);
  lk_secret_wipe (g_steal_pointer (&password));
  lk_secret_wipe (g_steal_pointer (&account_password));
}

static gint64 fake_now;

static gint64
fake_clock (void)
{
  return fake_now;
}

static void
test_lockout (void)
{
  g_autoptr(LkBridgeBackoff) backoff = lk_bridge_backoff_new ();

  fake_now = 1000000;
  lk_bridge_backoff_set_clock (backoff, fake_clock);
  lk_bridge_backoff_set_limits (backoff, 100, 20, 15 * 60);
  for (guint i = 0; i < 19; i++)
    {
      lk_bridge_backoff_failed (backoff, "mfp");
      g_assert_cmpuint (lk_bridge_backoff_get_delay_ms (backoff, "mfp"), <=, 100);
      fake_now += G_USEC_PER_SEC;
    }
  g_assert_false (lk_bridge_backoff_is_locked (backoff, "mfp"));
  lk_bridge_backoff_failed (backoff, "mfp");
  g_assert_true (lk_bridge_backoff_is_locked (backoff, "mfp"));
  g_assert_cmpuint (lk_bridge_backoff_get_locked_seconds (backoff, "mfp"), ==, 15 * 60);
  g_assert_false (lk_bridge_backoff_is_locked (backoff, "other"));

  /* Tries while locked do not make it longer… */
  fake_now += 10 * 60 * G_USEC_PER_SEC;
  lk_bridge_backoff_failed (backoff, "mfp");
  g_assert_cmpuint (lk_bridge_backoff_get_locked_seconds (backoff, "mfp"), ==, 5 * 60);
  /* …and it ends by itself. */
  fake_now += 5 * 60 * G_USEC_PER_SEC + 1;
  g_assert_false (lk_bridge_backoff_is_locked (backoff, "mfp"));

  /* 0 never locks. */
  lk_bridge_backoff_set_limits (backoff, 100, 0, 60);
  for (guint i = 0; i < 100; i++)
    lk_bridge_backoff_failed (backoff, "desk");
  g_assert_false (lk_bridge_backoff_is_locked (backoff, "desk"));
}

/* The devices' counters a restart keeps: the hour in minutes, today, the
 * lock; written to a 0600 file and read back; nonsense in the file is
 * left out; the backoff takes a lock back, never a longer one. */
static void
test_device_state (void)
{
  g_autofree char *scratch = lk_test_make_scratch ();
  g_autofree char *path = g_build_filename (scratch, "state", "bridge-devices.json", NULL);
  g_autoptr(LkBridgeDeviceState) state = lk_bridge_device_state_new (path);
  g_autoptr(LkBridgeDeviceState) again = lk_bridge_device_state_new (path);
  g_autoptr(LkBridgeBackoff) backoff = lk_bridge_backoff_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  LkBridgeDeviceRecord *record;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 free_at = 0;
  GStatBuf st;

  /* No file yet: nothing counted. */
  g_assert_true (lk_bridge_device_state_load (state, &error));
  g_assert_no_error (error);
  g_assert_null (lk_bridge_device_state_lookup (state, "mfp"));

  /* Three messages 50 minutes ago, two now: five this hour; the first
   * three leave the hour ten minutes from now. */
  record = lk_bridge_device_state_get (state, "mfp");
  for (guint i = 0; i < 3; i++)
    lk_bridge_device_record_count (record, now - 50 * 60);
  lk_bridge_device_record_count (record, now);
  lk_bridge_device_record_count (record, now);
  g_assert_cmpuint (lk_bridge_device_record_this_hour (record, now, &free_at), ==, 5);
  g_assert_cmpint (free_at, ==, ((now - 50 * 60) / 60 + 60) * 60);
  g_assert_cmpuint (lk_bridge_device_record_this_hour (record, now + 11 * 60, NULL), ==, 2);
  g_assert_cmpuint (lk_bridge_device_record_this_hour (record, now + 61 * 60, NULL), ==, 0);
  record->failures = 20;
  record->last_failure = now - 5;
  record->locked_at = now - 5;
  record->locked_until = now + 600;
  /* A device with nothing to keep is not written. */
  lk_bridge_device_state_get (state, "idle");
  g_assert_true (lk_bridge_device_state_save (state, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_null (strstr (contents, "idle"));
  g_assert_true (lk_bridge_device_state_load (again, &error));
  record = lk_bridge_device_state_lookup (again, "mfp");
  g_assert_nonnull (record);
  g_assert_cmpuint (lk_bridge_device_record_this_hour (record, now, NULL), ==, 5);
  g_assert_cmpuint (lk_bridge_device_record_today (record, now), ==,
                    lk_bridge_device_record_day (now - 50 * 60) == lk_bridge_device_record_day (now)
                    ? 5 : 2);
  g_assert_cmpuint (record->failures, ==, 20);
  g_assert_cmpint (record->locked_until, ==, now + 600);
  g_assert_null (lk_bridge_device_state_lookup (again, "idle"));

  /* A restarted backoff is locked for what was left, never longer than
   * its own lock-out; with lock-outs switched off, not at all. */
  lk_bridge_backoff_set_limits (backoff, 100, 20, 15 * 60);
  lk_bridge_backoff_restore (backoff, "mfp", 20, 5, 600);
  g_assert_true (lk_bridge_backoff_is_locked (backoff, "mfp"));
  g_assert_cmpuint (lk_bridge_backoff_get_locked_seconds (backoff, "mfp"), ==, 600);
  g_assert_cmpuint (lk_bridge_backoff_get_failures (backoff, "mfp"), ==, 20);
  lk_bridge_backoff_restore (backoff, "forever", 20, 5, G_MAXINT32);
  g_assert_cmpuint (lk_bridge_backoff_get_locked_seconds (backoff, "forever"), ==, 15 * 60);
  lk_bridge_backoff_restore (backoff, "mfp", 0, 0, 0);
  g_assert_false (lk_bridge_backoff_is_locked (backoff, "mfp"));
  lk_bridge_backoff_set_limits (backoff, 100, 0, 15 * 60);
  lk_bridge_backoff_restore (backoff, "off", 20, 5, 600);
  g_assert_false (lk_bridge_backoff_is_locked (backoff, "off"));

  /* Names that are not a device's, negative numbers and broken minutes
   * are left out; a file that is not JSON is an error that says so. */
  lk_test_write_file (path, "{\"version\": 1, \"devices\": ["
                      "{\"name\": \"Bad Name\", \"failures\": 20, \"locked_until\": 99999999999},"
                      "{\"name\": \"neg\", \"failures\": -3, \"locked_until\": -1,"
                      " \"minutes\": [[-5, 3], [1, -2], \"x\", [1], [{}, []], [\"7\", 1]]}]}");
  g_assert_true (lk_bridge_device_state_load (again, &error));
  g_assert_no_error (error);
  g_assert_null (lk_bridge_device_state_lookup (again, "Bad Name"));
  record = lk_bridge_device_state_lookup (again, "neg");
  g_assert_nonnull (record);
  g_assert_cmpuint (record->failures, ==, 0);
  g_assert_cmpint (record->locked_until, ==, 0);
  g_assert_cmpuint (lk_bridge_device_record_this_hour (record, now, NULL), ==, 0);
  lk_test_write_file (path, "{\"devices\": [");
  g_assert_false (lk_bridge_device_state_load (again, &error));
  g_assert_nonnull (strstr (error->message, "not valid JSON"));
}

/* The delivery report: RFC 3463 statuses from the upstream's reply, one
 * line per hostile value, the header section without the body. (Python's
 * email package reads a real one in tests/integration/test-bridge-office.py.) */
static void
test_report (void)
{
  static const struct { const char *reply; gboolean permanent; const char *status; } statuses[] = {
    { "550 5.1.1 <a@example.net>: Recipient address rejected", TRUE, "5.1.1" },
    { "552 5.3.4 Message size exceeds fixed limit", TRUE, "5.3.4" },
    { "554 Transaction failed", TRUE, "5.0.0" },
    { "550 4.1.1 a class that is not the code's", TRUE, "5.0.0" },
    { "550 5.1234.1 too many digits", TRUE, "5.0.0" },
    { "550 5.7.60", TRUE, "5.7.60" },
    { "451 4.3.0 Try again later", FALSE, "4.3.0" },
    { "421 Service not available", FALSE, "4.0.0" },
    { NULL, FALSE, "4.4.7" },
    { NULL, TRUE, "5.0.0" },
    { "hello", FALSE, "4.4.7" },
  };
  g_autofree char *scratch = lk_test_make_scratch ();
  g_autofree char *path = g_build_filename (scratch, "message.eml", NULL);
  const char *recipients[] = { "office@example.net", "boss@example.net", NULL };
  LkBridgeReportInput in = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *headers = NULL;
  g_autofree char *report = NULL;
  g_auto(GStrv) lines = NULL;
  gsize length = 0;
  guint finals = 0;

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autofree char *status = lk_bridge_report_status (statuses[i].reply, statuses[i].permanent);

      g_assert_cmpstr (status, ==, statuses[i].status);
    }

  /* The header section stops at the blank line: no body. */
  lk_test_write_file (path, "Subject: scan-42\r\nFrom: scans@example.com\r\n\r\nSECRET BODY\r\n");
  headers = lk_bridge_report_read_headers (path, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (headers, ==, "Subject: scan-42\r\nFrom: scans@example.com\r\n");
  g_assert_cmpuint (length, ==, strlen (headers));
  g_clear_pointer (&headers, g_free);
  lk_test_write_file (path, "Subject: only headers, no line end");
  headers = lk_bridge_report_read_headers (path, &length, &error);
  g_assert_cmpstr (headers, ==, "Subject: only headers, no line end");
  g_clear_pointer (&headers, g_free);
  lk_test_write_file (path, "Subject: bare LF\n\nbody\n");
  headers = lk_bridge_report_read_headers (path, &length, &error);
  g_assert_cmpstr (headers, ==, "Subject: bare LF\n");
  g_clear_pointer (&headers, g_free);

  /* Hostile values stay on their lines: a reply and a reason that try to
   * add a field, a part or a boundary of their own. */
  lk_test_write_file (path, "Subject: scan-42\r\n\r\nSECRET BODY\r\n");
  headers = lk_bridge_report_read_headers (path, &length, &error);
  in.reporting_host = "bridge.example.com";
  in.from = "scans@example.com";
  in.to = "scans@example.com";
  in.device = "2nd-floor-mfp";
  in.queue_id = "0123456789abcdef";
  in.arrival = 1764000000;
  in.last_attempt = 1764086400;
  in.recipients = recipients;
  in.reason = "The mail server answered: 550 5.1.1 x\r\nBcc: victim@example.net";
  in.reply = "550 5.1.1 x\r\n--=_b\r\nContent-Type: text/html\r\n\r\n<script>";
  in.permanent = TRUE;
  in.headers = headers;
  in.headers_length = length;
  in.boundary = "=_b";
  report = lk_bridge_report_build (&in);
  g_assert_null (strstr (report, "\r\nBcc:"));
  g_assert_null (strstr (report, "\r\nContent-Type: text/html"));
  g_assert_null (strstr (report, "SECRET BODY"));
  g_assert_nonnull (strstr (report, "Content-Type: multipart/report; report-type=delivery-status;\r\n"
                                    "\tboundary=\"=_b\"\r\n"));
  g_assert_nonnull (strstr (report, "\r\nDiagnostic-Code: smtp; 550 5.1.1 x  --=_b  Content-Type: "
                                    "text/html    <script>\r\n"));
  g_assert_nonnull (strstr (report, "\r\n--=_b\r\nContent-Type: text/rfc822-headers\r\n"
                                    "Content-Description: The message's header\r\n\r\n"
                                    "Subject: scan-42\r\n\r\n--=_b--\r\n"));
  lines = g_strsplit (report, "\r\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_assert_cmpuint (strlen (lines[i]), <=, 998);
      g_assert_null (strchr (lines[i], '\n'));
      g_assert_null (strchr (lines[i], '\r'));
      finals += g_str_has_prefix (lines[i], "Final-Recipient: rfc822; ");
      if (g_str_has_prefix (lines[i], "Status: "))
        g_assert_cmpstr (lines[i], ==, "Status: 5.1.1");
      /* Three parts and the end: the only boundary lines. */
      if (g_str_has_prefix (lines[i], "--=_b"))
        g_assert_true (g_str_equal (lines[i], "--=_b") || g_str_equal (lines[i], "--=_b--"));
    }
  g_assert_cmpuint (finals, ==, 2);
}

/* A message larger than the upstream's SIZE (RFC 1870) is refused by the
 * bridge itself: words for the person, 5.3.4 for programs. */
static void
test_size_refusal (void)
{
  const char *recipients[] = { "office@example.net", NULL };
  LkBridgeReportInput in = { 0 };
  g_autofree char *reason = NULL;
  g_autofree char *report = NULL;
  g_autofree char *close = NULL;

  g_assert_null (lk_bridge_queue_size_refusal (-1, G_GOFFSET_CONSTANT (1) << 40));
  g_assert_null (lk_bridge_queue_size_refusal (0, G_GOFFSET_CONSTANT (1) << 40));
  g_assert_null (lk_bridge_queue_size_refusal (10000000, 10000000));
  g_assert_null (lk_bridge_queue_size_refusal (10000000, 0));
  reason = lk_bridge_queue_size_refusal (10000000, 12300000);
  g_assert_nonnull (reason);
  g_assert_nonnull (strstr (reason, "12.3 MB"));
  g_assert_nonnull (strstr (reason, "at most 10.0 MB"));
  g_assert_nonnull (strstr (reason, "lower resolution"));
  /* One octet over: the rounded sizes alone would read the same. */
  close = lk_bridge_queue_size_refusal (10000000, 10000001);
  g_assert_nonnull (strstr (close, "10000001 bytes"));
  g_assert_nonnull (strstr (close, "10000000 bytes"));

  in.reporting_host = "bridge.example.com";
  in.from = in.to = "scans@example.com";
  in.device = "2nd-floor-mfp";
  in.queue_id = "0123456789abcdef";
  in.arrival = 1764000000;
  in.last_attempt = 1764000060;
  in.recipients = recipients;
  in.reason = reason;
  in.status = "5.3.4";
  in.permanent = TRUE;
  in.boundary = "=_b";
  report = lk_bridge_report_build (&in);
  g_assert_nonnull (strstr (report, "\r\nStatus: 5.3.4\r\n"));
  g_assert_nonnull (strstr (report, "\r\nDiagnostic-Code: X-Latchkey; The message is 12.3 MB"));
  /* A reply, when there is one, still says the status. */
  in.reply = "552 5.3.4 Message size exceeds fixed maximum message size";
  g_clear_pointer (&report, g_free);
  report = lk_bridge_report_build (&in);
  g_assert_nonnull (strstr (report, "\r\nStatus: 5.3.4\r\nDiagnostic-Code: smtp; 552 5.3.4 "));
}

static void
test_allow (void)
{
  g_autoptr(GPtrArray) cidrs = g_ptr_array_new ();
  g_autoptr(GPtrArray) allow = NULL;
  g_autoptr(GPtrArray) loopback = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) inside = g_inet_address_new_from_string ("192.168.7.42");
  g_autoptr(GInetAddress) host = g_inet_address_new_from_string ("10.1.2.3");
  g_autoptr(GInetAddress) outside = g_inet_address_new_from_string ("192.168.8.1");
  g_autoptr(GInetAddress) v6 = g_inet_address_new_from_string ("fd00::5");
  g_autoptr(GInetAddress) local = g_inet_address_new_from_string ("127.0.0.9");
  g_autofree char *text = NULL;

  g_ptr_array_add (cidrs, (gpointer) "192.168.7.0/24");
  g_ptr_array_add (cidrs, (gpointer) "10.1.2.3");
  allow = lk_bridge_allow_parse (cidrs, &error);
  g_assert_no_error (error);
  g_assert_true (lk_bridge_allow_matches (allow, inside));
  g_assert_true (lk_bridge_allow_matches (allow, host));
  g_assert_false (lk_bridge_allow_matches (allow, outside));
  g_assert_false (lk_bridge_allow_matches (allow, v6));
  text = lk_bridge_allow_to_string (allow);
  g_assert_cmpstr (text, ==, "192.168.7.0/24, 10.1.2.3");

  /* Host bits after the prefix would allow more than was written. */
  g_ptr_array_add (cidrs, (gpointer) "192.168.7.1/16");
  g_assert_null (lk_bridge_allow_parse (cidrs, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "192.168.7.1/16"));
  g_clear_error (&error);

  /* The default: the subnet of the interface that has the address. */
  loopback = lk_bridge_allow_for_interface ("127.0.0.1", &error);
  g_assert_no_error (error);
  g_assert_true (lk_bridge_allow_matches (loopback, local));
  g_assert_false (lk_bridge_allow_matches (loopback, inside));
  g_assert_null (lk_bridge_allow_for_interface ("0.0.0.0", &error));
  g_assert_nonnull (strstr (error->message, "--allow"));
  g_clear_error (&error);
  g_assert_null (lk_bridge_allow_for_interface ("192.0.2.250", &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
}

static void
test_office_settings (void)
{
  g_autofree char *scratch = lk_test_make_scratch ();
  g_autofree char *path = g_build_filename (scratch, "bridge.json", NULL);
  g_autoptr(LkBridgeSettings) settings = NULL;
  g_autoptr(GError) error = NULL;
  guint lan = 0;

  lk_test_write_file (path, "{\"lan\": [\"192.168.7.2\"], \"allow\": [\"192.168.7.0/24\"], "
                      "\"lockout\": {\"after\": 5, \"minutes\": 2}, \"max_failure_delay_ms\": 50, "
                      "\"legacy_tls\": [\"192.168.7.2:2587\"], "
                      "\"legacy_smtps\": [\"192.168.7.2:2465\"]}");
  settings = lk_bridge_settings_load (path, &error);
  g_assert_no_error (error);
  /* The loopback defaults stay; "lan" adds 587 and 465 there. */
  for (guint i = 0; i < settings->endpoints->len; i++)
    {
      const LkBridgeEndpoint *endpoint = g_ptr_array_index (settings->endpoints, i);

      if (!lk_bridge_endpoint_is_lan (endpoint))
        continue;
      lan++;
      g_assert_cmpstr (endpoint->address, ==, "192.168.7.2");
      g_assert_cmpint (endpoint->protocol, ==, LK_PROTOCOL_SMTP);
      g_assert_cmpuint (endpoint->port, ==, endpoint->security == LK_SECURITY_TLS ? 465 : 587);
    }
  g_assert_cmpuint (lan, ==, 2);
  g_assert_cmpuint (settings->endpoints->len, ==, 5);
  g_assert_cmpstr (g_ptr_array_index (settings->allow, 0), ==, "192.168.7.0/24");
  g_assert_cmpuint (settings->lockout_after, ==, 5);
  g_assert_cmpuint (settings->lockout_seconds, ==, 120);
  g_assert_cmpuint (settings->max_failure_delay_ms, ==, 50);
  /* Old printers: SMTP with STARTTLS, and with implicit TLS (port 465's
   * "SSL/TLS"), each in the legacy process. */
  g_assert_cmpuint (settings->legacy_endpoints->len, ==, 2);
  for (guint i = 0; i < settings->legacy_endpoints->len; i++)
    {
      const LkBridgeEndpoint *endpoint = g_ptr_array_index (settings->legacy_endpoints, i);
      gboolean implicit = endpoint->security == LK_SECURITY_TLS;

      g_assert_cmpint (endpoint->protocol, ==, LK_PROTOCOL_SMTP);
      g_assert_cmpstr (endpoint->address, ==, "192.168.7.2");
      g_assert_cmpuint (endpoint->port, ==, implicit ? 2465 : 2587);
      g_assert_cmpuint (i, ==, implicit ? 1 : 0);
    }

  lk_test_write_file (path, "{\"legacy_smtps\": [\"192.168.7.2\"]}");
  g_assert_null (lk_bridge_settings_load (path, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "legacy_smtps: "));
  g_clear_error (&error);
  lk_test_write_file (path, "{\"legacy_smtps\": \"192.168.7.2:465\"}");
  g_assert_null (lk_bridge_settings_load (path, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  lk_test_write_file (path, "{\"lan\": [\"office-box\"]}");
  g_assert_null (lk_bridge_settings_load (path, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  lk_test_write_file (path, "{\"allow\": \"10.0.0.0/8\"}");
  g_assert_null (lk_bridge_settings_load (path, &error));
  g_clear_error (&error);
  lk_test_write_file (path, "{\"certificate\": \"/etc/ssl/cert.pem\"}");
  g_assert_null (lk_bridge_settings_load (path, &error));
  g_assert_nonnull (strstr (error->message, "“key”"));
}

static void
test_certificate_names (void)
{
  g_autofree char *scratch = lk_test_make_scratch ();
  const char *lan[] = { "192.168.7.2", "office-box", NULL };
  const char *more[] = { "192.168.7.2", "office-box", "fd00::7", NULL };
  g_autoptr(GTlsCertificate) first = NULL;
  g_autoptr(GTlsCertificate) same = NULL;
  g_autoptr(GTlsCertificate) remade = NULL;
  g_autoptr(GError) error = NULL;

  first = lk_bridge_certificate_ensure (scratch, lan, &error);
  g_assert_no_error (error);
  /* It names them all: loaded again as it is… */
  same = lk_bridge_certificate_ensure (scratch, lan, &error);
  g_assert_no_error (error);
  g_assert_true (g_tls_certificate_is_same (first, same));
  /* …and made again when an address is new. */
  remade = lk_bridge_certificate_ensure (scratch, more, &error);
  g_assert_no_error (error);
  g_assert_false (g_tls_certificate_is_same (first, remade));
  {
    g_autoptr(GSocketConnectable) by_ip = g_network_address_new ("fd00::7", 465);
    g_autoptr(GSocketConnectable) by_name = g_network_address_new ("office-box", 465);
    g_autoptr(GSocketConnectable) other = g_network_address_new ("elsewhere.example", 465);

    g_assert_false (g_tls_certificate_verify (remade, by_ip, remade) & G_TLS_CERTIFICATE_BAD_IDENTITY);
    g_assert_false (g_tls_certificate_verify (remade, by_name, remade) & G_TLS_CERTIFICATE_BAD_IDENTITY);
    g_assert_true (g_tls_certificate_verify (remade, other, remade) & G_TLS_CERTIFICATE_BAD_IDENTITY);
  }
}

static void
test_spool (void)
{
  g_autofree char *scratch = lk_test_make_scratch ();
  g_autofree char *dir = g_build_filename (scratch, "spool", NULL);
  g_autoptr(LkBridgeSpool) spool = lk_bridge_spool_new (dir);
  g_autoptr(LkBridgeSpoolWriter) writer = NULL;
  g_autoptr(LkBridgeSpoolWriter) cut_off = NULL;
  g_autoptr(LkBridgeSpoolEntry) entry = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *orphan = g_build_filename (dir, "20260101T000000-00.eml", NULL);
  char *to[] = { (char *) "office@example.net", (char *) "boss@example.net", NULL };
  LkBridgeSpoolEntry envelope = { 0 };
  GStatBuf st;

  envelope.device = (char *) "mfp";
  envelope.account = (char *) "scans@example.com";
  envelope.sender = (char *) "scans@example.com";
  envelope.recipients = to;
  g_assert_true (lk_bridge_spool_prepare (spool, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  writer = lk_bridge_spool_writer_new (spool, &error);
  g_assert_no_error (error);
  g_assert_true (lk_bridge_spool_writer_write (writer, "Subject: x\r\n\r\n", 14, &error));
  g_assert_true (lk_bridge_spool_writer_write (writer, ".body\r\n", 7, &error));
  /* Not committed yet: nothing in the spool. */
  entries = lk_bridge_spool_list (spool);
  g_assert_cmpuint (entries->len, ==, 0);
  g_clear_pointer (&entries, g_ptr_array_unref);
  entry = lk_bridge_spool_writer_commit (writer, &envelope, &error);
  g_assert_no_error (error);
  g_assert_true (lk_bridge_spool_id_is_valid (entry->id));
  g_assert_cmpint (entry->size, ==, 21);
  message = lk_bridge_spool_message_path (spool, entry->id);
  g_assert_true (g_file_get_contents (message, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "Subject: x\r\n\r\n.body\r\n");
  g_assert_cmpint (g_stat (message, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* Read back as stored; an update (a failed attempt) too. */
  entries = lk_bridge_spool_list (spool);
  g_assert_cmpuint (entries->len, ==, 1);
  {
    LkBridgeSpoolEntry *listed = g_ptr_array_index (entries, 0);

    g_assert_cmpstr (listed->id, ==, entry->id);
    g_assert_cmpstr (listed->device, ==, "mfp");
    g_assert_cmpstr (listed->recipients[1], ==, "boss@example.net");
    listed->attempts = 3;
    listed->last_error = g_strdup ("The mail server answered: 451 later");
    g_assert_true (lk_bridge_spool_update (spool, listed, &error));
  }
  g_clear_pointer (&entries, g_ptr_array_unref);
  entries = lk_bridge_spool_list (spool);
  g_assert_cmpuint (((LkBridgeSpoolEntry *) g_ptr_array_index (entries, 0))->attempts, ==, 3);
  g_clear_pointer (&entries, g_ptr_array_unref);

  /* What a crash leaves of messages never accepted goes at the next start:
   * a message cut off in tmp/, a message whose envelope was not written. */
  cut_off = lk_bridge_spool_writer_new (spool, &error);
  g_assert_true (lk_bridge_spool_writer_write (cut_off, "Subject: half", 13, &error));
  lk_test_write_file (orphan, "Subject: orphan\r\n");
  {
    g_autoptr(LkBridgeSpool) after_crash = lk_bridge_spool_new (dir);
    g_autofree char *tmp = g_build_filename (dir, "tmp", NULL);
    g_autoptr(GDir) listing = NULL;

    g_assert_true (lk_bridge_spool_prepare (after_crash, &error));
    listing = g_dir_open (tmp, 0, NULL);
    g_assert_null (g_dir_read_name (listing));
    g_assert_false (g_file_test (orphan, G_FILE_TEST_EXISTS));
    entries = lk_bridge_spool_list (after_crash);
    g_assert_cmpuint (entries->len, ==, 1);     /* the accepted one stays */
    g_clear_pointer (&entries, g_ptr_array_unref);
  }

  g_assert_true (lk_bridge_spool_remove (spool, entry->id, &error));
  g_assert_false (g_file_test (message, G_FILE_TEST_EXISTS));
  entries = lk_bridge_spool_list (spool);
  g_assert_cmpuint (entries->len, ==, 0);

  g_assert_false (lk_bridge_spool_id_is_valid ("../bridge-users"));
  g_assert_false (lk_bridge_spool_id_is_valid (""));
}

static void
test_mail_header (void)
{
  const char *headers = "Subject: scan\r\nFrom: \"Scanner, Lobby\" (the printer)\r\n"
                        " <Scans@Example.com>\r\nTo: x@example.net\r\n\r\nFrom: body@example.com\r\n";
  g_auto(GStrv) from = lk_mail_header_from_addresses (headers, strlen (headers));
  g_auto(GStrv) two = NULL;
  g_auto(GStrv) none = lk_mail_header_from_addresses ("Subject: x\n\n", 12);
  const char *rest = NULL;
  g_autofree char *path = lk_mail_path_parse ("<Scans@Example.COM> SIZE=10", &rest);
  g_autofree char *empty = lk_mail_path_parse ("<>", &rest);
  const char *bad[] = { "scans@example.com", "<scans>", "<@a,@b:x@y>", "<a b@c>", "<a@b" };

  /* Folded, with a comment and a quoted comma; the body's From: is not a header. */
  g_assert_cmpuint (g_strv_length (from), ==, 1);
  g_assert_cmpstr (from[0], ==, "scans@example.com");
  two = lk_mail_header_from_addresses ("From: a@example.com, B <b@example.com>\n", 40);
  g_assert_cmpuint (g_strv_length (two), ==, 2);
  g_assert_cmpstr (two[1], ==, "b@example.com");
  g_assert_cmpuint (g_strv_length (none), ==, 0);

  g_assert_cmpstr (path, ==, "Scans@example.com");
  g_assert_cmpstr (empty, ==, "");
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *parsed = lk_mail_path_parse (bad[i], &rest);

      g_assert_null (parsed);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bridge-office/device-names", test_device_names);
  g_test_add_func ("/bridge-office/devices", test_devices);
  g_test_add_func ("/bridge-office/lockout", test_lockout);
  g_test_add_func ("/bridge-office/device-state", test_device_state);
  g_test_add_func ("/bridge-office/report", test_report);
  g_test_add_func ("/bridge-office/size-refusal", test_size_refusal);
  g_test_add_func ("/bridge-office/allow", test_allow);
  g_test_add_func ("/bridge-office/settings", test_office_settings);
  g_test_add_func ("/bridge-office/certificate-names", test_certificate_names);
  g_test_add_func ("/bridge-office/spool", test_spool);
  g_test_add_func ("/bridge-office/mail-header", test_mail_header);
  return g_test_run ();
}
