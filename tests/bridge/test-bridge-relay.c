/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The relay over real sockets: bytes both ways, byte-exact, with a slow
 * reader on each side (back pressure), and nothing kept once done. */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bridge/lk-bridge-channel.h"
#include "bridge/lk-bridge-relay.h"

#define AMOUNT (12 * 1024 * 1024)

typedef struct
{
  int        fd;
  GBytes    *data;       /* to write, or what was read */
  gboolean   slow;
} Pipe;

static gpointer
writer_thread (gpointer user_data)
{
  Pipe *pipe = user_data;
  gsize size;
  const guint8 *data = g_bytes_get_data (pipe->data, &size);
  gsize done = 0;

  while (done < size)
    {
      ssize_t n = write (pipe->fd, data + done, MIN (size - done, 100000));

      g_assert_cmpint (n, >, 0);
      done += n;
    }
  return NULL;
}

static gpointer
reader_thread (gpointer user_data)
{
  Pipe *pipe = user_data;
  GByteArray *got = g_byte_array_new ();
  guint8 chunk[30000];

  while (got->len < AMOUNT)
    {
      ssize_t n = read (pipe->fd, chunk, sizeof chunk);

      g_assert_cmpint (n, >, 0);
      g_byte_array_append (got, chunk, n);
      if (pipe->slow && got->len % 7 == 0)
        g_usleep (2000);
    }
  return g_byte_array_free_to_bytes (got);
}

static GIOStream *
connection_for (int fd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new_from_fd (fd, &error);

  g_assert_no_error (error);
  g_socket_set_blocking (socket, FALSE);
  return G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
}

typedef struct
{
  gboolean  done;
  GError   *error;
} Outcome;

static void
done_cb (LkBridgeRelay *relay,
         const GError  *error,
         gpointer       user_data)
{
  Outcome *outcome = user_data;

  outcome->done = TRUE;
  if (error != NULL)
    outcome->error = g_error_copy (error);
}

static GBytes *
random_bytes (void)
{
  guint8 *data = g_malloc (AMOUNT);

  for (gsize i = 0; i < AMOUNT; i += 4)
    *(guint32 *) (data + i) = g_random_int ();
  return g_bytes_new_take (data, AMOUNT);
}

static void
test_relay_both_ways (void)
{
  int client[2], upstream[2];
  g_autoptr(GIOStream) client_stream = NULL;
  g_autoptr(GIOStream) upstream_stream = NULL;
  g_autoptr(LkBridgeChannel) client_channel = NULL;
  g_autoptr(LkBridgeChannel) upstream_channel = NULL;
  g_autoptr(LkBridgeRelay) relay = NULL;
  g_autoptr(GBytes) up_data = random_bytes ();
  g_autoptr(GBytes) down_data = random_bytes ();
  g_autoptr(GBytes) up_got = NULL;
  g_autoptr(GBytes) down_got = NULL;
  Pipe up_write, up_read, down_write, down_read;
  GThread *threads[4];
  Outcome outcome = { FALSE, NULL };
  const char *first = "pipelined";

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, client), ==, 0);
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, upstream), ==, 0);
  client_stream = connection_for (client[1]);
  upstream_stream = connection_for (upstream[0]);
  client_channel = lk_bridge_channel_new (client_stream);
  upstream_channel = lk_bridge_channel_new (upstream_stream);

  /* What the client pipelined after its login goes first. */
  g_assert_true (lk_bridge_channel_write (upstream_channel, first, strlen (first), NULL));
  {
    char buffer[16] = { 0 };

    g_assert_cmpint (read (upstream[1], buffer, strlen (first)), ==, (ssize_t) strlen (first));
    g_assert_cmpstr (buffer, ==, first);
  }

  relay = lk_bridge_relay_new (client_channel, upstream_channel, done_cb, &outcome);
  lk_bridge_relay_start (relay);

  up_write = (Pipe) { client[0], up_data, FALSE };
  up_read = (Pipe) { upstream[1], NULL, TRUE };
  down_write = (Pipe) { upstream[1], down_data, FALSE };
  down_read = (Pipe) { client[0], NULL, TRUE };
  threads[0] = g_thread_new ("up-write", writer_thread, &up_write);
  threads[1] = g_thread_new ("up-read", reader_thread, &up_read);
  threads[2] = g_thread_new ("down-write", writer_thread, &down_write);
  threads[3] = g_thread_new ("down-read", reader_thread, &down_read);

  /* The relay runs here, on this thread's main context; the threads are
   * the two programs at either end. */
  while (g_atomic_pointer_get (&threads[1]) != NULL)
    {
      g_main_context_iteration (NULL, FALSE);
      if (lk_bridge_channel_get_bytes_written (upstream_channel) >= AMOUNT + strlen (first)
          && lk_bridge_channel_get_bytes_written (client_channel) >= AMOUNT)
        break;
      g_usleep (100);
      /* At most one read's worth is ever queued per direction. */
      g_assert_cmpuint (lk_bridge_channel_get_queued (upstream_channel), <=, LK_BRIDGE_SHARED_BUFFER_SIZE);
      g_assert_cmpuint (lk_bridge_channel_get_queued (client_channel), <=, LK_BRIDGE_SHARED_BUFFER_SIZE);
    }
  g_thread_join (threads[0]);
  g_thread_join (threads[2]);
  up_got = g_thread_join (threads[1]);
  down_got = g_thread_join (threads[3]);
  g_assert_true (g_bytes_equal (up_got, up_data));
  g_assert_true (g_bytes_equal (down_got, down_data));
  g_assert_cmpuint (lk_bridge_channel_get_bytes_read (client_channel), ==, AMOUNT);
  g_assert_cmpuint (lk_bridge_channel_get_bytes_read (upstream_channel), ==, AMOUNT);

  /* The client leaves: the relay ends in order, holding nothing. */
  close (client[0]);
  while (!outcome.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (outcome.error);
  g_assert_true (lk_bridge_channel_is_drained (client_channel));
  g_assert_true (lk_bridge_channel_is_drained (upstream_channel));
  close (upstream[1]);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bridge/relay/both-ways", test_relay_both_ways);
  return g_test_run ();
}
