/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The launcher's reader of the keyring payload: what it accepts must be
 * exactly what json-glib would, for the three members it needs, and
 * anything else must send the command to the full program. */
#include "config.h"

#include <string.h>

#include "lk-cli-payload.h"
#include "lk-token-set.h"

static gboolean
read_text (const char  *text,
           char       **token,
           gint64      *expires_at)
{
  gint64 version = 0;

  *token = NULL;
  return lk_cli_payload_read (text, strlen (text), &version, token, expires_at) && version == 1;
}

/* What core writes is what the launcher reads. */
static void
test_round_trip_with_core (void)
{
  g_autoptr(LkTokenSet) tokens = lk_token_set_new ();
  g_autofree char *token = NULL;
  gint64 expires_at = 0;
  char *data;

  tokens->access_token = g_strdup ("eyJhbGciOi.eyJzdWIiOi.sig-_");
  tokens->refresh_token = g_strdup ("lkrt_abc");
  tokens->expires_at = 1795950624;
  tokens->scope = g_strdup ("a b");
  tokens->id_name = g_strdup ("O\"Brien \\ \u00e9 {\"access_token\":\"evil\"}");
  data = lk_token_set_serialize (tokens);
  g_assert_true (read_text (data, &token, &expires_at));
  lk_secret_wipe (data);
  g_assert_cmpstr (token, ==, "eyJhbGciOi.eyJzdWIiOi.sig-_");
  g_assert_cmpint (expires_at, ==, 1795950624);
}

static void
test_rejects (void)
{
  const char *bad[] = {
    "",
    "[]",
    "{\"v\":1,\"expires_at\":5}",                                   /* no token */
    "{\"v\":1,\"access_token\":\"a\"}",                             /* no expiry */
    "{\"access_token\":\"a\",\"expires_at\":5}",                    /* no version */
    "{\"v\":1,\"access_token\":\"a\\u0041\",\"expires_at\":5}",     /* escaped token */
    "{\"v\":1,\"access_token\":\"a\",\"expires_at\":5.5}",
    "{\"v\":1,\"access_token\":\"a\",\"expires_at\":5} x",          /* trailing data */
    "{\"v\":1,\"access_token\":\"a\",\"expires_at\":5",             /* unterminated */
    "{\"v\":1,\"access_token\":\"\",\"expires_at\":5}",             /* empty token */
    "{\"v\":1,\"access_token\":\"a\",\"expires_at\":99999999999999999999}",
    "{\"v\":1,\"x\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]],\"access_token\":\"a\",\"expires_at\":5}",
    "{\"v\":1,\"access_token\":\"a\nb\",\"expires_at\":5}",          /* control char */
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *token = NULL;
      gint64 expires_at = 0;

      g_test_message ("case %u: %s", i, bad[i]);
      g_assert_false (read_text (bad[i], &token, &expires_at));
      g_assert_null (token);
    }
}

static void
test_skips_other_members (void)
{
  g_autofree char *token = NULL;
  gint64 expires_at = 0;

  g_assert_true (read_text (" { \"x\" : {\"a\":[1,true,null,\"s\\\"\"]} , \"v\" : 1 ,"
                            "\"access_token\":\"tok\", \"expires_at\": -3, \"y\": false }\n",
                            &token, &expires_at));
  g_assert_cmpstr (token, ==, "tok");
  g_assert_cmpint (expires_at, ==, -3);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/payload/round-trip-with-core", test_round_trip_with_core);
  g_test_add_func ("/cli/payload/rejects", test_rejects);
  g_test_add_func ("/cli/payload/skips-other-members", test_skips_other_members);
  return g_test_run ();
}
