# The rule compiler library (ctl/rules/): keysteer/v1 JSON -> struct ks_compiled.
# Link it by adding $(KS_RULES_SRCS) to your sources and $(KS_RULES_LIBS) to
# your libraries. Fragments that sort before this one may `include mk/rules.mk`
# first (it is guarded) so that the variables are set when their rules are read.
ifndef KS_RULES_MK
KS_RULES_MK := 1

KS_RULES_SRCS := $(sort $(wildcard ctl/rules/*.c))
KS_RULES_LIBS := -ljansson -lm -lpthread

endif
