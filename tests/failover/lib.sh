# The fail-over test bed: two stateful firewalls in primary/backup between a
# client and a server, keepalived moving the virtual gateways, conntrackd
# replicating the connection-tracking table over a dedicated link.  Used by
# the tests in this directory and by the top-level demo-failover script.
#
#               LAN A 198.51.100.0/24             LAN B 203.0.113.0/24
#   client .10 ── bridge ──┬── eth0 fw1 eth1 ──┬── bridge ── .10 server
#   (gw .1)                │   .2   eth2  .2   │          (gw .1)
#                          │     192.0.2.1     │
#                          │ (dedicated link)  │
#                          │     192.0.2.2     │
#                          └── eth0 fw2 eth1 ──┘
#                              .3         .3
#
# The virtual gateways 198.51.100.1 and 203.0.113.1 belong to whichever
# firewall keepalived makes MASTER.  Each firewall forwards with a stateful
# rule set (policy drop; established/related accepted; only new TCP SYNs
# from LAN A accepted; nf_conntrack_tcp_loose=0, so a mid-stream packet of a
# flow the kernel does not know is dropped): a flow survives the loss of
# fw1 only if fw2 got its state from conntrackd.
#
# The configurations come from etc/ (the shipped examples, keepalived.conf
# and primary-backup.sh), with only the paths, priorities, timers and the
# transport block changed: the tests prove that what we ship works.
#
# Source tests/lib/tap.sh (or define bail) and tests/lib/netns.sh first.
# Every function returns non-zero on failure and leaves the reason in
# FO_ERROR.  All files go to $FO_DIR (fo_init makes it).
#
# Settings (environment):
#   REFERENCE_CONNTRACKD  the reference daemon      (/usr/sbin/conntrackd)
#   CONNTRACKD            ours   ($CTD_TOP_BUILDDIR/core/conntrackd)
#   FO_CONNTRACK          a conntrack CLI, to look at the kernel tables
#                         (/usr/sbin/conntrack)
#   FO_KEEPALIVED         keepalived                (keepalived)
#   FO_PYTHON             python3 for flow.py       (/usr/bin/python3)
#   FO_ADVERT             VRRP advert interval in seconds (0.5)
#   FO_ALARM_REFRESH      RefreshTime given to ALARM mode (1)
#   FO_ETC_SRC, FO_ETC_BUILD   etc/ in the source and the build tree

FO_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REFERENCE_CONNTRACKD=${REFERENCE_CONNTRACKD:-/usr/sbin/conntrackd}
CONNTRACKD=${CONNTRACKD:-${CTD_TOP_BUILDDIR:-$FO_LIB_DIR/../..}/core/conntrackd}
FO_CONNTRACK=${FO_CONNTRACK:-/usr/sbin/conntrack}
FO_KEEPALIVED=${FO_KEEPALIVED:-keepalived}
# The system's python3: a python3 earlier on PATH may be a slow shim.
if [ -z "${FO_PYTHON:-}" ]; then
    if [ -x /usr/bin/python3 ]; then FO_PYTHON=/usr/bin/python3; else FO_PYTHON=python3; fi
fi
FO_ADVERT=${FO_ADVERT:-0.5}
FO_ALARM_REFRESH=${FO_ALARM_REFRESH:-1}
FO_ETC_SRC=${FO_ETC_SRC:-${CTD_TOP_SRCDIR:-$FO_LIB_DIR/../..}/etc}
FO_ETC_BUILD=${FO_ETC_BUILD:-${CTD_TOP_BUILDDIR:-$FO_LIB_DIR/../..}/etc}

FO_CLIENT=198.51.100.10
FO_SERVER=203.0.113.10
FO_VIP_A=198.51.100.1
FO_VIP_B=203.0.113.1
FO_PORT=5001
# A flow written straight into a firewall's kernel table, to see that the
# other firewall receives what this one sends.
FO_PROBE_SPORT=4242
FO_PROBE_DPORT=4243

FO_NAMESPACES="client server lana lanb fw1 fw2"
FO_ERROR=""
FO_FAIL_TIME=""

fo_fw_index() { echo "${1#fw}"; }                # fw1 -> 1
fo_sync_addr() { echo "192.0.2.$(fo_fw_index "$1")"; }
fo_now() { date +%s.%N; }

# The daemon binary for an implementation name.
fo_daemon_bin() { # ref|ours
    case $1 in
    ref) echo "$REFERENCE_CONNTRACKD" ;;
    ours) echo "$CONNTRACKD" ;;
    *) echo "unknown-daemon-$1" ;;
    esac
}

# fo_wait SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds
# (SECONDS: a whole number).
fo_wait() {
    local deadline=$(( $(date +%s%3N) + $1 * 1000 ))
    shift
    while :; do
        "$@" && return 0
        [ "$(date +%s%3N)" -gt "$deadline" ] && return 1
        sleep 0.1
    done
}

fo_init() {
    FO_DIR=$(mktemp -d /tmp/ctd-failover.XXXXXX) || bail "cannot create a temp dir"
    chmod 700 "$FO_DIR"
}

# --------------------------------------------------------------------------
# Topology

fo_topology() {
    local ns fw i
    for ns in $FO_NAMESPACES; do
        ns_new "$ns"
        mkdir -p "$FO_DIR/$ns"
    done
    # One `ip -batch' per namespace: creating links is slow on a loaded
    # machine, a process per command makes it slower.  Each veth is created
    # straight into both of its namespaces.  Bridges keep multicast
    # snooping off, so VRRP and the multicast sync link are flooded as on
    # a plain switch.
    ip -n "$(ns_name lana)" -batch - <<EOF || { FO_ERROR="cannot build LAN A"; return 1; }
link add br0 type bridge mcast_snooping 0
link set br0 up
link add client type veth peer name eth0 netns $(ns_name client)
link add fw1 type veth peer name eth0 netns $(ns_name fw1)
link add fw2 type veth peer name eth0 netns $(ns_name fw2)
link set client master br0 up
link set fw1 master br0 up
link set fw2 master br0 up
EOF
    ip -n "$(ns_name lanb)" -batch - <<EOF || { FO_ERROR="cannot build LAN B"; return 1; }
link add br0 type bridge mcast_snooping 0
link set br0 up
link add server type veth peer name eth0 netns $(ns_name server)
link add fw1 type veth peer name eth1 netns $(ns_name fw1)
link add fw2 type veth peer name eth1 netns $(ns_name fw2)
link set server master br0 up
link set fw1 master br0 up
link set fw2 master br0 up
EOF
    ip -n "$(ns_name fw1)" link add eth2 type veth peer name eth2 netns "$(ns_name fw2)" || {
        FO_ERROR="cannot create the dedicated link"; return 1; }
    for fw in fw1 fw2; do
        i=$(fo_fw_index $fw)
        ip -n "$(ns_name $fw)" -batch - <<EOF || { FO_ERROR="cannot set up the links of $fw"; return 1; }
addr add 198.51.100.$((i + 1))/24 dev eth0
addr add 203.0.113.$((i + 1))/24 dev eth1
addr add $(fo_sync_addr $fw)/30 dev eth2
link set eth0 up
link set eth1 up
link set eth2 up
EOF
    done
    ip -n "$(ns_name client)" -batch - <<EOF || { FO_ERROR="cannot set up the client"; return 1; }
addr add $FO_CLIENT/24 dev eth0
link set eth0 up
route add default via $FO_VIP_A
EOF
    ip -n "$(ns_name server)" -batch - <<EOF || { FO_ERROR="cannot set up the server"; return 1; }
addr add $FO_SERVER/24 dev eth0
link set eth0 up
route add default via $FO_VIP_B
EOF
    for fw in fw1 fw2; do
        fo_firewall_rules $fw || return 1
    done
}

# The stateful rule set of a firewall.  One process for it all: IPv4
# forwarding on, IPv6 off (it would only add noise to the tables and the
# logs), the rules, and strict TCP tracking (no picking up of flows in the
# middle), set once the rules have loaded nf_conntrack.
fo_firewall_rules() { # fw
    cat > "$FO_DIR/$1/rules.nft" <<'EOF'
table inet failover {
    chain forward {
        type filter hook forward priority filter; policy drop;
        ct state established,related accept
        iifname "eth0" oifname "eth1" tcp flags & (fin | syn | rst | ack) == syn ct state new accept
        counter comment "dropped by the policy"
    }
}
EOF
    ns_exec "$1" sh -c "sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 &&
        nft -f '$FO_DIR/$1/rules.nft' && sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0" \
        > "$FO_DIR/$1/rules.out" 2>&1 || {
        FO_ERROR="cannot set up the rule set of $1: $(cat "$FO_DIR/$1/rules.out")"; return 1; }
}

# Packets of $1 that the forward policy dropped.
fo_dropped() { # fw
    ns_exec "$1" nft list chain inet failover forward 2>/dev/null |
        sed -n 's/.*counter packets \([0-9]*\) bytes.*dropped by the policy.*/\1/p'
}

# --------------------------------------------------------------------------
# conntrackd

# The transport block of a firewall, for transports the example of the mode
# does not use itself.
fo_transport_block() { # transport fw
    local here peer
    here=$(fo_sync_addr "$2")
    if [ "$2" = fw1 ]; then peer=$(fo_sync_addr fw2); else peer=$(fo_sync_addr fw1); fi
    case $1 in
    udp|tcp)
        local kind=UDP
        [ "$1" = tcp ] && kind=TCP
        printf '\t%s Default {\n\t\tIPv4_address %s\n\t\tIPv4_Destination_Address %s\n\t\tPort 3780\n\t\tInterface eth2\n\t\tChecksum on\n\t}\n' \
            "$kind" "$here" "$peer" ;;
    mcast)
        printf '\tMulticast Default {\n\t\tIPv4_address 225.0.0.50\n\t\tGroup 3780\n\t\tIPv4_interface %s\n\t\tInterface eth2\n\t\tChecksum on\n\t}\n' \
            "$here" ;;
    esac
}

# The transport each shipped example uses.
fo_example_transport() { # mode
    case $1 in ftfw) echo udp ;; notrack) echo tcp ;; alarm) echo mcast ;; esac
}

# fo_conntrackd_config FW MODE TRANSPORT: $FO_DIR/FW/conntrackd.conf from
# etc/conntrackd-MODE.conf.  Only the paths change, fw2 gets its own link
# address, ALARM a short RefreshTime, and the transport block is replaced
# when the example uses another transport.
fo_conntrackd_config() {
    local fw=$1 mode=$2 transport=$3 example dir here
    example="$FO_ETC_SRC/conntrackd-$mode.conf"
    dir="$FO_DIR/$fw"
    here=$(fo_sync_addr "$fw")
    [ -f "$example" ] || { FO_ERROR="no example config $example"; return 1; }
    awk -v block="$(fo_transport_block "$transport" "$fw")" \
        -v replace="$([ "$transport" = "$(fo_example_transport "$mode")" ] && echo 0 || echo 1)" '
        replace == 1 && /^[ \t]*(UDP|TCP|Multicast)([ \t]+Default)?[ \t]*\{/ { skipping = 1; print block; next }
        skipping && /^[ \t]*\}/ { skipping = 0; next }
        skipping { next }
        { print }' "$example" |
    sed -e "s|^\([[:space:]]*LockFile[[:space:]]\+\).*|\1$dir/conntrackd.lock|" \
        -e "s|^\([[:space:]]*Path[[:space:]]\+\).*|\1$dir/conntrackd.ctl|" \
        -e "s|^\([[:space:]]*LogFile[[:space:]]\+\).*|\1$dir/conntrackd.log|" \
        -e "s|^\([[:space:]]*RefreshTime[[:space:]]\+\).*|\1$FO_ALARM_REFRESH|" \
        -e "s/^\([[:space:]]*\(IPv4_address\|IPv4_interface\)[[:space:]]\+\)192\.0\.2\.[12]\([[:space:]]\|\$\)/\1$here\3/" \
        -e "s/^\([[:space:]]*IPv4_Destination_Address[[:space:]]\+\)192\.0\.2\.[12]\([[:space:]]\|\$\)/\1$(fo_sync_addr "$([ "$fw" = fw1 ] && echo fw2 || echo fw1)")\2/" \
        > "$dir/conntrackd.conf"
}

# fo_ctd FW ARGS...: a client request to the daemon of FW.
fo_ctd() {
    local fw=$1
    shift
    ns_exec "$fw" "$(fo_daemon_bin "$(cat "$FO_DIR/$fw/impl")")" -C "$FO_DIR/$fw/conntrackd.conf" "$@"
}

# fo_start_conntrackd FW IMPL: starts the daemon (console mode, in the
# background) and waits until it answers on its control socket.
fo_start_conntrackd() {
    fo_launch_conntrackd "$1" "$2" && fo_wait_conntrackd "$1"
}

# fo_launch_conntrackd FW IMPL: starts it and returns at once.
fo_launch_conntrackd() {
    local fw=$1 impl=$2 bin
    bin=$(fo_daemon_bin "$impl")
    echo "$impl" > "$FO_DIR/$fw/impl"
    [ -x "$bin" ] || { FO_ERROR="$fw: no daemon at $bin ($impl)"; return 1; }
    # `ip netns exec' itself, not the ns_exec function: $! must be the
    # daemon (ip execs it), not a subshell.
    ip netns exec "$(ns_name "$fw")" "$bin" -C "$FO_DIR/$fw/conntrackd.conf" \
        > "$FO_DIR/$fw/conntrackd.console" 2>&1 &
    echo $! > "$FO_DIR/$fw/conntrackd.pid"
    # Killed on purpose later (fo_fail, namespace removal): no job report.
    disown $!
}

# fo_wait_conntrackd FW: waits until it answers (or is gone).
fo_wait_conntrackd() {
    local fw=$1 impl bin
    impl=$(cat "$FO_DIR/$fw/impl")
    bin=$(fo_daemon_bin "$impl")
    fo_wait 20 fo_ctd_answers_or_gone "$fw"
    if ! fo_ctd_answers "$fw"; then
        if kill -0 "$(cat "$FO_DIR/$fw/conntrackd.pid")" 2>/dev/null; then
            FO_ERROR="$fw: conntrackd ($impl, $bin) runs but does not answer on its control socket"
        else
            FO_ERROR="$fw: conntrackd ($impl, $bin) exited at start-up: $(tail -n 3 "$FO_DIR/$fw/conntrackd.console" | tr '\n' ' ')"
        fi
        return 1
    fi
}

fo_ctd_answers() { fo_ctd "$1" -s > /dev/null 2>&1; }
fo_ctd_answers_or_gone() { fo_gone "$(cat "$FO_DIR/$1/conntrackd.pid")" || fo_ctd_answers "$1"; }

# fo_cache_has FW CACHE PATTERN: the daemon's -i or -e dump has a line
# matching the extended regex; the line is left in FO_MATCH.
fo_cache_has() {
    FO_MATCH=$(fo_ctd "$1" "$2" 2>/dev/null | grep -E -- "$3" | head -n 1)
    [ -n "$FO_MATCH" ]
}

# fo_kernel_has FW PATTERN: the kernel table of FW has a matching entry.
fo_kernel_has() {
    FO_MATCH=$(ns_exec "$1" "$FO_CONNTRACK" -L 2>/dev/null | grep -E -- "$2" | head -n 1)
    [ -n "$FO_MATCH" ]
}

# A flow written straight into the kernel table of FW.
fo_inject_probe() { # fw
    ns_exec "$1" "$FO_CONNTRACK" -I -p tcp -s "$FO_CLIENT" -d "$FO_SERVER" \
        --sport "$FO_PROBE_SPORT" --dport "$FO_PROBE_DPORT" --state ESTABLISHED \
        -u ASSURED,SEEN_REPLY -t 600 > "$FO_DIR/$1/probe.out" 2>&1 || {
        FO_ERROR="$1: cannot create the probe entry: $(cat "$FO_DIR/$1/probe.out")"; return 1; }
}

# --------------------------------------------------------------------------
# keepalived

# fo_keepalived_config FW PRIORITY [nosync]: $FO_DIR/FW/keepalived.conf from
# etc/keepalived.conf: priority, advert interval and router id set, and the
# notify scripts pointed at a wrapper that gives primary-backup.sh this
# firewall's paths (nosync: no notify scripts at all).
fo_keepalived_config() {
    local fw=$1 priority=$2 nosync=${3:-} dir="$FO_DIR/$1" example="$FO_ETC_BUILD/keepalived.conf"
    [ -f "$example" ] || { FO_ERROR="no $example (is the tree built?)"; return 1; }
    [ -x "$FO_ETC_BUILD/primary-backup.sh" ] || { FO_ERROR="no $FO_ETC_BUILD/primary-backup.sh"; return 1; }
    cat > "$dir/notify" <<EOF
#!/bin/sh
# keepalived on $fw runs this on each transition.
export CONNTRACKD_BIN='$(fo_daemon_bin "$(cat "$dir/impl" 2>/dev/null || echo ref)")'
export CONNTRACKD_CONFIG='$dir/conntrackd.conf'
export CONNTRACKD_SCRIPT_LOG='$dir/primary-backup.log'
${CONNTRACKD_PLUGIN_DIR:+export CONNTRACKD_PLUGIN_DIR='$CONNTRACKD_PLUGIN_DIR'}
exec '$FO_ETC_BUILD/primary-backup.sh' "\$@"
EOF
    chmod 700 "$dir/notify"
    sed -e "s|^\([[:space:]]*priority[[:space:]]\+\).*|\1$priority|" \
        -e "s|^\([[:space:]]*advert_int[[:space:]]\+\).*|\1$FO_ADVERT|" \
        -e "s|^\([[:space:]]*router_id[[:space:]]\+\).*|\1$fw|" \
        -e "s|\"[^\" ]*/primary-backup.sh |\"$dir/notify |" \
        "$example" > "$dir/keepalived.conf"
    if [ "$nosync" = nosync ]; then
        sed -i '/^[[:space:]]*notify_/d' "$dir/keepalived.conf"
    fi
}

fo_start_keepalived() { # fw
    local dir="$FO_DIR/$1"
    ip netns exec "$(ns_name "$1")" "$FO_KEEPALIVED" --dont-fork --log-console --log-detail --no-syslog --vrrp \
        --use-file "$dir/keepalived.conf" --pid "$dir/keepalived.pid" \
        --vrrp_pid "$dir/keepalived-vrrp.pid" > "$dir/keepalived.log" 2>&1 &
    echo $! > "$dir/keepalived.main"
    disown $!
}

fo_stop_keepalived() { # fw
    local pid
    pid=$(cat "$FO_DIR/$1/keepalived.main" 2>/dev/null) || return 0
    kill -TERM "$pid" 2>/dev/null
    fo_wait 5 fo_gone "$pid" || kill -KILL "$pid" 2>/dev/null
    return 0
}
fo_gone() { ! kill -0 "$1" 2>/dev/null; }

# FW holds both virtual gateways.
fo_holds_vips() {
    local addresses
    addresses=$(ip -n "$(ns_name "$1")" -o -4 addr show 2>/dev/null)
    printf '%s\n' "$addresses" | grep -q "eth0 .* $FO_VIP_A/" &&
    printf '%s\n' "$addresses" | grep -q "eth1 .* $FO_VIP_B/"
}

# primary-backup.sh on FW has finished transition STATE (primary|backup).
fo_script_done() { # fw state [nth]
    [ "$(grep -c "$2: done" "$FO_DIR/$1/primary-backup.log" 2>/dev/null)" -ge "${3:-1}" ]
}

fo_keepalived_backup() { # fw: both instances entered BACKUP
    [ "$(grep -c 'Entering BACKUP STATE' "$FO_DIR/$1/keepalived.log" 2>/dev/null)" -ge 2 ]
}

# fo_wait_role FW primary|backup SYNC(yes|no) TIMEOUT
fo_wait_role() {
    local fw=$1 role=$2 sync=$3 timeout=$4
    if [ "$role" = primary ]; then
        fo_wait "$timeout" fo_holds_vips "$fw" || { FO_ERROR="$fw did not take the virtual gateways within ${timeout}s"; return 1; }
        if [ "$sync" = yes ]; then
            fo_wait "$timeout" fo_script_done "$fw" primary || {
                FO_ERROR="$fw took the gateways but primary-backup.sh primary did not finish within ${timeout}s"; return 1; }
        fi
    else
        fo_wait "$timeout" fo_keepalived_backup "$fw" || { FO_ERROR="$fw did not enter BACKUP within ${timeout}s"; return 1; }
        if [ "$sync" = yes ]; then
            fo_wait "$timeout" fo_script_done "$fw" backup || {
                FO_ERROR="$fw is BACKUP but primary-backup.sh backup did not finish within ${timeout}s"; return 1; }
        fi
        if fo_holds_vips "$fw"; then FO_ERROR="$fw is BACKUP yet holds the gateways"; return 1; fi
    fi
}

# --------------------------------------------------------------------------
# The flow

fo_start_flow() {
    ip netns exec "$(ns_name server)" "$FO_PYTHON" "$FO_LIB_DIR/flow.py" server --bind "$FO_SERVER" --port "$FO_PORT" \
        > "$FO_DIR/server/flow.log" 2>&1 &
    echo $! > "$FO_DIR/server/flow.pid"
    disown $!
    fo_wait 20 grep -qs listening "$FO_DIR/server/flow.log" || { FO_ERROR="the server did not start"; return 1; }
    ip netns exec "$(ns_name client)" "$FO_PYTHON" "$FO_LIB_DIR/flow.py" client --connect "$FO_SERVER" --port "$FO_PORT" \
        --interval 0.05 --stall-timeout "${FO_STALL_TIMEOUT:-20}" --log "$FO_DIR/client/flow.log" \
        > "$FO_DIR/client/flow.out" 2>&1 &
    echo $! > "$FO_DIR/client/flow.pid"
    fo_wait 20 grep -qs '^connected' "$FO_DIR/client/flow.log" || {
        FO_ERROR="the client could not connect through fw1: $(cat "$FO_DIR/client/flow.log" "$FO_DIR/client/flow.out" 2>/dev/null | tail -n 2 | tr '\n' ' ')"
        return 1; }
    FO_SPORT=$(sed -n 's/^connected sport=\([0-9]*\).*/\1/p' "$FO_DIR/client/flow.log")
}

# Echoes received after time T (seconds since the epoch).
fo_replies_after() { # t
    awk -v t="$1" '/^reply / { sub("t=", "", $3); if ($3 + 0 > t + 0) n++ } END { print n + 0 }' \
        "$FO_DIR/client/flow.log"
}
fo_has_replies_after() { [ "$(fo_replies_after "$1")" -ge "$2" ]; }
fo_client_ended() { grep -qs '^summary' "$FO_DIR/client/flow.log"; }

# Stops the client and leaves its summary in FO_SUMMARY.
fo_stop_client() {
    local pid
    pid=$(cat "$FO_DIR/client/flow.pid")
    kill -TERM "$pid" 2>/dev/null
    fo_wait 5 fo_client_ended || kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    FO_SUMMARY=$(grep '^summary' "$FO_DIR/client/flow.log" | tail -n 1)
}

fo_summary_field() { # name
    printf '%s\n' "$FO_SUMMARY" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# --------------------------------------------------------------------------
# Fail-over

# Takes FW down as a crash would: keepalived and conntrackd there die at
# once (SIGKILL: no goodbye advert with priority 0, nothing cleaned up),
# then its links go down.  The time it was gone for good is left in
# FO_FAIL_TIME.
fo_fail() { # fw
    local dir="$FO_DIR/$1" pid
    for pid in $(cat "$dir/keepalived-vrrp.pid" "$dir/keepalived.main" "$dir/conntrackd.pid" 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null
    done
    ip -n "$(ns_name "$1")" -batch - <<EOF
link set eth0 down
link set eth1 down
link set eth2 down
EOF
    FO_FAIL_TIME=$(fo_now)
}

# --------------------------------------------------------------------------
# Diagnostics

# Every log of the scenario, as TAP comments.
fo_dump_logs() {
    local fw f
    for fw in fw1 fw2; do
        for f in conntrackd.log conntrackd.console primary-backup.log keepalived.log; do
            [ -s "$FO_DIR/$fw/$f" ] || continue
            tap_diag "---- $fw $f (last 40 lines) ----"
            tail -n 40 "$FO_DIR/$fw/$f" | tap_diag_stdin
        done
    done
    for f in client/flow.log server/flow.log client/flow.out; do
        [ -s "$FO_DIR/$f" ] || continue
        tap_diag "---- $f (last 15 lines) ----"
        tail -n 15 "$FO_DIR/$f" | tap_diag_stdin
    done
}
tap_diag_stdin() { sed 's/^/# /'; }
