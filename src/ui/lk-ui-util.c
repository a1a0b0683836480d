/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bridge/lk-bridge-client.h"
#include "export/lk-exporter.h"
#include "lk-error.h"
#include "lk-ui-util.h"

/* The first toast overlay inside @widget, outermost first. */
static AdwToastOverlay *
find_overlay_below (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      AdwToastOverlay *found;

      if (ADW_IS_TOAST_OVERLAY (child))
        return ADW_TOAST_OVERLAY (child);
      found = find_overlay_below (child);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The overlay that shows @widget's toasts: the nearest one above it (a page
 * inside a window's overlay), else the one its window holds (the window
 * itself, or a widget beside the overlay, such as a header bar button). */
static AdwToastOverlay *
find_overlay (GtkWidget *widget)
{
  GtkWidget *above = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  GtkRoot *root;

  if (above != NULL)
    return ADW_TOAST_OVERLAY (above);
  root = gtk_widget_get_root (widget);
  return root != NULL ? find_overlay_below (GTK_WIDGET (root)) : NULL;
}

static void
weak_ref_free (GWeakRef *ref)
{
  g_weak_ref_clear (ref);
  g_free (ref);
}

static void
add_toast (GtkWidget *widget,
           AdwToast  *toast)
{
  g_autoptr(AdwToast) owned = toast;
  g_autoptr(AdwToast) previous = NULL;
  AdwToastOverlay *overlay = find_overlay (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GWeakRef *last;

  /* Something finished after its window was closed: nobody to tell. */
  if (overlay == NULL && (root == NULL || gtk_widget_in_destruction (GTK_WIDGET (root))))
    {
      g_debug ("The window is gone; not shown: %s", adw_toast_get_title (toast));
      return;
    }
  /* A window that cannot show a message is a bug: the tests treat this as
   * fatal. */
  if (overlay == NULL)
    {
      g_critical ("No toast overlay shows the message for a %s: %s",
                  G_OBJECT_TYPE_NAME (widget), adw_toast_get_title (toast));
      return;
    }

  /* A newer message replaces an older one at once ("Copied" twice in a
   * row must not wait for the first to time out); an error stays until it
   * is dismissed. */
  last = g_object_get_data (G_OBJECT (overlay), "lk-last-toast");
  if (last == NULL)
    {
      last = g_new0 (GWeakRef, 1);
      g_weak_ref_init (last, NULL);
      g_object_set_data_full (G_OBJECT (overlay), "lk-last-toast", last,
                              (GDestroyNotify) weak_ref_free);
    }
  previous = g_weak_ref_get (last);
  if (previous != NULL && adw_toast_get_timeout (previous) != 0)
    adw_toast_dismiss (previous);
  g_weak_ref_set (last, toast);
  adw_toast_overlay_add_toast (overlay, g_steal_pointer (&owned));
}

/**
 * lk_ui_toast:
 * @widget: a window with an #AdwToastOverlay, or any widget inside one
 * @text: what to say
 *
 * Shows a short message that goes away by itself, in the toast overlay of
 * @widget's window, so that pages need not know which window holds them.
 */
void
lk_ui_toast (GtkWidget  *widget,
             const char *text)
{
  g_autofree char *markup = NULL;
  AdwToast *toast;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (text != NULL);

  /* A toast's title is Pango markup: an address or path with "&" or "<"
   * must show as typed, not vanish as bad markup. */
  markup = g_markup_escape_text (text, -1);
  toast = adw_toast_new (markup);
#ifdef __SANITIZE_ADDRESS__
  /* AddressSanitizer with full stacks (build-aux/test.sh --sanitize) makes
   * GTK ten times slower or more: the toast stays as much longer, so that
   * the tests still see it. Never in a build people use. */
  adw_toast_set_timeout (toast, 60);
#endif
  add_toast (widget, toast);
}

/**
 * lk_ui_toast_error:
 * @widget: as for lk_ui_toast()
 * @text: what went wrong and what to do next
 *
 * Shows a failure at once, ahead of other toasts, until the person
 * dismisses it: a failed save must not scroll away unread.
 */
void
lk_ui_toast_error (GtkWidget  *widget,
                   const char *text)
{
  g_autofree char *markup = NULL;
  AdwToast *toast;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (text != NULL);

  markup = g_markup_escape_text (text, -1);
  toast = adw_toast_new (markup);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_timeout (toast, 0);
  add_toast (widget, toast);
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

static void
uri_shown_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Whatever waits for the browser still waits: the link can be copied
   * into any browser. */
  if (!gtk_show_uri_full_finish (GTK_WINDOW (source), result, &error) &&
      !lk_error_is_cancelled (error))
    {
      g_debug ("No browser opened: %s", error->message);
      lk_ui_toast_error (GTK_WIDGET (source), _("No browser opened. Use “Copy Link” and open "
                                                "the link in a browser."));
    }
}

/**
 * lk_ui_open_uri:
 * @widget: the widget whose window asks
 * @uri: a link a browser opens
 * @cancellable: (nullable): stops waiting for the browser
 *
 * Opens @uri in the desktop's browser (through the OpenURI portal in a
 * Flatpak); when none opens, says so and what to do instead.
 */
void
lk_ui_open_uri (GtkWidget    *widget,
                const char   *uri,
                GCancellable *cancellable)
{
  GtkRoot *root;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (uri != NULL);

  root = gtk_widget_get_root (widget);
  g_return_if_fail (GTK_IS_WINDOW (root));
  /* GtkUriLauncher replaces this in GTK 4.10, above our floor. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_show_uri_full (GTK_WINDOW (root), uri, GDK_CURRENT_TIME, cancellable, uri_shown_cb, NULL);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

typedef struct
{
  GtkWidget      *widget;
  LkUiFileChosen  callback;
  gpointer        user_data;
  GDestroyNotify  destroy;
} ChooseData;

static void
choose_data_free (ChooseData *data)
{
  if (data->destroy != NULL)
    data->destroy (data->user_data);
  g_object_unref (data->widget);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChooseData, choose_data_free)

#if GTK_CHECK_VERSION (4, 10, 0)
/* GtkFileDialog (GTK 4.10, above our floor) where the runtime has it: the
 * Flatpak's GNOME runtime does. Both go through the FileChooser portal in a
 * Flatpak, and both ask before replacing a file. */
G_GNUC_BEGIN_IGNORE_DEPRECATIONS
static void
file_dialog_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ChooseData) data = user_data;
  g_autoptr(GFile) file = NULL;

  /* Dismissing the dialog is no error to show. */
  if (g_object_get_data (source, "lk-save") != NULL)
    file = gtk_file_dialog_save_finish (GTK_FILE_DIALOG (source), result, NULL);
  else
    file = gtk_file_dialog_open_finish (GTK_FILE_DIALOG (source), result, NULL);
  if (file != NULL)
    data->callback (data->widget, file, data->user_data);
}
G_GNUC_END_IGNORE_DEPRECATIONS
#else
G_GNUC_BEGIN_IGNORE_DEPRECATIONS
static void
file_chooser_cb (GtkNativeDialog *dialog,
                 int              response,
                 gpointer         user_data)
{
  g_autoptr(ChooseData) data = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      if (file != NULL)
        data->callback (data->widget, file, data->user_data);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}
G_GNUC_END_IGNORE_DEPRECATIONS
#endif

/**
 * lk_ui_choose_file:
 * @widget: whose window the dialog is modal for; kept alive until it closes
 * @save: a file to write (%TRUE) or to open
 * @title: the dialog's title
 * @accept_label: its button, with a mnemonic ("_Save")
 * @initial_file: (nullable): where to start: its folder (when it exists)
 *   and, to save, its name
 * @filter: (nullable): the files to offer, to open
 * @callback: called with the file once one is chosen; not when dismissed
 * @user_data: (nullable): for @callback
 * @destroy: (nullable): frees @user_data
 *
 * Asks for a file the way the toolkit at hand does best.
 */
void
lk_ui_choose_file (GtkWidget      *widget,
                   gboolean        save,
                   const char     *title,
                   const char     *accept_label,
                   GFile          *initial_file,
                   GtkFileFilter  *filter,
                   LkUiFileChosen  callback,
                   gpointer        user_data,
                   GDestroyNotify  destroy)
{
  GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (widget));
  g_autoptr(GFile) folder = initial_file != NULL ? g_file_get_parent (initial_file) : NULL;
  g_autofree char *name = initial_file != NULL ? g_file_get_basename (initial_file) : NULL;
  ChooseData *data = g_new0 (ChooseData, 1);

  data->widget = g_object_ref (widget);
  data->callback = callback;
  data->user_data = user_data;
  data->destroy = destroy;
  if (folder != NULL && !g_file_query_exists (folder, NULL))
    g_clear_object (&folder);

#if GTK_CHECK_VERSION (4, 10, 0)
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  {
    g_autoptr(GtkFileDialog) dialog = gtk_file_dialog_new ();

    gtk_file_dialog_set_title (dialog, title);
    gtk_file_dialog_set_accept_label (dialog, accept_label);
    gtk_file_dialog_set_modal (dialog, TRUE);
    if (folder != NULL)
      gtk_file_dialog_set_initial_folder (dialog, folder);
    if (filter != NULL)
      {
        g_autoptr(GListStore) filters = g_list_store_new (GTK_TYPE_FILE_FILTER);

        g_list_store_append (filters, filter);
        gtk_file_dialog_set_filters (dialog, G_LIST_MODEL (filters));
        gtk_file_dialog_set_default_filter (dialog, filter);
      }
    if (save)
      {
        g_object_set_data (G_OBJECT (dialog), "lk-save", GINT_TO_POINTER (TRUE));
        if (name != NULL)
          gtk_file_dialog_set_initial_name (dialog, name);
        gtk_file_dialog_save (dialog, parent, NULL, file_dialog_cb, data);
      }
    else
      gtk_file_dialog_open (dialog, parent, NULL, file_dialog_cb, data);
  }
  G_GNUC_END_IGNORE_DEPRECATIONS
#else
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  {
    GtkFileChooserNative *chooser;

    chooser = gtk_file_chooser_native_new (title, parent,
                                           save ? GTK_FILE_CHOOSER_ACTION_SAVE
                                                : GTK_FILE_CHOOSER_ACTION_OPEN,
                                           accept_label, _("_Cancel"));
    gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
    if (folder != NULL)
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, NULL);
    if (save && name != NULL)
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
    if (filter != NULL)
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
    g_signal_connect (chooser, "response", G_CALLBACK (file_chooser_cb), data);
    gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
  }
  G_GNUC_END_IGNORE_DEPRECATIONS
#endif
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

static GtkWidget *
find_css_class (GtkWidget  *widget,
                const char *css_class)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (gtk_widget_has_css_class (child, css_class))
        return child;
      found = find_css_class (child, css_class);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/**
 * lk_ui_expander_row_set_has_details:
 *
 * Whether @row opens: a row with nothing to show has no arrow at all, not
 * a dimmed one that does nothing when pressed. The arrow is the documented
 * `image.expander-row-arrow` node of #AdwExpanderRow.
 */
void
lk_ui_expander_row_set_has_details (AdwExpanderRow *row,
                                    gboolean        has_details)
{
  GtkWidget *arrow;

  g_return_if_fail (ADW_IS_EXPANDER_ROW (row));

  if (!has_details)
    adw_expander_row_set_expanded (row, FALSE);
  adw_expander_row_set_enable_expansion (row, has_details);
  arrow = find_css_class (GTK_WIDGET (row), "expander-row-arrow");
  if (arrow != NULL)
    gtk_widget_set_visible (arrow, has_details);
}

/**
 * lk_ui_label_new_prose:
 * @text: sentences that may name addresses, hosts, paths or ids
 *
 * A label for a few sentences at any width: wrapped between words, a word
 * longer than the line (an address, a path) broken between characters, and
 * never with a hyphen that is not in the text. Labels in templates get the
 * same with `wrap-mode` `word-char` and the `insert-hyphens` attribute off.
 */
GtkWidget *
lk_ui_label_new_prose (const char *text)
{
  GtkWidget *label = gtk_label_new (text);
  g_autoptr(PangoAttrList) attributes = pango_attr_list_new ();

  pango_attr_list_insert (attributes, pango_attr_insert_hyphens_new (FALSE));
  gtk_label_set_attributes (GTK_LABEL (label), attributes);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  return label;
}

/**
 * lk_ui_display_path:
 * @path: (nullable): a file's path
 *
 * Returns: (transfer full) (nullable): @path as a person reads it, the home
 *   folder as "~": "~/.msmtprc"
 */
char *
lk_ui_display_path (const char *path)
{
  const char *home = g_get_home_dir ();
  gsize length = strlen (home);

  if (path != NULL && strncmp (path, home, length) == 0 && path[length] == '/')
    return g_strconcat ("~", path + length, NULL);
  return g_strdup (path);
}

/**
 * lk_ui_new_profile_filter:
 *
 * Returns: (transfer full): the files an organisation profile comes in, for
 *   a file chooser
 */
GtkFileFilter *
lk_ui_new_profile_filter (void)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Organisation profiles"));
  gtk_file_filter_add_mime_type (filter, "application/x-latchkey-profile");
  gtk_file_filter_add_mime_type (filter, "application/json");
  gtk_file_filter_add_pattern (filter, "*.latchkey");
  gtk_file_filter_add_pattern (filter, "*.json");
  return filter;
}

/**
 * lk_ui_confirm_removal_new:
 * @widget: a widget in the window the question is about
 * @heading: "Remove …?"
 * @body: what removing it does
 *
 * The question before something is removed: Cancel, the default and what
 * Escape answers, or a red Remove, whose response is "remove". The caller
 * connects to #AdwMessageDialog::response and presents it.
 *
 * Returns: (transfer none): the dialog
 */
GtkWidget *
lk_ui_confirm_removal_new (GtkWidget  *widget,
                           const char *heading,
                           const char *body)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                              heading, body);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "remove", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  return dialog;
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

/**
 * lk_ui_protocol_title:
 *
 * Returns: what a protocol's row is called, with what it is for:
 *   "IMAP (Reading Mail)"
 */
const char *
lk_ui_protocol_title (LkProtocol protocol)
{
  switch (protocol)
    {
    /* Translators: these name the row of each protocol on the test page
     * and the account page. */
    case LK_PROTOCOL_IMAP: return _("IMAP (Reading Mail)");
    case LK_PROTOCOL_POP: return _("POP (Downloading Mail)");
    case LK_PROTOCOL_SMTP: return _("SMTP (Sending Mail)");
    default: g_return_val_if_reached (NULL);
    }
}

/**
 * lk_ui_format_age:
 * @then: a moment in the past, Unix time
 * @now: the current Unix time
 *
 * Returns: (transfer full): how long ago @then was, as a person says it:
 *   "just now", "5 minutes ago", "2 days ago", or past a month the date
 */
char *
lk_ui_format_age (gint64 then,
                  gint64 now)
{
  gint64 seconds = MAX (now - then, 0);
  guint n;

  if (seconds < 60)
    return g_strdup (_("just now"));
  if (seconds < 3600)
    {
      n = seconds / 60;
      return g_strdup_printf (ngettext ("%u minute ago", "%u minutes ago", n), n);
    }
  if (seconds < 86400)
    {
      n = seconds / 3600;
      return g_strdup_printf (ngettext ("%u hour ago", "%u hours ago", n), n);
    }
  if (seconds < 31 * 86400)
    {
      n = seconds / 86400;
      return g_strdup_printf (ngettext ("%u day ago", "%u days ago", n), n);
    }
  {
    g_autoptr(GDateTime) date = g_date_time_new_from_unix_local (then);

    /* Translators: a date, as in "on 2026-01-31"; strftime format. */
    return g_date_time_format (date, _("on %Y-%m-%d"));
  }
}

/**
 * lk_ui_format_time:
 * @when: Unix time
 *
 * Returns: (transfer full): @when in this computer's time zone,
 *   "2026-01-31 14:05", the same in every language
 */
char *
lk_ui_format_time (gint64 when)
{
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_local (when);

  return g_date_time_format (date, "%Y-%m-%d %H:%M");
}

static void
keep_words (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LABEL (child) && (gtk_widget_has_css_class (child, "title") ||
                                   gtk_widget_has_css_class (child, "subtitle")))
        {
          g_autoptr(PangoAttrList) attributes = pango_attr_list_new ();

          pango_attr_list_insert (attributes, pango_attr_insert_hyphens_new (FALSE));
          gtk_label_set_attributes (GTK_LABEL (child), attributes);
          gtk_label_set_wrap_mode (GTK_LABEL (child), PANGO_WRAP_WORD_CHAR);
        }
      keep_words (child);
    }
}

/**
 * lk_ui_row_keep_words:
 * @row: an #AdwActionRow or #AdwExpanderRow whose title or subtitle may
 *   name a host, a path or an address
 *
 * Its title and subtitle wrap as lk_ui_label_new_prose() does: never with a
 * hyphen that is not in the text. They are the documented `label.title`
 * and `label.subtitle` nodes of libadwaita's rows.
 */
void
lk_ui_row_keep_words (GtkWidget *row)
{
  g_return_if_fail (GTK_IS_WIDGET (row));
  keep_words (row);
}

/**
 * lk_ui_describe_failures:
 * @account: an account whose last test failed somewhere
 *
 * What fails, a line per protocol: "SMTP: SMTP sign-in is switched off for
 * this mailbox" (the last test's summary, in the language of the test), as
 * the account's row and page say it.
 *
 * Returns: (transfer full) (nullable): the lines; %NULL unless the account
 *   is failing
 */
char *
lk_ui_describe_failures (LkAccount *account)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_val_if_fail (account != NULL, NULL);

  if (account->state != LK_ACCOUNT_STATE_FAILING)
    return NULL;
  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    {
      const LkProtocolTest *test = &account->tests[p];

      if ((account->protocols & (1u << p)) == 0 || test->tested_at == 0 || test->ok)
        continue;
      if (text->len > 0)
        g_string_append_c (text, '\n');
      /* Translators: a protocol ("SMTP") and what fails in it. */
      g_string_append_printf (text, _("%s: %s"), lk_protocol_get_name (p),
                              test->summary != NULL ? test->summary : _("failed"));
    }
  return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

/**
 * lk_ui_dup_token_argv:
 *
 * What every export of the account is made with, and what the account
 * page compares the exported files against: the command that hands the
 * mail client a token, never a token. $LATCHKEY_CLI overrides the
 * installed latchkey-cli (tests, and the AppStream screenshots).
 *
 * Returns: (transfer full): the command's argv
 */
char **
lk_ui_dup_token_argv (const char *email)
{
  const char *path = g_getenv ("LATCHKEY_CLI");
  g_autofree char *cli = g_strdup (path != NULL && *path != '\0' ? path : BINDIR "/latchkey-cli");

  g_return_val_if_fail (email != NULL, NULL);
  return lk_export_detect_token_command (cli, email);
}

/**
 * lk_ui_bridge_request:
 * @pending: (inout): the request still under way, cancelled and replaced
 * @command: for lk_bridge_client_request_async()
 *
 * Asks the running bridge something on behalf of a page that wants only
 * the answer to its latest question (its status after a change).
 */
void
lk_ui_bridge_request (GCancellable        **pending,
                      const char           *command,
                      GAsyncReadyCallback   callback,
                      gpointer              user_data)
{
  g_cancellable_cancel (*pending);
  g_clear_object (pending);
  *pending = g_cancellable_new ();
  lk_bridge_client_request_async (command, NULL, *pending, callback, user_data);
}
