/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "export/lk-exporter.h"
#include "lk-cli-commands.h"
#include "lk-cli-context.h"
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

static int
list_clients (void)
{
  const LkExporter * const *all = lk_exporter_get_all ();

  for (guint i = 0; all[i] != NULL; i++)
    g_print ("%-12s %s\n", all[i]->id, _(all[i]->name));
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
  gboolean force = FALSE;
  gboolean list = FALSE;
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

      if (!lk_export_write (path, file->contents, force, &backup, &error))
        return lk_cli_fail (error);
      g_printerr (_("Wrote %s\n"), path);
      if (backup != NULL)
        g_printerr (_("The file it replaced is kept as %s\n"), backup);
    }
  g_printerr ("%s\n", _(exporter->next_step));
  return LK_EXIT_OK;
}
