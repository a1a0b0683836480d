/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-bridge"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#include "bridge/lk-bridge-certificate.h"
#include "lk-error.h"
#include "lk-places.h"

/* The bridge's own certificate for STARTTLS and implicit TLS on loopback:
 * self-signed, ECDSA P-256, valid ten years, for "localhost" and
 * 127.0.0.1. Mail programs either trust it (its file, or its SHA-256
 * fingerprint, which `bridge status` shows) or, on loopback, skip TLS. */

#define VALID_DAYS (10 * 365 + 3)

char *
lk_bridge_certificate_default_directory (void)
{
  return lk_places_build_path (LK_PLACE_DATA, "bridge", NULL);
}

static gboolean
gnutls_failed (int      ret,
               GError **error)
{
  if (ret >= 0)
    return FALSE;
  g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
               _("Could not make the bridge’s certificate: %s"), gnutls_strerror (ret));
  return TRUE;
}

typedef struct
{
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t     crt;
  gnutls_datum_t        key_pem;
  gnutls_datum_t        crt_pem;
} Making;

static void
making_clear (Making *making)
{
  if (making->key_pem.data != NULL)
    {
      explicit_bzero (making->key_pem.data, making->key_pem.size);
      gnutls_free (making->key_pem.data);
    }
  if (making->crt_pem.data != NULL)
    gnutls_free (making->crt_pem.data);
  if (making->crt != NULL)
    gnutls_x509_crt_deinit (making->crt);
  if (making->key != NULL)
    gnutls_x509_privkey_deinit (making->key);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Making, making_clear)

static gboolean
make_key_and_certificate (Making  *making,
                          GError **error)
{
  static const guint8 loopback[4] = { 127, 0, 0, 1 };
  guint8 serial[16];
  time_t now = time (NULL);

  if (gnutls_failed (gnutls_x509_privkey_init (&making->key), error)
      || gnutls_failed (gnutls_x509_privkey_generate (making->key, GNUTLS_PK_ECDSA,
                                                      GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1),
                                                      0), error)
      || gnutls_failed (gnutls_x509_crt_init (&making->crt), error)
      || gnutls_failed (gnutls_x509_crt_set_version (making->crt, 3), error))
    return FALSE;
  if (gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial) != 0)
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_FAILED, _("No random numbers"));
      return FALSE;
    }
  serial[0] &= 0x7f;   /* a positive number (RFC 5280 §4.1.2.2) */
  return !(gnutls_failed (gnutls_x509_crt_set_serial (making->crt, serial, sizeof serial), error)
           || gnutls_failed (gnutls_x509_crt_set_activation_time (making->crt, now - 3600), error)
           || gnutls_failed (gnutls_x509_crt_set_expiration_time (making->crt,
                                                                   now + (time_t) VALID_DAYS * 86400), error)
           || gnutls_failed (gnutls_x509_crt_set_dn_by_oid (making->crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                                            "localhost", strlen ("localhost")), error)
           || gnutls_failed (gnutls_x509_crt_set_dn_by_oid (making->crt, GNUTLS_OID_X520_ORGANIZATION_NAME,
                                                            0, "Latchkey bridge",
                                                            strlen ("Latchkey bridge")), error)
           || gnutls_failed (gnutls_x509_crt_set_subject_alt_name (making->crt, GNUTLS_SAN_DNSNAME,
                                                                   "localhost", strlen ("localhost"),
                                                                   GNUTLS_FSAN_SET), error)
           || gnutls_failed (gnutls_x509_crt_set_subject_alt_name (making->crt, GNUTLS_SAN_IPADDRESS,
                                                                   loopback, sizeof loopback,
                                                                   GNUTLS_FSAN_APPEND), error)
           /* Self-signed and its own trust anchor: mail programs load the
            * file as their CA; OpenSSL and GnuTLS both want CA:TRUE for it. */
           || gnutls_failed (gnutls_x509_crt_set_basic_constraints (making->crt, 1, 0), error)
           || gnutls_failed (gnutls_x509_crt_set_key_usage (making->crt, GNUTLS_KEY_DIGITAL_SIGNATURE
                                                                         | GNUTLS_KEY_KEY_CERT_SIGN), error)
           || gnutls_failed (gnutls_x509_crt_set_key_purpose_oid (making->crt, GNUTLS_KP_TLS_WWW_SERVER, 0),
                             error)
           || gnutls_failed (gnutls_x509_crt_set_key (making->crt, making->key), error)
           || gnutls_failed (gnutls_x509_crt_set_subject_key_id (making->crt, serial, 8), error)
           || gnutls_failed (gnutls_x509_crt_sign2 (making->crt, making->crt, making->key,
                                                    GNUTLS_DIG_SHA256, 0), error)
           || gnutls_failed (gnutls_x509_privkey_export2 (making->key, GNUTLS_X509_FMT_PEM,
                                                          &making->key_pem), error)
           || gnutls_failed (gnutls_x509_crt_export2 (making->crt, GNUTLS_X509_FMT_PEM,
                                                      &making->crt_pem), error));
}

static gboolean
generate (const char  *cert_path,
          const char  *key_path,
          GError     **error)
{
  g_auto(Making) making = { NULL, NULL, { NULL, 0 }, { NULL, 0 } };

  if (!make_key_and_certificate (&making, error))
    return FALSE;
  /* The key first: a certificate without its key would be useless. */
  if (!g_file_set_contents_full (key_path, (const char *) making.key_pem.data, making.key_pem.size,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error)
      || !g_file_set_contents_full (cert_path, (const char *) making.crt_pem.data,
                                    making.crt_pem.size,
                                    G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                    0600, error))
    {
      g_prefix_error (error, _("Could not save the bridge’s certificate: "));
      return FALSE;
    }
  return TRUE;
}

/**
 * lk_bridge_certificate_ensure:
 * @directory: (nullable): where cert.pem and key.pem live (0600 in a 0700
 *   folder); %NULL for `bridge` in %LK_PLACE_DATA (`$XDG_DATA_HOME/latchkey/bridge`)
 *
 * Loads the bridge's certificate, making it first if there is none.
 */
GTlsCertificate *
lk_bridge_certificate_ensure (const char  *directory,
                              GError     **error)
{
  g_autofree char *dir = directory != NULL ? g_strdup (directory)
                                           : lk_bridge_certificate_default_directory ();
  g_autofree char *cert_path = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key_path = g_build_filename (dir, "key.pem", NULL);
  GTlsCertificate *certificate;

  if (!g_file_test (cert_path, G_FILE_TEST_EXISTS) || !g_file_test (key_path, G_FILE_TEST_EXISTS))
    {
      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Could not create the folder %s: %s"), dir, g_strerror (saved));
          return NULL;
        }
      if (!generate (cert_path, key_path, error))
        return NULL;
    }
  certificate = g_tls_certificate_new_from_files (cert_path, key_path, error);
  if (certificate == NULL)
    g_prefix_error (error, _("Could not load the bridge’s certificate from %s (remove %s to "
                             "make a new one): "), cert_path, dir);
  return certificate;
}
