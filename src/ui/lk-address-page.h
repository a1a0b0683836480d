/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "providers/lk-discovery.h"
#include "providers/lk-provider-registry.h"
#include "store/lk-account.h"
#include "store/lk-account-store.h"

G_BEGIN_DECLS

#define LK_TYPE_ADDRESS_PAGE (lk_address_page_get_type ())

G_DECLARE_FINAL_TYPE (LkAddressPage, lk_address_page, LK, ADDRESS_PAGE, GtkWidget)

GtkWidget  *lk_address_page_new            (void);
void        lk_address_page_set_registry   (LkAddressPage      *self,
                                            LkProviderRegistry *registry);
void        lk_address_page_set_discovery  (LkAddressPage      *self,
                                            LkDiscovery        *discovery);
void        lk_address_page_set_account_store (LkAddressPage  *self,
                                               LkAccountStore *store);
gboolean    lk_address_page_get_discovering (LkAddressPage     *self);
void        lk_address_page_set_email      (LkAddressPage      *self,
                                            const char         *email);
void        lk_address_page_set_saved_email (LkAddressPage     *self,
                                             const char        *email);
gboolean    lk_address_page_get_can_continue (LkAddressPage    *self);
const char *lk_address_page_get_problem    (LkAddressPage      *self);
LkProvider *lk_address_page_get_provider   (LkAddressPage      *self);
const char *lk_address_page_get_found_how  (LkAddressPage      *self);
gboolean    lk_address_page_select_provider (LkAddressPage     *self,
                                             const char        *id);
gboolean    lk_address_page_import_profile (LkAddressPage      *self,
                                            const char         *data,
                                            gsize               length,
                                            const char         *origin,
                                            GError            **error);
void        lk_address_page_import_file    (LkAddressPage      *self,
                                            GFile              *file);
LkAccount  *lk_address_page_build_account  (LkAddressPage      *self) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
