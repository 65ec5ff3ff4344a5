# libFuzzer target for the rule compiler (tests/fuzz/fuzz_compile.c), built
# with clang under ASan+UBSan. check-fuzz runs it for FUZZ_SECONDS on a copy
# of the seed corpus in $(BUILD), so the repository is never modified; a
# crash, leak, UB report or timeout fails the check and leaves the input in
# $(BUILD)/fuzz/artifacts/.
include mk/rules.mk

FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -std=gnu11 -g -O1 $(WARNINGS) $(CPPFLAGS_KS) -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(BUILD)/fuzz/fuzz_compile: tests/fuzz/fuzz_compile.c $(KS_RULES_SRCS) $(wildcard ctl/rules/*.h) \
		include/keysteer/table.h include/keysteer/fnv.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) tests/fuzz/fuzz_compile.c $(KS_RULES_SRCS) -o $@ $(KS_RULES_LIBS)
BINS += $(BUILD)/fuzz/fuzz_compile

check-fuzz: $(BUILD)/fuzz/fuzz_compile
	@rm -rf $(BUILD)/fuzz/corpus-compile && mkdir -p $(BUILD)/fuzz/corpus-compile $(BUILD)/fuzz/artifacts
	@cp tests/fuzz/corpus/compile/* $(BUILD)/fuzz/corpus-compile/
	@$(call run_test,fuzz-compile,$(BUILD)/fuzz/fuzz_compile -max_total_time=$(FUZZ_SECONDS) \
		-max_len=16384 -timeout=10 -dict=tests/fuzz/compile.dict \
		-artifact_prefix=$(BUILD)/fuzz/artifacts/ -print_final_stats=1 $(BUILD)/fuzz/corpus-compile)
CHECK_TARGETS += check-fuzz
.PHONY: check-fuzz
