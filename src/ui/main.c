/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "lk-application.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(LkApplication) app = NULL;
  const char *localedir;

  setlocale (LC_ALL, "");
  /* LATCHKEY_LOCALEDIR names the build tree's po/ directory, so that the
   * tests (and a developer running uninstalled) see the translations. */
  localedir = g_getenv ("LATCHKEY_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = lk_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
