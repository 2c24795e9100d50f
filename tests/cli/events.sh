#!/bin/bash
# conntrack -E: ours and the reference listen at the same time to the same
# events and must print the same lines, the same summary on SIGINT, the
# same exit status.
. "$CTD_TESTS_SRCDIR/cli/cli-lib.sh"

# Netfilter netlink sockets subscribed to some group, in the namespace.
listeners() {
    in_ns awk 'NR > 1 && $2 == 12 && $4 != "00000000" { n++ } END { print n + 0 }' /proc/net/netlink
}

lines_of() { wc -l < "$1" 2> /dev/null || echo 0; }

# make_events: what every listener should see (the summary counts them).
make_events() {
    local c="$REFERENCE"
    in_ns "$c" -I -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 50 -m 3
    in_ns "$c" -I -s fd00::1 -d fd00::2 -p udp --sport 1 --dport 2 -t 50
    in_ns "$c" -I -s 1.1.1.3 -d 2.2.2.2 -p icmp --icmp-type 8 --icmp-code 0 -t 50 -w 4
    in_ns "$c" -U -s 1.1.1.1 -m 4
    in_ns "$c" -D -s 1.1.1.1
    in_ns "$c" -D -f ipv6
    in_ns "$c" -D -p icmp
}

# capture_events ARGS...: both listen, events happen, both are stopped.
capture_events() {
    local pid_ref pid_ours i
    in_ns "$REFERENCE" -F > /dev/null 2>&1
    # Simple commands, so that $! is the listener itself (ip netns exec and
    # env exec it).  Both install their own SIGINT handler.
    ip netns exec "$(ns_name ct)" env PATH="$CLI_TMP/ref:$PATH" conntrack -E "$@" \
        > "$CLI_TMP/ref.out" 2> "$CLI_TMP/ref.err" &
    pid_ref=$!
    ip netns exec "$(ns_name ct)" env PATH="$CLI_TMP/ours:$PATH" conntrack -E "$@" \
        > "$CLI_TMP/ours.out" 2> "$CLI_TMP/ours.err" &
    pid_ours=$!
    for i in $(seq 200); do
        [ "$(listeners)" -ge 2 ] && break
        sleep 0.05
    done
    make_events > /dev/null 2>&1
    # Both have printed what they will print when their line counts stop
    # changing for a while.
    local last="" now
    for i in $(seq 100); do
        now="$(lines_of "$CLI_TMP/ref.out") $(lines_of "$CLI_TMP/ours.out")"
        [ "$now" = "$last" ] && [ $i -gt 4 ] && break
        last=$now
        sleep 0.1
    done
    kill -INT $pid_ref $pid_ours
    wait $pid_ref; echo $? > "$CLI_TMP/ref.rc"
    wait $pid_ours; echo $? > "$CLI_TMP/ours.rc"
    cli_normalize "$CLI_TMP/ref.out" "$CLI_TMP/ref.err" "$CLI_TMP/ours.out" "$CLI_TMP/ours.err"
}

compare_captured() {
    local description=$1
    if outputs_equal; then
        _tap_result 0 "$description"
    else
        _tap_result 1 "$description"
        show_difference
    fi
}

# events_as_reference DESCRIPTION ARGS...
events_as_reference() {
    local description=$1
    shift
    capture_events "$@"
    compare_captured "$description"
}

events_as_reference "-E: every event"
events_as_reference "-E -e NEW" -e NEW
events_as_reference "-E -e DESTROY,UPDATES" -e DESTROY,UPDATES
events_as_reference "-E -o timestamp" -o timestamp
events_as_reference "-E -o extended,id" -o extended,id
events_as_reference "-E -o save" -o save
events_as_reference "-E -p tcp" -p tcp
events_as_reference "-E -p icmp --icmp-type 8" -p icmp --icmp-type 8
events_as_reference "-E -f ipv6" -f ipv6
events_as_reference "-E -s 1.1.1.1" -s 1.1.1.1
events_as_reference "-E -s 1.1.1.0/24" -s 1.1.1.0/24
events_as_reference "-E -m 3" -m 3
events_as_reference "-E -w 4" -w 4
events_as_reference "-E -n" -n
events_as_reference "-E -b 100000 (the NOTICE line)" -b 100000
events_as_reference "-E -b 1 (the kernel's minimum)" -b 1

# XML: 1.4.9 no longer appends [USERSPACE] to XML lines (1.4.7 did); the
# rest is the reference's.
events_as_xml() {
    local description=$1
    shift
    capture_events "$@"
    sed -i 's|</flow> \[USERSPACE\] portid=P|</flow>|' "$CLI_TMP/ref.out"
    compare_captured "$description"
}
events_as_xml "-E -o xml, apart from [USERSPACE]" -o xml
events_as_xml "-E -o xml,timestamp, apart from [USERSPACE]" -o xml,timestamp

# ENOBUFS: ours, stopped while a burst of events overflows its (tiny)
# buffer, warns as the reference would and goes on listening.  (The
# reference applies -b to another socket, so only ours is run here.)
in_ns "$REFERENCE" -F > /dev/null 2>&1
ip netns exec "$(ns_name ct)" env PATH="$CLI_TMP/ours:$PATH" conntrack -E -b 1 \
    > "$CLI_TMP/ours.out" 2> "$CLI_TMP/ours.err" &
pid=$!
for i in $(seq 200); do
    [ "$(listeners)" -ge 1 ] && break
    sleep 0.05
done
kill -STOP $pid
for i in 1 2 3 4 5 6 7 8; do make_events > /dev/null 2>&1; done
kill -CONT $pid
sleep 0.5
in_ns "$REFERENCE" -I -s 9.9.9.9 -d 2.2.2.2 -p udp --sport 9 --dport 9 -t 50 > /dev/null 2>&1
for i in $(seq 50); do
    grep -q 'src=9.9.9.9' "$CLI_TMP/ours.out" && break
    sleep 0.1
done
kill -INT $pid
wait $pid
is "$?" 0 "-E: exit status 0 after SIGINT"
has "$(cat "$CLI_TMP/ours.err")" "WARNING: We have hit ENOBUFS! We are losing events.
This message means that the current netlink socket buffer size is too small.
Please, check --buffer-size in conntrack(8) manpage." "-E: the ENOBUFS warning"
has "$(cat "$CLI_TMP/ours.out")" "[NEW] udp      17 50 src=9.9.9.9" "-E: events after ENOBUFS are still shown"
like "$(tail -n 1 "$CLI_TMP/ours.err")" '^conntrack v1\.4\.7 \(conntrack-tools\): [0-9]+ flow events have been shown\.$' \
    "-E: the summary after SIGINT"

tap_done
