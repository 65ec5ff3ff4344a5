# make demo: the network-namespace lab (tests/lab/lab.sh), narrated by
# mk/demo.sh: keyed UDP and tagged TCP through the XDP router while the demo
# feed (rules/demo) shifts the canary, moves it and rolls back. Needs root.
# PHASE=SECONDS sets the length of each traffic phase (default 6).
demo: deps
	@$(MAKE) --no-print-directory $(LAB_DEPS)
	@bash mk/demo.sh $(BUILD)
