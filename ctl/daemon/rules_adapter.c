/* SPDX-License-Identifier: BSD-3-Clause */
#include "daemon/rules_adapter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/layout.h"
#include "rules/rules.h"

int ks_rules_compile_text(const char *text, size_t len, struct ks_compiled **out, json_t *errors)
{
	return ks_rules_compile_text_opts(text, len, 0, NULL, out, errors);
}

int ks_rules_compile_text_opts(const char *text, size_t len, unsigned threads,
			       struct ks_rules_layout *layout, struct ks_compiled **out,
			       json_t *errors)
{
	struct ks_diags diags = {0};
	struct ks_rules_options opt = {.threads = threads, .layout = layout};
	*out = NULL;
	enum ks_rules_result r = ks_rules_compile_opts(text, len, &opt, out, &diags);
	if (r != KS_RULES_OK || !*out) {
		for (size_t i = 0; i < diags.n; i++) {
			char *line;
			const struct ks_diag *dg = &diags.v[i];
			if (asprintf(&line, "%s: %s", dg->path && dg->path[0] ? dg->path : "$",
				     dg->message ? dg->message : "error") >= 0) {
				json_array_append_new(errors, json_string(line));
				free(line);
			}
		}
		if (diags.n == 0)
			json_array_append_new(errors, json_string("$: rule set rejected"));
		ks_diags_free(&diags);
		ks_compiled_free(*out);
		*out = NULL;
		return -1;
	}
	ks_diags_free(&diags);
	return 0;
}

uint64_t ks_rules_key_of(const char *key_text)
{
	__u64 key = 0;
	ks_rules_key(key_text, strlen(key_text), &key);
	return key;
}
