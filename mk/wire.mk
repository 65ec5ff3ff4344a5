# The shared wire header and key hash (include/keysteer/wire.h, fnv.h).
$(eval $(call cmocka_test,test_wire,tests/unit/test_wire.c,))
