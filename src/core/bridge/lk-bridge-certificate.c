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
 * fingerprint, which `bridge status` shows) or, on loopback, skip TLS.
 * The office bridge adds names: the host name and every LAN address it
 * listens on (RFC 6125 §6.4: a client checks the name or address it was
 * told against the SANs), so a printer that checks certificates finds the
 * address typed into it; a certificate that lacks one is made again. */

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

/* Each of @names as a SAN: an IP address when it parses as one, else a
 * DNS name. */
static gboolean
add_names (gnutls_x509_crt_t    crt,
           const char * const  *names,
           GError             **error)
{
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (names[i]);

      if (inet != NULL)
        {
          if (gnutls_failed (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS,
                                                                   g_inet_address_to_bytes (inet),
                                                                   g_inet_address_get_native_size (inet),
                                                                   GNUTLS_FSAN_APPEND), error))
            return FALSE;
        }
      else if (gnutls_failed (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, names[i],
                                                                    strlen (names[i]),
                                                                    GNUTLS_FSAN_APPEND), error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
make_key_and_certificate (Making              *making,
                          const char * const  *names,
                          GError             **error)
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
           || !add_names (making->crt, names, error)
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
generate (const char          *cert_path,
          const char          *key_path,
          const char * const  *names,
          GError             **error)
{
  g_auto(Making) making = { NULL, NULL, { NULL, 0 }, { NULL, 0 } };

  if (!make_key_and_certificate (&making, names, error))
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

/* Whether the certificate in @cert_path names each of @names. */
static gboolean
covers (const char          *cert_path,
        const char * const  *names)
{
  g_autofree char *pem = NULL;
  gsize length = 0;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t datum;
  gboolean ok = TRUE;

  if (names == NULL || names[0] == NULL)
    return TRUE;
  if (!g_file_get_contents (cert_path, &pem, &length, NULL) || gnutls_x509_crt_init (&crt) < 0)
    return FALSE;
  datum.data = (unsigned char *) pem;
  datum.size = length;
  if (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_PEM) < 0)
    ok = FALSE;
  for (guint i = 0; ok && names[i] != NULL; i++)
    {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (names[i]);

      if (inet != NULL)
        ok = gnutls_x509_crt_check_ip (crt, g_inet_address_to_bytes (inet),
                                       g_inet_address_get_native_size (inet), 0) != 0;
      else
        ok = gnutls_x509_crt_check_hostname2 (crt, names[i], 0) != 0;
    }
  gnutls_x509_crt_deinit (crt);
  return ok;
}

/**
 * lk_bridge_certificate_ensure:
 * @directory: (nullable): where cert.pem and key.pem live (0600 in a 0700
 *   folder); %NULL for `bridge` in %LK_PLACE_DATA (`$XDG_DATA_HOME/latchkey/bridge`)
 * @names: (nullable) (array zero-terminated=1): host names and addresses
 *   the certificate must name besides localhost and 127.0.0.1
 *
 * Loads the bridge's certificate, making it first if there is none or if
 * it lacks one of @names (its fingerprint then changes: the log says so).
 */
GTlsCertificate *
lk_bridge_certificate_ensure (const char          *directory,
                              const char * const  *names,
                              GError             **error)
{
  g_autofree char *dir = directory != NULL ? g_strdup (directory)
                                           : lk_bridge_certificate_default_directory ();
  g_autofree char *cert_path = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key_path = g_build_filename (dir, "key.pem", NULL);
  GTlsCertificate *certificate;
  gboolean exists = g_file_test (cert_path, G_FILE_TEST_EXISTS)
                    && g_file_test (key_path, G_FILE_TEST_EXISTS);

  if (!exists || !covers (cert_path, names))
    {
      if (exists)
        g_message ("Making a new certificate: %s does not name every address the bridge "
                   "listens on", cert_path);
      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Could not create the folder %s: %s"), dir, g_strerror (saved));
          return NULL;
        }
      if (!generate (cert_path, key_path, names, error))
        return NULL;
    }
  certificate = g_tls_certificate_new_from_files (cert_path, key_path, error);
  if (certificate == NULL)
    g_prefix_error (error, _("Could not load the bridge’s certificate from %s (remove %s to "
                             "make a new one): "), cert_path, dir);
  return certificate;
}

/**
 * lk_bridge_certificate_load:
 *
 * IT's own certificate and key (`--cert FILE --key FILE`), PEM.
 */
GTlsCertificate *
lk_bridge_certificate_load (const char  *cert_file,
                            const char  *key_file,
                            GError     **error)
{
  GTlsCertificate *certificate = g_tls_certificate_new_from_files (cert_file, key_file, error);

  if (certificate == NULL)
    g_prefix_error (error, _("Could not load the certificate %s with the key %s: "), cert_file,
                    key_file);
  return certificate;
}
