#!/bin/bash
# The namespace helper removes its namespaces and their processes however a
# test ends.
. "$CTD_TESTS_SRCDIR/lib/tap.sh"

work=$(mktemp -d /tmp/ctd-netns-test.XXXXXX)
trap 'rm -rf "$work"' EXIT

# A test that creates namespaces, starts a process in one and then fails.
cat > "$work/failing-test.sh" <<EOT
. "$CTD_TESTS_SRCDIR/lib/tap.sh"
. "$CTD_TESTS_SRCDIR/lib/netns.sh"
ns_new a
ns_new b
ns_veth a eth0 b eth0
ns_exec a sleep 1000 &
echo \$! > "$work/sleeper.pid"
ns_name a > "$work/names"
ns_name b >> "$work/names"
sleep 0.2
exit 1
EOT
bash "$work/failing-test.sh" > /dev/null 2>&1
status=$?
is "$status" 1 "the failing test failed"
names=$(cat "$work/names")
is "$(echo "$names" | wc -l)" 2 "it created two namespaces"
left=$(ip netns list | awk '{print $1}' | grep -Fx -f "$work/names")
is "$left" "" "its namespaces are gone after it failed"
sleeper=$(cat "$work/sleeper.pid")
fails "the process it started in a namespace is gone" kill -0 "$sleeper"

# A test killed by SIGTERM in the middle.
cat > "$work/killed-test.sh" <<EOT
. "$CTD_TESTS_SRCDIR/lib/tap.sh"
. "$CTD_TESTS_SRCDIR/lib/netns.sh"
ns_new c
ns_name c > "$work/names2"
ns_exec c sleep 1000 &
echo ready > "$work/ready"
wait
EOT
bash "$work/killed-test.sh" > /dev/null 2>&1 &
killed=$!
for _ in $(seq 50); do [ -f "$work/ready" ] && break; sleep 0.1; done
kill -TERM $killed
wait $killed 2>/dev/null
left=$(ip netns list | awk '{print $1}' | grep -Fx -f "$work/names2")
is "$left" "" "a test stopped by SIGTERM removes its namespace"

# A test killed with SIGKILL cannot clean up; the next one sweeps for it.
ip netns add ctdt999999999-stale
bash -c ". '$CTD_TESTS_SRCDIR/lib/tap.sh'; . '$CTD_TESTS_SRCDIR/lib/netns.sh'; true"
fails "a stale namespace of a dead test process is swept" \
    sh -c "ip netns list | grep -q '^ctdt999999999-stale'"
ip netns del ctdt999999999-stale 2>/dev/null

tap_done
