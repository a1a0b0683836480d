/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "export/lk-export-apply.h"
#include "export/lk-exporter.h"
#include "lk-cli-commands.h"
#include "lk-cli-context.h"
#include "lk-json.h"
#include "lk-places.h"

/* The command mail clients will run: the launcher next to us in the build
 * tree, the installed one otherwise. */
static char *
dup_cli_path (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);

  if (self != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self);
      g_autofree char *sibling = g_build_filename (dir, "latchkey-cli", NULL);

      if (g_file_test (sibling, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer (&sibling);
    }
  return g_build_filename (BINDIR, "latchkey-cli", NULL);
}

/* The id comes first and alone in its column: shell completion reads it.
 * The last column says which clients --apply can set up here. */
static int
list_clients (void)
{
  const LkExporter * const *all = lk_exporter_get_all ();

  for (guint i = 0; all[i] != NULL; i++)
    {
      LkExportFound found = lk_exporter_detect (all[i]);
      const char *state = !lk_exporter_can_apply (all[i]) ? ""
                        : found != LK_EXPORT_FOUND_NOTHING ? _("installed; --apply sets it up")
                        : _("not found here; --apply sets it up");

      g_print ("%-12s %-16s %s\n", all[i]->id, _(all[i]->name), state);
    }
  return LK_EXIT_OK;
}

static void
print_json (const LkExportApplyResult *result,
            const char                *target)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  lk_json_add_string (builder, "client", result->client);
  lk_json_add_string (builder, "email", result->email);
  lk_json_add_string (builder, "name", result->name);
  lk_json_add_string (builder, "target", target);
  json_builder_set_member_name (builder, "changes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < result->changes->len; i++)
    {
      const LkExportChange *change = result->changes->pdata[i];

      json_builder_begin_object (builder);
      lk_json_add_string (builder, "path", change->path);
      lk_json_add_string (builder, "change", lk_export_change_kind_to_string (change->kind));
      lk_json_add_string (builder, "kind", change->is_folder ? "folder" : "file");
      lk_json_add_string (builder, "backup", change->backup);
      lk_json_add_string (builder, "link", change->link);
      json_builder_set_member_name (builder, "edited_by_hand");
      json_builder_add_boolean_value (builder, change->edited);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  lk_json_add_string (builder, "evolution_reload", result->reload != LK_EXPORT_RELOAD_NONE
                      ? lk_export_reload_to_string (result->reload) : NULL);
  lk_json_add_string (builder, "next_step", result->next_step);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = lk_json_to_data (root, TRUE, NULL);
  g_print ("%s\n", text);
}

/* --apply: the same files, merged into the client's own. */
static int
apply (LkCliContext          *cli,
       const LkExporter      *exporter,
       LkAccount             *account,
       const LkExportContext *export_context,
       const char            *file,
       const char            *profile,
       gboolean               json)
{
  LkExportApplyOptions options = { file, profile, FALSE };
  g_autoptr(LkExportApplyResult) result = NULL;
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *target = NULL;
  g_autofree char *text = NULL;

  target = lk_exporter_dup_apply_target (exporter, &options, &error);
  if (target == NULL)
    return lk_cli_fail (error);
  lk_exporter_apply_async (exporter, account, export_context, &options, cli->cancellable,
                           lk_cli_store_result_cb, &async);
  result = lk_exporter_apply_finish (exporter, lk_cli_wait (&async), &error);
  if (result == NULL)
    return lk_cli_fail (error);

  if (json)
    {
      print_json (result, target);
      return LK_EXIT_OK;
    }
  /* Translators: "Set up msmtp for alice@example.com:" */
  g_print (_("Set up %s for %s:\n"), _(exporter->name), account->email);
  text = lk_export_apply_result_to_text (result);
  g_print ("%s", text);
  return LK_EXIT_OK;
}

int
lk_cli_export (int    argc,
               char **argv)
{
  static const LkCliCommand command = {
    "export", "EMAIL", N_("Write configuration for a mail client"), NULL
  };
  g_autofree char *client = NULL;
  g_autofree char *output = NULL;
  g_autofree char *format = NULL;
  g_autofree char *profile = NULL;
  gboolean force = FALSE;
  gboolean list = FALSE;
  gboolean do_apply = FALSE;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "client", 'c', 0, G_OPTION_ARG_STRING, &client,
      N_("The mail client (see --list-clients)"), N_("NAME") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_("Where to write; - for standard output (default: the client’s usual file, or "
         "standard output for a block to add to a bigger file)"), N_("FILE") },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format,
      N_("A variant the client offers, e.g. xoauth2 or oauthbearer for msmtp"), N_("FORMAT") },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force, N_("Replace an existing file (a copy of it is kept)"), NULL },
    { "list-clients", 0, 0, G_OPTION_ARG_NONE, &list, N_("List the mail clients"), NULL },
    { "apply", 0, 0, G_OPTION_ARG_NONE, &do_apply,
      N_("Set the client up: merge the account into its own configuration (other accounts "
         "are kept; a copy of each changed file is kept)"), NULL },
    { "profile", 0, 0, G_OPTION_ARG_STRING, &profile,
      N_("With --apply, the Thunderbird profile (its name or folder; default: Thunderbird’s)"),
      N_("PROFILE") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("With --apply, print what changed as JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  g_autoptr(LkCliContext) cli = NULL;
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GError) error = NULL;
  g_autofree char *cli_path = NULL;
  g_auto(GStrv) token_argv = NULL;
  const LkExporter *exporter;
  LkExportContext export_context = { 0 };
  int status;

  if (!lk_cli_parse (context, &argc, &argv, &status))
    return status;
  if (list)
    return list_clients ();
  if (argc != 2)
    return lk_cli_usage_error (context, _("Give exactly one account address"));
  /* The configuration would run `latchkey-cli token`, which reads a
   * person's keyring, not the system bridge's sealed store. */
  if (lk_places_is_system_mode ())
    return lk_cli_usage_error (NULL, _("The system bridge’s accounts serve mail programs "
                                       "through the bridge (“latchkey-cli --system bridge”), "
                                       "not through exported settings; leave out --system to "
                                       "export one of your own accounts"));
  if (client == NULL)
    return lk_cli_usage_error (context, _("Name the mail client with --client "
                                          "(“latchkey-cli export --list-clients” lists them)"));
  exporter = lk_exporter_lookup (client);
  if (exporter == NULL)
    return lk_cli_usage_error (context, _("Unknown mail client “%s” "
                                          "(“latchkey-cli export --list-clients” lists them)"),
                               client);
  if (!do_apply && (profile != NULL || json))
    return lk_cli_usage_error (context, _("--profile and --json go with --apply"));
  if (do_apply && (force || g_strcmp0 (output, "-") == 0))
    return lk_cli_usage_error (context, _("--apply merges into the client’s file and always "
                                          "keeps a copy; leave out --force and --output -"));
  if (do_apply && !lk_exporter_can_apply (exporter))
    return lk_cli_usage_error (context, _("Latchkey cannot set %s up by itself; leave out "
                                          "--apply and follow the steps the export prints"),
                               _(exporter->name));

  cli = lk_cli_context_new ();
  account = lk_cli_context_load_account (cli, argv[1], &error);
  if (account == NULL)
    return lk_cli_fail (error);

  cli_path = dup_cli_path ();
  token_argv = lk_export_detect_token_command (cli_path, account->email);
  export_context.token_argv = (const char * const *) token_argv;
  export_context.now = now;
  export_context.version = PACKAGE_VERSION;
  export_context.format = format;
  if (do_apply)
    return apply (cli, exporter, account, &export_context, output, profile, json);
  files = lk_exporter_generate (exporter, account, &export_context, &error);
  if (files == NULL)
    return lk_cli_fail (error);

  if (g_strcmp0 (output, "-") == 0 || (output == NULL && exporter->is_block))
    {
      for (guint i = 0; i < files->len; i++)
        fputs (((LkExportFile *) g_ptr_array_index (files, i))->contents, stdout);
      if (output == NULL && exporter->include_hint != NULL)
        g_printerr ("%s\n", _(exporter->include_hint));
      return fflush (stdout) == 0 ? LK_EXIT_OK : LK_EXIT_FAILURE;
    }
  if (output != NULL && files->len > 1)
    /* Translators: %s is a mail client, %u a number of files (always 2 or more) */
    return lk_cli_usage_error (context, ngettext ("%s needs %u file; leave out --output to write it "
                                                  "where the client reads it, or use --output -",
                                                  "%s needs %u files; leave out --output to write them "
                                                  "where the client reads them, or use --output -",
                                                  files->len),
                               _(exporter->name), files->len);

  for (guint i = 0; i < files->len; i++)
    {
      LkExportFile *file = g_ptr_array_index (files, i);
      g_autofree char *path = output != NULL ? g_strdup (output)
                                             : lk_export_expand_path (file->path);
      g_autofree char *backup = NULL;

      g_autofree char *absolute = NULL;
      g_autoptr(GError) record_error = NULL;

      if (!lk_export_write (path, file->contents, force, &backup, &error))
        return lk_cli_fail (error);
      g_printerr (_("Wrote %s\n"), path);
      if (backup != NULL)
        g_printerr (_("The file it replaced is kept as %s\n"), backup);
      /* The account page lists where the account is set up. */
      absolute = g_canonicalize_filename (path, NULL);
      if (!lk_account_store_record_export (cli->accounts, account, exporter->id, absolute,
                                           &record_error))
        g_printerr (_("The file is written, but the account does not list it: %s\n"),
                    record_error->message);
    }
  g_printerr ("%s\n", _(exporter->next_step));
  return LK_EXIT_OK;
}
