#!/bin/bash
# make lab: the lab up (following rules/demo/rules.json, or RULES), and a
# shell to poke at it; leaving the shell tears the lab down.
#   bash tests/lab/lab_shell.sh [BUILD] [RULES]
BUILD=${1:-build}
RULES=${2:-rules/demo/rules.json}
source "$(dirname "$0")/lab.sh"
lab_init "$BUILD"
lab_up "$RULES"

# The shell gets the lab's helpers (inns, ks, lab_client, lab_feed, ...) and
# its names, but not its traps: the lab belongs to this script.
rc=$LAB_DIR/bashrc
{
	echo "[ -f ~/.bashrc ] && source ~/.bashrc"
	echo "source $LAB_SRC/lab.sh"
	declare -p LAB_BUILD LAB_P LAB_DIR LAB_PIN LAB_SOCK LAB_FEED LAB_DLOG LAB_KS LAB_CLIENT \
		LAB_KSD LAB_CG | sed 's/^declare -[-x]* /declare -g /'
	echo "export KEYSTEER_SOCKET=$LAB_SOCK"
	echo "feed=$LAB_FEED client=$LAB_CLIENT"
	echo "PS1='(keysteer lab) \\w\\$ '"
} >"$rc"
cat <<EOF

The lab is up ($LAB_P). In its shell:
  inns HOST CMD...    run CMD in a namespace: rt (router), c1 c2 (clients), s1..s4 (shards)
  ks CMD ...          keysteer commands: status, stats, lookup KEY, rollback, tag, decap ...
  lab_feed FILE       publish a rule set on the feed, e.g. lab_feed rules/demo/step-1-canary-50.json
  lab_client HOST udp|tcp ...   the lab client, e.g.
      lab_client c1 udp --to 10.99.0.1:7000 --key ContinueWatchingRanking/demo/home --flows 100
keysteerd's log: $LAB_DLOG. Leave the shell (exit) to tear the lab down.

EOF
bash --rcfile "$rc" -i
