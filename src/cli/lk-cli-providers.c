/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "lk-cli-commands.h"

int
lk_cli_providers (int    argc,
                  char **argv)
{
  static const LkCliCommand command = {
    "providers", NULL, N_("List the provider profiles Latchkey knows"), NULL
  };
  static gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  int status;

  if (!lk_cli_parse (context, &argc, &argv, &status))
    return status;
  /* The providers issue fills this in from the registry. */
  return LK_EXIT_OK;
}
