/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "lk-ui-test-utils.h"

void
lk_ui_test_iterate (guint n)
{
  for (guint i = 0; i < n; i++)
    g_main_context_iteration (NULL, FALSE);
}

static gboolean
set_done_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop for @ms: animations (revealers, stacks) need frames,
 * not just iterations. */
void
lk_ui_test_wait (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, set_done_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static const char *
widget_text (GtkWidget *widget)
{
  if (GTK_IS_BUTTON (widget))
    return gtk_button_get_label (GTK_BUTTON (widget));
  if (GTK_IS_CHECK_BUTTON (widget))
    return gtk_check_button_get_label (GTK_CHECK_BUTTON (widget));
  if (GTK_IS_LABEL (widget))
    return gtk_label_get_text (GTK_LABEL (widget));
  if (ADW_IS_PREFERENCES_ROW (widget))
    return adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget));
  if (ADW_IS_STATUS_PAGE (widget))
    return adw_status_page_get_title (ADW_STATUS_PAGE (widget));
  return NULL;
}

/**
 * lk_ui_test_find:
 * @text: (nullable): the label, title or text the widget shows
 *
 * The first widget of @type under @root (depth first) showing @text.
 */
GtkWidget *
lk_ui_test_find (GtkWidget  *root,
                 GType       type,
                 const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type) &&
          (text == NULL || g_strcmp0 (widget_text (child), text) == 0))
        return child;
      found = lk_ui_test_find (child, type, text);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Puts @page in a 360 px wide window, the narrowest we support. */
GtkWidget *
lk_ui_test_show (GtkWidget *page)
{
  GtkWidget *window = adw_window_new ();
  GtkWidget *overlay = adw_toast_overlay_new ();

  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), page);
  adw_window_set_content (ADW_WINDOW (window), overlay);
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 640);
  gtk_window_present (GTK_WINDOW (window));
  lk_ui_test_iterate (50);
  return window;
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  char **out = user_data;

  *out = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  if (*out == NULL)
    *out = g_strdup ("");
}

char *
lk_ui_test_read_clipboard (GtkWidget *widget)
{
  char *text = NULL;

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget), NULL, read_cb, &text);
  while (text == NULL)
    g_main_context_iteration (NULL, TRUE);
  return text;
}

/**
 * lk_ui_test_screenshot:
 *
 * Saves what @window shows as $LK_BUILD_ROOT/screenshots/@name.png, a test
 * artefact to look at (and for the AppStream metainfo).
 */
void
lk_ui_test_screenshot (GtkWidget  *window,
                       const char *name)
{
  const char *root = g_getenv ("LK_BUILD_ROOT");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *file = NULL;
  graphene_rect_t bounds;
  int width, height;

  /* Pictures from the sanitizer build are not looked at; drawing them is
   * slow there. */
  if (root == NULL || LK_UI_TEST_PATIENCE > 1)
    return;
  lk_ui_test_wait (400);
  width = gtk_widget_get_width (window);
  height = gtk_widget_get_height (window);
  paintable = gtk_widget_paintable_new (window);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return;
  graphene_rect_init (&bounds, 0, 0, width, height);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &bounds);
  dir = g_build_filename (root, "screenshots", NULL);
  g_mkdir_with_parents (dir, 0755);
  file = g_strdup_printf ("%s/%s.png", dir, name);
  gdk_texture_save_to_png (texture, file);
}

/* A toast saying @text in one of the toast overlays under @root: the
 * overlay's children other than its content are the toasts. */
static GtkWidget *
find_label_prefix (GtkWidget  *root,
                   const char *prefix)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_LABEL (child) && g_str_has_prefix (gtk_label_get_text (GTK_LABEL (child)), prefix))
        return child;
      found = find_label_prefix (child, prefix);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_toast_label (GtkWidget  *root,
                  const char *text,
                  gboolean    prefix)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (ADW_IS_TOAST_OVERLAY (child))
        {
          GtkWidget *content = adw_toast_overlay_get_child (ADW_TOAST_OVERLAY (child));

          for (GtkWidget *toast = gtk_widget_get_first_child (child); toast != NULL;
               toast = gtk_widget_get_next_sibling (toast))
            {
              GtkWidget *label;

              if (toast == content)
                continue;
              label = prefix ? find_label_prefix (toast, text)
                             : lk_ui_test_find (toast, GTK_TYPE_LABEL, text);
              if (label != NULL && gtk_widget_get_mapped (label))
                return label;
            }
        }
      found = find_toast_label (child, text, prefix);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_icon_button (GtkWidget  *root,
                  const char *icon_name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child) &&
          g_strcmp0 (gtk_button_get_icon_name (GTK_BUTTON (child)), icon_name) == 0)
        return child;
      found = find_icon_button (child, icon_name);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static char *
wait_toast (GtkWidget  *window,
            const char *text,
            gboolean    prefix)
{
  gint64 end = g_get_monotonic_time () + LK_UI_TEST_PATIENCE * 10 * G_USEC_PER_SEC;
  GtkWidget *label;
  char *shown;

  while ((label = find_toast_label (window, text, prefix)) == NULL &&
         g_get_monotonic_time () < end)
    lk_ui_test_wait (20);
  if (label == NULL)
    g_error ("No toast saying “%s%s” was shown", text, prefix ? "…" : "");
  shown = g_strdup (gtk_label_get_text (GTK_LABEL (label)));

  for (GtkWidget *toast = label; toast != NULL; toast = gtk_widget_get_parent (toast))
    if (ADW_IS_TOAST_OVERLAY (gtk_widget_get_parent (toast)))
      {
        GtkWidget *close = find_icon_button (toast, "window-close-symbolic");

        if (close != NULL)
          g_signal_emit_by_name (close, "clicked");
        break;
      }
  lk_ui_test_wait (50);
  return shown;
}

/**
 * lk_ui_test_wait_toast:
 * @window: the window the message is for
 * @text: the message, as the person reads it
 *
 * Waits up to 10 s (longer under AddressSanitizer) for @window to show a
 * toast saying @text, and fails the test if it does not. The toast is then
 * dismissed with its close button, as a person would, so that the next
 * message can show.
 */
void
lk_ui_test_wait_toast (GtkWidget  *window,
                       const char *text)
{
  g_free (wait_toast (window, text, FALSE));
}

/**
 * lk_ui_test_wait_toast_prefix:
 *
 * As lk_ui_test_wait_toast(), for a message that starts with @prefix and
 * ends with what the system said ("Could not create the folder …: …").
 *
 * Returns: (transfer full): the whole message
 */
char *
lk_ui_test_wait_toast_prefix (GtkWidget  *window,
                              const char *prefix)
{
  return wait_toast (window, prefix, TRUE);
}

/**
 * lk_ui_test_has_inserted_hyphen:
 *
 * Whether Pango, wrapping @label as it is drawn, ended a line with a hyphen
 * that is not in the text (PANGO_ATTR_INSERT_HYPHENS, on by default).
 */
gboolean
lk_ui_test_has_inserted_hyphen (GtkLabel *label)
{
  PangoLayout *layout = gtk_label_get_layout (label);

  for (GSList *lines = pango_layout_get_lines_readonly (layout); lines != NULL;
       lines = lines->next)
    for (GSList *runs = ((PangoLayoutLine *) lines->data)->runs; runs != NULL;
         runs = runs->next)
      {
        PangoGlyphItem *run = runs->data;

        if ((run->item->analysis.flags & PANGO_ANALYSIS_FLAG_NEED_HYPHEN) != 0)
          return TRUE;
      }
  return FALSE;
}

/**
 * lk_ui_test_find_inserted_hyphen:
 *
 * The first label under @root, as drawn now, with a hyphen that is not in
 * its text; %NULL when there is none.
 */
GtkLabel *
lk_ui_test_find_inserted_hyphen (GtkWidget *root)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *found;

      if (GTK_IS_LABEL (child) && gtk_widget_get_mapped (child) &&
          lk_ui_test_has_inserted_hyphen (GTK_LABEL (child)))
        return GTK_LABEL (child);
      found = lk_ui_test_find_inserted_hyphen (child);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* As lk_ui_test_find(), but only a widget a person can see now. */
GtkWidget *
lk_ui_test_find_mapped (GtkWidget  *root,
                        GType       type,
                        const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (!gtk_widget_get_mapped (child))
        continue;
      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type) &&
          (text == NULL || g_strcmp0 (widget_text (child), text) == 0))
        return child;
      found = lk_ui_test_find_mapped (child, type, text);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/**
 * lk_ui_test_scroll_to:
 *
 * Scrolls the view holding @widget so that @widget is at its top, as a
 * person scrolls down to it (for screenshots of long pages).
 */
void
lk_ui_test_scroll_to (GtkWidget *widget)
{
  GtkWidget *scroller = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  GtkWidget *content;
  GtkAdjustment *adjustment;
  graphene_point_t point;

  /* A code view scrolls sideways only: the page's scroller is further up. */
  while (scroller != NULL)
    {
      GtkPolicyType vertical;

      gtk_scrolled_window_get_policy (GTK_SCROLLED_WINDOW (scroller), NULL, &vertical);
      if (vertical != GTK_POLICY_NEVER)
        break;
      scroller = gtk_widget_get_ancestor (gtk_widget_get_parent (scroller),
                                          GTK_TYPE_SCROLLED_WINDOW);
    }
  if (scroller == NULL)
    return;
  content = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scroller));
  if (!gtk_widget_compute_point (widget, content, &GRAPHENE_POINT_INIT (0, 0), &point))
    return;
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
  gtk_adjustment_set_value (adjustment, point.y - 12);
  lk_ui_test_wait (100);
}

/**
 * lk_ui_test_type_into:
 * @title: the entry row's title, as lk_ui_test_find() takes it
 *
 * Replaces what the entry row @title below @root holds with @text, as
 * typing would, and lets the window react.
 */
void
lk_ui_test_type_into (GtkWidget  *root,
                      const char *title,
                      const char *text)
{
  GtkWidget *row = lk_ui_test_find (root, ADW_TYPE_ENTRY_ROW, title);

  g_assert_nonnull (row);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
  lk_ui_test_iterate (5);
}
