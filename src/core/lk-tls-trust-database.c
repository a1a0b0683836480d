/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include "lk-tls-trust-database.h"
#include "lk-tls-trust.h"

/**
 * LkTlsTrustDatabase:
 *
 * The system's trust store, plus a profile's extra anchors by the rule of
 * lk_tls_trust_accept(), as one GTlsDatabase for a GTlsClientConnection.
 *
 * Why a database of our own rather than the "accept-certificate" signal:
 * glib-networking 2.74 builds a GnuTLS trust list for every connection
 * from the connection's database when that is one of its own, which for
 * the system store means parsing the whole CA bundle again (≈10 ms of CPU
 * per connection here, the bulk of a TLS handshake on loopback; the
 * bridge signs in upstream for every session). With a database of another
 * class it gives GnuTLS empty credentials and asks verify_chain() instead,
 * which the system database answers from the trust list it built once.
 */
struct _LkTlsTrustDatabase
{
  GTlsDatabase  parent_instance;
  GTlsDatabase *system;          /* the backend's default database */
  GTlsDatabase *extra_anchors;   /* nullable */
};

G_DEFINE_FINAL_TYPE (LkTlsTrustDatabase, lk_tls_trust_database, G_TYPE_TLS_DATABASE)

static GTlsCertificateFlags
lk_tls_trust_database_verify_chain (GTlsDatabase             *database,
                                    GTlsCertificate          *chain,
                                    const char               *purpose,
                                    GSocketConnectable       *identity,
                                    GTlsInteraction          *interaction,
                                    GTlsDatabaseVerifyFlags   flags,
                                    GCancellable             *cancellable,
                                    GError                  **error)
{
  LkTlsTrustDatabase *self = LK_TLS_TRUST_DATABASE (database);
  GTlsCertificateFlags errors;
  GError *local = NULL;

  errors = g_tls_database_verify_chain (self->system, chain, purpose, identity, interaction, flags,
                                        cancellable, &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return errors;
    }
  if (errors != 0 && self->extra_anchors != NULL && G_IS_NETWORK_ADDRESS (identity)
      && g_strcmp0 (purpose, G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER) == 0
      && lk_tls_trust_accept (self->extra_anchors, chain, errors,
                              g_network_address_get_hostname (G_NETWORK_ADDRESS (identity)),
                              g_network_address_get_port (G_NETWORK_ADDRESS (identity))))
    return 0;
  return errors;
}

/* The rest is the system store's, for whoever asks. */

static char *
lk_tls_trust_database_create_certificate_handle (GTlsDatabase    *database,
                                                 GTlsCertificate *certificate)
{
  return g_tls_database_create_certificate_handle (LK_TLS_TRUST_DATABASE (database)->system,
                                                   certificate);
}

static GTlsCertificate *
lk_tls_trust_database_lookup_certificate_for_handle (GTlsDatabase             *database,
                                                     const char               *handle,
                                                     GTlsInteraction          *interaction,
                                                     GTlsDatabaseLookupFlags   flags,
                                                     GCancellable             *cancellable,
                                                     GError                  **error)
{
  return g_tls_database_lookup_certificate_for_handle (LK_TLS_TRUST_DATABASE (database)->system,
                                                       handle, interaction, flags, cancellable,
                                                       error);
}

static GTlsCertificate *
lk_tls_trust_database_lookup_certificate_issuer (GTlsDatabase             *database,
                                                 GTlsCertificate          *certificate,
                                                 GTlsInteraction          *interaction,
                                                 GTlsDatabaseLookupFlags   flags,
                                                 GCancellable             *cancellable,
                                                 GError                  **error)
{
  return g_tls_database_lookup_certificate_issuer (LK_TLS_TRUST_DATABASE (database)->system,
                                                   certificate, interaction, flags, cancellable,
                                                   error);
}

static GList *
lk_tls_trust_database_lookup_certificates_issued_by (GTlsDatabase             *database,
                                                     GByteArray               *issuer,
                                                     GTlsInteraction          *interaction,
                                                     GTlsDatabaseLookupFlags   flags,
                                                     GCancellable             *cancellable,
                                                     GError                  **error)
{
  return g_tls_database_lookup_certificates_issued_by (LK_TLS_TRUST_DATABASE (database)->system,
                                                       issuer, interaction, flags, cancellable,
                                                       error);
}

static void
lk_tls_trust_database_finalize (GObject *object)
{
  LkTlsTrustDatabase *self = LK_TLS_TRUST_DATABASE (object);

  g_clear_object (&self->system);
  g_clear_object (&self->extra_anchors);
  G_OBJECT_CLASS (lk_tls_trust_database_parent_class)->finalize (object);
}

static void
lk_tls_trust_database_class_init (LkTlsTrustDatabaseClass *klass)
{
  GTlsDatabaseClass *database_class = G_TLS_DATABASE_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = lk_tls_trust_database_finalize;
  database_class->verify_chain = lk_tls_trust_database_verify_chain;
  database_class->create_certificate_handle = lk_tls_trust_database_create_certificate_handle;
  database_class->lookup_certificate_for_handle = lk_tls_trust_database_lookup_certificate_for_handle;
  database_class->lookup_certificate_issuer = lk_tls_trust_database_lookup_certificate_issuer;
  database_class->lookup_certificates_issued_by = lk_tls_trust_database_lookup_certificates_issued_by;
}

static void
lk_tls_trust_database_init (LkTlsTrustDatabase *self)
{
  self->system = g_tls_backend_get_default_database (g_tls_backend_get_default ());
}

/**
 * lk_tls_trust_database_new:
 * @extra_anchors: (nullable): a profile's anchors, from
 *   lk_tls_trust_load_ca_file()
 */
GTlsDatabase *
lk_tls_trust_database_new (GTlsDatabase *extra_anchors)
{
  LkTlsTrustDatabase *self = g_object_new (LK_TYPE_TLS_TRUST_DATABASE, NULL);

  g_set_object (&self->extra_anchors, extra_anchors);
  return G_TLS_DATABASE (self);
}

/**
 * lk_tls_trust_client_connection_new:
 * @extra_anchors: (nullable): a profile's anchors
 *
 * g_tls_client_connection_new() whose database is an LkTlsTrustDatabase
 * from the start: given later, glib-networking would build its credentials
 * twice.
 */
GIOStream *
lk_tls_trust_client_connection_new (GIOStream           *base,
                                    GSocketConnectable  *identity,
                                    GTlsDatabase        *extra_anchors,
                                    GError             **error)
{
  g_autoptr(GTlsDatabase) database = lk_tls_trust_database_new (extra_anchors);
  GTlsBackend *backend = g_tls_backend_get_default ();

  return g_initable_new (g_tls_backend_get_client_connection_type (backend), NULL, error,
                         "base-io-stream", base,
                         "server-identity", identity,
                         "database", database,
                         NULL);
}
