/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-core"
/* setresuid(), setresgid(), getresuid() */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lk-error.h"
#include "lk-places.h"
#include "lk-system-mode.h"
#include "store/lk-sealed-token-store.h"
#include "store/lk-store-credential.h"

/**
 * SECTION:lk-system-mode
 *
 * `latchkey-bridge --system` and `latchkey-cli --system`: one bridge for
 * the whole machine, with no desktop and no keyring (doc/system-mode.md).
 * Entering system mode, once at the start of the process:
 *
 * - the files move to the system places (lk-places.h: the unit's state,
 *   runtime and configuration folders);
 * - the token store becomes the sealed file store, keyed by the systemd
 *   credential (lk-store-credential.c);
 * - a process started by root becomes the owner of the state folder (the
 *   `latchkey` user the unit runs as), after unsealing the key, which needs
 *   root outside the unit: everything it writes then belongs to the
 *   daemon, and nothing runs as root longer than that.
 */

static char *
user_name (uid_t uid)
{
  struct passwd *pw = getpwuid (uid);

  return pw != NULL ? g_strdup (pw->pw_name) : g_strdup_printf ("%u", (guint) uid);
}

/* The state folder when it is missing: only root can make it, for the
 * system user. */
static gboolean
create_state_dir (const char  *state,
                  GError     **error)
{
  struct passwd *pw;

  if (geteuid () != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("The system bridge has no folder %s yet. As root, create its user and "
                     "folders with “systemd-sysusers” and “systemd-tmpfiles --create”, or run "
                     "“latchkey-cli --system” as root."),
                   state);
      return FALSE;
    }
  pw = getpwnam (LK_SYSTEM_USER);
  if (pw == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("There is no user “%s” for the system bridge. Create it with "
                     "“systemd-sysusers” (Latchkey installs its sysusers.d file), then try "
                     "again."),
                   LK_SYSTEM_USER);
      return FALSE;
    }
  if (g_mkdir_with_parents (state, 0700) != 0 || chown (state, pw->pw_uid, pw->pw_gid) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot create the system bridge’s folder %s: %s"), state,
                   g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* The runtime folder (locks, the control socket) for @uid: systemd makes it
 * for the unit, but `latchkey-cli --system` may run while the daemon
 * does not. */
static gboolean
prepare_runtime_dir (uid_t        uid,
                     gid_t        gid,
                     GError     **error)
{
  g_autofree char *runtime = lk_places_get_dir (LK_PLACE_RUNTIME);
  GStatBuf st;

  if (g_mkdir_with_parents (runtime, 0700) != 0 || g_stat (runtime, &st) != 0 ||
      (st.st_uid != uid && chown (runtime, uid, gid) != 0))
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot prepare the system bridge’s folder %s: %s"), runtime,
                   g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* Root becomes the owner of the state folder for good: groups, group,
 * user, all three ids each, so that nothing can switch back. */
static gboolean
become (uid_t    uid,
        gid_t    gid,
        GError **error)
{
  uid_t ruid, euid, suid;

  if (setgroups (0, NULL) != 0 || setresgid (gid, gid, gid) != 0 ||
      setresuid (uid, uid, uid) != 0 || getresuid (&ruid, &euid, &suid) != 0 ||
      ruid != uid || euid != uid || suid != uid)
    {
      int saved_errno = errno;
      g_autofree char *name = user_name (uid);

      g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                   _("Cannot switch to the system bridge’s user %s: %s"), name,
                   g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
become_owner (GError **error)
{
  g_autofree char *state = lk_places_get_dir (LK_PLACE_STATE);
  GStatBuf st;

  if (g_stat (state, &st) != 0)
    {
      int saved_errno = errno;

      if (saved_errno != ENOENT)
        {
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       _("Cannot use the system bridge’s folder %s: %s"), state,
                       g_strerror (saved_errno));
          return FALSE;
        }
      if (!create_state_dir (state, error) || g_stat (state, &st) != 0)
        return FALSE;
    }
  if (!S_ISDIR (st.st_mode))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("%s should be the system bridge’s folder, but it is not a folder; move "
                     "it out of the way."), state);
      return FALSE;
    }

  if (geteuid () == st.st_uid)
    return prepare_runtime_dir (st.st_uid, st.st_gid, error);
  if (geteuid () != 0)
    {
      g_autofree char *owner = user_name (st.st_uid);

      g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                   _("The system bridge’s files in %s belong to the user %s. Run "
                     "“latchkey-cli --system” as root (for example with sudo)."),
                   state, owner);
      return FALSE;
    }
  return prepare_runtime_dir (st.st_uid, st.st_gid, error) &&
         become (st.st_uid, st.st_gid, error);
}

/**
 * lk_system_mode_enter:
 *
 * Puts the process in system mode (see above), once; later calls do
 * nothing. Call it first, before
 * anything reads a path, makes a token manager or starts a thread that
 * writes files. A missing or unusable key does not fail this: the store
 * says so when it is used, so that `list` and `bridge status` still work.
 *
 * Returns: %FALSE with an error that says what to do when the process
 *   cannot act for the system bridge (no state folder and no way to make
 *   it, files of another user, a failed switch of user)
 */
gboolean
lk_system_mode_enter (GError **error)
{
  g_autoptr(GBytes) key = NULL;
  g_autoptr(GError) key_error = NULL;
  g_autoptr(LkSealedTokenStore) store = NULL;
  g_autofree char *path = NULL;

  /* `latchkey-cli --system bridge run` asks twice: once is enough. */
  if (lk_places_is_system_mode ())
    return TRUE;
  /* The daemon's unit sets UMask=0077 too; a root shell may not. */
  umask (0077);
  lk_places_set_system_mode (TRUE);

  key = lk_store_credential_load (&key_error);
  path = lk_places_build_path (LK_PLACE_STATE, "tokens.sealed", NULL);
  if (key != NULL)
    store = lk_sealed_token_store_new (path, key, &key_error);
  if (store == NULL)
    {
      g_debug ("The sealed token store has no key: %s", key_error->message);
      store = lk_sealed_token_store_new_failed (path, key_error);
    }
  lk_token_store_set_default (LK_TOKEN_STORE (store));

  return become_owner (error);
}
