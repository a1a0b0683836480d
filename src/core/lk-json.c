/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading members of JSON objects that servers, profiles and our own files
 * may get wrong (a wrong type is the same as a missing member), and writing
 * our own files and `--json` output the one way. */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include <string.h>

#include "lk-json.h"

/**
 * lk_json_get_string:
 *
 * json-glib's own json_object_get_string_member_with_default() logs a
 * critical (fatal in tests and fuzzers) when the member is an object or an
 * array; this treats any wrong type as absent.
 *
 * Returns: (nullable) (transfer none): the string member @name, or NULL
 *   when it is missing, not a string or not UTF-8
 */
const char *
lk_json_get_string (JsonObject *obj,
                    const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  /* json-glib turns an escaped lone surrogate ("\ud800") into bytes that
   * are not UTF-8, which could never be written back: treat it as absent
   * (found by fuzzing). */
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING ||
      !g_utf8_validate (json_node_get_string (node), -1, NULL))
    return NULL;
  return json_node_get_string (node);
}

/**
 * lk_json_get_string_or:
 * @default_value: (nullable): what a missing or wrong member reads as
 *
 * lk_json_get_string() with a default, for what the bridge's control
 * socket and other programs' answers may leave out.
 *
 * Returns: (nullable) (transfer none): the member, or @default_value
 */
const char *
lk_json_get_string_or (JsonObject *obj,
                       const char *name,
                       const char *default_value)
{
  const char *value = lk_json_get_string (obj, name);

  return value != NULL ? value : default_value;
}

/**
 * lk_json_dup_string:
 *
 * Returns: (nullable): a copy of lk_json_get_string()
 */
char *
lk_json_dup_string (JsonObject *obj,
                    const char *name)
{
  return g_strdup (lk_json_get_string (obj, name));
}

/**
 * lk_json_get_int:
 *
 * Returns: the integer member @name, or @default_value when it is missing
 *   or anything but a JSON integer (found by fuzzing the keyring payload:
 *   json_object_get_int_member_with_default() is critical on an object).
 */
gint64
lk_json_get_int (JsonObject *obj,
                 const char *name,
                 gint64      default_value)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return default_value;
  return json_node_get_int (node);
}

/**
 * lk_json_get_boolean:
 *
 * Returns: the boolean member @name, or @default_value when it is missing
 *   or anything but true or false
 */
gboolean
lk_json_get_boolean (JsonObject *obj,
                     const char *name,
                     gboolean    default_value)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return default_value;
  return json_node_get_boolean (node);
}

/**
 * lk_json_get_seconds:
 *
 * Reads a count of seconds given as a JSON number or as a decimal string
 * (some servers quote expires_in). Returns: whether a usable value was there.
 */
gboolean
lk_json_get_seconds (JsonObject *obj,
                     const char *name,
                     gint64     *out_seconds)
{
  JsonNode *node = json_object_get_member (obj, name);
  gint64 value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      value = json_node_get_int (node);
      break;
    case G_TYPE_DOUBLE:
      {
        double d = json_node_get_double (node);

        if (!(d >= 0 && d < (double) G_MAXINT32))
          return FALSE;
        value = (gint64) d;
      }
      break;
    case G_TYPE_STRING:
      {
        g_autofree char *text = g_strstrip (g_strdup (json_node_get_string (node)));
        guint64 parsed;

        if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT32, &parsed, NULL))
          return FALSE;
        value = (gint64) parsed;
      }
      break;
    default:
      return FALSE;
    }
  if (value < 0 || value > G_MAXINT32)
    return FALSE;
  *out_seconds = value;
  return TRUE;
}

/**
 * lk_json_dup_marking_nul:
 * @length: the length of @data, or -1 when it ends with a NUL
 * @out_length: (out): the length of the copy
 *
 * json-glib hands strings out as C strings, so a "\u0000" in a JSON text
 * silently cuts a value short ("mail.example\u0000…" reads as
 * "mail.example"). This copy has every such escape written "\u0001"
 * instead (same length), so that a reader that refuses control characters
 * refuses the value and names its field, rather than taking the part
 * before the NUL. An escape is a backslash after an even number of them.
 */
char *
lk_json_dup_marking_nul (const char *data,
                         gssize      length,
                         gsize      *out_length)
{
  gsize n = length < 0 ? strlen (data) : (gsize) length;
  char *copy = g_malloc (n + 1);
  gsize backslashes = 0;

  memcpy (copy, data, n);
  copy[n] = '\0';
  for (gsize i = 0; i < n; i++)
    {
      if (copy[i] == '\\')
        {
          backslashes++;
          continue;
        }
      if (backslashes % 2 == 1 && copy[i] == 'u' && n - i >= 5 &&
          memcmp (copy + i + 1, "0000", 4) == 0)
        copy[i + 4] = '1';
      backslashes = 0;
    }
  *out_length = n;
  return copy;
}

/**
 * lk_json_add_string:
 * @value: (nullable): the string, or NULL for a JSON null
 *
 * For formats whose readers expect every member to be there, such as
 * provider profiles and `--json` output.
 */
void
lk_json_add_string (JsonBuilder *builder,
                    const char  *name,
                    const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/**
 * lk_json_add_optional_string:
 * @value: (nullable): the string, or NULL to leave the member out
 *
 * For our own files (accounts, the keyring payload), where a missing member
 * reads back as NULL and keeps them small.
 */
void
lk_json_add_optional_string (JsonBuilder *builder,
                             const char  *name,
                             const char  *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

/**
 * lk_json_add_strv:
 * @strv: (nullable): the strings; NULL writes an empty array
 */
void
lk_json_add_strv (JsonBuilder  *builder,
                  const char   *name,
                  char * const *strv)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_builder_add_string_value (builder, strv[i]);
  json_builder_end_array (builder);
}

void
lk_json_add_int (JsonBuilder *builder,
                 const char  *name,
                 gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

void
lk_json_add_boolean (JsonBuilder *builder,
                     const char  *name,
                     gboolean     value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

/**
 * lk_json_add_date:
 * @value: (nullable): the time, or NULL for a JSON null
 *
 * Writes ISO 8601 with the time's own offset, as g_date_time_format_iso8601().
 */
void
lk_json_add_date (JsonBuilder *builder,
                  const char  *name,
                  GDateTime   *value)
{
  g_autofree char *text = value != NULL ? g_date_time_format_iso8601 (value) : NULL;

  lk_json_add_string (builder, name, text);
}

/**
 * lk_json_to_data:
 * @pretty: indent for people (files they may read, `--json`); FALSE for
 *   compact text (the keyring payload, text parsed again at once)
 * @length: (out) (optional): the length of the text
 *
 * Returns: (transfer full): @root as JSON text
 */
char *
lk_json_to_data (JsonNode *root,
                 gboolean  pretty,
                 gsize    *length)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, pretty);
  return json_generator_to_data (generator, length);
}
