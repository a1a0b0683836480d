/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-export"
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-export-private.h"

/* aerc reads accounts.conf with go-ini: a bare value loses anything after
 * # or ; and one pair of outer quotes, but a value in triple double quotes
 * is taken as it is up to the last """. The *-cred-cmd run through sh -c. */

static const char * const mechanisms[] = { "OAUTHBEARER", "XOAUTH2", NULL };
static const char * const formats[] = { "xoauth2", "oauthbearer", NULL };

/* go-ini has no escape: a value holding """ cannot be written at all. */
static gboolean
add_value (GString    *out,
           const char *key,
           const char *value,
           const char *what,
           GError    **error)
{
  gboolean bare = *value != '\0' && !g_ascii_isspace (*value) &&
                  !g_ascii_isspace (value[strlen (value) - 1]) &&
                  strpbrk (value, "#;\"'`\\") == NULL;

  if (strstr (value, "\"\"\"") != NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("The %s holds three double quotes in a row, which aerc’s "
                     "accounts.conf cannot hold; choose another client."), what);
      return FALSE;
    }
  g_string_append_printf (out, bare ? "%s = %s\n" : "%s = \"\"\"%s\"\"\"\n", key, value);
  return TRUE;
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

  g_autofree char *host = lk_export_url_host (server->host);

  return g_strdup_printf ("%s%s+%s://%s@%s:%u", scheme, tls, lower, escaped,
                          host, server->port);
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

  out = g_string_new (NULL);
  {
    g_autoptr(GString) header = lk_export_header (&lk_exporter_aerc, account, context, "# ", notes);
    g_autofree char *source = url ("imap", mechanism, user, lk_export_server (account, LK_PROTOCOL_IMAP));
    g_autofree char *outgoing = (protocols & LK_PROTOCOL_FLAG_SMTP)
      ? url ("smtp", mechanism, user, lk_export_server (account, LK_PROTOCOL_SMTP)) : NULL;
    g_autofree char *section = g_strdup_printf ("\n[%s]\n", name);

    g_string_append (out, header->str);
    g_string_append (out, section);
    if (!add_value (out, "source", source, _("address"), error) ||
        !add_value (out, "source-cred-cmd", command, _("token command"), error) ||
        (outgoing != NULL &&
         (!add_value (out, "outgoing", outgoing, _("address"), error) ||
          !add_value (out, "outgoing-cred-cmd", command, _("token command"), error))) ||
        !add_value (out, "from", account->email, _("address"), error) ||
        !add_value (out, "default", "INBOX", "default", error))
      {
        g_string_free (out, TRUE);
        return NULL;
      }
  }

  return lk_export_single (lk_exporter_aerc.path, out);
}

/* go-ini: a section runs from its "[NAME]" line to the next "[" line. */
static gboolean
is_section (const LkExportLines *lines,
            guint                index)
{
  g_autofree char *word = lk_export_lines_word (lines, index, 0);

  return word != NULL && word[0] == '[';
}

static void
find_earlier (const LkExportLines *lines,
              const char          *slug,
              const char          *email,
              GArray              *spans)
{
  g_autofree char *header = g_strdup_printf ("[%s]", slug);
  guint count = lk_export_lines_count (lines);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *word = lk_export_lines_word (lines, i, 0);
      LkExportLineSpan span;
      guint end = i + 1;

      if (g_strcmp0 (word, header) != 0)
        continue;
      while (end < count && !is_section (lines, end))
        end++;
      span.first = lk_export_lines_header_start (lines, i, "#", "--client aerc");
      span.last = lk_export_lines_trim_end (lines, i, end, "#");
      g_array_append_val (spans, span);
    }
}

static const char * const programs[] = { "aerc", NULL };
static const char * const config_files[] = { "$XDG_CONFIG_HOME/aerc/accounts.conf", NULL };

static const LkExportApplier applier = {
  .programs = programs,
  .config_files = config_files,
  .comment = "# ",
  .find_earlier = find_earlier,
  /* Translators: %s is the account's name (its tab) in aerc */
  .done_hint = N_("Start aerc; the account is its tab “%s”."),
};

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
  .applier = &applier,
};
