/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-export"
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-export-private.h"

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
    _("For a new profile: the last lines set Thunderbird’s list of accounts and SMTP servers; with accounts already there, add these ids to those lists instead."),
    _("Put it in the profile folder as user.js while Thunderbird is closed; once the account appears, it may be deleted."),
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
};
