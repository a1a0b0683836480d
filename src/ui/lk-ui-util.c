/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "lk-error.h"
#include "lk-ui-util.h"

/**
 * lk_ui_toast:
 * @widget: any widget inside a window with an #AdwToastOverlay
 * @text: what to say
 *
 * Shows a toast in the nearest toast overlay above @widget, so that pages do
 * not need to know which window holds them.
 */
void
lk_ui_toast (GtkWidget  *widget,
             const char *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}

/**
 * lk_ui_copy_text:
 *
 * Puts @text on the clipboard and says so with @toast.
 */
void
lk_ui_copy_text (GtkWidget  *widget,
                 const char *text,
                 const char *toast)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text != NULL ? text : "");
  if (toast != NULL)
    lk_ui_toast (widget, toast);
}

/**
 * lk_ui_error_message:
 *
 * The text to show a person for @error. Cancellation never reaches a person,
 * so it yields %NULL.
 */
char *
lk_ui_error_message (const GError *error)
{
  if (error == NULL || lk_error_is_cancelled (error))
    return NULL;
  return g_strdup (error->message);
}

/**
 * lk_ui_unparent_children:
 *
 * For dispose of a GtkWidget subclass whose template root has no id:
 * gtk_widget_dispose_template() only unparents named children.
 */
void
lk_ui_unparent_children (GtkWidget *widget)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (widget)) != NULL)
    gtk_widget_unparent (child);
}
