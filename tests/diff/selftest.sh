#!/bin/bash
# The differential test catches differences: conntrack-diff.sh runs a sample
# of its command table against mutant.py, a `conntrack` that runs the
# reference and then, line by line, changes nothing, one character of
# stdout, one of stderr, the exit status, or (table-changing lines) the
# table.  Every changed line must fail with a diff of what changed, every
# unchanged line must pass, and a line where ours must behave as 1.4.8+
# (" %% " or " %%fix " in the table) fails (the mutant is 1.4.7 underneath).  Which lines may show a change is known from
# the harness's report of the reference's own outputs (a change to an empty
# stdout is no change).
. "$CTD_TESTS_SRCDIR/lib/tap.sh"

[ "$(id -u)" -eq 0 ] || bail "needs root (network namespaces)"
work=$(mktemp -d /tmp/ctdt-diffself.XXXXXX)
trap 'rm -rf "$work"' EXIT

src="$CTD_TESTS_SRCDIR/diff"
export REFERENCE_CONNTRACK=${REFERENCE_CONNTRACK:-/usr/sbin/conntrack}
# Every kind of line: corpus, empty table, events (with and without
# timestamps), expectations, rebuilt tables (rules, empty, traffic), -R.
sample='^(list|list-xml|list-save|list-ktimestamp|proto-sctp|src-nat-ip|label-output|get|get-missing|count|stats|expect|dying|unconfirmed|no-arguments|help|two-commands|list-output-unknown|empty-xml|events|events-xml|events-ts-xml|events-timestamp|events-xml-timestamp|expect-events|events-mask-bad|delete-proto|delete-xml|delete-port|delete-label|flush|update-label-add|create-tcp|create-no-state|create-mark-status|update-no-family|load|load-failing|nat-delete-snat|nat-delete-expect|nat-zero-counters)$'

CONNTRACK="$src/mutant.py" DIFF_SELECT="$sample" DIFF_REPORT="$work/report" \
    bash "$src/conntrack-diff.sh" > "$work/tap" 2>&1
status=$?
lines=$(grep -c . "$work/report" 2>/dev/null || echo 0)
ok "the harness ran every sampled line" test "$lines" -eq 41
if [ "$lines" -ne 41 ]; then
    tap_diag "$(tail -n 20 "$work/tap")"
fi
is "$status" 0 "the harness itself ended normally"

declare -A seen
while IFS=$'\t' read -r name result kind out_bytes err_bytes ref_status; do
    mode=$(/usr/bin/python3 "$src/mutant.py" --mode "$name" "$kind")
    note=
    seen[$mode]=1
    case $mode in
    none) expected=ok ;;
    stdout) expected=ok; [ "$out_bytes" -gt 0 ] && expected="not ok" ;;
    stderr) expected=ok; [ "$err_bytes" -gt 0 ] && expected="not ok" ;;
    status | table) expected="not ok" ;;
    esac
    # A line where ours must behave as 1.4.8+ (" %% " or " %%fix " in the
    # table) fails whatever the mutation: the mutant is 1.4.7 underneath.
    if grep -Eq "^[^ ]+ +$name( .*)? %%(fix)? " "$src/commands.txt"; then
        note=", and 1.4.8+ behaviour expected"
        expected="not ok"
    fi
    is "$result" "$expected" "$name ($kind, $mode changed$note): $expected"
    if [ "$expected" = "not ok" ] && [ "$result" = "not ok" ] && [ -z "$note" ]; then
        part=$mode
        # The failure shows the part that differs, as a unified diff.
        diagnostics=$(sed -n "/^not ok [0-9]* - $name: /,/^\(ok\|not ok\) /p" "$work/tap")
        has "$diagnostics" "--- $part differs (reference, ours):" "$name: the failure names what differs"
        has "$diagnostics" "# +++ ours $part" "$name: the failure shows the diff"
    fi
done < "$work/report"
for mode in none stdout stderr status table; do
    ok "the sample exercises the mutation '$mode'" test -n "${seen[$mode]:-}"
done
tap_done
