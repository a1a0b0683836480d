/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "lk-error.h"
#include "lk-file.h"

/* The local files Latchkey reads are named by people and by folders other
 * programs can write to: a FIFO there would block an open() or read() for
 * ever (and a blocked main thread ignores Ctrl+C), a device would never end,
 * a huge file would be read whole (issue #19 §4). So: opened without
 * blocking, checked to be a regular file, read up to a cap. */

static gboolean
not_regular (const char  *path,
             GError     **error)
{
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
               _("%s is not a regular file (a FIFO, socket or device); move it out of the "
                 "way."), path);
  return FALSE;
}

static gboolean
too_large (const char  *path,
           gsize        max_size,
           GError     **error)
{
  g_autofree char *limit = g_format_size (max_size);

  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
               _("%s is too large to be read (more than %s); move it out of the way."),
               path, limit);
  return FALSE;
}

static int
open_regular (const char  *path,
              struct stat *st,
              GError     **error)
{
  int fd = g_open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);

  if (fd < 0)
    {
      int saved_errno = errno;

      /* A socket cannot be opened at all. */
      if (saved_errno == ENXIO || saved_errno == EOPNOTSUPP)
        {
          not_regular (path, error);
          return -1;
        }
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot open %s: %s"), path, g_strerror (saved_errno));
      return -1;
    }
  if (fstat (fd, st) != 0 || !S_ISREG (st->st_mode))
    {
      close (fd);
      not_regular (path, error);
      return -1;
    }
  return fd;
}

/**
 * lk_file_read_regular:
 * @max_size: the most this kind of file can hold (%LK_FILE_MAX_SMALL)
 * @out_contents: (out): the contents, NUL-terminated
 * @out_length: (out) (optional): their length
 *
 * Reads a local file that must be a regular one of at most @max_size bytes.
 * Errors: %G_FILE_ERROR (from open, %G_FILE_ERROR_NOENT when it does not
 * exist), or %LK_ERROR_INVALID_INPUT naming @path when it is a FIFO, socket
 * or device, or too large. Never blocks on a FIFO.
 */
gboolean
lk_file_read_regular (const char  *path,
                      gsize        max_size,
                      char       **out_contents,
                      gsize       *out_length,
                      GError     **error)
{
  g_autoptr(GByteArray) data = NULL;
  struct stat st;
  guint8 buffer[16384];
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (out_contents != NULL, FALSE);

  fd = open_regular (path, &st, error);
  if (fd < 0)
    return FALSE;
  if ((guint64) st.st_size > max_size)
    {
      close (fd);
      return too_large (path, max_size, error);
    }
  data = g_byte_array_sized_new ((guint) st.st_size + 1);
  for (;;)
    {
      gssize n = read (fd, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          close (fd);
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       _("Cannot read %s: %s"), path, g_strerror (saved_errno));
          return FALSE;
        }
      if (n == 0)
        break;
      /* It may grow while it is read. */
      if (data->len + (gsize) n > max_size)
        {
          close (fd);
          return too_large (path, max_size, error);
        }
      g_byte_array_append (data, buffer, (guint) n);
    }
  close (fd);
  if (out_length != NULL)
    *out_length = data->len;
  g_byte_array_append (data, (const guint8 *) "", 1);
  *out_contents = (char *) g_byte_array_free (g_steal_pointer (&data), FALSE);
  return TRUE;
}

/**
 * lk_file_check_regular:
 *
 * For a file about to be replaced (`export --output`): %TRUE when @path
 * does not exist or is a regular file; otherwise %FALSE with
 * %LK_ERROR_INVALID_INPUT naming it. Never blocks on a FIFO.
 */
gboolean
lk_file_check_regular (const char  *path,
                       GError     **error)
{
  struct stat st;

  g_return_val_if_fail (path != NULL, FALSE);

  if (g_stat (path, &st) != 0)
    return TRUE;   /* nothing there (yet), or nothing we could see */
  if (!S_ISREG (st.st_mode))
    return not_regular (path, error);
  return TRUE;
}

/* Waiting polls flock(LOCK_NB) with a growing pause, so that a timeout and a
 * cancellation are honoured; the pause stays short next to the work a lock
 * guards (a token refresh, a store write). */
#define LOCK_MIN_PAUSE_MS 2
#define LOCK_MAX_PAUSE_MS 25

/**
 * lk_file_lock:
 * @path: the lock file, created (0600) if missing; its folder must exist
 * @timeout_ms: how long to wait for another holder
 *
 * Takes an exclusive flock() on @path, waiting at most @timeout_ms. flock
 * locks belong to the open file, so two opens in one process exclude each
 * other too, and the kernel drops the lock when its holder dies, even by
 * SIGKILL. Lock files are never removed: removing one while another
 * process waits on it would let two holders in.
 *
 * Returns: the file descriptor holding the lock (close it to let go), or -1
 *   with %G_IO_ERROR_TIMED_OUT after @timeout_ms, %G_IO_ERROR_CANCELLED, or
 *   the error of open() or flock()
 */
int
lk_file_lock (const char    *path,
              guint          timeout_ms,
              GCancellable  *cancellable,
              GError       **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint pause_ms = LOCK_MIN_PAUSE_MS;
  GPollFD pollfd;
  gboolean have_pollfd;
  int fd;

  g_return_val_if_fail (path != NULL, -1);

  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot open the lock file %s: %s"), path, g_strerror (saved_errno));
      return -1;
    }

  have_pollfd = g_cancellable_make_pollfd (cancellable, &pollfd);
  for (;;)
    {
      gint64 now;

      if (flock (fd, LOCK_EX | LOCK_NB) == 0)
        {
          if (have_pollfd)
            g_cancellable_release_fd (cancellable);
          return fd;
        }
      if (errno != EWOULDBLOCK && errno != EINTR)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Cannot lock %s: %s"), path, g_strerror (saved_errno));
          break;
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        break;
      now = g_get_monotonic_time ();
      if (now >= deadline)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       _("%s stayed locked by another process"), path);
          break;
        }
      pause_ms = MIN (pause_ms, (guint) ((deadline - now) / 1000) + 1);
      if (have_pollfd)
        g_poll (&pollfd, 1, (gint) pause_ms);
      else
        g_usleep (pause_ms * 1000);
      pause_ms = MIN (pause_ms * 2, LOCK_MAX_PAUSE_MS);
    }

  if (have_pollfd)
    g_cancellable_release_fd (cancellable);
  close (fd);
  return -1;
}

/**
 * lk_file_sync_dir:
 * @path: a folder
 *
 * Flushes @path's entries to disk, so that a file just renamed into it is
 * there after a power cut too (rename(2) alone is atomic, not durable).
 */
gboolean
lk_file_sync_dir (const char  *path,
                  GError     **error)
{
  int fd = g_open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (fd < 0 || fsync (fd) != 0)
    {
      int saved_errno = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot flush the folder %s to disk: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }
  close (fd);
  return TRUE;
}
