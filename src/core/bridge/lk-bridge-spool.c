/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <string.h>
#include <unistd.h>

#include "bridge/lk-bridge-spool.h"
#include "lk-error.h"
#include "lk-file.h"
#include "lk-json.h"

/**
 * LkBridgeSpool:
 *
 * The office bridge's SMTP spool (doc/bridge-office.md, "Nothing lost"):
 * a folder (%LK_PLACE_SPOOL, 0700) with, per accepted message, `ID.eml`
 * (the message as the device sent it, without dot-stuffing, CRLF line
 * ends) and `ID.json` (its envelope, LkBridgeSpoolEntry).
 *
 * A message is written under `tmp/` while it arrives, then fsynced and
 * renamed to `ID.eml`; its envelope is written to a temporary name,
 * fsynced and renamed to `ID.json`, and the folder is fsynced. Only then
 * does the device hear 250: the envelope is the commit. What a crash
 * leaves before it — files in `tmp/`, an `ID.eml` without its envelope,
 * a half-written envelope's temporary file — is removed by
 * lk_bridge_spool_prepare() at the next start, as the device was never
 * told its message was taken. A delivered message's envelope goes first,
 * then the message: a crash in between leaves a message without an
 * envelope, which is removed as above, never sent twice.
 */

#define WRITE_BUFFER (64 * 1024)
#define MAX_ID       64

struct _LkBridgeSpool
{
  char *directory;
  char *tmp;
};

struct _LkBridgeSpoolWriter
{
  LkBridgeSpool *spool;     /* not owned */
  char          *id;
  char          *tmp_path;
  int            fd;
  GByteArray    *buffer;
  goffset        size;
};

void
lk_bridge_spool_entry_free (LkBridgeSpoolEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->id);
  g_free (entry->device);
  g_free (entry->account);
  g_free (entry->sender);
  g_strfreev (entry->recipients);
  g_free (entry->last_error);
  g_free (entry);
}

LkBridgeSpoolEntry *
lk_bridge_spool_entry_copy (const LkBridgeSpoolEntry *entry)
{
  LkBridgeSpoolEntry *copy = g_new0 (LkBridgeSpoolEntry, 1);

  *copy = *entry;
  copy->id = g_strdup (entry->id);
  copy->device = g_strdup (entry->device);
  copy->account = g_strdup (entry->account);
  copy->sender = g_strdup (entry->sender);
  copy->recipients = g_strdupv (entry->recipients);
  copy->last_error = g_strdup (entry->last_error);
  return copy;
}

static void
add_time (JsonBuilder *builder,
          const char  *name,
          gint64       when)
{
  g_autoptr(GDateTime) time = when != 0 ? g_date_time_new_from_unix_utc (when) : NULL;

  lk_json_add_date (builder, name, time);
}

/* The envelope as `bridge queue --json` shows it (dates in ISO 8601). */
JsonNode *
lk_bridge_spool_entry_to_json (const LkBridgeSpoolEntry *entry)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  lk_json_add_string (builder, "id", entry->id);
  lk_json_add_string (builder, "device", entry->device);
  lk_json_add_string (builder, "account", entry->account);
  lk_json_add_string (builder, "from", entry->sender);
  lk_json_add_strv (builder, "to", entry->recipients);
  add_time (builder, "received", entry->received);
  lk_json_add_int (builder, "size", entry->size);
  lk_json_add_int (builder, "attempts", entry->attempts);
  add_time (builder, "next_attempt", entry->next_attempt);
  lk_json_add_string (builder, "last_error", entry->last_error);
  lk_json_add_boolean (builder, "bounce", entry->bounce);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* The file's form: numbers as Unix times, so that it reads back exactly. */
static char *
entry_to_file (const LkBridgeSpoolEntry *entry)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  lk_json_add_int (builder, "version", 1);
  lk_json_add_string (builder, "id", entry->id);
  lk_json_add_string (builder, "device", entry->device);
  lk_json_add_string (builder, "account", entry->account);
  lk_json_add_string (builder, "from", entry->sender);
  lk_json_add_strv (builder, "to", entry->recipients);
  lk_json_add_int (builder, "received", entry->received);
  lk_json_add_int (builder, "size", entry->size);
  lk_json_add_int (builder, "attempts", entry->attempts);
  lk_json_add_int (builder, "next_attempt", entry->next_attempt);
  lk_json_add_string (builder, "last_error", entry->last_error);
  lk_json_add_boolean (builder, "bounce", entry->bounce);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return lk_json_to_data (root, TRUE, NULL);
}

static LkBridgeSpoolEntry *
entry_from_file (const char  *path,
                 GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(LkBridgeSpoolEntry) entry = g_new0 (LkBridgeSpoolEntry, 1);
  g_autofree char *data = NULL;
  gsize length = 0;
  JsonObject *obj;
  JsonNode *to;
  JsonArray *array;

  if (!lk_file_read_regular (path, LK_FILE_MAX_SMALL, &data, &length, error)
      || !json_parser_load_from_data (parser, data, (gssize) length, error))
    return NULL;
  if (json_parser_get_root (parser) == NULL || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT, _("%s is not a JSON object"), path);
      return NULL;
    }
  obj = json_node_get_object (json_parser_get_root (parser));
  entry->id = lk_json_dup_string (obj, "id");
  entry->device = lk_json_dup_string (obj, "device");
  entry->account = lk_json_dup_string (obj, "account");
  entry->sender = lk_json_dup_string (obj, "from");
  entry->received = lk_json_get_int (obj, "received", 0);
  entry->size = lk_json_get_int (obj, "size", 0);
  entry->attempts = (guint) CLAMP (lk_json_get_int (obj, "attempts", 0), 0, G_MAXINT);
  entry->next_attempt = lk_json_get_int (obj, "next_attempt", 0);
  entry->last_error = lk_json_dup_string (obj, "last_error");
  entry->bounce = lk_json_get_boolean (obj, "bounce", FALSE);
  to = json_object_get_member (obj, "to");
  array = to != NULL && JSON_NODE_HOLDS_ARRAY (to) ? json_node_get_array (to) : NULL;
  if (entry->id == NULL || !lk_bridge_spool_id_is_valid (entry->id) || entry->account == NULL
      || entry->sender == NULL || array == NULL || json_array_get_length (array) == 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("%s lacks its id, account, sender or recipients"), path);
      return NULL;
    }
  entry->recipients = g_new0 (char *, json_array_get_length (array) + 1);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      const char *recipient = json_array_get_string_element (array, i);

      if (recipient == NULL)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT, _("%s: a recipient is not text"), path);
          return NULL;
        }
      entry->recipients[i] = g_strdup (recipient);
    }
  if (entry->device == NULL)
    entry->device = g_strdup ("");
  return g_steal_pointer (&entry);
}

/* "20261204T155000-1f2e3d4c5b6a7988": sorts by time, unique by chance. */
static char *
new_id (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *when = g_date_time_format (now, "%Y%m%dT%H%M%S");
  guint8 random[8];
  GString *id = g_string_new (when);

  if (gnutls_rnd (GNUTLS_RND_NONCE, random, sizeof random) != 0)
    g_error ("GnuTLS could not produce random numbers");
  g_string_append_c (id, '-');
  for (guint i = 0; i < sizeof random; i++)
    g_string_append_printf (id, "%02x", random[i]);
  return g_string_free (id, FALSE);
}

/* What `queue drop ID` may name: nothing that leaves the folder. */
gboolean
lk_bridge_spool_id_is_valid (const char *id)
{
  gsize length = id != NULL ? strlen (id) : 0;

  if (length == 0 || length > MAX_ID)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-')
      return FALSE;
  return TRUE;
}

/**
 * lk_bridge_spool_new:
 * @directory: the spool folder (lk_places_get_dir (%LK_PLACE_SPOOL))
 */
LkBridgeSpool *
lk_bridge_spool_new (const char *directory)
{
  LkBridgeSpool *self = g_new0 (LkBridgeSpool, 1);

  self->directory = g_strdup (directory);
  self->tmp = g_build_filename (directory, "tmp", NULL);
  return self;
}

void
lk_bridge_spool_free (LkBridgeSpool *self)
{
  if (self == NULL)
    return;
  g_free (self->directory);
  g_free (self->tmp);
  g_free (self);
}

const char *
lk_bridge_spool_get_directory (LkBridgeSpool *self)
{
  return self->directory;
}

static gboolean
make_dir (const char  *path,
          GError     **error)
{
  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create the folder %s: %s"), path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static char *
path_for (LkBridgeSpool *self,
          const char    *id,
          const char    *suffix)
{
  g_autofree char *name = g_strconcat (id, suffix, NULL);

  return g_build_filename (self->directory, name, NULL);
}

/**
 * lk_bridge_spool_prepare:
 *
 * Makes the folders, and removes what a crash left of messages that were
 * never accepted (see #LkBridgeSpool). Call it once, at start, before
 * anything is written.
 */
gboolean
lk_bridge_spool_prepare (LkBridgeSpool  *self,
                         GError        **error)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GDir) tmp = NULL;
  const char *name;

  if (!make_dir (self->directory, error) || !make_dir (self->tmp, error))
    return FALSE;
  tmp = g_dir_open (self->tmp, 0, error);
  if (tmp == NULL)
    return FALSE;
  while ((name = g_dir_read_name (tmp)) != NULL)
    {
      g_autofree char *path = g_build_filename (self->tmp, name, NULL);

      g_debug ("Removing %s: a message a crash cut off before it was accepted", path);
      g_unlink (path);
    }
  dir = g_dir_open (self->directory, 0, error);
  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (self->directory, name, NULL);

      if (g_str_has_suffix (name, ".eml"))
        {
          g_autofree char *id = g_strndup (name, strlen (name) - 4);
          g_autofree char *envelope = path_for (self, id, ".json");

          if (!g_file_test (envelope, G_FILE_TEST_EXISTS))
            {
              g_debug ("Removing %s: its envelope was never written or was removed", path);
              g_unlink (path);
            }
        }
      else if (strstr (name, ".json.") != NULL)
        g_unlink (path);   /* g_file_set_contents_full()'s temporary file */
    }
  return lk_file_sync_dir (self->directory, error);
}

/**
 * lk_bridge_spool_entry_compare:
 *
 * Oldest first (then by ID), for g_ptr_array_sort() over entries.
 */
gint
lk_bridge_spool_entry_compare (gconstpointer a,
                               gconstpointer b)
{
  const LkBridgeSpoolEntry *x = *(LkBridgeSpoolEntry **) a;
  const LkBridgeSpoolEntry *y = *(LkBridgeSpoolEntry **) b;

  if (x->received != y->received)
    return x->received < y->received ? -1 : 1;
  return strcmp (x->id, y->id);
}

/**
 * lk_bridge_spool_list:
 *
 * Returns: (transfer container) (element-type LkBridgeSpoolEntry): every
 *   message in the spool, oldest first; a damaged envelope is left where
 *   it is and logged
 */
GPtrArray *
lk_bridge_spool_list (LkBridgeSpool *self)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_bridge_spool_entry_free);
  g_autoptr(GDir) dir = g_dir_open (self->directory, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *id = NULL;
      g_autofree char *message = NULL;
      g_autoptr(GError) error = NULL;
      LkBridgeSpoolEntry *entry;

      if (!g_str_has_suffix (name, ".json"))
        continue;
      path = g_build_filename (self->directory, name, NULL);
      id = g_strndup (name, strlen (name) - 5);
      message = path_for (self, id, ".eml");
      entry = entry_from_file (path, &error);
      if (entry == NULL || g_strcmp0 (entry->id, id) != 0 || !g_file_test (message, G_FILE_TEST_IS_REGULAR))
        {
          g_warning ("Skipping %s in the spool: %s", path,
                     error != NULL ? error->message : "its message is missing or its id differs");
          lk_bridge_spool_entry_free (entry);
          continue;
        }
      g_ptr_array_add (entries, entry);
    }
  g_ptr_array_sort (entries, lk_bridge_spool_entry_compare);
  return entries;
}

char *
lk_bridge_spool_message_path (LkBridgeSpool *self,
                              const char    *id)
{
  return path_for (self, id, ".eml");
}

static gboolean
write_envelope (LkBridgeSpool             *self,
                const LkBridgeSpoolEntry  *entry,
                GError                   **error)
{
  g_autofree char *path = path_for (self, entry->id, ".json");
  g_autofree char *data = entry_to_file (entry);

  /* A temporary name, fsync, rename (and the folder's fsync by the
   * caller): the envelope is there whole or not at all. */
  if (!g_file_set_contents_full (path, data, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error))
    {
      g_prefix_error (error, _("Could not write to the spool: "));
      return FALSE;
    }
  return TRUE;
}

/* A delivery's outcome (attempts, next try, last error). */
gboolean
lk_bridge_spool_update (LkBridgeSpool             *self,
                        const LkBridgeSpoolEntry  *entry,
                        GError                   **error)
{
  return write_envelope (self, entry, error);
}

/**
 * lk_bridge_spool_remove:
 *
 * Delivered (or dropped): the envelope goes first, so that a crash never
 * leaves an envelope without its message.
 */
gboolean
lk_bridge_spool_remove (LkBridgeSpool  *self,
                        const char     *id,
                        GError        **error)
{
  g_autofree char *envelope = path_for (self, id, ".json");
  g_autofree char *message = path_for (self, id, ".eml");

  if (g_unlink (envelope) != 0 && errno != ENOENT)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not remove %s: %s"), envelope, g_strerror (saved));
      return FALSE;
    }
  if (!lk_file_sync_dir (self->directory, error))
    return FALSE;
  g_unlink (message);
  return TRUE;
}

/* ── Taking a message in ──────────────────────────────────────────────── */

LkBridgeSpoolWriter *
lk_bridge_spool_writer_new (LkBridgeSpool  *self,
                            GError        **error)
{
  g_autoptr(LkBridgeSpoolWriter) writer = g_new0 (LkBridgeSpoolWriter, 1);
  g_autofree char *name = NULL;

  writer->spool = self;
  writer->fd = -1;
  writer->id = new_id ();
  name = g_strconcat (writer->id, ".eml", NULL);
  writer->tmp_path = g_build_filename (self->tmp, name, NULL);
  writer->fd = g_open (writer->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (writer->fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not write to the spool %s: %s"), self->directory, g_strerror (saved));
      return NULL;
    }
  writer->buffer = g_byte_array_sized_new (WRITE_BUFFER);
  return g_steal_pointer (&writer);
}

static gboolean
flush (LkBridgeSpoolWriter  *writer,
       GError              **error)
{
  gsize done = 0;

  while (done < writer->buffer->len)
    {
      gssize n = write (writer->fd, writer->buffer->data + done, writer->buffer->len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Could not write to the spool %s: %s"), writer->spool->directory,
                       g_strerror (saved));
          return FALSE;
        }
      done += n;
    }
  g_byte_array_set_size (writer->buffer, 0);
  return TRUE;
}

gboolean
lk_bridge_spool_writer_write (LkBridgeSpoolWriter  *writer,
                              const void           *data,
                              gsize                 length,
                              GError              **error)
{
  g_byte_array_append (writer->buffer, data, length);
  writer->size += length;
  if (writer->buffer->len >= WRITE_BUFFER)
    return flush (writer, error);
  return TRUE;
}

goffset
lk_bridge_spool_writer_get_size (LkBridgeSpoolWriter *writer)
{
  return writer->size;
}

/**
 * lk_bridge_spool_writer_commit:
 * @envelope: device, account, sender and recipients; the rest is filled in
 *
 * Makes the message part of the spool (see #LkBridgeSpool): when this
 * returns, it survives a crash or a power cut, and the device may be told
 * 250.
 *
 * Returns: (transfer full): the envelope as stored
 */
LkBridgeSpoolEntry *
lk_bridge_spool_writer_commit (LkBridgeSpoolWriter  *writer,
                               LkBridgeSpoolEntry   *envelope,
                               GError              **error)
{
  g_autoptr(LkBridgeSpoolEntry) entry = lk_bridge_spool_entry_copy (envelope);
  g_autofree char *message = path_for (writer->spool, writer->id, ".eml");
  int fd = writer->fd;

  if (!flush (writer, error))
    return NULL;
  writer->fd = -1;
  if (fsync (fd) != 0 || close (fd) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not write to the spool %s: %s"), writer->spool->directory,
                   g_strerror (saved));
      return NULL;
    }
  if (g_rename (writer->tmp_path, message) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not write to the spool %s: %s"), writer->spool->directory,
                   g_strerror (saved));
      return NULL;
    }
  g_clear_pointer (&writer->tmp_path, g_free);
  g_free (entry->id);
  entry->id = g_strdup (writer->id);
  entry->size = writer->size;
  entry->received = g_get_real_time () / G_USEC_PER_SEC;
  entry->next_attempt = entry->received;
  if (!write_envelope (writer->spool, entry, error)
      || !lk_file_sync_dir (writer->spool->directory, error))
    {
      g_autofree char *envelope = path_for (writer->spool, writer->id, ".json");

      g_unlink (envelope);
      g_unlink (message);
      return NULL;
    }
  return g_steal_pointer (&entry);
}

static void
commit_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  LkBridgeSpoolWriter *writer = g_object_get_data (G_OBJECT (task), "writer");
  GError *error = NULL;
  LkBridgeSpoolEntry *entry = lk_bridge_spool_writer_commit (writer, task_data, &error);

  if (entry == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, entry, (GDestroyNotify) lk_bridge_spool_entry_free);
}

/**
 * lk_bridge_spool_writer_commit_async:
 *
 * lk_bridge_spool_writer_commit() in a worker thread, so that its fsyncs
 * hold up no other session. @writer must not be used until @callback.
 */
void
lk_bridge_spool_writer_commit_async (LkBridgeSpoolWriter      *writer,
                                     const LkBridgeSpoolEntry *envelope,
                                     GAsyncReadyCallback       callback,
                                     gpointer                  user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, callback, user_data);

  g_task_set_source_tag (task, lk_bridge_spool_writer_commit_async);
  g_object_set_data (G_OBJECT (task), "writer", writer);
  g_task_set_task_data (task, lk_bridge_spool_entry_copy (envelope),
                        (GDestroyNotify) lk_bridge_spool_entry_free);
  g_task_run_in_thread (task, commit_thread);
}

LkBridgeSpoolEntry *
lk_bridge_spool_writer_commit_finish (GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Closes the writer; a message not committed is removed. */
void
lk_bridge_spool_writer_free (LkBridgeSpoolWriter *writer)
{
  if (writer == NULL)
    return;
  if (writer->fd >= 0)
    close (writer->fd);
  if (writer->tmp_path != NULL)
    g_unlink (writer->tmp_path);
  g_free (writer->tmp_path);
  g_free (writer->id);
  if (writer->buffer != NULL)
    g_byte_array_unref (writer->buffer);
  g_free (writer);
}
