/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LK_TYPE_TEST_RESOLVER (lk_test_resolver_get_type ())
G_DECLARE_FINAL_TYPE (LkTestResolver, lk_test_resolver, LK, TEST_RESOLVER, GResolver)

struct _LkTestResolver
{
  GResolver   parent_instance;
  GHashTable *mx;          /* domain → "pref host,pref host" */
  guint       mx_delay_ms; /* each MX answer waits this long (cancellable) */
  guint       lookups;     /* how many MX lookups were asked */
};

void lk_test_resolver_set_mx (LkTestResolver *self,
                              const char     *domain,
                              const char     *records);
void lk_test_resolver_reset  (LkTestResolver *self);

G_END_DECLS
