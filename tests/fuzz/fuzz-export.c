/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include <string.h>

#include "export/lk-exporter.h"
#include "lk-fuzz.h"
#include "providers/lk-provider.h"

/* A provider profile (as an organisation hands it out) exported for every
 * client (issue #19 §1). Whatever a profile holds, each file must read, in
 * its client's own syntax, as exactly the values that went in: the hosts,
 * the address (made from the profile's first domain), the display name
 * (its notes) and the CA file; no line may be a command the exporter did
 * not write. An exporter may refuse a value, with an error; it may never
 * write one its client would read as something else. */

typedef struct
{
  const char *email;
  const char *display_name;
  const char *ca_file;
  const char *imap_host;
  const char *pop_host;
  const char *smtp_host;
} Want;

#define CHECK(cond, client, line) \
  G_STMT_START { \
    if (!(cond)) \
      g_error ("%s: %s does not read as written: %s", client, #cond, line); \
  } G_STMT_END

static gboolean
in (const char         *word,
    const char * const *set)
{
  return g_strv_contains (set, word);
}

/* ---- msmtp: "command argument", the argument being the rest of the line
 * with one pair of enclosing double quotes stripped and nothing escaped. */
static void
check_msmtp (const char *text,
             const Want *want)
{
  static const char * const known[] = { "account", "host", "port", "tls", "tls_starttls",
                                        "tls_trust_file", "auth", "user", "from",
                                        "passwordeval", NULL };
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      g_autofree char *command = NULL;
      g_autofree char *arg = NULL;
      const char *space;
      gsize len;

      if (*line == '\0' || *line == '#')
        continue;
      space = strchr (line, ' ');
      CHECK (space != NULL, "msmtp", line);
      command = g_strndup (line, space - line);
      arg = g_strdup (space + 1);
      len = strlen (arg);
      if (len >= 2 && arg[0] == '"' && arg[len - 1] == '"')
        {
          arg[len - 1] = '\0';
          memmove (arg, arg + 1, len - 1);
        }
      CHECK (in (command, known), "msmtp", line);
      if (g_str_equal (command, "host"))
        CHECK (g_strcmp0 (arg, want->smtp_host) == 0, "msmtp", line);
      else if (g_str_equal (command, "user") || g_str_equal (command, "from"))
        CHECK (g_str_equal (arg, want->email), "msmtp", line);
      else if (g_str_equal (command, "tls_trust_file"))
        CHECK (g_strcmp0 (arg, want->ca_file) == 0, "msmtp", line);
    }
}

/* ---- mbsync: isync's get_arg(): a backslash escapes the next character,
 * double quotes group, blanks separate. */
static GPtrArray *
mbsync_args (const char *line)
{
  GPtrArray *args = g_ptr_array_new_with_free_func (g_free);
  GString *cur = NULL;
  gboolean quoted = FALSE;

  for (const char *p = line; *p != '\0'; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        {
          if (cur == NULL)
            cur = g_string_new (NULL);
          g_string_append_c (cur, *++p);
        }
      else if (*p == '"')
        {
          if (cur == NULL)
            cur = g_string_new (NULL);
          quoted = !quoted;
        }
      else if (!quoted && g_ascii_isspace (*p))
        {
          if (cur != NULL)
            g_ptr_array_add (args, g_string_free (g_steal_pointer (&cur), FALSE));
        }
      else
        {
          if (cur == NULL)
            cur = g_string_new (NULL);
          g_string_append_c (cur, *p);
        }
    }
  if (cur != NULL)
    g_ptr_array_add (args, g_string_free (cur, FALSE));
  return args;
}

static void
check_mbsync (const char *text,
              const Want *want)
{
  static const char * const known[] = { "IMAPAccount", "Host", "Port", "User", "PassCmd",
                                        "AuthMechs", "SSLType", "CertificateFile",
                                        "IMAPStore", "Account", "MaildirStore", "Path",
                                        "Inbox", "SubFolders", "Channel", "Far", "Near",
                                        "Patterns", "Create", "SyncState", NULL };
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) args = NULL;
      const char *key;

      if (*lines[i] == '#' || *lines[i] == '\0')
        continue;
      args = mbsync_args (lines[i]);
      CHECK (args->len >= 2, "mbsync", lines[i]);
      key = args->pdata[0];
      CHECK (in (key, known), "mbsync", lines[i]);
      if (g_str_equal (key, "Host"))
        CHECK (args->len == 2 && g_strcmp0 (args->pdata[1], want->imap_host) == 0, "mbsync", lines[i]);
      else if (g_str_equal (key, "User"))
        CHECK (args->len == 2 && g_str_equal (args->pdata[1], want->email), "mbsync", lines[i]);
      else if (g_str_equal (key, "CertificateFile"))
        CHECK (args->len == 2 && g_strcmp0 (args->pdata[1], want->ca_file) == 0, "mbsync", lines[i]);
      else if (g_str_equal (key, "PassCmd"))
        CHECK (args->len == 2, "mbsync", lines[i]);
    }
}

/* ---- NeoMutt: set VAR="…", a backslash escaping the next character; an
 * unescaped $ or ` would be expanded, an unescaped " ends the string. */
static void
check_neomutt (const char *text,
               const Want *want)
{
  static const char * const known[] = { "from", "imap_user", "folder", "spoolfile",
                                        "imap_authenticators", "imap_oauth_refresh_command",
                                        "pop_user", "pop_host", "pop_authenticators",
                                        "pop_oauth_refresh_command", "smtp_url",
                                        "smtp_authenticators", "smtp_oauth_refresh_command",
                                        "ssl_starttls", "ssl_force_tls",
                                        "ssl_ca_certificates_file", NULL };
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *eq;
      g_autofree char *var = NULL;
      g_autoptr(GString) value = g_string_new (NULL);
      const char *p;

      if (*line == '#' || *line == '\0')
        continue;
      CHECK (g_str_has_prefix (line, "set "), "neomutt", line);
      eq = strchr (line, '=');
      CHECK (eq != NULL, "neomutt", line);
      var = g_strndup (line + 4, eq - line - 4);
      CHECK (in (var, known), "neomutt", line);
      p = eq + 1;
      if (*p != '"')
        {
          CHECK (g_str_equal (p, "yes") || g_str_equal (p, "no"), "neomutt", line);
          continue;
        }
      for (p++; *p != '\0' && *p != '"'; p++)
        {
          CHECK (*p != '$' && *p != '`', "neomutt", line);
          if (*p == '\\')
            p++;
          CHECK (*p != '\0', "neomutt", line);
          g_string_append_c (value, *p);
        }
      CHECK (*p == '"' && p[1] == '\0', "neomutt", line);
      if (g_str_equal (var, "from") || g_str_equal (var, "imap_user") ||
          g_str_equal (var, "pop_user"))
        CHECK (g_str_equal (value->str, want->email), "neomutt", line);
      else if (g_str_equal (var, "ssl_ca_certificates_file"))
        CHECK (g_strcmp0 (value->str, want->ca_file) == 0, "neomutt", line);
    }
}

/* ---- INI files: "[section]", "key = value"; @percent: ConfigParser's
 * interpolation, %% for %. Returns the value of @key in the last section. */
static void
check_ini (const char         *client,
           const char         *text,
           gboolean            percent,
           const char * const *known,
           const char * const *checks)  /* key, want, key, want, …, NULL */
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *eq;
      g_autofree char *key = NULL;
      g_autofree char *value = NULL;

      if (*line == '#' || *line == '\0')
        continue;
      if (*line == '[')
        {
          CHECK (g_str_has_suffix (line, "]") && strchr (line + 1, '[') == NULL, client, line);
          continue;
        }
      eq = strstr (line, " = ");
      CHECK (eq != NULL && !g_ascii_isspace (*line), client, line);
      key = g_strndup (line, eq - line);
      CHECK (in (key, known), client, line);
      if (percent)
        {
          g_auto(GStrv) parts = g_strsplit (eq + 3, "%%", -1);

          for (guint j = 0; parts[j] != NULL; j++)
            CHECK (strchr (parts[j], '%') == NULL, client, line);
          value = g_strjoinv ("%", parts);
        }
      else
        value = g_strdup (eq + 3);
      for (guint j = 0; checks[j] != NULL; j += 2)
        if (g_str_equal (key, checks[j]))
          CHECK (g_strcmp0 (value, checks[j + 1]) == 0, client, line);
    }
}

static void
check_offlineimap (const char *text,
                   const Want *want)
{
  static const char * const known[] = { "accounts", "localrepository", "remoterepository",
                                        "type", "localfolders", "remotehost", "remoteport",
                                        "remoteuser", "ssl", "starttls", "sslcacertfile",
                                        "auth_mechanisms", "oauth2_access_token_eval", NULL };
  const char *checks[] = { "remotehost", want->imap_host, "remoteuser", want->email,
                           want->ca_file != NULL ? "sslcacertfile" : NULL, want->ca_file, NULL };

  check_ini ("offlineimap", text, TRUE, known, checks);
}

static void
check_getmail (const char *text,
               const Want *want)
{
  static const char * const known[] = { "type", "server", "port", "username", "use_xoauth2",
                                        "password_command", "ca_certs", "mailboxes", "path",
                                        "read_all", "delete", NULL };
  const char *checks[] = { "server", want->imap_host, "username", want->email,
                           want->ca_file != NULL ? "ca_certs" : NULL, want->ca_file, NULL };

  check_ini ("getmail", text, FALSE, known, checks);
}

/* ---- aerc (go-ini): a bare value, or one in """…""" taken as it is. */
static void
check_aerc (const char *text,
            const Want *want)
{
  static const char * const known[] = { "source", "source-cred-cmd", "outgoing",
                                        "outgoing-cred-cmd", "from", "default", NULL };
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *eq;
      g_autofree char *key = NULL;
      g_autofree char *value = NULL;
      const char *raw;

      if (*line == '#' || *line == '\0' || *line == '[')
        continue;
      eq = strstr (line, " = ");
      CHECK (eq != NULL, "aerc", line);
      key = g_strndup (line, eq - line);
      CHECK (in (key, known), "aerc", line);
      raw = eq + 3;
      if (g_str_has_prefix (raw, "\"\"\""))
        {
          CHECK (g_str_has_suffix (raw, "\"\"\"") && strlen (raw) >= 6, "aerc", line);
          value = g_strndup (raw + 3, strlen (raw) - 6);
          CHECK (strstr (value, "\"\"\"") == NULL, "aerc", line);
        }
      else
        {
          CHECK (strpbrk (raw, "#;\"'`\\") == NULL, "aerc", line);
          value = g_strdup (raw);
        }
      if (g_str_equal (key, "from"))
        CHECK (g_str_equal (value, want->email), "aerc", line);
      else if (g_str_equal (key, "source"))
        CHECK (want->imap_host != NULL && strstr (value, want->imap_host) != NULL, "aerc", line);
    }
}

/* ---- fetchmail's lexer: a string ends at the first quote of its kind,
 * escaped or not, and \\ stands for \; '#' starts a comment elsewhere. */
static GPtrArray *
fetchmail_tokens (const char *text)
{
  GPtrArray *tokens = g_ptr_array_new_with_free_func (g_free);

  for (const char *p = text; *p != '\0';)
    {
      if (g_ascii_isspace (*p))
        p++;
      else if (*p == '#')
        p += strcspn (p, "\n");
      else if (*p == '"' || *p == '\'')
        {
          char quote = *p++;
          GString *s = g_string_new (NULL);

          while (*p != '\0' && *p != quote)
            {
              if (p[0] == '\\' && p[1] == '\\')
                p++;
              g_string_append_c (s, *p++);
            }
          CHECK (*p == quote, "fetchmail", text);
          p++;
          g_ptr_array_add (tokens, g_string_free (s, FALSE));
        }
      else
        {
          gsize n = strcspn (p, " \t\n\"'#");
          g_ptr_array_add (tokens, g_strndup (p, n));
          p += n;
        }
    }
  return tokens;
}

static void
check_fetchmail (const char *text,
                 const Want *want)
{
  g_autoptr(GPtrArray) tokens = fetchmail_tokens (text);
  gboolean seen_user = FALSE;

  CHECK (tokens->len >= 2 && g_str_equal (tokens->pdata[0], "poll"), "fetchmail", text);
  for (guint i = 0; i + 1 < tokens->len; i++)
    {
      const char *word = tokens->pdata[i];
      const char *next = tokens->pdata[i + 1];

      if (g_str_equal (word, "poll"))
        CHECK (g_strcmp0 (next, want->imap_host) == 0 || g_strcmp0 (next, want->pop_host) == 0,
               "fetchmail", text);
      else if (g_str_equal (word, "user"))
        {
          CHECK (g_str_equal (next, want->email), "fetchmail", text);
          seen_user = TRUE;
        }
      else if (g_str_equal (word, "sslcertfile"))
        CHECK (g_strcmp0 (next, want->ca_file) == 0, "fetchmail", text);
    }
  CHECK (seen_user, "fetchmail", text);
}

/* ---- Thunderbird user.js: user_pref("key", "JS string" | integer); */
static void
check_thunderbird (const char *text,
                   const Want *want)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      g_autoptr(GString) value = g_string_new (NULL);
      const char *p;
      g_autofree char *key = NULL;

      if (*line == '\0' || g_str_has_prefix (line, "//"))
        continue;
      CHECK (g_str_has_prefix (line, "user_pref(\""), "thunderbird", line);
      p = line + strlen ("user_pref(\"");
      key = g_strndup (p, strcspn (p, "\""));
      p += strlen (key);
      CHECK (g_str_has_prefix (p, "\", "), "thunderbird", line);
      p += 3;
      if (*p != '"')
        continue;   /* an integer or true */
      for (p++; *p != '\0' && *p != '"'; p++)
        {
          if (*p == '\\')
            p++;
          CHECK (*p != '\0', "thunderbird", line);
          g_string_append_c (value, *p);
        }
      CHECK (g_str_equal (p, "\");"), "thunderbird", line);
      if (g_str_has_suffix (key, ".userName") || g_str_has_suffix (key, ".username") ||
          g_str_has_suffix (key, ".useremail"))
        CHECK (g_str_equal (value->str, want->email), "thunderbird", line);
      else if (g_str_has_suffix (key, ".fullName"))
        CHECK (g_strcmp0 (value->str, want->display_name) == 0, "thunderbird", line);
    }
}

/* ---- Mozilla autoconfig: well-formed XML whose hostnames are the hosts. */
typedef struct
{
  gboolean  in_hostname;
  GString  *text;
  GPtrArray *hostnames;
} XmlState;

static void
xml_start (GMarkupParseContext  *context,
           const char           *element,
           const char          **names,
           const char          **values,
           gpointer              user_data,
           GError              **error)
{
  XmlState *state = user_data;

  state->in_hostname = g_str_equal (element, "hostname");
  g_string_truncate (state->text, 0);
}

static void
xml_end (GMarkupParseContext  *context,
         const char           *element,
         gpointer              user_data,
         GError              **error)
{
  XmlState *state = user_data;

  if (state->in_hostname)
    g_ptr_array_add (state->hostnames, g_strdup (state->text->str));
  state->in_hostname = FALSE;
}

static void
xml_text (GMarkupParseContext  *context,
          const char           *text,
          gsize                 length,
          gpointer              user_data,
          GError              **error)
{
  XmlState *state = user_data;

  g_string_append_len (state->text, text, length);
}

static void
check_autoconfig (const char *text,
                  const Want *want)
{
  static const GMarkupParser parser = { xml_start, xml_end, xml_text, NULL, NULL };
  XmlState state = { FALSE, g_string_new (NULL), g_ptr_array_new_with_free_func (g_free) };
  g_autoptr(GMarkupParseContext) context = g_markup_parse_context_new (&parser, 0, &state, NULL);
  g_autoptr(GError) error = NULL;

  if (!g_markup_parse_context_parse (context, text, -1, &error) ||
      !g_markup_parse_context_end_parse (context, &error))
    g_error ("autoconfig: not well-formed: %s", error->message);
  for (guint i = 0; i < state.hostnames->len; i++)
    CHECK (g_strcmp0 (state.hostnames->pdata[i], want->imap_host) == 0 ||
           g_strcmp0 (state.hostnames->pdata[i], want->pop_host) == 0 ||
           g_strcmp0 (state.hostnames->pdata[i], want->smtp_host) == 0,
           "autoconfig", (const char *) state.hostnames->pdata[i]);
  g_string_free (state.text, TRUE);
  g_ptr_array_unref (state.hostnames);
}

/* ---- Evolution: key files, as evolution-data-server reads them. */
static void
check_evolution (const char *text,
                 const Want *want)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *user = NULL;
  g_autofree char *address = NULL;

  if (!g_key_file_load_from_data (keyfile, text, -1, G_KEY_FILE_NONE, &error))
    g_error ("evolution: not a key file: %s", error->message);
  user = g_key_file_get_string (keyfile, "Authentication", "User", NULL);
  address = g_key_file_get_string (keyfile, "Mail Identity", "Address", NULL);
  CHECK (user == NULL || g_str_equal (user, want->email), "evolution", text);
  CHECK (address == NULL || g_str_equal (address, want->email), "evolution", text);
}

static void
check_file (const char *client,
            const char *text,
            const Want *want)
{
  if (g_str_equal (client, "msmtp"))
    check_msmtp (text, want);
  else if (g_str_equal (client, "mbsync"))
    check_mbsync (text, want);
  else if (g_str_equal (client, "neomutt"))
    check_neomutt (text, want);
  else if (g_str_equal (client, "offlineimap"))
    check_offlineimap (text, want);
  else if (g_str_equal (client, "getmail"))
    check_getmail (text, want);
  else if (g_str_equal (client, "aerc"))
    check_aerc (text, want);
  else if (g_str_equal (client, "fetchmail"))
    check_fetchmail (text, want);
  else if (g_str_equal (client, "thunderbird"))
    check_thunderbird (text, want);
  else if (g_str_equal (client, "autoconfig"))
    check_autoconfig (text, want);
  else if (g_str_equal (client, "evolution"))
    check_evolution (text, want);
  /* summary: text for a person, no syntax to break out of. */
}

/* Two addresses: fetchmail cannot quote one holding both kinds of quote. */
static const char * const local_parts[] = {
  "o'brien$(x)`y`%;#\\+z",
  "q\"x\"$y`z`%#;",
};

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(LkProvider) provider = NULL;
  g_autoptr(GError) error = NULL;

  lk_fuzz_init ();
  provider = lk_provider_new_from_data ((const char *) data, size, "fuzz.json", &error);
  if (provider == NULL)
    return 0;

  for (guint n = 0; n < G_N_ELEMENTS (local_parts); n++)
    {
      g_autofree char *email = g_strdup_printf ("%s@%s", local_parts[n],
                                                provider->domains[0] != NULL
                                                ? provider->domains[0] : "example.com");
      g_autoptr(LkAccount) account = lk_account_new (email, provider);
      const char *argv[] = { "/usr/bin/latchkey-cli", "token", email, NULL };
      LkExportContext context = { argv, NULL, "1", NULL };
      const LkExporter * const *all = lk_exporter_get_all ();
      Want want = { 0 };

      account->display_name = g_strdup (provider->notes);
      want.email = email;
      want.display_name = provider->notes;
      want.ca_file = provider->ca_file;
      want.imap_host = provider->servers[LK_PROTOCOL_IMAP].host;
      want.pop_host = provider->servers[LK_PROTOCOL_POP].host;
      want.smtp_host = provider->servers[LK_PROTOCOL_SMTP].host;

      for (guint i = 0; all[i] != NULL; i++)
        {
          g_autoptr(GError) export_error = NULL;
          g_autoptr(GPtrArray) files = lk_exporter_generate (all[i], account, &context,
                                                             &export_error);

          g_assert ((files != NULL) != (export_error != NULL));
          for (guint j = 0; files != NULL && j < files->len; j++)
            check_file (all[i]->id, ((LkExportFile *) files->pdata[j])->contents, &want);
        }
    }
  return 0;
}
