/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "lk-protocol.h"

G_BEGIN_DECLS

/**
 * LkServer:
 * @host: (nullable): NULL when the provider has no server for the protocol
 */
typedef struct
{
  char       *host;
  guint16     port;
  LkSecurity  security;
} LkServer;

typedef enum
{
  LK_ENDPOINT_AUTHORIZATION,
  LK_ENDPOINT_TOKEN,
  LK_ENDPOINT_DEVICE_AUTHORIZATION,
  LK_ENDPOINT_ISSUER,
} LkEndpoint;

/**
 * LkProvider:
 *
 * A provider profile (doc/architecture.md, "Provider profiles"): how to sign
 * in and where the servers are. Immutable once loaded and shared by reference;
 * read the fields directly. Endpoint strings may hold "{tenant}", which
 * lk_provider_dup_endpoint() fills in.
 */
typedef struct
{
  /*< private >*/
  gatomicrefcount ref_count;

  /*< public >*/
  char      *id;
  char      *name;
  char      *kind;                     /* "microsoft", "google", "generic" … */
  char      *authorization_endpoint;
  char      *token_endpoint;
  char      *device_authorization_endpoint;   /* nullable */
  char      *issuer;                   /* nullable */
  char      *tenant;                   /* nullable */
  char      *client_id;                /* nullable or empty: not set */
  char      *client_secret;            /* nullable; for Google's "public secret" */
  char      *redirect_host;            /* "localhost" or "127.0.0.1" */
  char     **scopes[LK_N_PROTOCOLS];   /* per protocol, NULL-terminated, may be empty */
  char     **extra_scopes;             /* e.g. offline_access */
  char      *app_only_scope;           /* nullable */
  LkServer   servers[LK_N_PROTOCOLS];
  char     **sasl;                     /* mechanisms in order of preference */
  char     **domains;
  char     **mx;                       /* glob patterns such as *.mail.protection.outlook.com */
  char      *ca_file;                  /* nullable: extra trust anchor */
  char      *notes;                    /* nullable: what the user must know (shown) */
  char      *client_id_help;           /* nullable: URL explaining how to get a client id */
  gboolean   device_flow;              /* whether the device code grant may be offered */
  char      *origin;                   /* where it was loaded from, for messages */
  char     **authorization_params;     /* extra query parameters of the authorization
                                        * request, as name, value, name, value …
                                        * (e.g. Google's access_type=offline); never NULL */
} LkProvider;

#define LK_TYPE_PROVIDER (lk_provider_get_type ())

GType       lk_provider_get_type          (void) G_GNUC_CONST;
LkProvider *lk_provider_ref               (LkProvider        *self);
void        lk_provider_unref             (LkProvider        *self);
LkProvider *lk_provider_new_from_data     (const char        *data,
                                           gssize             length,
                                           const char        *origin,
                                           GError           **error) G_GNUC_WARN_UNUSED_RESULT;
LkProvider *lk_provider_new_from_file     (const char        *path,
                                           GError           **error) G_GNUC_WARN_UNUSED_RESULT;
char       *lk_provider_to_data           (LkProvider        *self,
                                           gsize             *length) G_GNUC_WARN_UNUSED_RESULT;
LkProvider *lk_provider_copy_with         (LkProvider        *self,
                                           const char        *tenant,
                                           const char        *client_id) G_GNUC_WARN_UNUSED_RESULT;
char       *lk_provider_dup_endpoint      (LkProvider        *self,
                                           LkEndpoint         endpoint,
                                           const char        *tenant) G_GNUC_WARN_UNUSED_RESULT;
char       *lk_provider_dup_scope_string  (LkProvider        *self,
                                           LkProtocolFlags    protocols) G_GNUC_WARN_UNUSED_RESULT;
const LkServer *lk_provider_get_server    (LkProvider        *self,
                                           LkProtocol         protocol);
LkProtocolFlags lk_provider_get_protocols (LkProvider        *self);
gboolean    lk_provider_validate          (LkProvider        *self,
                                           GError           **error);
const char *lk_provider_get_client_secret (LkProvider        *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkProvider, lk_provider_unref)

G_END_DECLS
