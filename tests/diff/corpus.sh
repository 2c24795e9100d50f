# The namespaces and the conntrack table of the differential test.
# Source after tap.sh and netns.sh; needs DIFF_SRC (this directory),
# DIFF_WORK (a private temp dir) and REFERENCE_CONNTRACK.
#
#   client --veth-- router ==br0== server
#                          \\===== server2
#
# client  198.51.100.2  2001:db8:1::2   (documentation prefixes only)
# router  198.51.100.1  2001:db8:1::1   public side; DNAT 8080 and 2121
#         203.0.113.1   2001:db8:2::1   on br0; SNAT/masquerade towards it
# server  203.0.113.2   2001:db8:2::2   TCP, UDP, UDP-Lite, FTP, raw echo
# server2 203.0.113.3   2001:db8:2::3   TCP, FTP; drops some flows
#
# "rw" stands alone: tables restored from files of `-I` lines before each
# table-changing command.  Each event scenario gets a fresh namespace (see
# run_event_scenario).

PY=/usr/bin/python3
TRAFFIC="$PY $DIFF_SRC/traffic.py"

# in_ns NS CMD...: CMD inside namespace NS, with the test's label names
# visible at the paths libnetfilter_conntrack and nft read them
# (/etc/xtables/connlabel.conf, /etc/connlabel.conf).  `ip netns exec`
# gives each command a private mount namespace; an overlay over /etc inside
# it adds the two files without touching the machine's /etc.
in_ns() {
    local ns=$1
    shift
    ip netns exec "$(ns_name "$ns")" /bin/sh -c \
        'mount -t overlay ctdt-etc -o "lowerdir=$0:/etc" /etc || exit 125; exec "$@"' \
        "$DIFF_WORK/etc" "$@"
}

# --- runners: one long-lived shell in a namespace ---------------------------
# Starting a command through `ip netns exec` and an overlay mount costs
# more than the command, and on a loaded machine the time between the
# reference's run and ours is what lets a timer tick in between.  A runner
# is a shell started once in a namespace (with the overlay) that runs the
# command lines it is given, one at a time.

declare -A _runner_in _runner_out

# runner_start NS
runner_start() {
    local ns=$1 fin fout
    mkfifo "$DIFF_WORK/runner-$ns.in" "$DIFF_WORK/runner-$ns.out"
    in_ns "$ns" /bin/bash -c '
        exec 3< "$0" 4> "$1"
        while IFS= read -r command <&3; do
            eval "$command"
            echo done >&4
        done' "$DIFF_WORK/runner-$ns.in" "$DIFF_WORK/runner-$ns.out" &
    disown $!
    exec {fin}> "$DIFF_WORK/runner-$ns.in" {fout}< "$DIFF_WORK/runner-$ns.out"
    _runner_in[$ns]=$fin
    _runner_out[$ns]=$fout
}

# runner_do NS COMMAND-LINE: run it (one line of shell) and wait for it.
runner_do() {
    local reply
    printf '%s\n' "$2" >&"${_runner_in[$1]}"
    read -r reply <&"${_runner_out[$1]}" || bail "the runner in $1 is gone"
}

# The reference binary in a namespace (used to prepare and inspect tables,
# never as the binary under test).
ref_in() {
    local ns=$1
    shift
    in_ns "$ns" "$REFERENCE_CONNTRACK" "$@"
}

diff_prepare_etc() {
    mkdir -p "$DIFF_WORK/etc/xtables"
    cp "$DIFF_SRC/connlabel.conf" "$DIFF_WORK/etc/xtables/connlabel.conf"
    cp "$DIFF_SRC/connlabel.conf" "$DIFF_WORK/etc/connlabel.conf"
}

# wait_for_file_line FILE REGEX SECONDS: until a line of FILE matches
wait_for_file_line() {
    local i
    for i in $(seq 1 $(($3 * 20))); do
        grep -Eqx "$2" "$1" 2>/dev/null && return 0
        nap 0.05
    done
    return 1
}

# ns_spawn NS CMD...: CMD in the background in namespace NS; its pid (not
# that of a subshell, so that signals reach it) in SPAWNED_PID.
ns_spawn() {
    local ns=$1
    shift
    (exec ip netns exec "$(ns_name "$ns")" "$@") &
    SPAWNED_PID=$!
}

_ns_sysctl() { # ns key=value...
    local ns=$1
    shift
    ns_exec "$ns" sysctl -qw "$@" > /dev/null
}

diff_setup_topology() {
    local ns
    for ns in client router server server2 rw; do
        ns_new "$ns"
    done
    ns_veth client eth0 router eth0
    ns_exec router ip link add br0 type bridge
    ns_exec router ip link set br0 up
    ns_veth router p1 server eth0
    ns_veth router p2 server2 eth0
    ns_exec router ip link set p1 master br0
    ns_exec router ip link set p2 master br0

    ns_exec client ip addr add 198.51.100.2/24 dev eth0
    ns_exec client ip addr add 2001:db8:1::2/64 dev eth0 nodad
    ns_exec client ip route add default via 198.51.100.1
    ns_exec client ip -6 route add default via 2001:db8:1::1
    ns_exec router ip addr add 198.51.100.1/24 dev eth0
    ns_exec router ip addr add 2001:db8:1::1/64 dev eth0 nodad
    ns_exec router ip addr add 203.0.113.1/24 dev br0
    ns_exec router ip addr add 2001:db8:2::1/64 dev br0 nodad
    ns_exec server ip addr add 203.0.113.2/24 dev eth0
    ns_exec server ip addr add 2001:db8:2::2/64 dev eth0 nodad
    ns_exec server2 ip addr add 203.0.113.3/24 dev eth0
    ns_exec server2 ip addr add 2001:db8:2::3/64 dev eth0 nodad
    for ns in server server2; do
        ns_exec "$ns" ip route add default via 203.0.113.1
        ns_exec "$ns" ip -6 route add default via 2001:db8:2::1
    done
    _ns_sysctl router net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    # Counters everywhere; timestamps in the corpus.  The rebuilt tables of
    # the table-changing commands have none: their delta-time would depend
    # on when the rebuild happened (the corpus and the event scenarios
    # cover timestamps).
    for ns in router rw; do
        _ns_sysctl "$ns" net.netfilter.nf_conntrack_acct=1
    done
    _ns_sysctl router net.netfilter.nf_conntrack_timestamp=1

    for ns in client server server2; do
        ns_exec "$ns" nft -f "$DIFF_SRC/host.nft" || bail "nft ruleset for $ns"
    done
    ns_exec server2 nft -f "$DIFF_SRC/server2.nft" || bail "nft ruleset for server2"
    in_ns router nft -f "$DIFF_SRC/router.nft" || bail "nft ruleset for the router"
    # What nft cannot say as directly: a connmark from iptables, and zones
    # for one direction only (the CT target).
    in_ns router iptables -t mangle -A FORWARD -p udp --dport 53 -j CONNMARK --set-mark 0x1234 &&
    in_ns router iptables -t raw -A PREROUTING -p udp --dport 5001 -j CT --zone-orig 6 &&
    in_ns router iptables -t raw -A PREROUTING -p udp --dport 5002 -j CT --zone-reply 7 ||
        bail "iptables rules for the router"
    in_ns rw nft -f "$DIFF_SRC/labels.nft" || bail "nft ruleset for rw"

    runner_start router
    runner_start rw
    ns_spawn server $TRAFFIC serve 203.0.113.2 2001:db8:2::2 --tcp --ftp --udp --raw
    disown "$SPAWNED_PID"
    ns_spawn server2 $TRAFFIC serve 203.0.113.3 2001:db8:2::3 --tcp --ftp
    disown "$SPAWNED_PID"
    # The servers are ready when their FTP ports listen.
    for ns in server server2; do
        for _ in $(seq 1 100); do
            ns_exec "$ns" ss -Hltn 'sport = :21' | grep -q LISTEN && break
            sleep 0.05
        done
    done
}

# A sleep without a new process (a loaded machine makes every fork slow):
# read with a time limit from a pipe nobody writes to.
exec {_sleep_fd}<> <(:)
nap() { read -r -t "$1" -u "$_sleep_fd" _ || :; }

# The position of now within its wall-clock second, in milliseconds.
second_ms() {
    local us=${EPOCHREALTIME#*.}
    REPLY=$((10#${us:0:3}))
}

# wait_second_phase FROM TO: return at a moment whose position within the
# current wall-clock second is in [FROM, TO) milliseconds.  It sleeps until
# FROM; a loaded machine may wake it late, so TO should leave room.
wait_second_phase() {
    local from=$1 to=$2 wait_ms
    while :; do
        second_ms
        if [ "$REPLY" -ge "$from" ] && [ "$REPLY" -lt "$to" ]; then
            return 0
        fi
        wait_ms=$(( (from - REPLY + 1000) % 1000 ))
        [ "$wait_ms" -eq 0 ] && wait_ms=1
        printf -v wait_ms '0.%03d' "$wait_ms"
        nap "$wait_ms"
    done
}

# The router's corpus: the client's flows, the -I lines, then, at the
# start of a second, every timeout re-armed (ctnl.py), the FTP commands
# that make the expectations, and three entries sent to the dying list.  ARM_FROM_MS and
# ARM_TO_MS (milliseconds within the second) bound the moment all of this
# happened: every timeout of the table ticks within that window afterwards.
diff_build_corpus() {
    local line
    ns_spawn client $TRAFFIC client corpus "$DIFF_WORK/client.status"
    CLIENT_PID=$SPAWNED_PID
    wait_for_file_line "$DIFF_WORK/client.status" ready 30 || bail "the client's flows did not complete"
    while read -r line; do
        case $line in ''|'#'*) continue ;; esac
        eval "ref_in router $line" > /dev/null 2>&1 || bail "corpus line failed: $line"
    done < "$DIFF_SRC/inserts.rules"
    ns_spawn router $TRAFFIC block-destroy-events "$DIFF_WORK/blocker.status"
    BLOCKER_PID=$SPAWNED_PID
    wait_for_file_line "$DIFF_WORK/blocker.status" ready 10 || bail "the DESTROY blocker did not start"

    wait_second_phase 5 300
    ARM_FROM_MS=$REPLY
    kill -USR1 "$CLIENT_PID"
    ns_exec router $PY "$DIFF_SRC/ctnl.py" arm-corpus || bail "cannot re-arm the corpus"
    second_ms
    ARM_TO_MS=$REPLY
    wait_for_file_line "$DIFF_WORK/client.status" 'ftp-done [0-9]*' 5 || bail "the FTP commands got no answer"
    # The client noted when its last FTP reply (so the last expectation)
    # arrived.
    local ftp_ms
    ftp_ms=$(sed -n 's/^ftp-done //p' "$DIFF_WORK/client.status")
    if [ $(( (ftp_ms - ARM_FROM_MS + 1000) % 1000 )) -gt $(( (ARM_TO_MS - ARM_FROM_MS + 1000) % 1000 )) ]; then
        ARM_TO_MS=$ftp_ms
    fi
    tap_diag "the corpus's timers tick between ms $ARM_FROM_MS and $ARM_TO_MS of each second"
    # The client kept its connections open: it stays until the table is
    # rebuilt for the table-changing commands.
}

# count_lines TEXT PATTERN: lines of TEXT matching the extended regex.
count_lines() { printf '%s\n' "$1" | grep -Ec -- "$2"; }

# The corpus really holds what the comparison is meant to cover.
diff_check_corpus() {
    local table ext labels save expect4 expect6 dying
    table=$(ref_in router -L 2>/dev/null)
    ext=$(ref_in router -L -o extended 2>/dev/null)
    labels=$(ref_in router -L -o labels 2>/dev/null)
    save=$(ref_in router -L -o save 2>/dev/null)
    expect4=$(ref_in router -L expect 2>/dev/null)
    expect6=$(ref_in router -L expect -f ipv6 2>/dev/null)
    dying=$(ref_in router -L dying 2>/dev/null)
    local proto
    for proto in tcp udp udplite sctp dccp icmp icmpv6 gre unknown; do
        ok "corpus: $proto entries" test "$(count_lines "$table" "^$proto +[0-9]+ ")" -ge 2
    done
    ok "corpus: IPv4 and IPv6 entries" test "$(count_lines "$ext" '^ipv4 ')" -ge 10 -a "$(count_lines "$ext" '^ipv6 ')" -ge 10
    ok "corpus: source NAT made by the router's rules" test "$(count_lines "$save" ' -n 203\.0\.113\.1 | -n 2001:db8:2::1 ')" -ge 3
    ok "corpus: destination NAT made by the router's rules" test "$(count_lines "$save" ' -g 203\.0\.113\.3 | -g 2001:db8:2::3 ')" -ge 3
    ok "corpus: NAT given to -I" test "$(count_lines "$save" ' -[ng] (192\.0\.2\.|2001:db8:ff::)')" -ge 4
    ok "corpus: zones (both directions, original only, reply only)" \
        test "$(count_lines "$table" ' zone=5 ')" -ge 2 -a "$(count_lines "$table" ' zone-orig=6 ')" -eq 1 -a "$(count_lines "$table" ' zone-reply=7 ')" -eq 1
    ok "corpus: marks from nft and CONNMARK" test "$(count_lines "$table" ' mark=42 ')" -ge 5 -a "$(count_lines "$table" ' mark=4660 ')" -eq 1
    ok "corpus: labels from nft rules and -I" test "$(count_lines "$labels" ' labels=')" -ge 8
    ok "corpus: counters" test "$(count_lines "$table" ' packets=[1-9]')" -ge 20
    ok "corpus: timestamps" test "$(count_lines "$table" ' delta-time=')" -ge 40
    ok "corpus: FTP helper on the control connections" test "$(count_lines "$table" ' helper=ftp ')" -eq 5
    ok "corpus: expectations from PASV, PORT and NAT (IPv4)" test "$(count_lines "$expect4" '^[0-9]+ proto=6 ')" -eq 3
    ok "corpus: expectations from EPSV and EPRT (IPv6)" test "$(count_lines "$expect6" '^[0-9]+ proto=6 ')" -eq 2
    ok "corpus: entries made with -I" test "$(count_lines "$table" 'src=(192\.0\.2\.|2001:db8:ff::)')" -eq 30
    ok "corpus: entries on the dying list" test "$(count_lines "$dying" 'src=192\.0\.2\.20[1-4] ')" -ge 2
}

# --- tables rebuilt before each table-changing command -------------------

# restore_fixture FIXTURE: FIXTURE is "empty" (rw, flushed), "rules/NAME"
# (rw, flushed, then $DATA/NAME.rules loaded by the reference's -R and the
# lines of $DATA/NAME.labels, if any, run one by one) or "nat" (the
# router's table rebuilt by replaying the "nat" flows).  Prints the
# namespace the command runs in.
restore_fixture() {
    case $1 in
    empty)
        runner_do rw "$(printf %q "$REFERENCE_CONNTRACK") -F > /dev/null 2>&1"
        ;;
    rules/*)
        local name=${1#rules/} line command ref failed
        printf -v ref %q "$REFERENCE_CONNTRACK"
        printf -v failed %q "$DIFF_WORK/restore.failed"
        printf -v command '{ %s -F; %s -R %q' "$ref" "$ref" "$DATA/$name.rules"
        if [ -f "$DATA/$name.labels" ]; then
            while read -r line; do
                case $line in -*) command+=" && $ref $line" ;; esac
            done < "$DATA/$name.labels"
        fi
        runner_do rw "$command; } > /dev/null 2>&1 || echo failed > $failed"
        if [ -e "$DIFF_WORK/restore.failed" ]; then
            bail "cannot load fixture $name"
        fi
        ;;
    nat)
        if [ -n "${CLIENT_PID:-}" ]; then
            kill "$CLIENT_PID" 2>/dev/null
            wait "$CLIENT_PID" 2>/dev/null
        fi
        runner_do router "$(printf %q "$REFERENCE_CONNTRACK") -F > /dev/null 2>&1; $(printf %q "$REFERENCE_CONNTRACK") -F expect > /dev/null 2>&1"
        rm -f "$DIFF_WORK/client.status"
        ns_spawn client $TRAFFIC client nat "$DIFF_WORK/client.status"
        CLIENT_PID=$SPAWNED_PID
        wait_for_file_line "$DIFF_WORK/client.status" ready 10 || bail "the nat flows did not complete"
        kill -USR1 "$CLIENT_PID"
        wait_for_file_line "$DIFF_WORK/client.status" 'ftp-done [0-9]*' 5 || bail "the nat FTP commands got no answer"
        # (The client acknowledges each reply at once: TCP_QUICKACK.)
        ;;
    *)
        bail "unknown fixture $1"
        ;;
    esac
}

fixture_ns() {
    case $1 in
    nat) echo router ;;
    *) echo rw ;;
    esac
}

# Before the table-changing commands: the router's dying list holds entries
# as long as the blocker lives, and its deletions must really delete; and
# its rebuilt tables get no timestamps (see diff_setup_topology).
diff_start_rw_phase() {
    if [ -n "${BLOCKER_PID:-}" ]; then
        kill "$BLOCKER_PID" 2>/dev/null
        wait "$BLOCKER_PID" 2>/dev/null
        BLOCKER_PID=
    fi
    _ns_sysctl router net.netfilter.nf_conntrack_timestamp=0
    local _
    for _ in $(seq 1 50); do
        [ -z "$(ref_in router -L dying 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    bail "the dying list did not drain"
}

# --- event scenarios -------------------------------------------------------

# run_event_scenario SCENARIO OUTDIR SIDE...: evdriver.py (see there) in
# a network namespace of its own, made for this run only and gone with its
# last process (it is not named, so nothing outlives the test), as PID 1
# of a PID namespace (the kernel ends every process of it when it ends).
run_event_scenario() {
    unshare --net --pid --fork --mount-proc /bin/sh -c '
        mount -t overlay ctdt-etc -o "lowerdir=$0:/etc" /etc &&
        ip link set lo up &&
        sysctl -qw net.netfilter.nf_conntrack_acct=1 &&
        nft -f "$1" || exit 125
        shift
        exec "$@"' "$DIFF_WORK/etc" "$DIFF_SRC/ev.nft" $PY "$DIFF_SRC/evdriver.py" "$@"
}
