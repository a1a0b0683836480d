/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include "lk-flatpak.h"

/**
 * lk_flatpak_get_app_id:
 *
 * Whether Latchkey runs inside a Flatpak sandbox, and as which app: Flatpak
 * puts `/.flatpak-info` in every sandbox, its `[Application] name` the app
 * id (flatpak-metadata(5)). The portals decide it the same way, from the
 * caller's `/proc/PID/root/.flatpak-info`.
 *
 * Returns: (nullable): the app id, or %NULL outside a Flatpak
 */
char *
lk_flatpak_get_app_id (void)
{
  g_autoptr(GKeyFile) info = g_key_file_new ();
  g_autofree char *app_id = NULL;

  if (!g_key_file_load_from_file (info, "/.flatpak-info", G_KEY_FILE_NONE, NULL))
    return NULL;
  app_id = g_key_file_get_string (info, "Application", "name", NULL);
  /* A sandbox whose info names no app is still one: its exports and its
   * start at login take the sandbox's ways, with the default id. */
  if (app_id == NULL || *app_id == '\0')
    return g_strdup (APP_ID);
  return g_steal_pointer (&app_id);
}
