#!/bin/bash
# -V, -h (with -p), no command, -C and -S: as the reference.
. "$CTD_TESTS_SRCDIR/cli/cli-lib.sh"

populate_table

same_as_reference "-V" -V
same_as_reference "--version" --version
same_as_reference "-C" -C
same_as_reference "--count" --count
same_as_reference "-C expect" -C expect

# -h: 1.4.9 fixed a typo ("addres") and ours lists --labelmap; the rest is
# the reference's text.
help_as_reference() {
    local description=$1
    shift
    run_as ref "$@"
    run_as ours "$@"
    sed -i 's/Source addres from/Source address from/' "$CLI_TMP/ref.out"
    grep -v -- '--labelmap' "$CLI_TMP/ours.out" > "$CLI_TMP/ours.help" && mv "$CLI_TMP/ours.help" "$CLI_TMP/ours.out"
    if outputs_equal; then
        _tap_result 0 "$description"
    else
        _tap_result 1 "$description"
        show_difference
    fi
}
help_as_reference "-h"
help_as_reference "no command: the usage, exit 0"
help_as_reference "-a alone: the warning and the usage" -a 1
help_as_reference "--reply-zone without a command" --reply-zone 1
help_as_reference "--help"
for p in tcp udp udplite sctp dccp icmp icmpv6 gre 50 esp 200 0 TCP ipv6-icmp; do
    help_as_reference "-h -p $p" -h -p "$p"
done
help_as_reference "-p tcp -h" -p tcp -h

# -S: the same counters on the same CPUs, in the same format.
run_as ref -S
run_as ours -S
same_shape() { sed -E 's/=[0-9]+/=N/g' "$1"; }
is "$(same_shape "$CLI_TMP/ours.out")" "$(same_shape "$CLI_TMP/ref.out")" "-S: same lines"
is "$(cat "$CLI_TMP/ours.rc")" 0 "-S: exit status 0"

# -o json (this implementation's): one object per line.
CLI_RAW=1 run_as ours -L -o json
is "$(wc -l < "$CLI_TMP/ours.out")" 22 "-L -o json: one line per entry"
if command -v python3 > /dev/null; then
    ok "-L -o json: every line is a JSON object of schema 1" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert o["v"] == 1 and o["kind"] == "flow", o
' "$CLI_TMP/ours.out"
fi
run_as ours -C -o json
is "$(cat "$CLI_TMP/ours.out")" '{"v":1,"kind":"count","count":22}' "-C -o json"
run_as ours -S -o json
like "$(head -n 1 "$CLI_TMP/ours.out")" '^\{"v":1,"kind":"cpu_stats","cpu":0,' "-S -o json"
run_as ours -G -s 10.0.0.1 -d 10.0.1.1 -p tcp --sport 1001 --dport 80 -o json
like "$(cat "$CLI_TMP/ours.out")" '^\{"v":1,"kind":"flow",.*"src":"10.0.0.1","dst":"10.0.1.1","sport":1001,"dport":80' \
    "-G -o json"
run_as ours -D -s 10.0.0.2 -o json
is "$(wc -l < "$CLI_TMP/ours.out")" 2 "-D -o json: the deleted entries"

tap_done
