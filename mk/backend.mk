# The XDP data plane's userspace side: BPF table backend, loader/attacher
# (ctl/backend), next-hop resolver (ctl/nexthop) and their tests.
#
# For the integrator: link $(KS_BACKEND_SRCS) $(KS_NEXTHOP_SRCS) $(KS_CMD_BPF_SRCS)
# with $(KS_BACKEND_LDLIBS) $(KS_NEXTHOP_LDLIBS) and register the commands
# declared in ctl/cli/cmd_bpf.h.

KS_BACKEND_SRCS := ctl/backend/maps.c ctl/backend/map_io.c ctl/backend/slots.c \
	ctl/backend/route_diff.c ctl/backend/grace.c ctl/backend/backend.c \
	ctl/backend/recover.c ctl/backend/apply.c ctl/backend/counters.c \
	ctl/backend/xdp_attach.c ctl/backend/loader.c ctl/backend/decap_loader.c \
	ctl/backend/tc_attach.c ctl/backend/listener_table.c ctl/backend/ctl_state.c
KS_BACKEND_LDLIBS := -lbpf -lelf -lz -lpthread
# The glue between resolver and backend links with both.
KS_NEXTHOP_SRCS := ctl/nexthop/resolver.c ctl/nexthop/rtnl_query.c ctl/backend/nh_glue.c
KS_NL_CFLAGS := $(shell pkg-config --cflags libnl-route-3.0 2>/dev/null || echo -I/usr/include/libnl3)
KS_NEXTHOP_LDLIBS := -lnl-route-3 -lnl-3
KS_CMD_BPF_SRCS := ctl/cli/cmd_opts.c ctl/cli/cmd_attach.c ctl/cli/cmd_stats.c ctl/cli/cmd_decap.c

# Only the resolver includes libnl headers.
$(BUILD)/obj/ctl/nexthop/%.o: CFLAGS_KS += $(KS_NL_CFLAGS)
$(BUILD)/san/ctl/nexthop/%.o: CFLAGS_SAN += $(KS_NL_CFLAGS)

# A stand-in router for the backend and loader tests (the router's maps and
# a tiny XDP program that reads them as the router does).
KS_TEST_BPF_CFLAGS := $(BPF_CFLAGS) -Ibpf
$(BUILD)/tests/bpf/%.bpf.o: tests/bpf/%.bpf.c bpf/ks_maps.h include/keysteer/table.h
	@mkdir -p $(@D)
	$(CLANG) $(KS_TEST_BPF_CFLAGS) -c $< -o $@

# Pure C: slot allocator and route diff.
$(eval $(call cmocka_test,test_backend_diff,tests/bpf/backend_diff_test.c ctl/backend/route_diff.c ctl/backend/slots.c,))

# Backend against real maps, driven through BPF_PROG_TEST_RUN of the stand-in.
KS_BACKEND_TEST_OBJ := $(BUILD)/tests/bpf/backend_maps.bpf.o
$(eval $(call cmocka_test,test_backend,tests/bpf/backend_test.c tests/bpf/backend_util.c tests/net/nsutil.c $(KS_BACKEND_SRCS),$(KS_BACKEND_LDLIBS) -lpthread))
$(BUILD)/tests/test_backend $(BUILD)/tests/test_backend-san: | $(KS_BACKEND_TEST_OBJ)
check-test_backend: $(KS_BACKEND_TEST_OBJ)

# Test sources find build outputs (BPF objects) under $(BUILD).
$(BUILD)/obj/tests/bpf/%.o $(BUILD)/obj/tests/net/%.o: CFLAGS_KS += -DKS_BUILD='"$(BUILD)"'
$(BUILD)/san/tests/bpf/%.o $(BUILD)/san/tests/net/%.o: CFLAGS_SAN += -DKS_BUILD='"$(BUILD)"'

# The loader on veths in the test's own namespace, with the stand-in and the real router.
$(eval $(call cmocka_test,test_backend_loader,tests/bpf/backend_loader_test.c tests/net/nsutil.c $(KS_CMD_BPF_SRCS) $(KS_BACKEND_SRCS),$(KS_BACKEND_LDLIBS) -ljansson -lpthread))
check-test_backend_loader: $(KS_BACKEND_TEST_OBJ) $(BUILD)/bpf/ks_router.bpf.o

# The next-hop resolver with real ARP/ND between two namespaces.
$(eval $(call cmocka_test,test_nexthop_netns,tests/net/nexthop_netns_test.c tests/net/nsutil.c tests/bpf/backend_util.c $(KS_BACKEND_SRCS) $(KS_NEXTHOP_SRCS),$(KS_BACKEND_LDLIBS) $(KS_NEXTHOP_LDLIBS)))
check-test_nexthop_netns: $(KS_BACKEND_TEST_OBJ)

# make bench-backend: full applies of 100k/1M routes and one-key changes.
$(BUILD)/tests/bench_backend: $(patsubst %.c,$(BUILD)/obj/%.o,tests/bpf/backend_bench.c tests/bpf/backend_util.c tests/net/nsutil.c $(KS_BACKEND_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_KS) $^ -o $@ $(KS_BACKEND_LDLIBS)
bench-backend: $(BUILD)/tests/bench_backend $(KS_BACKEND_TEST_OBJ)
	$(BUILD)/tests/bench_backend
BENCH_TARGETS += bench-backend
BINS += $(BUILD)/tests/bench_backend
.PHONY: bench-backend
