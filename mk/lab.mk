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
