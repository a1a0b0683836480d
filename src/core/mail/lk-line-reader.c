/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-mail"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-line-reader.h"

struct _LkLineReader
{
  GInputStream *stream;
  GByteArray   *buffer;
  guint         timeout_ms;
  gboolean      busy;
};

typedef struct
{
  LkLineReader *reader;
  guint8        chunk[4096];
  GCancellable *cancellable;   /* ours: the caller's, or a timeout, cancels it */
  gulong        cancelled_id;
  GCancellable *caller_cancellable;
  GSource      *timeout;
  gboolean      timed_out;
} ReadData;

static void
read_data_free (ReadData *data)
{
  if (data->timeout != NULL)
    {
      g_source_destroy (data->timeout);
      g_source_unref (data->timeout);
    }
  if (data->caller_cancellable != NULL)
    {
      g_cancellable_disconnect (data->caller_cancellable, data->cancelled_id);
      g_object_unref (data->caller_cancellable);
    }
  g_clear_object (&data->cancellable);
  g_free (data);
}

LkLineReader *
lk_line_reader_new (GInputStream *stream,
                    guint         timeout_ms)
{
  LkLineReader *self = g_new0 (LkLineReader, 1);

  self->stream = g_object_ref (stream);
  self->buffer = g_byte_array_new ();
  self->timeout_ms = timeout_ms;
  return self;
}

void
lk_line_reader_free (LkLineReader *self)
{
  if (self == NULL)
    return;
  g_return_if_fail (!self->busy);
  /* The buffer may have held a server's echo of anything we sent. */
  if (self->buffer->len > 0)
    memset (self->buffer->data, 0, self->buffer->len);
  g_byte_array_unref (self->buffer);
  g_object_unref (self->stream);
  g_free (self);
}

void
lk_line_reader_set_timeout (LkLineReader *self,
                            guint         timeout_ms)
{
  self->timeout_ms = timeout_ms;
}

/* Bytes received but not yet returned as a line: after STARTTLS there must
 * be none, or a man in the middle could have injected them. */
gsize
lk_line_reader_get_buffered (LkLineReader *self)
{
  return self->buffer->len;
}

/**
 * lk_line_reader_steal_buffered:
 *
 * Hands back the bytes received but not yet returned as a line, and
 * forgets them: whoever reads the stream next (the bridge's relay, after a
 * login) must see them first.
 *
 * Returns: (transfer full): the bytes, possibly empty
 */
GBytes *
lk_line_reader_steal_buffered (LkLineReader *self)
{
  GBytes *bytes;

  g_return_val_if_fail (!self->busy, NULL);
  bytes = g_bytes_new (self->buffer->data, self->buffer->len);
  if (self->buffer->len > 0)
    memset (self->buffer->data, 0, self->buffer->len);
  g_byte_array_set_size (self->buffer, 0);
  return bytes;
}

static char *
take_line (LkLineReader *self)
{
  guint8 *nl;
  gsize len, consumed;
  char *line;

  /* An empty GByteArray's data may be NULL, which memchr must not get. */
  if (self->buffer->len == 0)
    return NULL;
  nl = memchr (self->buffer->data, '\n', self->buffer->len);
  if (nl == NULL)
    return NULL;
  consumed = nl - self->buffer->data + 1;
  len = consumed - 1;
  if (len > 0 && self->buffer->data[len - 1] == '\r')
    len--;
  for (gsize i = 0; i < len; i++)
    if (self->buffer->data[i] == '\0')
      self->buffer->data[i] = '?';
  line = g_utf8_make_valid ((const char *) self->buffer->data, len);
  memset (self->buffer->data, 0, consumed);
  g_byte_array_remove_range (self->buffer, 0, consumed);
  return line;
}

static void read_more (GTask *task);

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ReadData *data = g_task_get_task_data (task);
  LkLineReader *self = data->reader;
  g_autoptr(GError) error = NULL;
  gssize n;
  char *line;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0)
    {
      self->busy = FALSE;
      if (data->timed_out)
        g_task_return_new_error (task, LK_ERROR, LK_ERROR_TIMED_OUT,
                                 _("The server did not answer in time"));
      else if (g_cancellable_is_cancelled (data->caller_cancellable))
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (n == 0)
    {
      self->busy = FALSE;
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_NETWORK,
                               _("The server closed the connection unexpectedly"));
      return;
    }
  g_byte_array_append (self->buffer, data->chunk, n);
  memset (data->chunk, 0, n);

  line = take_line (self);
  if (line != NULL)
    {
      self->busy = FALSE;
      g_task_return_pointer (task, line, g_free);
      return;
    }
  if (self->buffer->len > LK_LINE_READER_MAX_LINE)
    {
      self->busy = FALSE;
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_PROTOCOL,
                               _("The server sent an overlong line"));
      return;
    }
  read_more (g_steal_pointer (&task));
}

static void
read_more (GTask *task)
{
  ReadData *data = g_task_get_task_data (task);

  g_input_stream_read_async (data->reader->stream, data->chunk, sizeof data->chunk,
                             G_PRIORITY_DEFAULT, data->cancellable, read_cb, task);
}

static gboolean
timeout_cb (gpointer user_data)
{
  ReadData *data = user_data;

  data->timed_out = TRUE;
  g_cancellable_cancel (data->cancellable);
  g_clear_pointer (&data->timeout, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
caller_cancelled_cb (GCancellable *caller,
                     GCancellable *ours)
{
  g_cancellable_cancel (ours);
}

/**
 * lk_line_reader_read_line_async:
 *
 * Reads the next line. Fails with LK_ERROR_PROTOCOL when a line exceeds
 * LK_LINE_READER_MAX_LINE, LK_ERROR_TIMED_OUT when nothing completes a line
 * within the timeout, LK_ERROR_NETWORK when the server closes the stream.
 */
void
lk_line_reader_read_line_async (LkLineReader        *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ReadData *data;
  char *line;

  g_return_if_fail (!self->busy);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, lk_line_reader_read_line_async);
  g_task_set_check_cancellable (task, FALSE);

  line = take_line (self);
  if (line != NULL)
    {
      g_task_return_pointer (task, line, g_free);
      return;
    }

  data = g_new0 (ReadData, 1);
  data->reader = self;
  data->cancellable = g_cancellable_new ();
  g_task_set_task_data (task, data, (GDestroyNotify) read_data_free);
  if (cancellable != NULL)
    {
      data->caller_cancellable = g_object_ref (cancellable);
      data->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                                  data->cancellable, NULL);
    }
  if (self->timeout_ms > 0)
    {
      data->timeout = g_timeout_source_new (self->timeout_ms);
      g_source_set_callback (data->timeout, timeout_cb, data, NULL);
      g_source_attach (data->timeout, g_main_context_get_thread_default ());
    }
  self->busy = TRUE;
  read_more (g_steal_pointer (&task));
}

char *
lk_line_reader_read_line_finish (LkLineReader  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lk_line_reader_read_line_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
