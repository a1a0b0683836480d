/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A TCP relay on loopback that holds every chunk for a fixed one-way delay
 * in each direction, so that a benchmark sees a mail server the way a
 * person does: behind a network round trip, not a CPU away. Data keeps
 * flowing while earlier chunks wait (a queue per direction), as on a real
 * link; only latency is added, not a bandwidth limit. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lk-bench-relay.h"

struct _LkBenchRelay
{
  int      listen_fd;
  guint16  port;
  char    *host;
  guint16  target_port;
  gint64   delay_us;
  GThread *acceptor;
};

typedef struct
{
  gint64 due;
  gsize  len;     /* 0: the sender closed */
  char   data[];
} Chunk;

typedef struct
{
  int          from, to;
  gint64       delay_us;
  GAsyncQueue *queue;
  gint        *refs;   /* shared by both directions of a connection */
} Direction;

static void
direction_release (Direction *d)
{
  if (g_atomic_int_dec_and_test (d->refs))
    {
      /* Both directions are done: the two sockets go. */
      close (d->from);
      close (d->to);
      g_free (d->refs);
    }
  g_async_queue_unref (d->queue);
  g_free (d);
}

static gpointer
reader_thread (gpointer user_data)
{
  Direction *d = user_data;
  char buffer[16384];

  for (;;)
    {
      ssize_t n = read (d->from, buffer, sizeof buffer);
      Chunk *chunk;

      if (n < 0 && errno == EINTR)
        continue;
      chunk = g_malloc (sizeof *chunk + MAX (n, 0));
      chunk->due = g_get_monotonic_time () + d->delay_us;
      chunk->len = MAX (n, 0);
      if (n > 0)
        memcpy (chunk->data, buffer, n);
      g_async_queue_push (d->queue, chunk);
      if (n <= 0)
        break;
    }
  direction_release (d);
  return NULL;
}

static gpointer
writer_thread (gpointer user_data)
{
  Direction *d = user_data;

  for (;;)
    {
      g_autofree Chunk *chunk = g_async_queue_pop (d->queue);
      gint64 wait = chunk->due - g_get_monotonic_time ();
      gsize done = 0;

      if (wait > 0)
        g_usleep (wait);
      if (chunk->len == 0)
        {
          shutdown (d->to, SHUT_WR);
          break;
        }
      while (done < chunk->len)
        {
          ssize_t n = write (d->to, chunk->data + done, chunk->len - done);

          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            break;
          done += n;
        }
    }
  direction_release (d);
  return NULL;
}

static void
start_direction (int     from,
                 int     to,
                 gint64  delay_us,
                 gint   *refs)
{
  GAsyncQueue *queue = g_async_queue_new ();

  for (guint i = 0; i < 2; i++)
    {
      Direction *d = g_new0 (Direction, 1);

      d->from = from;
      d->to = to;
      d->delay_us = delay_us;
      d->queue = g_async_queue_ref (queue);
      d->refs = refs;
      g_thread_unref (g_thread_new (i == 0 ? "relay-read" : "relay-write",
                                    i == 0 ? reader_thread : writer_thread, d));
    }
  g_async_queue_unref (queue);
}

static int
tcp_socket (void)
{
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;

  if (fd < 0)
    g_error ("relay: socket: %s", g_strerror (errno));
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static gpointer
acceptor_thread (gpointer user_data)
{
  LkBenchRelay *self = user_data;

  for (;;)
    {
      int client = accept (self->listen_fd, NULL, NULL);
      struct sockaddr_in target = { .sin_family = AF_INET };
      int server, one = 1;
      gint *refs;

      if (client < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED)
            continue;
          break;   /* the listening socket was shut down */
        }
      setsockopt (client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      server = tcp_socket ();
      target.sin_port = htons (self->target_port);
      inet_pton (AF_INET, self->host, &target.sin_addr);
      /* The TCP handshake costs a round trip too. */
      g_usleep (2 * self->delay_us);
      if (connect (server, (struct sockaddr *) &target, sizeof target) < 0)
        {
          close (client);
          close (server);
          continue;
        }
      refs = g_new (gint, 1);
      *refs = 4;
      start_direction (client, server, self->delay_us, refs);
      start_direction (server, client, self->delay_us, refs);
    }
  return NULL;
}

/**
 * lk_bench_relay_new:
 * @host: the loopback address to listen on and to forward to
 * @target_port: the server's port
 * @rtt_ms: the round-trip time to add
 *
 * Listens on @host at a port the system picks (lk_bench_relay_get_port()).
 */
LkBenchRelay *
lk_bench_relay_new (const char *host,
                    guint16     target_port,
                    guint       rtt_ms)
{
  LkBenchRelay *self = g_new0 (LkBenchRelay, 1);
  struct sockaddr_in address = { .sin_family = AF_INET };
  socklen_t len = sizeof address;

  self->host = g_strdup (host);
  self->target_port = target_port;
  self->delay_us = (gint64) rtt_ms * 1000 / 2;
  self->listen_fd = tcp_socket ();
  inet_pton (AF_INET, host, &address.sin_addr);
  if (bind (self->listen_fd, (struct sockaddr *) &address, sizeof address) < 0 ||
      listen (self->listen_fd, 64) < 0 ||
      getsockname (self->listen_fd, (struct sockaddr *) &address, &len) < 0)
    g_error ("relay: cannot listen on %s: %s", host, g_strerror (errno));
  self->port = ntohs (address.sin_port);
  self->acceptor = g_thread_new ("relay-accept", acceptor_thread, self);
  return self;
}

guint16
lk_bench_relay_get_port (LkBenchRelay *self)
{
  return self->port;
}

void
lk_bench_relay_free (LkBenchRelay *self)
{
  shutdown (self->listen_fd, SHUT_RDWR);
  g_thread_join (self->acceptor);
  close (self->listen_fd);
  g_free (self->host);
  g_free (self);
}
