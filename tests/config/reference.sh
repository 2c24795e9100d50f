#!/bin/bash
# Our verdict on each config file against the reference conntrackd 1.4.7's.
#
# Each file of config/cases/ says in its first lines what we must answer
# (`# ours: <exact message>` or `accepts`) and what the reference does
# (`# reference: parse-error <text>`, `fails-to-start <text>` or `starts`);
# the Debian examples must be accepted by both (the man page's Stats
# example is refused by both).  Our side is config-dump --reference-plugins:
# the parser, then every plugin block checked against the keywords the
# reference takes there.  The reference runs `conntrackd -C file` in a
# network namespace, in a private mount namespace whose /run and /var/log
# are empty tmpfs, with LockFile and UNIX Path in a temporary directory; a
# daemon that starts is killed after a second.  Finally one file's
# observable settings (lock file, socket, log file, scheduler) are compared
# between the running reference and our model.
. "$CTD_TESTS_SRCDIR/lib/tap.sh"
. "$CTD_TESTS_SRCDIR/lib/netns.sh"

reference=/usr/sbin/conntrackd
dump="$CTD_TESTS_BUILDDIR/config/config-dump"
cases="$CTD_TESTS_SRCDIR/config/cases"
examples="$CTD_TESTS_SRCDIR/config/examples"
[ -x "$reference" ] || bail "the reference $reference is not installed (Debian package conntrackd)"
[ -x "$dump" ] || bail "$dump is not built"

# A fixed-length name: the expected messages count path lengths.
tmp=$(mktemp -d /tmp/ctdcfg.XXXXXX) || bail "mktemp failed"
trap 'ns_cleanup; rm -rf "$tmp"' EXIT
ns_new ref

# prepare SOURCE -> path of a copy with @DIR@ replaced by a fresh directory.
prepare() {
    local name dir
    name=$(basename "$1")
    dir="$tmp/${name%.conf}"
    mkdir -p "$dir"
    sed "s|@DIR@|$dir|g" "$1" > "$dir/$name"
    echo "$dir/$name"
}

# reference_run FILE: the reference's log lines (without time and pid).
reference_run() {
    ns_exec ref sh -c 'mount -t tmpfs ctdcfg /run && mkdir -p /run/lock &&
        mount -t tmpfs ctdcfg /var/log && exec timeout -s KILL 1 "$0" -C "$1"' \
        "$reference" "$1" 2>&1 | sed 's/^\[[^]]*\] (pid=[0-9]*) //'
}

# The reference reached its start-up (the configuration was parsed).
reference_parsed() {
    printf '%s\n' "$1" | grep -Eq -- '-- starting in console mode --|conntrackd cannot start'
}

header() { # FILE FIELD
    sed -n "s/^# $2: //p" "$1" | head -n 1
}

for source in "$cases"/*.conf; do
    name=$(basename "$source" .conf)
    file=$(prepare "$source")
    ours=$(header "$source" ours)
    theirs=$(header "$source" reference)

    error=$("$dump" --reference-plugins "$file" 2>&1 >/dev/null)
    status=$?
    if [ "$ours" = accepts ]; then
        is "$status:$error" "0:" "$name: we accept it"
    else
        is "$error" "${ours//@FILE@/$file}" "$name: our message"
    fi

    out=$(reference_run "$file")
    case "$theirs" in
    "parse-error "*)
        if has "$out" "${theirs#parse-error }" "$name: the reference rejects it too (${theirs#parse-error })"; then
            fails "$name: ... before starting" reference_parsed "$out"
        else
            _tap_result 1 "$name: ... before starting"
        fi
        ;;
    "fails-to-start "*)
        has "$out" "${theirs#fails-to-start }" "$name: the reference refuses to start too (${theirs#fails-to-start })"
        has "$out" "conntrackd cannot start" "$name: ... with its start-up error"
        ;;
    starts)
        has "$out" "-- starting in console mode --" "$name: the reference accepts it and starts"
        unlike "$out" "parsing config file" "$name: ... with no syntax error"
        ;;
    *)
        bail "$source: no '# reference:' line"
        ;;
    esac
done

# Debian's examples: both sides accept them (the reference may then fail to
# start for lack of the examples' eth2 or of nfnetlink_cthelper).
for source in "$examples"/*.conf; do
    name=$(basename "$source" .conf)
    file="$tmp/example-$name.conf"
    sed -e "s|^\([[:space:]]*LockFile[[:space:]]\).*|\1$tmp/example-$name.lock|" \
        -e "s|^\([[:space:]]*Path[[:space:]]\).*|\1$tmp/example-$name.ctl|" "$source" > "$file"
    error=$("$dump" --reference-plugins "$file" 2>&1 >/dev/null)
    status=$?
    out=$(reference_run "$file")
    if [ "$name" = man-stats ]; then
        is "$status" 1 "example $name: we refuse it (NetlinkEventsReliable in Stats)"
        has "$out" "symbol 'NetlinkEventsReliable': syntax error" "example $name: so does the reference"
    else
        is "$status:$error" "0:" "example $name: we accept it"
        ok "example $name: the reference accepts it" reference_parsed "$out"
    fi
done

# Same effective values where they can be seen: the running reference's
# lock file, control socket, log file and scheduler against our model.
dir="$tmp/effective"
mkdir -p "$dir"
cat > "$dir/c.conf" <<EOF
General {
	LockFile $dir/lock;x
	UNIX { Path $dir/ctl }
	LogFile $dir/log#1
	Scheduler {
		Type fifo
		Priority 7
	}
}
EOF
model=$("$dump" "$dir/c.conf")
has "$model" "  LockFile: $dir/lock;x" "our LockFile keeps ';x' (a PATH runs to the next space)"
has "$model" "  LogFile: $dir/log#1" "our LogFile keeps '#1' (no comment inside a PATH)"
has "$model" "  UNIX Path: $dir/ctl" "our UNIX Path"
has "$model" "  Scheduler: FIFO priority 7" "our scheduler"
ns_exec ref sh -c 'mount -t tmpfs ctdcfg /run && mkdir -p /run/lock &&
    mount -t tmpfs ctdcfg /var/log && exec "$0" -C "$1"' "$reference" "$dir/c.conf" \
    > "$dir/out" 2>&1 &
for _ in $(seq 50); do
    [ -S "$dir/ctl" ] && break
    sleep 0.1
done
pid=$(ip netns pids "$(ns_name ref)" | head -n 1)
ok "the reference creates the lock file $dir/lock;x" test -f "$dir/lock;x"
ok "the reference listens on $dir/ctl" test -S "$dir/ctl"
ok "the reference logs to $dir/log#1" test -s "$dir/log#1"
like "$(chrt -p "$pid" 2>&1)" "policy: SCHED_FIFO" "the reference runs SCHED_FIFO"
like "$(chrt -p "$pid" 2>&1)" "priority: 7$" "the reference runs at priority 7"
if [ -n "$pid" ]; then
    kill "$pid"
    wait
fi

tap_done
