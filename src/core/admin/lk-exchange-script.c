/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-admin"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "admin/lk-exchange-script.h"
#include "admin/lk-powershell.h"
#include "lk-error.h"
#include "providers/lk-microsoft.h"

/* Every value goes into the script as one single-quoted literal
 * (lk_powershell_quote); one that the quoting would have to change (a line
 * break, a control character) is refused instead, so the script always does
 * what it says. */
static gboolean
check_value (const char  *what,
             const char  *value,
             GError     **error)
{
  if (value == NULL || *value == '\0')
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   /* Translators: %s names a value, such as "the mailbox" */
                   _("%s is missing"), what);
      return FALSE;
    }
  if (!lk_powershell_value_is_safe (value))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   /* Translators: %s names a value, such as "the mailbox" */
                   _("%s contains a line break or another control character, which cannot "
                     "be put into a PowerShell command safely; remove it and try again"),
                   what);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_guid (const char  *what,
            const char  *value,
            GError     **error)
{
  if (!check_value (what, value, error))
    return FALSE;
  if (!lk_guid_is_valid (value))
    {
      g_autofree char *safe = g_strescape (value, NULL);

      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   /* Translators: the first %s names a value, the second is what was given */
                   _("%s must be a GUID such as 4b1d9c7e-2f3a-4c5b-8d6e-7f8a9b0c1d2e, not “%s”"),
                   what, safe);
      return FALSE;
    }
  return TRUE;
}

/* Exchange limits the names of scopes and role assignments to 64
 * characters (New-ManagementScope, New-ManagementRoleAssignment: -Name). */
#define EXCHANGE_NAME_MAX 64

static gboolean
check_exchange_name (const char  *name,
                     GError     **error)
{
  if (g_utf8_strlen (name, -1) > EXCHANGE_NAME_MAX)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("The display name is too long for the names Exchange gives the scope and "
                     "the role assignment (“%s” has more than %d characters); choose a shorter "
                     "one"),
                   name, EXCHANGE_NAME_MAX);
      return FALSE;
    }
  return TRUE;
}

/* The application RBAC route for SMTP (doc/protocols.md A2;
 * learn.microsoft.com/exchange/client-developer/legacy-protocols/
 * smtp-app-rbac-onboarding): a management scope holding exactly the
 * addresses the app sends as (the mailboxes and any further senders), and
 * the role "Application SMTP.SendAsApp" assigned to the app within it. The
 * filter names each by its primary address. */
static gboolean
append_smtp_rbac (GString                      *s,
                  const char * const           *addresses,
                  const char                   *display_name,
                  const char                   *q_app,
                  const char                   *q_object,
                  GError                      **error)
{
  g_autofree char *scope = g_strdup_printf ("%s SMTP senders", display_name);
  g_autofree char *assignment = g_strdup_printf ("%s SMTP.SendAsApp", display_name);
  g_autofree char *q_scope = NULL;
  g_autofree char *q_assignment = NULL;
  g_autofree char *q_filter = NULL;
  g_autoptr(GString) filter = g_string_new (NULL);

  if (!check_exchange_name (scope, error) || !check_exchange_name (assignment, error))
    return FALSE;
  for (guint i = 0; addresses[i] != NULL; i++)
    {
      g_autofree char *text = lk_powershell_opath_text (addresses[i]);

      if (text == NULL)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                       _("The mailbox “%s” holds a typographic quote, which cannot be put into "
                         "an Exchange filter safely; give its plain address"),
                       addresses[i]);
          return FALSE;
        }
      g_string_append_printf (filter, "%sPrimarySmtpAddress -eq %s", i > 0 ? " -or " : "", text);
    }
  q_scope = lk_powershell_quote (scope);
  q_assignment = lk_powershell_quote (assignment);
  q_filter = lk_powershell_quote (filter->str);

  g_string_append (s,
    "\n"
    "# Let the app send as these mailboxes through Exchange's application RBAC (SMTP only).\n"
    "# The app registration must then hold NO SMTP.SendAsApp permission: with it, Exchange\n"
    "# checks mailbox permissions instead.\n");
  g_string_append_printf (s, "New-ManagementScope -Name %s -RecipientRestrictionFilter %s\n",
                          q_scope, q_filter);
  g_string_append_printf (s, "New-ManagementRoleAssignment -Name %s -Role 'Application SMTP.SendAsApp' "
                          "-App %s -CustomResourceScope %s\n",
                          q_assignment, q_object, q_scope);
  for (guint i = 0; addresses[i] != NULL; i++)
    {
      g_autofree char *q_mbx = lk_powershell_quote (addresses[i]);

      g_string_append_printf (s, "Test-ServicePrincipalAuthorization -Identity %s -Resource %s "
                              "| Format-Table RoleName,InScope\n", q_app, q_mbx);
    }
  return TRUE;
}

static gboolean check_list (const char          *what,
                            const char * const  *values,
                            GError             **error);

/**
 * lk_exchange_script_generate:
 *
 * The Exchange Online PowerShell an administrator runs once so that an
 * app-only (client credentials) app may open the mailboxes (doc/protocols.md
 * A3): connect, register the service principal, give it FullAccess (and
 * SendAs) on each mailbox — or, for sending alone, the application RBAC
 * role over a scope of the mailboxes —, switch SMTP AUTH on, and read every
 * setting back. The script stops at the first error.
 *
 * Returns: (transfer full) (nullable): the script, lines ending in "\n", or
 *   %NULL with %LK_ERROR_INVALID_INPUT naming the value that was refused
 */
char *
lk_exchange_script_generate (const LkExchangeScriptInput  *input,
                             GError                      **error)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree char *q_tenant = NULL;
  g_autofree char *q_app = NULL;
  g_autofree char *q_object = NULL;
  g_autofree char *q_name = NULL;
  const char *display_name;
  guint protocols;
  g_autoptr(GPtrArray) addresses = g_ptr_array_new ();
  gboolean rbac;
  gboolean full_access;

  g_return_val_if_fail (input != NULL, NULL);

  display_name = input->display_name != NULL ? input->display_name : "Latchkey";
  protocols = input->protocols != 0 ? input->protocols : LK_PROTOCOL_FLAG_ALL;
  if (!check_value (_("The tenant"), input->tenant, error) ||
      !lk_microsoft_tenant_check (input->tenant, error) ||
      !check_guid (_("The application (client) id"), input->app_id, error) ||
      !check_guid (_("The Enterprise application’s object id"), input->object_id, error) ||
      !check_value (_("The display name"), display_name, error))
    return NULL;
  if (input->mailboxes == NULL || input->mailboxes[0] == NULL)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("Name at least one mailbox the app may open"));
      return NULL;
    }
  for (guint i = 0; input->mailboxes[i] != NULL; i++)
    if (!check_value (_("A mailbox"), input->mailboxes[i], error))
      return NULL;
  if (!check_list (_("A sender address"), input->senders, error))
    return NULL;
  /* The device's name goes into a comment: the name's own rule (letters,
   * digits, "-", "_", ".") is what keeps it from ending the comment. */
  if (input->device != NULL && !lk_bridge_device_name_is_valid (input->device))
    {
      g_autofree char *safe = g_strescape (input->device, NULL);

      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                   _("“%s” is not a device name; “latchkey-cli bridge device list” shows them"),
                   safe);
      return NULL;
    }
  for (guint i = 0; input->mailboxes[i] != NULL; i++)
    g_ptr_array_add (addresses, (gpointer) input->mailboxes[i]);
  for (guint i = 0; input->senders != NULL && input->senders[i] != NULL; i++)
    g_ptr_array_add (addresses, (gpointer) input->senders[i]);
  g_ptr_array_add (addresses, NULL);

  q_tenant = lk_powershell_quote (input->tenant);
  q_app = lk_powershell_quote (input->app_id);
  q_object = lk_powershell_quote (input->object_id);
  q_name = lk_powershell_quote (display_name);

  /* Comments carry no values but a checked device name: only fixed text,
   * so nothing typed can turn into a command. */
  g_string_append (s,
    "# Exchange Online setup for an app-only (client credentials) Latchkey account.\n"
    "# Generated by Latchkey. Read it, then run it in PowerShell as an Exchange administrator.\n");
  if (input->device != NULL)
    g_string_append_printf (s,
      "# For the office bridge's device %s: the mailbox it sends through%s.\n",
      input->device, input->senders != NULL && input->senders[0] != NULL
                     ? " and the address it is pinned to" : "");
  g_string_append (s,
    "$ErrorActionPreference = 'Stop'\n"
    "Install-Module -Name ExchangeOnlineManagement -Scope CurrentUser\n"
    "Import-Module ExchangeOnlineManagement\n");
  g_string_append_printf (s, "Connect-ExchangeOnline -Organization %s\n", q_tenant);
  g_string_append (s,
    "\n"
    "# Register the app's service principal in Exchange Online.\n"
    "# WARNING: -ObjectId is the object id of the ENTERPRISE APPLICATION (Entra admin center >\n"
    "# Enterprise applications > the app > Overview > Object ID), not the object id shown on the\n"
    "# app registration's page. With the wrong one every sign-in of the app fails.\n");
  g_string_append_printf (s, "New-ServicePrincipal -AppId %s -ObjectId %s -DisplayName %s\n",
                          q_app, q_object, q_name);
  g_string_append_printf (s, "Get-ServicePrincipal -Identity %s | Format-List DisplayName,AppId,ObjectId\n",
                          q_app);

  rbac = input->smtp_rbac && (protocols & LK_PROTOCOL_FLAG_SMTP);
  if (rbac && !append_smtp_rbac (s, (const char * const *) addresses->pdata, display_name,
                                 q_app, q_object, error))
    return NULL;
  /* IMAP and POP need FullAccess whichever way SMTP is allowed. */
  full_access = !rbac || (protocols & (LK_PROTOCOL_FLAG_IMAP | LK_PROTOCOL_FLAG_POP));

  for (guint i = 0; input->mailboxes[i] != NULL; i++)
    {
      g_autofree char *q_mbx = lk_powershell_quote (input->mailboxes[i]);

      if (!full_access)
        g_string_append (s, "\n# Let the app send from this mailbox.\n");
      else
        {
          g_string_append (s, "\n# Let the app open this mailbox.\n");
          g_string_append_printf (s, "Add-MailboxPermission -Identity %s -User %s -AccessRights FullAccess\n",
                                  q_mbx, q_object);
          g_string_append_printf (s, "Get-MailboxPermission -Identity %s -User %s | Format-List User,AccessRights\n",
                                  q_mbx, q_object);
        }
      if (input->send_as)
        {
          g_string_append_printf (s, "Add-RecipientPermission -Identity %s -Trustee %s -AccessRights SendAs -Confirm:$false\n",
                                  q_mbx, q_object);
          g_string_append_printf (s, "Get-RecipientPermission -Identity %s -Trustee %s | Format-List Trustee,AccessRights\n",
                                  q_mbx, q_object);
        }
      if (protocols & LK_PROTOCOL_FLAG_SMTP)
        {
          g_string_append_printf (s, "Set-CASMailbox -Identity %s -SmtpClientAuthenticationDisabled $false\n",
                                  q_mbx);
          g_string_append_printf (s, "Get-CASMailbox -Identity %s | Format-List SmtpClientAuthenticationDisabled\n",
                                  q_mbx);
        }
    }
  /* A further sender needs SendAs of its own, unless the RBAC scope
   * holds it (doc/bridge-office.md, "Devices"). */
  for (guint i = 0; !rbac && input->senders != NULL && input->senders[i] != NULL; i++)
    {
      g_autofree char *q_sender = lk_powershell_quote (input->senders[i]);

      g_string_append (s, "\n# Let the app send as this address through the mailbox above.\n");
      g_string_append_printf (s, "Add-RecipientPermission -Identity %s -Trustee %s -AccessRights SendAs -Confirm:$false\n",
                              q_sender, q_object);
      g_string_append_printf (s, "Get-RecipientPermission -Identity %s -Trustee %s | Format-List Trustee,AccessRights\n",
                              q_sender, q_object);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/**
 * lk_exchange_script_generate_for_device:
 * @input: the app's values (tenant, ids, display name, RBAC or not);
 *   its mailboxes, senders and device are not used, and its protocols
 *   only when not 0
 * @device: a device of the office bridge
 *
 * The permission steps for one device's mailbox
 * (lk_exchange_script_generate()): its account's mailbox, its pinned
 * sender when that is another address, the protocols the device may use,
 * and its name in the comments.
 *
 * Returns: (transfer full) (nullable): the script, or %NULL with
 *   %LK_ERROR_INVALID_INPUT naming the value that was refused
 */
char *
lk_exchange_script_generate_for_device (const LkExchangeScriptInput  *input,
                                        const LkBridgeUser           *device,
                                        GError                      **error)
{
  LkExchangeScriptInput in;
  const char *mailboxes[] = { device->account, NULL };
  const char *senders[] = { device->sender, NULL };

  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (device != NULL, NULL);

  in = *input;
  in.mailboxes = mailboxes;
  /* Addresses are case-insensitive in practice (Exchange matches them so). */
  in.senders = device->sender != NULL && g_ascii_strcasecmp (device->sender, device->account) != 0
               ? senders : NULL;
  in.device = device->name;
  in.shared_mailboxes = NULL;
  in.delegates = NULL;
  if (in.protocols == 0)
    in.protocols = device->protocols;
  return lk_exchange_script_generate (&in, error);
}

static gboolean
check_list (const char          *what,
            const char * const  *values,
            GError             **error)
{
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    if (!check_value (what, values[i], error))
      return FALSE;
  return TRUE;
}

static gboolean
is_empty (const char * const *values)
{
  return values == NULL || values[0] == NULL;
}

/* The per-mailbox switches for the protocols in use, then read back. */
static void
append_mailbox_protocols (GString    *s,
                          const char *q_mbx,
                          guint       protocols)
{
  g_autoptr(GString) fields = g_string_new (NULL);

  if (protocols & LK_PROTOCOL_FLAG_IMAP)
    {
      g_string_append_printf (s, "Set-CASMailbox -Identity %s -ImapEnabled $true\n", q_mbx);
      g_string_append (fields, "ImapEnabled,");
    }
  if (protocols & LK_PROTOCOL_FLAG_POP)
    {
      g_string_append_printf (s, "Set-CASMailbox -Identity %s -PopEnabled $true\n", q_mbx);
      g_string_append (fields, "PopEnabled,");
    }
  if (protocols & LK_PROTOCOL_FLAG_SMTP)
    {
      g_string_append_printf (s, "Set-CASMailbox -Identity %s -SmtpClientAuthenticationDisabled $false\n",
                              q_mbx);
      g_string_append (fields, "SmtpClientAuthenticationDisabled,");
    }
  if (fields->len > 0)
    {
      g_string_truncate (fields, fields->len - 1);
      g_string_append_printf (s, "Get-CASMailbox -Identity %s | Format-List %s\n", q_mbx,
                              fields->str);
    }
}

/**
 * lk_exchange_script_generate_delegated:
 *
 * The Exchange Online PowerShell for people who sign in themselves
 * (delegated): IMAP, POP and SMTP AUTH switched on for each of
 * @input->mailboxes with Set-CASMailbox (SMTP AUTH is off in tenants made
 * since January 2020: https://learn.microsoft.com/exchange/clients-and-
 * mobile-in-exchange-online/authenticated-client-smtp-submission), and
 * for shared mailboxes FullAccess (and SendAs) for each of the people who
 * use them (https://learn.microsoft.com/exchange/collaboration-exo/
 * shared-mailboxes). @app_id, @object_id and @display_name
 * are not used. The script stops at the first error.
 *
 * Returns: (transfer full) (nullable): the script, lines ending in "\n", or
 *   %NULL with %LK_ERROR_INVALID_INPUT naming the value that was refused
 */
char *
lk_exchange_script_generate_delegated (const LkExchangeScriptInput  *input,
                                       GError                      **error)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree char *q_tenant = NULL;
  guint protocols;

  g_return_val_if_fail (input != NULL, NULL);

  protocols = input->protocols != 0 ? input->protocols : LK_PROTOCOL_FLAG_ALL;
  if (!check_value (_("The tenant"), input->tenant, error) ||
      !lk_microsoft_tenant_check (input->tenant, error) ||
      !check_list (_("A mailbox"), input->mailboxes, error) ||
      !check_list (_("A shared mailbox"), input->shared_mailboxes, error) ||
      !check_list (_("A person who uses the shared mailboxes"), input->delegates, error))
    return NULL;
  if (is_empty (input->mailboxes) && is_empty (input->shared_mailboxes))
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("Name at least one mailbox"));
      return NULL;
    }
  if (!is_empty (input->shared_mailboxes) && is_empty (input->delegates))
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_INPUT,
                           _("Name the people who use the shared mailboxes"));
      return NULL;
    }

  q_tenant = lk_powershell_quote (input->tenant);
  /* Comments carry no values: only fixed text, so nothing typed can turn
   * into a command. */
  g_string_append (s,
    "# Exchange Online setup for people who sign in to Latchkey themselves (delegated).\n"
    "# Generated by Latchkey. Read it, then run it in PowerShell as an Exchange administrator.\n"
    "$ErrorActionPreference = 'Stop'\n"
    "Install-Module -Name ExchangeOnlineManagement -Scope CurrentUser\n"
    "Import-Module ExchangeOnlineManagement\n");
  g_string_append_printf (s, "Connect-ExchangeOnline -Organization %s\n", q_tenant);

  for (guint i = 0; input->mailboxes != NULL && input->mailboxes[i] != NULL; i++)
    {
      g_autofree char *q_mbx = lk_powershell_quote (input->mailboxes[i]);

      g_string_append (s, "\n# Let this mailbox sign in with OAuth2 over the protocols in use.\n");
      append_mailbox_protocols (s, q_mbx, protocols);
    }

  for (guint i = 0; input->shared_mailboxes != NULL && input->shared_mailboxes[i] != NULL; i++)
    {
      g_autofree char *q_shared = lk_powershell_quote (input->shared_mailboxes[i]);

      g_string_append (s, "\n# A shared mailbox: the people below open it with their own sign-in.\n");
      append_mailbox_protocols (s, q_shared, protocols);
      for (guint j = 0; input->delegates[j] != NULL; j++)
        {
          g_autofree char *q_user = lk_powershell_quote (input->delegates[j]);

          g_string_append_printf (s, "Add-MailboxPermission -Identity %s -User %s -AccessRights FullAccess -InheritanceType All\n",
                                  q_shared, q_user);
          if (input->send_as)
            g_string_append_printf (s, "Add-RecipientPermission -Identity %s -Trustee %s -AccessRights SendAs -Confirm:$false\n",
                                    q_shared, q_user);
        }
      g_string_append_printf (s, "Get-MailboxPermission -Identity %s | Format-List User,AccessRights\n",
                              q_shared);
      if (input->send_as)
        g_string_append_printf (s, "Get-RecipientPermission -Identity %s | Format-List Trustee,AccessRights\n",
                                q_shared);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}
