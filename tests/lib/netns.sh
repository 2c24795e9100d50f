# Network namespaces for integration tests, removed with everything running
# in them when the test ends, however it ends (success, failure, error,
# Ctrl-C).  Source it after tap.sh.
#
#   ns_new fw1            # creates namespace "<prefix>-fw1" with lo up
#   ns_exec fw1 cmd...    # runs cmd inside it
#   ns_name fw1           # the full name, for `ip netns exec` yourself
#   ns_veth fw1 eth0 fw2 eth0   # a veth pair between two namespaces
#
# Names carry the test's pid, so parallel tests never collide; namespaces
# left behind by a test that was killed with SIGKILL are swept by the next
# test that sources this file (their pid is gone).

CTD_NS_PREFIX="ctdt$$"
_ns_list=""

ns_name() { echo "$CTD_NS_PREFIX-$1"; }

_ns_remove() { # full-name
    local pids
    # Everything still running inside goes first: a daemon left over from a
    # failed test would keep the namespace's sockets and files busy.
    pids=$(ip netns pids "$1" 2>/dev/null)
    if [ -n "$pids" ]; then
        kill -TERM $pids 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            pids=$(ip netns pids "$1" 2>/dev/null)
            [ -z "$pids" ] && break
            sleep 0.1
        done
        [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
    fi
    ip netns del "$1" 2>/dev/null
}

ns_cleanup() {
    local ns
    for ns in $_ns_list; do
        _ns_remove "$ns"
    done
    _ns_list=""
}

# Sweep namespaces of test processes that no longer exist.
_ns_sweep_stale() {
    local ns pid
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^ctdt[0-9]+-'); do
        pid=${ns#ctdt}
        pid=${pid%%-*}
        if ! kill -0 "$pid" 2>/dev/null; then
            _ns_remove "$ns"
        fi
    done
}

ns_new() {
    local full
    full=$(ns_name "$1")
    ip netns add "$full" || bail "cannot create network namespace $full"
    _ns_list="$_ns_list $full"
    ip -n "$full" link set lo up
}

ns_exec() {
    local ns=$1
    shift
    ip netns exec "$(ns_name "$ns")" "$@"
}

# ns_veth NS_A IF_A NS_B IF_B
ns_veth() {
    ip link add "ctdv$$a" type veth peer name "ctdv$$b" || bail "cannot create veth pair"
    ip link set "ctdv$$a" netns "$(ns_name "$1")" name "$2"
    ip link set "ctdv$$b" netns "$(ns_name "$3")" name "$4"
    ip -n "$(ns_name "$1")" link set "$2" up
    ip -n "$(ns_name "$3")" link set "$4" up
}

trap 'ns_cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
_ns_sweep_stale
