/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * latchkey-cli: the command mail clients run on every connection.
 *
 * `latchkey-cli token EMAIL` must cost little more than a process start and
 * one keyring lookup, and linking libsoup, GnuTLS and libsecret alone costs
 * several milliseconds of start-up. So this small program links only GLib,
 * answers `token` itself when the keyring holds a fresh access token, and
 * otherwise hands the whole command line to latchkey-cli-full, which links
 * liblatchkey-core and does everything else (refresh, sign-in, the other
 * commands).
 */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <errno.h>
#include <glib.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lk-cli-fast-token.h"

static char *
find_full_binary (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);

  /* In the build tree both programs sit side by side; installed, the full
   * one lives in the package's libexec directory. */
  if (self != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self);
      g_autofree char *sibling = g_build_filename (dir, "latchkey-cli-full", NULL);

      if (g_file_test (sibling, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer (&sibling);
    }
  return g_build_filename (PKGLIBEXECDIR, "latchkey-cli-full", NULL);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *full = NULL;
  const char *localedir;
  int saved_errno;
  int status;

  /* What we print on stdout is read by programs (a token, JSON, a config
   * file): GLib's debug and info messages must never land there, not even
   * with G_MESSAGES_DEBUG=all. */
  g_log_writer_default_set_use_stderr (TRUE);
  if (lk_cli_fast_token (argc, argv, &status))
    return status;

  full = find_full_binary ();
  execv (full, argv);
  saved_errno = errno;

  /* Only this message needs the translations; the fast path prints none. */
  setlocale (LC_ALL, "");
  localedir = g_getenv ("LATCHKEY_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  /* Translators: the first %s is a file path, the second the system's reason */
  fprintf (stderr, _("latchkey-cli: cannot run %s: %s; reinstall Latchkey\n"),
           full, g_strerror (saved_errno));
  return 1;
}
