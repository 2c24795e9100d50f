#!/bin/bash
# Large tables: -L streams (its peak memory does not grow with the table),
# -R and -D send many requests per system call, and the results are the
# reference's.
. "$CTD_TESTS_SRCDIR/cli/cli-lib.sh"

# entries FROM TO: -I lines for UDP entries number FROM..TO.
entries() {
    awk -v from="$1" -v to="$2" 'BEGIN {
        for (i = from; i <= to; i++)
            printf "-I -s 10.%d.%d.%d -d 192.0.2.1 -p udp --sport %d --dport 53 -t 3000\n",
                   int(i / 65536) % 256, int(i / 256) % 256, i % 256, 1024 + i % 60000
    }'
}
peak_kib() { # conntrack arguments...
    in_ns /usr/bin/time -f %M "$OURS" "$@" 2>&1 > /dev/null | tail -n 1
}

in_ns "$REFERENCE" -F > /dev/null 2>&1
entries 1 20000 > "$CLI_TMP/first"
in_ns "$OURS" -R "$CLI_TMP/first"
is "$(in_ns "$OURS" -C)" 20000 "20000 entries loaded with -R"
small=$(peak_kib -L)

entries 20001 200000 > "$CLI_TMP/rest"
in_ns "$OURS" -R "$CLI_TMP/rest"
is "$(in_ns "$OURS" -C)" 200000 "200000 entries loaded with -R"
large=$(peak_kib -L)
tap_diag "peak RSS of -L: $small KiB at 20000 entries, $large KiB at 200000"
ok "-L: peak memory does not grow with the table ($small KiB -> $large KiB)" \
    [ "$large" -le $((small + 1024)) ]
large_filtered=$(peak_kib -L -p udp --dport 53 -s 10.1.0.0/16)
ok "-L with filters: peak memory stays small ($large_filtered KiB)" [ "$large_filtered" -le $((small + 1024)) ]

# The same listing as the reference, entry for entry (sorted: both dump in
# the kernel's order, but the comparison should not depend on it).
run_as ref -L -s 10.2.0.0/16
run_as ours -L -s 10.2.0.0/16
sort -o "$CLI_TMP/ref.out" "$CLI_TMP/ref.out"
sort -o "$CLI_TMP/ours.out" "$CLI_TMP/ours.out"
ok "-L -s 10.2.0.0/16 on 200000 entries: as the reference" outputs_equal
is "$(wc -l < "$CLI_TMP/ours.out")" 65536 "-L -s 10.2.0.0/16: 65536 entries"

# -D: many deletions per sendmsg.
if command -v strace > /dev/null; then
    in_ns strace -f -e trace=sendto,sendmsg -o "$CLI_TMP/strace" "$OURS" -D -s 10.1.0.0/16 \
        > "$CLI_TMP/ours.out" 2> "$CLI_TMP/ours.err"
    sends=$(grep -c -E '^[0-9]+ +(sendto|sendmsg)' "$CLI_TMP/strace")
    ok "-D of 65536 entries in at most 300 sends (got $sends)" [ "$sends" -le 300 ]
else
    in_ns "$OURS" -D -s 10.1.0.0/16 > "$CLI_TMP/ours.out" 2> "$CLI_TMP/ours.err"
    _tap_result 0 "-D: sends not counted # SKIP strace is not installed"
fi
is "$(wc -l < "$CLI_TMP/ours.out")" 65536 "-D: every deleted entry printed"
is "$(tail -n 1 "$CLI_TMP/ours.err")" "conntrack v1.4.7 (conntrack-tools): 65536 flow entries have been deleted." \
    "-D: the count"
is "$(in_ns "$OURS" -C)" 134464 "-D: the others remain"
in_ns "$OURS" -F > /dev/null 2>&1

tap_done
