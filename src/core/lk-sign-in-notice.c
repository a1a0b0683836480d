/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "lk-places.h"
#include "lk-sign-in-notice.h"
#include "store/lk-account-store.h"

#define NOTIFY_INTERVAL_SECONDS 3600

/* At most one notification an hour per account: the mtime of a stamp file
 * in the runtime place (gone at log-out, or at reboot for the system
 * bridge, which is what we want). */
static gboolean
claim_notification_slot (LkAccount *account)
{
  g_autofree char *stem = lk_account_file_stem (account->email);
  g_autofree char *dir = lk_places_get_dir (LK_PLACE_RUNTIME);
  g_autofree char *name = g_strconcat (stem, ".notified", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf st;

  if (g_stat (path, &st) == 0 &&
      g_get_real_time () / G_USEC_PER_SEC - st.st_mtime < NOTIFY_INTERVAL_SECONDS)
    return FALSE;
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents_full (path, "", 0, G_FILE_SET_CONTENTS_NONE, 0600, NULL))
    return FALSE;
  return TRUE;
}

/* GNOME Shell's own notification interface (what GNotification uses): its
 * action reaches Latchkey through D-Bus activation even though this process
 * is long gone, and opens the sign-in of this very account. */
static gboolean
send_gtk_notification (GDBusConnection *bus,
                       LkAccount       *account,
                       const char      *summary,
                       const char      *body)
{
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *id = g_strconcat ("needs-sign-in:", account->email, NULL);
  GVariantBuilder notification;
  GVariantBuilder buttons;
  GVariantBuilder button;

  g_variant_builder_init (&button, G_VARIANT_TYPE ("a{sv}"));
  /* Translators: a button in the notification that an account needs signing in again */
  g_variant_builder_add (&button, "{sv}", "label", g_variant_new_string (_("Sign In")));
  g_variant_builder_add (&button, "{sv}", "action", g_variant_new_string ("app.sign-in"));
  g_variant_builder_add (&button, "{sv}", "target", g_variant_new_string (account->email));
  g_variant_builder_init (&buttons, G_VARIANT_TYPE ("aa{sv}"));
  g_variant_builder_add_value (&buttons, g_variant_builder_end (&button));

  g_variant_builder_init (&notification, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&notification, "{sv}", "title", g_variant_new_string (summary));
  g_variant_builder_add (&notification, "{sv}", "body", g_variant_new_string (body));
  g_variant_builder_add (&notification, "{sv}", "priority", g_variant_new_string ("high"));
  g_variant_builder_add (&notification, "{sv}", "default-action",
                         g_variant_new_string ("app.sign-in"));
  g_variant_builder_add (&notification, "{sv}", "default-action-target",
                         g_variant_new_string (account->email));
  g_variant_builder_add (&notification, "{sv}", "buttons", g_variant_builder_end (&buttons));

  reply = g_dbus_connection_call_sync (bus, "org.gtk.Notifications", "/org/gtk/Notifications",
                                       "org.gtk.Notifications", "AddNotification",
                                       g_variant_new ("(ssa{sv})", APP_ID, id, &notification),
                                       NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, 1000, NULL, NULL);
  return reply != NULL;
}

/* Every other desktop: the freedesktop.org interface. Its actions would come
 * back to this process, which exits, so there are none; the "desktop-entry"
 * hint lets a click open Latchkey, whose list shows the account's state. */
static void
send_fdo_notification (GDBusConnection *bus,
                       const char      *summary,
                       const char      *body)
{
  g_autoptr(GVariant) reply = NULL;
  GVariantBuilder hints;
  const char *actions[] = { NULL };

  g_variant_builder_init (&hints, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&hints, "{sv}", "desktop-entry", g_variant_new_string (APP_ID));
  g_variant_builder_add (&hints, "{sv}", "urgency", g_variant_new_byte (1));
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.Notifications",
                                       "/org/freedesktop/Notifications",
                                       "org.freedesktop.Notifications", "Notify",
                                       g_variant_new ("(susss^asa{sv}i)", "Latchkey", 0,
                                                      APP_ID, summary, body, actions, &hints,
                                                      -1),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE,
                                       1000, NULL, NULL);
}

/**
 * lk_sign_in_notice_send:
 *
 * Tells the person at the desktop that @account needs signing in again:
 * `latchkey-cli token` may run unattended (cron, a timer) and the bridge
 * serves programs that cannot say why they fail. At most once an hour per
 * account, whichever process asks (the stamp is shared). No notification
 * service, no session bus: nothing happens, and no error either. Blocks
 * for at most two D-Bus round trips of a second each.
 *
 * The system bridge has no desktop: there the notice is a warning in the
 * service's log (the journal), once an hour per account too, for IT.
 */
void
lk_sign_in_notice_send (LkAccount *account)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *body = NULL;

  if (lk_places_is_system_mode ())
    {
      if (claim_notification_slot (account))
        g_warning ("%s needs signing in again: the bridge refuses its mail programs and "
                   "devices until then. As root: latchkey-cli --system login %s",
                   account->email, account->email);
      return;
    }
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  if (bus == NULL || !claim_notification_slot (account))
    return;

  /* Translators: a desktop notification's title; %s is an e-mail address */
  summary = g_strdup_printf (_("Sign in again to %s"), account->email);
  body = g_strdup_printf (_("Mail programs can no longer get a token for %s. Open Latchkey, "
                            "or run “latchkey-cli login %s” in a terminal."),
                          account->email, account->email);
  if (!send_gtk_notification (bus, account, summary, body))
    send_fdo_notification (bus, summary, body);
}

static void
send_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  lk_sign_in_notice_send (task_data);
  g_task_return_boolean (task, TRUE);
}

/**
 * lk_sign_in_notice_send_async:
 *
 * lk_sign_in_notice_send() in a worker thread, for a daemon's main loop.
 */
void
lk_sign_in_notice_send_async (LkAccount           *account,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, lk_sign_in_notice_send_async);
  g_task_set_task_data (task, lk_account_ref (account), (GDestroyNotify) lk_account_unref);
  g_task_run_in_thread (task, send_thread);
}

gboolean
lk_sign_in_notice_send_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
