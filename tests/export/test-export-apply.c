/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Setting a client up in its own files (issue #18 point 6): what a person
 * would see in their ~/.msmtprc, ~/.mbsyncrc, accounts.conf, muttrc,
 * user.js and Evolution's sources after lk_exporter_apply_async(): other
 * accounts byte for byte, the account's block once, a backup of what was
 * there, mode 0600, links kept. test-apply-clients.py runs the real clients
 * on the result. Each test has its own HOME (G_TEST_OPTION_ISOLATE_DIRS). */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "export/lk-export-apply.h"
#include "export/lk-exporter.h"
#include "lk-core.h"
#include "lk-error.h"
#include "lk-test-utils.h"

static const char * const token_argv[] = { "/usr/bin/latchkey-cli", "token", NULL, NULL };

static LkAccount *
make_account (const char *email)
{
  g_autoptr(LkProvider) provider = lk_test_load_profile ("microsoft365", NULL);

  return lk_account_new (email, provider);
}

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static LkExportApplyResult *
apply_options (const char                 *client,
               const char                 *email,
               const LkExportApplyOptions *options,
               GError                    **error);

static LkExportApplyResult *
apply_full (const char  *client,
            const char  *email,
            const char  *file,
            const char  *profile,
            GError     **error)
{
  LkExportApplyOptions options = { file, profile, FALSE };

  return apply_options (client, email, &options, error);
}

static LkExportApplyResult *
apply_options (const char                 *client,
               const char                 *email,
               const LkExportApplyOptions *options,
               GError                    **error)
{
  const LkExporter *exporter = lk_exporter_lookup (client);
  g_autoptr(LkAccount) account = make_account (email);
  const char *argv[G_N_ELEMENTS (token_argv)];
  LkExportContext context = { 0 };
  g_autoptr(GAsyncResult) result = NULL;

  memcpy (argv, token_argv, sizeof argv);
  argv[2] = email;
  context.token_argv = argv;
  context.version = "9.9";
  lk_exporter_apply_async (exporter, account, &context, options, NULL, result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return lk_exporter_apply_finish (exporter, result, error);
}

static LkExportApplyResult *
apply (const char *client,
       const char *email)
{
  g_autoptr(GError) error = NULL;
  LkExportApplyResult *result = apply_full (client, email, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

static char *
home_path (const char *name)
{
  return g_build_filename (g_get_home_dir (), name, NULL);
}

static char *
read_text (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static guint
count_of (const char *text,
          const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

static void
assert_mode_0600 (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static const LkExportChange *
change (const LkExportApplyResult *result,
        guint                      index)
{
  g_assert_cmpuint (index, <, result->changes->len);
  return result->changes->pdata[index];
}

static char *
slug_of (const char *email)
{
  g_autoptr(LkAccount) account = make_account (email);
  const LkExporter *exporter = lk_exporter_lookup ("msmtp");
  LkExportContext context = { 0 };
  const char *argv[] = { "x", NULL };
  g_autofree char *text = NULL;
  char *line, *end;

  context.token_argv = argv;
  text = lk_exporter_generate_text (exporter, account, &context, NULL);
  line = strstr (text, "\naccount ") + strlen ("\naccount ");
  end = strchr (line, '\n');
  return g_strndup (line, end - line);
}

/* The client's text as `export --output -` printed it before Set Up, with
 * an older token command: what people pasted into their files. */
static char *
pasted_export (const char *client,
               const char *email)
{
  g_autoptr(LkAccount) account = make_account (email);
  const char *argv[] = { "/old/latchkey-cli", "token", email, NULL };
  LkExportContext context = { 0 };

  context.token_argv = argv;
  return lk_exporter_generate_text (lk_exporter_lookup (client), account, &context, NULL);
}

static const char msmtprc[] =
  "# my own settings\n"
  "defaults\n"
  "logfile ~/.msmtp.log\n"
  "\n"
  "# Gmail\n"
  "account gmail\n"
  "host smtp.gmail.com\n"
  "from me@gmail.com";   /* no line break at the end */

static void
test_msmtp_merge (void)
{
  g_autofree char *path = home_path (".msmtprc");
  g_autofree char *text = NULL;
  g_autofree char *again = NULL;
  g_autofree char *alice = slug_of ("alice@contoso.com");
  g_autofree char *begin = g_strdup_printf ("# >>> latchkey %s >>>\n", alice);
  g_autofree char *account_line = g_strdup_printf ("\naccount %s\n", alice);
  g_autoptr(LkExportApplyResult) first = NULL;
  g_autoptr(LkExportApplyResult) second = NULL;
  g_autoptr(LkExportApplyResult) third = NULL;
  g_autofree char *backup = NULL;
  g_autofree char *described = NULL;
  g_autoptr(GDir) dir = NULL;
  guint backups = 0;
  const char *name;

  lk_test_write_file (path, msmtprc);
  g_chmod (path, 0644);
  first = apply ("msmtp", "alice@contoso.com");
  g_assert_cmpuint (first->changes->len, ==, 1);
  g_assert_cmpint (change (first, 0)->kind, ==, LK_EXPORT_CHANGE_ADDED);
  g_assert_cmpstr (change (first, 0)->path, ==, path);
  g_assert_null (change (first, 0)->link);
  g_assert_cmpstr (first->name, ==, alice);

  /* What was there, byte for byte, then an empty line and the block. */
  text = read_text (path);
  g_assert_true (g_str_has_prefix (text, msmtprc));
  g_assert_true (g_str_has_prefix (text + strlen (msmtprc), "\n\n"));
  g_assert_true (g_str_has_prefix (text + strlen (msmtprc) + 2, begin));
  g_assert_cmpuint (count_of (text, account_line), ==, 1);
  g_assert_null (strstr (text, "Append this block"));
  assert_mode_0600 (path);
  backup = read_text (change (first, 0)->backup);
  g_assert_cmpstr (backup, ==, msmtprc);
  described = lk_export_apply_result_to_text (first);
  g_assert_nonnull (strstr (described, change (first, 0)->backup));
  g_assert_nonnull (strstr (described, "msmtp -a"));

  second = apply ("msmtp", "bob@contoso.com");
  g_assert_cmpint (change (second, 0)->kind, ==, LK_EXPORT_CHANGE_ADDED);
  g_free (text);
  text = read_text (path);
  g_assert_true (g_str_has_prefix (text, msmtprc));
  g_assert_cmpuint (count_of (text, ">>> latchkey "), ==, 2);

  /* Again: nothing to do, nothing written, no backup. */
  third = apply ("msmtp", "alice@contoso.com");
  g_assert_cmpint (change (third, 0)->kind, ==, LK_EXPORT_CHANGE_UNCHANGED);
  g_assert_null (change (third, 0)->backup);
  again = read_text (path);
  g_assert_cmpstr (again, ==, text);

  dir = g_dir_open (g_get_home_dir (), 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    backups += g_str_has_prefix (name, ".msmtprc.bak-");
  g_assert_cmpuint (backups, ==, 2);
}

/* An export pasted before markers existed: replaced where it stands. */
static void
test_msmtp_earlier (void)
{
  g_autofree char *path = home_path (".msmtprc");
  g_autofree char *pasted = pasted_export ("msmtp", "alice@contoso.com");
  g_autofree char *before = NULL;
  g_autofree char *text = NULL;
  g_autoptr(LkExportApplyResult) result = NULL;
  const char *after = "\n# Gmail\naccount gmail\nhost smtp.gmail.com\n";

  before = g_strconcat ("defaults\ntls on\n\n", pasted, after, NULL);
  lk_test_write_file (path, before);

  result = apply ("msmtp", "alice@contoso.com");
  g_assert_cmpint (change (result, 0)->kind, ==, LK_EXPORT_CHANGE_REPLACED_EARLIER);
  text = read_text (path);
  g_assert_true (g_str_has_prefix (text, "defaults\ntls on\n\n# >>> latchkey "));
  g_assert_true (g_str_has_suffix (text, after));
  g_assert_null (strstr (text, "/old/latchkey-cli"));
  g_assert_cmpuint (count_of (text, "Regenerate with"), ==, 1);
  g_assert_cmpuint (count_of (text, "\naccount "), ==, 2);
}

/* A block changed by hand is replaced, said so, and kept in the backup. */
static void
test_hand_edit (void)
{
  g_autofree char *path = home_path (".msmtprc");
  g_autoptr(LkExportApplyResult) first = NULL;
  g_autoptr(LkExportApplyResult) second = NULL;
  g_autofree char *text = NULL;
  g_autofree char *edited = NULL;
  g_autofree char *backup = NULL;
  g_autofree char *now = NULL;
  g_autoptr(GString) s = NULL;

  lk_test_write_file (path, msmtprc);
  first = apply ("msmtp", "alice@contoso.com");
  text = read_text (path);
  s = g_string_new (text);
  g_string_replace (s, "port 587\n", "port 25\n", 1);
  edited = g_strdup (s->str);
  lk_test_write_file (path, edited);

  second = apply ("msmtp", "alice@contoso.com");
  g_assert_cmpint (change (second, 0)->kind, ==, LK_EXPORT_CHANGE_REPLACED);
  g_assert_true (change (second, 0)->edited);
  backup = read_text (change (second, 0)->backup);
  g_assert_cmpstr (backup, ==, edited);
  now = read_text (path);
  g_assert_nonnull (strstr (now, "port 587\n"));
  g_assert_true (g_str_has_prefix (now, msmtprc));
}

/* A begin marker without its end: nothing is guessed, nothing written. */
static void
test_unclosed (void)
{
  g_autofree char *path = home_path (".msmtprc");
  g_autofree char *alice = slug_of ("alice@contoso.com");
  g_autofree char *before = g_strdup_printf ("account gmail\n# >>> latchkey %s >>>\naccount %s\n"
                                             "\naccount mine\nhost example.net\n", alice, alice);
  g_autoptr(GError) error = NULL;
  g_autoptr(LkExportApplyResult) result = NULL;
  g_autofree char *text = NULL;

  lk_test_write_file (path, before);
  result = apply_full ("msmtp", "alice@contoso.com", NULL, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "no line closes it"));
  text = read_text (path);
  g_assert_cmpstr (text, ==, before);
}

/* A dotfile manager's link: the file it points to is written, the link stays. */
static void
test_symlink (void)
{
  g_autofree char *dotfiles = home_path ("dotfiles");
  g_autofree char *real = g_build_filename (dotfiles, "msmtprc", NULL);
  g_autofree char *link = home_path (".msmtprc");
  g_autofree char *target = NULL;
  g_autofree char *text = NULL;
  g_autofree char *backup_dir = NULL;
  g_autoptr(LkExportApplyResult) result = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dotfiles, 0700), ==, 0);
  lk_test_write_file (real, msmtprc);
  g_assert_cmpint (symlink ("dotfiles/msmtprc", link), ==, 0);

  result = apply ("msmtp", "alice@contoso.com");
  g_assert_cmpstr (change (result, 0)->path, ==, real);
  g_assert_cmpstr (change (result, 0)->link, ==, link);
  target = g_file_read_link (link, NULL);
  g_assert_cmpstr (target, ==, "dotfiles/msmtprc");
  text = read_text (real);
  g_assert_true (g_str_has_prefix (text, msmtprc));
  g_assert_nonnull (strstr (text, ">>> latchkey "));
  backup_dir = g_path_get_dirname (change (result, 0)->backup);
  g_assert_cmpstr (backup_dir, ==, dotfiles);
  assert_mode_0600 (real);
}

static void
test_mbsync (void)
{
  g_autofree char *path = home_path (".mbsyncrc");
  g_autofree char *alice = slug_of ("alice@contoso.com");
  g_autofree char *pasted = pasted_export ("mbsync", "alice@contoso.com");
  g_autofree char *before = NULL;
  g_autofree char *text = NULL;
  g_autofree char *maildir = NULL;
  g_autoptr(LkExportApplyResult) result = NULL;
  const char *other = "IMAPAccount work\nHost imap.work.example\nUser me\n\n"
                      "IMAPStore work-remote\nAccount work\n\n";
  const char *tail = "Channel work\nFar :work-remote:\nNear :work-local:\n";

  before = g_strconcat (other, pasted, "\n", tail, NULL);
  lk_test_write_file (path, before);

  result = apply ("mbsync", "alice@contoso.com");
  g_assert_cmpuint (result->changes->len, ==, 2);
  g_assert_cmpint (change (result, 0)->kind, ==, LK_EXPORT_CHANGE_REPLACED_EARLIER);
  g_assert_true (change (result, 1)->is_folder);
  g_assert_cmpint (change (result, 1)->kind, ==, LK_EXPORT_CHANGE_CREATED);
  maildir = g_build_filename (g_get_home_dir (), "Mail", alice, NULL);
  g_assert_cmpstr (change (result, 1)->path, ==, maildir);
  g_assert_true (g_file_test (maildir, G_FILE_TEST_IS_DIR));

  text = read_text (path);
  g_assert_true (g_str_has_prefix (text, other));
  g_assert_true (g_str_has_suffix (text, tail));
  g_assert_null (strstr (text, "/old/latchkey-cli"));
  g_assert_cmpuint (count_of (text, "\nChannel "), ==, 2);
  g_assert_null (strstr (text, "mkdir -p"));

  g_clear_pointer (&result, lk_export_apply_result_free);
  result = apply ("mbsync", "alice@contoso.com");
  g_assert_cmpint (change (result, 0)->kind, ==, LK_EXPORT_CHANGE_UNCHANGED);
  g_assert_cmpint (change (result, 1)->kind, ==, LK_EXPORT_CHANGE_UNCHANGED);
}

static void
test_aerc (void)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "aerc", "accounts.conf", NULL);
  g_autofree char *alice = slug_of ("alice@contoso.com");
  g_autofree char *before = g_strdup_printf ("[personal]\nsource = imaps://me@example.net\n\n"
                                             "[%s]\nsource = imaps://old\n\n# Work\n[work]\n"
                                             "source = imaps://work\n", alice);
  g_autofree char *text = NULL;
  g_autoptr(LkExportApplyResult) result = NULL;

  lk_test_write_file (path, before);
  result = apply ("aerc", "alice@contoso.com");
  g_assert_cmpint (change (result, 0)->kind, ==, LK_EXPORT_CHANGE_REPLACED_EARLIER);
  text = read_text (path);
  g_assert_true (g_str_has_prefix (text, "[personal]\nsource = imaps://me@example.net\n\n# >>> latchkey "));
  g_assert_true (g_str_has_suffix (text, "\n\n# Work\n[work]\nsource = imaps://work\n"));
  g_assert_null (strstr (text, "imaps://old"));
  assert_mode_0600 (path);
}

/* NeoMutt: the account's file of its own, one source line in the muttrc. */
static void
test_neomutt (void)
{
  g_autofree char *muttrc = home_path (".neomuttrc");
  g_autofree char *alice = slug_of ("alice@contoso.com");
  g_autofree char *own_name = g_strdup_printf ("%s.neomuttrc", alice);
  g_autofree char *own = g_build_filename (g_get_user_config_dir (), "neomutt", "latchkey",
                                           own_name, NULL);
  g_autofree char *text = NULL;
  g_autofree char *settings = NULL;
  g_autoptr(LkExportApplyResult) result = NULL;
  const char *before = "set realname=\"Me\"\nset folder=\"imaps://me@example.net/\"\n";

  lk_test_write_file (muttrc, before);
  result = apply ("neomutt", "alice@contoso.com");
  g_assert_cmpuint (result->changes->len, ==, 2);
  g_assert_cmpstr (change (result, 0)->path, ==, own);
  g_assert_cmpint (change (result, 0)->kind, ==, LK_EXPORT_CHANGE_CREATED);
  g_assert_cmpstr (change (result, 1)->path, ==, muttrc);
  g_assert_cmpint (change (result, 1)->kind, ==, LK_EXPORT_CHANGE_ADDED);

  text = read_text (muttrc);
  g_assert_true (g_str_has_prefix (text, before));
  {
    /* Here the configuration folder is outside HOME, so no "~/". */
    g_autofree char *line = g_strdup_printf ("\nsource \"%s\"\n", own);
    g_assert_nonnull (strstr (text, line));
  }
  settings = read_text (own);
  g_assert_nonnull (strstr (settings, "set imap_oauth_refresh_command="));
  assert_mode_0600 (own);
}

static void
write_profiles (const char *ini)
{
  g_autofree char *tb = home_path (".thunderbird");
  g_autofree char *path = g_build_filename (tb, "profiles.ini", NULL);
  g_autofree char *a = g_build_filename (tb, "abc.default-release", NULL);
  g_autofree char *b = g_build_filename (tb, "xyz.work", NULL);

  g_assert_cmpint (g_mkdir_with_parents (a, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (b, 0700), ==, 0);
  lk_test_write_file (path, ini);
}

static GHashTable *
read_prefs (const char *path)
{
  GHashTable *prefs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *text = read_text (path);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GMatchInfo) match = NULL;
      static GRegex *re = NULL;

      if (re == NULL)
        re = g_regex_new ("^user_pref\\(\"([^\"]+)\", (\"(?:[^\"\\\\]|\\\\.)*\"|\\d+|true|false)\\);$",
                          0, 0, NULL);
      if (*lines[i] == '\0' || g_str_has_prefix (lines[i], "//"))
        continue;
      g_assert_true (g_regex_match (re, lines[i], 0, &match));
      g_hash_table_replace (prefs, g_match_info_fetch (match, 1), g_match_info_fetch (match, 2));
    }
  return prefs;
}

static const char profiles_ini[] =
  "[Profile1]\nName=work\nIsRelative=1\nPath=xyz.work\n\n"
  "[Profile0]\nName=default-release\nIsRelative=1\nPath=abc.default-release\nDefault=1\n\n"
  "[Install4F96D1932A9F858E]\nDefault=abc.default-release\nLocked=1\n\n"
  "[General]\nStartWithLastProfile=1\nVersion=2\n";

/* user.js in the default profile; the account lists keep the profile's own. */
static void
test_thunderbird (void)
{
  g_autofree char *prefs_js = home_path (".thunderbird/abc.default-release/prefs.js");
  g_autofree char *user_js = home_path (".thunderbird/abc.default-release/user.js");
  g_autofree char *work_js = home_path (".thunderbird/xyz.work/user.js");
  g_autofree char *alice = slug_of ("alice@contoso.com");
  g_autofree char *id = g_strdelimit (g_strdup (alice), "-", '_');
  g_autofree char *accounts = g_strdup_printf ("\"account1,account2,account_%s\"", id);
  g_autofree char *smtps = g_strdup_printf ("\"smtp1,smtp_%s\"", id);
  g_autoptr(LkExportApplyResult) result = NULL;
  g_autoptr(GHashTable) prefs = NULL;
  g_autoptr(GError) error = NULL;

  write_profiles (profiles_ini);
  lk_test_write_file (prefs_js, "// Mozilla User Preferences\n"
                      "user_pref(\"mail.accountmanager.accounts\", \"account1,account2\");\n"
                      "user_pref(\"mail.smtpservers\", \"smtp1\");\n");
  lk_test_write_file (user_js, "user_pref(\"browser.startup.homepage\", \"about:blank\");\n");
  result = apply ("thunderbird", "alice@contoso.com");
  g_assert_cmpstr (change (result, 0)->path, ==, user_js);
  g_assert_cmpint (change (result, 0)->kind, ==, LK_EXPORT_CHANGE_ADDED);
  prefs = read_prefs (user_js);
  g_assert_cmpstr (g_hash_table_lookup (prefs, "browser.startup.homepage"), ==, "\"about:blank\"");
  g_assert_cmpstr (g_hash_table_lookup (prefs, "mail.accountmanager.accounts"), ==, accounts);
  g_assert_cmpstr (g_hash_table_lookup (prefs, "mail.smtpservers"), ==, smtps);

  /* Another profile by name; then none to be found. */
  g_clear_pointer (&result, lk_export_apply_result_free);
  result = apply_full ("thunderbird", "alice@contoso.com", NULL, "work", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (change (result, 0)->path, ==, work_js);
  g_clear_pointer (&result, lk_export_apply_result_free);
  result = apply_full ("thunderbird", "alice@contoso.com", NULL, "nope", &error);
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "default-release"));
  g_assert_nonnull (strstr (error->message, "work"));
}

static void
test_thunderbird_no_profile (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkExportApplyResult) result = apply_full ("thunderbird", "alice@contoso.com",
                                                      NULL, NULL, &error);

  g_assert_null (result);
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "profiles.ini"));
}

/* Evolution's sources, read back as evolution-data-server reads them. */
static void
test_evolution (void)
{
  g_autofree char *folder = g_build_filename (g_get_user_config_dir (), "evolution", "sources", NULL);
  g_autofree char *mine = g_build_filename (folder, "mine.source", NULL);
  g_autoptr(LkExportApplyResult) result = apply ("evolution", "alice@contoso.com");
  g_autoptr(LkExportApplyResult) again = NULL;

  lk_test_write_file (mine, "[Data Source]\nDisplayName=Mine\n");
  g_assert_cmpuint (result->changes->len, ==, 3);
  for (guint i = 0; i < result->changes->len; i++)
    {
      g_autoptr(GKeyFile) keyfile = g_key_file_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *dir = g_path_get_dirname (change (result, i)->path);

      g_assert_cmpstr (dir, ==, folder);
      g_assert_true (g_str_has_suffix (change (result, i)->path, ".source"));
      g_assert_cmpint (change (result, i)->kind, ==, LK_EXPORT_CHANGE_CREATED);
      g_key_file_load_from_file (keyfile, change (result, i)->path, G_KEY_FILE_NONE, &error);
      g_assert_no_error (error);
      g_assert_true (g_key_file_has_group (keyfile, "Data Source"));
    }
  /* No evolution-data-server runs here: it reads them when it starts. */
  g_assert_cmpint (result->reload, ==, LK_EXPORT_RELOAD_NOT_RUNNING);
  again = apply ("evolution", "alice@contoso.com");
  for (guint i = 0; i < again->changes->len; i++)
    g_assert_cmpint (change (again, i)->kind, ==, LK_EXPORT_CHANGE_UNCHANGED);
  g_assert_true (g_file_test (mine, G_FILE_TEST_EXISTS));
}

/* What the GUI's account page asks: is the client set up for the account? */
static void
test_dry_run (void)
{
  g_autofree char *path = home_path (".mbsyncrc");
  g_autofree char *maildir = NULL;
  LkExportApplyOptions dry = { NULL, NULL, TRUE };
  g_autoptr(LkExportApplyResult) before = NULL;
  g_autoptr(LkExportApplyResult) after = NULL;
  g_autoptr(LkExportApplyResult) applied = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  lk_test_write_file (path, "IMAPAccount mine\nHost h\n");
  before = apply_options ("mbsync", "alice@contoso.com", &dry, &error);
  g_assert_no_error (error);
  g_assert_cmpint (change (before, 0)->kind, ==, LK_EXPORT_CHANGE_ADDED);
  g_assert_cmpint (change (before, 1)->kind, ==, LK_EXPORT_CHANGE_CREATED);
  g_assert_null (change (before, 0)->backup);
  text = read_text (path);
  g_assert_cmpstr (text, ==, "IMAPAccount mine\nHost h\n");
  maildir = g_strdup (change (before, 1)->path);
  g_assert_false (g_file_test (maildir, G_FILE_TEST_EXISTS));

  applied = apply ("mbsync", "alice@contoso.com");
  after = apply_options ("mbsync", "alice@contoso.com", &dry, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < after->changes->len; i++)
    g_assert_cmpint (change (after, i)->kind, ==, LK_EXPORT_CHANGE_UNCHANGED);
}

static void
test_detect (void)
{
  g_autofree char *bin = home_path ("bin");
  g_autofree char *program = g_build_filename (bin, "aerc", NULL);
  g_autofree char *old_path = g_strdup (g_getenv ("PATH"));
  g_autofree char *msmtprc = home_path (".msmtprc");
  g_autofree char *target = NULL;
  const LkExporter *aerc = lk_exporter_lookup ("aerc");
  const LkExporter *msmtp = lk_exporter_lookup ("msmtp");

  g_assert_false (lk_exporter_can_apply (lk_exporter_lookup ("fetchmail")));
  g_assert_true (lk_exporter_can_apply (msmtp));

  g_setenv ("PATH", bin, TRUE);
  g_assert_cmpint (lk_exporter_detect (aerc), ==, LK_EXPORT_FOUND_NOTHING);
  g_assert_cmpint (g_mkdir_with_parents (bin, 0700), ==, 0);
  lk_test_write_file (program, "#!/bin/sh\n");
  g_chmod (program, 0755);
  g_assert_cmpint (lk_exporter_detect (aerc), ==, LK_EXPORT_FOUND_PROGRAM);
  g_setenv ("PATH", old_path, TRUE);

  /* msmtp reads ~/.msmtprc, else its XDG file when only that exists. */
  g_free (target);
  target = lk_exporter_dup_apply_target (msmtp, NULL, NULL);
  g_assert_cmpstr (target, ==, msmtprc);
  {
    g_autofree char *xdg = g_build_filename (g_get_user_config_dir (), "msmtp", "config", NULL);

    lk_test_write_file (xdg, "");
    g_free (target);
    target = lk_exporter_dup_apply_target (msmtp, NULL, NULL);
    g_assert_cmpstr (target, ==, xdg);
    g_assert_true (lk_exporter_detect (msmtp) & LK_EXPORT_FOUND_CONFIG);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  lk_core_init ();

  g_test_add_func ("/export/apply/msmtp/merge", test_msmtp_merge);
  g_test_add_func ("/export/apply/msmtp/earlier-export", test_msmtp_earlier);
  g_test_add_func ("/export/apply/hand-edited", test_hand_edit);
  g_test_add_func ("/export/apply/unclosed-block", test_unclosed);
  g_test_add_func ("/export/apply/symlink", test_symlink);
  g_test_add_func ("/export/apply/mbsync", test_mbsync);
  g_test_add_func ("/export/apply/aerc", test_aerc);
  g_test_add_func ("/export/apply/neomutt", test_neomutt);
  g_test_add_func ("/export/apply/thunderbird", test_thunderbird);
  g_test_add_func ("/export/apply/thunderbird/no-profile", test_thunderbird_no_profile);
  g_test_add_func ("/export/apply/evolution", test_evolution);
  g_test_add_func ("/export/apply/dry-run", test_dry_run);
  g_test_add_func ("/export/apply/detect", test_detect);
  return g_test_run ();
}
