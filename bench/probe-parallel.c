/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/probe-parallel: IMAP, POP and SMTP probes run together against a
 * private Dovecot, against the slowest of the three run alone. The issue's
 * target: together ≤ 1.2 × the slowest single probe.
 *   LK_SOURCE_ROOT=$PWD _build/bench/probe-parallel [ROUNDS] [--transcript] */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lk-test-dovecot.h"
#include "lk-test-mail.h"

#define USER "alice@example.com"

static LkTestDovecot *dovecot;

static LkMailProbe *
make_probe (LkProtocol protocol)
{
  LkServer servers[] = {
    { (char *) "127.0.0.1", dovecot->imaps, LK_SECURITY_TLS },
    { (char *) "127.0.0.1", dovecot->pop3s, LK_SECURITY_TLS },
    { (char *) "127.0.0.2", dovecot->submission, LK_SECURITY_STARTTLS },
  };

  return lk_mail_probe_new (protocol, &servers[protocol], USER, NULL, dovecot->ca_file);
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

int
main (int    argc,
      char **argv)
{
  guint rounds = argc > 1 && g_ascii_isdigit (argv[1][0]) ? atoi (argv[1]) : 9;
  gboolean transcript = argc > 1 && strcmp (argv[argc - 1], "--transcript") == 0;
  g_autofree char *token = NULL;
  double single[LK_N_PROTOCOLS][64], together[64], slowest = 0;

  rounds = CLAMP (rounds, 1, 64);
  dovecot = lk_test_dovecot_start ();
  token = lk_test_dovecot_mint (dovecot, USER, NULL, 3600);

  if (transcript)
    for (guint i = 0; i < LK_N_PROTOCOLS; i++)
      {
        g_autoptr(LkMailProbe) probe = make_probe (i);
        g_autoptr(LkProbeResult) result = lk_test_run_probe (probe, token, FALSE, NULL, NULL);
        g_autoptr(JsonNode) json = lk_probe_result_to_json (result, TRUE);
        g_autofree char *text = json_to_string (json, TRUE);

        printf ("%s\n", text);
      }

  run (7, token);  /* warm-up: TLS backend, Dovecot's login processes */
  for (guint r = 0; r < rounds; r++)
    {
      for (guint i = 0; i < LK_N_PROTOCOLS; i++)
        single[i][r] = run (1u << i, token);
      together[r] = run (7, token);
    }
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    {
      double m = median (single[i], rounds);

      printf ("%-5s alone      %7.1f ms (median of %u)\n", lk_protocol_to_string (i), m, rounds);
      slowest = MAX (slowest, m);
    }
  printf ("all three together %7.1f ms (median of %u)\n", median (together, rounds), rounds);
  printf ("ratio together / slowest single: %.2f (target ≤ 1.20)\n",
          median (together, rounds) / slowest);

  lk_test_dovecot_stop (dovecot);
  return 0;
}
