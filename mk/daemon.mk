# keysteerd (ctl/daemon), the control-socket protocol (ctl/ctlsock), the CLI's
# client commands (ctl/cli/cmd_ctl.c) and their tests (tests/daemon).
#
# keysteerd links the rule compiler, the BPF table backend and the next-hop
# resolver. Their fragments (mk/rules.mk, ...) sort after this one, so their
# source lists are read at second expansion ($$); until a fragment defines
# its list, the library's directory is used.

KSD_SRCS := ctl/daemon/loop.c ctl/daemon/log.c ctl/daemon/options.c ctl/daemon/apply.c \
	ctl/daemon/feed.c ctl/daemon/feed_file.c ctl/daemon/file_read.c ctl/daemon/feed_nats.c \
	ctl/daemon/ctl_server.c ctl/daemon/handlers.c ctl/daemon/stats.c \
	ctl/daemon/metrics.c ctl/daemon/rules_adapter.c ctl/daemon/dp_memory.c \
	ctl/daemon/incremental.c ctl/daemon/text.c \
	ctl/ctlsock/ctlsock.c
KSD_LIBS := -luring -lnats -lmicrohttpd -ljansson -lpthread
# The BPF data plane: the table backend, the loader (with the tc shadow
# program's attach code) and the next-hop resolver.
KSD_BPF_SRCS := ctl/daemon/dp_bpf.c ctl/daemon/dp_loader.c ctl/daemon/dp_shm.c
KSD_DP_LIBS := -lbpf -lxdp -lelf -lz -lnl-route-3 -lnl-3
ksd_dp_lib_srcs = $(ksd_backend_srcs) $(ksd_nexthop_srcs) $(KS_SHM_SRCS)
KSD_NL_CFLAGS := $(shell pkg-config --cflags libnl-route-3.0 2>/dev/null)

ksd_rules_srcs = $(or $(KS_RULES_SRCS),$(wildcard ctl/rules/*.c))
ksd_backend_srcs = $(KS_BACKEND_SRCS)
ksd_nexthop_srcs = $(KS_NEXTHOP_SRCS)
ksd_lib_srcs = $(ksd_rules_srcs) $(ksd_dp_lib_srcs)
ksd_libs = $(KSD_LIBS) $(KSD_DP_LIBS) $(KS_RULES_LIBS)
ksd_obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
ksd_san = $(patsubst %.c,$(BUILD)/san/%.o,$(1))

# The nexthop library's objects need libnl's include path.
$(BUILD)/obj/ctl/nexthop/%.o: CFLAGS_KS += $(KSD_NL_CFLAGS)
$(BUILD)/san/ctl/nexthop/%.o: CFLAGS_SAN += $(KSD_NL_CFLAGS)

.SECONDEXPANSION:

$(BUILD)/keysteerd: $(call ksd_obj,$(KSD_SRCS) $(KSD_BPF_SRCS) ctl/daemon/main.c) \
		$$(call ksd_obj,$$(ksd_lib_srcs))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_KS) $^ -o $@ $(ksd_libs)

# A keysteerd built with ASan+UBSan, for the daemon's integration tests.
$(BUILD)/tests/keysteerd-san: $(call ksd_san,$(KSD_SRCS) $(KSD_BPF_SRCS) ctl/daemon/main.c) \
		$$(call ksd_san,$$(ksd_lib_srcs))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_SAN) $^ -o $@ $(ksd_libs)

# The CLI's control commands behind a small driver (tests/daemon/ksctl.c).
$(BUILD)/tests/ksctl: $(call ksd_obj,tests/daemon/ksctl.c ctl/cli/cmd_ctl.c ctl/ctlsock/ctlsock.c)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_KS) $^ -o $@ -ljansson

BINS += $(BUILD)/keysteerd $(BUILD)/tests/keysteerd-san $(BUILD)/tests/ksctl

# $(call ksd_cmocka,NAME,SOURCES): like cmocka_test, linking the rule
# compiler (read at second expansion).
define ksd_cmocka
$(BUILD)/tests/$(1): $(call ksd_obj,$(2)) $$$$(call ksd_obj,$$$$(ksd_rules_srcs))
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_KS) $$^ -o $$@ $$(KSD_LIBS) $$(KS_RULES_LIBS) -lcmocka
$(BUILD)/tests/$(1)-san: $(call ksd_san,$(2)) $$$$(call ksd_san,$$$$(ksd_rules_srcs))
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_SAN) $$^ -o $$@ $$(KSD_LIBS) $$(KS_RULES_LIBS) -lcmocka
check-$(1): $(BUILD)/tests/$(1) $(BUILD)/tests/$(1)-san
	@$$(call run_test,$(1),$(BUILD)/tests/$(1))
	@$$(call run_test,$(1)-san,$(BUILD)/tests/$(1)-san)
CHECK_TARGETS += check-$(1)
BINS += $(BUILD)/tests/$(1) $(BUILD)/tests/$(1)-san
.PHONY: check-$(1)
endef

# Unit suites: the loop, options, control socket, apply pipeline, file feed.
$(eval $(call ksd_cmocka,test_daemon_unit,tests/daemon/test_daemon_unit.c $(KSD_SRCS)))

# A libnats client for the NATS feed test: put/delete keys, collect acks.
$(BUILD)/tests/nats_tool: $(call ksd_obj,tests/daemon/nats_tool.c)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_KS) $^ -o $@ -lnats
BINS += $(BUILD)/tests/nats_tool

# Integration: keysteerd (sanitized build) and the CLI commands, end to end,
# without a data plane (--no-dataplane).
KSD_IT_DEPS := $(BUILD)/tests/keysteerd-san $(BUILD)/tests/ksctl
check-daemon-file: $(KSD_IT_DEPS)
	@$(call run_test,daemon-file,bash tests/daemon/test_file_feed.sh $(BUILD))
check-daemon-ctl: $(KSD_IT_DEPS) $(BUILD)/keysteer
	@$(call run_test,daemon-ctl,bash tests/daemon/test_ctl.sh $(BUILD))
# The NATS feed against a real nats-server (Debian package) on loopback.
check-daemon-nats: $(KSD_IT_DEPS) $(BUILD)/tests/nats_tool
	@$(call run_test,daemon-nats,bash tests/daemon/test_nats_feed.sh $(BUILD))
# keysteerd owning the XDP router on veths in namespaces: SIGKILL under
# traffic, atomic flip under traffic, detach.
check-daemon-xdp: $(KSD_IT_DEPS) $(BUILD)/bpf/ks_router.bpf.o
	@$(call run_test,daemon-xdp,bash tests/daemon/test_xdp.sh $(BUILD))

# The real BPF tables (pinned maps through the table backend), no program.
check-daemon-tables: $(KSD_IT_DEPS)
	@$(call run_test,daemon-tables,bash tests/daemon/test_tables.sh $(BUILD))
CHECK_TARGETS += check-daemon-file check-daemon-ctl check-daemon-nats check-daemon-tables \
	check-daemon-xdp
.PHONY: check-daemon-file check-daemon-ctl check-daemon-nats check-daemon-tables check-daemon-xdp

# make bench-ctl: feed change -> flip latency on the real tables.
$(BUILD)/tests/bench_ctl: $(call ksd_obj,tests/daemon/bench_ctl.c)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_KS) $^ -o $@ -lbpf
BINS += $(BUILD)/tests/bench_ctl
bench-ctl: $(BUILD)/keysteerd $(BUILD)/tests/ksctl $(BUILD)/tests/bench_ctl
	@bash tests/daemon/bench_ctl.sh $(BUILD)
BENCH_TARGETS += bench-ctl
.PHONY: bench-ctl
