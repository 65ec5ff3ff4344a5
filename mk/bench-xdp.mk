# make bench-xdp: the XDP router's ns/packet under BPF_PROG_TEST_RUN with 1M
# keys, beside floors from the same run. Results: docs/benchmarks.md.

XDP_BENCH_BPF_CFLAGS := $(BPF_CFLAGS) -Ibpf

$(BUILD)/tests/bpf/bench/xdp_bench.bpf.o: tests/bpf/bench/xdp_bench.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(XDP_BENCH_BPF_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/tests/bpf/bench/xdp_bench.skel.h: $(BUILD)/tests/bpf/bench/xdp_bench.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/tests/bpf/bench/bench_xdp.o: $(BUILD)/tests/bpf/bench/xdp_bench.skel.h \
	$(BUILD)/bpf/ks_router.skel.h
$(BUILD)/obj/tests/bpf/bench/bench_xdp.o: CFLAGS_KS += -I$(BUILD)/tests/bpf/bench

$(BUILD)/tests/bench_xdp: $(BUILD)/obj/tests/bpf/bench/bench_xdp.o $(BUILD)/obj/tests/bpf/pkt.o \
	$(BUILD)/obj/tests/bpf/rfc1071.o $(BUILD)/obj/ctl/backend/listener_table.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_KS) $^ -o $@ -lbpf

BINS += $(BUILD)/tests/bench_xdp
BENCH_TARGETS += bench-xdp

bench-xdp: $(BUILD)/tests/bench_xdp
	$(BUILD)/tests/bench_xdp $(BENCH_XDP_REPEAT)
.PHONY: bench-xdp
