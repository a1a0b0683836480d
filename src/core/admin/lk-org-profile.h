/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "lk-protocol.h"
#include "providers/lk-provider.h"

G_BEGIN_DECLS

char       *lk_org_profile_id_for   (const char       *tenant) G_GNUC_WARN_UNUSED_RESULT;
char       *lk_org_profile_name_for (const char       *tenant,
                                     LkProvider       *base) G_GNUC_WARN_UNUSED_RESULT;
LkProvider *lk_org_profile_new      (LkProvider       *base,
                                     const char       *tenant,
                                     const char       *client_id,
                                     const char       *id,
                                     const char       *name,
                                     LkProtocolFlags   protocols,
                                     GError          **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean    lk_org_profile_set_domains (LkProvider       *profile,
                                     const char * const *domains,
                                     GError          **error);
gboolean    lk_org_profile_write    (LkProvider       *profile,
                                     const char       *path,
                                     gboolean          overwrite,
                                     GError          **error);
char       *lk_org_profile_describe (LkProvider       *profile) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
