/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "lk-application.h"
#include "store/lk-account-store.h"

G_BEGIN_DECLS

#define LK_TYPE_WINDOW (lk_window_get_type ())

G_DECLARE_FINAL_TYPE (LkWindow, lk_window, LK, WINDOW, AdwApplicationWindow)

LkWindow *lk_window_new               (LkApplication  *application) G_GNUC_WARN_UNUSED_RESULT;
void      lk_window_reload            (LkWindow       *self);
gboolean  lk_window_get_loaded        (LkWindow       *self);
void      lk_window_set_account_store (LkWindow       *self,
                                       LkAccountStore *store);
void      lk_window_open_profile      (LkWindow       *self,
                                       GFile          *file);
void      lk_window_open_account      (LkWindow       *self,
                                       const char     *email,
                                       const char     *step);

G_END_DECLS
