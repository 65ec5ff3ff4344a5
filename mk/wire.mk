# The shared wire header and key hash (include/keysteer/wire.h, fnv.h).
$(eval $(call cmocka_test,test_wire,tests/unit/test_wire.c,))
# Short name used in docs/wire-format.md; not in CHECK_TARGETS (no double run).
check-wire: check-test_wire
.PHONY: check-wire
