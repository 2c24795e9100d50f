#!/bin/bash
# Side-by-side benchmark of our `conntrack` and the reference (Debian's
# 1.4.7) on large tables.  Not a test: it never fails on figures; it prints
# them, the ratio reference/ours, and whether each target is met.
#
#   bench/conntrack-bench.sh [OURS [REFERENCE]]
#
#   OURS       default: $CONNTRACK, else ./cli/conntrack of the current
#              directory (a build directory)
#   REFERENCE  default: $REFERENCE_CONNTRACK, else /usr/sbin/conntrack
#   BENCH_ROUNDS   rounds per measurement (default 3); ours and the
#                  reference alternate within each round, and the median
#                  of the rounds is reported
#   BENCH_ENTRIES  the large table (default 200000); the memory comparison
#                  also uses a table of a tenth of it (20000)
#
# Runs as root, in a network namespace of its own (made with unshare and
# gone with the script): the machine's table is never touched.  Entries are
# ESTABLISHED TCP flows from 198.18.0.1 to 198.19.0.1 (the benchmarking
# prefix, RFC 2544) made directly over ctnetlink by tests/diff/ctnl.py.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
OURS=${1:-${CONNTRACK:-$PWD/cli/conntrack}}
REF=${2:-${REFERENCE_CONNTRACK:-/usr/sbin/conntrack}}
ROUNDS=${BENCH_ROUNDS:-3}
ENTRIES=${BENCH_ENTRIES:-200000}
SMALL=$((ENTRIES / 10))
CTNL="/usr/bin/python3 $top/tests/diff/ctnl.py"

if [ -z "${BENCH_IN_NAMESPACE:-}" ]; then
    [ "$(id -u)" -eq 0 ] || { echo "conntrack-bench: needs root (a network namespace)" >&2; exit 1; }
    [ -x /usr/bin/time ] || { echo "conntrack-bench: needs GNU time (/usr/bin/time, Debian package time)" >&2; exit 1; }
    for bin in "$OURS" "$REF"; do
        [ -x "$bin" ] || { echo "conntrack-bench: no executable $bin" >&2; exit 1; }
    done
    export BENCH_IN_NAMESPACE=1
    exec unshare --net "$0" "$OURS" "$REF"
fi
ip link set lo up

work=$(mktemp -d /tmp/ctdt-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# --- the table ---------------------------------------------------------------
count() { "$REF" -C 2>/dev/null; }
flush() { "$REF" -F > /dev/null 2>&1; }
fill() { # entries
    flush
    $CTNL fill "$1"
    local have
    have=$(count)
    if [ "$have" != "$1" ]; then
        echo "conntrack-bench: the table has $have entries instead of $1" >&2
        exit 1
    fi
}

# --- measuring ---------------------------------------------------------------
# run_timed BINARY ARGS...: elapsed seconds of one run in ELAPSED, its peak
# resident memory (KiB, from the kernel's accounting via GNU time) in RSS.
run_timed() {
    local start end
    start=$EPOCHREALTIME
    /usr/bin/time -f '%M' -o "$work/rss" "$@" > /dev/null 2> "$work/stderr" < "${BENCH_STDIN:-/dev/null}"
    end=$EPOCHREALTIME
    ELAPSED=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
    RSS=$(tail -n 1 "$work/rss")
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# bench NAME PREPARE ARGS...: ROUNDS rounds; in each, PREPARE (a shell
# function, may be :) then ours, PREPARE then the reference (the order
# alternates from one round to the next).  Sets OURS_S and REF_S (median
# seconds), OURS_KB and REF_KB (median peak RSS).
bench() {
    local name=$1 prepare=$2 round side
    shift 2
    : > "$work/ours.t"; : > "$work/ref.t"; : > "$work/ours.m"; : > "$work/ref.m"
    for round in $(seq 1 "$ROUNDS"); do
        for side in $( [ $((round % 2)) -eq 1 ] && echo "ours ref" || echo "ref ours"); do
            $prepare
            if [ "$side" = ours ]; then run_timed "$OURS" "$@"; else run_timed "$REF" "$@"; fi
            echo "$ELAPSED" >> "$work/$side.t"
            echo "$RSS" >> "$work/$side.m"
        done
    done
    OURS_S=$(median < "$work/ours.t"); REF_S=$(median < "$work/ref.t")
    OURS_KB=$(median < "$work/ours.m"); REF_KB=$(median < "$work/ref.m")
    printf '%-34s %9s %9s %8s' "$name" "$OURS_S" "$REF_S" \
        "$(awk -v r="$REF_S" -v o="$OURS_S" 'BEGIN { if (o > 0) printf "%.2fx", r / o; else print "-" }')"
}

# target FACTOR: whether reference/ours reached FACTOR (time).
target() {
    awk -v r="$REF_S" -v o="$OURS_S" -v f="$1" \
        'BEGIN { printf "   >= %sx: %s\n", f, (o > 0 && r / o >= f) ? "met" : "not met" }'
}

no_prepare() { :; }
refill_one() { # the entries -D -p tcp --sport 4242 deletes
    local i
    for i in 3218 53218 103218 153218; do
        [ "$i" -lt "$ENTRIES" ] && $CTNL fill 1 "$i"
    done
}
refill_all() { fill "$ENTRIES"; }

# --- the run -------------------------------------------------------------------
echo "conntrack benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) CPUs, $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "kernel:  $(uname -r)"
echo "ours:    $OURS"
echo "reference: $REF ($("$REF" -V 2>&1))"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rounds: $ROUNDS (median reported), table: $ENTRIES TCP entries"
echo
printf '%-34s %9s %9s %8s\n' "command" "ours (s)" "ref (s)" "ref/ours"

fill "$ENTRIES"
# What the kernel alone needs to dump the table (no formatting at all).
start=$EPOCHREALTIME
/usr/bin/python3 -c '
import socket, struct
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind((0, 0))
s.send(struct.pack("=IHHII", 20, (1 << 8) | 1, 0x1 | 0x300, 1, 0) + struct.pack("=BBH", 0, 0, 0))
while True:
    data = s.recv(1 << 20)
    # the dump ends with an NLMSG_DONE message (20 bytes) at the end of a read
    if len(data) >= 20 and struct.unpack_from("=IH", data, len(data) - 20) == (20, 3):
        break
'
echo "(raw kernel dump, for scale: $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }') s)"

bench "-L" no_prepare -L; target 1.5
bench "-L -o xml" no_prepare -L -o xml; target 1.5
bench "-L -p tcp --sport 4242" no_prepare -L -p tcp --sport 4242; target 3
bench "-D -p tcp --sport 4242" refill_one -D -p tcp --sport 4242; target 3
bench "-D -d 198.19.0.1 (all entries)" refill_all -D -d 198.19.0.1; target 2

# -R of a file of -I lines, into an empty table each time.
awk -v n="$ENTRIES" 'BEGIN {
    for (i = 0; i < n; i++)
        printf "-I -p tcp -s 198.18.0.1 -d 198.19.0.1 --sport %d --dport %d --state ESTABLISHED -t 3600\n",
               1024 + i % 50000, 80 + int(i / 50000)
}' > "$work/load.rules"
bench "-R (file of $ENTRIES -I lines)" flush -R "$work/load.rules"; target 2.5

# Peak memory of -L: it should not grow with the table.
echo
printf '%-34s %9s %9s\n' "peak RSS of -L (KiB)" "ours" "ref"
fill "$SMALL"
bench "-L, $SMALL entries" no_prepare -L > /dev/null
small_ours=$OURS_KB small_ref=$REF_KB
printf '%-34s %9s %9s\n' "-L, $SMALL entries" "$small_ours" "$small_ref"
fill "$ENTRIES"
bench "-L, $ENTRIES entries" no_prepare -L > /dev/null
printf '%-34s %9s %9s\n' "-L, $ENTRIES entries" "$OURS_KB" "$REF_KB"
# "Equal" allows the noise of the allocator: within 10% or 256 KiB.
awk -v a="$small_ours" -v b="$OURS_KB" -v small="$SMALL" -v large="$ENTRIES" 'BEGIN {
    d = b - a; if (d < 0) d = -d
    printf "ours at %s and %s entries equal (within 10%% or 256 KiB): %s\n", small, large,
           (d <= 256 || d <= a / 10) ? "met" : "not met"
}'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
flush
