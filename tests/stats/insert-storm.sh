#!/bin/bash
# Overrun recovery of a stats-mode conntrackd (ours) under an insert storm.
#
# The daemon runs in a namespace with a deliberately small event buffer that
# may barely grow (NetlinkBufferSize, NetlinkBufferSizeMaxGrowth) and a short
# NetlinkOverrunResync.  200,000 entries are then created as fast as the
# kernel takes them (ct-storm: batched requests), far more events than the
# buffer holds.  Once the daemon has caught up, its cache must equal the
# kernel table: the same count (-s), the same flows (-i against conntrack
# -L), and -s runtime must show the overrun and the resync that repaired
# it.  Then the other way: the table is flushed, again under overrun, and
# every flow must be written to the flow log exactly once, whether its
# destroy event got through or the resync found it gone.
. "$CTD_TESTS_SRCDIR/lib/tap.sh"
. "$CTD_TESTS_SRCDIR/lib/netns.sh"

ENTRIES=200000
STORM=$CTD_TESTS_BUILDDIR/stats/ct-storm
CONNTRACK=${REFERENCE_CONNTRACK:-/usr/sbin/conntrack}
[ -x "$STORM" ] || bail "$STORM is not built"
[ -x "$CONNTRACK" ] || bail "$CONNTRACK is not installed (apt-get install conntrack)"

work=$(mktemp -d /tmp/ctd-storm.XXXXXX)
trap 'ns_cleanup; rm -rf "$work"' EXIT

ns_new storm
# The table must take every entry.  Kernels that let a namespace set its
# own nf_conntrack_max get a higher one; others (6.18 refuses the write)
# must already allow enough (the root namespace's value applies).
ns_exec storm sysctl -qw net.netfilter.nf_conntrack_max=$((ENTRIES * 5 / 4)) 2>/dev/null
max=$(ns_exec storm cat /proc/sys/net/netfilter/nf_conntrack_max)
[ "$max" -ge "$ENTRIES" ] ||
    bail "nf_conntrack_max is $max in the namespace and cannot be raised to $ENTRIES"

# A 128 KiB event buffer that may grow to 256 KiB: one storm event is about
# 200 bytes, so the buffer holds about a thousand of them.
BUFFER_MAX=262144
cat > "$work/conntrackd.conf" <<EOT
General {
	HashSize 65536
	HashLimit 400000
	NetlinkBufferSize 131072
	NetlinkBufferSizeMaxGrowth $BUFFER_MAX
	NetlinkOverrunResync 1
	LockFile $work/lock
	UNIX {
		Path $work/ctl
	}
	LogFile $work/daemon.log
	Systemd off
}
Stats {
	LogFile $work/flows.log
}
EOT

ctd() { ns_exec storm "$CONNTRACKD" -C "$work/conntrackd.conf" "$@"; }
active() { ctd -s | awk -F'\t' '/^current active connections:/ { print $NF + 0 }'; }
runtime_counter() { # name, as -s runtime prints it
    ctd -s runtime | awk -F: -v name="$1" '$1 == "\t" name { gsub(/[ \t]/, "", $2); print $2 }'
}
kernel_count() { ns_exec storm "$CONNTRACK" -C; }
# until_true SECONDS COMMAND...: polls COMMAND every 0.2 s.
until_true() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}
# The flows of a listing, comparable between conntrack -L and conntrackd
# -i: without the timeout (the cache keeps none), the use count and the
# cache's age, sorted.
table_flows() {
    ns_exec storm "$CONNTRACK" -L 2>/dev/null |
        sed -E 's/^([a-z0-9]+ +[0-9]+) [0-9]+ /\1 /; s/ use=[0-9]+$//' | LC_ALL=C sort
}
cache_flows() { ctd -i | sed -E 's/ \[active since [0-9]+s\]$//' | LC_ALL=C sort; }
# The original source of each logged flow: unique per storm entry.
logged_sources() { cut -f2- "$work/flows.log" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^src=/) { print substr($i, 5); break } }'; }

ctd -d
ok "our stats daemon starts with a small event buffer" test $? -eq 0
until_true 10 test -S "$work/ctl" || bail "the daemon did not open its control socket"
is "$(active)" 0 "the cache starts empty"

# The storm.
out=$(ns_exec storm "$STORM" --count $ENTRIES 2>&1)
ok "ct-storm created the entries ($out)" test $? -eq 0
is "$(kernel_count)" $ENTRIES "the kernel table holds all $ENTRIES entries"

caught_up() { [ "$(active)" = "$(kernel_count)" ]; }
until_true 60 caught_up
is "$(active)" "$(kernel_count)" "once caught up, -s counts as many flows as conntrack -C"
overruns=$(runtime_counter "netlink overrun")
resyncs=$(runtime_counter "resync with kernel table")
ok "-s runtime shows netlink overruns ($overruns)" test "${overruns:-0}" -gt 0
ok "-s runtime shows resyncs with the kernel table ($resyncs)" test "${resyncs:-0}" -gt 0
buffer=$(runtime_counter "current buffer size (in bytes)")
ok "the event buffer grew no further than NetlinkBufferSizeMaxGrowth ($buffer)" \
    test "${buffer:-0}" -gt 0 -a "${buffer:-0}" -le $BUFFER_MAX
like "$(cat "$work/daemon.log")" "netlink event socket buffer has reached NetlinkBufferSizeMaxGrowth" \
    "the daemon warned that events are being lost at the maximum buffer size"

table_flows > "$work/table"
cache_flows > "$work/cache"
is "$(wc -l < "$work/table")" $ENTRIES "conntrack -L lists every entry"
is "$(wc -l < "$work/cache")" "$(wc -l < "$work/table")" "-i lists as many flows as the table"
if cmp -s "$work/table" "$work/cache"; then same=yes; else same=no; fi
is "$same" yes "-i lists exactly the table's flows"
[ "$same" = yes ] || tap_diag "$(diff "$work/table" "$work/cache" | head -n 6)"
is "$(wc -l < "$work/flows.log")" 0 "no flow was logged as ended: the resyncs purged nothing live"

# The other way: a flush under overrun.  Each flow is logged once, from its
# destroy event or, when that was lost, from the cache by the resync.
ns_exec storm "$CONNTRACK" -F > /dev/null 2>&1
ok "the table is flushed" test "$(kernel_count)" -eq 0
all_logged() { [ "$(active)" = 0 ] && [ "$(wc -l < "$work/flows.log")" -ge $ENTRIES ]; }
until_true 60 all_logged
# Long enough for one more resync (1 s): a flow logged twice would show.
sleep 2.5
is "$(active)" 0 "the cache is empty once the flush is over"
ok "the flush overran the event buffer too" test "$(runtime_counter "netlink overrun")" -gt "${overruns:-0}"
ok "and was followed by a resync" test "$(runtime_counter "resync with kernel table")" -gt "${resyncs:-0}"
is "$(wc -l < "$work/flows.log")" $ENTRIES "the flow log has one line per flushed flow"
logged_sources | LC_ALL=C sort > "$work/logged"
is "$(uniq -d "$work/logged" | wc -l)" 0 "no flow was logged twice"
awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^src=/) { print substr($i, 5); break } }' "$work/table" |
    LC_ALL=C sort > "$work/flushed"
if cmp -s "$work/logged" "$work/flushed"; then same=yes; else same=no; fi
is "$same" yes "the logged flows are exactly the flushed ones"
[ "$same" = yes ] || tap_diag "$(diff "$work/flushed" "$work/logged" | head -n 6)"
like "$(head -n 1 "$work/flows.log")" \
    $'^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}\ttcp      6 ESTABLISHED src=10\\.6[4-7]\\.' \
    "a logged flow is the reference's flow log line"

ctd -k
until_true 10 test ! -e "$work/ctl"
ok "the daemon stops" test ! -e "$work/lock"
tap_done
