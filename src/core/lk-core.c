/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "latchkey-core"

#include "config.h"

#include <gio/gio.h>

#include "lk-core.h"
#include "lk-core-resources.h"

/**
 * lk_core_init:
 *
 * Registers core's resources (the built-in provider profiles). Safe to call
 * any number of times from any thread; every entry point that reads them
 * calls it, so programs need not.
 */
void
lk_core_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      lk_core_register_resource ();
      g_once_init_leave (&initialized, 1);
    }
}
