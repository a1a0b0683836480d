/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

/* What every fuzz target defines: libFuzzer calls it with each input, and
 * lk-fuzz-driver.c calls it with each file of the corpus in the normal
 * test run. Returns 0. */
int    LLVMFuzzerTestOneInput (const uint8_t *data,
                               size_t         size);

void   lk_fuzz_init           (void);
void   lk_fuzz_allow_markup_double_error (void);
char  *lk_fuzz_to_string      (const uint8_t *data,
                               size_t         size) G_GNUC_WARN_UNUSED_RESULT;
char **lk_fuzz_split_lines    (const uint8_t *data,
                               size_t         size) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
