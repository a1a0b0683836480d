/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "lk-code-view.h"
#include "lk-ui-init.h"
#include "lk-ui-util.h"

/**
 * LkCodeView:
 *
 * Text a program reads — a command, a configuration file, a script, a link,
 * an id — shown exactly as it is: monospace, selectable, never wrapped and
 * never hyphenated (Pango would insert hyphens that are not in the text,
 * and a wrapped command or GUID is copied wrongly by eye). A line longer
 * than the view scrolls sideways. An optional copy button beside it puts
 * the text on the clipboard.
 */
struct _LkCodeView
{
  GtkWidget  parent_instance;

  /* Template children */
  GtkLabel  *label;
  GtkButton *copy_button;

  char      *copied;  /* the toast after copying */
};

G_DEFINE_FINAL_TYPE (LkCodeView, lk_code_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/**
 * lk_code_view_new:
 * @text: (nullable): what to show
 */
GtkWidget *
lk_code_view_new (const char *text)
{
  return g_object_new (LK_TYPE_CODE_VIEW, "text", text, NULL);
}

const char *
lk_code_view_get_text (LkCodeView *self)
{
  g_return_val_if_fail (LK_IS_CODE_VIEW (self), NULL);
  return gtk_label_get_text (self->label);
}

void
lk_code_view_set_text (LkCodeView *self,
                       const char *text)
{
  g_return_if_fail (LK_IS_CODE_VIEW (self));

  if (g_strcmp0 (text, gtk_label_get_text (self->label)) == 0)
    return;
  gtk_label_set_text (self->label, text != NULL ? text : "");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

/**
 * lk_code_view_set_copy_label:
 * @label: (nullable): what the copy button does, as its tooltip and its
 *   name for screen readers ("Copy Command"); %NULL hides the button
 * @copied: (nullable): the message once copied ("Command copied")
 */
void
lk_code_view_set_copy_label (LkCodeView *self,
                             const char *label,
                             const char *copied)
{
  g_return_if_fail (LK_IS_CODE_VIEW (self));

  gtk_widget_set_visible (GTK_WIDGET (self->copy_button), label != NULL);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->copy_button), label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->copy_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label != NULL ? label : "", -1);
  g_free (self->copied);
  self->copied = g_strdup (copied);
}

GtkWidget *
lk_code_view_get_copy_button (LkCodeView *self)
{
  g_return_val_if_fail (LK_IS_CODE_VIEW (self), NULL);
  return GTK_WIDGET (self->copy_button);
}

static void
lk_code_view_copy_clicked_cb (LkCodeView *self)
{
  lk_ui_copy_text (GTK_WIDGET (self), gtk_label_get_text (self->label), self->copied);
}

static void
lk_code_view_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  LkCodeView *self = LK_CODE_VIEW (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, lk_code_view_get_text (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_code_view_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  LkCodeView *self = LK_CODE_VIEW (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      lk_code_view_set_text (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_code_view_dispose (GObject *object)
{
  LkCodeView *self = LK_CODE_VIEW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_CODE_VIEW);
  lk_ui_unparent_children (GTK_WIDGET (self));
  g_clear_pointer (&self->copied, g_free);

  G_OBJECT_CLASS (lk_code_view_parent_class)->dispose (object);
}

static void
lk_code_view_class_init (LkCodeViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_code_view_dispose;
  object_class->get_property = lk_code_view_get_property;
  object_class->set_property = lk_code_view_set_property;

  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  lk_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/lk-code-view.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "codeview");
  gtk_widget_class_bind_template_child (widget_class, LkCodeView, label);
  gtk_widget_class_bind_template_child (widget_class, LkCodeView, copy_button);
  gtk_widget_class_bind_template_callback (widget_class, lk_code_view_copy_clicked_cb);
}

static void
lk_code_view_init (LkCodeView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
