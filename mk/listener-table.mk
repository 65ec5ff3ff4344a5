# Placing listeners in ks_listeners' buckets (ctl/backend/listener_table.c)
# and the lookup the XDP router runs on them (include/keysteer/listener_table.h).
$(eval $(call cmocka_test,test_listener_table,tests/unit/test_listener_table.c ctl/backend/listener_table.c,))
check-listener-table: check-test_listener_table
.PHONY: check-listener-table
