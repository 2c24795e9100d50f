#!/bin/bash
# The files of etc/ as shipped: the example configs parse with the
# reference daemon and pass our --config-test, primary-backup.sh sends the right requests in the right
# order on each transition (against a recording stand-in for conntrackd),
# keepalived accepts keepalived.conf, systemd accepts the unit, and
# `make install' puts everything where the other files say it is.
# (The fail-over tests run all of them for real.)
. "$CTD_TESTS_SRCDIR/lib/tap.sh"
. "$CTD_TESTS_SRCDIR/lib/netns.sh"

etc_src="$CTD_TOP_SRCDIR/etc"
etc_build="$CTD_TOP_BUILDDIR/etc"
reference=${REFERENCE_CONNTRACKD:-/usr/sbin/conntrackd}
work=$(mktemp -d /tmp/ctd-etc-test.XXXXXX)
trap 'ns_cleanup; rm -rf "$work"' EXIT

# --- the example configs --------------------------------------------------
# A client request parses the whole config before connecting: with the
# control socket moved to a path where nothing listens, a good config ends
# in "can't connect", a bad one in a parse error.
for example in ftfw notrack alarm stats; do
    sed -e "s|^\([[:space:]]*Path[[:space:]]\+\).*|\1$work/none.ctl|" \
        "$etc_src/conntrackd-$example.conf" > "$work/$example.conf"
    out=$("$reference" -C "$work/$example.conf" -s 2>&1)
    unlike "$out" 'parsing config file|syntax error|cannot use|ERROR\] [^c]' \
        "conntrackd-$example.conf: the reference reads it without an error"
    has "$out" "can't connect" "conntrackd-$example.conf: the reference went on to connect"
done
# Ours checks a config with --config-test, against the plugins it names
# (the sync mode and the transport of each example).
ours=${CONNTRACKD:-$CTD_TOP_BUILDDIR/core/conntrackd}
for example in ftfw notrack alarm stats; do
    out=$("$ours" -C "$work/$example.conf" --config-test 2>&1)
    is "$?" 0 "conntrackd-$example.conf: ours --config-test accepts it"
    [ -n "$out" ] && tap_diag "$out"
done
for example in ftfw notrack alarm; do
    mode=$(sed -n 's/^[[:space:]]*Mode[[:space:]]\+\([A-Z]*\).*/\1/p' "$etc_src/conntrackd-$example.conf")
    is "$mode" "$(echo "$example" | tr a-z A-Z)" "conntrackd-$example.conf selects mode $example"
done
is "$(grep -cE '^[[:space:]]*(UDP|TCP|Multicast)[[:space:]]+Default' "$etc_src"/conntrackd-{ftfw,notrack,alarm}.conf | cut -d: -f2 | tr '\n' ' ')" \
    "1 1 1 " "each sync example has one active dedicated link"

# --- primary-backup.sh ----------------------------------------------------
script="$etc_build/primary-backup.sh"
ok "primary-backup.sh is built and executable" test -x "$script"

# A conntrackd that records its arguments; -s fails while "not running",
# -d "starts" it; FAIL_OPTION makes that one request fail.
cat > "$work/fake-conntrackd" <<'EOF'
#!/bin/sh
echo "$*" >> "$FAKE_CALLS"
for arg; do
    [ "$arg" = "${FAIL_OPTION:-none}" ] && { echo "request $arg refused" >&2; exit 1; }
    case $arg in
    -s) [ -f "$FAKE_RUNNING" ] || { echo "can't connect" >&2; exit 1; } ;;
    -d) touch "$FAKE_RUNNING" ;;
    esac
done
exit 0
EOF
chmod +x "$work/fake-conntrackd"
cat > "$work/fw.conf" <<EOF
General {
	LockFile $work/fw.lock
	UNIX { Path $work/fw.ctl }
}
EOF

# run_script ARGS...: runs it with the stand-in; calls (options only) in
# $calls, status in $status, messages in $log.
run_script() {
    rm -f "$work/calls" "$work/log"
    FAKE_CALLS="$work/calls" FAKE_RUNNING="$work/running" \
    CONNTRACKD_BIN="$work/fake-conntrackd" CONNTRACKD_CONFIG="$work/fw.conf" \
    CONNTRACKD_SCRIPT_LOG="$work/log" "$script" "$@" > "$work/stdout" 2> "$work/stderr"
    status=$?
    calls=$(sed "s|-C $work/fw.conf ||" "$work/calls" 2>/dev/null | tr '\n' ' ')
    log=$(cat "$work/log" 2>/dev/null)
}

touch "$work/running"
run_script primary
is "$status" 0 "primary: exit status 0"
is "$calls" "-c -f -R -B " "primary: commit, flush, resync, bulk send, in that order"
ok "primary: every request names the config" test "$(grep -c -- "-C $work/fw.conf " "$work/calls")" -eq 4
like "$log" 'primary: done' "primary: the steps are logged"

run_script backup
is "$status" 0 "backup (daemon running): exit status 0"
is "$calls" "-s -t -n " "backup (daemon running): check, schedule purge, request resync"

rm -f "$work/running"
touch "$work/fw.lock"
run_script backup
is "$calls" "-s -d -t -n " "backup (daemon not running): starts it, then purge and resync"
fails "backup (daemon not running): the stale lock file named by the config is removed" test -e "$work/fw.lock"
like "$log" 'not stopped cleanly' "backup (daemon not running): the stale lock is reported"

rm -f "$work/running"
FAIL_OPTION=-d run_script backup
is "$status" 1 "backup: exit status 1 when the daemon cannot be started"
like "$log" 'cannot start conntrackd: request -d refused' "backup: the daemon's complaint is logged"

touch "$work/running"
run_script fault
is "$calls" "-t " "fault: schedule a purge"

FAIL_OPTION=-c run_script primary
is "$status" 0 "primary: a failing commit does not stop the transition"
is "$calls" "-c -f -R -B " "primary: the other steps still run after a failing commit"
like "$log" 'err: failed to invoke conntrackd -c: request -c refused' "primary: the failing commit is logged"

run_script sideways
is "$status" 1 "an unknown transition: exit status 1"
like "$(cat "$work/stderr")" '^Usage: .*primary\|backup\|fault' "an unknown transition: usage on stderr"
is "$calls" "" "an unknown transition: no request"
run_script
is "$status" 1 "no argument: exit status 1"

like "$(sed -n 's/^CONNTRACKD_BIN=//p' "$script")" '/sbin/conntrackd\}$' \
    "primary-backup.sh defaults to the installed daemon"

# --- keepalived.conf ------------------------------------------------------
if command -v keepalived > /dev/null; then
    ns_new ka
    ip -n "$(ns_name ka)" link add eth0 type veth peer name eth1
    out=$(ns_exec ka keepalived --config-test -f "$etc_build/keepalived.conf" 2>&1)
    is "$?" 0 "keepalived --config-test accepts keepalived.conf"
    [ -n "$out" ] && tap_diag "$out"
else
    fails "keepalived is installed (run-tests installs it)" true
fi
is "$(grep -c 'primary-backup.sh \(primary\|backup\|fault\)"' "$etc_build/keepalived.conf")" 4 \
    "keepalived.conf runs primary-backup.sh on each transition (and shows how to pass settings)"
is "$(grep -c '^[[:space:]]*nopreempt' "$etc_build/keepalived.conf")" 2 "keepalived.conf: no preemption"

# --- the systemd unit -----------------------------------------------------
unit="$etc_build/conntrackd.service"
like "$(cat "$unit")" $'\nType=notify\n' "the unit waits for the daemon's readiness (Type=notify)"
like "$(cat "$unit")" $'\nWatchdogSec=[1-9]' "the unit arms the watchdog"
if command -v systemd-analyze > /dev/null; then
    # verify wants the daemon to exist: point the unit at the built one.
    sed "s|[^ =']*/sbin/conntrackd|$CTD_TOP_BUILDDIR/core/conntrackd|g" "$unit" > "$work/conntrackd.service"
    out=$(systemd-analyze verify "$work/conntrackd.service" 2>&1)
    is "$out" "" "systemd-analyze verify finds nothing wrong with the unit"
fi

# --- make install ---------------------------------------------------------
${MAKE:-make} -s -C "$etc_build" install DESTDIR="$work/root" > "$work/install.log" 2>&1
is "$?" 0 "make install (etc/) succeeds"
installed_conf=$(find "$work/root" -path '*/examples/keepalived.conf')
ok "keepalived.conf is installed among the examples" test -f "$installed_conf"
for example in ftfw notrack alarm stats; do
    ok "conntrackd-$example.conf is installed next to it" test -f "$(dirname "$installed_conf")/conntrackd-$example.conf"
done
named=$(sed -n 's/^[[:space:]]*notify_master "\([^" ]*\) primary"/\1/p' "$installed_conf")
ok "the script keepalived.conf names ($named) is installed, executable" test -x "$work/root$named"
ok "the unit is installed" test -n "$(find "$work/root" -path '*/systemd/system/conntrackd.service')"
ok "nothing is installed into sysconfdir" test -z "$(find "$work/root" -path '*/etc/*' -type f)"

tap_done
