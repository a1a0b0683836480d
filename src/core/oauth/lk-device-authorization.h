/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * LkDeviceAuthorization:
 *
 * The answer of a device authorization endpoint (RFC 8628 §3.2). Show
 * @user_code and @verification_uri (or @message, the server's own wording)
 * to the person; @device_code is secret and wiped on free.
 */
typedef struct
{
  char   *device_code;
  char   *user_code;
  char   *verification_uri;
  char   *verification_uri_complete;   /* nullable; Microsoft never sends it */
  char   *message;                     /* nullable */
  gint64  expires_in;                  /* seconds */
  gint64  interval;                    /* seconds between polls, 5 by default */
  gint64  expires_at;                  /* Unix time */
} LkDeviceAuthorization;

#define LK_TYPE_DEVICE_AUTHORIZATION (lk_device_authorization_get_type ())

GType                  lk_device_authorization_get_type (void) G_GNUC_CONST;
LkDeviceAuthorization *lk_device_authorization_parse    (guint                         status,
                                                         GBytes                       *body,
                                                         gint64                        now,
                                                         GError                      **error) G_GNUC_WARN_UNUSED_RESULT;
LkDeviceAuthorization *lk_device_authorization_copy     (const LkDeviceAuthorization  *self) G_GNUC_WARN_UNUSED_RESULT;
void                   lk_device_authorization_free     (LkDeviceAuthorization        *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkDeviceAuthorization, lk_device_authorization_free)

G_END_DECLS
