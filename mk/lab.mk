# Client tagging (ctl/client/, bpf/ks_tag.bpf.c, ctl/cli/cmd_tag.c) and the
# network-namespace lab (tests/lab/): its tools, its end-to-end tests, and
# `make lab` (the lab up, for poking at by hand).
#
# For the integrator: `keysteer tag` is ks_cmd_tag/ks_help_tag (cmd_tag.h);
# link $(KS_TAG_SRCS) with $(KS_TAG_LIBS), after $(KS_TAG_SKEL) is built.

KS_CLIENT_SRCS := ctl/client/ks_client.c
KS_TAG_SRCS := ctl/client/ks_tag.c ctl/cli/cmd_tag.c $(KS_CLIENT_SRCS)
KS_TAG_LIBS := -lbpf -lelf -lz -ljansson
KS_TAG_SKEL := $(BUILD)/bpf/ks_tag.skel.h

# The loader includes the skeleton; keep the object it is made from.
$(BUILD)/obj/ctl/client/ks_tag.o $(BUILD)/san/ctl/client/ks_tag.o: $(KS_TAG_SKEL)
BINS += $(BUILD)/bpf/ks_tag.bpf.o

# The client library against the wire-format vectors; tagging with real
# TCP connections in a network namespace of its own.
$(eval $(call cmocka_test,test_client,tests/lab/test_client.c $(KS_CLIENT_SRCS),))
$(eval $(call cmocka_test,test_tag,tests/lab/test_tag.c $(KS_TAG_SRCS),$(KS_TAG_LIBS)))

# The lab client's bookkeeping and address parsing.
$(eval $(call cmocka_test,test_lab_tally,tests/lab/test_tally.c tests/lab/lab_tally.c tests/lab/lab_addr.c,-ljansson))

# The lab's tools: shard service and client (the lab drives keysteerd and the
# decapsulators with `keysteer` itself).
LAB := $(BUILD)/lab
$(LAB)/ks-shard: $(patsubst %.c,$(BUILD)/obj/%.o,tests/lab/shard_svc.c tests/lab/lab_addr.c $(KS_CLIENT_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_KS) $^ -o $@ -ljansson
$(LAB)/ks-lab-client: $(patsubst %.c,$(BUILD)/obj/%.o,tests/lab/lab_client.c tests/lab/lab_udp.c \
		tests/lab/lab_tcp.c tests/lab/lab_tally.c tests/lab/lab_addr.c $(KS_CLIENT_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_KS) $^ -o $@ -ljansson
LAB_TOOLS := $(LAB)/ks-shard $(LAB)/ks-lab-client
BINS += $(LAB_TOOLS)
# Everything a lab run needs.
LAB_DEPS := $(LAB_TOOLS) $(BUILD)/keysteerd $(BUILD)/keysteer $(BUILD)/bpf/ks_router.bpf.o \
	$(BUILD)/bpf/ks_decap.bpf.o

# End-to-end tests over the lab (each builds its own lab, a few seconds to
# set up; every wait and loop is bounded). `make check-lab` runs them all.
LAB_TESTS := steer tcp host swaps kill shadow
define lab_test
check-lab-$(1): $$(LAB_DEPS)
	@$$(call run_test,lab-$(1),bash tests/lab/test_$(1).sh $$(BUILD))
CHECK_TARGETS += check-lab-$(1)
.PHONY: check-lab-$(1)
endef
$(foreach t,$(LAB_TESTS),$(eval $(call lab_test,$(t))))
# The same client-side checks with keysteer-dpdk as the router (mk/dpdk.mk builds it).
$(eval $(call lab_test,dpdk))
check-lab-dpdk: $(BUILD)/keysteer-dpdk
# Swaps and SIGKILL again with keysteer-dpdk as the router, on the shared
# table keysteerd publishes into.
define lab_dpdk_test
check-lab-dpdk-$(1): $$(LAB_DEPS) $$(BUILD)/keysteer-dpdk
	@$$(call run_test,lab-dpdk-$(1),env LAB_ROUTER=dpdk bash tests/lab/test_$(1).sh $$(BUILD))
CHECK_TARGETS += check-lab-dpdk-$(1)
.PHONY: check-lab-dpdk-$(1)
endef
$(foreach t,swaps kill,$(eval $(call lab_dpdk_test,$(t))))
check-lab: $(addprefix check-lab-,$(LAB_TESTS)) check-lab-dpdk check-lab-dpdk-swaps check-lab-dpdk-kill
.PHONY: check-lab

# make lab: the lab up, and a shell inside it (leaving the shell tears it down).
lab: $(LAB_DEPS)
	@bash tests/lab/lab_shell.sh $(BUILD)
.PHONY: lab

# vagrant/: validate the Vagrantfile (needs vagrant from Debian: make deps).
check-vagrant:
	@$(call run_test,vagrant,bash tests/lab/test_vagrant.sh $(BUILD))
CHECK_TARGETS += check-vagrant
.PHONY: check-vagrant
