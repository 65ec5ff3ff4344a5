# make bench-compile: compile generated rule sets of 100k and 1M keys and
# print parse/compile times and table bytes per key against the targets
# (100k keys in <= 100 ms, <= 64 bytes of table per key). BENCH_RUNS runs
# each, best kept.
include mk/rules.mk

BENCH_RUNS ?= 5
BENCH_COMPILE_DIR := $(BUILD)/bench/compile

$(BUILD)/bench/gen_rules: tests/bench/compile/gen_rules.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_KS) $< -o $@
$(BUILD)/bench/bench_compile: $(patsubst %.c,$(BUILD)/obj/%.o,tests/bench/compile/bench_compile.c $(KS_RULES_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_KS) $^ -o $@ $(KS_RULES_LIBS)
BINS += $(BUILD)/bench/gen_rules $(BUILD)/bench/bench_compile

$(BENCH_COMPILE_DIR)/rules-100k.json: $(BUILD)/bench/gen_rules
	@mkdir -p $(@D)
	$(BUILD)/bench/gen_rules 100000 $@
$(BENCH_COMPILE_DIR)/rules-1m.json: $(BUILD)/bench/gen_rules
	@mkdir -p $(@D)
	$(BUILD)/bench/gen_rules 1000000 $@

bench-compile: $(BUILD)/bench/bench_compile $(BENCH_COMPILE_DIR)/rules-100k.json \
		$(BENCH_COMPILE_DIR)/rules-1m.json
	$(BUILD)/bench/bench_compile -r $(BENCH_RUNS) $(BENCH_COMPILE_DIR)/rules-100k.json \
		$(BENCH_COMPILE_DIR)/rules-1m.json
BENCH_TARGETS += bench-compile
.PHONY: bench-compile
