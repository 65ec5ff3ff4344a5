# The keysteer command-line tool (ctl/cli/), plain and under ASan+UBSan
# (keysteer-san, which the CLI test also runs). Commands that need more
# libraries add their sources to KS_CLI_SRCS and libraries to KS_CLI_LIBS.
include mk/rules.mk

# The offline commands (validate, compile, hash) need only the compiler; the
# rest come from the daemon client (cmd_ctl), the data-plane commands
# (mk/backend.mk) and client tagging (mk/lab.mk), whose lists are read at
# second expansion because those fragments sort after this one.
KS_CLI_SRCS := ctl/cli/main.c ctl/cli/cmd_validate.c ctl/cli/cmd_hash.c ctl/cli/cmd_compile.c \
	ctl/cli/compile_text.c ctl/cli/compile_json.c ctl/cli/cmd_stats_any.c ctl/cli/cmd_ctl.c \
	ctl/ctlsock/ctlsock.c $(KS_RULES_SRCS)
ks_cli_srcs = $(sort $(KS_CLI_SRCS) $(KS_CMD_BPF_SRCS) $(KS_BACKEND_SRCS) $(KS_TAG_SRCS))
ks_cli_libs = $(KS_RULES_LIBS) $(KS_BACKEND_LDLIBS) $(KS_TAG_LIBS)

$(BUILD)/keysteer: $$(patsubst %.c,$(BUILD)/obj/%.o,$$(ks_cli_srcs)) | $$(KS_TAG_SKEL)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_KS) $(filter %.o,$^) -o $@ $(ks_cli_libs)
$(BUILD)/keysteer-san: $$(patsubst %.c,$(BUILD)/san/%.o,$$(ks_cli_srcs)) | $$(KS_TAG_SKEL)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_SAN) $(filter %.o,$^) -o $@ $(ks_cli_libs)
BINS += $(BUILD)/keysteer $(BUILD)/keysteer-san

check-cli: $(BUILD)/keysteer $(BUILD)/keysteer-san
	@$(call run_test,cli,bash tests/cli/test_cli.sh $(BUILD)/keysteer)
	@$(call run_test,cli-san,bash tests/cli/test_cli.sh $(BUILD)/keysteer-san)
CHECK_TARGETS += check-cli
.PHONY: check-cli
