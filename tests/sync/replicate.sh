#!/bin/bash
# Two firewalls, fw1 and fw2, each with its conntrackd, joined by a
# dedicated sync link.  Flows created on fw1 show up in fw2's external
# cache, a commit puts them into fw2's kernel table, a flow that ends on
# fw1 leaves fw2's cache, and -n / -B bring a fresh peer up to date.  Run
# for every sync mode over every transport with ours on both sides, and
# with the reference on the other side (both directions) to prove that the
# two speak the same protocol.
. "$CTD_TESTS_SRCDIR/lib/tap.sh"
. "$CTD_TESTS_SRCDIR/lib/netns.sh"

REFERENCE=${REFERENCE_CONNTRACKD:-/usr/sbin/conntrackd}
work=$(mktemp -d /tmp/ctd-sync.XXXXXX)
trap 'ns_cleanup; rm -rf "$work"' EXIT

ns_new fw1
ns_new fw2
ns_veth fw1 sync0 fw2 sync0
ns_exec fw1 ip addr add 10.80.0.1/24 dev sync0
ns_exec fw2 ip addr add 10.80.0.2/24 dev sync0

# config NODE MODE TRANSPORT: writes $work/NODE.conf
config() {
    local node=$1 mode=$2 transport=$3 me peer link
    if [ "$node" = fw1 ]; then me=10.80.0.1; peer=10.80.0.2; else me=10.80.0.2; peer=10.80.0.1; fi
    case $transport in
    udp) link="UDP {
		IPv4_address $me
		IPv4_Destination_Address $peer
		Port 3780
		Interface sync0
	}" ;;
    tcp) link="TCP {
		IPv4_address $me
		IPv4_Destination_Address $peer
		Port 3781
		Interface sync0
	}" ;;
    mcast) link="Multicast {
		IPv4_address 225.0.0.50
		Group 3782
		IPv4_interface $me
		Interface sync0
	}" ;;
    esac
    cat > "$work/$node.conf" <<EOT
Sync {
	Mode $mode {
	}
	$link
}
General {
	HashSize 8192
	HashLimit 65535
	LogFile $work/$node.log
	LockFile $work/$node.lock
	UNIX {
		Path $work/$node.ctl
	}
}
EOT
}

# daemon NODE IMPLEMENTATION ARGS...: runs conntrackd of that node
daemon() {
    local node=$1 impl=$2
    shift 2
    local bin=$CONNTRACKD
    [ "$impl" = reference ] && bin=$REFERENCE
    ns_exec "$node" "$bin" -C "$work/$node.conf" "$@"
}

# wait_for SECONDS COMMAND...: polls until the command succeeds
wait_for() {
    local until=$((SECONDS + $1))
    shift
    while [ $SECONDS -le $until ]; do
        "$@" && return 0
        sleep 0.2
    done
    return 1
}

external_has() { # node impl pattern
    daemon "$1" "$2" -e 2>/dev/null | grep -q -- "$3"
}
external_lacks() {
    ! daemon "$1" "$2" -e 2>/dev/null | grep -q -- "$3"
}

# run MODE TRANSPORT IMPL1 IMPL2
run() {
    local mode=$1 transport=$2 i1=$3 i2=$4 label="$1/$2 ($3 -> $4)"
    ns_exec fw1 conntrack -F > /dev/null 2>&1
    ns_exec fw2 conntrack -F > /dev/null 2>&1
    config fw1 "$mode" "$transport"
    config fw2 "$mode" "$transport"
    rm -f "$work"/fw?.log
    if ! daemon fw2 "$i2" -d || ! daemon fw1 "$i1" -d; then
        _tap_result 1 "$label: both daemons start"
        tap_diag "$(cat "$work"/fw?.log 2>/dev/null)"
        daemon fw1 "$i1" -k > /dev/null 2>&1
        daemon fw2 "$i2" -k > /dev/null 2>&1
        return
    fi
    # A TCP link needs its connections; give every link a moment.
    sleep 1.5
    ns_exec fw1 conntrack -I -p tcp -s 192.168.10.5 -d 192.168.20.9 --sport 40000 --dport 443 \
        --state ESTABLISHED -u ASSURED,SEEN_REPLY -t 300 -m 7 > /dev/null 2>&1
    ns_exec fw1 conntrack -I -p udp -s 192.168.10.5 -d 192.168.20.53 --sport 5353 --dport 53 \
        -t 120 > /dev/null 2>&1
    ok "$label: a new TCP flow reaches the peer's external cache" \
        wait_for 10 external_has fw2 "$i2" "sport=40000 dport=443"
    ok "$label: a new UDP flow reaches it too" \
        wait_for 10 external_has fw2 "$i2" "sport=5353 dport=53"
    has "$(daemon fw2 "$i2" -e)" "mark=7" "$label: the flow's mark travels"

    daemon fw2 "$i2" -c > /dev/null 2>&1
    table=$(ns_exec fw2 conntrack -L 2>/dev/null)
    has "$table" "src=192.168.10.5 dst=192.168.20.9 sport=40000 dport=443" "$label: commit puts the flow into the peer's kernel table"
    has "$table" "mark=7" "$label: with its mark"
    ns_exec fw2 conntrack -F > /dev/null 2>&1

    ns_exec fw1 conntrack -D -p udp --dport 53 > /dev/null 2>&1
    ok "$label: a flow that ends leaves the peer's external cache" \
        wait_for 10 external_lacks fw2 "$i2" "sport=5353 dport=53"

    if [ "$mode" != ALARM ]; then
        # The peer restarts and asks for everything with -n.
        daemon fw2 "$i2" -k > /dev/null 2>&1
        sleep 0.3
        daemon fw2 "$i2" -d
        sleep 1.5
        daemon fw2 "$i2" -n > /dev/null 2>&1
        ok "$label: after a restart, -n brings the peer's cache up to date" \
            wait_for 10 external_has fw2 "$i2" "sport=40000 dport=443"
    fi
    daemon fw2 "$i2" -f external > /dev/null 2>&1
    daemon fw1 "$i1" -B > /dev/null 2>&1
    ok "$label: -B sends the whole cache again" \
        wait_for 10 external_has fw2 "$i2" "sport=40000 dport=443"

    stats=$(daemon fw1 "$i1" -s network)
    like "$stats" "Malformed messages:[[:space:]]+0" "$label: nothing malformed was received"

    daemon fw1 "$i1" -k > /dev/null 2>&1
    daemon fw2 "$i2" -k > /dev/null 2>&1
    sleep 0.3
}

modes=${CTD_SYNC_MODES:-"FTFW NOTRACK ALARM"}
transports=${CTD_SYNC_TRANSPORTS:-"udp tcp mcast"}
for mode in $modes; do
    for transport in $transports; do
        run "$mode" "$transport" ours ours
    done
done
# Interoperability: the reference on one side.
run FTFW udp ours reference
run FTFW udp reference ours
run NOTRACK tcp ours reference
run NOTRACK tcp reference ours

tap_done
