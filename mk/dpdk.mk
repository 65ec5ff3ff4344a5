# keysteer-dpdk (dataplane/), the shared table it reads (ctl/shmtable/) and
# their tests (tests/dpdk/, tests/diff/). See docs/dpdk.md.
#
# For keysteerd: link $(KS_SHM_SRCS) and include "shmtable/shm_writer.h".
include mk/rules.mk

KS_SHM_SRCS := ctl/shmtable/shm_region.c ctl/shmtable/shm_qsbr.c ctl/shmtable/shm_hash.c \
	ctl/shmtable/shm_slots.c ctl/shmtable/shm_writer.c ctl/shmtable/shm_counters.c \
	ctl/shmtable/shm_nexthop.c

# Writer and lock-free reader, plain and under ASan/UBSan.
$(eval $(call cmocka_test,test_shmtable,tests/dpdk/test_shmtable.c $(KS_SHM_SRCS) $(KS_RULES_SRCS),$(KS_RULES_LIBS) -lpthread))

# The connection / NAT tables the lcores share (plain C: no DPDK needed).
$(eval $(call cmocka_test,test_flowcache,tests/dpdk/test_flowcache.c dataplane/flowcache.c,-lpthread))
$(BUILD)/obj/tests/dpdk/test_flowcache.o: CFLAGS_KS += $(KS_DP_CPPFLAGS)
$(BUILD)/san/tests/dpdk/test_flowcache.o: CFLAGS_SAN += $(KS_DP_CPPFLAGS)

# keysteer-dpdk. DPDK's flags come from pkg-config; its headers want
# relaxed warnings for some of their own inline code, ours stay -Werror.
DPDK_CFLAGS := $(shell pkg-config --cflags libdpdk 2>/dev/null)
DPDK_LIBS := $(shell pkg-config --libs libdpdk 2>/dev/null)
# The decision flow is include/keysteer/decide.h, shared with bpf/.
KS_DP_CPPFLAGS := -Idataplane
KS_DP_SRCS := dataplane/main.c dataplane/options.c dataplane/ports.c dataplane/worker.c \
	dataplane/shadow.c dataplane/flowcache.c dataplane/flowstore.c dataplane/telemetry.c dataplane/report.c \
	dataplane/neigh.c

# The fast path's own code generation, after DPDK's flags so that it wins,
# for the dataplane objects only: DPDK_OPT (default -O3: 1-2% more frames
# per second than -O2 in bench-dpdk) and DPDK_MARCH, a -march value. Empty
# by default, so the binary runs wherever Debian's DPDK runs (its flags say
# -march=corei7); for hosts of known CPUs, e.g. `make DPDK_MARCH=x86-64-v3`
# (Haswell and later) or `DPDK_MARCH=native`. See docs/dpdk.md.
DPDK_OPT ?= -O3
DPDK_MARCH ?=
KS_DP_CODEGEN := $(DPDK_OPT) $(if $(DPDK_MARCH),-march=$(DPDK_MARCH))
$(BUILD)/obj/dataplane/%.o: CFLAGS_KS += $(KS_DP_CPPFLAGS) $(DPDK_CFLAGS) -Wno-address-of-packed-member \
	$(KS_DP_CODEGEN)
$(BUILD)/san/dataplane/%.o: CFLAGS_SAN += $(KS_DP_CPPFLAGS) $(DPDK_CFLAGS) -Wno-address-of-packed-member

$(BUILD)/keysteer-dpdk: $(patsubst %.c,$(BUILD)/obj/%.o,$(KS_DP_SRCS) $(KS_SHM_SRCS) $(KS_RULES_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_KS) $^ -o $@ $(DPDK_LIBS) $(KS_RULES_LIBS)
BINS += $(BUILD)/keysteer-dpdk

# The differential test: XDP (BPF_PROG_TEST_RUN) and keysteer-dpdk (net_pcap)
# on the same frames and rule set; identical output bytes and counters.
KS_DIFF_SRCS := tests/diff/test_diff.c tests/diff/traffic.c tests/bpf/xdp_fixture.c \
	tests/bpf/pkt.c tests/bpf/rfc1071.c ctl/backend/listener_table.c $(KS_SHM_SRCS) $(KS_RULES_SRCS)
$(eval $(call cmocka_test,test_diff,$(KS_DIFF_SRCS),-lbpf -lpcap $(KS_RULES_LIBS)))
$(BUILD)/obj/tests/diff/%.o: CFLAGS_KS += -DKS_BUILD='"$(BUILD)"'
$(BUILD)/san/tests/diff/%.o: CFLAGS_SAN += -DKS_BUILD='"$(BUILD)"'
$(BUILD)/obj/tests/diff/test_diff.o $(BUILD)/san/tests/diff/test_diff.o: $(BUILD)/bpf/ks_router.skel.h
check-test_diff: $(BUILD)/keysteer-dpdk

# keysteerd's use of the shared table, as a command (tests/dpdk/shm_apply.c).
$(BUILD)/tests/shm_apply: $(patsubst %.c,$(BUILD)/obj/%.o,tests/dpdk/shm_apply.c $(KS_SHM_SRCS) $(KS_RULES_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_KS) $^ -o $@ $(KS_RULES_LIBS)
BINS += $(BUILD)/tests/shm_apply

# keysteer-dpdk on veths in a network namespace of its own (net_af_packet and
# net_af_xdp), telemetry, a rule set flipped by another process under
# traffic, SIGKILL and restart on the same table.
check-dpdk-net: $(BUILD)/keysteer-dpdk $(BUILD)/tests/shm_apply $(BUILD)/keysteerd $(BUILD)/keysteer
	@$(call run_test,dpdk-net,bash tests/dpdk/test_dpdk_net.sh $(BUILD))
CHECK_TARGETS += check-dpdk-net
.PHONY: check-dpdk-net
