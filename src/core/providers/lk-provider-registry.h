/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "providers/lk-provider.h"

G_BEGIN_DECLS

#define LK_TYPE_PROVIDER_REGISTRY (lk_provider_registry_get_type ())

G_DECLARE_FINAL_TYPE (LkProviderRegistry, lk_provider_registry, LK, PROVIDER_REGISTRY, GObject)

LkProviderRegistry *lk_provider_registry_new              (void) G_GNUC_WARN_UNUSED_RESULT;
void                lk_provider_registry_load             (LkProviderRegistry *self);
GPtrArray          *lk_provider_registry_get_providers    (LkProviderRegistry *self);
GPtrArray          *lk_provider_registry_get_problems     (LkProviderRegistry *self);
GPtrArray          *lk_provider_registry_get_overrides    (LkProviderRegistry *self);
LkProvider         *lk_provider_registry_lookup           (LkProviderRegistry *self,
                                                           const char         *id);
LkProvider         *lk_provider_registry_lookup_domain    (LkProviderRegistry *self,
                                                           const char         *domain);
char               *lk_provider_registry_dup_user_dir     (void) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
