/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-export"
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-export-private.h"

/* Plain text for any other client: what to type into its settings. */

static const char * const mechanisms[] = { "OAUTHBEARER", "XOAUTH2", NULL };

static const char *
security_name (LkSecurity security)
{
  return security == LK_SECURITY_TLS ? _("TLS (SSL)")
       : security == LK_SECURITY_STARTTLS ? _("STARTTLS") : _("none (loopback only)");
}

static GPtrArray *
generate (LkAccount             *account,
          const LkExportContext *context,
          GError               **error)
{
  LkProtocolFlags protocols = lk_export_protocols (&lk_exporter_summary, account);
  const char *mechanism = lk_export_mechanism (account, context, mechanisms);
  g_autofree char *command = lk_export_shell_command (context);
  GString *out;

  if (!lk_export_require (protocols, LK_PROTOCOL_FLAG_ALL, &lk_exporter_summary, error))
    return NULL;

  out = lk_export_header (&lk_exporter_summary, account, context, "# ", NULL);
  g_string_append_c (out, '\n');
  for (LkProtocol p = LK_PROTOCOL_IMAP; p <= LK_PROTOCOL_SMTP; p++)
    {
      const LkServer *server;

      if (!(protocols & (1 << p)))
        continue;
      server = lk_export_server (account, p);
      g_string_append_printf (out, "%s: %s  %s %u  %s %s\n",
                              lk_protocol_to_string (p), server->host,
                              _("port"), server->port,
                              _("security"), security_name (server->security));
    }
  g_string_append_printf (out, "%s: %s\n", _("User name"), lk_account_get_sasl_user (account));
  if (account->login != NULL && g_strcmp0 (account->login, account->email) != 0)
    g_string_append_printf (out, "%s: %s\n", _("Signs in as"), account->login);
  g_string_append_printf (out, "%s: %s\n", _("Mechanism"),
                          mechanism != NULL ? mechanism : account->provider->sasl[0]);
  g_string_append_printf (out, "%s: %s\n", _("Password command"), command);
  if (account->provider->ca_file != NULL)
    g_string_append_printf (out, "%s: %s\n", _("Certificate authority"), account->provider->ca_file);

  return lk_export_single (lk_exporter_summary.path, out);
}

const LkExporter lk_exporter_summary = {
  .id = "summary",
  .name = N_("Summary"),
  .next_step = N_("Type these settings into your mail client; give it the password command where it takes one."),
  .path = "latchkey-summary.txt",
  .is_block = FALSE,
  .include_hint = NULL,
  .protocols = LK_PROTOCOL_FLAG_ALL,
  .uses_token_command = TRUE,
  .formats = NULL,
  .generate = generate,
};
