/* SPDX-License-Identifier: GPL-3.0-or-later */
/* This computer and its connection: the keyring, TLS certificates (one row
 * per certificate problem, in the order GLib's flags are checked), and the
 * network (one row per kind of failure). */
#define G_LOG_DOMAIN "latchkey-diagnose"

#include "config.h"

#include "diagnose/lk-diagnose-private.h"

/* ---- the keyring ------------------------------------------------------ */

static const LkDiagnosisTemplate keyring_unavailable = {
  "keyring-unavailable", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
  N_("The keyring is not available"),
  N_("Latchkey keeps sign-ins in the system keyring (Secret Service), which is not running or "
     "stays locked."),
  { N_("Unlock the keyring (log in to the desktop session), or start a Secret Service such as "
       "GNOME Keyring.") },
};

/* ---- TLS -------------------------------------------------------------- */

/* What the explanation names after the host. */
typedef enum
{
  NAMES_HOST,
  NAMES_SUBJECT,   /* …and the certificate's subject */
  NAMES_EXPIRY,    /* …and when it expired */
} TlsNames;

typedef struct
{
  GTlsCertificateFlags  flags;        /* any of these */
  GTlsError             tls_error;    /* or this G_TLS_ERROR code; 0 for none */
  const char           *id;
  const char           *title;        /* N_() */
  const char           *explanation;  /* N_(): "%s" the host, then what @names says */
  TlsNames              names;
} TlsRule;

static const TlsRule tls_rules[] = {
  { G_TLS_CERTIFICATE_BAD_IDENTITY, 0, "tls-wrong-host",
    N_("The server's certificate is for another host"),
    N_("Latchkey connected to %s, but the certificate it showed is for %s. Someone may be "
       "intercepting the connection, or the host name is not the one the server is known by."),
    NAMES_SUBJECT },
  { G_TLS_CERTIFICATE_EXPIRED, 0, "tls-expired",
    N_("The server's certificate has expired"),
    N_("The certificate of %s expired on %s. Check that this computer's clock is right; "
       "otherwise the server's operator must renew it."),
    NAMES_EXPIRY },
  { G_TLS_CERTIFICATE_NOT_ACTIVATED, 0, "tls-not-yet-valid",
    N_("The server's certificate is not valid yet"),
    N_("The certificate of %s is not valid yet. Likely this computer's clock is wrong."),
    NAMES_HOST },
  { G_TLS_CERTIFICATE_REVOKED, 0, "tls-revoked",
    N_("The server's certificate was revoked"),
    N_("The certificate of %s was revoked by whoever issued it."),
    NAMES_HOST },
  { G_TLS_CERTIFICATE_UNKNOWN_CA | G_TLS_CERTIFICATE_INSECURE | G_TLS_CERTIFICATE_GENERIC_ERROR,
    G_TLS_ERROR_BAD_CERTIFICATE, "tls-untrusted",
    N_("The server's certificate is not trusted"),
    N_("The certificate of %s (%s) is not signed by an authority this computer trusts. A "
       "company proxy or antivirus may be intercepting the connection, or the server uses its "
       "own certificate authority."),
    NAMES_SUBJECT },
};

static char *
explain_tls (const LkDiagnoseContext *ctx,
             const TlsRule           *rule,
             const char              *host)
{
  const LkDiagnoseInput *in = ctx->in;
  g_autofree char *expiry = NULL;

  switch (rule->names)
    {
    case NAMES_SUBJECT:
      return lk_diagnose_format_row (rule->explanation, host,
                                     in->tls_subject != NULL ? in->tls_subject
                                     : rule->flags & G_TLS_CERTIFICATE_BAD_IDENTITY ? _("another name")
                                     : _("no subject"));
    case NAMES_EXPIRY:
      if (in->tls_not_after > 0)
        {
          g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (in->tls_not_after);

          if (dt != NULL)
            expiry = g_date_time_format (dt, "%Y-%m-%d %H:%M UTC");
        }
      return lk_diagnose_format_row (rule->explanation, host,
                                     expiry != NULL ? expiry : _("an unknown date"));
    case NAMES_HOST:
    default:
      return lk_diagnose_format_row (rule->explanation, host);
    }
}

static LkDiagnosis *
diagnose_tls (const LkDiagnoseContext *ctx)
{
  const LkDiagnoseInput *in = ctx->in;
  const char *host = lk_diagnose_pick_host (ctx);
  GTlsCertificateFlags flags = in->tls_flags;
  g_autofree char *explanation = NULL;
  LkDiagnosis *d;

  if (host == NULL)
    host = "?";
  if (flags == 0 && in->tls_not_after > 0 && in->tls_not_after < ctx->now)
    flags = G_TLS_CERTIFICATE_EXPIRED;

  if (g_error_matches (in->error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS))
    {
      explanation = g_strdup_printf (_("%s did not answer with TLS. Likely the port expects "
                                       "STARTTLS or plain text, not TLS from the start."), host);
      d = lk_diagnose_new (ctx, "tls-not-tls", LK_FIXER_USER, LK_CONFIDENCE_LIKELY,
                           _("The server does not speak TLS on this port"), explanation);
      lk_diagnosis_add_step (d, _("Check the server's port and security setting (993 and 995 use "
                                  "TLS, 587 uses STARTTLS)."));
      return d;
    }

  for (guint i = 0; i < G_N_ELEMENTS (tls_rules); i++)
    {
      const TlsRule *rule = &tls_rules[i];

      if ((flags & rule->flags) == 0 &&
          !(rule->tls_error != 0 && g_error_matches (in->error, G_TLS_ERROR, rule->tls_error)))
        continue;
      explanation = explain_tls (ctx, rule, host);
      d = lk_diagnose_new (ctx, rule->id, LK_FIXER_PROVIDER, LK_CONFIDENCE_CERTAIN,
                           _(rule->title), explanation);
      if (in->tls_fingerprint != NULL)
        lk_diagnose_add_step_printf (d, _("Compare the certificate's SHA-256 fingerprint with the "
                                          "one the server's operator publishes: %s"),
                                     in->tls_fingerprint);
      lk_diagnosis_add_step (d, _("Do not continue on a network you do not trust. If your "
                                  "organisation uses its own certificate authority, add it to the "
                                  "provider profile (ca_file)."));
      return d;
    }

  explanation = g_strdup_printf (_("The secure connection to %s failed: %s"), host,
                                 in->error->message);
  d = lk_diagnose_new (ctx, "tls-handshake-failed", LK_FIXER_PROVIDER, LK_CONFIDENCE_UNKNOWN,
                       _("The secure connection failed"), explanation);
  g_free (d->raw);
  d->raw = g_strdup (in->error->message);
  return d;
}

/* ---- the network ------------------------------------------------------ */

#define ANY_CODE (-1)

typedef struct
{
  struct { GQuark (*domain) (void); int code; } errors[3];  /* any of these */
  const char   *id;
  LkFixer       fixer;
  LkConfidence  confidence;
  const char   *title;         /* N_() */
  const char   *explanation;   /* N_(): "%s" the host */
  const char   *step;          /* N_() */
} NetworkRule;

static const NetworkRule network_rules[] = {
  { { { g_resolver_error_quark, ANY_CODE }, { g_io_error_quark, G_IO_ERROR_HOST_NOT_FOUND } },
    "dns-not-resolved", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
    N_("The server's name was not found"),
    N_("The name %s could not be looked up. Either this computer is offline, its DNS is not "
       "working, or the name is misspelt."),
    N_("Check the network connection and the server's name.") },
  { { { g_io_error_quark, G_IO_ERROR_CONNECTION_REFUSED } },
    "connection-refused", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
    N_("The server refused the connection"),
    N_("%s refused the connection: nothing listens on that port, or a firewall rejects it."),
    N_("Check the server's port; if it is right, a firewall on this network may block it.") },
  { { { g_io_error_quark, G_IO_ERROR_TIMED_OUT }, { lk_error_quark, LK_ERROR_TIMED_OUT } },
    "connection-timed-out", LK_FIXER_PROVIDER, LK_CONFIDENCE_LIKELY,
    N_("The server did not answer"),
    N_("%s did not answer in time. Likely a firewall silently drops the connection (networks "
       "often block mail ports), or the server is down."),
    N_("Try again later or from another network; ask the network's operator whether mail ports "
       "are blocked.") },
  { { { g_io_error_quark, G_IO_ERROR_NETWORK_UNREACHABLE },
      { g_io_error_quark, G_IO_ERROR_HOST_UNREACHABLE },
      { lk_error_quark, LK_ERROR_NETWORK } },
    "network-unreachable", LK_FIXER_USER, LK_CONFIDENCE_CERTAIN,
    N_("The server could not be reached"),
    N_("%s could not be reached from this computer."),
    N_("Check the network connection.") },
};

static gboolean
network_rule_matches (const NetworkRule *rule,
                      const GError      *error)
{
  for (guint i = 0; i < G_N_ELEMENTS (rule->errors) && rule->errors[i].domain != NULL; i++)
    if (error->domain == rule->errors[i].domain () &&
        (rule->errors[i].code == ANY_CODE || error->code == rule->errors[i].code))
      return TRUE;
  return FALSE;
}

/**
 * lk_diagnose_network:
 *
 * Returns: (nullable): the diagnosis of a keyring, TLS or network failure
 */
LkDiagnosis *
lk_diagnose_network (const LkDiagnoseContext *ctx)
{
  const GError *error = ctx->in->error;
  const char *host = lk_diagnose_pick_host (ctx);

  if (g_error_matches (error, LK_ERROR, LK_ERROR_KEYRING))
    {
      LkDiagnosis *d = lk_diagnose_from_template (ctx, &keyring_unavailable);

      g_free (d->raw);
      d->raw = g_strdup (error->message);
      return d;
    }
  if (error->domain == G_TLS_ERROR)
    return diagnose_tls (ctx);

  for (guint i = 0; i < G_N_ELEMENTS (network_rules); i++)
    {
      const NetworkRule *rule = &network_rules[i];
      g_autofree char *explanation = NULL;
      LkDiagnosis *d;

      if (!network_rule_matches (rule, error))
        continue;
      explanation = lk_diagnose_format_row (rule->explanation,
                                            host != NULL ? host : _("the server"));
      d = lk_diagnose_new (ctx, rule->id, rule->fixer, rule->confidence, _(rule->title),
                           explanation);
      lk_diagnosis_add_step (d, _(rule->step));
      if (d->raw == NULL)
        d->raw = g_strdup (error->message);
      return d;
    }
  return NULL;
}
