#!/bin/bash
# Expectations (-L/-G/-D/-I/-F/-C/-S expect, -E expect): the TFTP helper
# makes them, both programs act on the same table.
. "$CTD_TESTS_SRCDIR/cli/cli-lib.sh"

populate_expectations
got=$(in_ns "$REFERENCE" -L expect 2>/dev/null | wc -l)
is "$got" 2 "the TFTP helper made two expectations" || bail "no expectations to test with"

while IFS= read -r line; do
    case $line in ''|'#'*) continue ;; esac
    eval "set -- $line"
    same_as_reference_after populate_expectations "conntrack $line" "$@"
done <<'LINES'
-L expect
-L expect -o xml
-L expect -o extended
-L expect -f ipv6
-C expect
-F expect
-G expect -s 127.0.0.1 -d 127.0.0.1 -p udp --sport 0 --dport 4001 --reply-port-src 1 --reply-port-dst 1
-G expect -s 127.0.0.1 -d 127.0.0.1 -p udp --sport 0 --dport 4001 --reply-port-src 1 --reply-port-dst 1 -o xml
-G expect -s 127.0.0.1 -d 127.0.0.1 -p udp --sport 0 --dport 4009 --reply-port-src 1 --reply-port-dst 1
-D expect -s 127.0.0.1 -d 127.0.0.1 -p udp --sport 0 --dport 4001 --reply-port-src 1 --reply-port-dst 1
-D expect -s 127.0.0.1 -d 127.0.0.1 -p udp --sport 0 --dport 4009 --reply-port-src 1 --reply-port-dst 1
-I expect -s 127.0.0.1 -d 127.0.0.1 -p udp --sport 4001 --dport 69 -t 200 --tuple-src 127.0.0.1 --tuple-dst 127.0.0.1 --mask-src 255.255.255.255 --mask-dst 255.255.255.255 --tuple-port-src 0 --tuple-port-dst 5000 --mask-port-src 0 --mask-port-dst 65535
-I expect -s 127.0.0.9 -d 127.0.0.1 -p udp --sport 4001 --dport 69 -t 200 --tuple-src 127.0.0.1 --tuple-dst 127.0.0.1 --mask-src 255.255.255.255 --mask-dst 255.255.255.255 --tuple-port-src 0 --tuple-port-dst 5000 --mask-port-src 0 --mask-port-dst 65535
-I expect -s 127.0.0.1 -d 127.0.0.1 -p tcp --sport 4001 --dport 69 -t 200 --tuple-src 127.0.0.1 --tuple-dst 127.0.0.1 --mask-src 255.255.255.255 --mask-dst 255.255.255.255 --tuple-port-src 0 --tuple-port-dst 5000 --mask-port-src 0 --mask-port-dst 65535
LINES

# -S expect: the same counters, in the same format (the values move).
run_as ref -S expect
run_as ours -S expect
same_shape() { sed -E 's/=[0-9]+/=N/g' "$1"; }
is "$(same_shape "$CLI_TMP/ours.out")" "$(same_shape "$CLI_TMP/ref.out")" "-S expect: same lines"

# -E expect: both see the helper's new expectation and its destruction.
in_ns "$REFERENCE" -F expect > /dev/null 2>&1
listeners() {
    in_ns awk 'NR > 1 && $2 == 12 && $4 != "00000000" { n++ } END { print n + 0 }' /proc/net/netlink
}
ip netns exec "$(ns_name ct)" env PATH="$CLI_TMP/ref:$PATH" conntrack -E expect \
    > "$CLI_TMP/ref.out" 2> "$CLI_TMP/ref.err" &
pid_ref=$!
ip netns exec "$(ns_name ct)" env PATH="$CLI_TMP/ours:$PATH" conntrack -E expect \
    > "$CLI_TMP/ours.out" 2> "$CLI_TMP/ours.err" &
pid_ours=$!
for i in $(seq 200); do
    [ "$(listeners)" -ge 2 ] && break
    sleep 0.05
done
populate_expectations
in_ns "$REFERENCE" -F expect > /dev/null 2>&1
for i in $(seq 50); do
    [ "$(wc -l < "$CLI_TMP/ref.out")" -ge 4 ] && [ "$(wc -l < "$CLI_TMP/ours.out")" -ge 4 ] && break
    sleep 0.1
done
kill -INT $pid_ref $pid_ours
wait $pid_ref; echo $? > "$CLI_TMP/ref.rc"
wait $pid_ours; echo $? > "$CLI_TMP/ours.rc"
cli_normalize "$CLI_TMP/ref.out" "$CLI_TMP/ours.out"
sed -i -E 's/^( *\[[A-Z]+\] )[0-9]+ proto=/\1T proto=/' "$CLI_TMP/ref.out" "$CLI_TMP/ours.out"
if outputs_equal; then
    _tap_result 0 "-E expect: the same events and summary"
else
    _tap_result 1 "-E expect: the same events and summary"
    show_difference
fi

tap_done
