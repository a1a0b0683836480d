/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "lk-error.h"
#include "store/lk-account-store.h"
#include "store/lk-refresh-lock.h"

/**
 * LkRefreshLock:
 *
 * A per-account lock every Latchkey process honours while it refreshes a
 * token: flock() on `$XDG_RUNTIME_DIR/latchkey/<account>.lock`. flock locks
 * belong to the open file, so two opens in one process exclude each other
 * too, and the kernel drops the lock when the process dies, even by
 * SIGKILL. Lock files are never removed: removing one while another process
 * waits on it would let two holders in.
 */
struct _LkRefreshLock
{
  int fd;
};

/* Waiting polls flock(LOCK_NB) with a growing pause, so that a timeout and a
 * cancellation are honoured; the pause stays short next to a token refresh. */
#define MIN_PAUSE_MS 2
#define MAX_PAUSE_MS 25

char *
lk_refresh_lock_get_path (const char *account)
{
  g_autofree char *stem = lk_account_file_stem (account);
  g_autofree char *name = g_strconcat (stem, ".lock", NULL);

  /* g_get_user_runtime_dir() falls back to the cache folder when
   * XDG_RUNTIME_DIR is unset. */
  return g_build_filename (g_get_user_runtime_dir (), "latchkey", name, NULL);
}

void
lk_refresh_lock_free (LkRefreshLock *self)
{
  if (self == NULL)
    return;
  /* Closing the file drops the lock. */
  g_close (self->fd, NULL);
  g_free (self);
}

typedef struct
{
  char  *account;
  guint  timeout_ms;
} AcquireData;

static void
acquire_data_free (AcquireData *data)
{
  g_free (data->account);
  g_free (data);
}

static LkRefreshLock *
acquire (const char    *account,
         guint          timeout_ms,
         GCancellable  *cancellable,
         GError       **error)
{
  g_autofree char *path = lk_refresh_lock_get_path (account);
  g_autofree char *dir = g_path_get_dirname (path);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint pause_ms = MIN_PAUSE_MS;
  GPollFD pollfd;
  gboolean have_pollfd;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot create the lock folder %s: %s"), dir, g_strerror (saved_errno));
      return NULL;
    }

  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot open the lock file %s: %s"), path, g_strerror (saved_errno));
      return NULL;
    }

  have_pollfd = g_cancellable_make_pollfd (cancellable, &pollfd);
  for (;;)
    {
      gint64 now;

      if (flock (fd, LOCK_EX | LOCK_NB) == 0)
        {
          LkRefreshLock *self = g_new0 (LkRefreshLock, 1);

          if (have_pollfd)
            g_cancellable_release_fd (cancellable);
          self->fd = fd;
          return self;
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
          g_set_error (error, LK_ERROR, LK_ERROR_TIMED_OUT,
                       _("Another Latchkey process has been refreshing the token of %s for "
                         "too long. Try again; if this persists, look for a stuck "
                         "latchkey-cli process."),
                       account);
          break;
        }
      pause_ms = MIN (pause_ms, (guint) ((deadline - now) / 1000) + 1);
      if (have_pollfd)
        g_poll (&pollfd, 1, (gint) pause_ms);
      else
        g_usleep (pause_ms * 1000);
      pause_ms = MIN (pause_ms * 2, MAX_PAUSE_MS);
    }

  if (have_pollfd)
    g_cancellable_release_fd (cancellable);
  g_close (fd, NULL);
  return NULL;
}

static void
acquire_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  AcquireData *data = task_data;
  GError *error = NULL;
  LkRefreshLock *lock;

  lock = acquire (data->account, data->timeout_ms, cancellable, &error);
  if (lock == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, lock, (GDestroyNotify) lk_refresh_lock_free);
}

/**
 * lk_refresh_lock_acquire_async:
 * @account: the account's address
 * @timeout_ms: how long to wait for another holder; fails with
 *   %LK_ERROR_TIMED_OUT after that
 *
 * Takes the account's refresh lock, waiting in a worker thread.
 */
void
lk_refresh_lock_acquire_async (const char          *account,
                               guint                timeout_ms,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  AcquireData *data;

  g_return_if_fail (account != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, lk_refresh_lock_acquire_async);
  data = g_new0 (AcquireData, 1);
  data->account = g_strdup (account);
  data->timeout_ms = timeout_ms;
  g_task_set_task_data (task, data, (GDestroyNotify) acquire_data_free);
  g_task_run_in_thread (task, acquire_thread);
}

/**
 * lk_refresh_lock_acquire_finish:
 *
 * Returns: (transfer full): the lock, held until lk_refresh_lock_free().
 */
LkRefreshLock *
lk_refresh_lock_acquire_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lk_refresh_lock_acquire_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

LkRefreshLock *
lk_refresh_lock_acquire_sync (const char    *account,
                              guint          timeout_ms,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_return_val_if_fail (account != NULL, NULL);
  return acquire (account, timeout_ms, cancellable, error);
}
