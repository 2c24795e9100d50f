#!/bin/bash
# conntrackd's life cycle with the real binary, beside the reference
# (Debian's 1.4.7 at /usr/sbin/conntrackd) run the same way with its own
# config: client output and exit status, a second instance refused, -k and
# signals leaving no socket or lock, daemon mode, start-up failures, and
# what happens after `kill -9`.  Both run a config with no Sync or Stats
# section (only the control socket), each in a network namespace of its own
# so that nothing it might do reaches the host's tables.
. "$CTD_TESTS_SRCDIR/lib/tap.sh"
. "$CTD_TESTS_SRCDIR/lib/netns.sh"

REF=/usr/sbin/conntrackd
OURS=$CONNTRACKD
PROBE=$CTD_TESTS_BUILDDIR/daemon/ctl-probe
[ -x "$REF" ] || bail "the reference $REF is not installed (apt-get install conntrackd)"
[ -x "$PROBE" ] || bail "$PROBE is not built"

work=$(mktemp -d /tmp/ctd-life.XXXXXX)
cleanup() {
    ns_cleanup # every daemon runs in one of the namespaces
    rm -rf "$work"
}
trap cleanup EXIT

ns_new ref
ns_new ours

# conf NAME [General lines...]: a config in $work/NAME/ with its own files.
conf() {
    local dir=$work/$1
    shift
    mkdir -p "$dir"
    {
        echo "General {"
        echo "	LogFile $dir/log"
        echo "	LockFile $dir/lock"
        echo "	UNIX {"
        echo "		Path $dir/sock"
        echo "	}"
        for line in "$@"; do echo "	$line"; done
        echo "}"
    } > "$dir/conf"
    echo "$dir/conf"
}
dir_of() { dirname "$1"; }
# Log lines without their time and pid, which differ between runs.
normal() { sed -E 's/^\[[^]]*\] \(pid=[0-9]+\) /[TIME] (pid=N) /'; }
wait_for() { # test-expression... : up to 5 s
    local i
    for i in $(seq 1 100); do
        "$@" && return 0
        sleep 0.05
    done
    return 1
}
# Running, and not a zombie (a -d daemon's zombie waits for init to reap it).
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*zombie' "/proc/$1/status" 2>/dev/null; }
# run NS BINARY ARGS...: a daemon start (refused or -d) in namespace NS, or
# with NS "-" a client (which only talks to a socket file), with its
# outputs in $out, $err (normalised) and $status.
run() {
    local ns=$1
    shift
    if [ "$ns" = - ]; then
        "$@" > "$work/out" 2> "$work/err"
    else
        ns_exec "$ns" "$@" > "$work/out" 2> "$work/err"
    fi
    status=$?
    out=$(cat "$work/out")
    err=$(normal < "$work/err")
}
# start NS BINARY CONF: a console-mode daemon in the background; $! is its pid.
# (ip netns exec execs the command: $! is the daemon itself.)
start() {
    local dir
    dir=$(dir_of "$3")
    ip netns exec "$(ns_name "$1")" "$2" -C "$3" > "$dir/console.out" 2> "$dir/console.err" &
    started=$!
    wait_for test -S "$dir/sock"
}

ref_conf=$(conf ref)
our_conf=$(conf ours)

# --- a client with no daemon ------------------------------------------------
for args in "-k" "-s runtime" "-i"; do
    run - "$REF" -C "$ref_conf" $args
    ref_out=$out ref_err=$err ref_status=$status
    run - "$OURS" -C "$our_conf" $args
    is "$status" "$ref_status" "no daemon, $args: exit status as the reference's ($ref_status)"
    is "$out" "$ref_out" "no daemon, $args: stdout as the reference's"
    is "$err" "$ref_err" "no daemon, $args: stderr as the reference's"
done
is "$err" "[TIME] (pid=N) [ERROR] can't connect: is conntrackd running? appropriate permissions?" \
    "the message is the reference's"
fails "the client writes no log file" test -e "$work/ours/log"

# --- console mode ---------------------------------------------------------
ok "the reference starts" start ref "$REF" "$ref_conf"
ref_pid=$started
ok "ours starts" start ours "$OURS" "$our_conf"
our_pid=$started

is "$(stat -c %A "$work/ours/sock")" "$(stat -c %A "$work/ref/sock")" "socket mode as the reference's"
is "$(stat -c %A "$work/ours/sock")" "srw-------" "socket mode 0600"
is "$(stat -c %a "$work/ours/lock")" "600" "lock file mode 0600"
is "$(cat "$work/ours/lock")" "$our_pid" "the lock file holds the daemon's pid"
is "$(grep Umask /proc/$our_pid/status)" "$(grep Umask /proc/$ref_pid/status)" "umask as the reference's"
is "$(chrt -p $our_pid | sed 's/.*: //')" "$(chrt -p $ref_pid | sed 's/.*: //')" \
    "default scheduler and priority as the reference's"

# Every client request of a daemon with only the control socket: the same
# reply (byte for byte) and exit status.  -s runtime is all zeros on both.
for args in "-s runtime" "-s process" "-s" "-s cache" "-s network" "-s link" "-s queue" \
            "-s rsqueue" "-s expect" "-i" "-e" "-i -x" "-e expect" "-f" "-f internal" \
            "-F" "-R" "-c" "-B" "-n" "-t"; do
    ref_reply=$("$REF" -C "$ref_conf" $args; echo "status=$?")
    our_reply=$("$OURS" -C "$our_conf" $args; echo "status=$?")
    is "$our_reply" "$ref_reply" "$args: reply and exit status as the reference's"
done
like "$("$OURS" -C "$our_conf" -s runtime)" $'^daemon uptime: 0 min$' \
    "-s runtime starts with the uptime"

# Raw requests: an unknown code, and the reference's native int framing.
is "$("$PROBE" send "$work/ours/sock" 63000000; echo "status=$?")" \
   "$("$PROBE" send "$work/ref/sock" 63000000; echo "status=$?")" "unknown request: empty reply, as the reference"
is "$("$PROBE" send "$work/ours/sock" 1e000000 | head -1)" "daemon uptime: 0 min" "request 30 as 4 raw bytes"
# Partial requests: the reference answers them from a stale int; we do not.
is "$("$PROBE" send "$work/ours/sock" 1e00 shut; echo "status=$?")" "status=0" "a partial request gets no reply"
is "$("$PROBE" send "$work/ours/sock" '' shut; echo "status=$?")" "status=0" "an empty connection gets no reply"
like "$("$OURS" -C "$our_conf" -s runtime)" $'\tlocal read failed:\t\t +2$' \
    "both are counted as local read failures"
ok "the daemon survived them" alive "$our_pid"

# A second instance with the same config.
run ref "$REF" -C "$ref_conf"
ref_status=$status ref_err=$err
run ours "$OURS" -C "$our_conf"
is "$status" "$ref_status" "second instance: exit status as the reference's ($ref_status)"
is "$(echo "$err" | sed "s|$work/ours/|DIR/|")" "$(echo "$ref_err" | sed "s|$work/ref/|DIR/|")" \
    "second instance: message as the reference's"
is "$err" "[TIME] (pid=N) [ERROR] lockfile \`$work/ours/lock' exists, perhaps conntrackd already running?" \
    "second instance: the reference's message"
ok "the first daemon is unharmed" alive "$our_pid"
is "$(cat "$work/ours/lock")" "$our_pid" "the lock file still names the first daemon"

# -k: an empty reply, exit 0, the daemon gone with its socket and lock.
run - "$REF" -C "$ref_conf" -k
ref_status=$status ref_out=$out
run - "$OURS" -C "$our_conf" -k
is "$status/$out" "$ref_status/$ref_out" "-k: exit status and (empty) reply as the reference's"
wait $ref_pid
ref_exit=$?
wait $our_pid
is "$?" "$ref_exit" "-k: the daemon exits with the reference's status ($ref_exit)"
fails "-k: the socket is gone" test -e "$work/ours/sock"
fails "-k: the lock file is gone" test -e "$work/ours/lock"
fails "-k: (the reference's too)" test -e "$work/ref/sock" -o -e "$work/ref/lock"
is "$(normal < "$work/ours/log" | sed "s|$work/ours/|DIR/|")" \
   "$(normal < "$work/ref/log" | sed "s|$work/ref/|DIR/|")" "the whole log as the reference's"
is "$(tail -1 "$work/ours/log" | normal)" "[TIME] (pid=N) [notice] ---- shutdown received ----" \
    "-k: the last log line"
is "$(normal < "$work/ours/console.out")" "$(normal < "$work/ref/console.out")" \
    "console mode: stdout as the reference's"

# SIGTERM and SIGINT: the same clean shutdown.
for signal in TERM INT; do
    start ours "$OURS" "$our_conf"
    kill -$signal $started
    wait $started
    is "$?" "0" "SIG$signal: exit status 0"
    ok "SIG$signal: socket and lock removed" test ! -e "$work/ours/sock" -a ! -e "$work/ours/lock"
    is "$(tail -1 "$work/ours/log" | normal)" "[TIME] (pid=N) [notice] ---- shutdown received ----" \
        "SIG$signal: shutdown logged"
done

# --- daemon mode ------------------------------------------------------------
run ref "$REF" -C "$ref_conf" -d
ref_status=$status ref_out=$out
run ours "$OURS" -C "$our_conf" -d
is "$status/$out/$err" "$ref_status/$ref_out/" "-d: exit status and output as the reference's"
ok "-d: serving when the command returns" test -S "$work/ours/sock"
wait_for test -S "$work/ref/sock"
daemon_pid=$(cat "$work/ours/lock")
ref_daemon=$(ip netns pids "$(ns_name ref)" | head -1)
is "$(ps -o sid= -p "$daemon_pid" | tr -d ' ')" "$daemon_pid" "-d: the daemon leads its own session"
is "$(ps -o sid= -p "$ref_daemon" | tr -d ' ')" "$ref_daemon" "-d: (so does the reference)"
is "$(readlink /proc/$daemon_pid/cwd)" "$(readlink /proc/$ref_daemon/cwd)" "-d: working directory as the reference's"
is "$(readlink /proc/$daemon_pid/fd/0) $(readlink /proc/$daemon_pid/fd/1) $(readlink /proc/$daemon_pid/fd/2)" \
    "/dev/null /dev/null /dev/null" "-d: standard streams on /dev/null"
is "$(tail -1 "$work/ours/log" | normal)" "$(tail -1 "$work/ref/log" | normal)" "-d: log line as the reference's"
"$REF" -C "$ref_conf" -k
run - "$OURS" -C "$our_conf" -k
is "$status" "0" "-d: -k stops it"
ok "-d: the daemon is gone" wait_for eval "! alive $daemon_pid"
ok "-d: socket and lock removed" test ! -e "$work/ours/sock" -a ! -e "$work/ours/lock"

# A start-up failure in daemon mode still reaches the caller.
bad_ref=$(conf ref-bad) bad_ours=$(conf ours-bad)
sed -i "s|Path .*|Path $work/missing/sock|" "$bad_ref" "$bad_ours"
run ref "$REF" -C "$bad_ref" -d
ref_status=$status
run ours "$OURS" -C "$bad_ours" -d
is "$status" "$ref_status" "-d, socket cannot be created: exit status as the reference's ($ref_status)"
has "$err" "[ERROR] conntrackd cannot start, please review your configuration" \
    "-d, socket cannot be created: the caller is told (the reference says nothing)"
fails "-d, socket cannot be created: no lock file left" test -e "$work/ours-bad/lock"
has "$(cat "$work/ours-bad/log")" "can't open unix socket \`$work/missing/sock'" "the log says why"

# --- after kill -9 ------------------------------------------------------------
start ref "$REF" "$ref_conf"
ref_pid=$started
start ours "$OURS" "$our_conf"
our_pid=$started
{ kill -KILL $ref_pid $our_pid; wait $ref_pid $our_pid; } 2>/dev/null # no "Killed" noise
ok "kill -9 leaves the lock file (reference)" test -e "$work/ref/lock"
ok "kill -9 leaves the lock file (ours)" test -e "$work/ours/lock"
run ref "$REF" -C "$ref_conf"
is "$status" "1" "kill -9: the reference refuses to start again"
start ours "$OURS" "$our_conf"
our_new=$started
# (The dead daemon's socket file is still there: wait for the lock instead.)
wait_for grep -qx "$our_new" "$work/ours/lock"
ok "kill -9: ours starts again" alive "$our_new"
is "$(cat "$work/ours/lock")" "$our_new" "kill -9: the lock file now names the new daemon"
has "$(cat "$work/ours/console.err")" "[warning] lockfile \`$work/ours/lock' is stale: the conntrackd that created it (pid $our_pid) is no longer running; taking it over" \
    "kill -9: the stale lock is reported with the dead pid"
is "$("$OURS" -C "$our_conf" -s process; echo "status=$?")" "status=0" "kill -9: the new daemon serves"
"$OURS" -C "$our_conf" -k
wait $our_new
is "$?" "0" "kill -9: the new daemon stops cleanly"

# --- systemd ------------------------------------------------------------------
notify=$work/notify
"$PROBE" notify "$notify" 3 5000 > "$work/notes" &
probe=$!
wait_for grep -q ready "$work/notes"
NOTIFY_SOCKET=$notify WATCHDOG_USEC=400000 start ours "$OURS" "$our_conf"
our_pid=$started
wait_for test "$(wc -l < "$work/notes")" -ge 3
"$OURS" -C "$our_conf" -k
wait $our_pid
is "$(sed -n 2,3p "$work/notes")" "READY=1|MAINPID=$our_pid
WATCHDOG=1" "systemd: READY=1 with MAINPID, then the watchdog"
wait $probe
systemd_conf=$(conf systemd "Systemd off")
"$PROBE" notify "$notify" 1 2000 > "$work/notes" &
probe=$!
wait_for grep -q ready "$work/notes"
NOTIFY_SOCKET=$notify start ours "$OURS" "$systemd_conf"
"$OURS" -C "$systemd_conf" -k
wait $started
wait $probe
is "$?" "2" "Systemd off: nothing is sent"

tap_done
