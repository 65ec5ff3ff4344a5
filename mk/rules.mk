# The rule compiler library (ctl/rules/): keysteer/v1 JSON -> struct ks_compiled.
# Link it by adding $(KS_RULES_SRCS) to your sources and $(KS_RULES_LIBS) to
# your libraries. Fragments that sort before this one may `include mk/rules.mk`
# first (it is guarded) so that the variables are set when their rules are read.
ifndef KS_RULES_MK
KS_RULES_MK := 1

KS_RULES_SRCS := $(sort $(wildcard ctl/rules/*.c))
KS_RULES_LIBS := -ljansson -lm -lpthread

# Unit tests of the compiler and of weight normalisation, and the rule corpus
# (tests/rules/good, tests/rules/bad with the exact errors each must produce).
$(eval $(call cmocka_test,test_compiler,tests/unit/test_compiler.c $(KS_RULES_SRCS),$(KS_RULES_LIBS)))
$(eval $(call cmocka_test,test_weights,tests/unit/test_weights.c $(KS_RULES_SRCS),$(KS_RULES_LIBS)))
$(eval $(call cmocka_test,test_rules_corpus,tests/unit/test_rules_corpus.c $(KS_RULES_SRCS),$(KS_RULES_LIBS)))

endif
