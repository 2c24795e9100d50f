#!/bin/bash
# etc/conntrackd-stats.conf works as shipped (only its paths changed): the
# daemon follows a namespace's table and logs each flow that ends.  And what
# etc/conntrackd.service relies on: sd_notify readiness, the watchdog, a
# clean stop on SIGTERM.
# The reference and ours, side by side.
. "$CTD_TESTS_SRCDIR/lib/tap.sh"
. "$CTD_TESTS_SRCDIR/lib/netns.sh"
. "$CTD_TESTS_SRCDIR/failover/lib.sh"

work=$(mktemp -d /tmp/ctd-stats-example.XXXXXX)
notify_listener=""
# The sd_notify listener runs outside the namespaces: stop it ourselves.
trap '[ -n "$notify_listener" ] && kill "$notify_listener" 2>/dev/null; ns_cleanup; rm -rf "$work"' EXIT

# Both daemons: ours runs stats mode (only sync is switched on separately).
impls="ref ours"

for impl in $impls; do
    bin=$(fo_daemon_bin "$impl")
    dir="$work/$impl"
    mkdir -p "$dir"
    # The Stats section comes first: its LogFile is the flow log, the
    # General one the daemon's own.
    sed -e "0,/^[[:space:]]*LogFile[[:space:]]/ s|^\([[:space:]]*LogFile[[:space:]]\+\).*|\1$dir/stats.log|" \
        -e "/^General/,\$ s|^\([[:space:]]*LogFile[[:space:]]\+\).*|\1$dir/conntrackd.log|" \
        -e "s|^\([[:space:]]*LockFile[[:space:]]\+\).*|\1$dir/conntrackd.lock|" \
        -e "s|^\([[:space:]]*Path[[:space:]]\+\).*|\1$dir/conntrackd.ctl|" \
        "$FO_ETC_SRC/conntrackd-stats.conf" > "$dir/conntrackd.conf"
    ns_new "st$impl"
    ns=$(ns_name "st$impl")
    # Loads nf_conntrack in the namespace (events need it).
    ip netns exec "$ns" nft add table inet t \; add chain inet t c '{ type filter hook output priority 0; ct state new accept; }'
    # What systemd would see of it (etc/conntrackd.service is Type=notify
    # with WatchdogSec): every sd_notify datagram, with its time.
    "$FO_PYTHON" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    data = s.recv(4096).decode(errors="replace")
    for line in data.splitlines():
        out.write("%.3f %s\n" % (time.time(), line))
' "$dir/notify.sock" "$dir/notify.log" &
    notify_listener=$!
    fo_wait 5 test -S "$dir/notify.sock"
    NOTIFY_SOCKET="$dir/notify.sock" WATCHDOG_USEC=1000000 \
        ip netns exec "$ns" "$bin" -C "$dir/conntrackd.conf" > "$dir/console" 2>&1 &
    daemon_pid=$!
    answers() { ip netns exec "$ns" "$bin" -C "$dir/conntrackd.conf" -s > /dev/null 2>&1; }
    answers_or_gone() { fo_gone "$daemon_pid" || answers; }
    fo_wait 20 answers_or_gone
    if ! answers; then
        fails "$impl: the daemon runs with conntrackd-stats.conf" true
        tap_diag "$(cat "$dir/console" "$dir/conntrackd.log" 2>/dev/null | tail -n 10)"
        kill "$notify_listener" 2>/dev/null
        continue
    fi
    ok "$impl: the daemon runs with conntrackd-stats.conf" true
    ip netns exec "$ns" "$FO_CONNTRACK" -I -p tcp -s 198.51.100.10 -d 203.0.113.10 --sport 1111 --dport 80 \
        --state ESTABLISHED -u ASSURED,SEEN_REPLY -t 100 > /dev/null 2>&1
    ip netns exec "$ns" "$FO_CONNTRACK" -I -p udp -s 198.51.100.10 -d 203.0.113.10 --sport 2222 --dport 53 \
        -t 100 > /dev/null 2>&1
    ip netns exec "$ns" "$FO_CONNTRACK" -I -p icmp -s 198.51.100.10 -d 203.0.113.10 --icmp-type 8 --icmp-code 0 \
        --icmp-id 7 -t 100 > /dev/null 2>&1
    cached() { ip netns exec "$ns" "$bin" -C "$dir/conntrackd.conf" -i 2>/dev/null | grep -c 'src=198.51.100.10'; }
    fo_wait 10 test "$(cached)" -ge 2
    like "$(ip netns exec "$ns" "$FO_CONNTRACK" -L 2>/dev/null)" 'icmp .*id=7' "$impl: an ICMP flow is in the table too"
    ip netns exec "$ns" "$FO_CONNTRACK" -D -s 198.51.100.10 > /dev/null 2>&1
    logged() { [ "$(grep -c 'src=198.51.100.10' "$dir/stats.log" 2>/dev/null)" -ge 2 ]; }
    fo_wait 10 logged
    log=$(cat "$dir/stats.log" 2>/dev/null)
    like "$log" $'^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} [0-9]{4}\ttcp +6 .*sport=1111 dport=80' \
        "$impl: the ended TCP flow is logged with its time"
    like "$log" 'udp +17 .*sport=2222 dport=53' "$impl: the ended UDP flow is logged"
    unlike "$log" 'icmp' "$impl: ICMP is not logged (the example accepts TCP and UDP only)"
    [ -s "$dir/stats.log" ] || tap_diag "$(cat "$dir/console" 2>/dev/null | tail -n 10)"

    # The unit's contract: READY=1 once running, WATCHDOG=1 at least every
    # half WatchdogSec (here 1 s), STOPPING=1 on SIGTERM.
    sleep 2
    kill -TERM "$daemon_pid"
    wait "$daemon_pid"
    is "$?" 0 "$impl: SIGTERM stops the daemon with status 0"
    sleep 0.2
    kill "$notify_listener" 2>/dev/null
    wait "$notify_listener" 2>/dev/null
    notes=$(cat "$dir/notify.log" 2>/dev/null)
    has "$notes" "READY=1" "$impl: the daemon tells systemd it is ready (Type=notify)"
    pings=$(grep -c ' WATCHDOG=1$' "$dir/notify.log" 2>/dev/null)
    # Over the ~2.5 s it ran after READY, at one ping per 0.5 s.
    ok "$impl: the daemon pings the watchdog at half WATCHDOG_USEC ($pings pings)" test "${pings:-0}" -ge 4
    has "$notes" "STOPPING=1" "$impl: the daemon tells systemd it is stopping"
done

tap_done
