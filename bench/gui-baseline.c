/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/gui-baseline: the least a libadwaita application can do — an
 * AdwApplicationWindow with a header bar and a status page, like
 * Latchkey's empty accounts window — and report its first frame the way
 * `latchkey` does under LATCHKEY_REPORT_FIRST_FRAME. bench/gui-startup runs
 * both in turn; the ratio is Latchkey's own share of start-up, whatever
 * GTK, the renderer and the X server cost on the machine. */
#include <adwaita.h>

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       user_data)
{
  g_signal_handlers_disconnect_by_func (clock, after_paint_cb, user_data);
  g_print ("baseline: first frame\n");
  fflush (stdout);
}

static void
realize_cb (GtkWidget *widget,
            gpointer   user_data)
{
  g_signal_connect (gtk_widget_get_frame_clock (widget), "after-paint",
                    G_CALLBACK (after_paint_cb), NULL);
}

static void
activate_cb (GApplication *app,
             gpointer      user_data)
{
  GtkWidget *window = adw_application_window_new (GTK_APPLICATION (app));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *status = adw_status_page_new ();
  GtkWidget *button = gtk_button_new_with_mnemonic ("_Add Account");

  adw_status_page_set_title (ADW_STATUS_PAGE (status), "No accounts yet");
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (status), "mail-send-symbolic");
  gtk_widget_set_halign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "suggested-action");
  gtk_widget_add_css_class (button, "pill");
  adw_status_page_set_child (ADW_STATUS_PAGE (status), button);
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), status);
  gtk_widget_set_vexpand (status, TRUE);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 560);
  g_signal_connect (window, "realize", G_CALLBACK (realize_cb), NULL);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(AdwApplication) app = adw_application_new ("io.github.latchkey.Bench.Baseline",
                                                       G_APPLICATION_DEFAULT_FLAGS);

  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
