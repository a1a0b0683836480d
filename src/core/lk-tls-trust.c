/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Trusting a profile's extra certificate authority (its "ca_file": an
 * internal CA, or the tests'), in addition to the system's and never
 * instead of it. LkHttp and the mail probes both ask here, from their
 * GTlsConnection/SoupMessage "accept-certificate" handlers: glib-networking
 * cannot merge two trust databases, so a certificate the system store
 * refused is verified again against the profile's file alone. */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include <sys/stat.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "lk-file.h"
#include "lk-tls-trust.h"

/* One database per file for the whole process, shared by every connection
 * that names it: the bridge keeps a TLS connection per relayed session, and
 * each keeps its database (with the anchors parsed into libtasn1 trees,
 * ~17 KiB for one certificate) as long as it lives (doc/bridge.md
 * "Performance"). A file that changed (inode, size, modification time) is
 * read again; GTlsDatabase is immutable and thread-safe once made. */
typedef struct
{
  GTlsDatabase *database;
  dev_t         device;
  ino_t         inode;
  goffset       size;
  gint64        mtime_ns;
} CachedFile;

static void
cached_file_free (CachedFile *cached)
{
  g_object_unref (cached->database);
  g_free (cached);
}

static GMutex cache_lock;
static GHashTable *cache;   /* path → CachedFile */

static gboolean
cached_file_matches (const CachedFile  *cached,
                     const struct stat *st)
{
  return cached->device == st->st_dev && cached->inode == st->st_ino
         && cached->size == st->st_size
         && cached->mtime_ns == (gint64) st->st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
                                + st->st_mtim.tv_nsec;
}

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
  g_autoptr(GMutexLocker) locker = NULL;
  GTlsDatabase *database;
  CachedFile *cached;
  struct stat st;
  gboolean stamped;

  g_return_val_if_fail (ca_file != NULL, NULL);

  /* A profile handed around may name a FIFO or a device: reading it would
   * hang the probe, the sign-in or the bridge (SECURITY.md). */
  if (!lk_file_check_regular (ca_file, error))
    return NULL;
  locker = g_mutex_locker_new (&cache_lock);
  if (cache == NULL)
    cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify) cached_file_free);
  /* Stat before reading: a file replaced while it is read is read again
   * next time rather than kept under the old stamp. */
  stamped = g_stat (ca_file, &st) == 0;
  if (stamped)
    {
      cached = g_hash_table_lookup (cache, ca_file);
      if (cached != NULL && cached_file_matches (cached, &st))
        return g_object_ref (cached->database);
    }
  database = g_tls_file_database_new (ca_file, error);
  if (database == NULL)
    {
      g_hash_table_remove (cache, ca_file);
      g_prefix_error (error, _("Could not read the certificate authority file “%s”: "), ca_file);
      return NULL;
    }
  if (!stamped)
    return database;
  cached = g_new0 (CachedFile, 1);
  cached->database = g_object_ref (database);
  cached->device = st.st_dev;
  cached->inode = st.st_ino;
  cached->size = st.st_size;
  cached->mtime_ns = (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
                     + st.st_mtim.tv_nsec;
  g_hash_table_replace (cache, g_strdup (ca_file), cached);
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
