/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-export"
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-export-private.h"

/* SSLType, not TLSType: isync 1.4 (Debian 12) knows only the older name,
 * which later versions still accept. mbsync splits arguments at blanks outside double quotes, and a backslash
 * escapes the next character anywhere. PassCmd runs through "sh -c". Its
 * SASL mechanisms come from Cyrus SASL plugins: Debian's only OAuth one,
 * libsasl2-modules-kdexoauth2, speaks XOAUTH2 alone. */

static const char * const mechanisms[] = { "XOAUTH2", NULL };

static char *
quoted (const char *text)
{
  g_autofree char *inner = lk_export_backslash (text, "\\\"");
  return g_strdup_printf ("\"%s\"", inner);
}

/* Where the account's mail goes: the MaildirStore's Path, which isync 1.4
 * does not create itself. */
static char *
maildir (const char *name)
{
  return g_strdup_printf ("~/Mail/%s/", name);
}

static GPtrArray *
generate (LkAccount             *account,
          const LkExportContext *context,
          GError               **error)
{
  const LkServer *imap = lk_export_server (account, LK_PROTOCOL_IMAP);
  g_autofree char *name = lk_export_slug (account);
  g_autofree char *command = lk_export_shell_command (context);
  g_autofree char *pass_cmd = quoted (command);
  g_autofree char *user = quoted (lk_account_get_sasl_user (account));
  /* isync 1.4 creates mailboxes ("Create Both") but not the store's own
   * folder: without it the first run stops with "cannot open store". */
  g_autofree char *folder = maildir (name);
  g_autofree char *mkdir = g_strdup_printf (_("Create the local folder before the first run: mkdir -p %s"),
                                            folder);
  const char *notes[] = {
    _("mbsync needs the XOAUTH2 SASL plugin: on Debian and Ubuntu, install libsasl2-modules-kdexoauth2."),
    context->merged ? NULL : mkdir,   /* lk_exporter_apply_async() makes it */
    NULL
  };
  GString *out;

  if (!lk_export_require (lk_export_protocols (&lk_exporter_mbsync, account),
                          LK_PROTOCOL_FLAG_IMAP, &lk_exporter_mbsync, error))
    return NULL;
  if (lk_export_mechanism (account, context, mechanisms) == NULL)
    {
      lk_export_fail_mechanism (&lk_exporter_mbsync, account, error);
      return NULL;
    }

  out = lk_export_header (&lk_exporter_mbsync, account, context, "# ", notes);
  g_string_append_printf (out, "\nIMAPAccount %s\n", name);
  g_string_append_printf (out, "Host %s\nPort %u\n", imap->host, imap->port);
  g_string_append_printf (out, "User %s\n", user);
  g_string_append_printf (out, "PassCmd %s\n", pass_cmd);
  g_string_append (out, "AuthMechs XOAUTH2\n");
  switch (imap->security)
    {
    case LK_SECURITY_TLS:
      g_string_append (out, "SSLType IMAPS\n");
      break;
    case LK_SECURITY_STARTTLS:
      g_string_append (out, "SSLType STARTTLS\n");
      break;
    case LK_SECURITY_NONE:
    default:
      g_string_append (out, "SSLType None\n");
      break;
    }
  if (account->provider->ca_file != NULL)
    {
      g_autofree char *ca = quoted (account->provider->ca_file);
      g_string_append_printf (out, "CertificateFile %s\n", ca);
    }
  g_string_append_printf (out, "\nIMAPStore %s-remote\nAccount %s\n", name, name);
  g_string_append_printf (out, "\nMaildirStore %s-local\n"
                               "Path %s\n"
                               "Inbox %sINBOX\n"
                               "SubFolders Verbatim\n", name, folder, folder);
  g_string_append_printf (out, "\nChannel %s\n"
                               "Far :%s-remote:\n"
                               "Near :%s-local:\n"
                               "Patterns *\n"
                               "Create Both\n"
                               "SyncState *\n", name, name, name);

  return lk_export_single (lk_exporter_mbsync.path, out);
}

/* mbsync(1): a section begins with its keyword and ends at an empty line
 * or the next section. */
static gboolean
starts_section (const LkExportLines *lines,
                guint                index)
{
  static const char * const keywords[] = {
    "IMAPAccount", "IMAPStore", "MaildirStore", "Channel", "Group", NULL
  };
  g_autofree char *word = lk_export_lines_word (lines, index, 0);

  for (guint i = 0; word != NULL && keywords[i] != NULL; i++)
    if (g_ascii_strcasecmp (word, keywords[i]) == 0)
      return TRUE;
  return FALSE;
}

static void
find_earlier (const LkExportLines *lines,
              const char          *slug,
              const char          *email,
              GArray              *spans)
{
  g_autofree char *remote = g_strdup_printf ("%s-remote", slug);
  g_autofree char *local = g_strdup_printf ("%s-local", slug);
  const struct { const char *keyword; const char *name; } sections[] = {
    { "IMAPAccount", slug }, { "IMAPStore", remote }, { "MaildirStore", local }, { "Channel", slug },
  };
  guint count = lk_export_lines_count (lines);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *word = lk_export_lines_word (lines, i, 0);
      g_autofree char *name = lk_export_lines_word (lines, i, 1);
      LkExportLineSpan span;
      guint end = i + 1;
      gboolean ours = FALSE;

      for (guint k = 0; k < G_N_ELEMENTS (sections) && word != NULL; k++)
        ours |= g_ascii_strcasecmp (word, sections[k].keyword) == 0 &&
                g_strcmp0 (name, sections[k].name) == 0;
      if (!ours)
        continue;
      while (end < count && !starts_section (lines, end) && !lk_export_lines_is_blank (lines, end))
        end++;
      span.first = lk_export_lines_header_start (lines, i, "#", "--client mbsync");
      span.last = lk_export_lines_trim_end (lines, i, end, "#");
      g_array_append_val (spans, span);
    }
}

static gboolean
add_steps (LkExportPlan               *plan,
           const LkExportApplyOptions *options,
           GError                    **error)
{
  g_autofree char *folder = maildir (plan->slug);
  g_autofree char *expanded = lk_export_expand_path (folder);
  g_autofree char *path = g_canonicalize_filename (expanded, NULL);   /* no trailing / */

  lk_export_plan_add_block (plan, NULL);
  lk_export_plan_add (plan, LK_EXPORT_STEP_FOLDER, path, NULL, NULL, NULL);
  return TRUE;
}

static const char * const programs[] = { "mbsync", NULL };
/* isync 1.5 also reads $XDG_CONFIG_HOME/isyncrc when there is no ~/.mbsyncrc. */
static const char * const config_files[] = { "~/.mbsyncrc", "$XDG_CONFIG_HOME/isyncrc", NULL };

static const LkExportApplier applier = {
  .programs = programs,
  .config_files = config_files,
  .comment = "# ",
  .find_earlier = find_earlier,
  .plan = add_steps,
  /* Translators: %s is the channel's name in mbsync's file */
  .done_hint = N_("Sync with “mbsync %s” (it needs the XOAUTH2 SASL plugin: on Debian and Ubuntu, libsasl2-modules-kdexoauth2)."),
};

const LkExporter lk_exporter_mbsync = {
  .id = "mbsync",
  .name = N_("mbsync (isync)"),
  .next_step = N_("Install libsasl2-modules-kdexoauth2, add the block to ~/.mbsyncrc, create its local folder (mkdir -p ~/Mail/CHANNEL/), then run “mbsync CHANNEL”."),
  .path = "~/.mbsyncrc",
  .is_block = TRUE,
  .include_hint = N_("Append this block to ~/.mbsyncrc with an empty line before it (or use it alone with mbsync -c FILE); mail goes to ~/Mail/CHANNEL/."),
  .protocols = LK_PROTOCOL_FLAG_IMAP,
  .uses_token_command = TRUE,
  .formats = NULL,
  .generate = generate,
  .applier = &applier,
};
