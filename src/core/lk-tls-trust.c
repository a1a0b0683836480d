/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Trusting a profile's extra certificate authority (its "ca_file": an
 * internal CA, or the tests'), in addition to the system's and never
 * instead of it. LkHttp and the mail probes both ask here, from their
 * GTlsConnection/SoupMessage "accept-certificate" handlers: glib-networking
 * cannot merge two trust databases, so a certificate the system store
 * refused is verified again against the profile's file alone. */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-file.h"
#include "lk-tls-trust.h"

/**
 * lk_tls_trust_load_ca_file:
 * @ca_file: a PEM file of trust anchors
 *
 * Returns: (transfer full): the anchors, or %NULL with an error that names
 *   the file
 */
GTlsDatabase *
lk_tls_trust_load_ca_file (const char  *ca_file,
                           GError     **error)
{
  GTlsDatabase *database;

  g_return_val_if_fail (ca_file != NULL, NULL);

  /* A profile handed around may name a FIFO or a device: reading it would
   * hang the probe, the sign-in or the bridge (SECURITY.md). */
  if (!lk_file_check_regular (ca_file, error))
    return NULL;
  database = g_tls_file_database_new (ca_file, error);
  if (database == NULL)
    g_prefix_error (error, _("Could not read the certificate authority file “%s”: "), ca_file);
  return database;
}

/**
 * lk_tls_trust_accept:
 * @extra_anchors: (nullable): from lk_tls_trust_load_ca_file(); %NULL
 *   accepts nothing
 * @peer_errors: what the system's verification found
 * @host: the name the connection was made to
 *
 * Whether a certificate the system store refused is good after all,
 * because the profile's own CA issued it for @host:
 *
 * - only an unknown issuer can be cured by more anchors: a certificate
 *   that is also expired, revoked, not yet valid or for another name
 *   stays refused, whoever issued it;
 * - the chain must lead to one of @extra_anchors, checked for @host;
 * - and the name is checked once more on its own, because not every TLS
 *   backend checks the identity in g_tls_database_verify_chain().
 *
 * Returns: %TRUE to accept the connection
 */
gboolean
lk_tls_trust_accept (GTlsDatabase         *extra_anchors,
                     GTlsCertificate      *peer,
                     GTlsCertificateFlags  peer_errors,
                     const char           *host,
                     guint16               port)
{
  g_autoptr(GSocketConnectable) identity = NULL;
  g_autoptr(GError) error = NULL;
  GTlsCertificateFlags flags;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (peer), FALSE);

  if (extra_anchors == NULL || host == NULL)
    return FALSE;
  if ((peer_errors & ~G_TLS_CERTIFICATE_UNKNOWN_CA) != 0)
    return FALSE;
  identity = g_network_address_new (host, port);
  flags = g_tls_database_verify_chain (extra_anchors, peer,
                                       G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                       identity, NULL, G_TLS_DATABASE_VERIFY_NONE,
                                       NULL, &error);
  if (error != NULL)
    {
      g_debug ("The profile's certificate authority could not verify %s: %s", host,
               error->message);
      return FALSE;
    }
  flags |= g_tls_certificate_verify (peer, identity, NULL) & G_TLS_CERTIFICATE_BAD_IDENTITY;
  return flags == 0;
}
