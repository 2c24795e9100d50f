#!/bin/bash
# While a commit runs, the backup's event socket leaves the NEW group (the
# kernel then builds no event for each committed flow).  Flows that start
# meanwhile must still reach the internal cache:
#  - flows made by traffic, still unreplied: found by the catch-up dump of
#    unreplied flows once the commit is over;
#  - flows another program creates over ctnetlink (maybe replied already):
#    the kernel's insertion count shows them, and the whole table is looked
#    at.
# Committed flows themselves stay out of the internal cache (the daemon's own
# origin, as with the reference).
. "$CTD_TESTS_SRCDIR/lib/tap.sh"
. "$CTD_TESTS_SRCDIR/lib/netns.sh"

STORM=$CTD_TESTS_BUILDDIR/stats/ct-storm
[ -x "$STORM" ] || bail "$STORM was not built"
ENTRIES=${CATCH_UP_ENTRIES:-100000}
work=$(mktemp -d /tmp/ctd-catch-up.XXXXXX)
generator=
cleanup() {
    [ -n "$generator" ] && kill "$generator" 2> /dev/null
    ns_cleanup
    rm -rf "$work"
}
trap cleanup EXIT

ns_new fw1
ns_new fw2
ns_veth fw1 sync0 fw2 sync0
ns_exec fw1 ip addr add 10.81.0.1/24 dev sync0
ns_exec fw2 ip addr add 10.81.0.2/24 dev sync0
for ns in fw1 fw2; do
    ns_exec "$ns" sh -c "echo $((ENTRIES * 2)) > /proc/sys/net/netfilter/nf_conntrack_max" 2> /dev/null
done
# Traffic in fw2 is tracked (a rule that needs conntrack).
ns_exec fw2 nft -f - <<'EOT'
table inet catchup {
	chain out {
		type filter hook output priority 0;
		ct state new counter
	}
}
EOT

config() { # NODE ME PEER
    cat > "$work/$1.conf" <<EOT
Sync {
	Mode FTFW {
	}
	UDP {
		IPv4_address $2
		IPv4_Destination_Address $3
		Port 3780
		Interface sync0
	}
}
General {
	HashSize 65536
	HashLimit $((ENTRIES * 4))
	NetlinkBufferSize 2097152
	NetlinkBufferSizeMaxGrowth 8388608
	LogFile $work/$1.log
	LockFile $work/$1.lock
	UNIX {
		Path $work/$1.ctl
	}
}
EOT
}
config fw1 10.81.0.1 10.81.0.2
config fw2 10.81.0.2 10.81.0.1
ctd() { local node=$1; shift; ns_exec "$node" "$CONNTRACKD" -C "$work/$node.conf" "$@"; }
active() { # NODE CACHE
    ctd "$1" -s 2> /dev/null | awk -v c="cache $2:" '$0 == c { getline; print $NF; exit }'
}
wait_count() { # NODE CACHE COUNT SECONDS
    local until=$((SECONDS + $4)) n
    while [ $SECONDS -le $until ]; do
        n=$(active "$1" "$2")
        [ "${n:-0}" -ge "$3" ] && return 0
        sleep 0.5
    done
    return 1
}

# fill: ENTRIES flows created on fw1 reach fw2's external cache.
fill() {
    ns_exec fw1 conntrack -F > /dev/null 2>&1
    ns_exec fw2 conntrack -F > /dev/null 2>&1
    ns_exec fw1 "$STORM" --count "$ENTRIES" --errors-only > /dev/null 2>&1
    if ! wait_count fw2 external "$ENTRIES" 60; then
        ctd fw1 -B > /dev/null 2>&1
        wait_count fw2 external "$ENTRIES" 60
    fi
}

# The flows of the kernel table that the internal cache must hold, and
# those it holds: "proto sport dport" lines, sorted.
foreign_in_kernel() { # PATTERN
    ns_exec fw2 conntrack -L 2> /dev/null | grep -E -- "$1" |
        sed -E 's/^([a-z]+) .* sport=([0-9]+) dport=([0-9]+) .*/\1 \2 \3/' | sort -u
}
foreign_in_internal() { # PATTERN
    ctd fw2 -i 2> /dev/null | grep -E -- "$1" |
        sed -E 's/^.*(tcp|udp) .* sport=([0-9]+) dport=([0-9]+) .*/\1 \2 \3/' | sort -u
}

ctd fw2 -d || bail "fw2 did not start: $(cat "$work/fw2.log")"
ctd fw1 -d || bail "fw1 did not start: $(cat "$work/fw1.log")"
sleep 1.5

# --- 1: traffic during the commit -------------------------------------------
fill
ok "the backup's external cache holds the $ENTRIES flows" wait_count fw2 external "$ENTRIES" 1
# UDP datagrams to closed ports of 127.0.0.2, a new source port each: each
# makes an unreplied flow (the ICMP error is only related).
ns_exec fw2 ip link set lo up
ns_exec fw2 python3 -c '
import socket, time
for i in range(6000):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", ("127.0.0.2", 20000 + i % 20000))
    s.close()
    time.sleep(0.0005)
' &
generator=$!
sleep 0.3
ctd fw2 -c > /dev/null 2>&1
ok "the commit ran while traffic went on" kill -0 "$generator"
wait "$generator"
generator=
committed=$(ns_exec fw2 conntrack -L -p tcp -d 192.168.0.1 --dport 443 2> /dev/null | wc -l)
is "$committed" "$ENTRIES" "the commit put the $ENTRIES flows into the kernel table"
sleep 1  # the catch-up dump runs once the reply is sent
kernel=$(foreign_in_kernel "dst=127\.0\.0\.2 ")
internal=$(foreign_in_internal "dst=127\.0\.0\.2 ")
ok "traffic made unreplied flows ($(wc -l <<< "$kernel"))" [ "$(wc -l <<< "$kernel")" -gt 1000 ]
missing=$(comm -23 <(echo "$kernel") <(echo "$internal") | wc -l)
is "$missing" 0 "every flow the traffic started, during the commit too, is in the internal cache"
unlike "$(cat "$work/fw2.log")" "created by other programs" \
    "traffic alone needs only the dump of unreplied flows"
in_internal=$(active fw2 internal)
ok "committed flows stay out of the internal cache (internal: $in_internal)" \
    [ "${in_internal:-0}" -lt "$ENTRIES" ]
is "$(ctd fw2 -s runtime 2> /dev/null | awk -F: '$1 == "\tnetlink overrun" { gsub(/[ \t]/, "", $2); print $2 + 0; exit }')" 0 \
    "no event overrun on the backup during the commit"

# --- 2: another program creates flows over ctnetlink during the commit ------
fill
ctd fw2 -f internal > /dev/null 2>&1
ns_exec fw2 sh -c '
i=0
while [ $i -lt 400 ]; do
    conntrack -I -p tcp -s 172.31.1.1 -d 172.31.2.2 --sport $((30000 + i)) --dport 22 \
        --state ESTABLISHED -u SEEN_REPLY,ASSURED -t 300 > /dev/null 2>&1
    i=$((i + 1))
done
' &
generator=$!
sleep 0.2
ctd fw2 -c > /dev/null 2>&1
wait "$generator"
generator=
sleep 1
kernel=$(foreign_in_kernel "src=172\.31\.1\.1 ")
internal=$(foreign_in_internal "src=172\.31\.1\.1 ")
is "$(wc -l <<< "$kernel")" 400 "another program created 400 replied flows"
missing=$(comm -23 <(echo "$kernel") <(echo "$internal") | wc -l)
is "$missing" 0 "every one of them is in the internal cache"
has "$(cat "$work/fw2.log")" "created by other programs during the commit" \
    "the kernel's insertion count told the daemon to look at the whole table"

ctd fw1 -k > /dev/null 2>&1
ctd fw2 -k > /dev/null 2>&1
tap_done
