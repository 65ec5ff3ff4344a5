# Shadow copies: the tc program beside the XDP router (bpf/ks_shadow.bpf.c),
# its attach code (ctl/backend/tc_attach.c) and its test.

KS_SHADOW_OBJ := $(BUILD)/bpf/ks_shadow.bpf.o
# ctl/backend/tc_attach.c is part of KS_BACKEND_SRCS (mk/backend.mk).
BINS += $(KS_SHADOW_OBJ)

$(KS_SHADOW_OBJ): bpf/shadow_ctx.h bpf/shadow_steer.h bpf/ks_maps.h include/keysteer/encap.h \
	include/keysteer/nat.h include/keysteer/table.h

# The real router (native XDP) and the tc program on veths in the test's own netns.
$(eval $(call cmocka_test,test_shadow_netns,tests/bpf/test_shadow_netns.c tests/bpf/rfc1071.c tests/net/nsutil.c $(KS_BACKEND_SRCS),$(KS_BACKEND_LDLIBS)))
check-test_shadow_netns: $(KS_SHADOW_OBJ) $(BUILD)/bpf/ks_router.bpf.o
