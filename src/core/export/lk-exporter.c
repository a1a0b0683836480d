/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-export"
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "lk-error.h"
#include "lk-file.h"
#include "lk-flatpak.h"
#include "lk-export-private.h"
#include "lk-export-value.h"

/* A client's own file (an ~/.msmtprc with many accounts) read to compare
 * with what replaces it; bigger ones are simply kept as a backup. */
#define LK_EXPORT_MAX_EXISTING (16 * 1024 * 1024)

static const LkExporter * const exporters[] = {
  &lk_exporter_msmtp,
  &lk_exporter_mbsync,
  &lk_exporter_neomutt,
  &lk_exporter_aerc,
  &lk_exporter_fetchmail,
  &lk_exporter_getmail,
  &lk_exporter_offlineimap,
  &lk_exporter_thunderbird,
  &lk_exporter_autoconfig,
  &lk_exporter_evolution,
  &lk_exporter_summary,
  NULL,
};

/**
 * lk_exporter_get_all:
 *
 * Returns: (transfer none): every exporter, NULL-terminated, in the order
 *   --list-clients shows them
 */
const LkExporter * const *
lk_exporter_get_all (void)
{
  return exporters;
}

const LkExporter *
lk_exporter_lookup (const char *id)
{
  g_return_val_if_fail (id != NULL, NULL);

  for (guint i = 0; exporters[i] != NULL; i++)
    if (g_ascii_strcasecmp (exporters[i]->id, id) == 0)
      return exporters[i];

  return NULL;
}

void
lk_export_file_free (LkExportFile *file)
{
  if (file == NULL)
    return;
  g_free (file->path);
  g_free (file->contents);
  g_free (file);
}

static gboolean
strv_contains_nocase (const char * const *strv,
                      const char         *text)
{
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    if (g_ascii_strcasecmp (strv[i], text) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_mechanism (const char *format)
{
  return g_ascii_strcasecmp (format, "XOAUTH2") == 0 ||
         g_ascii_strcasecmp (format, "OAUTHBEARER") == 0;
}

/* Nothing here can quote a line break for every client: the shared rule of
 * lk-export-value.c refuses it, and the rest, before any file is made. */
static gboolean
check_input (const LkExporter      *self,
             LkAccount             *account,
             const LkExportContext *context,
             GError               **error)
{
  if (!lk_export_value_check (_("address"), account->email, error))
    return FALSE;
  if (account->provider == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("The account %s has no provider profile; add the account again."),
                   account->email);
      return FALSE;
    }
  if (!lk_export_account_check (account, error))
    return FALSE;

  if (self->uses_token_command)
    {
      if (context->token_argv == NULL || context->token_argv[0] == NULL)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                       _("No token command to put into the %s configuration."),
                       self->id);
          return FALSE;
        }
      for (guint i = 0; context->token_argv[i] != NULL; i++)
        if (!lk_export_value_check (_("token command"), context->token_argv[i], error))
          return FALSE;
    }

  if (context->format != NULL &&
      (self->formats == NULL || !g_strv_contains ((const char * const *) self->formats, context->format)))
    {
      g_autofree char *known = self->formats != NULL
        ? g_strjoinv (", ", (char **) self->formats) : g_strdup (_("none"));
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("%s has no format “%s”; use one of: %s."),
                   self->id, context->format, known);
      return FALSE;
    }

  /* A format naming a mechanism the provider does not offer would sign in
   * with a mechanism nobody asked for, or not at all: say so instead. */
  if (context->format != NULL && is_mechanism (context->format) &&
      !strv_contains_nocase ((const char * const *) account->provider->sasl, context->format))
    {
      g_autofree char *upper = g_ascii_strup (context->format, -1);
      g_autofree char *offered = account->provider->sasl != NULL
        ? g_strjoinv (", ", account->provider->sasl) : g_strdup (_("none"));
      g_set_error (error, LK_ERROR, LK_ERROR_MECHANISM_UNAVAILABLE,
                   _("%s does not offer %s (it offers %s); leave out --format."),
                   account->provider->name, upper, offered);
      return FALSE;
    }

  return TRUE;
}

/**
 * lk_exporter_generate:
 *
 * Returns: (transfer full) (element-type LkExportFile): the files, or NULL
 *   with @error set when the client cannot use this account
 */
GPtrArray *
lk_exporter_generate (const LkExporter      *self,
                      LkAccount             *account,
                      const LkExportContext *context,
                      GError               **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (account != NULL, NULL);
  g_return_val_if_fail (context != NULL, NULL);

  if (!check_input (self, account, context, error))
    return NULL;

  return self->generate (account, context, error);
}

/**
 * lk_exporter_generate_text:
 *
 * The files as one text, for standard output: a single file as is, several
 * each after a line naming its path.
 */
char *
lk_exporter_generate_text (const LkExporter      *self,
                           LkAccount             *account,
                           const LkExportContext *context,
                           GError               **error)
{
  g_autoptr(GPtrArray) files = lk_exporter_generate (self, account, context, error);
  GString *out;

  if (files == NULL)
    return NULL;
  if (files->len == 1)
    return g_strdup (((LkExportFile *) files->pdata[0])->contents);

  out = g_string_new (NULL);
  for (guint i = 0; i < files->len; i++)
    {
      LkExportFile *file = files->pdata[i];
      g_string_append_printf (out, "%s#### %s\n%s", i > 0 ? "\n" : "",
                              file->path, file->contents);
    }
  return g_string_free (out, FALSE);
}

/**
 * lk_export_expand_path:
 *
 * "~/…" in the home folder and "$XDG_CONFIG_HOME/…" in the user's
 * configuration folder (~/.config unless XDG_CONFIG_HOME says otherwise);
 * any other path as it is.
 */
char *
lk_export_expand_path (const char *path)
{
  static const char xdg[] = "$XDG_CONFIG_HOME";

  g_return_val_if_fail (path != NULL, NULL);

  if (path[0] == '~' && (path[1] == '/' || path[1] == '\0'))
    return g_build_filename (g_get_home_dir (), path + 1, NULL);
  if (g_str_has_prefix (path, xdg) && (path[strlen (xdg)] == '/' || path[strlen (xdg)] == '\0'))
    return g_build_filename (g_get_user_config_dir (), path + strlen (xdg), NULL);
  return g_strdup (path);
}

/* A link chain longer than this is a loop (as for the kernel's ELOOP). */
#define MAX_LINKS 40

/**
 * lk_export_resolve_link:
 *
 * The file a path names after following its symbolic links, so that a
 * configuration file kept elsewhere by a dotfile manager (a link in the home
 * folder) is written there rather than replaced by a file. A path that is
 * no link, or does not exist (yet), is returned as it is.
 *
 * Returns: (transfer full): the path to write, or %NULL with @error set
 */
char *
lk_export_resolve_link (const char  *path,
                        GError     **error)
{
  g_autofree char *current = g_strdup (path);

  for (guint i = 0; i < MAX_LINKS; i++)
    {
      g_autofree char *target = g_file_read_link (current, NULL);
      g_autofree char *dir = NULL;

      /* No link (EINVAL), nothing there (ENOENT, ENOTDIR), or nothing we
       * may look at: the path as it is, and writing it says what is wrong
       * in the words of the write (the folder that cannot be made…). */
      if (target == NULL)
        return g_steal_pointer (&current);
      dir = g_path_get_dirname (current);
      g_free (current);
      current = g_canonicalize_filename (target, dir);
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS,
               _("%s leads through more than %d symbolic links (a loop?); point it at a "
                 "file and try again."), path, MAX_LINKS);
  return NULL;
}

/**
 * lk_export_token_command_for:
 *
 * The token command for @email: @cli_path itself, or through `flatpak run`
 * when Latchkey runs inside a Flatpak (where @cli_path means nothing to a
 * client outside the sandbox).
 */
char **
lk_export_token_command_for (gboolean    in_flatpak,
                             const char *flatpak_app_id,
                             const char *cli_path,
                             const char *email)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  char **argv;

  if (in_flatpak)
    {
      g_autofree char *command = g_strdup ("--command=latchkey-cli");
      g_strv_builder_add_many (builder, "flatpak", "run", command,
                               flatpak_app_id != NULL ? flatpak_app_id : APP_ID,
                               NULL);
    }
  else
    g_strv_builder_add (builder, cli_path);
  g_strv_builder_add_many (builder, "token", email, NULL);

  argv = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return argv;
}

/**
 * lk_export_detect_token_command:
 * @cli_path: the absolute path of the installed latchkey-cli
 *
 * Decides between the plain and the Flatpak form as
 * lk_flatpak_get_app_id() tells.
 */
char **
lk_export_detect_token_command (const char *cli_path,
                                const char *email)
{
  g_autofree char *app_id = NULL;

  g_return_val_if_fail (cli_path != NULL, NULL);
  g_return_val_if_fail (email != NULL, NULL);

  app_id = lk_flatpak_get_app_id ();
  return lk_export_token_command_for (app_id != NULL, app_id, cli_path, email);
}

/* Keeps the file about to be replaced as PATH.bak-YYYYMMDD-HHMMSS (its
 * inode, so its mode and contents stay exactly as they were): an
 * ~/.msmtprc may hold other accounts that a person replaced by mistake. */
static char *
keep_backup (const char  *path,
             GError     **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *backup = g_strdup_printf ("%s.bak-%s", path, stamp);

  for (guint n = 2; g_file_test (backup, G_FILE_TEST_EXISTS) && n < 100; n++)
    {
      g_free (backup);
      backup = g_strdup_printf ("%s.bak-%s-%u", path, stamp, n);
    }
  if (link (path, backup) != 0)
    {
      g_autoptr(GFile) from = g_file_new_for_path (path);
      g_autoptr(GFile) to = g_file_new_for_path (backup);

      /* No hard links here (FAT, some network shares): copy instead. */
      if (!g_file_copy (from, to, G_FILE_COPY_ALL_METADATA, NULL, NULL, NULL, error))
        {
          g_prefix_error (error, _("Could not keep a copy of %s, so it was not replaced: "), path);
          return NULL;
        }
    }
  return g_steal_pointer (&backup);
}

/**
 * lk_export_write:
 * @force: replace an existing file
 * @out_backup: (out) (optional) (nullable): where the replaced file was kept
 *
 * Writes @contents to @path atomically with mode 0600, creating missing
 * parent folders with mode 0700. An existing file is kept unless @force;
 * a replaced file whose contents differ is kept beside it as
 * PATH.bak-DATE-TIME, and @out_backup says where. A symbolic link is
 * followed: the file it points to is written (and kept), the link stays.
 */
gboolean
lk_export_write (const char  *link_path,
                 const char  *contents,
                 gboolean     force,
                 char       **out_backup,
                 GError     **error)
{
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *old = NULL;
  g_autofree char *backup = NULL;

  g_return_val_if_fail (link_path != NULL, FALSE);
  g_return_val_if_fail (contents != NULL, FALSE);

  if (out_backup != NULL)
    *out_backup = NULL;
  path = lk_export_resolve_link (link_path, error);
  if (path == NULL)
    return FALSE;
  /* A FIFO, socket or device given as --output: refused, never opened. */
  if (!lk_file_check_regular (path, error))
    return FALSE;
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (!force)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_EXISTS,
                       _("%s already exists; use --force to replace it (a copy of it is "
                         "kept), or --output to write elsewhere."), path);
          return FALSE;
        }
      if (!lk_file_read_regular (path, LK_EXPORT_MAX_EXISTING, &old, NULL, NULL) ||
          strcmp (old, contents) != 0)
        {
          backup = keep_backup (path, error);
          if (backup == NULL)
            return FALSE;
        }
    }

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create the folder %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }

  if (!g_file_set_contents_full (path, contents, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    {
      g_prefix_error (error, _("Could not write the configuration: "));
      if (backup != NULL)
        g_unlink (backup);   /* the original is still in place */
      return FALSE;
    }

  if (out_backup != NULL)
    *out_backup = g_steal_pointer (&backup);
  return TRUE;
}

/* ---- helpers for the exporters ---- */

static gboolean
shell_safe (const char *word)
{
  if (*word == '\0')
    return FALSE;
  for (const char *p = word; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("@%+=:,./_-", *p) == NULL)
      return FALSE;
  return TRUE;
}

/* POSIX sh: single quotes keep everything but ' itself, written '\''. */
char *
lk_export_shell_quote (const char *word)
{
  GString *out;

  if (shell_safe (word))
    return g_strdup (word);

  out = g_string_new ("'");
  for (const char *p = word; *p != '\0'; p++)
    {
      if (*p == '\'')
        g_string_append (out, "'\\''");
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '\'');
  return g_string_free (out, FALSE);
}

char *
lk_export_shell_command (const LkExportContext *context)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; context->token_argv[i] != NULL; i++)
    {
      g_autofree char *word = lk_export_shell_quote (context->token_argv[i]);
      if (i > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, word);
    }
  return g_string_free (out, FALSE);
}

char *
lk_export_backslash (const char *text,
                     const char *specials)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (strchr (specials, *p) != NULL)
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* A Python 3 string literal; UTF-8 beyond ASCII stays as it is. */
char *
lk_export_python_string (const char *text)
{
  GString *out = g_string_new ("'");

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\\' || *p == '\'')
        g_string_append_c (out, '\\');
      if ((guchar) *p < 0x20 || *p == 0x7f)
        g_string_append_printf (out, "\\x%02x", (guchar) *p);
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '\'');
  return g_string_free (out, FALSE);
}

char *
lk_export_python_list (const LkExportContext *context,
                       gboolean               tuple)
{
  GString *out = g_string_new (tuple ? "(" : "[");
  guint i;

  for (i = 0; context->token_argv[i] != NULL; i++)
    {
      g_autofree char *item = lk_export_python_string (context->token_argv[i]);
      g_string_append_printf (out, "%s%s", i > 0 ? ", " : "", item);
    }
  if (tuple && i == 1)
    g_string_append_c (out, ',');
  g_string_append (out, tuple ? ")" : "]");
  return g_string_free (out, FALSE);
}

/* The user part of a URL: everything but unreserved characters escaped. */
char *
lk_export_uri_user (const char *user)
{
  return g_uri_escape_string (user, NULL, FALSE);
}

/* The host part of a URL: an IPv6 literal in brackets (RFC 3986 §3.2.2). */
char *
lk_export_url_host (const char *host)
{
  return strchr (host, ':') != NULL ? g_strdup_printf ("[%s]", host) : g_strdup (host);
}

char *
lk_export_double_percent (const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, "%", -1);
  return g_strjoinv ("%%", parts);
}

GString *
lk_export_header (const LkExporter      *exporter,
                  LkAccount             *account,
                  const LkExportContext *context,
                  const char            *prefix,
                  const char * const    *notes)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDateTime) now = context->now != NULL
    ? g_date_time_ref (context->now) : g_date_time_new_now_utc ();
  g_autoptr(GDateTime) utc = g_date_time_to_utc (now);
  g_autofree char *when = g_date_time_format (utc, "%Y-%m-%d %H:%M UTC");
  g_autofree char *address = lk_export_shell_quote (account->email);
  GString *out = g_string_new (NULL);

  /* Translators: "msmtp configuration for a@example.com (Microsoft 365), made by Latchkey 1.0 on 2025-01-01 10:00 UTC." */
  g_ptr_array_add (lines, g_strdup_printf (_("%s configuration for %s (%s), made by Latchkey %s on %s."),
                                           _(exporter->name), account->email,
                                           account->provider->name,
                                           context->version != NULL ? context->version : PACKAGE_VERSION,
                                           when));
  if (exporter->uses_token_command)
    {
      g_autofree char *command = lk_export_shell_command (context);
      g_ptr_array_add (lines, g_strdup_printf (_("It holds no password or token: %s runs “%s” for a fresh token each time."),
                                               _(exporter->name), command));
    }
  else
    g_ptr_array_add (lines, g_strdup_printf (_("%s signs in by itself; this only fills in the servers and the OAuth2 sign-in."),
                                             _(exporter->name)));
  g_ptr_array_add (lines, g_strdup_printf (_("Regenerate with: latchkey-cli export %s --client %s"),
                                           address, exporter->id));
  if (exporter->include_hint != NULL && !context->merged)
    g_ptr_array_add (lines, g_strdup (_(exporter->include_hint)));
  for (guint i = 0; notes != NULL && notes[i] != NULL; i++)
    g_ptr_array_add (lines, g_strdup (notes[i]));

  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (out, "%s%s\n", prefix, (const char *) lines->pdata[i]);
  return out;
}

LkProtocolFlags
lk_export_protocols (const LkExporter *exporter,
                     LkAccount        *account)
{
  LkProtocolFlags available = lk_provider_get_protocols (account->provider);
  LkProtocolFlags wanted = account->protocols != 0 ? account->protocols : available;

  return wanted & available & exporter->protocols;
}

const LkServer *
lk_export_server (LkAccount  *account,
                  LkProtocol  protocol)
{
  return lk_provider_get_server (account->provider, protocol);
}

/* The provider's first mechanism the client can do, or the one --format
 * names when the provider offers it. Returns NULL when none fits. */
const char *
lk_export_mechanism (LkAccount             *account,
                     const LkExportContext *context,
                     const char * const    *supported)
{
  char **offered = account->provider->sasl;

  for (guint i = 0; offered != NULL && offered[i] != NULL; i++)
    {
      for (guint j = 0; supported[j] != NULL; j++)
        {
          if (g_ascii_strcasecmp (offered[i], supported[j]) != 0)
            continue;
          if (context->format != NULL &&
              strv_contains_nocase (supported, context->format) &&
              g_ascii_strcasecmp (context->format, supported[j]) != 0)
            continue;
          return supported[j];
        }
    }
  return NULL;
}

gboolean
lk_export_require (LkProtocolFlags   have,
                   LkProtocolFlags   need,
                   const LkExporter *exporter,
                   GError          **error)
{
  g_autofree char *names = NULL;

  if ((have & need) != 0)
    return TRUE;

  names = lk_protocol_flags_to_string (need);
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
               _("%s needs %s, which this account does not use; add it to the account or choose another client."),
               _(exporter->name), names);
  return FALSE;
}

gboolean
lk_export_fail_mechanism (const LkExporter *exporter,
                          LkAccount        *account,
                          GError          **error)
{
  g_autofree char *offered = g_strjoinv (", ", account->provider->sasl);

  g_set_error (error, LK_ERROR, LK_ERROR_MECHANISM_UNAVAILABLE,
               _("%s cannot use any sign-in mechanism %s offers (%s); choose another client."),
               _(exporter->name), account->provider->name, offered);
  return FALSE;
}

GPtrArray *
lk_export_single (const char *path,
                  GString    *contents)
{
  GPtrArray *files = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_export_file_free);
  LkExportFile *file = g_new0 (LkExportFile, 1);

  file->path = g_strdup (path);
  file->contents = g_string_free (contents, FALSE);
  g_ptr_array_add (files, file);
  return files;
}

/* A short, stable, syntax-safe name for the account in client configs. */
char *
lk_export_slug (LkAccount *account)
{
  GString *out = g_string_new (NULL);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, account->email, -1);

  for (const char *p = account->email; *p != '\0' && out->len < 24; p++)
    {
      if (*p == '@')
        break;
      if (g_ascii_isalnum (*p))
        g_string_append_c (out, g_ascii_tolower (*p));
    }
  if (out->len == 0)
    g_string_append (out, "account");
  g_string_append_printf (out, "-%.6s", hash);
  return g_string_free (out, FALSE);
}
