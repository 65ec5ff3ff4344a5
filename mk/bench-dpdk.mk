# make bench-dpdk: keysteer-dpdk's Mpps per lcore on virtual devices with
# pre-built keyed traffic (1M keys, Zipf and uniform), beside dpdk-testpmd
# io and macswap on the same devices in the same run. Results: docs/dpdk.md.
$(BUILD)/tests/gen_bench: $(BUILD)/obj/tests/dpdk/gen_bench.o $(BUILD)/obj/tests/diff/traffic.o \
	$(BUILD)/obj/tests/bpf/pkt.o $(BUILD)/obj/tests/bpf/rfc1071.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_KS) $^ -o $@ -lpcap -lm
BINS += $(BUILD)/tests/gen_bench
BENCH_TARGETS += bench-dpdk

bench-dpdk: $(BUILD)/keysteer-dpdk $(BUILD)/tests/gen_bench
	bash tests/dpdk/bench_dpdk.sh $(BUILD)
.PHONY: bench-dpdk
