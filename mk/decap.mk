# The shard-side decapsulator: bpf/ks_decap.bpf.c, `keysteer decap`, tests.

KS_DECAP_OBJ := $(BUILD)/bpf/ks_decap.bpf.o
BINS += $(KS_DECAP_OBJ)

$(KS_DECAP_OBJ): bpf/decap_abi.h bpf/decap_parse.h bpf/decap_strip.h include/keysteer/gue.h

# BPF_PROG_TEST_RUN: every encapsulation, truncation, and traffic left alone.
$(eval $(call cmocka_test,test_decap,tests/bpf/decap_test.c tests/bpf/decap_pkt.c tests/net/nsutil.c $(KS_BACKEND_SRCS),$(KS_BACKEND_LDLIBS)))
check-test_decap: $(KS_DECAP_OBJ)
