/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * LkBridgeChannel:
 *
 * One side of a bridged session (the mail program, or the upstream server)
 * driven without threads on the main context: readability is awaited with
 * a pollable source, reads go into one buffer shared by every channel
 * (lk_bridge_shared_buffer()), and a write that would block keeps only its
 * remainder, in a buffer that exists only until it is written. An idle
 * channel holds no buffer at all.
 */
typedef struct _LkBridgeChannel LkBridgeChannel;

typedef struct
{
  /* The stream has something to read (or its end, or an error): call
   * lk_bridge_channel_read(). */
  void (*readable) (LkBridgeChannel *channel,
                    gpointer         user_data);
  /* Everything queued has been written. */
  void (*drained)  (LkBridgeChannel *channel,
                    gpointer         user_data);
  /* Writing what was queued failed; the channel is unusable. */
  void (*failed)   (LkBridgeChannel *channel,
                    const GError    *error,
                    gpointer         user_data);
} LkBridgeChannelCallbacks;

#define LK_BRIDGE_SHARED_BUFFER_SIZE (64 * 1024)

guint8          *lk_bridge_shared_buffer            (void);

LkBridgeChannel *lk_bridge_channel_new              (GIOStream                      *stream);
void             lk_bridge_channel_free             (LkBridgeChannel                *self);
GIOStream       *lk_bridge_channel_get_stream       (LkBridgeChannel                *self);
void             lk_bridge_channel_set_stream       (LkBridgeChannel                *self,
                                                     GIOStream                      *stream);
void             lk_bridge_channel_set_callbacks    (LkBridgeChannel                *self,
                                                     const LkBridgeChannelCallbacks *callbacks,
                                                     gpointer                        user_data);
void             lk_bridge_channel_watch_readable   (LkBridgeChannel                *self,
                                                     gboolean                        watch);
gssize           lk_bridge_channel_read             (LkBridgeChannel                *self,
                                                     guint8                         *buffer,
                                                     gsize                           size,
                                                     GError                        **error);
gboolean         lk_bridge_channel_write            (LkBridgeChannel                *self,
                                                     const void                     *data,
                                                     gsize                           length,
                                                     GError                        **error);
gboolean         lk_bridge_channel_is_drained       (LkBridgeChannel                *self);
gsize            lk_bridge_channel_get_queued       (LkBridgeChannel                *self);
guint64          lk_bridge_channel_get_bytes_read   (LkBridgeChannel                *self);
guint64          lk_bridge_channel_get_bytes_written (LkBridgeChannel               *self);
void             lk_bridge_channel_stop             (LkBridgeChannel                *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkBridgeChannel, lk_bridge_channel_free)

G_END_DECLS
