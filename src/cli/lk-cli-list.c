/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "lk-cli-commands.h"
#include "lk-cli-context.h"
#include "lk-json.h"

static const char *
state_label (LkAccountState state)
{
  switch (state)
    {
    case LK_ACCOUNT_STATE_WORKING:
      return _("working");
    case LK_ACCOUNT_STATE_FAILING:
      return _("failing");
    case LK_ACCOUNT_STATE_NEEDS_SIGN_IN:
      return _("needs sign-in");
    case LK_ACCOUNT_STATE_UNTESTED:
    default:
      return _("not tested");
    }
}

static void
print_json (GPtrArray *accounts)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; i < accounts->len; i++)
    {
      LkAccount *account = g_ptr_array_index (accounts, i);
      g_autofree char *protocols = lk_protocol_flags_to_string (account->protocols);

      json_builder_begin_object (builder);
      lk_json_add_string (builder, "email", account->email);
      lk_json_add_string (builder, "login", lk_account_get_login_hint (account));
      lk_json_add_string (builder, "provider", account->provider->id);
      lk_json_add_string (builder, "tenant", lk_account_get_tenant (account));
      lk_json_add_string (builder, "flow", lk_flow_to_string (account->flow));
      lk_json_add_string (builder, "protocols", protocols);
      lk_json_add_string (builder, "state", lk_account_state_to_string (account->state));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  text = lk_json_to_data (root, TRUE, NULL);
  g_print ("%s\n", text);
}

int
lk_cli_list (int    argc,
             char **argv)
{
  static const LkCliCommand command = { "list", NULL, N_("List the accounts"), NULL };
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  g_autoptr(LkAccountStore) store = lk_account_store_new (NULL);
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (!lk_cli_parse (context, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return lk_cli_usage_error (context, _("“list” takes no address"));

  accounts = lk_account_store_list (store, &problems, &error);
  if (accounts == NULL)
    return lk_cli_fail (error);
  for (guint i = 0; problems != NULL && i < problems->len; i++)
    g_printerr ("%s: %s\n", g_get_prgname (), ((GError *) g_ptr_array_index (problems, i))->message);

  if (json)
    {
      print_json (accounts);
      return LK_EXIT_OK;
    }
  if (accounts->len == 0)
    {
      g_autofree char *hint = lk_cli_adapt_advice (_("No accounts yet. Add one with "
                                                     "“latchkey-cli add ADDRESS”.\n"));
      g_printerr ("%s", hint);
    }
  /* The address comes first and alone in its column: shell completion reads it. */
  for (guint i = 0; i < accounts->len; i++)
    {
      LkAccount *account = g_ptr_array_index (accounts, i);
      g_autofree char *protocols = lk_protocol_flags_to_string (account->protocols);

      g_print ("%-32s %-14s %-13s %s\n", account->email, state_label (account->state),
               account->provider->id, protocols);
    }
  return LK_EXIT_OK;
}
