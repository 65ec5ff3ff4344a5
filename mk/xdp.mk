# The XDP router (bpf/ks_router.bpf.c), the shared parse/select/encap core
# (include/keysteer/), and their tests. See docs/xdp.md.

XDP_TEST_SUPPORT := tests/bpf/xdp_fixture.c tests/bpf/xdp_checks.c tests/bpf/pkt.c \
	tests/bpf/rfc1071.c tests/bpf/ref_model.c ctl/backend/listener_table.c

# Everything including the skeleton waits for it.
$(BUILD)/obj/tests/bpf/xdp_fixture.o $(BUILD)/san/tests/bpf/xdp_fixture.o: \
	$(BUILD)/bpf/ks_router.skel.h

$(eval $(call cmocka_test,test_xdp_steer,tests/bpf/test_xdp_steer.c $(XDP_TEST_SUPPORT),-lbpf))
$(eval $(call cmocka_test,test_xdp_parse,tests/bpf/test_xdp_parse.c $(XDP_TEST_SUPPORT),-lbpf))
$(eval $(call cmocka_test,test_xdp_tcp,tests/bpf/test_xdp_tcp.c $(XDP_TEST_SUPPORT),-lbpf))
$(eval $(call cmocka_test,test_xdp_nat,tests/bpf/test_xdp_nat.c $(XDP_TEST_SUPPORT),-lbpf))
# Runs in a network namespace of its own (unshare), with a veth pair it creates.
$(eval $(call cmocka_test,test_xdp_nexthop,tests/bpf/test_xdp_nexthop.c $(XDP_TEST_SUPPORT),-lbpf))
# The shared core compiled by gcc, plain and under ASan/UBSan: no BPF at all.
$(eval $(call cmocka_test,test_ks_core,tests/bpf/test_ks_core.c tests/bpf/xdp_checks.c tests/bpf/pkt.c tests/bpf/rfc1071.c tests/bpf/ref_model.c,))
