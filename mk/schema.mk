# The keysteer/v1 JSON Schema (rules/schema/), the examples and the demo feed
# checked against it with Debian's python3-jsonschema (/usr/bin/python3: the
# PATH python3 may be a pyenv shim without it, PLATFORM.md).
check-schema:
	@$(call run_test,schema,/usr/bin/python3 tests/schema/check_schema.py)
CHECK_TARGETS += check-schema
.PHONY: check-schema
