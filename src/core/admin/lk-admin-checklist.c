/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-admin"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "admin/lk-admin-checklist.h"
#include "lk-json.h"
#include "providers/lk-microsoft.h"

#define APP_REGISTRATIONS N_("Entra admin center → Identity → Applications → App registrations")

void
lk_checklist_item_free (LkChecklistItem *item)
{
  if (item == NULL)
    return;
  g_free (item->id);
  g_free (item->title);
  g_free (item->portal_path);
  g_free (item->value);
  g_free (item->explanation);
  g_free (item);
}

static void
add (GPtrArray  *items,
     const char *id,
     const char *title,
     const char *portal_path,
     const char *value,
     const char *explanation)
{
  LkChecklistItem *item = g_new0 (LkChecklistItem, 1);

  item->id = g_strdup (id);
  item->title = g_strdup (title);
  item->portal_path = g_strdup (portal_path);
  item->value = g_strdup (value);
  item->explanation = g_strdup (explanation);
  g_ptr_array_add (items, item);
}

/* The last path segment of a scope URI: "IMAP.AccessAsUser.All". */
static const char *
permission_name (const char *scope)
{
  const char *slash = strrchr (scope, '/');

  return slash != NULL ? slash + 1 : scope;
}

/**
 * lk_admin_checklist_build:
 * @tenant: (nullable): the organisation, shown where the portal asks for it
 * @client_id: (nullable): the app's id, once it is registered
 * @protocols: 0 for all the profile offers
 *
 * The app registration steps of doc/protocols.md A2–A3, filled in with the
 * organisation's values: single tenant; for delegated accounts the
 * "Mobile and desktop applications" platform with `http://localhost`,
 * public client flows (device code) and the delegated permissions plus
 * offline_access; for app-only accounts a client secret and the
 * application permissions of "Office 365 Exchange Online"; then admin
 * consent.
 *
 * Returns: (transfer container) (element-type LkChecklistItem): the items
 */
GPtrArray *
lk_admin_checklist_build (LkProvider      *provider,
                          const char      *tenant,
                          const char      *client_id,
                          LkProtocolFlags  protocols,
                          gboolean         app_only)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_checklist_item_free);
  g_autofree char *app_path = NULL;
  g_autofree char *consent_scope = NULL;
  g_autofree char *tenant_path = NULL;
  g_autofree char *register_path = NULL;
  g_autofree char *overview_path = NULL;
  const char *reason = NULL;
  const char *apps = _(APP_REGISTRATIONS);

  g_return_val_if_fail (provider != NULL, NULL);

  if (protocols == 0)
    protocols = lk_provider_get_protocols (provider);
  app_path = client_id != NULL && *client_id != '\0'
    /* Translators: %s is the portal path, %s the app's client id */
    ? g_strdup_printf (_("%s → the app %s"), apps, client_id)
    : g_strdup_printf (_("%s → the app"), apps);

  register_path = g_strdup_printf ("%s → %s", apps, _("New registration"));
  add (items, "register", _("Register a new application"), register_path, "Latchkey",
       _("Any name will do; people see it when they sign in."));

  tenant_path = g_strdup_printf ("%s → %s", apps, _("New registration → Supported account types"));
  add (items, "account-types",
       _("Supported account types: “Accounts in this organizational directory only” (single tenant)"),
       tenant_path, tenant,
       _("Only your organisation’s accounts sign in with this app; the tenant is yours."));

  if (!app_only)
    {
      g_autofree char *auth = g_strdup_printf ("%s → %s", app_path,
                                               _("Authentication → Add a platform → Mobile and desktop applications"));
      g_autofree char *advanced = g_strdup_printf ("%s → %s", app_path,
                                                   _("Authentication → Advanced settings → Allow public client flows"));
      g_autofree char *perm_path = g_strdup_printf ("%s → %s", app_path,
                                                    _("API permissions → Add a permission → Microsoft Graph → Delegated permissions"));

      add (items, "redirect-uri",
           _("Platform “Mobile and desktop applications”, custom redirect URI"),
           auth, "http://localhost",
           _("Latchkey listens on this computer for the browser to come back; Microsoft accepts "
             "any port for http://localhost."));
      add (items, "public-client", _("Allow public client flows: Yes"), advanced, _("Yes"),
           _("Needed for signing in with a code on another device (device code flow)."));

      for (guint i = 0; i < LK_N_PROTOCOLS; i++)
        {
          char **scopes = provider->scopes[i];
          g_autofree char *id = NULL;

          if (!(protocols & (1u << i)) || scopes == NULL)
            continue;
          id = g_strdup_printf ("permission-%s", lk_protocol_to_string (i));
          for (guint j = 0; scopes[j] != NULL; j++)
            {
              g_autofree char *title = NULL;
              g_autofree char *why = NULL;

              /* Translators: %s is a permission name such as IMAP.AccessAsUser.All */
              title = g_strdup_printf (_("Delegated permission %s"), permission_name (scopes[j]));
              /* Translators: %s is a scope URI */
              why = g_strdup_printf (_("Latchkey asks for it as %s."), scopes[j]);
              add (items, id, title, perm_path, permission_name (scopes[j]), why);
            }
        }
      if (provider->extra_scopes != NULL)
        for (guint j = 0; provider->extra_scopes[j] != NULL; j++)
          {
            g_autofree char *title = NULL;

            if (!g_str_equal (provider->extra_scopes[j], "offline_access"))
              continue;
            title = g_strdup_printf (_("Delegated permission %s"), "offline_access");
            add (items, "permission-offline-access", title, perm_path, "offline_access",
                 _("Lets Latchkey keep the account signed in (a refresh token)."));
          }
    }
  else
    {
      g_autofree char *secret_path = g_strdup_printf ("%s → %s", app_path,
                                                      _("Certificates & secrets → Client secrets → New client secret"));
      g_autofree char *perm_path = g_strdup_printf ("%s → %s", app_path,
                                                    _("API permissions → Add a permission → APIs my organization uses → Office 365 Exchange Online → Application permissions"));
      static const struct { LkProtocolFlags flag; const char *id; const char *role; } roles[] = {
        { LK_PROTOCOL_FLAG_IMAP, "permission-imap", "IMAP.AccessAsApp" },
        { LK_PROTOCOL_FLAG_POP, "permission-pop", "POP.AccessAsApp" },
        { LK_PROTOCOL_FLAG_SMTP, "permission-smtp", "SMTP.SendAsApp" },
      };

      add (items, "client-secret", _("Create a client secret"), secret_path, NULL,
           _("Copy its Value once it is shown; Latchkey asks for it when the app-only "
             "account is added."));
      for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
        {
          g_autofree char *title = NULL;

          if (!(protocols & roles[i].flag))
            continue;
          /* Translators: %s is a permission name such as IMAP.AccessAsApp */
          title = g_strdup_printf (_("Application permission %s"), roles[i].role);
          add (items, roles[i].id, title, perm_path, roles[i].role,
               _("An application permission of the API “Office 365 Exchange Online”, not of "
                 "Microsoft Graph."));
        }
    }

  consent_scope = lk_microsoft_admin_consent_scope (provider, protocols, app_only, &reason);
  {
    g_autofree char *consent_path = g_strdup_printf ("%s → %s", app_path,
                                                     _("API permissions → Grant admin consent"));
    g_autofree char *why = g_strdup_printf (_("Without it nobody can sign in (AADSTS65001). "
                                              "Or open the admin consent link, which asks for "
                                              "the scope %s. %s"),
                                            consent_scope != NULL ? consent_scope : "",
                                            reason != NULL ? reason : "");

    add (items, "admin-consent", _("Grant admin consent for the organisation"),
         consent_path, NULL, why);
  }

  /* SMTP AUTH is off in every tenant made since January 2020 and may be off
   * per mailbox (535 5.7.139); delegated sign-in needs it on for each
   * mailbox that sends, https://learn.microsoft.com/exchange/clients-and-
   * mobile-in-exchange-online/authenticated-client-smtp-submission. The
   * app-only script switches it on itself. */
  if (!app_only && (protocols & LK_PROTOCOL_FLAG_SMTP))
    add (items, "smtp-auth", _("Switch SMTP AUTH on for each mailbox that sends mail"),
         _("Microsoft 365 admin center → Users → Active users → the user → Mail → Manage "
           "email apps → Authenticated SMTP"), NULL,
         _("Or run the Exchange Online script below (Set-CASMailbox … "
           "-SmtpClientAuthenticationDisabled $false); without it sending fails with "
           "535 5.7.139."));
  if (app_only)
    add (items, "exchange", _("Register the app in Exchange Online and give it the mailboxes"),
         _("Exchange Online PowerShell"), NULL,
         _("Run the Exchange Online PowerShell script Latchkey makes for it, with the "
           "Enterprise application’s object id."));

  overview_path = g_strdup_printf ("%s → %s", app_path, _("Overview → Application (client) ID"));
  add (items, "client-id", _("Give Latchkey the Application (client) ID"), overview_path,
       client_id, _("Put it in the organisation profile that Latchkey makes for everyone."));
  return g_steal_pointer (&items);
}

/**
 * lk_admin_checklist_to_text:
 *
 * The checklist as numbered plain text, each value on its own line so that
 * it can be copied.
 */
char *
lk_admin_checklist_to_text (GPtrArray *items)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < items->len; i++)
    {
      LkChecklistItem *item = items->pdata[i];

      g_string_append_printf (s, "%u. %s\n", i + 1, item->title);
      if (item->portal_path != NULL)
        /* Translators: keep the alignment with "Value:" and "Why:" */
        g_string_append_printf (s, _("   Where: %s\n"), item->portal_path);
      if (item->value != NULL && *item->value != '\0')
        g_string_append_printf (s, _("   Value: %s\n"), item->value);
      if (item->explanation != NULL)
        g_string_append_printf (s, _("   Why:   %s\n"), item->explanation);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/**
 * lk_admin_checklist_to_json:
 *
 * Returns: (transfer full): an array of objects with "id", "title",
 *   "portal_path", "value", "explanation" (null where unknown)
 */
JsonNode *
lk_admin_checklist_to_json (GPtrArray *items)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < items->len; i++)
    {
      LkChecklistItem *item = items->pdata[i];
      json_builder_begin_object (builder);
      lk_json_add_string (builder, "id", item->id);
      lk_json_add_string (builder, "title", item->title);
      lk_json_add_string (builder, "portal_path", item->portal_path);
      lk_json_add_string (builder, "value", item->value);
      lk_json_add_string (builder, "explanation", item->explanation);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}
