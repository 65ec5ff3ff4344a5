# keysteer: one entry point. See README.md.
#   make            build everything into build/
#   make deps       install Debian packages, mount bpffs, reserve hugepages
#   make check      all tests (unit, sanitizers, BPF, fuzz, integration)
#   make demo       the network-namespace lab
#   make bench      every benchmark
#
# Component rules live in mk/*.mk; each appends to BINS, CHECK_TARGETS and
# BENCH_TARGETS. Outputs go to $(BUILD) only.

BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

OPTFLAGS ?= -O2
WARNINGS := -Wall -Wextra -Werror
# Where installed programs find BPF objects (make install sets /usr/lib/keysteer).
KS_BPF_DIR ?= $(BUILD)/bpf
CPPFLAGS_KS := -Iinclude -Ictl -I$(BUILD)/bpf -D_GNU_SOURCE -DKS_BPF_DIR='"$(KS_BPF_DIR)"'

CFLAGS_KS := -std=gnu11 -g $(OPTFLAGS) $(WARNINGS) $(CPPFLAGS_KS) -MMD -MP
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
CFLAGS_SAN := -std=gnu11 -g -O1 $(WARNINGS) $(CPPFLAGS_KS) $(SAN_FLAGS) -MMD -MP
BPF_CFLAGS := -std=gnu11 -O2 -g -target bpf -mcpu=v3 $(WARNINGS) -Iinclude \
	-I/usr/include/$(MULTIARCH) -D__TARGET_ARCH_x86

BINS :=
CHECK_TARGETS :=
BENCH_TARGETS :=

.PHONY: all deps check demo bench clean format format-check
# Fragments may name other fragments' source lists in prerequisites as $$(VAR).
.SECONDEXPANSION:
.DEFAULT_GOAL := all

# Plain and sanitized objects of any C source in the tree.
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_KS) -c $< -o $@
$(BUILD)/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_SAN) -c $< -o $@

# BPF objects and their libbpf skeletons.
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# Run a test suite and record its verdict: $(call run_test,NAME,COMMAND)
run_test = bash mk/run-test.sh $(1) $(2)

# $(call cmocka_test,NAME,SOURCES,LDLIBS): a cmocka suite built twice, plain
# and under ASan+UBSan, both run by check-NAME.
define cmocka_test
$(BUILD)/tests/$(1): $(patsubst %.c,$(BUILD)/obj/%.o,$(2))
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_KS) $$^ -o $$@ $(3) -lcmocka
$(BUILD)/tests/$(1)-san: $(patsubst %.c,$(BUILD)/san/%.o,$(2))
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_SAN) $$^ -o $$@ $(3) -lcmocka
check-$(1): $(BUILD)/tests/$(1) $(BUILD)/tests/$(1)-san
	@$$(call run_test,$(1),$(BUILD)/tests/$(1))
	@$$(call run_test,$(1)-san,$(BUILD)/tests/$(1)-san)
CHECK_TARGETS += check-$(1)
BINS += $(BUILD)/tests/$(1) $(BUILD)/tests/$(1)-san
.PHONY: check-$(1)
endef

include $(sort $(wildcard mk/*.mk))

all: $(BINS)

deps:
	@bash mk/deps.sh

check: deps
	@$(MAKE) --no-print-directory all
	@rm -rf $(BUILD)/results
	@$(MAKE) --no-print-directory -k $(CHECK_TARGETS) ; rc=$$?; \
	 bash mk/summary.sh $(BUILD)/results ; exit $$rc

bench: deps all $(BENCH_TARGETS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
