#!/bin/bash
# FT-FW's promise under stress: two of our daemons replicate over UDP on a
# dedicated link that loses 20% of the packets in each direction (iptables
# statistic match: this kernel has no netem).  The primary's table holds
# FO_RELIABILITY_FLOWS flows (200,000); `conntrackd -B' sends them all, the
# backup is restarted in the middle of that stream and asks for everything
# again with `-n'.  At the end the backup's external cache must equal the
# primary's internal cache exactly, and the statistics must show that the
# losses were repaired by retransmissions.
. "$CTD_TESTS_SRCDIR/lib/tap.sh"
. "$CTD_TESTS_SRCDIR/lib/netns.sh"

flows=${FO_RELIABILITY_FLOWS:-200000}
loss=${FO_RELIABILITY_LOSS:-0.2}
ours=${CONNTRACKD:-$CTD_TOP_BUILDDIR/core/conntrackd}
conntrack_cli=${FO_CONNTRACK:-/usr/sbin/conntrack}
work=$(mktemp -d /tmp/ctd-reliability.XXXXXX)
trap 'ns_cleanup; rm -rf "$work"' EXIT
command -v iptables > /dev/null || bail "iptables is needed (run-tests installs it)"
[ -x "$conntrack_cli" ] || bail "$conntrack_cli is needed to fill the table"

ns_new fw1
ns_new fw2
ns_veth fw1 sync0 fw2 sync0
ns_exec fw1 ip addr add 10.81.0.1/24 dev sync0
ns_exec fw2 ip addr add 10.81.0.2/24 dev sync0

config() { # node me peer
    cat > "$work/$1.conf" <<EOF
Sync {
	Mode FTFW {
		ResendQueueSize 262144
	}
	UDP {
		IPv4_address $2
		IPv4_Destination_Address $3
		Port 3790
		Interface sync0
		SndSocketBuffer 8388608
		RcvSocketBuffer 8388608
		Checksum on
	}
}
General {
	HashSize 65536
	HashLimit 524288
	NetlinkBufferSize 8388608
	NetlinkBufferSizeMaxGrowth 67108864
	LogFile $work/$1.log
	LockFile $work/$1.lock
	UNIX {
		Path $work/$1.ctl
	}
}
EOF
}
config fw1 10.81.0.1 10.81.0.2
config fw2 10.81.0.2 10.81.0.1

ctd() { local node=$1; shift; ns_exec "$node" "$ours" -C "$work/$node.conf" "$@"; }
wait_for() { # seconds command...
    local until=$((SECONDS + $1))
    shift
    while [ $SECONDS -le $until ]; do
        "$@" && return 0
        sleep 0.5
    done
    return 1
}
# "current active connections" of a cache (internal|external) from -s.
active() { # node cache
    ctd "$1" -s 2>/dev/null | awk -v c="cache $2:" '
        $0 == c { in_block = 1; next }
        in_block && /current active connections/ { print $NF; exit }'
}
external_reached() { # count
    local n
    n=$(active fw2 external)
    [ "${n:-0}" -ge "$1" ]
}
# A cache dump reduced to what both caches must agree on, sorted: the
# protocol, state and original tuple, the flags and the mark.  The
# internal cache also shows the reply tuple and use=, the external one
# does not; the age differs between nodes.
normalised() { # node -i|-e
    ctd "$1" "$2" 2>/dev/null | awk '{
        line = $1 " " $3; tuple = 0
        for (i = 4; i <= NF; i++) {
            if ($i ~ /^src=/) tuple++
            if ($i ~ /^(src|dst|sport|dport)=/) { if (tuple == 1) line = line " " $i; continue }
            if ($i ~ /^\[(ASSURED|UNREPLIED)\]$/ || $i ~ /^mark=[1-9]/) line = line " " $i
        }
        print line }' | LC_ALL=C sort
}
fail_with_logs() {
    tap_diag "---- fw1 log ----"; tail -n 30 "$work/fw1.log" 2>/dev/null | sed 's/^/# /'
    tap_diag "---- fw2 log ----"; tail -n 30 "$work/fw2.log" 2>/dev/null | sed 's/^/# /'
    # Where the missing flows are stuck: fw1's queues, both sides' counters.
    tap_diag "---- fw1 -s queue, rsqueue head, network; fw2 -s network ----"
    ctd fw1 -s queue 2>&1 | sed 's/^/# /'
    ctd fw1 -s rsqueue 2>&1 | head -n 20 | sed 's/^/# /'
    ctd fw1 -s network 2>&1 | sed 's/^/# /'
    ctd fw2 -s network 2>&1 | sed 's/^/# /'
}

# --- the primary's table ---------------------------------------------------
# Distinct TCP flows, ESTABLISHED with a long timeout so that none ends
# during the test; conntrack -R reads them in one process.
awk -v n="$flows" 'BEGIN {
    for (i = 0; i < n; i++)
        printf "-I -p tcp -s 10.%d.%d.%d -d 172.16.%d.1 --sport %d --dport 443 --state ESTABLISHED -u ASSURED,SEEN_REPLY -t 3600\n",
            int(i / 62500) + 1, int(i / 250) % 250, i % 250 + 1, i % 7, 1024 + i % 60000
}' > "$work/flows"
started=$SECONDS
ns_exec fw1 "$conntrack_cli" -R "$work/flows" > "$work/load.out" 2>&1
is "$(ns_exec fw1 "$conntrack_cli" -C 2>/dev/null)" "$flows" "fw1's kernel table holds $flows flows"
tap_diag "loaded in $((SECONDS - started)) s"

# --- both daemons, then a lossy link ----------------------------------------
ctd fw1 -d > "$work/fw1.start" 2>&1
ctd fw2 -d > "$work/fw2.start" 2>&1
ok "fw1's daemon dumped the kernel table into its internal cache" \
    wait_for 60 test "$(active fw1 internal)" = "$flows"
for node in fw1 fw2; do
    ns_exec "$node" iptables -A INPUT -i sync0 -p udp --dport 3790 \
        -m statistic --mode random --probability "$loss" -j DROP
done
ok "20% loss on the sync link, in both directions" \
    test "$(ns_exec fw2 iptables -S INPUT | grep -c "statistic --mode random --probability $loss")" = 1

# --- bulk send, the backup restarted in the middle, resync -----------------
started=$SECONDS
ctd fw1 -B > /dev/null 2>&1
# fw2 crashes (SIGKILL) a moment into the stream: a control request would
# only be served between two batches, usually once most of it is in.
sleep 0.2
fw2_pid=$(cat "$work/fw2.lock" 2>/dev/null)
[ -n "$fw2_pid" ] || fw2_pid=$(ip netns pids "$(ns_name fw2)" | head -n 1)
kill -KILL $fw2_pid 2>/dev/null
ok "fw2 crashed during the bulk send (SIGKILL)" wait_for 5 eval '! kill -0 $fw2_pid 2>/dev/null'
rm -f "$work/fw2.lock" "$work/fw2.ctl"
ctd fw2 -d > "$work/fw2.restart" 2>&1
ok "fw2 restarts" wait_for 10 eval 'ctd fw2 -s > /dev/null 2>&1'
# The request rides on the restarted node's first message, the one that
# carries HELLO: the protocol cannot detect the loss of that very message
# (the peer takes the first HELLO it sees as in sync; the reference does
# the same), so an admin whose request got lost asks again.  The test
# does too, and says so.
requests=0
resync_started() { local n; n=$(active fw2 external); [ "${n:-0}" -gt 0 ]; }
while [ $requests -lt 5 ]; do
    requests=$((requests + 1))
    ctd fw2 -n > /dev/null 2>&1
    wait_for 5 resync_started && break
done
[ $requests -gt 1 ] && tap_diag "-n sent $requests times: the link lost the request"
if wait_for 100 external_reached "$flows"; then
    _tap_result 0 "after the restart and -n, fw2's external cache holds all $flows flows"
else
    _tap_result 1 "after the restart and -n, fw2's external cache holds all $flows flows"
    tap_diag "fw2 external: $(active fw2 external)"
    fail_with_logs
fi
tap_diag "resynchronised through the lossy link in $((SECONDS - started)) s"

normalised fw1 -i > "$work/fw1.internal"
normalised fw2 -e > "$work/fw2.external"
is "$(wc -l < "$work/fw2.external")" "$flows" "fw2's external cache has exactly $flows entries"
if cmp -s "$work/fw1.internal" "$work/fw2.external"; then
    _tap_result 0 "fw2's external cache equals fw1's internal cache, entry by entry"
else
    _tap_result 1 "fw2's external cache equals fw1's internal cache, entry by entry"
    diff "$work/fw1.internal" "$work/fw2.external" | head -n 10 | sed 's/^/# /'
fi

# --- the losses were repaired ----------------------------------------------
dropped=$(ns_exec fw2 iptables -L INPUT -v -x -n | awk '/statistic/ { print $1; exit }')
ok "the link really lost packets ($dropped dropped on fw2)" test "${dropped:-0}" -gt 0
stats1=$(ctd fw1 -s network)
retransmitted=$(printf '%s\n' "$stats1" | sed -n "s|^[[:space:]]*sync/ftfw retransmitted:[[:space:]]*\([0-9]*\)|\1|p")
if [ "${retransmitted:-0}" -gt 0 ]; then
    _tap_result 0 "fw1 -s network shows retransmissions ($retransmitted)"
else
    _tap_result 1 "fw1 -s network shows retransmissions"
    printf '%s\n' "$stats1" | sed 's/^/# /'
fi
like "$(ctd fw2 -s)" "Malformed msgs[[:space:]]" "fw2 -s reports its message tracking"
like "$(ctd fw2 -s network)" "Malformed messages:[[:space:]]+0" "nothing malformed reached fw2"

ctd fw1 -k > /dev/null 2>&1
ctd fw2 -k > /dev/null 2>&1
tap_done
