/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-cli"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "lk-cli-commands.h"
#include "lk-json.h"
#include "providers/lk-provider-registry.h"

static char *
join_protocols (LkProvider *provider)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) names = NULL;

  for (guint i = 0; i < LK_N_PROTOCOLS; i++)
    if (lk_provider_get_server (provider, i) != NULL)
      g_strv_builder_add (builder, lk_protocol_to_string (i));
  names = g_strv_builder_end (builder);
  return g_strjoinv (",", names);
}

static void
print_json (GPtrArray *providers)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; i < providers->len; i++)
    {
      LkProvider *p = g_ptr_array_index (providers, i);

      json_builder_begin_object (builder);
      lk_json_add_string (builder, "id", p->id);
      lk_json_add_string (builder, "name", p->name);
      lk_json_add_string (builder, "kind", p->kind);
      lk_json_add_strv (builder, "domains", p->domains);
      json_builder_set_member_name (builder, "protocols");
      json_builder_begin_array (builder);
      for (guint proto = 0; proto < LK_N_PROTOCOLS; proto++)
        if (lk_provider_get_server (p, proto) != NULL)
          json_builder_add_string_value (builder, lk_protocol_to_string (proto));
      json_builder_end_array (builder);
      lk_json_add_boolean (builder, "device_flow", p->device_flow);
      lk_json_add_string (builder, "origin", p->origin);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  root = json_builder_get_root (builder);
  text = lk_json_to_data (root, TRUE, NULL);
  g_print ("%s\n", text);
}

static void
print_table (GPtrArray *providers)
{
  guint id_width = 2;

  for (guint i = 0; i < providers->len; i++)
    {
      LkProvider *p = g_ptr_array_index (providers, i);
      id_width = MAX (id_width, g_utf8_strlen (p->id, -1));
    }
  for (guint i = 0; i < providers->len; i++)
    {
      LkProvider *p = g_ptr_array_index (providers, i);
      g_autofree char *protocols = join_protocols (p);
      g_autofree char *domains = g_strjoinv (", ", p->domains);

      g_print ("%-*s  %s\n", (int) id_width, p->id, p->name);
      g_print ("%-*s  %s: %s\n", (int) id_width, "",
               /* Translators: a label in "latchkey-cli providers" */
               _("protocols"), protocols);
      if (*domains != '\0')
        g_print ("%-*s  %s: %s\n", (int) id_width, "", _("domains"), domains);
    }
}

int
lk_cli_providers (int    argc,
                  char **argv)
{
  static const LkCliCommand command = {
    "providers", NULL, N_("List the provider profiles Latchkey knows"), NULL
  };
  static gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = lk_cli_option_context_new (&command, entries);
  g_autoptr(LkProviderRegistry) registry = NULL;
  GPtrArray *problems;
  GPtrArray *overrides;
  int status;

  if (!lk_cli_parse (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return lk_cli_usage_error (context, _("“providers” takes no arguments"));

  registry = lk_provider_registry_new ();
  lk_provider_registry_load (registry);

  /* A broken profile is reported, and the others are still listed. */
  problems = lk_provider_registry_get_problems (registry);
  for (guint i = 0; i < problems->len; i++)
    {
      const GError *problem = g_ptr_array_index (problems, i);

      /* Translators: %s is e.g. "…/contoso.json: field “servers.imap.port” must be…" */
      g_printerr (_("Skipped a provider profile: %s\n"), problem->message);
    }
  overrides = lk_provider_registry_get_overrides (registry);
  for (guint i = 0; i < overrides->len; i++)
    {
      LkProvider *provider = g_ptr_array_index (overrides, i);

      /* Translators: "…/providers/x.json replaces the built-in profile “google”; …" */
      g_printerr (_("%s replaces the built-in profile “%s”; remove or rename it to use the "
                    "built-in one again.\n"), provider->origin, provider->id);
    }

  if (json)
    print_json (lk_provider_registry_get_providers (registry));
  else
    print_table (lk_provider_registry_get_providers (registry));
  return LK_EXIT_OK;
}
