/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * LkPlace:
 * @LK_PLACE_CONFIG: what Latchkey writes and reads back as settings: the
 *   accounts, the bridge's settings and local logins.
 *   `$XDG_CONFIG_HOME/latchkey`; system mode: the state folder.
 * @LK_PLACE_DATA: what it keeps for itself: the bridge's certificate.
 *   `$XDG_DATA_HOME/latchkey`; system mode: the state folder.
 * @LK_PLACE_STATE: what it must not lose and may rebuild nothing of: the
 *   SMTP spool, the sealed token store. `$XDG_STATE_HOME/latchkey`; system
 *   mode: `$STATE_DIRECTORY`, else `/var/lib/latchkey`.
 * @LK_PLACE_RUNTIME: locks and sockets, gone at reboot.
 *   `$XDG_RUNTIME_DIR/latchkey`; system mode: `$RUNTIME_DIRECTORY`, else
 *   `/run/latchkey`.
 * @LK_PLACE_SPOOL: the office bridge's SMTP spool, one message and its
 *   envelope per accepted mail (doc/bridge-office.md): `spool` in
 *   %LK_PLACE_STATE, in both modes.
 * @LK_PLACE_PROFILES: provider and organisation profiles that people or IT
 *   put there. `$XDG_CONFIG_HOME/latchkey/providers`; system mode:
 *   `$CONFIGURATION_DIRECTORY/providers`, else `/etc/latchkey/providers`.
 *
 * Where Latchkey keeps each kind of file, for one person (the default) or
 * for the machine (system mode, doc/system-mode.md). Every folder Latchkey
 * uses is one of these or below one.
 */
typedef enum
{
  LK_PLACE_CONFIG,
  LK_PLACE_DATA,
  LK_PLACE_STATE,
  LK_PLACE_RUNTIME,
  LK_PLACE_PROFILES,
  LK_PLACE_SPOOL,
} LkPlace;

void      lk_places_set_system_mode (gboolean     system_mode);
gboolean  lk_places_is_system_mode  (void);
char     *lk_places_get_dir         (LkPlace      place) G_GNUC_WARN_UNUSED_RESULT;
char     *lk_places_build_path      (LkPlace      place,
                                     const char  *first_element,
                                     ...) G_GNUC_NULL_TERMINATED G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
