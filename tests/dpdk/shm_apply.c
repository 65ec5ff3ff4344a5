/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What keysteerd does with the shared table, as a command for tests:
 *   shm_apply TABLE RULES.json   compile, apply, acknowledge, reclaim
 *   shm_apply TABLE --stats      reasons summed over every reader slot
 * Prints the version and generation applied; exit 1 on any error.
 */
#include <stdio.h>
#include <string.h>

#include "rules/rules.h"
#include "shmtable/shm_writer.h"

int main(int argc, char **argv)
{
	struct ks_shm_writer *w;
	struct ks_compiled *c = NULL;
	struct ks_diags d = {0};
	struct ks_shm_apply_stats st;
	char err[256];
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: shm_apply TABLE RULES.json | shm_apply TABLE --stats\n");
		return 2;
	}
	w = ks_shm_open_writer(argv[1], NULL, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "shm_apply: %s\n", err);
		return 1;
	}
	if (!strcmp(argv[2], "--stats")) {
		struct ks_counter r[KS_R_MAX];

		ks_shm_read_reasons(ks_shm_writer_header(w), r);
		for (unsigned i = 0; i < KS_R_MAX; i++)
			printf("%s %llu\n", ks_shm_reason_name(i),
			       (unsigned long long)r[i].packets);
		ks_shm_close_writer(w);
		return 0;
	}
	if (ks_rules_compile_file(argv[2], &c, &d) != KS_RULES_OK) {
		ks_diags_print(&d, argv[2], stderr);
		ks_diags_free(&d);
		ks_shm_close_writer(w);
		return 1;
	}
	rc = ks_shm_apply(w, c, &st);
	if (!rc) {
		printf("applied version %llu generation %u (%u routes, %u written)\n",
		       (unsigned long long)st.version, st.gen, st.n_routes,
		       st.route_upserts + st.route_deletes);
		rc = ks_shm_reclaim(w);
	}
	if (rc)
		fprintf(stderr, "shm_apply: %s\n", ks_shm_error(w));
	ks_compiled_free(c);
	ks_diags_free(&d);
	ks_shm_close_writer(w);
	return rc ? 1 : 0;
}
