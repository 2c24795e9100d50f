#!/bin/bash
# The transport plugins against the reference: a conntrackd 1.4.7 in one
# namespace, one of our links (run by transport-driver) in another, joined
# by veth.  For UDP (IPv4 and IPv6), multicast and TCP, the reference's
# FTFW keep-alive messages must reach our receiver intact, and what we
# send must reach the reference's parser (its -s counters).
. "$CTD_TESTS_SRCDIR/lib/tap.sh"
. "$CTD_TESTS_SRCDIR/lib/netns.sh"

reference=/usr/sbin/conntrackd
driver="$CTD_TESTS_BUILDDIR/transport/transport-driver"
if [ ! -x "$reference" ]; then
    echo "1..0 # SKIP the reference conntrackd ($reference) is not installed"
    exit 0
fi

work=$(mktemp -d /tmp/ctd-interop.XXXXXX)
trap 'ns_cleanup; rm -rf "$work"' EXIT

ns_new ref
ns_new ours
ns_veth ref eth0 ours eth0
for side in ref:1 ours:2; do
    ns_exec "${side%:*}" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.eth0.accept_dad=0
    ip -n "$(ns_name "${side%:*}")" addr add "10.77.0.${side#*:}/24" dev eth0
    ip -n "$(ns_name "${side%:*}")" -6 addr add "fd77::${side#*:}/64" dev eth0 nodad
done
# IPv6 (and its multicast route) is set up once the carrier is seen.
for _ in $(seq 100); do
    ip -n "$(ns_name ref)" -6 route show table local type multicast dev eth0 | grep -q ff00:: &&
        ip -n "$(ns_name ours)" -6 route show table local type multicast dev eth0 | grep -q ff00:: && break
    sleep 0.05
done

# The first message our links send: an ALIVE control message (version 1,
# type CTL, flag ALIVE, length 8, sequence number).
alive() { printf '1a100008%08x' "$1"; }

# start_reference NAME LINK-BLOCK: runs the reference with its own files.
start_reference() {
    local conf="$work/$1.conf"
    cat > "$conf" <<EOF
General {
    Systemd off
    LogFile $work/$1.log
    LockFile $work/$1.lock
    UNIX { Path $work/$1.sock }
    Scheduler { Type RR Priority 1 }
}
Sync {
    Mode FTFW { }
$2
}
EOF
    ns_exec ref "$reference" -C "$conf" > "$work/$1.out" 2>&1 &
    for _ in $(seq 100); do
        [ -S "$work/$1.sock" ] && return 0
        sleep 0.05
    done
    bail "the reference conntrackd did not start: $(cat "$work/$1.out")"
}

stop_reference() {
    ns_exec ref "$reference" -C "$work/$1.conf" -k > /dev/null 2>&1
    for _ in $(seq 100); do
        [ -e "$work/$1.lock" ] || return 0
        sleep 0.05
    done
}

ref_stats() { # NAME [WHAT]
    ns_exec ref "$reference" -C "$work/$1.conf" -s $2 2>&1
}

# counter TEXT LABEL: the number before "LABEL" in the reference's
# "%20llu Bytes sent %20llu Bytes recv" lines.
counter() {
    printf '%s\n' "$1" | sed -n "s/.* \([0-9][0-9]*\) $2.*/\1/p; s/^ *\([0-9][0-9]*\) $2.*/\1/p" | head -n 1
}

# check_messages OUTPUT WHAT: what our link delivered, read as the sync
# protocol: whole messages back to back, each of version 1 and type CTL
# (byte 0x1a), 16 bytes long for ACK/NACK/RESYNC and 8 for the others, and
# among them the reference's keep-alive (flag ALIVE).
check_messages() {
    local stream head flags len want pos=0 whole=1 alive=0
    stream=$(printf '%s\n' "$1" | sed -n 's/^deliver [0-9]* //p' | tr -d '\n')
    while [ $pos -lt ${#stream} ]; do
        head=${stream:pos:8}
        if [ ${#head} -ne 8 ] || [ "${head:0:2}" != 1a ]; then
            whole=0
            break
        fi
        flags=$((16#${head:2:2}))
        len=$((16#${head:4:4}))
        want=8
        [ $((flags & 0x0e)) -ne 0 ] && want=16
        if [ $len -ne $want ]; then
            whole=0
            break
        fi
        [ $((flags & 0x10)) -ne 0 ] && alive=$((alive + 1))
        pos=$((pos + len * 2))
    done
    [ $pos -eq ${#stream} ] && [ $pos -gt 0 ] || whole=0
    is "$whole" "1" "$2: the reference's messages reach us whole, as version 1 control messages" ||
        tap_diag "$stream"
    ok "$2: among them its keep-alive (ALIVE)" test $alive -gt 0
}

# ---------------------------------------------------------------------------
# UDP over IPv4 and IPv6.
for family in 4 6; do
    if [ $family = 4 ]; then
        ref_addr=10.77.0.1 our_addr=10.77.0.2 key=IPv4
    else
        ref_addr=fd77::1 our_addr=fd77::2 key=IPv6
    fi
    name=udp$family
    start_reference $name "    UDP {
        ${key}_address $ref_addr
        ${key}_Destination_Address $our_addr
        Port 3780
        Interface eth0
    }"
    out=$(ns_exec ours "$driver" --send "$(alive 1)" --send "$(alive 2)" --send "$(alive 3)" \
          --interval-ms 100 --expect-bytes 32 --timeout-ms 8000 udp \
          "${key}_address=$our_addr" "${key}_Destination_Address=$ref_addr" Port=3780 Interface=eth0 2>&1)
    is "$?" "0" "UDP/IPv$family: our link receives from the reference" || tap_diag "$out"
    check_messages "$out" "UDP/IPv$family"
    like "$out" 'stats bytes_sent=24 .*packets_sent=3 .*send_errors=0' "UDP/IPv$family: we sent three datagrams"
    # A datagram with a wrong version reaches the reference's parser too.
    ns_exec ours "$driver" --send 2a100008000000ff --linger-ms 50 udp \
        "${key}_address=$our_addr" "${key}_Destination_Address=$ref_addr" Port=3780 Interface=eth0 > /dev/null 2>&1
    sleep 0.3
    stats=$(ref_stats $name)
    has "$stats" "UDP traffic (active device=eth0):" "UDP/IPv$family: the reference shows its UDP link"
    is "$(counter "$stats" 'Bytes recv')" "32" "UDP/IPv$family: the reference received our 32 bytes"
    is "$(counter "$stats" 'Pckts recv')" "4" "UDP/IPv$family: in four datagrams"
    network=$(ref_stats $name network)
    like "$network" 'Wrong protocol version:[[:space:]]+1$' "UDP/IPv$family: the reference parsed our bytes (one wrong version counted)"
    stop_reference $name
done

# ---------------------------------------------------------------------------
# Multicast (IPv4).
start_reference mcast "    Multicast {
        IPv4_address 225.0.0.77
        IPv4_interface 10.77.0.1
        Group 3790
        Interface eth0
    }"
out=$(ns_exec ours "$driver" --send "$(alive 1)" --send "$(alive 2)" --interval-ms 100 \
      --expect-bytes 32 --timeout-ms 8000 mcast \
      IPv4_address=225.0.0.77 IPv4_interface=10.77.0.2 Group=3790 Interface=eth0 2>&1)
is "$?" "0" "multicast: our link receives from the reference" || tap_diag "$out"
check_messages "$out" "multicast"
like "$out" 'packets_sent=2 ' "multicast: we sent two datagrams"
# Loopback is off on our side: none of our own datagrams came back to us.
unlike "$out" "deliver 8 $(alive 1)" "multicast: we do not hear ourselves"
sleep 0.3
stats=$(ref_stats mcast)
has "$stats" "multicast traffic (active device=eth0):" "multicast: the reference shows its multicast link"
is "$(counter "$stats" 'Bytes recv')" "16" "multicast: the reference received our 16 bytes"
is "$(counter "$stats" 'Pckts recv')" "2" "multicast: in two datagrams"
stop_reference mcast

# ---------------------------------------------------------------------------
# TCP (IPv4): two connections, each node's client to the other's server.
start_reference tcp "    TCP {
        IPv4_address 10.77.0.1
        IPv4_Destination_Address 10.77.0.2
        Port 3800
        Interface eth0
    }"
out=$(ns_exec ours "$driver" --send "$(alive 1)" --send "$(alive 2)" --send "$(alive 3)" \
      --interval-ms 300 --expect-bytes 32 --timeout-ms 10000 --linger-ms 500 tcp \
      IPv4_address=10.77.0.2 IPv4_Destination_Address=10.77.0.1 Port=3800 Interface=eth0 2>&1)
is "$?" "0" "TCP: our server receives the reference's stream" || tap_diag "$out"
check_messages "$out" "TCP"
has "$out" "event peer-up" "TCP: the core hears that the reference connected"
has "$out" "event client-up" "TCP: and that we connected to the reference"
like "$out" 'stats bytes_sent=24 .*packets_sent=3 ' "TCP: we wrote our three batches"
stats=$(ref_stats tcp)
has "$stats" "TCP traffic (active device=eth0) server=" "TCP: the reference shows its TCP link"
is "$(counter "$stats" 'Bytes recv')" "24" "TCP: the reference received our 24 bytes"
network=$(ref_stats tcp network)
like "$network" 'Malformed messages:[[:space:]]+0$' "TCP: the reference found nothing malformed in our stream"
stop_reference tcp

tap_done
