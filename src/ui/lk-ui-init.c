/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-ui"

#include "config.h"

#include <gio/gio.h>

#include "lk-core.h"
#include "lk-ui-init.h"
#include "lk-ui-resources.h"

/**
 * lk_ui_ensure_resources:
 *
 * Registers the UI's GResource (templates, help overlay). Every widget class
 * with a template calls it in class_init, so that tests can build any widget
 * on its own.
 */
void
lk_ui_ensure_resources (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      lk_core_init ();
      lk_ui_register_resource ();
      g_once_init_leave (&initialized, 1);
    }
}
