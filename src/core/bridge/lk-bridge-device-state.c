/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bridge/lk-bridge-device-state.h"
#include "bridge/lk-bridge-credentials.h"
#include "lk-file.h"
#include "lk-json.h"
#include "lk-places.h"

/**
 * LkBridgeDeviceState:
 *
 * The office bridge's per-device counters that a restart must not reset
 * (doc/bridge-office.md, "Devices" and "Brute force"): the messages each
 * device handed over in the last hour (its cap) and today, and its
 * lock-out. One small JSON file, `bridge-devices.json` in the state folder
 * (LK_PLACE_STATE: `$XDG_STATE_HOME/latchkey`, in system mode
 * `$STATE_DIRECTORY`), 0600, replaced atomically. It holds counts and
 * times, never a password or a token.
 *
 * The hour is counted in 60 one-minute slots, so that a device without a
 * cap costs as little as one with one, however much it sends; the cap's
 * "try again in M minutes" is exact to the minute.
 */

#define FILE_NAME "bridge-devices.json"
/* A device name is short (LK_BRIDGE_DEVICE_NAME_MAX); thousands of
 * devices fit well within this. */
#define MAX_FILE_SIZE (4 * 1024 * 1024)

struct _LkBridgeDeviceState
{
  char       *path;      /* nullable: memory only */
  GHashTable *records;   /* device name → LkBridgeDeviceRecord */
};

/* The local day as a number that changes at local midnight. */
gint64
lk_bridge_device_record_day (gint64 unix_time)
{
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (unix_time);

  return (gint64) g_date_time_get_year (now) * 400 + g_date_time_get_day_of_year (now);
}

/* The device handed a message over at @now. */
void
lk_bridge_device_record_count (LkBridgeDeviceRecord *record,
                               gint64                now)
{
  gint64 minute = now / 60;
  guint slot = (guint) (minute % LK_BRIDGE_DEVICE_STATE_MINUTES);

  if (record->minute[slot] != minute)
    {
      record->minute[slot] = minute;
      record->count[slot] = 0;
    }
  if (record->count[slot] < G_MAXUINT)
    record->count[slot]++;
  if (record->day != lk_bridge_device_record_day (now))
    {
      record->day = lk_bridge_device_record_day (now);
      record->messages_today = 0;
    }
  if (record->messages_today < G_MAXUINT)
    record->messages_today++;
}

/**
 * lk_bridge_device_record_this_hour:
 * @out_free_at: (out) (optional): when the oldest message counted leaves
 *   the hour (Unix time), 0 when none is counted
 *
 * Returns: the messages handed over in the current minute and the 59
 *   before it
 */
guint
lk_bridge_device_record_this_hour (const LkBridgeDeviceRecord *record,
                                   gint64                      now,
                                   gint64                     *out_free_at)
{
  gint64 minute = now / 60;
  gint64 oldest = 0;
  guint total = 0;

  for (guint i = 0; i < LK_BRIDGE_DEVICE_STATE_MINUTES; i++)
    if (record->count[i] > 0 && record->minute[i] <= minute
        && minute - record->minute[i] < LK_BRIDGE_DEVICE_STATE_MINUTES)
      {
        total += record->count[i];
        if (oldest == 0 || record->minute[i] < oldest)
          oldest = record->minute[i];
      }
  if (out_free_at != NULL)
    *out_free_at = oldest != 0 ? (oldest + LK_BRIDGE_DEVICE_STATE_MINUTES) * 60 : 0;
  return total;
}

guint
lk_bridge_device_record_today (const LkBridgeDeviceRecord *record,
                               gint64                      now)
{
  return record->day == lk_bridge_device_record_day (now) ? record->messages_today : 0;
}

void
lk_bridge_device_record_clear_lock (LkBridgeDeviceRecord *record)
{
  record->failures = 0;
  record->last_failure = 0;
  record->locked_at = 0;
  record->locked_until = 0;
}

/**
 * lk_bridge_device_state_new:
 * @path: (nullable): the file; %NULL keeps the records in memory only (the
 *   legacy-TLS process, which must not write over the bridge's file)
 */
LkBridgeDeviceState *
lk_bridge_device_state_new (const char *path)
{
  LkBridgeDeviceState *self = g_new0 (LkBridgeDeviceState, 1);

  self->path = g_strdup (path);
  self->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

void
lk_bridge_device_state_free (LkBridgeDeviceState *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->records);
  g_free (self->path);
  g_free (self);
}

/* Returns: (transfer full): bridge-devices.json in the state folder */
char *
lk_bridge_device_state_default_path (void)
{
  return lk_places_build_path (LK_PLACE_STATE, FILE_NAME, NULL);
}

const char *
lk_bridge_device_state_get_path (LkBridgeDeviceState *self)
{
  return self->path;
}

LkBridgeDeviceRecord *
lk_bridge_device_state_lookup (LkBridgeDeviceState *self,
                               const char          *name)
{
  return g_hash_table_lookup (self->records, name);
}

/* Returns: (transfer none): @name's record, made empty if there was none */
LkBridgeDeviceRecord *
lk_bridge_device_state_get (LkBridgeDeviceState *self,
                            const char          *name)
{
  LkBridgeDeviceRecord *record = g_hash_table_lookup (self->records, name);

  if (record == NULL)
    {
      record = g_new0 (LkBridgeDeviceRecord, 1);
      g_hash_table_insert (self->records, g_strdup (name), record);
    }
  return record;
}

/* Returns: (transfer container) (element-type utf8): the names with a record */
GPtrArray *
lk_bridge_device_state_dup_names (LkBridgeDeviceState *self)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  const char *name;

  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, NULL))
    g_ptr_array_add (names, g_strdup (name));
  return names;
}

/* A count or a time from the file: a whole number, never negative. */
static gint64
get_count (JsonObject *obj,
           const char *name)
{
  return MAX (lk_json_get_int (obj, name, 0), 0);
}

/* A whole number in @array, or -1. */
static gint64
element_int (JsonArray *array,
             guint      index)
{
  JsonNode *node = json_array_get_element (array, index);

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return -1;
  return json_node_get_int (node);
}

/**
 * lk_bridge_device_state_load:
 *
 * Reads the file again, replacing the records in memory. A missing file
 * is an empty one. Entries that are not a device's (a name the device
 * rule refuses, negative or absurd numbers) are left out: the file is the
 * bridge's own, but a wrong count must never lock a device or lift a cap.
 *
 * Returns: %FALSE with @error when the file cannot be read or is not JSON
 */
gboolean
lk_bridge_device_state_load (LkBridgeDeviceState  *self,
                             GError              **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *data = NULL;
  g_autoptr(GError) local = NULL;
  gsize length;
  JsonNode *root;
  JsonNode *devices;

  g_hash_table_remove_all (self->records);
  if (self->path == NULL)
    return TRUE;
  if (!lk_file_read_regular (self->path, MAX_FILE_SIZE, &data, &length, &local))
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
          || g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) length, &local))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("%s is not valid JSON (%s); the devices’ counters start again"),
                   self->path, local->message);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  devices = JSON_NODE_HOLDS_OBJECT (root)
            ? json_object_get_member (json_node_get_object (root), "devices") : NULL;
  if (devices == NULL || !JSON_NODE_HOLDS_ARRAY (devices))
    return TRUE;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (devices)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (devices), i);
      JsonObject *obj = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *name = obj != NULL ? lk_json_get_string (obj, "name") : NULL;
      JsonNode *minutes = obj != NULL ? json_object_get_member (obj, "minutes") : NULL;
      LkBridgeDeviceRecord *record;

      if (name == NULL || !lk_bridge_device_name_is_valid (name))
        continue;
      record = lk_bridge_device_state_get (self, name);
      record->day = get_count (obj, "day");
      record->messages_today = (guint) MIN (get_count (obj, "messages_today"), G_MAXUINT);
      record->failures = (guint) MIN (get_count (obj, "failures"), G_MAXUINT);
      record->last_failure = get_count (obj, "last_failure");
      record->locked_at = get_count (obj, "locked_at");
      record->locked_until = get_count (obj, "locked_until");
      /* "minutes": [[Unix minute, count], …] */
      for (guint j = 0; minutes != NULL && JSON_NODE_HOLDS_ARRAY (minutes)
                        && j < json_array_get_length (json_node_get_array (minutes)); j++)
        {
          JsonNode *pair = json_array_get_element (json_node_get_array (minutes), j);
          JsonArray *values = JSON_NODE_HOLDS_ARRAY (pair) ? json_node_get_array (pair) : NULL;
          gint64 minute;
          gint64 count;
          guint slot;

          if (values == NULL || json_array_get_length (values) != 2)
            continue;
          minute = element_int (values, 0);
          count = element_int (values, 1);
          if (minute <= 0 || count <= 0)
            continue;
          slot = (guint) (minute % LK_BRIDGE_DEVICE_STATE_MINUTES);
          if (record->minute[slot] < minute)
            {
              record->minute[slot] = minute;
              record->count[slot] = (guint) MIN (count, G_MAXUINT);
            }
        }
    }
  return TRUE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

/**
 * lk_bridge_device_state_save:
 *
 * Writes every record that still means something (a count within the hour
 * or today, a failure, a lock) to the file: a temporary file, then renamed
 * (g_file_set_contents_full()), 0600 in a 0700 folder.
 */
gboolean
lk_bridge_device_state_save (LkBridgeDeviceState  *self,
                             GError              **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *data = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(GPtrArray) names = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (self->path == NULL)
    return TRUE;
  names = lk_bridge_device_state_dup_names (self);
  /* The same order every time, so that the file only changes when a
   * count does. */
  g_ptr_array_sort (names, compare_names);
  json_builder_begin_object (builder);
  lk_json_add_int (builder, "version", 1);
  json_builder_set_member_name (builder, "devices");
  json_builder_begin_array (builder);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      LkBridgeDeviceRecord *record = g_hash_table_lookup (self->records, name);
      gint64 free_at;
      guint this_hour = lk_bridge_device_record_this_hour (record, now, &free_at);
      guint today = lk_bridge_device_record_today (record, now);

      if (this_hour == 0 && today == 0 && record->failures == 0 && record->locked_until <= now)
        continue;
      json_builder_begin_object (builder);
      lk_json_add_string (builder, "name", name);
      lk_json_add_int (builder, "day", record->day);
      lk_json_add_int (builder, "messages_today", today);
      json_builder_set_member_name (builder, "minutes");
      json_builder_begin_array (builder);
      for (guint j = 0; j < LK_BRIDGE_DEVICE_STATE_MINUTES; j++)
        if (record->count[j] > 0 && now / 60 - record->minute[j] < LK_BRIDGE_DEVICE_STATE_MINUTES)
          {
            json_builder_begin_array (builder);
            json_builder_add_int_value (builder, record->minute[j]);
            json_builder_add_int_value (builder, record->count[j]);
            json_builder_end_array (builder);
          }
      json_builder_end_array (builder);
      lk_json_add_int (builder, "failures", record->failures);
      lk_json_add_int (builder, "last_failure", record->last_failure);
      lk_json_add_int (builder, "locked_at", record->locked_until > now ? record->locked_at : 0);
      lk_json_add_int (builder, "locked_until", record->locked_until > now ? record->locked_until : 0);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  data = lk_json_to_data (root, TRUE, NULL);

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create the folder %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  if (!g_file_set_contents_full (self->path, data, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    {
      g_prefix_error (error, _("Could not save the devices’ counters: "));
      return FALSE;
    }
  return TRUE;
}
