/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one entry point, lk_diagnose(): it works out what the input says
 * (lk-diagnose-private.h's context), asks the catalogues in turn, and
 * gives an honest "unrecognised" when none knows the failure. The helpers
 * here are the ones every catalogue uses. */
#define G_LOG_DOMAIN "latchkey-diagnose"

#include "config.h"

#include <string.h>

#include "diagnose/lk-diagnose-private.h"
#include "providers/lk-microsoft.h"

#define MSA_CONSUMER_TENANT "9188040d-6c67-4c5b-b112-36a304b66dad"

/* ---- helpers ---------------------------------------------------------- */

static char *
dup_trimmed (const char *text)
{
  return text != NULL ? g_strstrip (g_strdup (text)) : NULL;
}

/* A new diagnosis with the server's or the provider's own words as "raw". */
LkDiagnosis *
lk_diagnose_new (const LkDiagnoseContext *ctx,
                 const char              *id,
                 LkFixer                  fixer,
                 LkConfidence             confidence,
                 const char              *title,
                 const char              *explanation)
{
  LkDiagnosis *d = lk_diagnosis_new (id, fixer, confidence, title, explanation);

  if (ctx->reply != NULL)
    d->raw = dup_trimmed (ctx->reply);
  else if (ctx->description != NULL)
    d->raw = dup_trimmed (ctx->description);
  else if (ctx->oauth_error != NULL)
    d->raw = g_strdup (ctx->oauth_error);
  return d;
}

/* A catalogue's row, translated. */
LkDiagnosis *
lk_diagnose_from_template (const LkDiagnoseContext   *ctx,
                           const LkDiagnosisTemplate *template)
{
  LkDiagnosis *d = lk_diagnose_new (ctx, template->id, template->fixer, template->confidence,
                                    _(template->title), _(template->explanation));

  for (guint i = 0; i < G_N_ELEMENTS (template->steps) && template->steps[i] != NULL; i++)
    lk_diagnosis_add_step (d, _(template->steps[i]));
  if (template->portal_path != NULL)
    d->portal_path = g_strdup (_(template->portal_path));
  return d;
}

/* A catalogue row's N_() format, translated and filled in. The rows are
 * constants of this library; msgfmt --check-format checks the translations'
 * placeholders against them. */
char *
lk_diagnose_format_row (const char *format,
                        ...)
{
  va_list args;
  char *text;

  /* The formats are the catalogue tables' N_() rows, never outside text;
   * each row's arguments are pinned by tests/diagnose/test-diagnose.c.
   * clang cannot see through the table, so it would refuse the call. */
  va_start (args, format);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  text = g_strdup_vprintf (_(format), args);
#pragma GCC diagnostic pop
  va_end (args);
  return text;
}

void
lk_diagnose_add_step_printf (LkDiagnosis *d,
                             const char  *format,
                             ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  lk_diagnosis_add_step (d, text);
}

void
lk_diagnose_set_portal_printf (LkDiagnosis *d,
                               const char  *format,
                               ...)
{
  va_list args;

  va_start (args, format);
  g_free (d->portal_path);
  d->portal_path = g_strdup_vprintf (format, args);
  va_end (args);
}

/* "https://outlook.office.com/SMTP.Send" and "SMTP.Send" are the same. */
gboolean
lk_diagnose_has_word (const char *list,
                      const char *word)
{
  g_auto(GStrv) words = NULL;

  if (list == NULL)
    return FALSE;
  words = g_strsplit_set (list, " ,", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      const char *w = words[i];
      const char *slash = strrchr (w, '/');

      if (slash != NULL)
        w = slash + 1;
      if (g_ascii_strcasecmp (w, word) == 0)
        return TRUE;
    }
  return FALSE;
}

gboolean
lk_diagnose_contains_ci (const char *haystack,
                         const char *needle)
{
  g_autofree char *h = NULL;
  g_autofree char *n = NULL;

  if (haystack == NULL)
    return FALSE;
  h = g_utf8_casefold (haystack, -1);
  n = g_utf8_casefold (needle, -1);
  return strstr (h, n) != NULL;
}

const char *
lk_diagnose_email_domain (const char *email)
{
  const char *at = email != NULL ? strrchr (email, '@') : NULL;

  return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}

/* The tenant to name in URLs and commands: the account's own, else the
 * one looked up for it, else the token's tid, else the address's domain (a
 * verified domain names a tenant too, doc/protocols.md A1). */
const char *
lk_diagnose_pick_tenant (const LkDiagnoseContext *ctx)
{
  const char *tenant = ctx->account != NULL ? lk_account_get_tenant (ctx->account) : NULL;

  if (!lk_microsoft_tenant_is_placeholder (tenant))
    return tenant;
  if (!lk_microsoft_tenant_is_placeholder (ctx->in->tenant))
    return ctx->in->tenant;
  if (ctx->in->claim_tid != NULL && *ctx->in->claim_tid != '\0')
    return ctx->in->claim_tid;
  return lk_diagnose_email_domain (ctx->mailbox);
}

const char *
lk_diagnose_pick_client_id (const LkDiagnoseContext *ctx)
{
  return ctx->account != NULL ? lk_account_get_client_id (ctx->account) : NULL;
}

const char *
lk_diagnose_pick_host (const LkDiagnoseContext *ctx)
{
  if (ctx->in->host != NULL)
    return ctx->in->host;
  if (ctx->in->phase == LK_DIAGNOSE_PHASE_PROBE && ctx->account != NULL)
    {
      const LkServer *server = lk_provider_get_server (ctx->account->provider, ctx->in->protocol);

      if (server != NULL)
        return server->host;
    }
  return NULL;
}

/* The one link (lk_microsoft_admin_consent_url()) for the account's tenant,
 * client id and protocols: the same the IT window and `admin consent-url`
 * give for them. Its redirect is the registered http://localhost, not the
 * sign-in's loopback port, which is closed by the time anyone opens it. */
char *
lk_diagnose_admin_consent_link (const LkDiagnoseContext *ctx)
{
  if (ctx->account == NULL)
    return NULL;
  return lk_microsoft_admin_consent_url (ctx->account->provider, lk_diagnose_pick_tenant (ctx),
                                         lk_diagnose_pick_client_id (ctx),
                                         ctx->account->protocols, ctx->app_only, NULL, NULL,
                                         NULL);
}

char *
lk_diagnose_app_registration_portal (const LkDiagnoseContext *ctx,
                                     const char              *blade)
{
  const char *client_id = lk_diagnose_pick_client_id (ctx);

  /* Translators: the first %s is a client id (a GUID), the second a page
   * such as "Authentication" in the Entra admin center */
  return g_strdup_printf (_("Microsoft Entra admin center → App registrations → the app with "
                            "client id %s → %s"),
                          client_id != NULL ? client_id : _("(the app's client id)"), blade);
}

/* ---- context ---------------------------------------------------------- */

static void
ctx_init (LkDiagnoseContext     *ctx,
          const LkDiagnoseInput *in)
{
  LkProvider *provider;

  memset (ctx, 0, sizeof *ctx);
  ctx->in = in;
  ctx->details = lk_error_get_details (in->error);
  ctx->account = in->account;
  ctx->mailbox = in->account != NULL ? lk_account_get_sasl_user (in->account) : NULL;
  ctx->now = in->now != 0 ? in->now : g_get_real_time () / G_USEC_PER_SEC;

  ctx->reply = in->server_reply;
  if (ctx->details != NULL)
    {
      if (ctx->reply == NULL)
        ctx->reply = ctx->details->server_reply;
      ctx->oauth_error = ctx->details->oauth_error;
      ctx->description = ctx->details->oauth_error_description;
      ctx->aadsts = ctx->details->aadsts;
    }
  if (ctx->aadsts == 0)
    ctx->aadsts = lk_error_parse_aadsts (ctx->description);
  if (ctx->aadsts == 0 && in->error != NULL)
    ctx->aadsts = lk_error_parse_aadsts (in->error->message);

  provider = in->account != NULL ? in->account->provider : NULL;
  if (provider != NULL)
    {
      ctx->microsoft = g_strcmp0 (provider->kind, "microsoft") == 0;
      ctx->google = g_strcmp0 (provider->kind, "google") == 0;
      ctx->personal = ctx->microsoft &&
        (g_strcmp0 (provider->id, "outlook") == 0 ||
         g_strcmp0 (lk_account_get_tenant (in->account), "consumers") == 0);
    }
  if (ctx->aadsts != 0)
    ctx->microsoft = TRUE;
  /* Without a profile, Exchange's own wording gives it away (A4, A6). */
  if (provider == NULL && ctx->reply != NULL &&
      (strstr (ctx->reply, "AUTHENTICATE failed.") != NULL ||
       strstr (ctx->reply, "5.7.3 ") != NULL || strstr (ctx->reply, "5.7.139") != NULL ||
       strstr (ctx->reply, "unknown user name or bad password") != NULL))
    ctx->microsoft = TRUE;
  if (g_strcmp0 (in->claim_tid, MSA_CONSUMER_TENANT) == 0)
    ctx->personal = TRUE;
  ctx->app_only = (in->account != NULL && in->account->flow == LK_FLOW_APP_ONLY) ||
                  (in->claim_roles != NULL && in->claim_scp == NULL);
}

/* ---- entry points ----------------------------------------------------- */

static LkDiagnosis *
diagnose_unrecognised (const LkDiagnoseContext *ctx)
{
  LkDiagnosis *d;

  d = lk_diagnose_new (ctx, "unrecognised", LK_FIXER_UNKNOWN, LK_CONFIDENCE_UNKNOWN,
            _("Latchkey does not recognise this error"),
            _("Latchkey cannot tell what caused this. The exact words are below; the provider's "
              "or server's documentation, or your administrator, may know them."));
  if (d->raw == NULL)
    d->raw = g_strdup (ctx->in->error->message);
  return d;
}

/* The facts an administrator looks the failure up by ("Copy Details for
 * IT"), the same whichever rule matched. */
static void
add_facts (LkDiagnosis             *d,
           const LkDiagnoseContext *ctx)
{
  const char *tenant = ctx->account != NULL ? lk_account_get_tenant (ctx->account) : NULL;
  g_autofree char *consent = NULL;

  d->aadsts = ctx->aadsts;
  d->tenant = g_strdup (ctx->in->claim_tid != NULL && *ctx->in->claim_tid != '\0'
                        ? ctx->in->claim_tid : tenant);
  d->client_id = g_strdup (lk_diagnose_pick_client_id (ctx));
  d->time = ctx->now;
  if (ctx->details != NULL)
    {
      d->trace_id = g_strdup (ctx->details->trace_id);
      d->correlation_id = g_strdup (ctx->details->correlation_id);
    }
  if (ctx->in->phase == LK_DIAGNOSE_PHASE_PROBE)
    {
      const LkServer *server = ctx->account != NULL
        ? lk_provider_get_server (ctx->account->provider, ctx->in->protocol) : NULL;
      const char *host = lk_diagnose_pick_host (ctx);

      d->protocol = g_strdup (lk_protocol_get_name (ctx->in->protocol));
      if (host != NULL && server != NULL)
        d->server = g_strdup_printf ("%s:%u", host, server->port);
      else
        d->server = g_strdup (host);
    }
  else if (ctx->account != NULL)
    {
      g_autofree char *endpoint = lk_provider_dup_endpoint (ctx->account->provider,
                                                            LK_ENDPOINT_TOKEN, tenant);
      g_autoptr(GUri) uri = endpoint != NULL ? g_uri_parse (endpoint, G_URI_FLAGS_NONE, NULL)
                                             : NULL;

      d->server = uri != NULL ? g_strdup (g_uri_get_host (uri)) : NULL;
    }
  /* The consent link is offered as such; any other link explains. */
  consent = d->url != NULL ? lk_diagnose_admin_consent_link (ctx) : NULL;
  d->url_kind = consent != NULL && g_str_equal (d->url, consent)
    ? LK_DIAGNOSIS_LINK_ADMIN_CONSENT : LK_DIAGNOSIS_LINK_INFO;
}

/**
 * lk_diagnose:
 * @input: what failed and everything known around it
 *
 * Turns a failure into a diagnosis: what happened, who can fix it, how. Pure:
 * no I/O, no logging. Unknown failures get an honest "unrecognised" diagnosis
 * (id `unrecognised`) with the raw reply.
 *
 * Returns: (transfer full) (nullable): the diagnosis, or %NULL when the error
 *   is a cancellation, which nobody needs explained.
 */
LkDiagnosis *
lk_diagnose (const LkDiagnoseInput *input)
{
  LkDiagnosis *d = NULL;
  LkDiagnoseContext ctx;

  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (input->error != NULL, NULL);

  if (lk_error_is_cancelled (input->error))
    return NULL;
  ctx_init (&ctx, input);

  /* The most specific evidence first: what a server said, then Microsoft's
   * code, the OAuth error, Latchkey's own error, the connection. */
  if (ctx.reply != NULL && *ctx.reply != '\0')
    d = lk_diagnose_mail_reply (&ctx);
  if (d == NULL && ctx.aadsts != 0)
    d = lk_diagnose_microsoft (&ctx);
  if (d == NULL && (ctx.oauth_error != NULL || input->error->domain == LK_ERROR))
    d = lk_diagnose_oauth (&ctx);
  if (d == NULL)
    d = lk_diagnose_mail_error (&ctx);
  if (d == NULL)
    d = lk_diagnose_network (&ctx);
  if (d == NULL)
    d = diagnose_unrecognised (&ctx);
  add_facts (d, &ctx);
  return d;
}

/**
 * lk_diagnose_admin_consent_url:
 *
 * The admin consent link for @input's account (doc/protocols.md A3), with
 * its tenant (or the token's, or the address's domain), client id and
 * protocols: lk_microsoft_admin_consent_url(). @input->error may be %NULL.
 *
 * Returns: (transfer full) (nullable): the URL, or %NULL when the client id
 *   or the tenant is not known
 */
char *
lk_diagnose_admin_consent_url (const LkDiagnoseInput *input)
{
  LkDiagnoseContext ctx;

  g_return_val_if_fail (input != NULL, NULL);
  ctx_init (&ctx, input);
  return lk_diagnose_admin_consent_link (&ctx);
}
