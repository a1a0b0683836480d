/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "lk-address-page.h"
#include "lk-error.h"
#include "lk-ui-init.h"
#include "lk-ui-util.h"

/**
 * LkAddressPage:
 *
 * The wizard's first step: the e-mail address, the provider found for it
 * (and how), and what a person may change: another provider, tenant, client
 * id, an organisation profile, a sign-in user for a shared mailbox, the
 * protocols. "can-continue" says whether Next may be pressed; "problem" says
 * why not, in words shown under the address.
 */
struct _LkAddressPage
{
  GtkWidget           parent_instance;

  /* Template children */
  AdwEntryRow        *email_row;
  GtkLabel           *problem_label;
  AdwActionRow       *provider_row;
  GtkSpinner         *discovery_spinner;
  GtkButton          *change_button;
  AdwComboRow        *provider_combo;
  AdwExpanderRow     *advanced_row;
  AdwEntryRow        *tenant_row;
  AdwEntryRow        *client_id_row;
  GtkWidget          *client_id_problem_row;
  GtkLabel           *client_id_problem_label;
  AdwEntryRow        *login_row;
  AdwActionRow       *imap_row;
  AdwActionRow       *pop_row;
  AdwActionRow       *smtp_row;
  GtkCheckButton     *imap_check;
  GtkCheckButton     *pop_check;
  GtkCheckButton     *smtp_check;

  LkProviderRegistry *registry;
  LkAccountStore     *store;          /* nullable: the accounts already there */
  GPtrArray          *providers;      /* LkProvider, in the combo's order */
  LkProvider         *provider;       /* nullable: none found or chosen yet */
  char               *found_how;
  char               *problem;
  char               *saved_email;    /* nullable: saved by this wizard; fixed */
  gboolean            chosen_by_hand;
  char               *chosen_for;     /* the domain typed when chosen; NULL: imported */
  gboolean            change_clicked;  /* the combo stays open once asked for */
  gboolean            updating;
  gboolean            can_continue;
  GCancellable       *cancellable;

  /* Autodiscovery for domains no profile names; NULL: off. */
  LkDiscovery        *discovery;
  GCancellable       *discovery_cancellable;  /* the lookup running now */
  guint               discovery_timeout_id;   /* typing pauses before a lookup */
  char               *discovered_email;       /* what the last answer was for */
};

/* A lookup starts once typing pauses this long. */
#define DISCOVERY_DELAY_MS 600

G_DEFINE_FINAL_TYPE (LkAddressPage, lk_address_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CAN_CONTINUE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GtkWidget *
lk_address_page_new (void)
{
  return g_object_new (LK_TYPE_ADDRESS_PAGE, NULL);
}

static GtkCheckButton *
check_for (LkAddressPage *self,
           LkProtocol     protocol)
{
  switch (protocol)
    {
    case LK_PROTOCOL_IMAP: return self->imap_check;
    case LK_PROTOCOL_POP: return self->pop_check;
    case LK_PROTOCOL_SMTP: return self->smtp_check;
    default: g_assert_not_reached ();
    }
}

static LkProtocolFlags
selected_protocols (LkAddressPage *self)
{
  LkProtocolFlags flags = 0;

  for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
    if (gtk_check_button_get_active (check_for (self, p)) &&
        gtk_widget_get_sensitive (GTK_WIDGET (check_for (self, p))))
      flags |= 1 << p;
  return flags;
}

static const char *
entry_text (AdwEntryRow *row)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));

  return text != NULL && *text != '\0' ? text : NULL;
}

static char *
stripped_email (LkAddressPage *self)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->email_row))));
}

/* The combo shows the provider in use (none for a discovered one it does
 * not list). It opens by itself while an address is not recognised, and
 * closes again once one is, unless the person opened it with Change… or
 * chose in it: a half-typed domain must not leave an empty choice behind. */
static void
sync_combo (LkAddressPage *self)
{
  guint position = GTK_INVALID_LIST_POSITION;

  for (guint i = 0; self->providers != NULL && i < self->providers->len; i++)
    if (g_ptr_array_index (self->providers, i) == self->provider)
      position = i;
  self->updating = TRUE;
  adw_combo_row_set_selected (self->provider_combo, position);
  self->updating = FALSE;
  if (self->provider != NULL && !self->chosen_by_hand && !self->change_clicked)
    gtk_widget_set_visible (GTK_WIDGET (self->provider_combo), FALSE);
}

/* Shows @provider as the one in use and offers its protocols. */
static void
set_provider (LkAddressPage *self,
              LkProvider    *provider,
              const char    *found_how)
{
  LkProtocolFlags offered;

  if (provider != self->provider)
    {
      g_clear_pointer (&self->provider, lk_provider_unref);
      if (provider != NULL)
        self->provider = lk_provider_ref (provider);

      offered = provider != NULL ? lk_provider_get_protocols (provider) : LK_PROTOCOL_FLAG_ALL;
      self->updating = TRUE;
      for (LkProtocol p = 0; p < LK_N_PROTOCOLS; p++)
        {
          gboolean has = (offered & (1 << p)) != 0;

          gtk_widget_set_sensitive (GTK_WIDGET (check_for (self, p)), has);
          gtk_check_button_set_active (check_for (self, p), has);
        }
      self->updating = FALSE;

      gtk_widget_set_visible (GTK_WIDGET (self->tenant_row),
                              provider != NULL && provider->authorization_endpoint != NULL &&
                              strstr (provider->authorization_endpoint, "{tenant}") != NULL);
    }

  g_free (self->found_how);
  self->found_how = g_strdup (found_how);

  if (provider != NULL)
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->provider_row), provider->name);
      adw_action_row_set_subtitle (self->provider_row, found_how);
    }
  else
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->provider_row),
                                     _("Not Known Yet"));
      adw_action_row_set_subtitle (self->provider_row, found_how);
    }
  sync_combo (self);
}

/* Whether the account would have a client id: its own, the profile's, or one
 * the distributor built in. */
static gboolean
has_client_id (LkAddressPage *self)
{
  g_autoptr(LkAccount) probe = NULL;

  if (self->provider == NULL)
    return FALSE;
  if (entry_text (self->client_id_row) != NULL)
    return TRUE;
  probe = lk_account_new ("probe@example.org", self->provider);
  return lk_account_get_client_id (probe) != NULL;
}

typedef enum
{
  PROBLEM_AT_ADDRESS,
  PROBLEM_AT_CLIENT_ID,
} ProblemPlace;

/* Says what keeps Next insensitive where it is to be fixed: under the
 * address, or at the Client ID entry (opened, and marked). */
static void
show_problem (LkAddressPage *self,
              char          *problem,
              ProblemPlace   place)
{
  gboolean at_client_id = problem != NULL && place == PROBLEM_AT_CLIENT_ID;

  g_free (self->problem);
  self->problem = problem;
  gtk_label_set_text (self->problem_label, problem != NULL && !at_client_id ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem_label), problem != NULL && !at_client_id);
  gtk_label_set_text (self->client_id_problem_label, at_client_id ? problem : "");
  gtk_widget_set_visible (self->client_id_problem_row, at_client_id);
  if (at_client_id)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->client_id_row), "error");
      adw_expander_row_set_expanded (self->advanced_row, TRUE);
    }
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->client_id_row), "error");
}

static void
set_problem (LkAddressPage *self,
             char          *problem)
{
  show_problem (self, problem, PROBLEM_AT_ADDRESS);
}

static void
lk_address_page_update (LkAddressPage *self)
{
  g_autofree char *email = NULL;
  const char *login;
  gboolean valid;
  gboolean can_continue = FALSE;

  if (self->updating)
    return;

  email = stripped_email (self);
  valid = lk_email_is_valid (email);
  login = entry_text (self->login_row);

  if (*email != '\0' && !valid)
    set_problem (self, g_strdup (_("Type the whole address, such as name@example.org.")));
  else if (!valid)
    set_problem (self, NULL);
  else if (self->store != NULL && g_strcmp0 (email, self->saved_email) != 0 &&
           lk_account_store_exists (self->store, email))
    /* Translators: %s is an e-mail address. */
    set_problem (self, g_strdup_printf (_("%s is already in your accounts; use “Sign In Again” "
                                          "there."), email));
  else if (self->provider == NULL && lk_address_page_get_discovering (self))
    set_problem (self, NULL);
  else if (self->provider == NULL)
    set_problem (self, g_strdup (_("Latchkey does not know this domain. Choose your provider "
                                   "with “Change…”.")));
  else if (!has_client_id (self) && g_strcmp0 (self->provider->kind, "microsoft") == 0 &&
           g_strcmp0 (self->provider->tenant, "consumers") != 0)
    /* Translators: %s is a provider such as "Microsoft 365". */
    show_problem (self, g_strdup_printf (_("%s needs a client ID that your organisation "
                                           "registered. Enter it here, or import the profile "
                                           "your IT department gave you."),
                                         self->provider->name),
                  PROBLEM_AT_CLIENT_ID);
  else if (!has_client_id (self))
    /* Personal accounts have no IT department to ask.
     * Translators: %s is a provider such as "Gmail". */
    show_problem (self, g_strdup_printf (_("This copy of Latchkey has no client ID for %s. "
                                           "Register an app with %s (the provider’s notes say "
                                           "how) and enter its client ID here."),
                                         self->provider->name, self->provider->name),
                  PROBLEM_AT_CLIENT_ID);
  else if (login != NULL && !lk_email_is_valid (login))
    set_problem (self, g_strdup (_("The sign-in user is an address too, such as "
                                   "name@example.org.")));
  else if (selected_protocols (self) == 0)
    set_problem (self, g_strdup (_("Choose at least one protocol.")));
  else
    {
      set_problem (self, NULL);
      can_continue = TRUE;
    }

  if (can_continue != self->can_continue)
    {
      self->can_continue = can_continue;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_CONTINUE]);
    }
}

static void
stop_discovery (LkAddressPage *self)
{
  g_clear_handle_id (&self->discovery_timeout_id, g_source_remove);
  g_cancellable_cancel (self->discovery_cancellable);
  g_clear_object (&self->discovery_cancellable);
  gtk_spinner_set_spinning (self->discovery_spinner, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->discovery_spinner), FALSE);
}

static void
not_recognised (LkAddressPage *self,
                const char    *how)
{
  set_provider (self, NULL, how != NULL ? how : _("Not recognised: choose your provider"));
  gtk_widget_set_visible (GTK_WIDGET (self->provider_combo), TRUE);
}

static void
discovered_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(LkAddressPage) self = user_data;
  g_autoptr(LkDiscoveryResult) found = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *how = NULL;

  found = lk_discovery_run_finish (LK_DISCOVERY (source), result, &error);
  if (found == NULL && lk_error_is_cancelled (error))
    return;
  stop_discovery (self);
  if (self->chosen_by_hand)
    return;

  if (found == NULL || found->provider == NULL || !found->endpoints_known || !found->oauth2)
    {
      if (error != NULL)
        g_debug ("Discovery for the address failed: %s", error->message);
      not_recognised (self, NULL);
      lk_address_page_update (self);
      return;
    }

  g_free (self->discovered_email);
  self->discovered_email = g_strdup (found->email);
  /* "From the MX records of contoso.com", as a subtitle starts. */
  how = found->how != NULL ? g_strdup (found->how) : NULL;
  if (how != NULL && *how != '\0')
    how[0] = g_unichar_toupper (how[0]);
  if (found->tenant != NULL)
    {
      g_autofree char *with_tenant = NULL;

      /* The tenant id itself (a GUID) goes into the Tenant field: in the
       * subtitle it would break across lines at 360 px.
       * Translators: how the provider was found, as in "From the MX
       * records of contoso.com". */
      with_tenant = g_strdup_printf (_("%s; tenant filled in"), how);
      g_free (how);
      how = g_steal_pointer (&with_tenant);
    }
  set_provider (self, found->provider, how);
  if (found->tenant != NULL && gtk_widget_get_visible (GTK_WIDGET (self->tenant_row)) &&
      entry_text (self->tenant_row) == NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->tenant_row), found->tenant);
      adw_expander_row_set_expanded (self->advanced_row, TRUE);
    }
  lk_address_page_update (self);
}

static gboolean
discovery_timeout_cb (gpointer user_data)
{
  LkAddressPage *self = user_data;
  g_autofree char *email = stripped_email (self);

  self->discovery_timeout_id = 0;
  self->discovery_cancellable = g_cancellable_new ();
  lk_discovery_run_async (self->discovery, email, self->discovery_cancellable, discovered_cb,
                          g_object_ref (self));
  return G_SOURCE_REMOVE;
}

/* A domain no profile names: look it up once typing pauses. */
static void
start_discovery (LkAddressPage *self,
                 const char    *email)
{
  g_autofree char *how = NULL;

  /* Translators: %s is a domain such as "contoso.com". */
  how = g_strdup_printf (_("Looking up %s…"), strrchr (email, '@') + 1);
  set_provider (self, NULL, how);
  gtk_widget_set_visible (GTK_WIDGET (self->discovery_spinner), TRUE);
  gtk_spinner_set_spinning (self->discovery_spinner, TRUE);
  self->discovery_timeout_id = g_timeout_add (DISCOVERY_DELAY_MS, discovery_timeout_cb, self);
}

static gboolean
provider_lists_domain (LkProvider *provider,
                       const char *domain)
{
  for (guint i = 0; provider->domains != NULL && provider->domains[i] != NULL; i++)
    if (g_ascii_strcasecmp (provider->domains[i], domain) == 0)
      return TRUE;
  return FALSE;
}

/* A provider chosen by hand (or imported) stays while the domain is the
 * one it was chosen for, or one no profile knows; a domain typed anew that
 * a profile names is that profile's, unless the chosen one names it too. */
static void
drop_choice_for_new_domain (LkAddressPage *self,
                            const char    *email)
{
  const char *at = strrchr (email, '@');
  LkProvider *found;

  if (!self->chosen_by_hand || self->registry == NULL || !lk_email_is_valid (email) ||
      g_strcmp0 (at + 1, self->chosen_for) == 0)
    return;
  found = lk_provider_registry_lookup_domain (self->registry, at + 1);
  if (found == NULL || found == self->provider ||
      (self->provider != NULL && provider_lists_domain (self->provider, at + 1)))
    return;
  self->chosen_by_hand = FALSE;
  self->change_clicked = FALSE;
  g_clear_pointer (&self->chosen_for, g_free);
}

/* The provider for the address, unless the person chose one by hand. */
static void
lk_address_page_email_changed_cb (LkAddressPage *self)
{
  g_autofree char *email = stripped_email (self);

  drop_choice_for_new_domain (self, email);
  if (!self->chosen_by_hand && self->registry != NULL)
    {
      const char *at = strrchr (email, '@');
      LkProvider *found = NULL;

      stop_discovery (self);
      if (lk_email_is_valid (email))
        found = lk_provider_registry_lookup_domain (self->registry, at + 1);

      if (found != NULL)
        set_provider (self, found, _("Recognised from the address’s domain"));
      else if (lk_email_is_valid (email) && self->discovery != NULL)
        {
          if (g_strcmp0 (email, self->discovered_email) != 0)
            start_discovery (self, email);
        }
      else if (lk_email_is_valid (email))
        not_recognised (self, NULL);
      else
        set_provider (self, NULL, _("Type your address first"));
    }
  lk_address_page_update (self);
}

/**
 * lk_address_page_set_discovery:
 * @discovery: (nullable): looks up domains no profile names; %NULL
 *   switches autodiscovery off (widget tests never touch the network)
 */
void
lk_address_page_set_discovery (LkAddressPage *self,
                               LkDiscovery   *discovery)
{
  g_return_if_fail (LK_IS_ADDRESS_PAGE (self));
  g_return_if_fail (discovery == NULL || LK_IS_DISCOVERY (discovery));

  stop_discovery (self);
  g_set_object (&self->discovery, discovery);
  g_clear_pointer (&self->discovered_email, g_free);
  lk_address_page_email_changed_cb (self);
}

/* Whether a lookup is pending or running. */
gboolean
lk_address_page_get_discovering (LkAddressPage *self)
{
  g_return_val_if_fail (LK_IS_ADDRESS_PAGE (self), FALSE);
  return self->discovery_timeout_id != 0 || self->discovery_cancellable != NULL;
}

static void
lk_address_page_email_activated_cb (LkAddressPage *self)
{
  if (self->can_continue)
    gtk_widget_activate_action (GTK_WIDGET (self), "wizard.next", NULL);
}

static void
lk_address_page_change_clicked_cb (LkAddressPage *self)
{
  self->change_clicked = TRUE;
  gtk_widget_set_visible (GTK_WIDGET (self->provider_combo), TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->provider_combo));
}

static void
lk_address_page_provider_selected_cb (LkAddressPage *self)
{
  guint selected = adw_combo_row_get_selected (self->provider_combo);

  if (self->updating || self->providers == NULL || selected >= self->providers->len)
    return;
  {
    g_autofree char *email = stripped_email (self);
    const char *at = strrchr (email, '@');

    g_free (self->chosen_for);
    self->chosen_for = at != NULL && at[1] != '\0' ? g_strdup (at + 1) : NULL;
  }
  self->chosen_by_hand = TRUE;
  stop_discovery (self);
  set_provider (self, g_ptr_array_index (self->providers, selected), _("Chosen by you"));
  lk_address_page_update (self);
}

/* The provider list shows whole names ("Outlook.com (personal Microsoft
 * account)"), wrapped, where libadwaita's own cuts them at 20 characters;
 * the chosen one has the check mark, as there. */
static void
provider_item_setup_cb (GtkSignalListItemFactory *factory,
                        GtkListItem              *item,
                        gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = lk_ui_label_new_prose (NULL);
  GtkWidget *check = gtk_image_new_from_icon_name ("object-select-symbolic");

  gtk_label_set_max_width_chars (GTK_LABEL (label), 32);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), check);
  gtk_list_item_set_child (item, box);
}

static void
provider_item_update_check (AdwComboRow *row,
                            GParamSpec  *pspec,
                            GtkListItem *item)
{
  GtkWidget *check = gtk_widget_get_last_child (gtk_list_item_get_child (item));
  gboolean chosen = adw_combo_row_get_selected_item (row) == gtk_list_item_get_item (item);

  gtk_widget_set_opacity (check, chosen ? 1.0 : 0.0);
}

static void
provider_item_bind_cb (GtkSignalListItemFactory *factory,
                       GtkListItem              *item,
                       LkAddressPage            *self)
{
  GtkWidget *label = gtk_widget_get_first_child (gtk_list_item_get_child (item));

  gtk_label_set_text (GTK_LABEL (label),
                      gtk_string_object_get_string (gtk_list_item_get_item (item)));
  g_signal_connect (self->provider_combo, "notify::selected-item",
                    G_CALLBACK (provider_item_update_check), item);
  provider_item_update_check (self->provider_combo, NULL, item);
}

static void
provider_item_unbind_cb (GtkSignalListItemFactory *factory,
                         GtkListItem              *item,
                         LkAddressPage            *self)
{
  g_signal_handlers_disconnect_by_func (self->provider_combo, provider_item_update_check, item);
}

static void
fill_combo (LkAddressPage *self)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GtkStringList) list = NULL;

  self->updating = TRUE;
  for (guint i = 0; i < self->providers->len; i++)
    g_ptr_array_add (names, ((LkProvider *) g_ptr_array_index (self->providers, i))->name);
  g_ptr_array_add (names, NULL);
  list = gtk_string_list_new ((const char * const *) names->pdata);
  adw_combo_row_set_model (self->provider_combo, G_LIST_MODEL (list));
  adw_combo_row_set_selected (self->provider_combo, GTK_INVALID_LIST_POSITION);
  self->updating = FALSE;
}

/**
 * lk_address_page_set_registry:
 *
 * Gives the page the profiles it looks addresses up in and offers to choose.
 */
void
lk_address_page_set_registry (LkAddressPage      *self,
                              LkProviderRegistry *registry)
{
  GPtrArray *providers;

  g_return_if_fail (LK_IS_ADDRESS_PAGE (self));

  g_set_object (&self->registry, registry);
  g_clear_pointer (&self->providers, g_ptr_array_unref);
  self->providers = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_provider_unref);
  providers = lk_provider_registry_get_providers (registry);
  for (guint i = 0; i < providers->len; i++)
    g_ptr_array_add (self->providers, lk_provider_ref (g_ptr_array_index (providers, i)));
  fill_combo (self);
  lk_address_page_email_changed_cb (self);
}

/**
 * lk_address_page_set_account_store:
 * @store: (nullable): the accounts already added
 *
 * An address already in @store cannot be added again: the page says so
 * under the address and Next stays insensitive.
 */
void
lk_address_page_set_account_store (LkAddressPage  *self,
                                   LkAccountStore *store)
{
  g_return_if_fail (LK_IS_ADDRESS_PAGE (self));

  g_set_object (&self->store, store);
  lk_address_page_update (self);
}

void
lk_address_page_set_email (LkAddressPage *self,
                           const char    *email)
{
  g_return_if_fail (LK_IS_ADDRESS_PAGE (self));
  gtk_editable_set_text (GTK_EDITABLE (self->email_row), email != NULL ? email : "");
}

/**
 * lk_address_page_set_saved_email:
 * @email: the address the wizard saved
 *
 * Once the wizard saved the account, its address stays (another would be
 * another account): the entry is read-only, and the address is not "already
 * in your accounts".
 */
void
lk_address_page_set_saved_email (LkAddressPage *self,
                                 const char    *email)
{
  g_return_if_fail (LK_IS_ADDRESS_PAGE (self));

  g_free (self->saved_email);
  self->saved_email = g_strdup (email);
  lk_address_page_set_email (self, email);
  gtk_editable_set_editable (GTK_EDITABLE (self->email_row), email == NULL);
  lk_address_page_update (self);
}

gboolean
lk_address_page_get_can_continue (LkAddressPage *self)
{
  g_return_val_if_fail (LK_IS_ADDRESS_PAGE (self), FALSE);
  return self->can_continue;
}

/* Why Next is insensitive, as shown; NULL when nothing is wrong. */
const char *
lk_address_page_get_problem (LkAddressPage *self)
{
  g_return_val_if_fail (LK_IS_ADDRESS_PAGE (self), NULL);
  return self->problem;
}

LkProvider *
lk_address_page_get_provider (LkAddressPage *self)
{
  g_return_val_if_fail (LK_IS_ADDRESS_PAGE (self), NULL);
  return self->provider;
}

const char *
lk_address_page_get_found_how (LkAddressPage *self)
{
  g_return_val_if_fail (LK_IS_ADDRESS_PAGE (self), NULL);
  return self->found_how;
}

/**
 * lk_address_page_select_provider:
 *
 * Chooses the profile @id as a person would with "Change…".
 *
 * Returns: %FALSE when there is no such profile
 */
gboolean
lk_address_page_select_provider (LkAddressPage *self,
                                 const char    *id)
{
  g_return_val_if_fail (LK_IS_ADDRESS_PAGE (self), FALSE);

  for (guint i = 0; self->providers != NULL && i < self->providers->len; i++)
    if (g_strcmp0 (((LkProvider *) g_ptr_array_index (self->providers, i))->id, id) == 0)
      {
        gtk_widget_set_visible (GTK_WIDGET (self->provider_combo), TRUE);
        adw_combo_row_set_selected (self->provider_combo, i);
        return TRUE;
      }
  return FALSE;
}

/**
 * lk_address_page_import_profile:
 *
 * Takes an organisation profile (the provider format, tenant and client id
 * filled in by IT), adds it to the choices and chooses it.
 */
gboolean
lk_address_page_import_profile (LkAddressPage *self,
                                const char    *data,
                                gsize          length,
                                const char    *origin,
                                GError       **error)
{
  g_autoptr(LkProvider) provider = NULL;

  g_return_val_if_fail (LK_IS_ADDRESS_PAGE (self), FALSE);

  provider = lk_provider_new_from_data (data, length, origin, error);
  if (provider == NULL || !lk_provider_validate (provider, error))
    return FALSE;

  if (self->providers == NULL)
    self->providers = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_provider_unref);
  g_ptr_array_add (self->providers, lk_provider_ref (provider));
  fill_combo (self);
  self->chosen_by_hand = TRUE;
  g_clear_pointer (&self->chosen_for, g_free);
  stop_discovery (self);
  gtk_widget_set_visible (GTK_WIDGET (self->provider_combo), TRUE);
  /* set_provider() selects it in the combo. */
  set_provider (self, provider, _("From your organisation’s profile"));
  lk_address_page_update (self);
  return TRUE;
}

/**
 * lk_address_page_build_account:
 *
 * Returns: (transfer full) (nullable): the account as the page describes it,
 *   not saved anywhere; %NULL while the page cannot continue
 */
LkAccount *
lk_address_page_build_account (LkAddressPage *self)
{
  g_autofree char *email = NULL;
  LkAccount *account;

  g_return_val_if_fail (LK_IS_ADDRESS_PAGE (self), NULL);

  /* latchkey-cli may have added the address since the last keystroke. */
  lk_address_page_update (self);
  if (!self->can_continue)
    return NULL;

  email = stripped_email (self);
  account = lk_account_new (email, self->provider);
  account->protocols = selected_protocols (self);
  account->login = g_strdup (entry_text (self->login_row));
  account->client_id = g_strdup (entry_text (self->client_id_row));
  if (gtk_widget_get_visible (GTK_WIDGET (self->tenant_row)))
    account->tenant = g_strdup (entry_text (self->tenant_row));
  return account;
}

static void
import_loaded_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(LkAddressPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *origin = NULL;
  gsize length = 0;

  origin = g_file_get_parse_name (G_FILE (source));
  if (!g_file_load_contents_finish (G_FILE (source), result, &data, &length, NULL, &error) ||
      !lk_address_page_import_profile (self, data, length, origin, &error))
    {
      g_autofree char *message = lk_ui_error_message (error);

      if (message != NULL)
        lk_ui_toast_error (GTK_WIDGET (self), message);
      return;
    }
  lk_ui_toast (GTK_WIDGET (self), _("Organisation profile imported"));
}

/**
 * lk_address_page_import_file:
 * @file: an organisation profile the person chose
 *
 * Imports @file as "Import…" does once a file is chosen, and says how it
 * went: "Organisation profile imported", or why the file cannot be used.
 */
void
lk_address_page_import_file (LkAddressPage *self,
                             GFile         *file)
{
  g_return_if_fail (LK_IS_ADDRESS_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));

  /* Organisation profiles are a few kilobytes; loading never blocks the page. */
  g_file_load_contents_async (file, self->cancellable, import_loaded_cb, g_object_ref (self));
}

static void
import_chosen_cb (GtkWidget *widget,
                  GFile     *file,
                  gpointer   user_data)
{
  lk_address_page_import_file (LK_ADDRESS_PAGE (widget), file);
}

static void
lk_address_page_import_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  g_autoptr(GtkFileFilter) filter = lk_ui_new_profile_filter ();

  lk_ui_choose_file (widget, FALSE, _("Import Organisation Profile"), _("_Import"), NULL, filter,
                     import_chosen_cb, NULL, NULL);
}

static void
lk_address_page_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  LkAddressPage *self = LK_ADDRESS_PAGE (object);

  switch (prop_id)
    {
    case PROP_CAN_CONTINUE:
      g_value_set_boolean (value, self->can_continue);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
lk_address_page_grab_focus (GtkWidget *widget)
{
  return gtk_widget_grab_focus (GTK_WIDGET (LK_ADDRESS_PAGE (widget)->email_row));
}

static void
lk_address_page_dispose (GObject *object)
{
  LkAddressPage *self = LK_ADDRESS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->discovery_timeout_id, g_source_remove);
  g_cancellable_cancel (self->discovery_cancellable);
  g_clear_object (&self->discovery_cancellable);
  g_clear_object (&self->discovery);
  g_clear_pointer (&self->discovered_email, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_ADDRESS_PAGE);
  lk_ui_unparent_children (GTK_WIDGET (object));
  g_clear_object (&self->registry);
  g_clear_object (&self->store);
  g_clear_pointer (&self->providers, g_ptr_array_unref);
  g_clear_pointer (&self->provider, lk_provider_unref);
  g_clear_pointer (&self->found_how, g_free);
  g_clear_pointer (&self->problem, g_free);
  g_clear_pointer (&self->saved_email, g_free);
  g_clear_pointer (&self->chosen_for, g_free);

  G_OBJECT_CLASS (lk_address_page_parent_class)->dispose (object);
}

static void
lk_address_page_class_init (LkAddressPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_address_page_dispose;
  object_class->get_property = lk_address_page_get_property;
  widget_class->grab_focus = lk_address_page_grab_focus;

  properties[PROP_CAN_CONTINUE] =
    g_param_spec_boolean ("can-continue", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  lk_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/lk-address-page.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, email_row);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, problem_label);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, provider_row);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, discovery_spinner);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, change_button);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, provider_combo);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, advanced_row);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, tenant_row);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, client_id_row);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, client_id_problem_row);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, client_id_problem_label);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, login_row);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, imap_row);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, pop_row);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, smtp_row);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, imap_check);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, pop_check);
  gtk_widget_class_bind_template_child (widget_class, LkAddressPage, smtp_check);
  gtk_widget_class_bind_template_callback (widget_class, lk_address_page_email_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, lk_address_page_email_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, lk_address_page_change_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, lk_address_page_provider_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, lk_address_page_update);

  gtk_widget_class_install_action (widget_class, "address.import", NULL,
                                   lk_address_page_import_action);
}

static void
lk_address_page_init (LkAddressPage *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (factory, "setup", G_CALLBACK (provider_item_setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (provider_item_bind_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (provider_item_unbind_cb), self);
  adw_combo_row_set_list_factory (self->provider_combo, factory);
  self->cancellable = g_cancellable_new ();
  gtk_widget_set_visible (GTK_WIDGET (self->tenant_row), FALSE);
  lk_address_page_update (self);
}
