/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "lk-ui-init.h"
#include "lk-window.h"

struct _LkWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template children */
  AdwToastOverlay      *toast_overlay;
  GtkStack             *stack;
  AdwStatusPage        *empty_page;
  GtkButton            *add_account_button;

  GSettings            *settings;
  GCancellable         *cancellable;
};

G_DEFINE_FINAL_TYPE (LkWindow, lk_window, ADW_TYPE_APPLICATION_WINDOW)

LkWindow *
lk_window_new (LkApplication *application)
{
  return g_object_new (LK_TYPE_WINDOW, "application", application, NULL);
}

static void
lk_window_add_account_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  LkWindow *self = LK_WINDOW (widget);

  /* The wizard issue replaces this with the setup assistant. */
  adw_toast_overlay_add_toast (self->toast_overlay,
                               adw_toast_new (_("Use “latchkey-cli add” to add an account for now")));
}

/* bench/gui-startup measures exec → first frame: with LATCHKEY_REPORT_FIRST_FRAME
 * set, the first "after-paint" of the frame clock prints a line that the
 * benchmark timestamps. */
static void
lk_window_after_paint_cb (GdkFrameClock *clock,
                          LkWindow      *self)
{
  g_signal_handlers_disconnect_by_func (clock, lk_window_after_paint_cb, self);
  g_print ("latchkey: first frame\n");
  fflush (stdout);
}

static void
lk_window_realize (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (lk_window_parent_class)->realize (widget);

  if (g_getenv ("LATCHKEY_REPORT_FIRST_FRAME") != NULL)
    g_signal_connect (gtk_widget_get_frame_clock (widget), "after-paint",
                      G_CALLBACK (lk_window_after_paint_cb), widget);
}

static void
lk_window_dispose (GObject *object)
{
  LkWindow *self = LK_WINDOW (object);

  /* Whatever the window started stops with it: listeners close, polls end. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_WINDOW);

  G_OBJECT_CLASS (lk_window_parent_class)->dispose (object);
}

static void
lk_window_class_init (LkWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_window_dispose;
  widget_class->realize = lk_window_realize;

  lk_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/lk-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LkWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, add_account_button);

  gtk_widget_class_install_action (widget_class, "win.add-account", NULL,
                                   lk_window_add_account_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK,
                                       "win.add-account", NULL);
}

static void
lk_window_init (LkWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (APP_ID);
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized",
                   G_SETTINGS_BIND_DEFAULT);

  adw_status_page_set_icon_name (self->empty_page, APP_ID "-symbolic");
  if (DEVELOPMENT_BUILD)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
}
