/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "export/lk-exporter.h"
#include "lk-code-view.h"
#include "lk-export-page.h"
#include "lk-ui-init.h"
#include "lk-ui-util.h"

/**
 * LkExportPage:
 *
 * The export step: one expandable row per mail client with a preview of its
 * configuration (an LkCodeView: exactly the file's lines), Save… (to the
 * client's usual place by default), Copy, and what to do next.
 */
typedef struct
{
  char      *id;
  char      *name;
  char      *text;
  char      *default_path;
  GtkWidget *row;
  GtkWidget *set_up_box;    /* hidden unless the client can be set up */
  GtkWidget *set_up;
  GtkWidget *set_up_result; /* what the last Set Up changed */
  GtkWidget *save;
} Client;

static void
client_free (Client *client)
{
  g_free (client->id);
  g_free (client->name);
  g_free (client->text);
  g_free (client->default_path);
  g_free (client);
}

struct _LkExportPage
{
  GtkWidget            parent_instance;

  /* Template children */
  AdwPreferencesGroup *clients_group;

  GPtrArray           *clients;   /* Client */
};

G_DEFINE_FINAL_TYPE (LkExportPage, lk_export_page, GTK_TYPE_WIDGET)

enum {
  SIGNAL_SAVED,
  SIGNAL_SET_UP,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

GtkWidget *
lk_export_page_new (void)
{
  return g_object_new (LK_TYPE_EXPORT_PAGE, NULL);
}

static Client *
find_client (LkExportPage *self,
             const char   *id)
{
  for (guint i = 0; i < self->clients->len; i++)
    {
      Client *client = g_ptr_array_index (self->clients, i);

      if (g_str_equal (client->id, id))
        return client;
    }
  return NULL;
}

void
lk_export_page_clear (LkExportPage *self)
{
  g_return_if_fail (LK_IS_EXPORT_PAGE (self));

  for (guint i = 0; i < self->clients->len; i++)
    adw_preferences_group_remove (self->clients_group,
                                  ((Client *) g_ptr_array_index (self->clients, i))->row);
  g_ptr_array_set_size (self->clients, 0);
}

/**
 * lk_export_page_add_client:
 * @id: the exporter's id ("msmtp")
 * @name: what people call the client ("msmtp")
 * @text: the configuration, holding no secret
 * @default_path: (nullable): where the client looks for it
 * @what_next: (nullable): one or two sentences on what to do with it
 */
void
lk_export_page_add_client (LkExportPage *self,
                           const char   *id,
                           const char   *name,
                           const char   *text,
                           const char   *default_path,
                           const char   *what_next)
{
  Client *client;
  GtkWidget *box, *preview, *buttons, *save, *copy, *set_up_row, *explanation;
  g_autofree char *shown_path = NULL;

  g_return_if_fail (LK_IS_EXPORT_PAGE (self));
  g_return_if_fail (id != NULL && name != NULL && text != NULL);

  client = g_new0 (Client, 1);
  client->id = g_strdup (id);
  client->name = g_strdup (name);
  client->text = g_strdup (text);
  client->default_path = g_strdup (default_path);
  g_ptr_array_add (self->clients, client);

  client->row = adw_expander_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (client->row), name);
  shown_path = lk_ui_display_path (default_path);
  if (shown_path != NULL)
    adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (client->row), shown_path);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  /* Set Up: merged into the client's own file by core (issue #18 point
   * 6); shown by lk_export_page_set_can_set_up() for the clients core can
   * set up. Its own line: beside Copy and Save… it would not fit 360 px. */
  client->set_up_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_visible (client->set_up_box, FALSE);
  explanation = lk_ui_label_new_prose (_("Set Up adds the account to the program’s own "
                                         "configuration, keeping its other accounts and a copy "
                                         "of the file as it was."));
  gtk_widget_add_css_class (explanation, "dim-label");
  gtk_box_append (GTK_BOX (client->set_up_box), explanation);
  set_up_row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (set_up_row, GTK_ALIGN_END);
  client->set_up = gtk_button_new_with_mnemonic (_("Set _Up"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (client->set_up), "export.set-up");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (client->set_up), "s", id);
  gtk_box_append (GTK_BOX (set_up_row), client->set_up);
  gtk_box_append (GTK_BOX (client->set_up_box), set_up_row);
  /* What changed, file by file, as core says it: paths, never wrapped
   * with a hyphen. */
  client->set_up_result = lk_ui_label_new_prose (NULL);
  gtk_label_set_selectable (GTK_LABEL (client->set_up_result), TRUE);
  gtk_widget_set_visible (client->set_up_result, FALSE);
  gtk_box_append (GTK_BOX (client->set_up_box), client->set_up_result);
  gtk_box_append (GTK_BOX (box), client->set_up_box);

  if (what_next != NULL)
    {
      GtkWidget *next = lk_ui_label_new_prose (what_next);

      gtk_box_append (GTK_BOX (box), next);
    }

  /* As the file has it: long lines scroll sideways, never wrap. */
  preview = lk_code_view_new (text);
  gtk_widget_set_name (preview, "preview");
  gtk_accessible_update_property (GTK_ACCESSIBLE (preview), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Preview of the configuration"), -1);
  gtk_box_append (GTK_BOX (box), preview);

  buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  copy = gtk_button_new_with_mnemonic (_("_Copy"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (copy), "export.copy");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (copy), "s", id);
  save = gtk_button_new_with_mnemonic (_("_Save…"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (save), "export.save");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (save), "s", id);
  gtk_widget_add_css_class (save, "suggested-action");
  client->save = save;
  gtk_box_append (GTK_BOX (buttons), copy);
  gtk_box_append (GTK_BOX (buttons), save);
  gtk_box_append (GTK_BOX (box), buttons);

  adw_expander_row_add_row (ADW_EXPANDER_ROW (client->row), box);
  adw_preferences_group_add (self->clients_group, client->row);
  /* The first client opens: the page shows at once what a file looks
   * like, and Alt+S saves it without hunting for the button. */
  if (self->clients->len == 1)
    adw_expander_row_set_expanded (ADW_EXPANDER_ROW (client->row), TRUE);
}

/**
 * lk_export_page_set_can_set_up:
 * @id: a client added with lk_export_page_add_client()
 * @installed: the program or its configuration is on this computer; then
 *   Set Up is the suggested button, not Save…
 *
 * Offers Set Up for the client: the page emits #LkExportPage::set-up, and
 * whoever set the client up says how it went with
 * lk_export_page_show_set_up().
 */
void
lk_export_page_set_can_set_up (LkExportPage *self,
                               const char   *id,
                               gboolean      installed)
{
  Client *client = find_client (self, id);

  g_return_if_fail (client != NULL);

  gtk_widget_set_visible (client->set_up_box, TRUE);
  if (installed)
    {
      gtk_widget_add_css_class (client->set_up, "suggested-action");
      gtk_widget_remove_css_class (client->save, "suggested-action");
    }
}

/* Core words the result for a terminal, with the backup and link lines
 * indented under their file; in a wrapped label an indent reads as a
 * stray space, so each line starts at the margin here. */
static char *
without_indent (const char *result)
{
  g_auto(GStrv) lines = g_strsplit (result, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    g_strchug (lines[i]);
  return g_strchomp (g_strjoinv ("\n", lines));
}

/**
 * lk_export_page_show_set_up:
 * @result: (nullable): what Set Up changed; %NULL when it failed (the
 *   caller said why)
 *
 * Set Up of @id is over: its button works again and the page shows what
 * changed.
 */
void
lk_export_page_show_set_up (LkExportPage *self,
                            const char   *id,
                            const char   *result)
{
  Client *client = find_client (self, id);
  g_autofree char *text = NULL;
  g_autofree char *message = NULL;

  g_return_if_fail (client != NULL);

  gtk_widget_set_sensitive (client->set_up, TRUE);
  if (result == NULL)
    return;
  text = without_indent (result);
  gtk_label_set_text (GTK_LABEL (client->set_up_result), text);
  gtk_widget_set_visible (client->set_up_result, TRUE);
  /* Translators: %s is a mail program such as "msmtp". */
  message = g_strdup_printf (_("%s is set up"), client->name);
  lk_ui_toast (GTK_WIDGET (self), message);
}

/* The last Set Up's account of what changed, as shown; %NULL before. */
const char *
lk_export_page_get_set_up_result (LkExportPage *self,
                                  const char   *id)
{
  Client *client = find_client (self, id);

  g_return_val_if_fail (client != NULL, NULL);
  return gtk_widget_get_visible (client->set_up_result)
    ? gtk_label_get_text (GTK_LABEL (client->set_up_result)) : NULL;
}

GtkWidget *
lk_export_page_get_row (LkExportPage *self,
                        const char   *id)
{
  Client *client = find_client (self, id);

  return client != NULL ? client->row : NULL;
}

const char *
lk_export_page_get_text (LkExportPage *self,
                         const char   *id)
{
  Client *client = find_client (self, id);

  return client != NULL ? client->text : NULL;
}

static void
lk_export_page_copy_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  LkExportPage *self = LK_EXPORT_PAGE (widget);
  Client *client = find_client (self, g_variant_get_string (parameter, NULL));

  if (client != NULL)
    lk_ui_copy_text (widget, client->text, _("Configuration copied"));
}

/**
 * lk_export_page_save_to:
 *
 * Writes the client's configuration to @file, as Save… does once the person
 * has chosen where (the file chooser asked before replacing a file). The
 * file is a few hundred bytes; core writes it atomically, mode 0600, and
 * keeps a replaced file beside it (the toast says where), then says
 * "saved".
 */
void
lk_export_page_save_to (LkExportPage *self,
                        const char   *id,
                        GFile        *file)
{
  Client *client = find_client (self, id);
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *shown = NULL;
  g_autofree char *message = NULL;
  g_autofree char *backup = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (client != NULL);

  if (path == NULL)
    {
      lk_ui_toast_error (GTK_WIDGET (self), _("Choose a folder on this computer."));
      return;
    }
  if (!lk_export_write (path, client->text, TRUE, &backup, &error))
    {
      lk_ui_toast_error (GTK_WIDGET (self), error->message);
      return;
    }
  shown = lk_ui_display_path (path);
  if (backup != NULL)
    {
      g_autofree char *shown_backup = lk_ui_display_path (backup);

      /* Translators: the first %s is where the file went, such as
       * "~/.msmtprc"; the second where the file it replaced was kept. */
      message = g_strdup_printf (_("Saved to %s; the old file is kept as %s"), shown,
                                 shown_backup);
    }
  else
    /* Translators: %s is where the file went, such as "~/.msmtprc". */
    message = g_strdup_printf (_("Saved to %s"), shown);
  lk_ui_toast (GTK_WIDGET (self), message);
  g_signal_emit (self, signals[SIGNAL_SAVED], 0, client->id, path);
}

static void
save_chosen_cb (GtkWidget *widget,
                GFile     *file,
                gpointer   user_data)
{
  lk_export_page_save_to (LK_EXPORT_PAGE (widget), user_data, file);
}

static void
lk_export_page_save_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  LkExportPage *self = LK_EXPORT_PAGE (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  Client *client = find_client (self, id);
  g_autoptr(GFile) initial = NULL;
  g_autofree char *title = NULL;

  if (client == NULL)
    return;
  /* Translators: %s is a mail client such as "msmtp". */
  title = g_strdup_printf (_("Save %s Configuration"), client->name);
  if (client->default_path != NULL)
    initial = g_file_new_for_path (client->default_path);
  lk_ui_choose_file (widget, TRUE, title, _("_Save"), initial, NULL, save_chosen_cb,
                     g_strdup (id), g_free);
}

static void
lk_export_page_set_up_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  LkExportPage *self = LK_EXPORT_PAGE (widget);
  Client *client = find_client (self, g_variant_get_string (parameter, NULL));

  if (client == NULL || !gtk_widget_get_visible (client->set_up_box))
    return;
  /* Once at a time: the button waits for lk_export_page_show_set_up(). */
  gtk_widget_set_sensitive (client->set_up, FALSE);
  g_signal_emit (self, signals[SIGNAL_SET_UP], 0, client->id);
}

static void
lk_export_page_dispose (GObject *object)
{
  LkExportPage *self = LK_EXPORT_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_EXPORT_PAGE);
  lk_ui_unparent_children (GTK_WIDGET (object));
  g_clear_pointer (&self->clients, g_ptr_array_unref);

  G_OBJECT_CLASS (lk_export_page_parent_class)->dispose (object);
}

static void
lk_export_page_class_init (LkExportPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_export_page_dispose;

  /**
   * LkExportPage::saved:
   * @client: the exporter's id
   * @path: the file written, absolute
   *
   * A client's configuration was saved.
   */
  signals[SIGNAL_SAVED] =
    g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * LkExportPage::set-up:
   * @client: the exporter's id
   *
   * Set Up was pressed for @client; answer with
   * lk_export_page_show_set_up().
   */
  signals[SIGNAL_SET_UP] =
    g_signal_new ("set-up", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  lk_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/lk-export-page.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, LkExportPage, clients_group);

  gtk_widget_class_install_action (widget_class, "export.copy", "s", lk_export_page_copy_action);
  gtk_widget_class_install_action (widget_class, "export.save", "s", lk_export_page_save_action);
  gtk_widget_class_install_action (widget_class, "export.set-up", "s",
                                   lk_export_page_set_up_action);
}

static void
lk_export_page_init (LkExportPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->clients = g_ptr_array_new_with_free_func ((GDestroyNotify) client_free);
}
