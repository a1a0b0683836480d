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
  g_autofree char *mkdir = g_strdup_printf (_("Create the local folder before the first run: mkdir -p ~/Mail/%s/"),
                                            name);
  const char *notes[] = {
    _("mbsync needs the XOAUTH2 SASL plugin: on Debian and Ubuntu, install libsasl2-modules-kdexoauth2."),
    mkdir,
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
                               "Path ~/Mail/%s/\n"
                               "Inbox ~/Mail/%s/INBOX\n"
                               "SubFolders Verbatim\n", name, name, name);
  g_string_append_printf (out, "\nChannel %s\n"
                               "Far :%s-remote:\n"
                               "Near :%s-local:\n"
                               "Patterns *\n"
                               "Create Both\n"
                               "SyncState *\n", name, name, name);

  return lk_export_single (lk_exporter_mbsync.path, out);
}

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
};
