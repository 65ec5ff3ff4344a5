/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The loader/attacher on real interfaces: veth pairs in the test's own
 * network namespace (nothing outside it is touched; everything goes when the
 * process exits). Runs with the stand-in object and with the real router.
 */
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "backend/backend.h"
#include "backend/loader.h"
#include "backend/maps.h"
#include "backend/xdp_attach.h"
#include "cli/cmd_bpf.h"
#include "../net/nsutil.h"

#ifndef KS_BUILD
#define KS_BUILD "build"
#endif
#define STANDIN_OBJ KS_BUILD "/tests/bpf/backend_maps.bpf.o"
#define ROUTER_OBJ  KS_BUILD "/bpf/ks_router.bpf.o"
#define ROOT	    "/sys/fs/bpf/ks-loader-test"

static char if_a[IF_NAMESIZE], if_b[IF_NAMESIZE], if_c[IF_NAMESIZE], if_d[IF_NAMESIZE];

static int group_setup(void **state)
{
	char msg[256];
	int pid = (int)getpid() % 100000;

	(void)state;
	if (ks_ns_enter_private(msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	snprintf(if_a, sizeof(if_a), "kla%d", pid);
	snprintf(if_b, sizeof(if_b), "klb%d", pid);
	snprintf(if_c, sizeof(if_c), "klc%d", pid);
	snprintf(if_d, sizeof(if_d), "kld%d", pid);
	if (ks_sh("ip link add %s type veth peer name %s", if_a, if_b) ||
	    ks_sh("ip link add %s type veth peer name %s", if_c, if_d) ||
	    ks_sh(
		"ip link set %s up && ip link set %s up && ip link set %s up && ip link set %s up",
		if_a, if_b, if_c, if_d))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char msg[256];

	(void)state;
	ks_router_detach_all(ROOT, true, msg, sizeof(msg));
	ks_sh("ip link set %s xdp off; ip link set %s xdpgeneric off", if_b, if_c);
	return 0;
}

static __u32 attached_id(const char *ifname, bool generic)
{
	__u32 id = 0;

	assert_int_equal(bpf_xdp_query_id((int)if_nametoindex(ifname),
					  generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE, &id),
			 0);
	return id;
}

static struct ks_router *load(const char *obj, __u32 cap)
{
	struct ks_loader_opts o = {.pin_root = ROOT, .obj_path = obj, .route_capacity = cap};
	struct ks_router *r = NULL;
	char msg[512];

	if (ks_router_load(&r, &o, msg, sizeof(msg)))
		fail_msg("load %s: %s", obj, msg);
	return r;
}

static void load_attach_adopt_detach(const char *obj)
{
	struct ks_router *r = load(obj, 1000), *adopted;
	struct ks_attached recs[4];
	struct ks_maps m;
	char msg[512];
	size_t n;
	__u32 ifindex = if_nametoindex(if_a), val = 0;

	assert_int_equal(ks_router_attach(r, if_a, KS_XDP_NATIVE, msg, sizeof(msg)), 0);
	assert_int_equal(attached_id(if_a, false), ks_router_prog_id(r));
	assert_int_equal(ks_router_attached(ROOT, recs, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(recs[0].ifname, if_a);
	assert_int_equal(recs[0].prog_id, ks_router_prog_id(r));
	assert_int_equal(ks_router_check_attached(ROOT), 1);

	/* Maps are pinned, sized as asked, and the interface is an egress port. */
	assert_int_equal(ks_maps_open(&m, ROOT, msg, sizeof(msg)), 0);
	assert_int_equal(m.routes_max, 2000);
	assert_int_equal(m.stats_slots, 1000 + 125 + 1);
	assert_int_equal(bpf_map_lookup_elem(m.tx_ports, &ifindex, &val), 0);
	assert_int_equal(val, ifindex);

	/* Re-adopt: the pinned program, already attached: nothing changes. */
	assert_int_equal(ks_router_adopt(&adopted, ROOT, msg, sizeof(msg)), 0);
	assert_int_equal(ks_router_prog_id(adopted), ks_router_prog_id(r));
	assert_int_equal(ks_router_attach(adopted, if_a, KS_XDP_NATIVE, msg, sizeof(msg)), 0);
	assert_int_equal(attached_id(if_a, false), ks_router_prog_id(r));
	ks_router_close(adopted);

	/* Someone detaches behind our back: the check says so. */
	ks_sh("ip link set %s xdp off", if_a);
	assert_int_equal(ks_router_check_attached(ROOT), 0);
	assert_int_equal(ks_router_attach(r, if_a, KS_XDP_NATIVE, msg, sizeof(msg)), 0);
	assert_int_equal(ks_router_check_attached(ROOT), 1);

	/* A second load reuses the pinned maps at their size, whatever is asked. */
	{
		struct ks_router *r2 = load(obj, 5000);
		struct ks_maps m2;
		__u32 zero = 0;
		struct ks_config cfg = {.version = 4242};

		assert_int_equal(bpf_map_update_elem(m.config, &zero, &cfg, BPF_ANY), 0);
		assert_int_equal(ks_maps_open(&m2, ROOT, msg, sizeof(msg)), 0);
		assert_int_equal(m2.routes_max, 2000);
		memset(&cfg, 0, sizeof(cfg));
		assert_int_equal(bpf_map_lookup_elem(m2.config, &zero, &cfg), 0);
		assert_int_equal(cfg.version, 4242);
		ks_maps_close(&m2);
		ks_router_close(r2);
	}
	ks_maps_close(&m);

	assert_int_equal(ks_router_detach(ROOT, if_a, msg, sizeof(msg)), 0);
	assert_int_equal(attached_id(if_a, false), 0);
	assert_int_equal(ks_router_attached(ROOT, recs, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ks_router_detach(ROOT, if_a, msg, sizeof(msg)), -ENOENT);
	ks_router_close(r);

	assert_int_equal(ks_router_detach_all(ROOT, true, msg, sizeof(msg)), 0);
	assert_int_equal(access(ROOT, F_OK), -1);
}

static void test_standin_load_attach_adopt_detach(void **state)
{
	(void)state;
	load_attach_adopt_detach(STANDIN_OBJ);
}

static void test_router_load_attach_adopt_detach(void **state)
{
	(void)state;
	load_attach_adopt_detach(ROUTER_OBJ);
}

struct watcher {
	int ifindex;
	atomic_int stop;
	unsigned long polls, gaps;
};

static void *watch(void *arg)
{
	struct watcher *w = arg;

	while (!atomic_load(&w->stop) && w->polls < 10000000) {
		__u32 id = 0;

		if (bpf_xdp_query_id(w->ifindex, XDP_FLAGS_DRV_MODE, &id) == 0) {
			w->polls++;
			if (id == 0)
				w->gaps++;
		}
	}
	return NULL;
}

/* A pinned connection in the router's ks_flows4, as the program writes them. */
static const struct ks_flow4_key pin_key = {
    .saddr = 0x0100000a, .daddr = 0x0a00000a, .sport = 0x3930, .dport = 0xbb01};

static int flows4_fd(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/ks_flows4", ROOT);
	return bpf_obj_get(path);
}

/*
 * Replace the running program ten times while a thread watches the
 * interface for a moment without one. With check_pin (the real router), a
 * connection pinned before the first replacement is still pinned after the
 * last: the connection table is reused, not recreated.
 */
static void replace_without_gap(const char *obj, bool check_pin)
{
	struct watcher w = {.ifindex = (int)if_nametoindex(if_a)};
	struct ks_router *r = load(obj, 0);
	struct ks_flow pin = {
	    .port = 0x901f, .family = KS_AF_INET, .shard = 3, .state = 1, .flow_hash = 0xabcdef};
	char msg[512];
	pthread_t th;
	__u32 last = ks_router_prog_id(r);

	assert_int_equal(ks_router_attach(r, if_a, KS_XDP_NATIVE, msg, sizeof(msg)), 0);
	assert_int_equal(ks_router_attach(r, if_c, KS_XDP_GENERIC, msg, sizeof(msg)), 0);
	ks_router_close(r);
	if (check_pin) {
		int fd = flows4_fd();

		assert_true(fd >= 0);
		pin.vip.w[0] = 0x0a01000a;
		assert_int_equal(bpf_map_update_elem(fd, &pin_key, &pin, BPF_ANY), 0);
		close(fd);
	}
	assert_int_equal(pthread_create(&th, NULL, watch, &w), 0);
	for (int i = 0; i < 10; i++) {
		unsigned n;

		r = load(obj, 0);
		assert_int_equal(ks_router_reattach_all(r, &n, msg, sizeof(msg)), 0);
		assert_int_equal(n, 2); /* both interfaces, each in its own mode */
		assert_true(ks_router_prog_id(r) != last);
		assert_int_equal(attached_id(if_a, false), ks_router_prog_id(r));
		assert_int_equal(attached_id(if_c, true), ks_router_prog_id(r));
		last = ks_router_prog_id(r);
		ks_router_close(r);
	}
	atomic_store(&w.stop, 1);
	pthread_join(th, NULL);
	printf("# %lu queries during 10 replacements, %lu without a program\n", w.polls, w.gaps);
	assert_true(w.polls > 0);
	assert_int_equal(w.gaps, 0);
	assert_int_equal(ks_router_check_attached(ROOT), 1);
	if (check_pin) {
		struct ks_flow got;
		int fd = flows4_fd();

		assert_true(fd >= 0);
		assert_int_equal(bpf_map_lookup_elem(fd, &pin_key, &got), 0);
		assert_memory_equal(&got, &pin, sizeof(pin));
		close(fd);
	}
}

static void test_standin_replace_without_gap(void **state)
{
	(void)state;
	replace_without_gap(STANDIN_OBJ, false);
}

static void test_router_replace_without_gap(void **state)
{
	(void)state;
	replace_without_gap(ROUTER_OBJ, true);
}

/* An XDP program that is not keysteer's: return XDP_PASS. */
static int foreign_prog(void)
{
	struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS},
	    {.code = BPF_JMP | BPF_EXIT},
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "foreign", "GPL", insns, 2, NULL);
}

static void test_foreign_program_and_mode_conflicts(void **state)
{
	struct ks_router *r = load(STANDIN_OBJ, 0);
	int fd = foreign_prog();
	__u32 foreign_id = ks_prog_id(fd);
	char msg[512];

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(bpf_xdp_attach((int)if_nametoindex(if_b), fd, XDP_FLAGS_DRV_MODE, NULL),
			 0);
	assert_int_equal(ks_router_attach(r, if_b, KS_XDP_NATIVE, msg, sizeof(msg)), -EBUSY);
	assert_non_null(strstr(msg, "not keysteer"));
	assert_int_equal(attached_id(if_b, false), foreign_id);

	/* Generic on one interface; native on the same one must not silently switch. */
	assert_int_equal(ks_router_attach(r, if_c, KS_XDP_GENERIC, msg, sizeof(msg)), 0);
	assert_int_equal(attached_id(if_c, true), ks_router_prog_id(r));
	assert_int_equal(ks_router_attach(r, if_c, KS_XDP_NATIVE, msg, sizeof(msg)), -EBUSY);
	assert_int_equal(attached_id(if_c, true), ks_router_prog_id(r));

	/* If someone replaced our program, detach leaves theirs alone. */
	{
		LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = ks_router_prog_fd(r));
		assert_int_equal(bpf_xdp_attach((int)if_nametoindex(if_c), fd,
						XDP_FLAGS_SKB_MODE | XDP_FLAGS_REPLACE, &o),
				 0);
	}
	assert_int_equal(ks_router_detach(ROOT, if_c, msg, sizeof(msg)), 0);
	assert_int_equal(attached_id(if_c, true), foreign_id);
	ks_router_close(r);
	close(fd);
}

/* keysteer stats -j --pin-root ROOT, run in this process: its JSON. */
static json_t *stats_json(char **argv)
{
	char path[] = "/tmp/ks-stats-out.XXXXXX";
	int fd = mkstemp(path), saved, rc;
	json_error_t jerr;
	json_t *j;

	assert_true(fd >= 0);
	unlink(path);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	/* Nothing may fail while stdout is the file: cmocka's report goes there too. */
	rc = dup2(fd, STDOUT_FILENO) == STDOUT_FILENO ? ks_cmd_bpf_stats(4, argv) : -1;
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	assert_int_equal(rc, 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	FILE *f = fdopen(fd, "r");
	assert_non_null(f);
	j = json_loadf(f, 0, &jerr);
	fclose(f);
	if (!j)
		fail_msg("stats -j: not JSON: %s", jerr.text);
	return j;
}

static void test_cli_attach_stats_detach(void **state)
{
	char obj[] = STANDIN_OBJ, root[] = ROOT;
	char *attach[] = {"attach", "--iface",	  if_a, "--iface",	    if_c, "--obj",
			  obj,	    "--pin-root", root, "--route-capacity", "64", NULL};
	char *stats[] = {"stats", "-j", "--pin-root", root, NULL};
	char *detach[] = {"xdp-detach", "--pin-root", root, "--purge", NULL};
	char *bad[] = {"attach", "--pin-root", root, NULL};
	char *badmode[] = {"attach", "--iface", if_a, "--xdp-mode", "turbo", NULL};

	(void)state;
	assert_int_equal(ks_cmd_attach(11, attach), 0);
	assert_true(attached_id(if_a, false) != 0);
	assert_true(attached_id(if_c, false) != 0);
	/* Every CPU's steered counter set in the pinned map: stats sums them. */
	{
		char path[256];
		int ncpus = libbpf_num_possible_cpus(), mfd;
		__u32 zero = 0;
		struct ks_counter *v = calloc((size_t)ncpus, sizeof(*v));

		assert_non_null(v);
		for (int c = 0; c < ncpus; c++)
			v[c] = (struct ks_counter){.packets = 3, .bytes = 300};
		snprintf(path, sizeof(path), "%s/ks_reason_stats", root);
		mfd = bpf_obj_get(path);
		assert_true(mfd >= 0);
		assert_int_equal(bpf_map_update_elem(mfd, &zero, v, BPF_ANY), 0);
		close(mfd);
		free(v);
		json_t *j = stats_json(stats);
		json_t *st = json_object_get(json_object_get(j, "reasons"), "steered");

		assert_string_equal(json_string_value(json_object_get(j, "pin_root")), root);
		assert_int_equal(json_integer_value(json_object_get(j, "route_capacity")), 64);
		assert_int_equal(json_integer_value(json_object_get(st, "packets")), 3 * ncpus);
		assert_int_equal(json_integer_value(json_object_get(st, "bytes")), 300 * ncpus);
		json_decref(j);
	}
	assert_int_equal(ks_cmd_bpf_detach(4, detach), 0);
	assert_int_equal(attached_id(if_a, false), 0);
	assert_int_equal(attached_id(if_c, false), 0);
	assert_int_equal(access(ROOT, F_OK), -1);
	/* Stats without a router fails; usage errors exit 2. */
	assert_int_equal(ks_cmd_bpf_stats(4, stats), 1);
	assert_int_equal(ks_cmd_attach(3, bad), 2);
	assert_int_equal(ks_cmd_attach(5, badmode), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_standin_load_attach_adopt_detach, teardown),
	    cmocka_unit_test_teardown(test_router_load_attach_adopt_detach, teardown),
	    cmocka_unit_test_teardown(test_standin_replace_without_gap, teardown),
	    cmocka_unit_test_teardown(test_router_replace_without_gap, teardown),
	    cmocka_unit_test_teardown(test_foreign_program_and_mode_conflicts, teardown),
	    cmocka_unit_test_teardown(test_cli_attach_stats_detach, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
