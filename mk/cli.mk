# The keysteer command-line tool (ctl/cli/), plain and under ASan+UBSan
# (keysteer-san, which the CLI test also runs). Commands that need more
# libraries add their sources to KS_CLI_SRCS and libraries to KS_CLI_LIBS.
include mk/rules.mk

KS_CLI_SRCS := ctl/cli/main.c ctl/cli/cmd_validate.c ctl/cli/cmd_hash.c ctl/cli/cmd_compile.c \
	ctl/cli/compile_text.c ctl/cli/compile_json.c $(KS_RULES_SRCS)
KS_CLI_LIBS := $(KS_RULES_LIBS)

$(BUILD)/keysteer: $(patsubst %.c,$(BUILD)/obj/%.o,$(KS_CLI_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_KS) $^ -o $@ $(KS_CLI_LIBS)
$(BUILD)/keysteer-san: $(patsubst %.c,$(BUILD)/san/%.o,$(KS_CLI_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_SAN) $^ -o $@ $(KS_CLI_LIBS)
BINS += $(BUILD)/keysteer $(BUILD)/keysteer-san

check-cli: $(BUILD)/keysteer $(BUILD)/keysteer-san
	@$(call run_test,cli,bash tests/cli/test_cli.sh $(BUILD)/keysteer)
	@$(call run_test,cli-san,bash tests/cli/test_cli.sh $(BUILD)/keysteer-san)
CHECK_TARGETS += check-cli
.PHONY: check-cli
