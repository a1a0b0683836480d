/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-export"
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-export-private.h"

/* msmtp takes the rest of the line as the argument and only strips one pair
 * of enclosing double quotes: there is no escaping inside, so quoting always
 * is safe. passwordeval runs through the shell. "from" expands %U, %H, %C
 * and %M with no way to write a plain %, so an address with % gets no
 * "from" line and a note instead. */

static const char * const mechanisms[] = { "OAUTHBEARER", "XOAUTH2", NULL };
static const char * const formats[] = { "xoauth2", "oauthbearer", NULL };

static GPtrArray *
generate (LkAccount             *account,
          const LkExportContext *context,
          GError               **error)
{
  const LkServer *smtp = lk_export_server (account, LK_PROTOCOL_SMTP);
  const char *mechanism;
  g_autofree char *name = lk_export_slug (account);
  g_autofree char *command = lk_export_shell_command (context);
  gboolean has_percent = strchr (account->email, '%') != NULL;
  const char *notes[] = {
    has_percent ? _("No “from” line: msmtp would expand the % in this address; give the sender with msmtp -f instead.") : NULL,
    NULL
  };
  g_autofree char *lower = NULL;
  GString *out;

  if (!lk_export_require (lk_export_protocols (&lk_exporter_msmtp, account),
                          LK_PROTOCOL_FLAG_SMTP, &lk_exporter_msmtp, error))
    return NULL;
  mechanism = lk_export_mechanism (account, context, mechanisms);
  if (mechanism == NULL)
    {
      lk_export_fail_mechanism (&lk_exporter_msmtp, account, error);
      return NULL;
    }
  lower = g_ascii_strdown (mechanism, -1);

  out = lk_export_header (&lk_exporter_msmtp, account, context, "# ", notes);
  g_string_append_printf (out, "\naccount %s\n", name);
  g_string_append_printf (out, "host %s\nport %u\n", smtp->host, smtp->port);
  switch (smtp->security)
    {
    case LK_SECURITY_TLS:
      g_string_append (out, "tls on\ntls_starttls off\n");
      break;
    case LK_SECURITY_STARTTLS:
      g_string_append (out, "tls on\ntls_starttls on\n");
      break;
    case LK_SECURITY_NONE:
    default:
      g_string_append (out, "tls off\n");
      break;
    }
  if (account->provider->ca_file != NULL)
    g_string_append_printf (out, "tls_trust_file \"%s\"\n", account->provider->ca_file);
  g_string_append_printf (out, "auth %s\n", lower);
  g_string_append_printf (out, "user \"%s\"\n", lk_account_get_sasl_user (account));
  if (!has_percent)
    g_string_append_printf (out, "from \"%s\"\n", account->email);
  g_string_append_printf (out, "passwordeval \"%s\"\n", command);

  return lk_export_single (lk_exporter_msmtp.path, out);
}

/* An "account NAME" (or "account NAME : PARENT") line begins an account,
 * which runs until the next "account" or "defaults" line. */
static gboolean
starts_section (const LkExportLines *lines,
                guint                index)
{
  g_autofree char *word = lk_export_lines_word (lines, index, 0);

  return g_strcmp0 (word, "account") == 0 || g_strcmp0 (word, "defaults") == 0;
}

static void
find_earlier (const LkExportLines *lines,
              const char          *slug,
              const char          *email,
              GArray              *spans)
{
  guint count = lk_export_lines_count (lines);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *word = lk_export_lines_word (lines, i, 0);
      g_autofree char *name = lk_export_lines_word (lines, i, 1);
      LkExportLineSpan span;
      guint end = i + 1;

      if (g_strcmp0 (word, "account") != 0 || g_strcmp0 (name, slug) != 0)
        continue;
      while (end < count && !starts_section (lines, end))
        end++;
      span.first = lk_export_lines_header_start (lines, i, "#", "--client msmtp");
      span.last = lk_export_lines_trim_end (lines, i, end, "#");
      g_array_append_val (spans, span);
    }
}

static const char * const programs[] = { "msmtp", NULL };
/* msmtp(1): ~/.msmtprc, else $XDG_CONFIG_HOME/msmtp/config when it exists. */
static const char * const config_files[] = { "~/.msmtprc", "$XDG_CONFIG_HOME/msmtp/config", NULL };

static const LkExportApplier applier = {
  .programs = programs,
  .config_files = config_files,
  .comment = "# ",
  .find_earlier = find_earlier,
  /* Translators: %s is the account's name in msmtp's file */
  .done_hint = N_("Send with “msmtp -a %s”."),
};

const LkExporter lk_exporter_msmtp = {
  .id = "msmtp",
  .name = N_("msmtp"),
  .next_step = N_("Add the block to ~/.msmtprc, then send with “msmtp -a ACCOUNT”."),
  .path = "~/.msmtprc",
  .is_block = TRUE,
  .include_hint = N_("Append this block to ~/.msmtprc (or keep it in its own file and pass -C FILE); its account name is given on the “account” line."),
  .protocols = LK_PROTOCOL_FLAG_SMTP,
  .uses_token_command = TRUE,
  .formats = formats,
  .generate = generate,
  .applier = &applier,
};
