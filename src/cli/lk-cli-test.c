/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "diagnose/lk-diagnose-probe.h"
#include "diagnose/lk-diagnose.h"
#include "lk-cli-commands.h"
#include "lk-cli-context.h"
#include "lk-error.h"
#include "lk-json.h"
#include "mail/lk-mail-probe.h"

typedef struct
{
  LkMailProbe   *probe;
  GAsyncResult  *result;
} Run;

static gboolean
collect_protocols (char            **names,
                   LkAccount        *account,
                   LkProtocolFlags  *out,
                   GError          **error)
{
  LkProtocolFlags flags = 0;

  if (names == NULL)
    {
      *out = account->protocols;
      return TRUE;
    }
  for (guint i = 0; names[i] != NULL; i++)
    {
      LkProtocolFlags one;

      if (!lk_protocol_flags_parse (names[i], &one, error))
        return FALSE;
      flags |= one;
    }
  *out = flags;
  return TRUE;
}

static const char *
protocol_label (LkProtocol protocol)
{
  switch (protocol)
    {
    case LK_PROTOCOL_IMAP:
      return "IMAP";
    case LK_PROTOCOL_POP:
      return "POP";
    case LK_PROTOCOL_SMTP:
    default:
      return "SMTP";
    }
}

static void
print_human (const LkProbeResult *result,
             LkDiagnosis         *diagnosis,
             gboolean             transcript)
{
  if (result->ok)
    /* Translators: "✓ IMAP outlook.office365.com:993 (tls) signed in with XOAUTH2 in 412 ms";
     * the number is the time taken, in milliseconds */
    g_print (_("✓ %-4s %s:%u (%s) signed in with %s in %u ms\n"),
             protocol_label (result->protocol), result->host, result->port,
             lk_security_to_string (result->security), result->mechanism,
             (guint) CLAMP (result->total_ms, 0, G_MAXUINT));
  else
    g_print (_("✗ %-4s %s:%u (%s) failed at %s: %s\n"),
             protocol_label (result->protocol), result->host, result->port,
             lk_security_to_string (result->security), lk_probe_stage_to_string (result->stage),
             result->error != NULL ? result->error->message : _("unknown error"));
  if (diagnosis != NULL)
    {
      g_autofree char *text = lk_diagnosis_to_text (diagnosis);
      g_print ("%s\n", text);
    }
  if (transcript)
    {
      g_autofree char *lines = lk_probe_result_dup_transcript (result);
      g_print ("%s\n", lines);
    }
}

static int
status_for (GPtrArray *results)
{
  int status = LK_EXIT_OK;

  for (guint i = 0; i < results->len; i++)
    {
      const LkProbeResult *result = g_ptr_array_index (results, i);

      if (result->ok)
        continue;
      if (g_error_matches (result->error, LK_ERROR, LK_ERROR_AUTH_REJECTED))
        return LK_EXIT_AUTH_REJECTED;
      status = MAX (status, lk_cli_exit_status_for_error (result->error));
    }
  return status;
}

int
lk_cli_test (int    argc,
             char **argv)
{
  static const LkCliCommand command = {
    "test", "EMAIL", N_("Test IMAP, POP and SMTP with the account’s token"), NULL
  };
  g_auto(GStrv) protocol_names = NULL;
  gboolean send_test = FALSE;
  gboolean json = FALSE;
  gboolean transcript = FALSE;
  const GOptionEntry entries[] = {
    { "protocol", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &protocol_names,
      N_("Test only this protocol: imap, pop or smtp (repeatable)"), N_("PROTOCOL") },
    { "send-test", 0, 0, G_OPTION_ARG_NONE, &send_test,
      N_("Also send a short test message to the account’s own address"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { "transcript", 0, 0, G_OPTION_ARG_NONE, &transcript,
      N_("Show each conversation, tokens replaced by <redacted>"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  g_autoptr(LkCliContext) cli = NULL;
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(LkTokenSet) tokens = NULL;
  g_autoptr(GAsyncResult) token_result = NULL;
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_probe_result_unref);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  Run runs[LK_N_PROTOCOLS] = { { 0 } };
  LkProtocolFlags protocols;
  int status;

  if (!lk_cli_parse (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return lk_cli_usage_error (context, _("Give exactly one account address"));

  cli = lk_cli_context_new ();
  account = lk_cli_context_load_account (cli, argv[1], &error);
  if (account == NULL)
    return lk_cli_fail (error);
  if (!collect_protocols (protocol_names, account, &protocols, &error))
    return lk_cli_usage_error (context, "%s", error->message);
  protocols &= lk_provider_get_protocols (account->provider);
  if (protocols == 0)
    return lk_cli_usage_error (context, _("%s has no server for that protocol"),
                               account->provider->name);

  lk_token_manager_get_token_async (cli->tokens, account, FALSE, cli->cancellable,
                                    lk_cli_store_result_cb, &token_result);
  tokens = lk_token_manager_get_token_finish (cli->tokens, lk_cli_wait (&token_result), &error);
  if (tokens == NULL)
    return lk_cli_fail_explained (error, account, LK_DIAGNOSE_PHASE_REFRESH);

  /* All protocols at once: a test takes as long as the slowest server. */
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    {
      if (!(protocols & (1 << i)))
        continue;
      runs[i].probe = lk_mail_probe_new (i, lk_provider_get_server (account->provider, i),
                                         lk_account_get_sasl_user (account),
                                         (const char * const *) account->provider->sasl,
                                         account->provider->ca_file);
      if (send_test)
        lk_mail_probe_set_test_address (runs[i].probe, account->email);
      lk_mail_probe_run_async (runs[i].probe, tokens->access_token, send_test && i == LK_PROTOCOL_SMTP,
                               cli->cancellable, lk_cli_store_result_cb, &runs[i].result);
    }

  json_builder_begin_array (builder);
  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    {
      g_autoptr(LkProbeResult) result = NULL;
      g_autoptr(LkDiagnosis) diagnosis = NULL;

      if (runs[i].probe == NULL)
        continue;
      result = lk_mail_probe_run_finish (runs[i].probe, lk_cli_wait (&runs[i].result), &error);
      g_clear_object (&runs[i].probe);
      g_clear_object (&runs[i].result);
      if (result == NULL)
        return lk_cli_fail (error);   /* cancelled */
      diagnosis = lk_diagnose_probe (result, account, tokens->access_token);
      if (json)
        {
          JsonNode *node = lk_probe_result_to_json (result, transcript);

          if (diagnosis != NULL)
            json_object_set_member (json_node_get_object (node), "diagnosis",
                                    lk_diagnosis_to_json (diagnosis));
          else
            json_object_set_null_member (json_node_get_object (node), "diagnosis");
          json_builder_add_value (builder, node);
        }
      else
        print_human (result, diagnosis, transcript);
      g_ptr_array_add (results, g_steal_pointer (&result));
    }
  json_builder_end_array (builder);

  if (json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (builder);
      g_autofree char *text = lk_json_to_data (root, TRUE, NULL);

      g_print ("%s\n", text);
    }

  status = status_for (results);
  /* Remember the verdict for `list` and the GUI; a refusal is not fatal here. */
  account->state = status == LK_EXIT_OK ? LK_ACCOUNT_STATE_WORKING : LK_ACCOUNT_STATE_FAILING;
  account->last_tested = g_get_real_time () / G_USEC_PER_SEC;
  if (!lk_account_store_save (cli->accounts, account, &error))
    g_printerr ("%s: %s\n", g_get_prgname (), error->message);
  return status;
}
