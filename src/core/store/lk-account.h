/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "lk-protocol.h"
#include "providers/lk-provider.h"

G_BEGIN_DECLS

typedef enum
{
  LK_FLOW_BROWSER,    /* authorization code + PKCE through the system browser */
  LK_FLOW_DEVICE,     /* device code grant */
  LK_FLOW_APP_ONLY,   /* client credentials (service principal) */
} LkFlow;

typedef enum
{
  LK_ACCOUNT_STATE_UNTESTED,
  LK_ACCOUNT_STATE_WORKING,
  LK_ACCOUNT_STATE_FAILING,
  LK_ACCOUNT_STATE_NEEDS_SIGN_IN,
} LkAccountState;

/**
 * LkProtocolTest:
 * @tested_at: Unix time of the last test of this protocol; 0: never tested
 * @ok: whether it signed in (and, when asked, sent)
 * @summary: (nullable): one line for a person: how it signed in, or the
 *   diagnosis's title ("SMTP sign-in is switched off for the mailbox"),
 *   in the language of the test
 * @diagnosis: (nullable): the diagnosis's stable id when it failed
 * @details: (nullable): the whole diagnosis when it failed, as
 *   lk_diagnosis_to_json() writes it (diagnose/ reads it back with
 *   lk_diagnosis_new_from_json()); an object, never a secret
 *
 * The last test of one protocol, as LkAccountCheck records it.
 */
typedef struct
{
  gint64    tested_at;
  gboolean  ok;
  char     *summary;
  char     *diagnosis;
  JsonNode *details;
} LkProtocolTest;

/**
 * LkAccountExport:
 * @client: the exporter's id, such as "msmtp"
 * @path: the file written, an absolute path
 * @at: when, Unix time
 *
 * A mail program's configuration Latchkey wrote for the account (the
 * GUI's Save…, `latchkey-cli export`), so that the account page can say
 * where the account is set up. The newest first.
 */
typedef struct
{
  char   *client;
  char   *path;
  gint64  at;
} LkAccountExport;

/**
 * LkAccount:
 *
 * The non-secret half of an account (doc/architecture.md, "The account and
 * its tokens"), one small JSON file on disk. The secret half is an
 * LkTokenSet in the keyring. Fields are
 * public; an account is shared by reference and changed only by its owner
 * before it is saved.
 */
typedef struct
{
  /*< private >*/
  gatomicrefcount ref_count;

  /*< public >*/
  char            *email;        /* the mailbox; names the account; SASL user= */
  char            *login;        /* nullable: who signs in, when not the mailbox */
  LkProvider      *provider;     /* snapshot of the profile used */
  char            *tenant;       /* nullable: overrides the profile's */
  char            *client_id;    /* nullable: overrides the profile's */
  LkFlow           flow;
  LkProtocolFlags  protocols;
  LkAccountState   state;
  char            *display_name; /* nullable: from the id_token */
  gint64           created;      /* Unix time */
  gint64           last_tested;  /* Unix time, 0 never */
  LkProtocolTest   tests[LK_N_PROTOCOLS];
  GPtrArray       *exports;      /* LkAccountExport, newest first; never NULL */
} LkAccount;

#define LK_TYPE_ACCOUNT (lk_account_get_type ())

GType        lk_account_get_type        (void) G_GNUC_CONST;
LkAccount   *lk_account_new             (const char     *email,
                                         LkProvider     *provider) G_GNUC_WARN_UNUSED_RESULT;
LkAccount   *lk_account_ref             (LkAccount      *self);
void         lk_account_unref           (LkAccount      *self);
LkAccount   *lk_account_new_from_data   (const char     *data,
                                         gssize          length,
                                         const char     *origin,
                                         GError        **error) G_GNUC_WARN_UNUSED_RESULT;
char        *lk_account_to_data         (LkAccount      *self,
                                         gsize          *length) G_GNUC_WARN_UNUSED_RESULT;
const char  *lk_account_get_tenant      (LkAccount      *self);
const char  *lk_account_get_client_id   (LkAccount      *self);
const char  *lk_account_get_login_hint  (LkAccount      *self);
const char  *lk_account_get_sasl_user   (LkAccount      *self);
gboolean     lk_email_is_valid          (const char     *email);
const char  *lk_flow_to_string          (LkFlow          flow);
const char  *lk_account_state_to_string (LkAccountState  state);
void         lk_account_set_test        (LkAccount      *self,
                                         LkProtocol      protocol,
                                         gint64          tested_at,
                                         gboolean        ok,
                                         const char     *summary,
                                         const char     *diagnosis);
void         lk_account_set_test_details (LkAccount     *self,
                                         LkProtocol      protocol,
                                         JsonNode       *details);
void         lk_account_add_export      (LkAccount      *self,
                                         const char     *client,
                                         const char     *path,
                                         gint64          at);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkAccount, lk_account_unref)

G_END_DECLS
