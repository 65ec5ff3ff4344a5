# keysteer-dpdk (dataplane/), the shared table it reads (ctl/shmtable/) and
# their tests (tests/dpdk/, tests/diff/). See docs/dpdk.md.
#
# For keysteerd: link $(KS_SHM_SRCS) and include "shmtable/shm_writer.h".
include mk/rules.mk

KS_SHM_SRCS := ctl/shmtable/shm_region.c ctl/shmtable/shm_qsbr.c ctl/shmtable/shm_hash.c \
	ctl/shmtable/shm_slots.c ctl/shmtable/shm_writer.c ctl/shmtable/shm_counters.c \
	ctl/shmtable/shm_nexthop.c

# Writer and lock-free reader, plain and under ASan/UBSan.
$(eval $(call cmocka_test,test_shmtable,tests/dpdk/test_shmtable.c $(KS_SHM_SRCS) $(KS_RULES_SRCS),$(KS_RULES_LIBS) -lpthread))
