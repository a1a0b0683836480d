/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <errno.h>
#include <gio/gdesktopappinfo.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "bridge/lk-bridge-autostart.h"
#include "bridge/lk-bridge-client.h"
#include "lk-background-portal.h"
#include "lk-error.h"
#include "lk-file.h"
#include "lk-flatpak.h"
#include "lk-places.h"

/* Starting the bridge at login (issue #15's "Start at login"; doc/bridge.md
 * "Starting it at login"). Where a systemd user manager runs, the user unit
 * is enabled and started (`systemctl --user enable --now`), as the man page
 * tells people to do by hand; the installed autostart entry says
 * X-systemd-skip=true there so that the bridge never starts twice. Without
 * one, the installed entry is copied to $XDG_CONFIG_HOME/autostart and
 * launched once now. Inside the Flatpak neither reaches the host (nor works
 * in the sandbox): the Background portal is asked instead, and writes the
 * entry on the host itself (doc/bridge.md "In the Flatpak"). */

#define UNIT        "latchkey-bridge.service"
#define ENTRY       APP_ID ".Bridge.desktop"

static gboolean
has_systemd_user_manager (void)
{
  g_autofree char *socket = g_build_filename (g_get_user_runtime_dir (), "systemd", "private",
                                              NULL);

  return g_file_test (socket, G_FILE_TEST_EXISTS);
}

static char *
entry_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart", ENTRY, NULL);
}

/* `enable` links the unit into default.target.wants (its [Install]). */
static char *
unit_link_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "systemd", "user", "default.target.wants",
                           UNIT, NULL);
}

/* The sandbox cannot see the entry the portal wrote on the host, and the
 * portal cannot be asked whether there is one: what the person last chose,
 * and the portal granted, is kept here. */
static char *
portal_choice_path (void)
{
  return lk_places_build_path (LK_PLACE_CONFIG, "bridge-autostart", NULL);
}

/**
 * lk_bridge_autostart_get_enabled:
 *
 * Returns: whether the bridge starts at login: the user unit is enabled,
 *   or, without a systemd user manager, the autostart entry is in place; in
 *   a Flatpak, the Background portal agreed to start it
 */
gboolean
lk_bridge_autostart_get_enabled (void)
{
  g_autofree char *app_id = lk_flatpak_get_app_id ();
  g_autofree char *path = app_id != NULL ? portal_choice_path ()
                          : has_systemd_user_manager () ? unit_link_path () : entry_path ();

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* The installed entry: in the first data folder that has it. */
static char *
find_installed_entry (GError **error)
{
  const char * const *dirs = g_get_system_data_dirs ();

  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (dirs[i], "latchkey", "autostart", ENTRY, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
               _("The bridge’s autostart entry (%s) is not installed; start the bridge with "
                 "“latchkey-bridge” instead"), ENTRY);
  return NULL;
}

/* Writes @path (atomically, its folder made if missing), or with @contents
 * %NULL removes it; one that is not there is removed already. */
static gboolean
write_or_remove (const char  *path,
                 const char  *contents,
                 gsize        length,
                 int          mode,
                 GError     **error)
{
  g_autofree char *folder = NULL;

  if (contents == NULL)
    {
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Could not remove %s: %s"), path, g_strerror (saved));
          return FALSE;
        }
      return TRUE;
    }
  folder = g_path_get_dirname (path);
  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create %s: %s"), folder, g_strerror (saved));
      return FALSE;
    }
  return g_file_set_contents_full (path, contents, (gssize) length,
                                   G_FILE_SET_CONTENTS_CONSISTENT, mode, error);
}

static gboolean
set_entry (gboolean   enabled,
           GError   **error)
{
  g_autofree char *target = entry_path ();
  g_autofree char *source = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GDesktopAppInfo) app = NULL;
  gsize length;

  if (!enabled)
    return write_or_remove (target, NULL, 0, 0, error);
  source = find_installed_entry (error);
  if (source == NULL || !lk_file_read_regular (source, LK_FILE_MAX_SMALL, &contents, &length, error))
    return FALSE;
  if (!write_or_remove (target, contents, length, 0644, error))
    return FALSE;
  /* Started now too, as `enable --now` does: nobody wants to log out for it. */
  app = g_desktop_app_info_new_from_filename (target);
  if (app == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                   _("The autostart entry %s cannot be read"), target);
      return FALSE;
    }
  return g_app_info_launch (G_APP_INFO (app), NULL, NULL, error);
}

static gboolean
remember_portal_choice (gboolean   enabled,
                        GError   **error)
{
  g_autofree char *path = portal_choice_path ();

  return write_or_remove (path, enabled ? "" : NULL, 0, 0600, error);
}

static void
bridge_status_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) status = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) bridge = NULL;

  status = lk_bridge_client_request_finish (result, &error);
  if (status != NULL || !lk_bridge_client_is_not_running (error))
    {
      /* Running already (or its socket says something odd: a second one
       * would find it there and stop). */
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_clear_error (&error);
  /* Started now, as `enable --now` does. In the sandbox, so it ends with
   * the sandbox, when Latchkey is closed; from the next login on the
   * desktop starts it in a sandbox of its own. */
  bridge = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, "latchkey-bridge", NULL);
  if (bridge == NULL)
    {
      g_prefix_error (&error, _("Could not start the bridge: "));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
portal_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  gboolean enabled = GPOINTER_TO_INT (g_task_get_task_data (task));
  gboolean autostart = FALSE;
  g_autoptr(GError) error = NULL;

  if (!lk_background_portal_request_finish (result, &autostart, &error)
      /* Refused: the portal has removed the entry all the same, which is
       * what turning it off asks for. */
      && !(!enabled && g_error_matches (error, LK_ERROR, LK_ERROR_AUTHORIZATION_DENIED)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_clear_error (&error);
  if (enabled && !autostart)
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_FAILED,
                               _("The desktop lets the bridge run in the background but could "
                                 "not set it to start at login. Open Latchkey after logging in "
                                 "to start it."));
      return;
    }
  if (!remember_portal_choice (enabled, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!enabled)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  lk_bridge_client_request_async ("status", NULL, g_task_get_cancellable (task), bridge_status_cb,
                                  g_steal_pointer (&task));
}

static void
set_by_portal (GTask    *task,
               gboolean  enabled)
{
  static const char * const commandline[] = { "latchkey-bridge", NULL };

  g_task_set_task_data (task, GINT_TO_POINTER (enabled), NULL);
  lk_background_portal_request_async (_("Latchkey’s bridge lets programs that only know a "
                                        "password use your mail accounts. It runs in the "
                                        "background and starts when you log in."),
                                      enabled, commandline, g_task_get_cancellable (task),
                                      portal_cb, g_object_ref (task));
}

static void
systemctl_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GSubprocess *process = G_SUBPROCESS (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;

  if (!g_subprocess_communicate_utf8_finish (process, result, NULL, &err, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!g_subprocess_get_successful (process))
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_FAILED,
                               /* Translators: %s is systemctl's own message */
                               _("systemd could not change the bridge’s service: %s"),
                               err != NULL && *g_strstrip (err) != '\0' ? err
                                                                       : _("no details given"));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/**
 * lk_bridge_autostart_set_async:
 * @enabled: start the bridge at login (and now), or no longer
 *
 * Turns the bridge's start at login on or off, the systemd way where a
 * user manager runs, with the autostart entry otherwise, and through the
 * Background portal inside a Flatpak. Turned on, the bridge is started now
 * too.
 */
void
lk_bridge_autostart_set_async (gboolean             enabled,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *app_id = lk_flatpak_get_app_id ();

  g_task_set_source_tag (task, lk_bridge_autostart_set_async);
  if (app_id != NULL)
    {
      set_by_portal (task, enabled);
      return;
    }
  if (!has_systemd_user_manager ())
    {
      if (!set_entry (enabled, &error))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_boolean (task, TRUE);
      return;
    }
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &error, "systemctl", "--user", enabled ? "enable" : "disable",
                              "--now", UNIT, NULL);
  if (process == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_subprocess_communicate_utf8_async (process, NULL, cancellable, systemctl_cb,
                                       g_steal_pointer (&task));
}

gboolean
lk_bridge_autostart_set_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
