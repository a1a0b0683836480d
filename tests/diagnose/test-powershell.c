/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "admin/lk-powershell.h"
#include "ps-reference.h"

/* Values an address, a display name or an id could carry to break out. */
static const char * const hostile[] = {
  "plain@contoso.com",
  "o'brien@contoso.com",
  "'; Remove-Mailbox -Identity 'ceo@contoso.com' -Confirm:$false; '",
  "x\u2019; Stop-Computer; \u2018",
  "\u2018\u2019\u201a\u201b'",
  "a''b", "'", "''", "\u2019",
  "$(Stop-Computer)@contoso.com",
  "${env:PATH}", "$null", "`$x`'", "`", "a`",
  "\"; Stop-Computer; \"",
  "a;b|c&d>e<f", "@(1,2)", "#comment",
  "name\nStop-Computer", "tab\there", "cr\rlf\n", "\x1b[31mred", "del\x7f",
  "c1\xc2\x85next", "ls\xe2\x80\xa8ps\xe2\x80\xa9",
  "", "Zoë Ångström <zoe@exämple.com>",
};

/* What lk_powershell_quote() promises to keep: everything but the dropped
 * characters. */
static char *
expected_value (const char *value)
{
  GString *s = g_string_new (NULL);

  for (const char *p = value; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029)
        continue;
      g_string_append_unichar (s, c);
    }
  return g_string_free (s, FALSE);
}

static void
test_quote_round_trip (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autofree char *quoted = lk_powershell_quote (hostile[i]);
      g_autofree char *expected = expected_value (hostile[i]);
      g_autofree char *back = NULL;
      const char *end = NULL;

      g_test_message ("value %u → %s", i, quoted);
      back = ps_ref_read_single_quoted (quoted, &end);
      g_assert_nonnull (back);
      /* The literal is the whole output: nothing after its closing quote. */
      g_assert_cmpstr (end, ==, "");
      g_assert_cmpstr (back, ==, expected);
      g_assert_true (g_utf8_validate (quoted, -1, NULL));
      for (const char *p = quoted; *p != '\0'; p++)
        g_assert_cmpint ((guchar) *p, >=, 0x20);
    }
}

static void
test_quote_in_command (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autofree char *quoted = lk_powershell_quote (hostile[i]);
      g_autofree char *expected = expected_value (hostile[i]);
      g_autofree char *command = g_strdup_printf ("Set-CASMailbox -Identity %s -ImapEnabled $true",
                                                  quoted);
      g_autoptr(GPtrArray) tokens = ps_ref_tokenize (command);

      /* Exactly the five tokens meant: the value is one literal and the
       * command goes on unchanged after it. */
      g_assert_nonnull (tokens);
      g_assert_cmpuint (tokens->len, ==, 5);
      g_assert_cmpstr (g_ptr_array_index (tokens, 0), ==, "Set-CASMailbox");
      g_assert_cmpstr (g_ptr_array_index (tokens, 1), ==, "-Identity");
      g_assert_cmpstr (g_ptr_array_index (tokens, 2), ==, expected);
      g_assert_cmpstr (g_ptr_array_index (tokens, 3), ==, "-ImapEnabled");
      g_assert_cmpstr (g_ptr_array_index (tokens, 4), ==, "$true");
    }
}

static void
test_quote_exact (void)
{
  g_autofree char *a = lk_powershell_quote ("o'brien");
  g_autofree char *b = lk_powershell_quote ("x\u2019y");
  g_autofree char *c = lk_powershell_quote ("a\nb");
  g_autofree char *d = lk_powershell_quote (NULL);
  g_autofree char *e = lk_powershell_quote ("\xff\xfe");

  g_assert_cmpstr (a, ==, "'o''brien'");
  g_assert_cmpstr (b, ==, "'x\u2019\u2019y'");
  g_assert_cmpstr (c, ==, "'ab'");
  g_assert_cmpstr (d, ==, "''");
  g_assert_cmpstr (e, ==, "'\ufffd\ufffd'");
}

static void
test_value_is_safe (void)
{
  g_assert_true (lk_powershell_value_is_safe ("o'brien@contoso.com"));
  g_assert_true (lk_powershell_value_is_safe ("$(x);`"));
  g_assert_false (lk_powershell_value_is_safe ("a\nb"));
  g_assert_false (lk_powershell_value_is_safe ("a\x1b"));
  g_assert_false (lk_powershell_value_is_safe ("a\xe2\x80\xa8"));
  g_assert_false (lk_powershell_value_is_safe ("\xff"));
  g_assert_false (lk_powershell_value_is_safe (NULL));
}

/* OPATH text for Exchange filters: apostrophes doubled; typographic
 * quotes and unsafe values refused. */
static void
test_opath_text (void)
{
  g_autofree char *plain = lk_powershell_opath_text ("scan@contoso.com");
  g_autofree char *apostrophe = lk_powershell_opath_text ("o'brien@contoso.com");
  g_autofree char *breakout = lk_powershell_opath_text ("x' -or Name -like '*");

  g_assert_cmpstr (plain, ==, "'scan@contoso.com'");
  g_assert_cmpstr (apostrophe, ==, "'o''brien@contoso.com'");
  g_assert_cmpstr (breakout, ==, "'x'' -or Name -like ''*'");
  g_assert_null (lk_powershell_opath_text ("o\u2019brien@contoso.com"));
  g_assert_null (lk_powershell_opath_text ("\u201Aa@contoso.com"));
  g_assert_null (lk_powershell_opath_text ("a\nb@contoso.com"));
  g_assert_null (lk_powershell_opath_text (NULL));
}

/* The reference reader itself must see a break-out when there is one, or
 * the tests above prove nothing. */
static void
test_reference_catches_breakout (void)
{
  g_autoptr(GPtrArray) naive = NULL;
  g_autoptr(GPtrArray) unicode = NULL;
  const char *end = NULL;
  g_autofree char *lit = ps_ref_read_single_quoted ("'a''b' rest", &end);

  g_assert_cmpstr (lit, ==, "a'b");
  g_assert_cmpstr (end, ==, " rest");
  /* Quoting by doubling only ASCII quotes is not enough. */
  naive = ps_ref_tokenize ("Set-CASMailbox -Identity 'x\u2019; Stop-Computer; \u2018' -ImapEnabled $true");
  g_assert_null (naive);
  unicode = ps_ref_tokenize ("Set-CASMailbox -Identity 'a'; Stop-Computer; '' -ImapEnabled $true");
  g_assert_null (unicode);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/powershell/quote-round-trip", test_quote_round_trip);
  g_test_add_func ("/powershell/quote-in-command", test_quote_in_command);
  g_test_add_func ("/powershell/quote-exact", test_quote_exact);
  g_test_add_func ("/powershell/value-is-safe", test_value_is_safe);
  g_test_add_func ("/powershell/opath-text", test_opath_text);
  g_test_add_func ("/powershell/reference-catches-breakout", test_reference_catches_breakout);
  return g_test_run ();
}
