/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-fuzz"

#include "config.h"

#include "lk-fuzz.h"
#include "store/lk-account.h"

/* An account file from the config directory (the account with its provider
 * profile inside). What loads must write back out and load again. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(LkAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  lk_fuzz_init ();
  account = lk_account_new_from_data ((const char *) data, size, "fuzz.json", &error);
  g_assert ((account != NULL) != (error != NULL));
  if (account != NULL)
    {
      g_autoptr(GError) reload_error = NULL;
      g_autoptr(LkAccount) reloaded = NULL;
      g_autofree char *out = NULL;
      gsize out_length;

      (void) lk_account_get_tenant (account);
      (void) lk_account_get_client_id (account);
      (void) lk_account_get_login_hint (account);
      (void) lk_account_get_sasl_user (account);
      (void) lk_flow_to_string (account->flow);
      (void) lk_account_state_to_string (account->state);

      out = lk_account_to_data (account, &out_length);
      reloaded = lk_account_new_from_data (out, out_length, "fuzz.json (written back)", &reload_error);
      if (reloaded == NULL)
        g_error ("An account that loaded does not load once written back: %s", reload_error->message);
    }
  return 0;
}
