/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-export"
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-export-private.h"
#include "lk-places.h"

/* fetchmail 6.5 and later sign in with "auth oauthbearer" (falling back to
 * XOAUTH2) or "auth xoauth2", reading the token from a passwordfile on each
 * poll; fetchmail 6.4 (Debian 12) has no OAuth at all. It cannot run a
 * command for the password: a preconnect command could refresh a token file
 * in the private runtime folder before each poll, but that leaves a token in
 * a file, which Latchkey never does on its own. So the line is written
 * commented out, with the header saying what enabling it means. Every string
 * is quoted (see quoted()); the server's name too, so that a host called
 * like a keyword ("via", "keep") stays a name. */

static const char * const mechanisms[] = { "OAUTHBEARER", "XOAUTH2", NULL };
static const char * const formats[] = { "xoauth2", "oauthbearer", NULL };

/* fetchmail's lexer ends a string at the first quote mark of its kind,
 * backslash or not, and turns \\ into \: a value goes in whichever quotes
 * it does not hold, backslashes doubled. One holding both kinds cannot be
 * written; NULL then. */
static char *
quoted (const char *text)
{
  g_autofree char *inner = lk_export_backslash (text, "\\");
  char quote = strchr (text, '"') == NULL ? '"' : '\'';

  if (strchr (text, quote) != NULL)
    return NULL;
  return g_strdup_printf ("%c%s%c", quote, inner, quote);
}

static GPtrArray *
generate (LkAccount             *account,
          const LkExportContext *context,
          GError               **error)
{
  LkProtocolFlags protocols = lk_export_protocols (&lk_exporter_fetchmail, account);
  LkProtocol protocol = (protocols & LK_PROTOCOL_FLAG_IMAP) ? LK_PROTOCOL_IMAP : LK_PROTOCOL_POP;
  const LkServer *server;
  const char *mechanism = lk_export_mechanism (account, context, mechanisms);
  g_autofree char *name = lk_export_slug (account);
  g_autofree char *command = lk_export_shell_command (context);
  g_autofree char *token_file = lk_places_build_path (LK_PLACE_RUNTIME, name, NULL);
  g_autofree char *token_dir = g_path_get_dirname (token_file);
  g_autofree char *q_dir = lk_export_shell_quote (token_dir);
  g_autofree char *q_file = lk_export_shell_quote (token_file);
  g_autofree char *preconnect = NULL;
  g_autofree char *lower = NULL;
  g_autofree char *host = NULL;
  g_autofree char *ca = NULL;
  g_autofree char *user = quoted (lk_account_get_sasl_user (account));
  g_autofree char *file = quoted (token_file);
  const char *notes[] = {
    _("For fetchmail 6.5 or later: fetchmail 6.4 has no OAuth2 and calls “auth” a syntax error."),
    _("fetchmail cannot ask for a token itself. The “preconnect” line below is commented out: enabled, it fetches a token before each poll into a file readable by you alone in your runtime folder (cleared when you log out). Latchkey never writes tokens to files on its own, so enabling it is your choice."),
    NULL
  };
  GString *out;

  if (!lk_export_require (protocols, LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_POP,
                          &lk_exporter_fetchmail, error))
    return NULL;
  if (mechanism == NULL)
    {
      lk_export_fail_mechanism (&lk_exporter_fetchmail, account, error);
      return NULL;
    }
  server = lk_export_server (account, protocol);
  lower = g_ascii_strdown (mechanism, -1);
  {
    g_autofree char *shell = g_strdup_printf ("umask 077 && mkdir -p %s && %s > %s",
                                              q_dir, command, q_file);
    preconnect = quoted (shell);
  }
  host = quoted (server->host);
  ca = account->provider->ca_file != NULL ? quoted (account->provider->ca_file) : NULL;
  {
    const struct { const char *what; gboolean ok; } values[] = {
      { _("address"), user != NULL },
      { _("token command"), preconnect != NULL },
      { "ca_file", account->provider->ca_file == NULL || ca != NULL },
    };

    for (guint i = 0; i < G_N_ELEMENTS (values); i++)
      if (!values[i].ok)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                       _("The %s holds both kinds of quote marks, which a fetchmailrc "
                         "cannot hold; choose another client."), values[i].what);
          return NULL;
        }
  }

  out = lk_export_header (&lk_exporter_fetchmail, account, context, "# ", notes);
  g_string_append_printf (out, "\npoll %s protocol %s port %u\n", host,
                          protocol == LK_PROTOCOL_IMAP ? "imap" : "pop3", server->port);
  g_string_append_printf (out, "  auth %s\n", lower);
  g_string_append_printf (out, "  user %s\n", user);
  g_string_append_printf (out, "  passwordfile %s\n", file);
  g_string_append_printf (out, "# preconnect %s\n", preconnect);
  switch (server->security)
    {
    case LK_SECURITY_TLS:
      g_string_append (out, "  ssl sslcertck\n");
      break;
    case LK_SECURITY_STARTTLS:
      g_string_append (out, "  sslproto \"TLS1.2+\" sslcertck\n");
      break;
    case LK_SECURITY_NONE:
    default:
      g_string_append (out, "  sslproto \"\"\n");
      break;
    }
  if (ca != NULL && server->security != LK_SECURITY_NONE)
    g_string_append_printf (out, "  sslcertfile %s\n", ca);
  g_string_append (out, "  keep\n");

  return lk_export_single (lk_exporter_fetchmail.path, out);
}

const LkExporter lk_exporter_fetchmail = {
  .id = "fetchmail",
  .name = N_("fetchmail"),
  .next_step = N_("Needs fetchmail 6.5 or later. Add the entry to ~/.fetchmailrc (mode 0600), then run “fetchmail”."),
  .path = "~/.fetchmailrc",
  .is_block = TRUE,
  .include_hint = N_("Append this entry to ~/.fetchmailrc; fetchmail refuses the file unless only you can read it."),
  .protocols = LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_POP,
  .uses_token_command = TRUE,
  .formats = formats,
  .generate = generate,
};
