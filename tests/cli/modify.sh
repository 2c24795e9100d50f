#!/bin/bash
# Commands that change the table (-I, -A, -D, -U, -F): on the same table,
# ours and the reference print the same and leave the same table.  Where
# the project follows a fix of 1.4.8/1.4.9 (docs/compatibility.md) ours is
# checked against the fixed behaviour instead.
. "$CTD_TESTS_SRCDIR/cli/cli-lib.sh"

while IFS= read -r line; do
    case $line in ''|'#'*) continue ;; esac
    eval "set -- $line"
    same_as_reference_after populate_table "conntrack $line" "$@"
done <<'LINES'
-D -s 10.0.0.1
-D -p tcp
-D -p tcp --dport 80
-D -m 0x12
-D -s 10.0.0.0/24 -p udp
-D -f ipv6
-D -s fd00::1
-D -s 10.0.0.1 -o save
-D -s 10.0.0.1 -o xml
-D -s 10.0.0.1 -o extended,id
-D -s 99.0.0.1
-D -n
-D -g 10.0.5.5
-D -w 7
-D --orig-zone 3
-D -u ASSURED
-D -u UNREPLIED -p udp
-D -t 5
-D -i 1
-D
-D -p icmp --icmp-type 8
-D -p gre
-F
-F -f ipv6
-F expect
-I -s 1.2.3.4 -d 5.6.7.8 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 100
-I -s 1.2.3.4 -d 5.6.7.8 -p tcp --sport 1 --dport 2 --state TIME_WAIT -t 100 -u ASSURED -m 5
-I -s 1.2.3.4 -d 5.6.7.8 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 100 -u SEEN_REPLY
-I -s 10.0.0.1 -d 10.0.1.1 -p tcp --sport 1001 --dport 80 --state ESTABLISHED -t 100
-I -s 1.2.3.4 -d 5.6.7.8 -p udp --sport 1 --dport 2 -t 100 -u EXPECTED
-A -s 1.2.3.4 -d 5.6.7.8 -p udp --sport 1 --dport 2 -t 100
-I -s 1.2.3.4 -d 5.6.7.8 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 9 -t 100
-I -s 1.2.3.4 -d 5.6.7.8 -p icmp --icmp-type 13 --icmp-code 0 -t 100
-I -s fd01::1 -d fd01::2 -p icmpv6 --icmpv6-type 128 --icmpv6-code 0 -t 100
-I -r 1.2.3.4 -q 5.6.7.8 -p udp --reply-port-src 1 --reply-port-dst 2 -t 100
-I -s 1.2.3.4 -d 5.6.7.8 -r 5.6.7.9 -q 1.2.3.4 -p udp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1 -t 100
-I -s 1.2.3.4 -d 5.6.7.8 -p gre --srckey 1 --dstkey 2 -t 100
-I -s 1.2.3.4 -d 5.6.7.8 -p sctp --sport 1 --dport 2 --state ESTABLISHED --orig-vtag 5 --reply-vtag 6 -t 100
-I -s 1.2.3.4 -d 5.6.7.8 -p 50 -t 100
-I -s fd01::1 -d fd01::2 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 100
-I -s 1.2.3.4 -d 5.6.7.8 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 100 -w 5
-I -s 1.2.3.4 -d 5.6.7.8 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 100 --orig-zone 5 --reply-zone 6
-I -s 1.2.3.4 -d 5.6.7.8 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 100 -n 9.9.9.9
-I -s 1.2.3.4 -d 5.6.7.8 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 100 -g 9.9.9.9:77
-I -s 1.2.3.4 -d 5.6.7.8 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 100 -n 9.9.9.9 -g 8.8.8.8
-I -s fd01::1 -d fd01::2 -p udp --sport 1 --dport 2 -t 100 -n [fd01::9]:99
-I -s 1.2.3.4 -d 5.6.7.8 -p tcp --sport 1 --dport 2 --state LISTEN -t 100
-U -s 10.0.0.1 -d 10.0.1.1 -p tcp --sport 1001 --dport 80 -m 99
-U -s 10.0.0.2 -p tcp -t 500
-U -s 99.0.0.1 -m 1
-U -s 10.0.0.3 -p tcp -u ASSURED
-U -s 10.0.0.3 -p udp -u ASSURED
-U -s 10.0.0.1 -p udp -m 0x100/0xf00
-U -s 10.0.0.1 -p udp -m 5 -o save
-U -s 10.0.0.1 -p udp -m 5 -o xml
-U -s 10.0.0.6 -p tcp --dport 80 -n -m 8
-U -s 10.0.0.8 -p sctp --orig-vtag 7
LINES

# --- Where ours follows 1.4.8/1.4.9 ---------------------------------------

# 1.4.8: -A updates an existing entry (and counts it) instead of ignoring
# EEXIST.
populate_table
run_as ours -A -s 10.0.0.1 -d 10.0.1.1 -p udp --sport 2001 --dport 53 -t 100 -m 77
is "$(cat "$CLI_TMP/ours.err")" "conntrack v1.4.7 (conntrack-tools): 1 flow entries have been added." \
    "-A on an existing entry: added (1.4.8)"
has "$(in_ns "$REFERENCE" -L -s 10.0.0.1 -p udp 2>/dev/null)" "mark=77" "-A on an existing entry: updated (1.4.8)"

# 1.4.8: -U sends each entry's family, so it works without -s/-f too.
populate_table
run_as ours -U -p udp -m 66
is "$(tail -n 1 "$CLI_TMP/ours.err")" "conntrack v1.4.7 (conntrack-tools): 6 flow entries have been updated." \
    "-U without a family updates every match (1.4.8)"
is "$(in_ns "$REFERENCE" -L -p udp -m 66 2>/dev/null | wc -l)" 6 "-U without a family: marks set"
# ... and prints what 1.4.7 prints: updates 1 and 3 of 6 (see
# docs/compatibility.md), as updated.
is "$(wc -l < "$CLI_TMP/ours.out")" 2 "-U prints updates 1, 3, 5... as 1.4.7 does"
is "$(grep -c 'mark=66 use=2' "$CLI_TMP/ours.out")" 2 "-U prints the entries as updated"
# The same with a family, beside the reference: which entries are printed
# (UDP only: 1.4.7 cannot update the entry in zone 3, see below).
for marks in "-m 66" "-m 0x100/0xf00" "-t 77" "-u ASSURED"; do
    # shellcheck disable=SC2086
    same_as_reference_after populate_table "-U -f ipv4 -p udp $marks (printed subset)" -U -f ipv4 -p udp $marks
done
same_as_reference_after populate_table "-U -f ipv6 -m 3" -U -f ipv6 -m 3

# 1.4.8: -m and -u do not overwrite each other.
populate_table
run_as ours -I -s 1.2.3.4 -d 5.6.7.8 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 100 -m 5 -u SEEN_REPLY
has "$(in_ns "$REFERENCE" -L -s 1.2.3.4 2>/dev/null)" "mark=5" "-I -m 5 -u SEEN_REPLY keeps mark 5 (1.4.8)"

# Zones name the entry: -U reaches entries in a zone (1.4.7 answered ENOENT).
populate_table
run_as ours -U -s 10.0.0.9 -p tcp --state ESTABLISHED
is "$(tail -n 1 "$CLI_TMP/ours.err")" "conntrack v1.4.7 (conntrack-tools): 2 flow entries have been updated." \
    "-U updates entries in zones"
is "$(in_ns "$REFERENCE" -L -s 10.0.0.9 2>/dev/null | grep -c ESTABLISHED)" 2 "-U in zones: state set"

# An update that changes nothing is not sent and not counted.
populate_table
run_as ours -U -s 10.0.0.2 -p udp -m 0x12
is "$(cat "$CLI_TMP/ours.err")" "conntrack v1.4.7 (conntrack-tools): 0 flow entries have been updated." \
    "-U: no change, no update"
is "$(cat "$CLI_TMP/ours.rc")" 1 "-U: nothing updated is a failure"

# -D deletes many entries in batches: every entry is printed once.
populate_table
run_as ours -D -f ipv4
is "$(wc -l < "$CLI_TMP/ours.out")" 19 "-D: each deleted entry printed"
is "$(in_ns "$REFERENCE" -L -f ipv4 2>&1 >/dev/null)" \
    "conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown." "-D: all IPv4 entries gone"

tap_done
