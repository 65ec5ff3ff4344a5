# make bench-e2e: keysteer end to end on the lab's veths (tests/lab/bench/):
# keyed UDP through the XDP router at zero loss from a BPF_PROG_TEST_RUN
# live-frames generator, beside kernel forwarding + nftables DNAT doing the
# same steering; HTTP through keysteer and through HAProxy (routing on a
# header) with wrk. Prints a table, draws build/bench-e2e/e2e.png (gnuplot).

$(BUILD)/lab/%.bpf.o: tests/lab/bench/%.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/lab/%.skel.h: $(BUILD)/lab/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/tests/lab/bench/lab_bench.o: $(BUILD)/lab/ks_gen.skel.h $(BUILD)/lab/ks_sink.skel.h \
	$(BUILD)/lab/ks_transit.skel.h
$(BUILD)/obj/tests/lab/bench/lab_bench.o: CFLAGS_KS += -I$(BUILD)/lab -Itests/lab/bench
$(BUILD)/lab/ks-lab-bench: $(patsubst %.c,$(BUILD)/obj/%.o,tests/lab/bench/lab_bench.c ctl/client/ks_client.c)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_KS) $^ -o $@ -lbpf -lelf -lz
BINS += $(BUILD)/lab/ks-lab-bench $(BUILD)/lab/ks_gen.bpf.o $(BUILD)/lab/ks_sink.bpf.o \
	$(BUILD)/lab/ks_transit.bpf.o

# (LAB_DEPS comes from mk/lab.mk, read later: expanded in the recipe.)
bench-e2e: $(BUILD)/lab/ks-lab-bench
	@$(MAKE) --no-print-directory $(LAB_DEPS)
	@bash tests/lab/bench/bench_e2e.sh $(BUILD)
BENCH_TARGETS += bench-e2e
.PHONY: bench-e2e
