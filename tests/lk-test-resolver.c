/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A GResolver for tests, so that discovery never leaves the machine: names
 * under .test and localhost are 127.0.0.1, nothing else exists, and MX
 * records come from a table (doc/testing.md §9). */
#define G_LOG_DOMAIN "latchkey-test"

#include "config.h"

#include <stdlib.h>

#include "lk-test-resolver.h"

G_DEFINE_FINAL_TYPE (LkTestResolver, lk_test_resolver, G_TYPE_RESOLVER)

static GList *
resolve_name (const char                *name,
              GResolverNameLookupFlags   flags,
              GError                   **error)
{
  if ((flags & G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY) ||
      !(g_str_has_suffix (name, ".test") || g_str_equal (name, "localhost")))
    {
      g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "no such name: %s", name);
      return NULL;
    }
  return g_list_prepend (NULL, g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4));
}

static GList *
lookup_by_name (GResolver     *resolver,
                const char    *name,
                GCancellable  *cancellable,
                GError       **error)
{
  return resolve_name (name, G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT, error);
}

static GList *
lookup_by_name_with_flags (GResolver                 *resolver,
                           const char                *name,
                           GResolverNameLookupFlags   flags,
                           GCancellable              *cancellable,
                           GError                   **error)
{
  return resolve_name (name, flags, error);
}

static void
lookup_by_name_with_flags_async (GResolver                *resolver,
                                 const char               *name,
                                 GResolverNameLookupFlags  flags,
                                 GCancellable             *cancellable,
                                 GAsyncReadyCallback       callback,
                                 gpointer                  user_data)
{
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);
  GError *error = NULL;
  GList *list = resolve_name (name, flags, &error);

  if (list == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, (GDestroyNotify) g_resolver_free_addresses);
}

static void
lookup_by_name_async (GResolver           *resolver,
                      const char          *name,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  lookup_by_name_with_flags_async (resolver, name, G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT,
                                   cancellable, callback, user_data);
}

static GList *
lookup_by_name_finish (GResolver     *resolver,
                       GAsyncResult  *result,
                       GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static GList *
mx_records (LkTestResolver  *self,
            const char    *domain,
            GError       **error)
{
  const char *answer = g_hash_table_lookup (self->mx, domain);
  g_auto(GStrv) entries = NULL;
  GList *records = NULL;

  if (answer == NULL)
    {
      g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "no MX for %s", domain);
      return NULL;
    }
  entries = g_strsplit (answer, ",", -1);
  for (guint i = 0; entries[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (entries[i], " ", 2);

      records = g_list_append (records,
                               g_variant_ref_sink (g_variant_new ("(qs)",
                                                                  (guint16) atoi (parts[0]),
                                                                  parts[1])));
    }
  return records;
}

static GList *
lookup_records (GResolver            *resolver,
                const char           *name,
                GResolverRecordType   type,
                GCancellable         *cancellable,
                GError              **error)
{
  g_assert_cmpint (type, ==, G_RESOLVER_RECORD_MX);
  return mx_records (LK_TEST_RESOLVER (resolver), name, error);
}

static void
free_records (GList *records)
{
  g_list_free_full (records, (GDestroyNotify) g_variant_unref);
}

/* In a thread, so that a slow answer can be cancelled (return-on-cancel). */
static void
lookup_records_thread (GTask        *task,
                       gpointer      source,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  LkTestResolver *self = source;
  GError *error = NULL;
  GList *records;

  if (self->mx_delay_ms > 0)
    g_usleep (self->mx_delay_ms * 1000);
  records = mx_records (self, task_data, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, records, (GDestroyNotify) free_records);
}

static void
lookup_records_async (GResolver           *resolver,
                      const char          *name,
                      GResolverRecordType  type,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);

  g_assert_cmpint (type, ==, G_RESOLVER_RECORD_MX);
  LK_TEST_RESOLVER (resolver)->lookups++;
  g_task_set_task_data (task, g_strdup (name), g_free);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, lookup_records_thread);
}

static GList *
lookup_records_finish (GResolver     *resolver,
                       GAsyncResult  *result,
                       GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
lk_test_resolver_finalize (GObject *object)
{
  g_hash_table_unref (LK_TEST_RESOLVER (object)->mx);
  G_OBJECT_CLASS (lk_test_resolver_parent_class)->finalize (object);
}

static void
lk_test_resolver_class_init (LkTestResolverClass *klass)
{
  GResolverClass *resolver_class = G_RESOLVER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = lk_test_resolver_finalize;
  resolver_class->lookup_by_name = lookup_by_name;
  resolver_class->lookup_by_name_async = lookup_by_name_async;
  resolver_class->lookup_by_name_finish = lookup_by_name_finish;
  resolver_class->lookup_by_name_with_flags = lookup_by_name_with_flags;
  resolver_class->lookup_by_name_with_flags_async = lookup_by_name_with_flags_async;
  resolver_class->lookup_by_name_with_flags_finish = lookup_by_name_finish;
  resolver_class->lookup_records = lookup_records;
  resolver_class->lookup_records_async = lookup_records_async;
  resolver_class->lookup_records_finish = lookup_records_finish;
}

static void
lk_test_resolver_init (LkTestResolver *self)
{
  self->mx = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * lk_test_resolver_set_mx:
 * @records: "pref host,pref host", or %NULL for none
 */
void
lk_test_resolver_set_mx (LkTestResolver *self,
                         const char     *domain,
                         const char     *records)
{
  if (records == NULL)
    g_hash_table_remove (self->mx, domain);
  else
    g_hash_table_replace (self->mx, g_strdup (domain), g_strdup (records));
}

/* Forgets every MX record, the delay and the count. */
void
lk_test_resolver_reset (LkTestResolver *self)
{
  g_hash_table_remove_all (self->mx);
  self->mx_delay_ms = 0;
  self->lookups = 0;
}
