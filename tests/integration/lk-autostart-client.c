/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A stand-in for the account page's "Start at Login" switch in the
 * integration tests: the one core call the page makes, without a display.
 *   lk-autostart-client on|off
 * calls lk_bridge_autostart_set_async() and prints what the page would then
 * show: "enabled" or "disabled" (lk_bridge_autostart_get_enabled()) on
 * stdout, or the error message the page would show on stderr (exit 1). */
#define G_LOG_DOMAIN "latchkey-test"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "bridge/lk-bridge-autostart.h"
#include "lk-core.h"

static void
set_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean on;

  g_log_writer_default_set_use_stderr (TRUE);
  if (argc != 2 || (strcmp (argv[1], "on") != 0 && strcmp (argv[1], "off") != 0))
    {
      g_printerr ("usage: lk-autostart-client on|off\n");
      return 2;
    }
  on = strcmp (argv[1], "on") == 0;
  lk_core_init ();
  lk_bridge_autostart_set_async (on, NULL, set_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (!lk_bridge_autostart_set_finish (result, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  printf ("%s\n", lk_bridge_autostart_get_enabled () ? "enabled" : "disabled");
  return 0;
}
