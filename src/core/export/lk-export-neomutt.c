/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-export"
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-export-private.h"
#include "lk-export-value.h"

/* In a muttrc double-quoted string a backslash escapes the next character,
 * and $VAR and `command` are expanded, so \ " $ ` are escaped. The
 * *_oauth_refresh_command then runs through the shell. NeoMutt's POP speaks
 * OAUTHBEARER only, IMAP and SMTP both mechanisms. */

static const char * const mechanisms[] = { "OAUTHBEARER", "XOAUTH2", NULL };
static const char * const pop_mechanisms[] = { "OAUTHBEARER", NULL };
static const char * const formats[] = { "xoauth2", "oauthbearer", NULL };

static char *
quoted (const char *text)
{
  g_autofree char *inner = lk_export_backslash (text, "\\\"$`");
  return g_strdup_printf ("\"%s\"", inner);
}

static void
add_set (GString    *out,
         const char *variable,
         const char *value)
{
  g_autofree char *text = quoted (value);
  g_string_append_printf (out, "set %s=%s\n", variable, text);
}

static char *
url (const char     *scheme,
     const char     *user,
     const LkServer *server)
{
  g_autofree char *escaped = user != NULL ? lk_export_uri_user (user) : NULL;
  g_autofree char *host = lk_export_url_host (server->host);

  return g_strdup_printf ("%s%s://%s%s%s:%u/", scheme,
                          server->security == LK_SECURITY_TLS ? "s" : "",
                          escaped != NULL ? escaped : "", escaped != NULL ? "@" : "",
                          host, server->port);
}

static GPtrArray *
generate (LkAccount             *account,
          const LkExportContext *context,
          GError               **error)
{
  LkProtocolFlags protocols = lk_export_protocols (&lk_exporter_neomutt, account);
  const char *user = lk_account_get_sasl_user (account);
  g_autofree char *command = lk_export_shell_command (context);
  const char *mechanism = lk_export_mechanism (account, context, mechanisms);
  const char *pop_mechanism = lk_export_mechanism (account, context, pop_mechanisms);
  g_autofree char *lower = NULL;
  g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func (g_free);
  gboolean use_imap, use_pop, use_smtp;
  gboolean any_tls = FALSE, any_plain = FALSE;
  GString *out;

  use_imap = (protocols & LK_PROTOCOL_FLAG_IMAP) && mechanism != NULL;
  use_pop = !use_imap && (protocols & LK_PROTOCOL_FLAG_POP) && pop_mechanism != NULL;
  use_smtp = (protocols & LK_PROTOCOL_FLAG_SMTP) && mechanism != NULL;

  if ((protocols & LK_PROTOCOL_FLAG_POP) && pop_mechanism == NULL)
    g_ptr_array_add (notes, g_strdup_printf (_("No POP here: NeoMutt’s POP signs in with OAUTHBEARER only, which %s does not offer (Microsoft Exchange offers XOAUTH2 only). Use IMAP instead."),
                                             account->provider->name));
  if (!use_imap && !use_pop && !use_smtp)
    {
      /* Found by the export fuzz target: a POP-only account of a provider
       * without OAUTHBEARER got here with no error set. */
      if ((mechanism == NULL && pop_mechanism == NULL) || (protocols & LK_PROTOCOL_FLAG_POP))
        lk_export_fail_mechanism (&lk_exporter_neomutt, account, error);
      else
        lk_export_require (protocols, LK_PROTOCOL_FLAG_ALL, &lk_exporter_neomutt, error);
      return NULL;
    }
  g_ptr_array_add (notes, NULL);

  out = lk_export_header (&lk_exporter_neomutt, account, context, "# ",
                          (const char * const *) notes->pdata);
  g_string_append_c (out, '\n');
  {
    g_autofree char *from = quoted (account->email);
    g_string_append_printf (out, "set from=%s\n", from);
  }

  if (mechanism != NULL)
    lower = g_ascii_strdown (mechanism, -1);

  if (use_imap)
    {
      const LkServer *imap = lk_export_server (account, LK_PROTOCOL_IMAP);
      g_autofree char *folder = url ("imap", NULL, imap);
      g_autofree char *spool = g_strconcat (folder, "INBOX", NULL);

      add_set (out, "imap_user", user);
      add_set (out, "folder", folder);
      add_set (out, "spoolfile", spool);
      add_set (out, "imap_authenticators", lower);
      add_set (out, "imap_oauth_refresh_command", command);
      any_tls |= imap->security != LK_SECURITY_NONE;
      any_plain |= imap->security == LK_SECURITY_NONE;
    }
  else if (use_pop)
    {
      const LkServer *pop = lk_export_server (account, LK_PROTOCOL_POP);
      g_autofree char *host = url ("pop", NULL, pop);

      add_set (out, "pop_user", user);
      add_set (out, "pop_host", host);
      add_set (out, "spoolfile", host);
      add_set (out, "pop_authenticators", "oauthbearer");
      add_set (out, "pop_oauth_refresh_command", command);
      any_tls |= pop->security != LK_SECURITY_NONE;
      any_plain |= pop->security == LK_SECURITY_NONE;
    }

  if (use_smtp)
    {
      const LkServer *smtp = lk_export_server (account, LK_PROTOCOL_SMTP);
      g_autofree char *smtp_url = url ("smtp", user, smtp);

      add_set (out, "smtp_url", smtp_url);
      add_set (out, "smtp_authenticators", lower);
      add_set (out, "smtp_oauth_refresh_command", command);
      any_tls |= smtp->security != LK_SECURITY_NONE;
      any_plain |= smtp->security == LK_SECURITY_NONE;
    }

  /* STARTTLS is required, never optional, unless a server is loopback without TLS. */
  g_string_append_printf (out, "set ssl_starttls=yes\nset ssl_force_tls=%s\n",
                          any_plain ? "no" : "yes");
  if (account->provider->ca_file != NULL && any_tls)
    add_set (out, "ssl_ca_certificates_file", account->provider->ca_file);

  return lk_export_single (lk_exporter_neomutt.path, out);
}

/* Setting NeoMutt up: the account's settings go into a file of their own,
 * which Latchkey replaces whole, and the muttrc gets one "source" line for
 * it between Latchkey's markers. A muttrc is a person's own, often long,
 * file: one readable line per account keeps it theirs, where a dozen "set"
 * lines per account would bury it. NeoMutt has one set of settings at a
 * time, so the account sourced last is the one it opens. */

static char *
account_file (const char *slug)
{
  return g_strdup_printf ("$XDG_CONFIG_HOME/neomutt/latchkey/%s.neomuttrc", slug);
}

/* Blocks written before: the exported block pasted into the muttrc (its
 * header names the address and the client, then "set" lines follow up to
 * an empty line), and a "source" line of the account's file. */
static void
find_earlier (const LkExportLines *lines,
              const char          *slug,
              const char          *email,
              GArray              *spans)
{
  g_autofree char *address = lk_export_shell_quote (email);
  g_autofree char *needle = g_strdup_printf ("latchkey-cli export %s --client neomutt", address);
  g_autofree char *file = g_strdup_printf ("latchkey/%s.neomuttrc", slug);
  guint count = lk_export_lines_count (lines);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *word = lk_export_lines_word (lines, i, 0);
      LkExportLineSpan span = { i, i + 1 };

      if (g_strcmp0 (word, "source") == 0 && lk_export_lines_contains (lines, i, file))
        {
          g_array_append_val (spans, span);
          continue;
        }
      if (!lk_export_lines_is_comment (lines, i, "#") || !lk_export_lines_contains (lines, i, needle))
        continue;
      while (span.first > 0 && lk_export_lines_is_comment (lines, span.first - 1, "#"))
        span.first--;
      span.last = i + 1;
      while (span.last < count && lk_export_lines_is_comment (lines, span.last, "#"))
        span.last++;
      while (span.last < count && lk_export_lines_is_blank (lines, span.last))
        span.last++;
      while (span.last < count && !lk_export_lines_is_blank (lines, span.last))
        span.last++;
      g_array_append_val (spans, span);
      i = span.last - 1;
    }
}

static gboolean
add_steps (LkExportPlan               *plan,
           const LkExportApplyOptions *options,
           GError                    **error)
{
  g_autofree char *own = account_file (plan->slug);
  g_autofree char *path = lk_export_expand_path (own);
  const char *home = g_get_home_dir ();
  g_autofree char *shown = NULL;
  g_autofree char *quoted_path = NULL;
  g_autofree char *block = NULL;

  /* "~/…" when it is in the home folder: what a person would write. */
  if (g_str_has_prefix (path, home) && path[strlen (home)] == '/')
    shown = g_strconcat ("~", path + strlen (home), NULL);
  else
    shown = g_strdup (path);
  if (!lk_export_value_check (_("file name"), shown, error))
    return FALSE;
  quoted_path = quoted (shown);
  block = g_strdup_printf ("# %s\nsource %s\n",
                           _("Latchkey keeps this account’s NeoMutt settings in their own file. "
                             "NeoMutt opens the account whose file is sourced last."),
                           quoted_path);

  lk_export_plan_add (plan, LK_EXPORT_STEP_FILE, path,
                      ((LkExportFile *) plan->files->pdata[0])->contents, NULL, NULL);
  lk_export_plan_add_block (plan, block);
  return TRUE;
}

static const char * const programs[] = { "neomutt", NULL };
/* The order NeoMutt 20220429 looks for its file in. */
static const char * const config_files[] = {
  "$XDG_CONFIG_HOME/neomutt/neomuttrc", "$XDG_CONFIG_HOME/neomutt/muttrc",
  "$XDG_CONFIG_HOME/mutt/neomuttrc", "$XDG_CONFIG_HOME/mutt/muttrc",
  "~/.neomutt/neomuttrc", "~/.neomutt/muttrc", "~/.mutt/neomuttrc", "~/.mutt/muttrc",
  "~/.neomuttrc", "~/.muttrc", NULL
};

static const LkExportApplier applier = {
  .programs = programs,
  .config_files = config_files,
  .comment = "# ",
  .find_earlier = find_earlier,
  .plan = add_steps,
  .done_hint = NULL,
};

const LkExporter lk_exporter_neomutt = {
  .id = "neomutt",
  .name = N_("NeoMutt"),
  .next_step = N_("Save it as its own file and add “source FILE” to your neomuttrc."),
  .path = "~/.config/neomutt/neomuttrc",
  .is_block = TRUE,
  .include_hint = N_("Save this block as its own file (say ~/.config/neomutt/latchkey.rc) and add “source ~/.config/neomutt/latchkey.rc” to neomuttrc, or append it."),
  .protocols = LK_PROTOCOL_FLAG_ALL,
  .uses_token_command = TRUE,
  .formats = formats,
  .generate = generate,
  .applier = &applier,
};
