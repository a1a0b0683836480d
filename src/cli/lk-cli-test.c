/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "check/lk-account-check.h"
#include "diagnose/lk-diagnose.h"
#include "lk-cli-commands.h"
#include "lk-cli-context.h"
#include "lk-error.h"
#include "lk-json.h"

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

static void
print_human (const LkProbeResult *result,
             LkDiagnosis         *diagnosis,
             gboolean             transcript)
{
  if (result->ok)
    /* Translators: "✓ IMAP outlook.office365.com:993 (tls) signed in with XOAUTH2 in 412 ms";
     * the number is the time taken, in milliseconds */
    g_print (_("✓ %-4s %s:%u (%s) signed in with %s in %u ms\n"),
             lk_protocol_get_name (result->protocol), result->host, result->port,
             lk_security_to_string (result->security), result->mechanism,
             (guint) CLAMP (result->total_ms, 0, G_MAXUINT));
  else
    g_print (_("✗ %-4s %s:%u (%s) failed at %s: %s\n"),
             lk_protocol_get_name (result->protocol), result->host, result->port,
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
status_for (LkAccountCheck *check)
{
  int status = LK_EXIT_OK;

  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    {
      const LkProtocolCheck *result = lk_account_check_get_result (check, p);

      if (result == NULL || result->ok)
        continue;
      if (g_error_matches (result->probe->error, LK_ERROR, LK_ERROR_AUTH_REJECTED))
        return LK_EXIT_AUTH_REJECTED;
      status = MAX (status, lk_cli_exit_status_for_error (result->probe->error));
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
  g_autoptr(LkAccountCheck) check = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const GError *save_error;
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

  /* The check saves the verdict for `list` and the GUI. */
  check = lk_account_check_new (account, cli->tokens, cli->accounts);
  lk_account_check_set_protocols (check, protocols);
  lk_account_check_set_send_test (check, send_test);
  lk_account_check_run_async (check, cli->cancellable, lk_cli_store_result_cb, &result);
  if (!lk_account_check_run_finish (check, lk_cli_wait (&result), &error))
    {
      if (lk_error_is_cancelled (error))
        return lk_cli_fail (error);
      return lk_cli_fail_explained (error, account, LK_DIAGNOSE_PHASE_REFRESH);
    }

  json_builder_begin_array (builder);
  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    {
      const LkProtocolCheck *one = lk_account_check_get_result (check, p);

      if (one == NULL)
        continue;
      if (json)
        {
          JsonNode *node = lk_probe_result_to_json (one->probe, transcript);

          if (one->diagnosis != NULL)
            json_object_set_member (json_node_get_object (node), "diagnosis",
                                    lk_diagnosis_to_json (one->diagnosis));
          else
            json_object_set_null_member (json_node_get_object (node), "diagnosis");
          json_builder_add_value (builder, node);
        }
      else
        print_human (one->probe, one->diagnosis, transcript);
    }
  json_builder_end_array (builder);

  if (json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (builder);
      g_autofree char *text = lk_json_to_data (root, TRUE, NULL);

      g_print ("%s\n", text);
    }

  /* Not saving the verdict is worth a word, not a failure of the test. */
  save_error = lk_account_check_get_save_error (check);
  if (save_error != NULL)
    g_printerr ("%s: %s\n", g_get_prgname (), save_error->message);
  return status_for (check);
}
