/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* SASL for OAuth2 bearer tokens (doc/protocols.md A4). Pure functions:
 * no I/O. Every string returned by the *_initial_response() functions holds
 * the token: free it with lk_secret_wipe() + g_free(). */

typedef enum
{
  LK_SASL_NONE,
  LK_SASL_XOAUTH2,
  LK_SASL_OAUTHBEARER,
} LkSaslMechanism;

const char      *lk_sasl_mechanism_to_string        (LkSaslMechanism      mechanism);
LkSaslMechanism  lk_sasl_mechanism_from_string      (const char          *name);
char            *lk_sasl_xoauth2_initial_response   (const char          *user,
                                                     const char          *access_token) G_GNUC_WARN_UNUSED_RESULT;
char            *lk_sasl_oauthbearer_initial_response (const char        *user,
                                                     const char          *host,
                                                     guint                port,
                                                     const char          *access_token) G_GNUC_WARN_UNUSED_RESULT;
char            *lk_sasl_initial_response           (LkSaslMechanism      mechanism,
                                                     const char          *user,
                                                     const char          *host,
                                                     guint                port,
                                                     const char          *access_token) G_GNUC_WARN_UNUSED_RESULT;
guchar          *lk_sasl_base64_decode              (const char          *text,
                                                     gsize               *out_length) G_GNUC_WARN_UNUSED_RESULT;
char            *lk_sasl_decode_challenge           (const char          *base64) G_GNUC_WARN_UNUSED_RESULT;
const char      *lk_sasl_failure_reply              (LkSaslMechanism      mechanism);
LkSaslMechanism  lk_sasl_choose                     (const char * const  *preferred,
                                                     const char * const  *advertised);

G_END_DECLS
