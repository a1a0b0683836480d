/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-oauth"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-device-authorization.h"
#include "lk-error.h"
#include "lk-token-response.h"
#include "lk-token-set.h"

G_DEFINE_BOXED_TYPE (LkDeviceAuthorization, lk_device_authorization,
                     lk_device_authorization_copy, lk_device_authorization_free)

#define DEFAULT_INTERVAL 5
#define DEFAULT_EXPIRES_IN 900

/**
 * lk_device_authorization_parse:
 *
 * Pure: parses the answer of the device authorization endpoint. Accepts
 * Google's "verification_url" for "verification_uri".
 */
LkDeviceAuthorization *
lk_device_authorization_parse (guint    status,
                               GBytes  *body,
                               gint64   now,
                               GError **error)
{
  g_autoptr(JsonObject) obj = lk_oauth_response_parse (status, body, error);
  g_autoptr(LkDeviceAuthorization) self = NULL;

  if (obj == NULL)
    return NULL;

  self = g_new0 (LkDeviceAuthorization, 1);
  self->device_code = lk_json_dup_string (obj, "device_code");
  self->user_code = lk_json_dup_string (obj, "user_code");
  self->verification_uri = lk_json_dup_string (obj, "verification_uri");
  if (self->verification_uri == NULL)
    self->verification_uri = lk_json_dup_string (obj, "verification_url");
  self->verification_uri_complete = lk_json_dup_string (obj, "verification_uri_complete");
  self->message = lk_json_dup_string (obj, "message");
  if (self->device_code == NULL || *self->device_code == '\0' ||
      self->user_code == NULL || *self->user_code == '\0' ||
      self->verification_uri == NULL || *self->verification_uri == '\0')
    {
      g_set_error_literal (error, LK_ERROR, LK_ERROR_BAD_RESPONSE,
                           _("The sign-in server’s device code answer is incomplete "
                             "(no device code, user code or verification address)."));
      return NULL;
    }
  if (!lk_json_get_seconds (obj, "expires_in", &self->expires_in) || self->expires_in <= 0)
    self->expires_in = DEFAULT_EXPIRES_IN;
  if (!lk_json_get_seconds (obj, "interval", &self->interval) || self->interval <= 0)
    self->interval = DEFAULT_INTERVAL;
  self->expires_at = now + self->expires_in;
  return g_steal_pointer (&self);
}

LkDeviceAuthorization *
lk_device_authorization_copy (const LkDeviceAuthorization *self)
{
  LkDeviceAuthorization *copy = g_new0 (LkDeviceAuthorization, 1);

  copy->device_code = g_strdup (self->device_code);
  copy->user_code = g_strdup (self->user_code);
  copy->verification_uri = g_strdup (self->verification_uri);
  copy->verification_uri_complete = g_strdup (self->verification_uri_complete);
  copy->message = g_strdup (self->message);
  copy->expires_in = self->expires_in;
  copy->interval = self->interval;
  copy->expires_at = self->expires_at;
  return copy;
}

void
lk_device_authorization_free (LkDeviceAuthorization *self)
{
  if (self == NULL)
    return;
  lk_secret_wipe (self->device_code);
  g_free (self->user_code);
  g_free (self->verification_uri);
  g_free (self->verification_uri_complete);
  g_free (self->message);
  g_free (self);
}
