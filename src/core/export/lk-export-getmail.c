/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-export"
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-export-private.h"

/* getmail6 reads getmailrc with RawConfigParser (no % interpolation) and
 * eval()s password_command as a Python tuple, which it then runs without a
 * shell. Its use_xoauth2 works over IMAP only (6.18, Debian 12). */

static const char * const mechanisms[] = { "XOAUTH2", NULL };

static GPtrArray *
generate (LkAccount             *account,
          const LkExportContext *context,
          GError               **error)
{
  const LkServer *imap;
  g_autofree char *tuple = lk_export_python_list (context, TRUE);
  g_autofree char *name = lk_export_slug (account);
  GString *out;

  if (!lk_export_require (lk_export_protocols (&lk_exporter_getmail, account),
                          LK_PROTOCOL_FLAG_IMAP, &lk_exporter_getmail, error))
    return NULL;
  if (lk_export_mechanism (account, context, mechanisms) == NULL)
    {
      lk_export_fail_mechanism (&lk_exporter_getmail, account, error);
      return NULL;
    }
  imap = lk_export_server (account, LK_PROTOCOL_IMAP);
  if (imap->security == LK_SECURITY_STARTTLS)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("getmail6 cannot use STARTTLS for IMAP, which %s needs; choose another client."),
                   account->provider->name);
      return NULL;
    }

  out = lk_export_header (&lk_exporter_getmail, account, context, "# ", NULL);
  g_string_append_printf (out, "\n[retriever]\ntype = %s\n",
                          imap->security == LK_SECURITY_TLS ? "SimpleIMAPSSLRetriever" : "SimpleIMAPRetriever");
  g_string_append_printf (out, "server = %s\nport = %u\n", imap->host, imap->port);
  g_string_append_printf (out, "username = %s\n", lk_account_get_sasl_user (account));
  g_string_append (out, "use_xoauth2 = True\n");
  g_string_append_printf (out, "password_command = %s\n", tuple);
  if (account->provider->ca_file != NULL)
    g_string_append_printf (out, "ca_certs = %s\n", account->provider->ca_file);
  g_string_append (out, "mailboxes = (\"INBOX\",)\n");
  g_string_append_printf (out, "\n[destination]\ntype = Maildir\npath = ~/Mail/%s/\n", name);
  g_string_append (out, "\n[options]\nread_all = false\ndelete = false\n");

  return lk_export_single (lk_exporter_getmail.path, out);
}

const LkExporter lk_exporter_getmail = {
  .id = "getmail",
  .name = N_("getmail6"),
  .next_step = N_("Create the Maildir it names (mkdir -p DIR/{cur,new,tmp}), then run “getmail”."),
  .path = "~/.config/getmail/getmailrc",
  .is_block = FALSE,
  .include_hint = NULL,
  .protocols = LK_PROTOCOL_FLAG_IMAP,
  .uses_token_command = TRUE,
  .formats = NULL,
  .generate = generate,
};
