# Fail-over scenarios as TAP test points, for the test scripts of this
# directory.  Each scenario builds the whole test bed in fresh namespaces,
# runs it, and removes it (namespaces, daemons, keepalived, python) however
# it ends.  Every test point names its combination, e.g.
#   ok 7 - ftfw/udp fw1=ref fw2=ours: the flow carried on through fw2 ...
# and a failing one says why, followed by the logs of both daemons, both
# keepalived, primary-backup.sh and the flow.
#
# Which daemons run (see README.md in this directory):
#   (default)                  our daemon ($CONNTRACKD) on both firewalls
#   CTD_FAILOVER_REF=1         the reference on both as well (ref:ref)
#   CTD_FAILOVER_DAEMONS="ref:ref ours:ours"   the matrix's pairs, fw1:fw2
#   FO_MAX_PAUSE=N             the longest pause accepted, in seconds (15)
#   FO_KEEP=1                  keep the files of failed scenarios

. "$CTD_TESTS_SRCDIR/lib/tap.sh"
. "$CTD_TESTS_SRCDIR/lib/netns.sh"
. "$CTD_TESTS_SRCDIR/failover/lib.sh"

FO_MAX_PAUSE=${FO_MAX_PAUSE:-15}
# Ours on both firewalls; the reference on both only on request (the
# harness was proven with it, and the whole directory must stay fast).
if [ -z "${CTD_FAILOVER_DAEMONS:-}" ]; then
    CTD_FAILOVER_DAEMONS="ours:ours"
    [ "${CTD_FAILOVER_REF:-0}" = 1 ] && CTD_FAILOVER_DAEMONS="ours:ours ref:ref"
fi

_fo_dirs=""
_fo_scenario_cleanup() {
    local ns pids=""
    # The scenario is over: everything in its namespaces can die at once,
    # which is much faster than ns_cleanup's polite one-by-one.
    for ns in $FO_NAMESPACES; do
        pids="$pids $(ip netns pids "$(ns_name "$ns")" 2>/dev/null)"
    done
    [ -n "${pids// /}" ] && kill -KILL $pids 2>/dev/null
    ns_cleanup
    # Whatever was started in the namespaces is gone with them; reap it.
    wait 2>/dev/null
}
_fo_exit() {
    _fo_scenario_cleanup
    local dir
    for dir in $_fo_dirs; do rm -rf "$dir"; done
}
trap '_fo_exit' EXIT

# A test point skipped, with the reason.
fo_skip() { # description reason
    _tap_n=$((_tap_n + 1))
    echo "ok $_tap_n - $1 # SKIP $2"
}

fo_prerequisites() {
    local tool
    for tool in "$FO_KEEPALIVED" nft "$FO_PYTHON" "$FO_CONNTRACK" "$REFERENCE_CONNTRACKD"; do
        command -v "$tool" > /dev/null || bail "$tool is needed for the fail-over tests (run-tests installs it)"
    done
}

# _fo_check DESCRIPTION COMMAND...: one test point; on failure the reason
# (FO_ERROR) and every log follow, and the scenario ends.
_fo_check() {
    local description=$1
    shift
    FO_ERROR=""
    if "$@"; then
        _tap_result 0 "$_fo_label: $description"
        [ -n "${FO_TRACE:-}" ] && tap_diag "$(date +%T.%3N) done"
        return 0
    fi
    _tap_result 1 "$_fo_label: $description"
    tap_diag "why: ${FO_ERROR:-the check failed}"
    [ "${FO_KEEP:-0}" = 1 ] && tap_diag "files kept in $FO_DIR"
    fo_dump_logs
    [ "${FO_KEEP:-0}" = 1 ] && _fo_dirs=${_fo_dirs/$FO_DIR/}
    return 1
}

_fo_setup() { # mode transport impl1 impl2 sync(yes|no)
    local mode=$1 transport=$2 impl1=$3 impl2=$4 sync=$5
    fo_topology || return 1
    if [ "$sync" = yes ]; then
        fo_conntrackd_config fw1 "$mode" "$transport" &&
        fo_conntrackd_config fw2 "$mode" "$transport" &&
        fo_launch_conntrackd fw1 "$impl1" && fo_launch_conntrackd fw2 "$impl2" &&
        fo_wait_conntrackd fw1 && fo_wait_conntrackd fw2 || return 1
        fo_keepalived_config fw1 150 && fo_keepalived_config fw2 100 || return 1
    else
        fo_keepalived_config fw1 150 nosync && fo_keepalived_config fw2 100 nosync || return 1
    fi
}

_fo_roles() { # sync
    # fw1 first, alone, so that it is the primary whatever the load.
    fo_start_keepalived fw1
    fo_wait_role fw1 primary "$1" 30 || return 1
    fo_start_keepalived fw2
    fo_wait_role fw2 backup "$1" 30 || return 1
    fo_holds_vips fw1 || { FO_ERROR="fw1 lost the gateways when fw2 started"; return 1; }
}

_fo_flow_through_fw1() {
    fo_start_flow || return 1
    fo_wait 20 fo_has_replies_after 0 10 || {
        FO_ERROR="fewer than 10 echoes in 20 s: $(tail -n 1 "$FO_DIR/client/flow.log")"; return 1; }
    fo_kernel_has fw1 "sport=$FO_SPORT dport=$FO_PORT" || {
        FO_ERROR="fw1's kernel table has no entry for the flow (sport $FO_SPORT)"; return 1; }
}

# What fw1 sent: the flow, established, in fw2's external cache.
_fo_fw2_external() {
    local impl2
    impl2=$(cat "$FO_DIR/fw2/impl")
    fo_wait 20 fo_cache_has fw2 -e "sport=$FO_SPORT dport=$FO_PORT" || {
        FO_ERROR="the flow (sport $FO_SPORT) is not in fw2's external cache after 20 s; fw2 -e shows: $(fo_ctd fw2 -e 2>&1 | head -n 5 | tr '\n' '|')"
        return 1; }
    fo_wait 20 fo_cache_has fw2 -e "ESTABLISHED .*sport=$FO_SPORT dport=$FO_PORT" || {
        FO_ERROR="fw2's external cache has the flow, but not as ESTABLISHED: $FO_MATCH"; return 1; }
    tap_diag "fw2 ($impl2) conntrackd -e: $FO_MATCH"
}

# What fw2 sent: an entry written into fw2's kernel table reaches fw1.
_fo_fw1_external() {
    local impl1
    impl1=$(cat "$FO_DIR/fw1/impl")
    fo_inject_probe fw2 || return 1
    fo_wait 20 fo_cache_has fw1 -e "sport=$FO_PROBE_SPORT dport=$FO_PROBE_DPORT" || {
        FO_ERROR="the entry written into fw2's kernel table (sport $FO_PROBE_SPORT) is not in fw1's external cache after 20 s; fw1 -e shows: $(fo_ctd fw1 -e 2>&1 | head -n 5 | tr '\n' '|')"
        return 1; }
    tap_diag "fw1 ($impl1) conntrackd -e: $FO_MATCH"
}

_fo_takeover() { # sync
    fo_fail fw1
    fo_wait_role fw2 primary "$1" 30 || return 1
    local took
    took=$(awk -v a="$(fo_now)" -v b="$FO_FAIL_TIME" 'BEGIN { printf "%.1f", a - b }')
    if [ "$1" = yes ]; then
        tap_diag "fw2 holds the gateways and has run primary-backup.sh primary ${took}s after fw1 failed"
    else
        tap_diag "fw2 holds the gateways ${took}s after fw1 failed"
    fi
    [ "$1" = yes ] || return 0
    fo_wait 10 fo_kernel_has fw2 "ESTABLISHED .*sport=$FO_SPORT dport=$FO_PORT" || {
        FO_ERROR="fw2 became primary but its kernel table has no ESTABLISHED entry for the flow (sport $FO_SPORT): $(grep -i commit "$FO_DIR/fw2/conntrackd.log" 2>/dev/null | tail -n 3 | tr '\n' '|')"
        return 1; }
    tap_diag "fw2 kernel: $FO_MATCH"
}

_fo_carried_on() {
    local result gap
    if ! fo_wait $((FO_MAX_PAUSE + 10)) fo_has_replies_after "$FO_FAIL_TIME" 10; then
        fo_stop_client
        FO_ERROR="fewer than 10 echoes within $((FO_MAX_PAUSE + 10)) s of fw1's failure; client: $FO_SUMMARY"
        return 1
    fi
    fo_stop_client
    result=$(fo_summary_field result)
    gap=$(fo_summary_field max_gap_ms)
    FO_PAUSE_MS=${gap%.*}
    [ "$result" = ok ] || { FO_ERROR="the client ended with $result: $FO_SUMMARY"; return 1; }
    [ "${FO_PAUSE_MS:-999999}" -le $((FO_MAX_PAUSE * 1000)) ] || {
        FO_ERROR="the traffic paused ${gap} ms, more than ${FO_MAX_PAUSE} s"; return 1; }
    tap_diag "traffic paused ${gap} ms; $(fo_replies_after "$FO_FAIL_TIME") echoes after the fail-over; client: $FO_SUMMARY"
}

# fo_matrix MODE: every transport, with each pair of daemons of the matrix.
fo_matrix() {
    local transport pair
    fo_prerequisites
    for transport in udp tcp mcast; do
        for pair in $CTD_FAILOVER_DAEMONS; do
            fo_scenario "$1" "$transport" "${pair%%:*}" "${pair##*:}"
        done
    done
}

# fo_scenario MODE TRANSPORT IMPL1 IMPL2: the flow survives fw1's loss.
fo_scenario() {
    local mode=$1 transport=$2 impl1=$3 impl2=$4
    _fo_label="$mode/$transport fw1=$impl1 fw2=$impl2"
    fo_init
    _fo_dirs="$_fo_dirs $FO_DIR"
    _fo_check "test bed, conntrackd ($impl1, $impl2) and keepalived up" _fo_setup "$mode" "$transport" "$impl1" "$impl2" yes &&
    _fo_check "keepalived made fw1 primary and fw2 backup, primary-backup.sh ran" _fo_roles yes &&
    _fo_check "a TCP flow runs through fw1" _fo_flow_through_fw1 &&
    _fo_check "fw2's external cache (-e) shows the flow fw1 sent" _fo_fw2_external &&
    _fo_check "fw1's external cache (-e) shows the entry fw2 sent" _fo_fw1_external &&
    _fo_check "fw1 fails: fw2 takes over and commits the flow to its kernel" _fo_takeover yes &&
    _fo_check "the flow carried on through fw2 without a reset" _fo_carried_on &&
    tap_diag "$_fo_label: traffic paused $FO_PAUSE_MS ms"
    _fo_scenario_cleanup
}

# Without replication the same fail-over must break the flow: proof that
# the rule set really needs the replicated state (and that the scenario
# above cannot pass without it).
_fo_broken() {
    local wait_s=${FO_BROKEN_WAIT:-8} after dropped
    # Longer than the TCP retransmissions of a pause that would pass above
    # take to get through once the path is back.
    sleep "$wait_s"
    # An echo that reached the client just before fw1 went may be read a
    # little later on a loaded machine: only count those a second after.
    after=$(fo_replies_after "$(awk -v t="$FO_FAIL_TIME" 'BEGIN { printf "%.6f", t + 1 }')")
    dropped=$(fo_dropped fw2)
    fo_stop_client
    [ "$after" -eq 0 ] || { FO_ERROR="$after echoes arrived more than 1 s after fw1 failed: the flow survived without replication"; return 1; }
    [ "${dropped:-0}" -gt 0 ] || { FO_ERROR="fw2 dropped no packet: the flow did not even reach fw2"; return 1; }
    fo_kernel_has fw2 "sport=$FO_SPORT dport=$FO_PORT.*ASSURED" && {
        FO_ERROR="fw2's kernel table knows the flow: $FO_MATCH"; return 1; }
    tap_diag "no echo in ${wait_s}s after fw1 failed; fw2 dropped $dropped packets of the flow; client: $FO_SUMMARY"
}

fo_scenario_nosync() {
    _fo_label="no replication"
    fo_init
    _fo_dirs="$_fo_dirs $FO_DIR"
    _fo_check "test bed and keepalived up, no conntrackd" _fo_setup ftfw udp - - no &&
    _fo_check "keepalived made fw1 primary and fw2 backup" _fo_roles no &&
    _fo_check "a TCP flow runs through fw1" _fo_flow_through_fw1 &&
    _fo_check "fw1 fails: fw2 takes over the gateways" _fo_takeover no &&
    _fo_check "the flow breaks: fw2 drops it for want of its state" _fo_broken
    _fo_scenario_cleanup
}
