/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/probe-parallel: IMAP, POP and SMTP probes run together against a
 * private Dovecot, against the slowest of the three run alone. The issue's
 * target: together ≤ 1.2 × the slowest single probe.
 *
 * Two settings, each its own baseline:
 *  - "network": through lk-bench-relay, which adds a round-trip time
 *    (default 40 ms, a European line to Exchange Online) as every real
 *    mail server has; this is what a person waits for, and the target.
 *  - "loopback": straight to Dovecot. Here the probes and Dovecot share
 *    this machine's cores, so the figure says how much CPU the three
 *    handshakes need at once; the CPU columns show it.
 *
 *   LK_SOURCE_ROOT=$PWD _build/bench/probe-parallel [ROUNDS] [--rtt MS] [--transcript] */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "lk-bench-relay.h"
#include "lk-test-dovecot.h"
#include "lk-test-mail.h"

#define USER "alice@example.com"

static LkTestDovecot *dovecot;
static const char *hosts[LK_N_PROTOCOLS] = { "127.0.0.1", "127.0.0.1", "127.0.0.2" };
static guint16 ports[LK_N_PROTOCOLS];

static LkMailProbe *
make_probe (LkProtocol protocol)
{
  static const LkSecurity security[] = { LK_SECURITY_TLS, LK_SECURITY_TLS,
                                         LK_SECURITY_STARTTLS };
  LkServer server = { (char *) hosts[protocol], ports[protocol], security[protocol] };

  return lk_mail_probe_new (protocol, &server, USER, NULL, dovecot->ca_file);
}
typedef struct
{
  guint n_done;
} Count;

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Count *count = user_data;
  g_autoptr(LkProbeResult) r = lk_mail_probe_run_finish (LK_MAIL_PROBE (source), result, NULL);

  if (r == NULL || !r->ok)
    g_error ("probe failed: %s", r != NULL && r->error != NULL ? r->error->message : "cancelled");
  count->n_done++;
}

/* Milliseconds for the probes in @protocols (bit set) run together. */
static double
run (guint        protocols,
     const char  *token)
{
  LkMailProbe *probes[LK_N_PROTOCOLS] = { NULL, };
  Count count = { 0 };
  guint n = 0;
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    if (protocols & (1u << i))
      {
        probes[i] = make_probe (i);
        lk_mail_probe_run_async (probes[i], token, FALSE, NULL, done_cb, &count);
        n++;
      }
  while (count.n_done < n)
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    g_clear_object (&probes[i]);
  return (g_get_monotonic_time () - start) / 1000.0;
}

static int
compare (const void *a,
         const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof *values, compare);
  return values[n / 2];
}

/* CPU seconds of this process, and of the whole machine (every core, every
 * process: Dovecot's login and mail processes come and go too fast to
 * follow one by one). */
static void
cpu_now (double *self_s,
         double *machine_s)
{
  struct rusage usage;
  g_autofree char *stat = NULL;
  guint64 user = 0, nice = 0, system = 0, irq = 0, softirq = 0;

  getrusage (RUSAGE_SELF, &usage);
  *self_s = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
            (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  if (g_file_get_contents ("/proc/stat", &stat, NULL, NULL))
    sscanf (stat, "cpu %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
            " %*u %*u %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
            &user, &nice, &system, &irq, &softirq);
  *machine_s = (user + nice + system + irq + softirq) / (double) sysconf (_SC_CLK_TCK);
}

/* Medians over @rounds of each probe alone and of the three together;
 * prints them with the CPU they took, returns together / slowest single. */
static double
measure (const char  *setting,
         guint        rounds,
         const char  *token)
{
  double single[LK_N_PROTOCOLS][64], together[64], slowest = 0, ratio;
  double self_before, machine_before, self_after, machine_after;
  double cpu_single[2] = { 0, 0 }, cpu_together[2] = { 0, 0 };

  run (7, token);  /* warm-up: TLS backend, Dovecot's login processes */
  for (guint r = 0; r < rounds; r++)
    {
      cpu_now (&self_before, &machine_before);
      for (guint i = 0; i < LK_N_PROTOCOLS; i++)
        single[i][r] = run (1u << i, token);
      cpu_now (&self_after, &machine_after);
      cpu_single[0] += self_after - self_before;
      cpu_single[1] += machine_after - machine_before;
      together[r] = run (7, token);
      cpu_now (&self_before, &machine_before);
      cpu_together[0] += self_before - self_after;
      cpu_together[1] += machine_before - machine_after;
    }
  printf ("%s:\n", setting);
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    {
      double m = median (single[i], rounds);

      printf ("  %-5s alone         %7.1f ms\n", lk_protocol_to_string (i), m);
      slowest = MAX (slowest, m);
    }
  ratio = median (together, rounds) / slowest;
  printf ("  all three together %7.1f ms   (medians of %u rounds)\n",
          median (together, rounds), rounds);
  printf ("  CPU per round, three alone one after another: %.0f ms here, %.0f ms machine-wide\n",
          cpu_single[0] * 1000 / rounds, cpu_single[1] * 1000 / rounds);
  printf ("  CPU per round, three together:                %.0f ms here, %.0f ms machine-wide "
          "(%ld cores)\n", cpu_together[0] * 1000 / rounds, cpu_together[1] * 1000 / rounds,
          sysconf (_SC_NPROCESSORS_ONLN));
  printf ("  ratio together / slowest single: %.2f\n", ratio);
  return ratio;
}

int
main (int    argc,
      char **argv)
{
  guint rounds = 9, rtt_ms = 40;
  gboolean transcript = FALSE;
  g_autofree char *token = NULL;
  LkBenchRelay *relays[LK_N_PROTOCOLS];
  double network;

  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--transcript") == 0)
      transcript = TRUE;
    else if (strcmp (argv[i], "--rtt") == 0 && i + 1 < argc)
      rtt_ms = CLAMP (atoi (argv[++i]), 1, 1000);
    else if (g_ascii_isdigit (argv[i][0]))
      rounds = CLAMP (atoi (argv[i]), 1, 64);
    else
      {
        fprintf (stderr, "usage: probe-parallel [ROUNDS] [--rtt MS] [--transcript]\n");
        return 2;
      }

  dovecot = lk_test_dovecot_start ();
  token = lk_test_dovecot_mint (dovecot, USER, NULL, 3600);
  ports[LK_PROTOCOL_IMAP] = dovecot->imaps;
  ports[LK_PROTOCOL_POP] = dovecot->pop3s;
  ports[LK_PROTOCOL_SMTP] = dovecot->submission;

  if (transcript)
    for (guint i = 0; i < LK_N_PROTOCOLS; i++)
      {
        g_autoptr(LkMailProbe) probe = make_probe (i);
        g_autoptr(LkProbeResult) result = lk_test_run_probe (probe, token, FALSE, NULL, NULL);
        g_autoptr(JsonNode) json = lk_probe_result_to_json (result, TRUE);
        g_autofree char *text = json_to_string (json, TRUE);

        printf ("%s\n", text);
      }

  measure ("loopback, straight to Dovecot (CPU-bound: Dovecot runs on these cores too)",
           rounds, token);

  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    {
      relays[i] = lk_bench_relay_new (hosts[i], ports[i], rtt_ms);
      ports[i] = lk_bench_relay_get_port (relays[i]);
    }
  {
    g_autofree char *setting = g_strdup_printf ("network, %u ms round trip added by a relay",
                                                rtt_ms);

    network = measure (setting, rounds, token);
  }
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    lk_bench_relay_free (relays[i]);

  printf ("target: network ratio ≤ 1.20: %s\n", network <= 1.2 ? "met" : "NOT met");
  lk_test_dovecot_stop (dovecot);
  return 0;
}
