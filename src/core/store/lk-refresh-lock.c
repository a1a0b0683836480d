/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-store"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "lk-error.h"
#include "lk-file.h"
#include "lk-places.h"
#include "store/lk-account-store.h"
#include "store/lk-refresh-lock.h"

/**
 * LkRefreshLock:
 *
 * A per-account lock every Latchkey process honours while it refreshes a
 * token: lk_file_lock() on `<account>.lock` in the runtime place
 * (`$XDG_RUNTIME_DIR/latchkey/`, or the system mode's runtime folder, which
 * the system daemon and `latchkey-cli --system` share). The kernel drops it
 * when the process dies, even by SIGKILL; lock files are never removed.
 */
struct _LkRefreshLock
{
  int fd;
};

char *
lk_refresh_lock_get_path (const char *account)
{
  g_autofree char *stem = lk_account_file_stem (account);
  g_autofree char *name = g_strconcat (stem, ".lock", NULL);

  return lk_places_build_path (LK_PLACE_RUNTIME, name, NULL);
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
  g_autoptr(GError) local_error = NULL;
  LkRefreshLock *self;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot create the lock folder %s: %s"), dir, g_strerror (saved_errno));
      return NULL;
    }

  fd = lk_file_lock (path, timeout_ms, cancellable, &local_error);
  if (fd < 0)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        g_set_error (error, LK_ERROR, LK_ERROR_TIMED_OUT,
                     _("Another Latchkey process has been refreshing the token of %s for "
                       "too long. Try again; if this persists, look for a stuck "
                       "latchkey-cli process."),
                     account);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  self = g_new0 (LkRefreshLock, 1);
  self->fd = fd;
  return self;
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
