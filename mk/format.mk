# The tree stays clang-format clean (.clang-format).
check-format:
	@$(call run_test,format,bash mk/format-check.sh)
CHECK_TARGETS += check-format
.PHONY: check-format
