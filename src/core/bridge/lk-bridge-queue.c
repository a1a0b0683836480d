/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <malloc.h>
#include <string.h>

#include "bridge/lk-bridge-log.h"
#include "bridge/lk-bridge-queue.h"
#include "bridge/lk-bridge-report.h"
#include "lk-error.h"
#include "lk-json.h"
#include "mail/lk-mail-reply.h"

/**
 * LkBridgeQueue:
 *
 * Delivers what devices handed to the spool (LkBridgeSpool): for each
 * message it signs the account in upstream the way logins do
 * (lk_bridge_connect_upstream_async(): the token cache, the sign-in
 * notification, the probes' SASL), then sends `MAIL FROM`, `RCPT TO` and
 * `DATA` itself (RFC 5321) in a worker thread, and removes the message
 * only after the upstream's 250 to the final dot.
 *
 * A temporary failure (the network, a 4xx, the token needing a new
 * sign-in, a refused sign-in IT may still fix) is tried again after 1, 2,
 * 4… minutes, at most an hour apart (a delivery on a kept connection that
 * turns out closed before DATA is just tried again on a new one); a day after it was accepted the
 * message is given up. Given up, or refused for good by the upstream (a
 * 5xx to the message), it goes back to its sender as a delivery report
 * with the reason (never for a report itself). A message larger than the
 * upstream's EHLO says it takes (SIZE, RFC 1870) is refused for good
 * before anything is sent. At most MAX_IN_FLIGHT deliveries run at once.
 */

#define MAX_IN_FLIGHT   32
/* A signed-in upstream connection takes the next message of its account
 * (RFC 5321 §3.3: a session may carry many transactions) for so long, and
 * so many times, then it is closed: servers end idle sessions themselves. */
#define REUSE_IDLE_S    20
#define REUSE_MAX       100
#define IO_TIMEOUT_S    120
#define READ_CHUNK      (64 * 1024)

typedef struct
{
  LkBridgeSpoolEntry *entry;
  gboolean            in_flight;
  gboolean            dropped;
} Item;

/* A signed-in upstream connection waiting for its account's next message. */
typedef struct
{
  char      *account;
  GIOStream *stream;
  gint64     since;      /* monotonic µs */
  guint      used;
  gint64     max_size;   /* lk_smtp_ehlo_max_size() of its EHLO */
} Kept;

static void
kept_free (Kept *kept)
{
  g_free (kept->account);
  g_io_stream_close (kept->stream, NULL, NULL);
  g_object_unref (kept->stream);
  g_free (kept);
}

struct _LkBridgeQueue
{
  GObject        parent_instance;
  LkBridge      *bridge;
  LkBridgeSpool *spool;
  GHashTable    *items;        /* id → Item */
  GQueue         kept;         /* Kept, most recent last */
  guint          in_flight;
  guint          timer;
  gboolean       running;
  guint          first_retry_s;
  guint          max_retry_s;
  guint          give_up_s;
  guint          next_connection;
};

G_DEFINE_FINAL_TYPE (LkBridgeQueue, lk_bridge_queue, G_TYPE_OBJECT)

static void schedule (LkBridgeQueue *self);

static void
item_free (Item *item)
{
  lk_bridge_spool_entry_free (item->entry);
  g_free (item);
}

static void
lk_bridge_queue_finalize (GObject *object)
{
  LkBridgeQueue *self = LK_BRIDGE_QUEUE (object);

  g_clear_handle_id (&self->timer, g_source_remove);
  g_queue_clear_full (&self->kept, (GDestroyNotify) kept_free);
  g_hash_table_unref (self->items);
  g_clear_object (&self->bridge);
  lk_bridge_spool_free (self->spool);
  G_OBJECT_CLASS (lk_bridge_queue_parent_class)->finalize (object);
}

static void
lk_bridge_queue_class_init (LkBridgeQueueClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_bridge_queue_finalize;
}

static void
lk_bridge_queue_init (LkBridgeQueue *self)
{
  self->items = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) item_free);
  self->first_retry_s = LK_BRIDGE_QUEUE_FIRST_RETRY_S;
  self->max_retry_s = LK_BRIDGE_QUEUE_MAX_RETRY_S;
  self->give_up_s = LK_BRIDGE_QUEUE_GIVE_UP_S;
}

/**
 * lk_bridge_queue_new:
 * @spool: (transfer full): prepared (lk_bridge_spool_prepare())
 */
LkBridgeQueue *
lk_bridge_queue_new (LkBridge      *bridge,
                     LkBridgeSpool *spool)
{
  LkBridgeQueue *self = g_object_new (LK_TYPE_BRIDGE_QUEUE, NULL);

  self->bridge = g_object_ref (bridge);
  self->spool = spool;
  return self;
}

LkBridgeSpool *
lk_bridge_queue_get_spool (LkBridgeQueue *self)
{
  return self->spool;
}

/* bridge.json's "spool": {"first_retry", "max_retry", "give_up"} (seconds). */
void
lk_bridge_queue_set_schedule (LkBridgeQueue *self,
                              guint          first_retry_s,
                              guint          max_retry_s,
                              guint          give_up_s)
{
  self->first_retry_s = MAX (first_retry_s, 1);
  self->max_retry_s = MAX (max_retry_s, self->first_retry_s);
  self->give_up_s = MAX (give_up_s, 1);
}

static void
log_entry (GLogLevelFlags            level,
           const LkBridgeSpoolEntry *entry,
           const char               *result,
           const char               *format,
           ...) G_GNUC_PRINTF (4, 5);

static void
log_entry (GLogLevelFlags            level,
           const LkBridgeSpoolEntry *entry,
           const char               *result,
           const char               *format,
           ...)
{
  LkBridgeLogFields fields = LK_BRIDGE_LOG_FIELDS_INIT;
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fields.connection = entry->id;
  fields.protocol = "smtp";
  fields.user = entry->device;
  fields.account = entry->account;
  fields.result = result;
  lk_bridge_log (level, &fields, "queue %s from %s: %s", entry->id, entry->device, message);
}

/* ── Starting and stopping ────────────────────────────────────────────── */

static Item *item_for (LkBridgeQueue *self, const char *id);

static void
add_item (LkBridgeQueue            *self,
          const LkBridgeSpoolEntry *entry)
{
  Item *item = g_new0 (Item, 1);

  item->entry = lk_bridge_spool_entry_copy (entry);
  g_hash_table_replace (self->items, item->entry->id, item);
}

/* Loads what the spool holds (what a restart or a crash left) and starts
 * delivering it. */
void
lk_bridge_queue_start (LkBridgeQueue *self)
{
  g_autoptr(GPtrArray) entries = lk_bridge_spool_list (self->spool);

  self->running = TRUE;
  for (guint i = 0; i < entries->len; i++)
    add_item (self, g_ptr_array_index (entries, i));
  if (entries->len > 0)
    g_message ("The spool holds %u message(s) to deliver", entries->len);
  schedule (self);
}

/**
 * lk_bridge_queue_rescan:
 *
 * Takes in what another process (the legacy-TLS listener's, LkBridgeLegacy)
 * put into the spool, and delivers it.
 */
void
lk_bridge_queue_rescan (LkBridgeQueue *self)
{
  g_autoptr(GPtrArray) entries = lk_bridge_spool_list (self->spool);
  gboolean added = FALSE;

  for (guint i = 0; i < entries->len; i++)
    {
      LkBridgeSpoolEntry *entry = g_ptr_array_index (entries, i);

      if (item_for (self, entry->id) != NULL)
        continue;
      add_item (self, entry);
      added = TRUE;
    }
  if (added)
    schedule (self);
}

/* No new deliveries; those under way end by themselves. */
void
lk_bridge_queue_stop (LkBridgeQueue *self)
{
  self->running = FALSE;
  g_clear_handle_id (&self->timer, g_source_remove);
  g_queue_clear_full (&self->kept, (GDestroyNotify) kept_free);
}

gboolean
lk_bridge_queue_is_busy (LkBridgeQueue *self)
{
  return self->in_flight > 0;
}

/* A message was just accepted: deliver it now. */
void
lk_bridge_queue_add (LkBridgeQueue            *self,
                     const LkBridgeSpoolEntry *entry)
{
  /* Not delivering (the legacy process, or stopping): the spool keeps it
   * for the bridge that delivers, and memory does not. */
  if (!self->running)
    return;
  add_item (self, entry);
  schedule (self);
}

/**
 * lk_bridge_queue_retry:
 * @account: (nullable): only this account's messages (it was just signed
 *   in again); %NULL for all
 *
 * Tries again now instead of waiting out the backoff.
 *
 * Returns: how many messages will be tried
 */
guint
lk_bridge_queue_retry (LkBridgeQueue *self,
                       const char    *account)
{
  GHashTableIter iter;
  Item *item;
  guint n = 0;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_hash_table_iter_init (&iter, self->items);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &item))
    if (!item->in_flight
        && (account == NULL || g_ascii_strcasecmp (account, item->entry->account) == 0))
      {
        item->entry->next_attempt = now;
        n++;
      }
  schedule (self);
  return n;
}

/**
 * lk_bridge_queue_drop:
 *
 * Removes a message without delivering it (`bridge queue drop ID`). One
 * being delivered right now cannot be taken back: that fails.
 */
gboolean
lk_bridge_queue_drop (LkBridgeQueue  *self,
                      const char     *id,
                      GError        **error)
{
  Item *item = lk_bridge_spool_id_is_valid (id) ? g_hash_table_lookup (self->items, id) : NULL;

  if (item == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("There is no message %s in the spool; “latchkey-cli bridge queue” lists "
                     "them"), id);
      return FALSE;
    }
  if (item->in_flight)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_EXISTS,
                   _("The message %s is being delivered right now; if it is still queued in a "
                     "minute, drop it then"), id);
      return FALSE;
    }
  if (!lk_bridge_spool_remove (self->spool, id, error))
    return FALSE;
  log_entry (G_LOG_LEVEL_MESSAGE, item->entry, "dropped", "dropped by request, not delivered");
  g_hash_table_remove (self->items, id);
  return TRUE;
}

/**
 * lk_bridge_queue_summarize:
 * @entries: (element-type LkBridgeSpoolEntry): what the spool holds
 *
 * Returns: (transfer full): `{"count", "oldest", "last_error"}` for
 *   `bridge status`
 */
JsonNode *
lk_bridge_queue_summarize (GPtrArray *entries)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GDateTime) oldest = NULL;
  const char *last_error = NULL;
  gint64 oldest_at = 0;

  for (guint i = 0; i < entries->len; i++)
    {
      LkBridgeSpoolEntry *entry = g_ptr_array_index (entries, i);

      if (oldest_at == 0 || entry->received < oldest_at)
        oldest_at = entry->received;
      if (entry->last_error != NULL)
        last_error = entry->last_error;
    }
  if (oldest_at != 0)
    oldest = g_date_time_new_from_unix_utc (oldest_at);
  json_builder_begin_object (builder);
  lk_json_add_int (builder, "count", entries->len);
  lk_json_add_date (builder, "oldest", oldest);
  lk_json_add_string (builder, "last_error", last_error);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Every queued message, oldest first, as `bridge queue --json` shows it. */
JsonNode *
lk_bridge_queue_describe (LkBridgeQueue *self)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new ();
  GHashTableIter iter;
  Item *item;

  g_hash_table_iter_init (&iter, self->items);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &item))
    g_ptr_array_add (entries, item->entry);
  return lk_bridge_queue_describe_entries (entries);
}

/**
 * lk_bridge_queue_describe_entries:
 * @entries: (element-type LkBridgeSpoolEntry): sorted here, oldest first
 *
 * Returns: (transfer full): `{"summary": …, "messages": […]}`, as `bridge
 *   queue --json` prints it (from the running bridge, or the spool folder)
 */
JsonNode *
lk_bridge_queue_describe_entries (GPtrArray *entries)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_ptr_array_sort (entries, lk_bridge_spool_entry_compare);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "summary");
  json_builder_add_value (builder, lk_bridge_queue_summarize (entries));
  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  for (guint i = 0; i < entries->len; i++)
    json_builder_add_value (builder, lk_bridge_spool_entry_to_json (g_ptr_array_index (entries, i)));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* ── Sending one message upstream (worker thread) ─────────────────────── */

typedef enum
{
  OUTCOME_DELIVERED,
  OUTCOME_TEMPORARY,
  OUTCOME_PERMANENT,
} Outcome;

typedef struct
{
  LkBridgeQueue      *queue;
  LkBridgeSpoolEntry *entry;    /* a copy */
  char               *path;
  char               *connection;
  GIOStream          *upstream;
  guint               used;     /* messages the connection carried before */
  gint64              max_size; /* the upstream's SIZE: -1 not offered, 0 no limit */
  gboolean            reused;
  gboolean            sent_data; /* DATA went out: trying again may duplicate */
  Outcome             outcome;
  char               *reason;   /* why it failed, for the log, the envelope and a report */
  char               *reply;    /* nullable: the upstream's reply that refused it */
  const char         *status;   /* nullable: RFC 3463 status when the bridge refused it */
  GError             *remove_error; /* delivered, but its files could not be removed */
} Delivery;

static void
delivery_free (Delivery *delivery)
{
  g_clear_object (&delivery->queue);
  lk_bridge_spool_entry_free (delivery->entry);
  g_free (delivery->path);
  g_free (delivery->connection);
  g_clear_object (&delivery->upstream);
  g_free (delivery->reason);
  g_free (delivery->reply);
  g_clear_error (&delivery->remove_error);
  g_free (delivery);
}

/* Reads one reply, multi-line or not (RFC 5321 §4.2.1); returns its code
 * and the last line's text in @out_line, or 0 on a broken reply. */
static guint
read_reply (GDataInputStream  *in,
            char             **out_line,
            GError           **error)
{
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (in, NULL, NULL, error);
      guint code;

      if (line == NULL)
        {
          if (error != NULL && *error == NULL)
            g_set_error_literal (error, LK_ERROR, LK_ERROR_PROTOCOL,
                                 _("The mail server closed the connection"));
          return 0;
        }
      if (strlen (line) < 3 || !g_ascii_isdigit (line[0]) || !g_ascii_isdigit (line[1])
          || !g_ascii_isdigit (line[2]) || (line[3] != '\0' && line[3] != ' ' && line[3] != '-'))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_PROTOCOL,
                       _("The mail server said something unexpected: %.80s"), line);
          return 0;
        }
      code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
      if (line[3] != '-')
        {
          *out_line = g_steal_pointer (&line);
          return code;
        }
    }
}

/* One command and its reply; FALSE (with the outcome set) unless the reply
 * is @expected's class (2 or 3). */
static gboolean
command (Delivery         *delivery,
         GOutputStream    *out,
         GDataInputStream *in,
         const char       *line,
         guint             expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strconcat (line, "\r\n", NULL);
  g_autofree char *reply = NULL;
  guint code;

  if (!g_output_stream_write_all (out, text, strlen (text), NULL, NULL, &error)
      || !g_output_stream_flush (out, NULL, &error)
      || (code = read_reply (in, &reply, &error)) == 0)
    {
      delivery->outcome = OUTCOME_TEMPORARY;
      delivery->reason = g_strdup (error->message);
      return FALSE;
    }
  if (code / 100 == expected)
    return TRUE;
  delivery->outcome = code / 100 == 5 ? OUTCOME_PERMANENT : OUTCOME_TEMPORARY;
  /* Translators: %s is the mail server's reply, such as "550 5.7.60 …" */
  delivery->reason = g_strdup_printf (_("The mail server answered: %s"), reply);
  delivery->reply = g_steal_pointer (&reply);
  return FALSE;
}

/* The message, dot-stuffed (RFC 5321 §4.5.2), then the final dot. */
static gboolean
send_body (Delivery      *delivery,
           GOutputStream *out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (delivery->path);
  g_autoptr(GFileInputStream) in = g_file_read (file, NULL, &error);
  g_autofree guint8 *chunk = g_malloc (READ_CHUNK);
  g_autoptr(GByteArray) stuffed = g_byte_array_sized_new (READ_CHUNK + READ_CHUNK / 8);
  gboolean line_start = TRUE;
  gssize n;

  if (in == NULL)
    {
      delivery->outcome = OUTCOME_TEMPORARY;
      delivery->reason = g_strdup (error->message);
      return FALSE;
    }
  while ((n = g_input_stream_read (G_INPUT_STREAM (in), chunk, READ_CHUNK, NULL, &error)) > 0)
    {
      gssize i = 0;

      g_byte_array_set_size (stuffed, 0);
      while (i < n)
        {
          const guint8 *nl = memchr (chunk + i, '\n', n - i);
          gssize end = nl != NULL ? nl - chunk + 1 : n;

          if (line_start && chunk[i] == '.')
            g_byte_array_append (stuffed, (const guint8 *) ".", 1);
          g_byte_array_append (stuffed, chunk + i, end - i);
          line_start = nl != NULL;
          i = end;
        }
      if (!g_output_stream_write_all (out, stuffed->data, stuffed->len, NULL, NULL, &error))
        break;
    }
  if (error == NULL)
    {
      const char *end = line_start ? ".\r\n" : "\r\n.\r\n";

      g_output_stream_write_all (out, end, strlen (end), NULL, NULL, &error);
    }
  if (error != NULL)
    {
      delivery->outcome = OUTCOME_TEMPORARY;
      delivery->reason = g_strdup (error->message);
      return FALSE;
    }
  return TRUE;
}

static void
set_io_timeout (GIOStream *stream)
{
  GIOStream *base = stream;

  g_object_ref (base);
  while (G_IS_TLS_CONNECTION (base))
    {
      GIOStream *inner = NULL;

      g_object_get (base, "base-io-stream", &inner, NULL);
      g_object_unref (base);
      base = inner;
    }
  if (G_IS_SOCKET_CONNECTION (base))
    g_socket_set_timeout (g_socket_connection_get_socket (G_SOCKET_CONNECTION (base)), IO_TIMEOUT_S);
  g_clear_object (&base);
}

/* g_format_size() with plain spaces: GLib puts a no-break space between
 * number and unit, which the report's one-line ASCII would garble. */
static char *
format_size (goffset         size,
             GFormatSizeFlags flags)
{
  g_autofree char *text = g_format_size_full (size, flags);
  g_auto(GStrv) words = g_strsplit (text, "\u00a0", -1);

  return g_strjoinv (" ", words);
}

/**
 * lk_bridge_queue_size_refusal:
 * @max_size: the upstream's SIZE (lk_smtp_ehlo_max_size()): -1 when not
 *   offered, 0 when offered without a limit
 * @size: the message's size in octets
 *
 * Returns: (transfer full) (nullable): why a message of @size cannot go to
 *   that upstream, for the person who scanned it (what to do next), or
 *   %NULL when it may be sent
 */
char *
lk_bridge_queue_size_refusal (gint64  max_size,
                              goffset size)
{
  g_autofree char *shown = NULL;
  g_autofree char *limit = NULL;

  if (max_size <= 0 || size <= max_size)
    return NULL;
  shown = format_size (size, G_FORMAT_SIZE_DEFAULT);
  limit = format_size (max_size, G_FORMAT_SIZE_DEFAULT);
  if (g_strcmp0 (shown, limit) == 0)
    {
      /* "10.0 MB" against "10.0 MB" says nothing: the octets too. */
      g_free (shown);
      g_free (limit);
      shown = format_size (size, G_FORMAT_SIZE_LONG_FORMAT);
      limit = format_size (max_size, G_FORMAT_SIZE_LONG_FORMAT);
    }
  /* Translators: the sizes are like "12.3 MB" */
  return g_strdup_printf (_("The message is %s and the mail server takes at most %s; scan it "
                            "at a lower resolution or in several parts and send it again"),
                          shown, limit);
}

/* MAIL, RCPT, DATA and the message. */
static void
send_message (Delivery *delivery)
{
  GOutputStream *raw = g_io_stream_get_output_stream (delivery->upstream);
  g_autoptr(GOutputStream) out = g_buffered_output_stream_new_sized (raw, READ_CHUNK);
  g_autoptr(GDataInputStream) in = g_data_input_stream_new (g_io_stream_get_input_stream (delivery->upstream));
  g_autofree char *mail = NULL;
  g_autofree char *too_large = lk_bridge_queue_size_refusal (delivery->max_size,
                                                             delivery->entry->size);
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  guint code;

  if (too_large != NULL)
    {
      /* It would be refused after the whole upload (or the connection
       * just closed: Dovecot's submission does that), so not even MAIL:
       * refused for good, 5.3.4 "message too big for system" (RFC 3463). */
      delivery->outcome = OUTCOME_PERMANENT;
      delivery->reason = g_steal_pointer (&too_large);
      delivery->status = "5.3.4";
      return;
    }
  /* RFC 1870 §6: the size up front, so that a server with a limit refuses
   * at MAIL (552 5.3.4), before the upload. The spooled size, which the
   * dot-stuffing may grow by a little: an estimate is what §6 asks for. */
  if (delivery->max_size >= 0)
    mail = g_strdup_printf ("MAIL FROM:<%s> SIZE=%" G_GOFFSET_FORMAT, delivery->entry->sender,
                            delivery->entry->size);
  else
    mail = g_strdup_printf ("MAIL FROM:<%s>", delivery->entry->sender);

  set_io_timeout (delivery->upstream);
  g_filter_output_stream_set_close_base_stream (G_FILTER_OUTPUT_STREAM (out), FALSE);
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (in), FALSE);
  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_ANY);
  if (!command (delivery, out, in, mail, 2))
    return;
  for (guint i = 0; delivery->entry->recipients[i] != NULL; i++)
    {
      g_autofree char *rcpt = g_strdup_printf ("RCPT TO:<%s>", delivery->entry->recipients[i]);

      if (!command (delivery, out, in, rcpt, 2))
        return;
    }
  delivery->sent_data = TRUE;
  if (!command (delivery, out, in, "DATA", 3) || !send_body (delivery, out))
    return;
  if (!g_output_stream_flush (out, NULL, &error) || (code = read_reply (in, &reply, &error)) == 0)
    {
      /* The dot went out and no answer came: it may have been taken. The
       * message stays; delivering it again may duplicate it (see
       * doc/bridge-office.md), which beats losing it. */
      delivery->outcome = OUTCOME_TEMPORARY;
      delivery->reason = g_strdup (error->message);
      return;
    }
  if (code / 100 != 2)
    {
      delivery->outcome = code / 100 == 5 ? OUTCOME_PERMANENT : OUTCOME_TEMPORARY;
      delivery->reason = g_strdup_printf (_("The mail server answered: %s"), reply);
      delivery->reply = g_steal_pointer (&reply);
      return;
    }
  /* Taken. The connection stays for the account's next message (the
   * queue closes it when it is not wanted). */
  delivery->outcome = OUTCOME_DELIVERED;
}

static void
send_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Delivery *delivery = task_data;

  send_message (delivery);
  /* Taken upstream: out of the spool here, not on the main loop, whose
   * sessions would all wait for the folder's fsync (with 200 printers
   * sending, one per delivered message). */
  if (delivery->outcome == OUTCOME_DELIVERED)
    lk_bridge_spool_remove (delivery->queue->spool, delivery->entry->id, &delivery->remove_error);
  g_task_return_boolean (task, TRUE);
}

/* ── Delivery: sign in, send, sort the outcome ────────────────────────── */

static Item *
item_for (LkBridgeQueue *self,
          const char    *id)
{
  return g_hash_table_lookup (self->items, id);
}

/* The message's header section for its report, read before the message
 * leaves the spool; NULL (said in the log) when it cannot be read. */
static char *
report_headers (LkBridgeQueue            *self,
                const LkBridgeSpoolEntry *entry,
                gsize                    *out_length)
{
  g_autofree char *path = lk_bridge_spool_message_path (self->spool, entry->id);
  g_autoptr(GError) error = NULL;
  char *headers;

  *out_length = 0;
  if (entry->bounce || entry->sender[0] == '\0')
    return NULL;
  headers = lk_bridge_report_read_headers (path, out_length, &error);
  if (headers == NULL)
    g_warning ("The report on %s goes without its headers: %s", entry->id, error->message);
  return headers;
}

/* "Undelivered mail" back to the device's sender, as the account: a
 * delivery report (RFC 3464, lk_bridge_report_build()) with the reason,
 * the upstream's reply and the message's headers; RFC 3834
 * Auto-Submitted, so that autoresponders leave it alone. */
static void
bounce (LkBridgeQueue            *self,
        const LkBridgeSpoolEntry *entry,
        const char               *reason,
        const char               *reply,
        const char               *status,
        gboolean                  permanent,
        const char               *headers,
        gsize                     headers_length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkBridgeSpoolWriter) writer = NULL;
  g_autoptr(LkBridgeSpoolEntry) committed = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *boundary = g_strconcat ("=_latchkey-", uuid, NULL);
  g_autofree char *text = NULL;
  LkBridgeReportInput report = { 0 };
  LkBridgeSpoolEntry envelope = { 0 };
  char *recipients[] = { entry->sender, NULL };

  if (entry->bounce || entry->sender[0] == '\0')
    {
      log_entry (G_LOG_LEVEL_WARNING, entry, "given-up",
                 "given up without a report (it has no sender to report to): %s", reason);
      return;
    }
  report.reporting_host = g_get_host_name ();
  report.from = entry->account;
  report.to = entry->sender;
  report.device = entry->device;
  report.queue_id = entry->id;
  report.arrival = entry->received;
  report.last_attempt = g_get_real_time () / G_USEC_PER_SEC;
  report.recipients = (const char * const *) entry->recipients;
  report.reason = reason;
  report.reply = reply;
  report.status = status;
  report.permanent = permanent;
  report.headers = headers;
  report.headers_length = headers_length;
  report.boundary = boundary;
  text = lk_bridge_report_build (&report);
  envelope.device = entry->device;
  envelope.account = entry->account;
  envelope.sender = entry->account;
  envelope.recipients = recipients;
  envelope.bounce = TRUE;
  writer = lk_bridge_spool_writer_new (self->spool, &error);
  if (writer == NULL || !lk_bridge_spool_writer_write (writer, text, strlen (text), &error)
      || (committed = lk_bridge_spool_writer_commit (writer, &envelope, &error)) == NULL)
    {
      log_entry (G_LOG_LEVEL_WARNING, entry, "given-up", "given up, and no report could be "
                 "written: %s (the reason: %s)", error->message, reason);
      return;
    }
  log_entry (G_LOG_LEVEL_MESSAGE, entry, "bounced", "given up: %s; a report goes to %s as %s",
             reason, entry->sender, committed->id);
  add_item (self, committed);
}

static void
finish_delivery (LkBridgeQueue *self,
                 Delivery      *delivery)
{
  Item *item = item_for (self, delivery->entry->id);
  LkBridgeSpoolEntry *entry = item->entry;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  item->in_flight = FALSE;
  self->in_flight--;
  entry->attempts++;
  switch (delivery->outcome)
    {
    case OUTCOME_DELIVERED:
      if (delivery->remove_error != NULL)
        g_warning ("%s", delivery->remove_error->message);
      log_entry (G_LOG_LEVEL_MESSAGE, entry, "delivered",
                 "delivered as %s to %u recipient(s), %" G_GOFFSET_FORMAT " bytes, attempt %u",
                 entry->account, g_strv_length (entry->recipients), entry->size, entry->attempts);
      g_hash_table_remove (self->items, entry->id);
      break;
    case OUTCOME_PERMANENT:
      {
        g_autoptr(LkBridgeSpoolEntry) gone = lk_bridge_spool_entry_copy (entry);
        gsize headers_length;
        g_autofree char *headers = report_headers (self, gone, &headers_length);

        /* The report is in the spool before the message leaves it: a
         * crash in between sends a second report, never none. */
        bounce (self, gone, delivery->reason, delivery->reply, delivery->status, TRUE, headers,
                headers_length);
        if (!lk_bridge_spool_remove (self->spool, gone->id, &error))
          g_warning ("%s", error->message);
        lk_bridge_device_failed (self->bridge, gone->device, delivery->reason);
        g_hash_table_remove (self->items, gone->id);
      }
      break;
    case OUTCOME_TEMPORARY:
    default:
      g_free (entry->last_error);
      entry->last_error = g_strdup (delivery->reason);
      lk_bridge_device_failed (self->bridge, entry->device, delivery->reason);
      if (now - entry->received >= self->give_up_s)
        {
          g_autoptr(LkBridgeSpoolEntry) gone = lk_bridge_spool_entry_copy (entry);
          g_autofree char *why = g_strdup_printf ("%s (tried %u times since it was accepted)",
                                                  delivery->reason, entry->attempts);
          gsize headers_length;
          g_autofree char *headers = report_headers (self, gone, &headers_length);

          bounce (self, gone, why, delivery->reply, NULL, FALSE, headers, headers_length);
          if (!lk_bridge_spool_remove (self->spool, gone->id, &error))
            g_warning ("%s", error->message);
          g_hash_table_remove (self->items, gone->id);
          break;
        }
      {
        guint64 wait = self->first_retry_s;

        for (guint i = 1; i < entry->attempts && wait < self->max_retry_s; i++)
          wait *= 2;
        entry->next_attempt = now + (gint64) MIN (wait, self->max_retry_s);
      }
      if (!lk_bridge_spool_update (self->spool, entry, &error))
        g_warning ("%s", error->message);
      log_entry (G_LOG_LEVEL_MESSAGE, entry, "deferred", "not delivered yet (attempt %u): %s; "
                 "next try in %" G_GINT64_FORMAT " s", entry->attempts, delivery->reason,
                 entry->next_attempt - now);
      break;
    }
  schedule (self);
  if (self->in_flight == 0 && g_hash_table_size (self->items) == 0)
    {
      /* Quiet again after a burst (200 scanners at nine o'clock): give
       * the memory its sessions and deliveries took back to the system,
       * which glibc keeps in its arenas otherwise. */
      malloc_trim (0);
    }
}

static void deliver (LkBridgeQueue *self, Item *item);

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  LkBridgeQueue *self = LK_BRIDGE_QUEUE (source);
  Delivery *delivery = g_task_get_task_data (G_TASK (result));

  if (delivery->upstream != NULL && delivery->outcome == OUTCOME_DELIVERED && self->running
      && delivery->used + 1 < REUSE_MAX)
    {
      Kept *kept = g_new0 (Kept, 1);

      kept->account = g_strdup (delivery->entry->account);
      kept->stream = g_steal_pointer (&delivery->upstream);
      kept->since = g_get_monotonic_time ();
      kept->used = delivery->used + 1;
      kept->max_size = delivery->max_size;
      g_queue_push_tail (&self->kept, kept);
    }
  else if (delivery->upstream != NULL)
    g_io_stream_close (delivery->upstream, NULL, NULL);
  if (delivery->reused && delivery->outcome == OUTCOME_TEMPORARY && !delivery->sent_data)
    {
      /* The kept connection was closed meanwhile: not the message's
       * failure. Again now, on another or a new connection. */
      Item *item = item_for (self, delivery->entry->id);

      g_debug ("queue %s: the kept upstream connection failed (%s); a new one",
               delivery->entry->id, delivery->reason);
      item->in_flight = FALSE;
      self->in_flight--;
      if (self->running)
        deliver (self, item);
      return;
    }
  finish_delivery (self, delivery);
}

/* Closes kept connections idle too long. */
static void
prune_kept (LkBridgeQueue *self)
{
  gint64 now = g_get_monotonic_time ();

  while (!g_queue_is_empty (&self->kept)
         && now - ((Kept *) g_queue_peek_head (&self->kept))->since > REUSE_IDLE_S * G_USEC_PER_SEC)
    kept_free (g_queue_pop_head (&self->kept));
}

/* A kept connection of @account's, or NULL. */
static Kept *
take_kept (LkBridgeQueue *self,
           const char    *account)
{
  prune_kept (self);
  for (GList *l = self->kept.tail; l != NULL; l = l->prev)
    {
      Kept *kept = l->data;

      if (g_ascii_strcasecmp (kept->account, account) == 0)
        {
          g_queue_delete_link (&self->kept, l);
          return kept;
        }
    }
  return NULL;
}

static void
signed_in_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Delivery *delivery = g_task_get_task_data (task);
  g_autoptr(LkBridgeLogin) login = NULL;
  g_autoptr(GError) error = NULL;

  login = lk_bridge_login_finish (LK_BRIDGE (source), result, &error);
  if (login == NULL || login->status != LK_BRIDGE_LOGIN_OK)
    {
      /* Not the message's fault: a token needing sign-in (the person or IT
       * was notified), the network, a refusal IT can fix. Try again. */
      delivery->outcome = OUTCOME_TEMPORARY;
      delivery->reason = g_strdup (login != NULL ? login->message : error->message);
      g_task_return_boolean (task, FALSE);
      return;
    }
  delivery->upstream = g_steal_pointer (&login->upstream);
  delivery->max_size = lk_smtp_ehlo_max_size ((const char * const *) login->capabilities);
  g_task_run_in_thread (task, send_thread);
}

static void
deliver (LkBridgeQueue *self,
         Item          *item)
{
  Delivery *delivery = g_new0 (Delivery, 1);
  GTask *task;

  item->in_flight = TRUE;
  self->in_flight++;
  delivery->queue = g_object_ref (self);
  delivery->entry = lk_bridge_spool_entry_copy (item->entry);
  delivery->path = lk_bridge_spool_message_path (self->spool, item->entry->id);
  delivery->connection = g_strdup_printf ("q%u", ++self->next_connection);
  delivery->max_size = -1;
  task = g_task_new (self, NULL, sent_cb, NULL);
  g_task_set_source_tag (task, deliver);
  g_task_set_task_data (task, delivery, (GDestroyNotify) delivery_free);
  {
    Kept *kept = take_kept (self, item->entry->account);

    if (kept != NULL)
      {
        delivery->upstream = g_steal_pointer (&kept->stream);
        delivery->used = kept->used;
        delivery->max_size = kept->max_size;
        delivery->reused = TRUE;
        g_free (kept->account);
        g_free (kept);
        g_task_run_in_thread (task, send_thread);
        g_object_unref (task);
        return;
      }
  }
  lk_bridge_connect_upstream_async (self->bridge, LK_PROTOCOL_SMTP, item->entry->account,
                                    delivery->connection, NULL, signed_in_cb, task);
}

static gboolean
timer_cb (gpointer user_data)
{
  LkBridgeQueue *self = user_data;

  self->timer = 0;
  schedule (self);
  return G_SOURCE_REMOVE;
}

/* Starts what is due, oldest first, up to MAX_IN_FLIGHT; then waits for
 * the next that will be. */
static void
schedule (LkBridgeQueue *self)
{
  g_autoptr(GPtrArray) due = g_ptr_array_new ();
  GHashTableIter iter;
  Item *item;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 next = G_MAXINT64;

  g_clear_handle_id (&self->timer, g_source_remove);
  if (!self->running)
    return;
  prune_kept (self);
  g_hash_table_iter_init (&iter, self->items);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &item))
    {
      if (item->in_flight)
        continue;
      if (item->entry->next_attempt <= now)
        g_ptr_array_add (due, item->entry);
      else
        next = MIN (next, item->entry->next_attempt);
    }
  g_ptr_array_sort (due, lk_bridge_spool_entry_compare);
  for (guint i = 0; i < due->len; i++)
    {
      LkBridgeSpoolEntry *entry = g_ptr_array_index (due, i);

      if (self->in_flight >= MAX_IN_FLIGHT)
        {
          /* The rest waits for a delivery to end (finish_delivery()). */
          return;
        }
      deliver (self, item_for (self, entry->id));
    }
  if (next != G_MAXINT64)
    self->timer = g_timeout_add_seconds ((guint) MIN (next - now, 3600), timer_cb, self);
}
