/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include <string.h>

#include "lk-places.h"

/**
 * SECTION:lk-places
 *
 * The one answer to "where does this file live". A person's Latchkey
 * follows the XDG base directories; the system bridge (`--system`) uses
 * the folders systemd makes for its unit — `StateDirectory=latchkey`,
 * `RuntimeDirectory=latchkey`, `ConfigurationDirectory=latchkey` — and
 * finds them the way the unit does: from `$STATE_DIRECTORY`,
 * `$RUNTIME_DIRECTORY` and `$CONFIGURATION_DIRECTORY` when systemd set them
 * (systemd.exec(5), "Environment variables in spawned processes"), else at
 * the paths systemd would pick, so that `latchkey-cli --system` run from a
 * root shell reaches the same files as the daemon. Everything Latchkey
 * writes in system mode lives in the state folder: the unit's
 * `ProtectSystem=strict` leaves nothing else writable, and `/etc` is for
 * what IT puts there.
 */

static gboolean system_mode = FALSE;

/**
 * lk_places_set_system_mode:
 *
 * Switches the process to the machine's folders. Called once, at start,
 * before anything reads a path (lk_system_mode_enter()).
 */
void
lk_places_set_system_mode (gboolean value)
{
  system_mode = value;
}

gboolean
lk_places_is_system_mode (void)
{
  return system_mode;
}

/* The first folder of a systemd variable ("a:b" when a unit names several),
 * when it is an absolute path; else @fallback. */
static char *
systemd_dir (const char *variable,
             const char *fallback)
{
  const char *value = g_getenv (variable);
  g_autofree char *first = NULL;

  if (value == NULL || *value == '\0')
    return g_strdup (fallback);
  first = g_strndup (value, strcspn (value, ":"));
  if (!g_path_is_absolute (first))
    return g_strdup (fallback);
  return g_steal_pointer (&first);
}

/**
 * lk_places_get_dir:
 *
 * Returns: (transfer full): the folder of @place (which may not exist yet)
 */
char *
lk_places_get_dir (LkPlace place)
{
  if (place == LK_PLACE_SPOOL)
    {
      g_autofree char *state = lk_places_get_dir (LK_PLACE_STATE);

      return g_build_filename (state, "spool", NULL);
    }
  if (system_mode)
    switch (place)
      {
      case LK_PLACE_CONFIG:
      case LK_PLACE_DATA:
      case LK_PLACE_STATE:
        return systemd_dir ("STATE_DIRECTORY", "/var/lib/latchkey");
      case LK_PLACE_RUNTIME:
        return systemd_dir ("RUNTIME_DIRECTORY", "/run/latchkey");
      case LK_PLACE_PROFILES:
        {
          g_autofree char *config = systemd_dir ("CONFIGURATION_DIRECTORY", "/etc/latchkey");

          return g_build_filename (config, "providers", NULL);
        }
      default:
        g_assert_not_reached ();
      }

  switch (place)
    {
    case LK_PLACE_CONFIG:
      return g_build_filename (g_get_user_config_dir (), "latchkey", NULL);
    case LK_PLACE_DATA:
      return g_build_filename (g_get_user_data_dir (), "latchkey", NULL);
    case LK_PLACE_STATE:
      return g_build_filename (g_get_user_state_dir (), "latchkey", NULL);
    case LK_PLACE_RUNTIME:
      /* Falls back to the cache folder when XDG_RUNTIME_DIR is unset. */
      return g_build_filename (g_get_user_runtime_dir (), "latchkey", NULL);
    case LK_PLACE_PROFILES:
      return g_build_filename (g_get_user_config_dir (), "latchkey", "providers", NULL);
    default:
      g_assert_not_reached ();
    }
}

/**
 * lk_places_build_path:
 * @first_element: (nullable): the first name below the folder of @place
 *
 * Returns: (transfer full): the folder of @place joined with the names given
 */
char *
lk_places_build_path (LkPlace     place,
                      const char *first_element,
                      ...)
{
  g_autofree char *dir = lk_places_get_dir (place);
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  va_list args;

  g_ptr_array_add (parts, dir);
  va_start (args, first_element);
  for (const char *element = first_element; element != NULL; element = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) element);
  va_end (args);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}
