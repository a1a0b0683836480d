/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-export"
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-export-private.h"

/* aerc reads accounts.conf with go-ini: a bare value loses anything after
 * # or ; and one pair of outer quotes, but a value in triple double quotes
 * is taken as it is up to the last """. The *-cred-cmd run through sh -c. */

static const char * const mechanisms[] = { "OAUTHBEARER", "XOAUTH2", NULL };
static const char * const formats[] = { "xoauth2", "oauthbearer", NULL };

static void
add_value (GString    *out,
           const char *key,
           const char *value)
{
  gboolean bare = *value != '\0' && !g_ascii_isspace (*value) &&
                  !g_ascii_isspace (value[strlen (value) - 1]) &&
                  strpbrk (value, "#;\"'`\\") == NULL;

  g_string_append_printf (out, bare ? "%s = %s\n" : "%s = \"\"\"%s\"\"\"\n", key, value);
}

static char *
url (const char     *scheme,
     const char     *mechanism,
     const char     *user,
     const LkServer *server)
{
  g_autofree char *escaped = lk_export_uri_user (user);
  g_autofree char *lower = g_ascii_strdown (mechanism, -1);
  const char *tls = server->security == LK_SECURITY_TLS ? "s"
                  : server->security == LK_SECURITY_NONE ? "+insecure" : "";

  return g_strdup_printf ("%s%s+%s://%s@%s:%u", scheme, tls, lower, escaped,
                          server->host, server->port);
}

static GPtrArray *
generate (LkAccount             *account,
          const LkExportContext *context,
          GError               **error)
{
  LkProtocolFlags protocols = lk_export_protocols (&lk_exporter_aerc, account);
  const char *mechanism = lk_export_mechanism (account, context, mechanisms);
  const char *user = lk_account_get_sasl_user (account);
  g_autofree char *name = lk_export_slug (account);
  g_autofree char *command = lk_export_shell_command (context);
  g_autofree char *ca_note = NULL;
  const char *notes[2] = { NULL, NULL };
  GString *out;

  if (!lk_export_require (protocols, LK_PROTOCOL_FLAG_IMAP, &lk_exporter_aerc, error))
    return NULL;
  if (mechanism == NULL)
    {
      lk_export_fail_mechanism (&lk_exporter_aerc, account, error);
      return NULL;
    }
  if (account->provider->ca_file != NULL)
    {
      ca_note = g_strdup_printf (_("aerc has no option for an extra certificate authority: start it with SSL_CERT_FILE=%s."),
                                 account->provider->ca_file);
      notes[0] = ca_note;
    }

  out = lk_export_header (&lk_exporter_aerc, account, context, "# ", notes);
  g_string_append_printf (out, "\n[%s]\n", name);
  {
    g_autofree char *source = url ("imap", mechanism, user, lk_export_server (account, LK_PROTOCOL_IMAP));
    add_value (out, "source", source);
    add_value (out, "source-cred-cmd", command);
  }
  if (protocols & LK_PROTOCOL_FLAG_SMTP)
    {
      g_autofree char *outgoing = url ("smtp", mechanism, user, lk_export_server (account, LK_PROTOCOL_SMTP));
      add_value (out, "outgoing", outgoing);
      add_value (out, "outgoing-cred-cmd", command);
    }
  add_value (out, "from", account->email);
  add_value (out, "default", "INBOX");

  return lk_export_single (lk_exporter_aerc.path, out);
}

const LkExporter lk_exporter_aerc = {
  .id = "aerc",
  .name = N_("aerc"),
  .next_step = N_("Add the section to ~/.config/aerc/accounts.conf (mode 0600), then start aerc."),
  .path = "~/.config/aerc/accounts.conf",
  .is_block = TRUE,
  .include_hint = N_("Append this section to ~/.config/aerc/accounts.conf; aerc wants that file readable by you alone."),
  .protocols = LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_SMTP,
  .uses_token_command = TRUE,
  .formats = formats,
  .generate = generate,
};
