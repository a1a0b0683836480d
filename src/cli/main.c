/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "lk-cli.h"
#include "lk-cli-commands.h"
#include "lk-system-mode.h"

static const LkCliCommand commands[] = {
  LK_CLI_COMMANDS
};

static void
print_usage (FILE *stream)
{
  g_autoptr(GString) s = g_string_new (NULL);

  g_string_append_printf (s, _("Usage:\n  %s COMMAND [OPTION…]\n\n"), "latchkey-cli");
  g_string_append (s, _("Signs mail accounts in with OAuth2 and hands fresh access tokens to "
                        "mail clients.\n\n"));
  g_string_append (s, _("Commands:\n"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *left = g_strdup_printf ("%s %s", commands[i].name,
                                               commands[i].parameters ? commands[i].parameters : "");
      g_string_append_printf (s, "  %-22s %s\n", left, _(commands[i].summary));
    }
  g_string_append (s, _("\nOptions:\n"
                        "  -h, --help             Show this help\n"
                        "  --version              Show the version\n"
                        "  --system               Administer the system bridge’s accounts (as "
                        "root; before the command)\n\n"));
  g_string_append_printf (s, _("Run “%s COMMAND --help” for a command’s options. "
                               "See latchkey-cli(1) for exit statuses and examples.\n"),
                          "latchkey-cli");
  fputs (s->str, stream);
}

/* `latchkey-cli --system COMMAND …`: the commands act on the system
 * bridge's accounts, tokens and settings (doc/system-mode.md), with root
 * becoming the bridge's own user once the key is read. */
static int
enter_system_mode (void)
{
  g_autoptr(GError) error = NULL;

  if (!lk_system_mode_enter (&error))
    return lk_cli_fail (error);
  return LK_EXIT_OK;
}

int
main (int    argc,
      char **argv)
{
  const char *localedir;

  setlocale (LC_ALL, "");
  /* LATCHKEY_LOCALEDIR names the build tree's po/ directory, so that the
   * tests (and a developer running uninstalled) see the translations. */
  localedir = g_getenv ("LATCHKEY_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("latchkey-cli");
  /* stdout is for tokens, JSON and config files only; see the launcher. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (argc >= 2 && strcmp (argv[1], "--system") == 0)
    {
      int status;

      argc--;
      argv++;
      if (argc >= 2 && argv[1][0] != '-' && (status = enter_system_mode ()) != LK_EXIT_OK)
        return status;
    }
  if (argc < 2)
    {
      print_usage (stderr);
      return LK_EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return LK_EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      g_print ("latchkey-cli %s\n", PACKAGE_VERSION);
      return LK_EXIT_OK;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);

  g_printerr (_("%s: unknown command “%s”\n\n"), "latchkey-cli", argv[1]);
  print_usage (stderr);
  return LK_EXIT_USAGE;
}
