/* SPDX-License-Identifier: BSD-3-Clause */
/* Showing a compiled rule set: for people (text) and for programs (JSON). */
#ifndef KEYSTEER_CLI_COMPILE_SHOW_H
#define KEYSTEER_CLI_COMPILE_SHOW_H

#include <stdio.h>
#include "rules/compiled.h"

/* Percent of the traffic n weight buckets carry. */
static inline double ks_buckets_percent(__u32 n)
{
	return n * 100.0 / KS_WEIGHT_BUCKETS;
}

void ks_show_compiled_text(const struct ks_compiled *c, const char *source, FILE *f);

/* Returns 0, or -1 if the JSON could not be built or written. */
int ks_show_compiled_json(const struct ks_compiled *c, FILE *f);

#endif
