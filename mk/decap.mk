# The shard-side decapsulator: bpf/ks_decap.bpf.c, `keysteer decap`, tests.

KS_DECAP_OBJ := $(BUILD)/bpf/ks_decap.bpf.o
BINS += $(KS_DECAP_OBJ)

$(KS_DECAP_OBJ): bpf/decap_abi.h bpf/decap_parse.h bpf/decap_strip.h include/keysteer/gue.h

# BPF_PROG_TEST_RUN: every encapsulation, truncation, and traffic left alone.
$(eval $(call cmocka_test,test_decap,tests/bpf/decap_test.c tests/bpf/decap_pkt.c tests/net/nsutil.c $(KS_BACKEND_SRCS),$(KS_BACKEND_LDLIBS)))
check-test_decap: $(KS_DECAP_OBJ)

# A real interface: AF_PACKET-built GUE/IPIP frames reach UDP sockets after decap.
$(eval $(call cmocka_test,test_decap_netns,tests/net/decap_netns_test.c tests/bpf/decap_pkt.c tests/net/nsutil.c $(KS_CMD_BPF_SRCS) $(KS_BACKEND_SRCS),$(KS_BACKEND_LDLIBS) -ljansson))
check-test_decap_netns: $(KS_DECAP_OBJ)
