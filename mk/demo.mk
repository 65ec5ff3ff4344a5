# make demo: the main job. Until the network-namespace lab lands (issue 6) it
# validates and compiles the demo rule set and explains the compiled table.
demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/keysteer
	@bash mk/demo.sh $(BUILD)/keysteer
