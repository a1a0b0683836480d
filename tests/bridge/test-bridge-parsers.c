/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The bridge's pure parsers: what mail programs send before login. */
#include "config.h"

#include <string.h>

#include "bridge/lk-imap-command.h"
#include "bridge/lk-mail-command.h"
#include "bridge/lk-sasl-password.h"
#include "lk-error.h"

static LkImapParseStatus
parse (const char    *text,
       LkImapCommand *out,
       gsize         *consumed,
       guint         *prompts)
{
  return lk_imap_command_parse ((const guint8 *) text, strlen (text), out, consumed, prompts, NULL);
}

static const char *
arg (const LkImapCommand *cmd,
     guint                i)
{
  return lk_imap_command_get_string (cmd, i);
}

static void
test_imap_atoms_and_quoted (void)
{
  g_auto(LkImapCommand) cmd = { 0 };
  const char *text = "a1 login alice@example.com \"pa ss\\\"w\\\\d\"\r\nnext";
  gsize consumed = 0;
  guint prompts = 0;

  g_assert_cmpint (parse (text, &cmd, &consumed, &prompts), ==, LK_IMAP_PARSE_COMPLETE);
  g_assert_cmpstr (cmd.tag, ==, "a1");
  g_assert_cmpstr (cmd.name, ==, "LOGIN");
  g_assert_cmpuint (cmd.args->len, ==, 2);
  g_assert_cmpstr (arg (&cmd, 0), ==, "alice@example.com");
  g_assert_cmpstr (arg (&cmd, 1), ==, "pa ss\"w\\d");
  /* Pipelined bytes after the line stay for later. */
  g_assert_cmpuint (consumed, ==, strlen (text) - strlen ("next"));
  g_assert_cmpuint (prompts, ==, 0);
}

static void
test_imap_literals (void)
{
  g_auto(LkImapCommand) cmd = { 0 };
  gsize consumed = 0;
  guint prompts = 0;

  /* A synchronising literal not yet sent: the client waits for "+". */
  g_assert_cmpint (parse ("a LOGIN {5}\r\n", &cmd, &consumed, &prompts), ==, LK_IMAP_PARSE_INCOMPLETE);
  g_assert_cmpuint (prompts, ==, 1);
  lk_imap_command_clear (&cmd);
  g_assert_cmpint (parse ("a LOGIN {5}\r\nal\r\n", &cmd, &consumed, &prompts), ==,
                   LK_IMAP_PARSE_INCOMPLETE);
  lk_imap_command_clear (&cmd);
  /* Two: one of each kind (RFC 7888 LITERAL+); the data may hold CRLF. */
  g_assert_cmpint (parse ("a LOGIN {5}\r\nal\r\ne {3+}\r\np w\r\n", &cmd, &consumed, &prompts), ==,
                   LK_IMAP_PARSE_COMPLETE);
  g_assert_cmpuint (prompts, ==, 1);
  g_assert_cmpstr (arg (&cmd, 0), ==, "al\r\ne");
  g_assert_cmpstr (arg (&cmd, 1), ==, "p w");
  lk_imap_command_clear (&cmd);
  /* Non-synchronising only: no prompt. */
  g_assert_cmpint (parse ("a LOGIN {2+}\r\n", &cmd, &consumed, &prompts), ==, LK_IMAP_PARSE_INCOMPLETE);
  g_assert_cmpuint (prompts, ==, 0);
}

static void
test_imap_literal_limits (void)
{
  g_auto(LkImapCommand) cmd = { 0 };
  g_autoptr(GError) error = NULL;
  const char *sync = "a LOGIN {70000}\r\nb NOOP\r\n";
  gsize consumed = 0;
  guint prompts = 0;

  /* Too large and synchronising: refused at once; the client sends nothing
   * more of it, so the command ends at its line. */
  g_assert_cmpint (lk_imap_command_parse ((const guint8 *) sync, strlen (sync), &cmd, &consumed,
                                          &prompts, &error), ==, LK_IMAP_PARSE_BAD);
  g_assert_cmpstr (cmd.tag, ==, "a");
  g_assert_cmpuint (consumed, ==, strlen ("a LOGIN {70000}\r\n"));
  g_assert_cmpuint (prompts, ==, 0);
  g_assert_nonnull (error);
  lk_imap_command_clear (&cmd);
  /* Too large and on its way: the connection cannot be kept in step. */
  g_assert_cmpint (parse ("a LOGIN {70000+}\r\n", &cmd, &consumed, &prompts), ==,
                   LK_IMAP_PARSE_TOO_LONG);
  lk_imap_command_clear (&cmd);
  g_assert_cmpint (parse ("a LOGIN {99999999999999}\r\n", &cmd, &consumed, &prompts), ==,
                   LK_IMAP_PARSE_BAD);
}

static void
test_imap_bad (void)
{
  g_auto(LkImapCommand) cmd = { 0 };
  gsize consumed = 0;
  guint prompts = 0;
  const char *skip = "a LOGIN \"x\\y\" {3+}\r\nabc rest\r\nb NOOP\r\n";

  /* An invalid escape: the whole command goes, including a {n+} literal
   * the client sends regardless, and what follows it on its line. */
  g_assert_cmpint (parse (skip, &cmd, &consumed, &prompts), ==, LK_IMAP_PARSE_BAD);
  g_assert_cmpstr (cmd.tag, ==, "a");
  g_assert_cmpuint (consumed, ==, strlen (skip) - strlen ("b NOOP\r\n"));
  lk_imap_command_clear (&cmd);
  g_assert_cmpint (parse ("\r\n", &cmd, &consumed, &prompts), ==, LK_IMAP_PARSE_BAD);
  g_assert_null (cmd.tag);
  g_assert_cmpuint (consumed, ==, 2);
  lk_imap_command_clear (&cmd);
  g_assert_cmpint (parse ("a LOGIN x\ry\r\n", &cmd, &consumed, &prompts), ==, LK_IMAP_PARSE_BAD);
  lk_imap_command_clear (&cmd);
  g_assert_cmpint (parse ("+ LOGIN x y\r\n", &cmd, &consumed, &prompts), ==, LK_IMAP_PARSE_BAD);
  lk_imap_command_clear (&cmd);
  g_assert_cmpint (parse ("a LOGIN {3}\r\na\0b\r\n", &cmd, &consumed, &prompts), ==,
                   LK_IMAP_PARSE_INCOMPLETE);   /* strlen stops at the NUL */
  lk_imap_command_clear (&cmd);
  {
    const guint8 nul[] = "a LOGIN {3}\r\na\0b\r\n";

    g_assert_cmpint (lk_imap_command_parse (nul, sizeof nul - 1, &cmd, &consumed, &prompts, NULL),
                     ==, LK_IMAP_PARSE_BAD);
    g_assert_cmpuint (consumed, ==, sizeof nul - 1);
  }
  lk_imap_command_clear (&cmd);
  /* A line end is needed to know a command is complete. */
  g_assert_cmpint (parse ("a NOOP", &cmd, &consumed, &prompts), ==, LK_IMAP_PARSE_INCOMPLETE);
  lk_imap_command_clear (&cmd);
  g_assert_cmpint (parse ("a NOOP\n", &cmd, &consumed, &prompts), ==, LK_IMAP_PARSE_COMPLETE);
}

static void
test_imap_lists_and_caps (void)
{
  g_auto(LkImapCommand) cmd = { 0 };
  g_autoptr(GString) deep = g_string_new ("a ID ");
  g_autoptr(GString) long_line = g_string_new ("a LOGIN ");
  LkImapArg *list;
  gsize consumed = 0;
  guint prompts = 0;

  g_assert_cmpint (parse ("a ID (\"name\" \"fetchmail\" \"version\" NIL)\r\n", &cmd, &consumed, &prompts),
                   ==, LK_IMAP_PARSE_COMPLETE);
  list = g_ptr_array_index (cmd.args, 0);
  g_assert_cmpint (list->kind, ==, LK_IMAP_ARG_LIST);
  g_assert_cmpuint (list->children->len, ==, 4);
  g_assert_null (arg (&cmd, 0));
  lk_imap_command_clear (&cmd);

  for (guint i = 0; i < 20; i++)
    g_string_append_c (deep, '(');
  for (guint i = 0; i < 20; i++)
    g_string_append_c (deep, ')');
  g_string_append (deep, "\r\n");
  g_assert_cmpint (parse (deep->str, &cmd, &consumed, &prompts), ==, LK_IMAP_PARSE_BAD);
  lk_imap_command_clear (&cmd);

  while (long_line->len <= LK_IMAP_MAX_LINE)
    g_string_append_c (long_line, 'x');
  g_assert_cmpint (parse (long_line->str, &cmd, &consumed, &prompts), ==, LK_IMAP_PARSE_TOO_LONG);
}

static void
test_imap_quote (void)
{
  g_autofree char *quoted = lk_imap_quote ("say \"hi\"\\\r\n");

  g_assert_cmpstr (quoted, ==, "\"say \\\"hi\\\"\\\\\"");
  g_assert_true (lk_imap_is_atom_char ('a'));
  g_assert_false (lk_imap_is_atom_char ('{'));
  g_assert_false (lk_imap_is_atom_char (0x80));
}

static void
test_mail_line (void)
{
  gsize length = 0, consumed = 0;
  const guint8 crlf[] = "EHLO x\r\nAUTH";
  const guint8 lf[] = "QUIT\n";
  g_autofree guint8 *big = g_malloc0 (600);

  g_assert_cmpint (lk_mail_line_find (crlf, sizeof crlf - 1, 512, &length, &consumed), ==, LK_LINE_FOUND);
  g_assert_cmpuint (length, ==, 6);
  g_assert_cmpuint (consumed, ==, 8);
  g_assert_cmpint (lk_mail_line_find (lf, sizeof lf - 1, 512, &length, &consumed), ==, LK_LINE_FOUND);
  g_assert_cmpuint (length, ==, 4);
  g_assert_cmpint (lk_mail_line_find (crlf, 6, 512, &length, &consumed), ==, LK_LINE_INCOMPLETE);
  g_assert_cmpint (lk_mail_line_find (crlf, 0, 512, &length, &consumed), ==, LK_LINE_INCOMPLETE);
  memset (big, 'x', 600);
  g_assert_cmpint (lk_mail_line_find (big, 600, 512, &length, &consumed), ==, LK_LINE_TOO_LONG);
  /* Exactly the cap, with CRLF: fine. */
  big[512] = '\r';
  big[513] = '\n';
  g_assert_cmpint (lk_mail_line_find (big, 600, 512, &length, &consumed), ==, LK_LINE_FOUND);
  g_assert_cmpuint (length, ==, 512);
}

static void
test_mail_command (void)
{
  g_auto(LkMailCommand) cmd = { 0 };
  g_autofree char *word = NULL;
  const char *rest = NULL;

  g_assert_true (lk_mail_command_parse ("pass  two words ", 16, &cmd, NULL));
  g_assert_cmpstr (cmd.verb, ==, "PASS");
  g_assert_cmpstr (cmd.argument, ==, " two words ");   /* POP3's PASS keeps its spaces */
  lk_mail_command_clear (&cmd);
  g_assert_true (lk_mail_command_parse ("QUIT", 4, &cmd, NULL));
  g_assert_cmpstr (cmd.argument, ==, "");
  lk_mail_command_clear (&cmd);
  g_assert_false (lk_mail_command_parse ("", 0, &cmd, NULL));
  g_assert_false (lk_mail_command_parse (" QUIT", 5, &cmd, NULL));
  g_assert_false (lk_mail_command_parse ("QU\rIT", 5, &cmd, NULL));
  g_assert_false (lk_mail_command_parse ("QU\0IT", 5, &cmd, NULL));
  g_assert_false (lk_mail_command_parse ("ABCDEFGHIJKLMNOPQ", 17, &cmd, NULL));
  g_assert_false (lk_mail_command_parse ("M\xc3\xa4IL", 5, &cmd, NULL));

  word = lk_mail_command_next_word ("PLAIN  dGVzdA==", &rest);
  g_assert_cmpstr (word, ==, "PLAIN");
  g_assert_cmpstr (rest, ==, "dGVzdA==");
  g_clear_pointer (&word, g_free);
  word = lk_mail_command_next_word ("", &rest);
  g_assert_cmpstr (word, ==, "");
  g_assert_cmpstr (rest, ==, "");
}

static char *
b64 (const char *data,
     gsize       length)
{
  return g_base64_encode ((const guchar *) data, length);
}

static void
test_sasl_plain (void)
{
  /* RFC 4616 §4's examples */
  g_autofree char *tim = b64 ("\0tim\0tanstaaftanstaaf", 21);
  g_autofree char *kurt = b64 ("Kurt\0tim\0tanstaaftanstaaf", 25);
  g_autofree char *same = b64 ("tim\0tim\0secret", 14);
  g_autofree char *no_password = b64 ("\0tim\0", 5);
  g_autofree char *one_nul = b64 ("tim\0secret", 10);
  g_autofree char *three = b64 ("\0tim\0se\0cret", 12);
  g_autofree char *latin1 = b64 ("\0t\xe9m\0secret", 11);
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;

  g_assert_true (lk_sasl_plain_decode (tim, &user, &password, NULL));
  g_assert_cmpstr (user, ==, "tim");
  g_assert_cmpstr (password, ==, "tanstaaftanstaaf");
  g_clear_pointer (&user, g_free);
  g_clear_pointer (&password, g_free);
  g_assert_true (lk_sasl_plain_decode (same, &user, &password, NULL));
  g_clear_pointer (&user, g_free);
  g_clear_pointer (&password, g_free);
  /* Acting as another user (an authzid of its own) is never done. */
  g_assert_false (lk_sasl_plain_decode (kurt, &user, &password, NULL));
  g_assert_null (user);
  g_assert_false (lk_sasl_plain_decode (no_password, &user, &password, NULL));
  g_assert_false (lk_sasl_plain_decode (one_nul, &user, &password, NULL));
  g_assert_false (lk_sasl_plain_decode (three, &user, &password, NULL));
  g_assert_false (lk_sasl_plain_decode (latin1, &user, &password, NULL));
  g_assert_false (lk_sasl_plain_decode ("", &user, &password, NULL));
  g_assert_false (lk_sasl_plain_decode ("AGFsaWNlAHB=3", &user, &password, NULL));
  g_assert_false (lk_sasl_plain_decode ("AGFs aWNl", &user, &password, NULL));
  g_assert_false (lk_sasl_plain_decode ("=", &user, &password, NULL));
}

static void
test_sasl_login (void)
{
  g_autofree char *user = lk_sasl_login_decode ("YWxpY2VAZXhhbXBsZS5jb20=", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (user, ==, "alice@example.com");
  g_assert_null (lk_sasl_login_decode ("", &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_PROTOCOL);
  g_assert_null (lk_sasl_login_decode ("YQBi", NULL));     /* "a\0b" */
  g_assert_null (lk_sasl_login_decode ("not base64", NULL));
  g_assert_true (lk_sasl_is_cancel ("*"));
  g_assert_false (lk_sasl_is_cancel ("**"));
  g_assert_cmpstr (LK_SASL_LOGIN_USERNAME_CHALLENGE, ==, "VXNlcm5hbWU6");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bridge/imap/atoms-quoted", test_imap_atoms_and_quoted);
  g_test_add_func ("/bridge/imap/literals", test_imap_literals);
  g_test_add_func ("/bridge/imap/literal-limits", test_imap_literal_limits);
  g_test_add_func ("/bridge/imap/bad", test_imap_bad);
  g_test_add_func ("/bridge/imap/lists-caps", test_imap_lists_and_caps);
  g_test_add_func ("/bridge/imap/quote", test_imap_quote);
  g_test_add_func ("/bridge/mail/line", test_mail_line);
  g_test_add_func ("/bridge/mail/command", test_mail_command);
  g_test_add_func ("/bridge/sasl/plain", test_sasl_plain);
  g_test_add_func ("/bridge/sasl/login", test_sasl_login);
  return g_test_run ();
}
