/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-export"
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-export-private.h"

/* OfflineIMAP3 reads its file with SafeConfigParser, so every % is written
 * %%. oauth2_access_token_eval is a Python expression: a subprocess call
 * with a list of Python string literals, no shell involved. */

static const char * const mechanisms[] = { "XOAUTH2", NULL };

static GPtrArray *
generate (LkAccount             *account,
          const LkExportContext *context,
          GError               **error)
{
  const LkServer *imap;
  g_autofree char *list = lk_export_python_list (context, FALSE);
  g_autofree char *expression = g_strdup_printf ("__import__('subprocess').check_output(%s).decode().strip()", list);
  g_autofree char *eval = lk_export_double_percent (expression);
  g_autofree char *user = lk_export_double_percent (lk_account_get_sasl_user (account));
  g_autofree char *name = lk_export_slug (account);
  GString *out;

  if (!lk_export_require (lk_export_protocols (&lk_exporter_offlineimap, account),
                          LK_PROTOCOL_FLAG_IMAP, &lk_exporter_offlineimap, error))
    return NULL;
  if (lk_export_mechanism (account, context, mechanisms) == NULL)
    {
      lk_export_fail_mechanism (&lk_exporter_offlineimap, account, error);
      return NULL;
    }
  imap = lk_export_server (account, LK_PROTOCOL_IMAP);

  out = lk_export_header (&lk_exporter_offlineimap, account, context, "# ", NULL);
  g_string_append_printf (out, "\n[general]\naccounts = %s\n", name);
  g_string_append_printf (out, "\n[Account %s]\nlocalrepository = %s-local\nremoterepository = %s-remote\n",
                          name, name, name);
  g_string_append_printf (out, "\n[Repository %s-local]\ntype = Maildir\nlocalfolders = ~/Mail/%s\n",
                          name, name);
  g_string_append_printf (out, "\n[Repository %s-remote]\ntype = IMAP\n", name);
  g_string_append_printf (out, "remotehost = %s\nremoteport = %u\n", imap->host, imap->port);
  g_string_append_printf (out, "remoteuser = %s\n", user);
  switch (imap->security)
    {
    case LK_SECURITY_TLS:
      g_string_append (out, "ssl = yes\n");
      break;
    case LK_SECURITY_STARTTLS:
      g_string_append (out, "ssl = no\nstarttls = yes\n");
      break;
    case LK_SECURITY_NONE:
    default:
      g_string_append (out, "ssl = no\nstarttls = no\n");
      break;
    }
  if (imap->security != LK_SECURITY_NONE)
    {
      g_autofree char *ca = account->provider->ca_file != NULL
        ? lk_export_double_percent (account->provider->ca_file) : g_strdup ("OS-DEFAULT");
      g_string_append_printf (out, "sslcacertfile = %s\n", ca);
    }
  g_string_append (out, "auth_mechanisms = XOAUTH2\n");
  g_string_append_printf (out, "oauth2_access_token_eval = %s\n", eval);

  return lk_export_single (lk_exporter_offlineimap.path, out);
}

const LkExporter lk_exporter_offlineimap = {
  .id = "offlineimap",
  .name = N_("OfflineIMAP"),
  .next_step = N_("Save it as ~/.offlineimaprc, then run “offlineimap”."),
  .path = "~/.offlineimaprc",
  .is_block = FALSE,
  .include_hint = NULL,
  .protocols = LK_PROTOCOL_FLAG_IMAP,
  .uses_token_command = TRUE,
  .formats = NULL,
  .generate = generate,
};
