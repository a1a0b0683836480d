/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include "bridge/lk-bridge-relay.h"

/* Reads per wake-up before yielding to other sessions. */
#define MAX_READS_PER_WAKEUP 16

struct _LkBridgeRelay
{
  LkBridgeChannel       *client;     /* not owned */
  LkBridgeChannel       *upstream;   /* not owned */
  LkBridgeRelayDoneFunc  done;
  gpointer               user_data;
  gboolean               ending;     /* a side ended: flushing the other, then done */
  gboolean               finished;
};

static LkBridgeChannel *
other (LkBridgeRelay   *self,
       LkBridgeChannel *channel)
{
  return channel == self->client ? self->upstream : self->client;
}

static void
finish (LkBridgeRelay *self,
        const GError  *error)
{
  if (self->finished)
    return;
  self->finished = TRUE;
  lk_bridge_channel_watch_readable (self->client, FALSE);
  lk_bridge_channel_watch_readable (self->upstream, FALSE);
  self->done (self, error, self->user_data);
}

static void
pump (LkBridgeRelay   *self,
      LkBridgeChannel *from)
{
  LkBridgeChannel *to = other (self, from);
  guint8 *buffer = lk_bridge_shared_buffer ();

  for (guint i = 0; i < MAX_READS_PER_WAKEUP && !self->ending; i++)
    {
      g_autoptr(GError) error = NULL;
      gssize n;

      if (!lk_bridge_channel_is_drained (to))
        {
          /* Back pressure: wait for @to to take what it has. */
          lk_bridge_channel_watch_readable (from, FALSE);
          return;
        }
      n = lk_bridge_channel_read (from, buffer, LK_BRIDGE_SHARED_BUFFER_SIZE, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      if (n < 0)
        {
          finish (self, error);
          return;
        }
      if (n == 0)
        {
          /* One side ended: pass on what is queued for the other, then end. */
          self->ending = TRUE;
          lk_bridge_channel_watch_readable (self->client, FALSE);
          lk_bridge_channel_watch_readable (self->upstream, FALSE);
          if (lk_bridge_channel_is_drained (to))
            finish (self, NULL);
          return;
        }
      if (!lk_bridge_channel_write (to, buffer, n, &error))
        {
          finish (self, error);
          return;
        }
    }
  lk_bridge_channel_watch_readable (from, TRUE);
}

static void
readable_cb (LkBridgeChannel *channel,
             gpointer         user_data)
{
  pump (user_data, channel);
}

static void
drained_cb (LkBridgeChannel *channel,
            gpointer         user_data)
{
  LkBridgeRelay *self = user_data;

  if (self->ending)
    {
      if (lk_bridge_channel_is_drained (self->client) && lk_bridge_channel_is_drained (self->upstream))
        finish (self, NULL);
      return;
    }
  /* Read at once: TLS may hold decrypted bytes that no poll would announce. */
  pump (self, other (self, channel));
}

static void
failed_cb (LkBridgeChannel *channel,
           const GError    *error,
           gpointer         user_data)
{
  finish (user_data, error);
}

static const LkBridgeChannelCallbacks callbacks = {
  .readable = readable_cb,
  .drained = drained_cb,
  .failed = failed_cb,
};

/**
 * lk_bridge_relay_new:
 * @client, @upstream: (transfer none): must outlive the relay
 * @done: called once, when either side ended or failed
 */
LkBridgeRelay *
lk_bridge_relay_new (LkBridgeChannel       *client,
                     LkBridgeChannel       *upstream,
                     LkBridgeRelayDoneFunc  done,
                     gpointer               user_data)
{
  LkBridgeRelay *self = g_new0 (LkBridgeRelay, 1);

  self->client = client;
  self->upstream = upstream;
  self->done = done;
  self->user_data = user_data;
  return self;
}

/* Takes over both channels' callbacks. Bytes already queued on either are
 * sent first. */
void
lk_bridge_relay_start (LkBridgeRelay *self)
{
  lk_bridge_channel_set_callbacks (self->client, &callbacks, self);
  lk_bridge_channel_set_callbacks (self->upstream, &callbacks, self);
  if (lk_bridge_channel_is_drained (self->upstream))
    pump (self, self->client);
  if (!self->finished && lk_bridge_channel_is_drained (self->client))
    pump (self, self->upstream);
}

void
lk_bridge_relay_free (LkBridgeRelay *self)
{
  if (self == NULL)
    return;
  if (!self->finished)
    {
      lk_bridge_channel_watch_readable (self->client, FALSE);
      lk_bridge_channel_watch_readable (self->upstream, FALSE);
    }
  g_free (self);
}
