/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one reader and writer of JSON members (src/core/lk-json.c): what our
 * files, the keyring payload and `--json` output look like, and that a
 * member of the wrong type reads as absent. */
#include "config.h"

#include <string.h>

#include "lk-json.h"

static JsonObject *
parse_object (const char *text,
              JsonParser *parser)
{
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_node_get_object (root);
}

static char *
build (void (*fill) (JsonBuilder *builder),
       gboolean pretty)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  fill (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return lk_json_to_data (root, pretty, NULL);
}

static void
fill_strings (JsonBuilder *builder)
{
  lk_json_add_string (builder, "present", "value");
  lk_json_add_string (builder, "absent_as_null", NULL);
  lk_json_add_optional_string (builder, "optional", "here");
  lk_json_add_optional_string (builder, "left_out", NULL);
}

/* Profiles and --json keep every member (null when unknown); our own
 * files leave unknown members out. */
static void
test_strings_null_or_left_out (void)
{
  g_autofree char *text = build (fill_strings, FALSE);

  g_assert_cmpstr (text, ==,
                   "{\"present\":\"value\",\"absent_as_null\":null,\"optional\":\"here\"}");
}

static void
fill_values (JsonBuilder *builder)
{
  g_auto(GStrv) strv = g_strsplit ("imap smtp", " ", -1);
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) date = g_date_time_new (utc, 2026, 3, 1, 12, 30, 0);

  lk_json_add_strv (builder, "list", strv);
  lk_json_add_strv (builder, "empty", NULL);
  lk_json_add_int (builder, "big", G_GINT64_CONSTANT (4102444800));
  lk_json_add_boolean (builder, "flag", TRUE);
  lk_json_add_date (builder, "when", date);
  lk_json_add_date (builder, "never", NULL);
}

static void
test_values_round_trip (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *text = build (fill_values, TRUE);
  JsonObject *obj;
  JsonArray *list;

  /* Pretty output is for people: one member a line. */
  g_assert_nonnull (strstr (text, "\n  \"big\" : 4102444800,\n"));
  obj = parse_object (text, parser);
  list = json_object_get_array_member (obj, "list");
  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (list, 1), ==, "smtp");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj, "empty")), ==, 0);
  g_assert_cmpint (lk_json_get_int (obj, "big", 0), ==, G_GINT64_CONSTANT (4102444800));
  g_assert_true (json_object_get_boolean_member (obj, "flag"));
  g_assert_cmpstr (lk_json_get_string (obj, "when"), ==, "2026-03-01T12:30:00Z");
  g_assert_true (json_object_get_null_member (obj, "never"));
}

/* A member of the wrong type is as good as absent: no critical, no crash. */
static void
test_readers_wrong_type (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *obj = parse_object ("{\"s\":[1],\"i\":\"7\",\"n\":{},\"e\":\" 3600 \","
                                  "\"d\":5.9,\"neg\":-1,\"t\":true}", parser);
  gint64 seconds = -1;

  g_assert_null (lk_json_get_string (obj, "s"));
  /* A wrong type reads as the default, as a missing member does. */
  g_assert_cmpstr (lk_json_get_string_or (obj, "s", "?"), ==, "?");
  g_assert_cmpstr (lk_json_get_string_or (obj, "missing", "?"), ==, "?");
  g_assert_null (lk_json_get_string_or (obj, "s", NULL));
  g_assert_null (lk_json_dup_string (obj, "missing"));
  g_assert_cmpint (lk_json_get_int (obj, "i", 42), ==, 42);
  g_assert_cmpint (lk_json_get_int (obj, "n", 42), ==, 42);
  g_assert_true (lk_json_get_boolean (obj, "t", FALSE));
  g_assert_true (lk_json_get_boolean (obj, "i", TRUE));
  g_assert_false (lk_json_get_boolean (obj, "missing", FALSE));
  g_assert_false (lk_json_get_seconds (obj, "n", &seconds));
  g_assert_false (lk_json_get_seconds (obj, "neg", &seconds));
  g_assert_cmpint (seconds, ==, -1);
  g_assert_true (lk_json_get_seconds (obj, "e", &seconds));
  g_assert_cmpint (seconds, ==, 3600);
  g_assert_true (lk_json_get_seconds (obj, "d", &seconds));
  g_assert_cmpint (seconds, ==, 5);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json/strings-null-or-left-out", test_strings_null_or_left_out);
  g_test_add_func ("/json/values-round-trip", test_values_round_trip);
  g_test_add_func ("/json/readers-wrong-type", test_readers_wrong_type);
  return g_test_run ();
}
