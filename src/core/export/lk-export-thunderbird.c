/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-export"
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-file.h"
#include "lk-export-private.h"
#include "lk-export-value.h"

/* A user.js fragment: JavaScript string literals. Thunderbird does its own
 * OAuth2 (nsMsgAuthMethod.OAuth2 = 10) with its own client id, chosen by the
 * server's host name; socketType 0 plain, 2 STARTTLS, 3 SSL. */

static char *
js (const char *text)
{
  g_autofree char *inner = lk_export_backslash (text, "\\\"");
  return g_strdup_printf ("\"%s\"", inner);
}

static void
pref_str (GString    *out,
          const char *key,
          const char *value)
{
  g_autofree char *text = js (value);
  g_string_append_printf (out, "user_pref(\"%s\", %s);\n", key, text);
}

static void
pref_int (GString    *out,
          const char *key,
          guint       value)
{
  g_string_append_printf (out, "user_pref(\"%s\", %u);\n", key, value);
}

static guint
socket_type (LkSecurity security)
{
  return security == LK_SECURITY_TLS ? 3 : security == LK_SECURITY_STARTTLS ? 2 : 0;
}

static GPtrArray *
generate (LkAccount             *account,
          const LkExportContext *context,
          GError               **error)
{
  LkProtocolFlags protocols = lk_export_protocols (&lk_exporter_thunderbird, account);
  g_autofree char *slug = lk_export_slug (account);
  g_autofree char *id = g_strdelimit (g_strdup (slug), "-", '_');
  const char *user = lk_account_get_sasl_user (account);
  g_autofree char *p = NULL;
  g_autofree char *note = g_strdup_printf (_("Thunderbird signs in with its own app (client id). If %s’s organisation blocks user consent, an administrator must consent to Thunderbird’s app first."),
                                           account->email);
  const char *notes[] = {
    note,
    context->merged
      ? _("The last lines set Thunderbird’s lists of accounts and SMTP servers: the profile’s own, with this account added.")
      : _("For a new profile: the last lines set Thunderbird’s list of accounts and SMTP servers; with accounts already there, add these ids to those lists instead."),
    context->merged
      ? _("Thunderbird reads this file at every start; once the account appears, this block may be deleted.")
      : _("Put it in the profile folder as user.js while Thunderbird is closed; once the account appears, it may be deleted."),
    NULL
  };
  LkProtocol incoming;
  const LkServer *server;
  GString *out;

  if (!lk_export_require (protocols, LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_POP,
                          &lk_exporter_thunderbird, error))
    return NULL;
  incoming = (protocols & LK_PROTOCOL_FLAG_IMAP) ? LK_PROTOCOL_IMAP : LK_PROTOCOL_POP;
  server = lk_export_server (account, incoming);

  out = lk_export_header (&lk_exporter_thunderbird, account, context, "// ", notes);
  g_string_append_c (out, '\n');

#define KEY(fmt) (g_free (p), p = g_strdup_printf (fmt, id))
  pref_str (out, KEY ("mail.server.server_%s.type"), incoming == LK_PROTOCOL_IMAP ? "imap" : "pop3");
  pref_str (out, KEY ("mail.server.server_%s.hostname"), server->host);
  pref_int (out, KEY ("mail.server.server_%s.port"), server->port);
  pref_int (out, KEY ("mail.server.server_%s.socketType"), socket_type (server->security));
  pref_int (out, KEY ("mail.server.server_%s.authMethod"), 10);
  pref_str (out, KEY ("mail.server.server_%s.userName"), user);
  pref_str (out, KEY ("mail.server.server_%s.name"), account->email);
  if (protocols & LK_PROTOCOL_FLAG_SMTP)
    {
      const LkServer *smtp = lk_export_server (account, LK_PROTOCOL_SMTP);
      pref_str (out, KEY ("mail.smtpserver.smtp_%s.hostname"), smtp->host);
      pref_int (out, KEY ("mail.smtpserver.smtp_%s.port"), smtp->port);
      pref_int (out, KEY ("mail.smtpserver.smtp_%s.try_ssl"), socket_type (smtp->security));
      pref_int (out, KEY ("mail.smtpserver.smtp_%s.authMethod"), 10);
      pref_str (out, KEY ("mail.smtpserver.smtp_%s.username"), user);
      pref_str (out, KEY ("mail.smtpserver.smtp_%s.description"), account->email);
      g_autofree char *smtp_id = g_strdup_printf ("smtp_%s", id);
      pref_str (out, KEY ("mail.identity.id_%s.smtpServer"), smtp_id);
    }
  pref_str (out, KEY ("mail.identity.id_%s.useremail"), account->email);
  if (account->display_name != NULL)
    pref_str (out, KEY ("mail.identity.id_%s.fullName"), account->display_name);
  g_string_append_printf (out, "user_pref(\"mail.identity.id_%s.valid\", true);\n", id);
  {
    g_autofree char *server_id = g_strdup_printf ("server_%s", id);
    g_autofree char *identity_id = g_strdup_printf ("id_%s", id);
    g_autofree char *account_id = g_strdup_printf ("account_%s", id);
    g_autofree char *smtp_id = g_strdup_printf ("smtp_%s", id);

    pref_str (out, KEY ("mail.account.account_%s.server"), server_id);
    pref_str (out, KEY ("mail.account.account_%s.identities"), identity_id);
    pref_str (out, "mail.accountmanager.accounts", account_id);
    if (protocols & LK_PROTOCOL_FLAG_SMTP)
      pref_str (out, "mail.smtpservers", smtp_id);
  }
#undef KEY

  return lk_export_single (lk_exporter_thunderbird.path, out);
}

/* ---- setting Thunderbird up: user.js in the profile ----
 *
 * Thunderbird reads user.js at every start and copies its prefs over
 * prefs.js (its own file, rewritten on exit; never edited here). The block
 * also sets the list of accounts and of SMTP servers, so those lists are
 * what Thunderbird has (prefs.js), what user.js already says, plus this
 * account: setting the account up never hides another. */

/* Where profiles.ini is: Thunderbird's own folder, the XDG one newer
 * Mozilla builds move to, the Flatpak's and the Snap's. */
static const char * const ini_files[] = {
  "~/.thunderbird/profiles.ini",
  "$XDG_CONFIG_HOME/thunderbird/profiles.ini",
  "~/.var/app/org.mozilla.Thunderbird/.thunderbird/profiles.ini",
  "~/snap/thunderbird/common/.thunderbird/profiles.ini",
  NULL
};

static char *
profile_folder (GKeyFile   *ini,
                const char *ini_dir,
                const char *group)
{
  g_autofree char *path = g_key_file_get_string (ini, group, "Path", NULL);
  gboolean relative = g_key_file_get_integer (ini, group, "IsRelative", NULL) != 0;

  if (path == NULL || *path == '\0')
    return NULL;
  if (relative || !g_path_is_absolute (path))
    return g_build_filename (ini_dir, path, NULL);
  return g_steal_pointer (&path);
}

static char *
profile_names (GKeyFile *ini)
{
  g_auto(GStrv) groups = g_key_file_get_groups (ini, NULL);
  GString *out = g_string_new (NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *name = NULL;

      if (!g_str_has_prefix (groups[i], "Profile"))
        continue;
      name = g_key_file_get_string (ini, groups[i], "Name", NULL);
      if (name != NULL)
        g_string_append_printf (out, "%s%s", out->len > 0 ? ", " : "", name);
    }
  return g_string_free (out, FALSE);
}

/* profiles.ini: an [Install…] section's Default is the profile this
 * installation starts with; otherwise the [Profile…] with Default=1; a
 * single profile is the one. --profile picks another, by name or folder. */
static char *
find_profile (const char  *choice,
              GError     **error)
{
  g_autoptr(GKeyFile) ini = g_key_file_new ();
  g_autofree char *ini_path = NULL;
  g_autofree char *ini_dir = NULL;
  g_autofree char *data = NULL;
  g_autofree char *names = NULL;
  g_auto(GStrv) groups = NULL;
  gsize length;
  char *only = NULL;
  guint profiles = 0;

  if (choice != NULL && strchr (choice, '/') != NULL)
    return lk_export_expand_path (choice);

  ini_path = lk_export_first_existing (ini_files);
  if (!g_file_test (ini_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("No Thunderbird profile was found (there is no %s). Start Thunderbird "
                     "once and quit it, or name the profile’s folder with --profile FOLDER."),
                   ini_path);
      return NULL;
    }
  if (!lk_file_read_regular (ini_path, LK_FILE_MAX_SMALL, &data, &length, error) ||
      !g_key_file_load_from_data (ini, data, length, G_KEY_FILE_NONE, error))
    {
      g_prefix_error (error, _("Could not read Thunderbird’s list of profiles %s: "), ini_path);
      return NULL;
    }
  ini_dir = g_path_get_dirname (ini_path);
  groups = g_key_file_get_groups (ini, NULL);
  names = profile_names (ini);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *name = NULL;

      if (!g_str_has_prefix (groups[i], "Profile"))
        continue;
      profiles++;
      only = groups[i];
      name = g_key_file_get_string (ini, groups[i], "Name", NULL);
      if (choice != NULL && g_strcmp0 (name, choice) == 0)
        return profile_folder (ini, ini_dir, groups[i]);
    }
  if (choice != NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("Thunderbird has no profile “%s”; its profiles are: %s."), choice, names);
      return NULL;
    }
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *path = NULL;

      if (!g_str_has_prefix (groups[i], "Install"))
        continue;
      path = g_key_file_get_string (ini, groups[i], "Default", NULL);
      if (path != NULL && *path != '\0')
        return g_path_is_absolute (path) ? g_steal_pointer (&path)
                                         : g_build_filename (ini_dir, path, NULL);
    }
  for (guint i = 0; groups[i] != NULL; i++)
    if (g_str_has_prefix (groups[i], "Profile") &&
        g_key_file_get_integer (ini, groups[i], "Default", NULL) == 1)
      return profile_folder (ini, ini_dir, groups[i]);
  if (profiles == 1)
    return profile_folder (ini, ini_dir, only);

  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
               _("Thunderbird has several profiles and none is marked as the default; choose "
                 "one with --profile NAME (%s)."), names);
  return NULL;
}

static char *
locate (const LkExportApplier      *self,
        const LkExportApplyOptions *options,
        GError                    **error)
{
  g_autofree char *folder = NULL;

  if (options->file != NULL)
    return lk_export_expand_path (options->file);
  folder = find_profile (options->profile, error);
  if (folder == NULL)
    return NULL;
  if (!g_file_test (folder, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("The Thunderbird profile folder %s does not exist; start Thunderbird once, "
                     "or choose another profile with --profile."), folder);
      return NULL;
    }
  return g_build_filename (folder, "user.js", NULL);
}

/* The items of every `user_pref("KEY", "a,b");` line, in order. Item names
 * Thunderbird makes are letters, digits and _; anything else is left out
 * rather than copied into a file Thunderbird runs. */
static void
collect_list (const char *text,
              const char *key,
              GPtrArray  *items)
{
  g_autofree char *start = g_strdup_printf ("user_pref(\"%s\",", key);
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *p = strstr (lines[i], start);
      const char *open, *close;
      g_autofree char *value = NULL;
      g_auto(GStrv) parts = NULL;

      if (p == NULL)
        continue;
      open = strchr (p + strlen (start), '"');
      close = open != NULL ? strchr (open + 1, '"') : NULL;
      if (close == NULL)
        continue;
      value = g_strndup (open + 1, close - open - 1);
      parts = g_strsplit (value, ",", -1);
      for (guint j = 0; parts[j] != NULL; j++)
        {
          const char *item = g_strstrip (parts[j]);
          gboolean plain = *item != '\0';

          for (const char *c = item; *c != '\0'; c++)
            plain &= g_ascii_isalnum (*c) || *c == '_' || *c == '-';
          if (plain && !g_ptr_array_find_with_equal_func (items, item, g_str_equal, NULL))
            g_ptr_array_add (items, g_strdup (item));
        }
    }
}

/* The block's line setting @key, now set to the list with @ours in it. */
static gboolean
merge_list (GString     *block,
            const char  *key,
            const char  *prefs,
            const char  *user_js,
            GError     **error)
{
  g_autofree char *start = g_strdup_printf ("user_pref(\"%s\",", key);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) ours = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) line = g_string_new (NULL);
  g_autofree char *value = NULL;
  char *at = strstr (block->str, start);
  char *end;

  if (at == NULL)
    return TRUE;
  end = strchr (at, '\n');
  collect_list (prefs, key, items);
  collect_list (user_js, key, items);
  {
    g_autofree char *own = g_strndup (at, end - at);
    collect_list (own, key, ours);
  }
  for (guint i = 0; i < ours->len; i++)
    if (!g_ptr_array_find_with_equal_func (items, ours->pdata[i], g_str_equal, NULL))
      g_ptr_array_add (items, g_strdup (ours->pdata[i]));
  g_ptr_array_add (items, NULL);
  value = g_strjoinv (",", (char **) items->pdata);
  if (!lk_export_value_check (key, value, error))
    return FALSE;
  pref_str (line, key, value);
  g_string_erase (block, at - block->str, end + 1 - at);
  g_string_insert (block, at - block->str, line->str);
  return TRUE;
}

static void
find_earlier (const LkExportLines *lines,
              const char          *slug,
              const char          *email,
              GArray              *spans)
{
  g_autofree char *id = g_strdelimit (g_strdup (slug), "-", '_');
  g_autofree char *address = lk_export_shell_quote (email);
  g_autofree char *header = g_strdup_printf ("latchkey-cli export %s --client thunderbird", address);
  g_autofree char *accounts = g_strdup_printf ("\"mail.accountmanager.accounts\", \"account_%s\")", id);
  g_autofree char *smtps = g_strdup_printf ("\"mail.smtpservers\", \"smtp_%s\")", id);
  const char *kinds[] = { "server.server_", "smtpserver.smtp_", "identity.id_", "account.account_" };
  guint count = lk_export_lines_count (lines);

  for (guint i = 0; i < count; i++)
    {
      LkExportLineSpan span = { i, i + 1 };
      gboolean ours = lk_export_lines_contains (lines, i, accounts) ||
                      lk_export_lines_contains (lines, i, smtps);

      for (guint k = 0; k < G_N_ELEMENTS (kinds) && !ours; k++)
        {
          g_autofree char *key = g_strdup_printf ("\"mail.%s%s.", kinds[k], id);
          ours = lk_export_lines_contains (lines, i, key);
        }
      if (!ours && lk_export_lines_is_comment (lines, i, "//") &&
          lk_export_lines_contains (lines, i, header))
        {
          ours = TRUE;
          while (span.first > 0 && lk_export_lines_is_comment (lines, span.first - 1, "//"))
            span.first--;
          while (span.last < count && lk_export_lines_is_comment (lines, span.last, "//"))
            span.last++;
        }
      if (ours)
        g_array_append_val (spans, span);
    }
}

static gboolean
add_steps (LkExportPlan               *plan,
           const LkExportApplyOptions *options,
           GError                    **error)
{
  g_autofree char *folder = g_path_get_dirname (plan->target);
  g_autofree char *prefs_path = g_build_filename (folder, "prefs.js", NULL);
  g_autofree char *prefs = NULL;
  g_autofree char *user_js = NULL;
  g_autoptr(GString) block = g_string_new (((LkExportFile *) plan->files->pdata[0])->contents);
  g_autoptr(GError) local = NULL;

  /* Missing files are fine (a profile Thunderbird never ran in). */
  if (!lk_file_read_regular (prefs_path, 16 * 1024 * 1024, &prefs, NULL, &local) &&
      !g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  g_clear_error (&local);
  if (!lk_file_read_regular (plan->target, 16 * 1024 * 1024, &user_js, NULL, &local) &&
      !g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (!merge_list (block, "mail.accountmanager.accounts", prefs, user_js, error) ||
      !merge_list (block, "mail.smtpservers", prefs, user_js, error))
    return FALSE;

  lk_export_plan_add_block (plan, block->str);
  return TRUE;
}

static const char * const programs[] = { "thunderbird", NULL };

static const LkExportApplier applier = {
  .programs = programs,
  .config_files = ini_files,
  .comment = "// ",
  .find_earlier = find_earlier,
  .locate = locate,
  .plan = add_steps,
  .done_hint = NULL,
};

const LkExporter lk_exporter_thunderbird = {
  .id = "thunderbird",
  .name = N_("Thunderbird"),
  .next_step = N_("Close Thunderbird, save this as user.js in its profile folder, start it and sign in when it asks."),
  .path = "user.js",
  .is_block = FALSE,
  .include_hint = NULL,
  .protocols = LK_PROTOCOL_FLAG_ALL,
  .uses_token_command = FALSE,
  .formats = NULL,
  .generate = generate,
  .applier = &applier,
};
