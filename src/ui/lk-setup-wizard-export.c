/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The wizard's mail programs page: one preview per client from core's
 * exporters, and what was saved recorded in the account, for its page. */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "export/lk-exporter.h"
#include "lk-setup-wizard-private.h"
#include "lk-ui-util.h"

static char *
token_cli_path (void)
{
  const char *path = g_getenv ("LATCHKEY_CLI");

  return g_strdup (path != NULL && *path != '\0' ? path : BINDIR "/latchkey-cli");
}

void
lk_setup_wizard_fill_export_page (LkSetupWizard *self)
{
  const LkExporter * const *exporters = lk_exporter_get_all ();
  g_autofree char *cli = token_cli_path ();
  g_auto(GStrv) argv = lk_export_detect_token_command (cli, self->account->email);
  LkExportContext context = { 0 };

  context.token_argv = (const char * const *) argv;
  context.version = PACKAGE_VERSION;

  lk_export_page_clear (self->export_page);
  for (guint i = 0; exporters[i] != NULL; i++)
    {
      const LkExporter *exporter = exporters[i];
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;
      g_autofree char *path = NULL;

      if ((exporter->protocols & self->account->protocols) == 0)
        continue;
      text = lk_exporter_generate_text (exporter, self->account, &context, &error);
      if (text == NULL)
        {
          g_debug ("No %s export: %s", exporter->id, error->message);
          continue;
        }
      path = exporter->path != NULL ? lk_export_expand_path (exporter->path) : NULL;
      lk_export_page_add_client (self->export_page, exporter->id, _(exporter->name), text, path,
                                 exporter->next_step != NULL ? _(exporter->next_step) : NULL);
    }
}

/* A client's file was saved: the account lists it (its page shows where
 * the account is set up). The file is there either way. */
void
lk_setup_wizard_export_saved_cb (LkSetupWizard *self,
                                 const char    *client,
                                 const char    *path)
{
  g_autoptr(GError) error = NULL;

  if (self->account == NULL)
    return;
  if (!lk_account_store_record_export (self->store, self->account, client, path, &error))
    {
      g_autofree char *text = NULL;

      /* Translators: %s says why, such as "Cannot save the account …". */
      text = g_strdup_printf (_("The file is saved, but the account does not list it: %s"),
                              error->message);
      lk_ui_toast_error (GTK_WIDGET (self), text);
      return;
    }
  lk_setup_wizard_account_changed (self);
}
