/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <string.h>

#include "bridge/lk-bridge-channel.h"

struct _LkBridgeChannel
{
  GIOStream                *stream;
  GPollableInputStream     *input;
  GPollableOutputStream    *output;
  GSource                  *read_source;
  GSource                  *write_source;
  GByteArray               *queued;        /* NULL unless a write would block */
  LkBridgeChannelCallbacks  callbacks;
  gpointer                  user_data;
  guint64                   bytes_read;
  guint64                   bytes_written;
};

/**
 * lk_bridge_shared_buffer:
 *
 * The read buffer of every channel, LK_BRIDGE_SHARED_BUFFER_SIZE bytes.
 * Only for the main context's thread, and only between a read and the
 * writes that pass its bytes on: whatever must outlive that is copied.
 */
guint8 *
lk_bridge_shared_buffer (void)
{
  static guint8 buffer[LK_BRIDGE_SHARED_BUFFER_SIZE];

  return buffer;
}

static void
set_stream (LkBridgeChannel *self,
            GIOStream       *stream)
{
  g_set_object (&self->stream, stream);
  self->input = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  self->output = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));
}

/**
 * lk_bridge_channel_new:
 * @stream: a stream whose input and output are pollable (a
 *   GSocketConnection, or a GTlsConnection over one)
 */
LkBridgeChannel *
lk_bridge_channel_new (GIOStream *stream)
{
  LkBridgeChannel *self = g_new0 (LkBridgeChannel, 1);

  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream)), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream)), NULL);
  set_stream (self, stream);
  return self;
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* No more callbacks; queued bytes are dropped. The stream stays open. */
void
lk_bridge_channel_stop (LkBridgeChannel *self)
{
  clear_source (&self->read_source);
  clear_source (&self->write_source);
  if (self->queued != NULL)
    {
      /* May hold a mail program's login line. */
      memset (self->queued->data, 0, self->queued->len);
      g_clear_pointer (&self->queued, g_byte_array_unref);
    }
}

void
lk_bridge_channel_free (LkBridgeChannel *self)
{
  if (self == NULL)
    return;
  lk_bridge_channel_stop (self);
  g_clear_object (&self->stream);
  g_free (self);
}

GIOStream *
lk_bridge_channel_get_stream (LkBridgeChannel *self)
{
  return self->stream;
}

/* STARTTLS: the same connection, now through TLS. Nothing may be queued
 * or awaited on the old stream. */
void
lk_bridge_channel_set_stream (LkBridgeChannel *self,
                              GIOStream       *stream)
{
  g_return_if_fail (self->queued == NULL && self->read_source == NULL);
  set_stream (self, stream);
}

void
lk_bridge_channel_set_callbacks (LkBridgeChannel                *self,
                                 const LkBridgeChannelCallbacks *callbacks,
                                 gpointer                        user_data)
{
  self->callbacks = *callbacks;
  self->user_data = user_data;
}

static gboolean
readable_cb (GObject  *stream,
             gpointer  user_data)
{
  LkBridgeChannel *self = user_data;

  if (self->callbacks.readable != NULL)
    self->callbacks.readable (self, self->user_data);
  return G_SOURCE_CONTINUE;
}

/**
 * lk_bridge_channel_watch_readable:
 *
 * Starts or stops calling the readable callback whenever the stream can be
 * read. Stopping is how a reader waits for its peer to drain (back
 * pressure): the kernel's buffers then fill, and the sender slows down.
 */
void
lk_bridge_channel_watch_readable (LkBridgeChannel *self,
                                  gboolean         watch)
{
  if (!watch)
    {
      clear_source (&self->read_source);
      return;
    }
  if (self->read_source != NULL)
    return;
  self->read_source = g_pollable_input_stream_create_source (self->input, NULL);
  g_source_set_callback (self->read_source, G_SOURCE_FUNC (readable_cb), self, NULL);
  g_source_attach (self->read_source, NULL);
}

/**
 * lk_bridge_channel_read:
 *
 * Reads what is there without blocking.
 *
 * Returns: the number of bytes read, 0 at the end of the stream, -1 with
 *   @error (G_IO_ERROR_WOULD_BLOCK when there was nothing after all)
 */
gssize
lk_bridge_channel_read (LkBridgeChannel  *self,
                        guint8           *buffer,
                        gsize             size,
                        GError          **error)
{
  gssize n = g_pollable_input_stream_read_nonblocking (self->input, buffer, size, NULL, error);

  if (n > 0)
    self->bytes_read += n;
  return n;
}

static gboolean flush (LkBridgeChannel *self, GError **error);

static gboolean
writable_cb (GObject  *stream,
             gpointer  user_data)
{
  LkBridgeChannel *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!flush (self, &error))
    {
      clear_source (&self->write_source);
      if (self->callbacks.failed != NULL)
        self->callbacks.failed (self, error, self->user_data);
      return G_SOURCE_REMOVE;
    }
  if (self->queued != NULL)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&self->write_source, g_source_unref);
  if (self->callbacks.drained != NULL)
    self->callbacks.drained (self, self->user_data);
  return G_SOURCE_REMOVE;
}

/* Writes queued bytes until the stream would block. */
static gboolean
flush (LkBridgeChannel  *self,
       GError          **error)
{
  while (self->queued != NULL)
    {
      g_autoptr(GError) local = NULL;
      gssize n = g_pollable_output_stream_write_nonblocking (self->output, self->queued->data,
                                                             self->queued->len, NULL, &local);

      if (n < 0)
        {
          if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return TRUE;
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      self->bytes_written += n;
      memset (self->queued->data, 0, n);
      g_byte_array_remove_range (self->queued, 0, n);
      if (self->queued->len == 0)
        g_clear_pointer (&self->queued, g_byte_array_unref);
    }
  return TRUE;
}

/**
 * lk_bridge_channel_write:
 *
 * Writes @data now as far as the stream takes it, and queues the rest; the
 * drained callback says when the queue has gone out. Bytes are always
 * written in order.
 *
 * Returns: FALSE with @error when the stream failed
 */
gboolean
lk_bridge_channel_write (LkBridgeChannel  *self,
                         const void       *data,
                         gsize             length,
                         GError          **error)
{
  const guint8 *bytes = data;

  if (length == 0)
    return TRUE;
  if (self->queued == NULL)
    {
      g_autoptr(GError) local = NULL;
      gssize n = g_pollable_output_stream_write_nonblocking (self->output, bytes, length,
                                                             NULL, &local);

      if (n < 0 && !g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (n > 0)
        {
          self->bytes_written += n;
          bytes += n;
          length -= n;
        }
      if (length == 0)
        return TRUE;
      self->queued = g_byte_array_sized_new (length);
    }
  g_byte_array_append (self->queued, bytes, length);
  if (self->write_source == NULL)
    {
      self->write_source = g_pollable_output_stream_create_source (self->output, NULL);
      g_source_set_callback (self->write_source, G_SOURCE_FUNC (writable_cb), self, NULL);
      g_source_attach (self->write_source, NULL);
    }
  return TRUE;
}

gboolean
lk_bridge_channel_is_drained (LkBridgeChannel *self)
{
  return self->queued == NULL;
}

gsize
lk_bridge_channel_get_queued (LkBridgeChannel *self)
{
  return self->queued != NULL ? self->queued->len : 0;
}

guint64
lk_bridge_channel_get_bytes_read (LkBridgeChannel *self)
{
  return self->bytes_read;
}

guint64
lk_bridge_channel_get_bytes_written (LkBridgeChannel *self)
{
  return self->bytes_written;
}
