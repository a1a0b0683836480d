/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-providers"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>

#include "lk-core.h"
#include "lk-error.h"
#include "lk-places.h"
#include "providers/lk-provider-registry.h"

#define BUILTIN_PATH RESOURCE_PREFIX "/providers"

/**
 * LkProviderRegistry:
 *
 * The provider profiles Latchkey knows: the built-in ones compiled into
 * core's GResource, then the user's and the organisation's from
 * $XDG_CONFIG_HOME/latchkey/providers/, or /etc/latchkey/providers/ in system
 * mode (%LK_PLACE_PROFILES; *.json). A user profile with the id of a
 * built-in one takes its place. A file that does not load is skipped and
 * kept as a problem (path and field at fault) for the caller to show.
 */
struct _LkProviderRegistry
{
  GObject    parent_instance;

  GPtrArray *providers;  /* LkProvider, sorted by the order found */
  GPtrArray *problems;   /* GError */
  GPtrArray *overrides;  /* LkProvider: user profiles in a built-in one's place */
  GHashTable *builtin_ids;
};

G_DEFINE_FINAL_TYPE (LkProviderRegistry, lk_provider_registry, G_TYPE_OBJECT)

static void
lk_provider_registry_finalize (GObject *object)
{
  LkProviderRegistry *self = LK_PROVIDER_REGISTRY (object);

  g_clear_pointer (&self->providers, g_ptr_array_unref);
  g_clear_pointer (&self->problems, g_ptr_array_unref);
  g_clear_pointer (&self->overrides, g_ptr_array_unref);
  g_clear_pointer (&self->builtin_ids, g_hash_table_unref);

  G_OBJECT_CLASS (lk_provider_registry_parent_class)->finalize (object);
}

static void
lk_provider_registry_class_init (LkProviderRegistryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_provider_registry_finalize;
}

static void
lk_provider_registry_init (LkProviderRegistry *self)
{
  self->providers = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_provider_unref);
  self->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  self->overrides = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_provider_unref);
  self->builtin_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

LkProviderRegistry *
lk_provider_registry_new (void)
{
  return g_object_new (LK_TYPE_PROVIDER_REGISTRY, NULL);
}

char *
lk_provider_registry_dup_user_dir (void)
{
  return lk_places_get_dir (LK_PLACE_PROFILES);
}

static void
add_provider (LkProviderRegistry *self,
              LkProvider         *provider)
{
  for (guint i = 0; i < self->providers->len; i++)
    {
      LkProvider *other = g_ptr_array_index (self->providers, i);

      if (g_strcmp0 (other->id, provider->id) == 0)
        {
          g_ptr_array_index (self->providers, i) = lk_provider_ref (provider);
          lk_provider_unref (other);
          return;
        }
    }
  g_ptr_array_add (self->providers, lk_provider_ref (provider));
}

static int
compare_names (const char **a,
               const char **b)
{
  return g_strcmp0 (*a, *b);
}

/* The built-in profiles' names that are words rather than brands, so that
 * xgettext finds them; data/providers/ has the same English, and each is
 * shown in the person's language (the GUI's German test reads two). */
static const char * const translatable_names[] G_GNUC_UNUSED = {
  N_("Other OAuth2 provider"),
  N_("Outlook.com (personal Microsoft account)"),
  N_("Zoho Mail (Australia, zoho.com.au)"),
  N_("Zoho Mail (Europe, zoho.eu)"),
  N_("Zoho Mail (India, zoho.in)"),
  N_("Zoho Mail (Japan, zoho.jp)"),
  N_("Zoho Mail (United States, zoho.com)"),
};

static void
load_builtin (LkProviderRegistry *self)
{
  g_auto(GStrv) names = g_resources_enumerate_children (BUILTIN_PATH, 0, NULL);

  /* Resource order is a hash table's: sort, for a stable list. */
  if (names != NULL)
    qsort (names, g_strv_length (names), sizeof (char *),
           (int (*) (const void *, const void *)) compare_names);
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_autofree char *path = g_build_path ("/", BUILTIN_PATH, names[i], NULL);
      g_autoptr(GBytes) bytes = g_resources_lookup_data (path, 0, NULL);
      g_autoptr(LkProvider) provider = NULL;
      g_autoptr(GError) error = NULL;
      gsize size;
      const char *data;

      if (bytes == NULL)
        continue;
      data = g_bytes_get_data (bytes, &size);
      provider = lk_provider_new_from_data (data, (gssize) size, names[i], &error);
      /* A built-in profile that does not load is a bug the tests catch. */
      if (provider == NULL)
        {
          g_ptr_array_add (self->problems, g_steal_pointer (&error));
          continue;
        }
      if (_(provider->name) != provider->name)
        {
          char *translated = g_strdup (_(provider->name));

          g_free (provider->name);
          provider->name = translated;
        }
      g_hash_table_add (self->builtin_ids, g_strdup (provider->id));
      add_provider (self, provider);
    }
}

static void
load_user (LkProviderRegistry *self)
{
  g_autofree char *dir_path = lk_provider_registry_dup_user_dir ();
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".json"))
      g_ptr_array_add (names, g_strdup (name));
  /* A stable order, so that duplicates resolve the same way every time. */
  g_ptr_array_sort (names, (GCompareFunc) compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir_path, g_ptr_array_index (names, i), NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(LkProvider) provider = lk_provider_new_from_file (path, &error);

      if (provider == NULL)
        {
          if (error->domain != LK_ERROR)
            g_prefix_error (&error, "%s: ", path);
          g_ptr_array_add (self->problems, g_steal_pointer (&error));
        }
      else
        {
          if (g_hash_table_contains (self->builtin_ids, provider->id))
            g_ptr_array_add (self->overrides, lk_provider_ref (provider));
          add_provider (self, provider);
        }
    }
}

/**
 * lk_provider_registry_load:
 *
 * (Re)reads every profile. Problems are collected, not raised: one broken
 * file must not hide the others.
 */
void
lk_provider_registry_load (LkProviderRegistry *self)
{
  g_return_if_fail (LK_IS_PROVIDER_REGISTRY (self));

  lk_core_init ();
  g_ptr_array_set_size (self->providers, 0);
  g_ptr_array_set_size (self->problems, 0);
  g_ptr_array_set_size (self->overrides, 0);
  g_hash_table_remove_all (self->builtin_ids);
  load_builtin (self);
  load_user (self);
}

/**
 * lk_provider_registry_get_providers:
 *
 * Returns: (transfer none) (element-type LkProvider): every profile loaded
 */
GPtrArray *
lk_provider_registry_get_providers (LkProviderRegistry *self)
{
  return self->providers;
}

/**
 * lk_provider_registry_get_problems:
 *
 * Returns: (transfer none) (element-type GError): files that did not load
 */
GPtrArray *
lk_provider_registry_get_problems (LkProviderRegistry *self)
{
  return self->problems;
}

/**
 * lk_provider_registry_get_overrides:
 *
 * Returns: (transfer none) (element-type LkProvider): the user profiles that
 *   took the place of a built-in one with the same id (their origin is
 *   their path), for `providers` to say so: a profile received by e-mail
 *   could quietly replace "microsoft365".
 */
GPtrArray *
lk_provider_registry_get_overrides (LkProviderRegistry *self)
{
  return self->overrides;
}

/**
 * lk_provider_registry_lookup:
 *
 * Returns: (transfer none) (nullable): the profile with @id
 */
LkProvider *
lk_provider_registry_lookup (LkProviderRegistry *self,
                             const char         *id)
{
  for (guint i = 0; i < self->providers->len; i++)
    {
      LkProvider *provider = g_ptr_array_index (self->providers, i);

      if (g_strcmp0 (provider->id, id) == 0)
        return provider;
    }
  return NULL;
}

/**
 * lk_provider_registry_lookup_domain:
 * @domain: a mail domain such as "outlook.com"
 *
 * Returns: (transfer none) (nullable): the profile that lists @domain
 */
LkProvider *
lk_provider_registry_lookup_domain (LkProviderRegistry *self,
                                    const char         *domain)
{
  for (guint i = 0; i < self->providers->len; i++)
    {
      LkProvider *provider = g_ptr_array_index (self->providers, i);

      for (guint j = 0; provider->domains[j] != NULL; j++)
        if (g_ascii_strcasecmp (provider->domains[j], domain) == 0)
          return provider;
    }
  return NULL;
}
