/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "bridge/lk-bridge-daemon.h"

/* latchkey-bridge: the bridge daemon (latchkey-bridge(1)). A small program
 * over liblatchkey-core that never links GTK; `latchkey-cli bridge run`
 * runs the same daemon (lk_bridge_daemon_run()). */
int
main (int    argc,
      char **argv)
{
  LkBridgeOptions options = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autofree GOptionEntry *entries = NULL;
  g_autoptr(GError) error = NULL;
  gboolean version = FALSE;
  const GOptionEntry extra[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Show the version"), NULL },
    { NULL }
  };
  const char *localedir;
  int status;

  setlocale (LC_ALL, "");
  localedir = g_getenv ("LATCHKEY_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("latchkey-bridge");
  /* stdout carries the listener lines only; logs go to stderr (or the
   * journal, which GLib's writer finds there). */
  g_log_writer_default_set_use_stderr (TRUE);

  entries = lk_bridge_options_get_entries (&options);
  context = g_option_context_new (NULL);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _("Lets programs that only know passwords use "
                                           "Latchkey’s OAuth2 mail accounts."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, extra, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      lk_bridge_options_clear (&options);
      return 2;
    }
  if (version)
    {
      g_print ("latchkey-bridge %s\n", PACKAGE_VERSION);
      lk_bridge_options_clear (&options);
      return 0;
    }
  if (argc > 1)
    {
      g_printerr (_("%s: unexpected argument “%s”\n"), g_get_prgname (), argv[1]);
      lk_bridge_options_clear (&options);
      return 2;
    }
  status = lk_bridge_daemon_run (&options);
  lk_bridge_options_clear (&options);
  return status;
}
