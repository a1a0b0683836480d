/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "lk-protocol.h"

G_BEGIN_DECLS

/**
 * LkAutoconfigServer:
 * @protocol: IMAP or POP for an incomingServer, SMTP for an outgoingServer
 * @security: SSL → TLS, STARTTLS → STARTTLS, plain → NONE
 * @username: (nullable): the template as written, e.g. "%EMAILADDRESS%"
 * @authentication: the <authentication> values in document order
 */
typedef struct
{
  LkProtocol   protocol;
  char        *hostname;
  guint16      port;
  LkSecurity   security;
  char        *username;
  char       **authentication;
} LkAutoconfigServer;

/**
 * LkAutoconfig:
 *
 * What a Mozilla autoconfig file (clientConfig version 1.1) says: the
 * servers, how they authenticate and, when present, the OAuth2 issuer and
 * endpoints. Servers of other types (Exchange, JMAP…) are left out. Public
 * fields; immutable once parsed.
 */
typedef struct
{
  /*< private >*/
  gatomicrefcount ref_count;

  /*< public >*/
  char       *id;                 /* emailProvider id, nullable */
  char       *display_name;       /* nullable */
  char       *display_short_name; /* nullable */
  char      **domains;            /* never NULL */
  GPtrArray  *servers;            /* LkAutoconfigServer, document order */
  char       *oauth2_issuer;      /* nullable, all four */
  char       *oauth2_scope;
  char       *oauth2_auth_url;
  char       *oauth2_token_url;
} LkAutoconfig;

#define LK_TYPE_AUTOCONFIG (lk_autoconfig_get_type ())

GType         lk_autoconfig_get_type   (void) G_GNUC_CONST;
LkAutoconfig *lk_autoconfig_parse      (const char          *data,
                                        gssize               length,
                                        GError             **error) G_GNUC_WARN_UNUSED_RESULT;
LkAutoconfig *lk_autoconfig_ref        (LkAutoconfig        *self);
void          lk_autoconfig_unref      (LkAutoconfig        *self);
const LkAutoconfigServer *
              lk_autoconfig_get_server (LkAutoconfig        *self,
                                        LkProtocol           protocol);
gboolean      lk_autoconfig_server_has_auth (const LkAutoconfigServer *server,
                                             const char               *method);
gboolean      lk_autoconfig_offers_oauth2   (LkAutoconfig        *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkAutoconfig, lk_autoconfig_unref)

G_END_DECLS
