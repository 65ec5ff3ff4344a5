/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal: building the diagnostics list. */
#ifndef KEYSTEER_CTL_RULES_DIAG_H
#define KEYSTEER_CTL_RULES_DIAG_H

#include <stdbool.h>
#include "rules/rules.h"

/* Append an error; takes ownership of path and message (malloc'd). False when out of memory. */
bool ks_diags_add(struct ks_diags *d, char *path, char *message, const __u32 *order);

/* Free every entry, keep the array. */
void ks_diags_reset(struct ks_diags *d);

/* Order by position in the input (order[], then the order reported). */
void ks_diags_sort(struct ks_diags *d);

#endif
