#!/bin/bash
# Differential test: our `conntrack` against the reference (Debian's 1.4.7),
# byte for byte.  For every command line of the table (commands.txt) both
# binaries run on the same kernel table and must give the same stdout, the
# same stderr and the same exit status; each line is one TAP test point and
# a failure shows a unified diff (reference first, ours second).
#
#   CONNTRACK            the binary under test (default: the build's
#                        cli/conntrack; the test is skipped if it is absent)
#   REFERENCE_CONNTRACK  the reference (default /usr/sbin/conntrack)
#   DIFF_SELECT          run only the lines whose name matches this
#                        extended regex
#   DIFF_KEEP            keep every output (the directory is printed)
#   DIFF_REPORT          append "name<TAB>result<TAB>kind<TAB>stdout-bytes
#                        <TAB>stderr-bytes<TAB>status" per line (for the
#                        harness's own test, selftest.sh)
#
# The table is the corpus of conntrack-diff: see commands.txt for its
# format.  The kernel table is built by real traffic between namespaces
# (corpus.sh, traffic.py) plus `conntrack -I` lines, and holds every
# protocol, both families, NAT, zones, marks, labels, counters, timestamps,
# helpers with expectations, and entries on the dying list.
#
# How the comparison stays byte-exact although the table lives:
#
# * Timeouts count down and delta-time counts up.  The kernel shows a
#   timeout as whole seconds left, so it changes once a second, at the
#   phase of the entry's last update; delta-time changes when the wall-clock
#   second changes.  After the corpus is built, every timeout is re-armed
#   (ctnl.py arm-corpus; the FTP commands that make the expectations and
#   the entries of the dying list come at the same moment) right after a
#   wall-clock second begins, so every number in the table changes within
#   the same short window of each second.  A command line starts outside
#   that window; the reference, ours and (if they differ) the reference
#   again run back to back, and ours must equal the reference run just
#   before or just after it.  If it equals neither while those two are
#   equal, nothing moved in between and the line fails at once; if the two
#   reference runs differ (a tick, a slow machine) the attempt is repeated,
#   five times at most.  Nothing is masked in these lines.
#
# * Commands that change the table (-D -U -I -F -R, and -L -z) get the same
#   table before each binary: it is rebuilt from a file of -I lines, or by
#   replaying the same traffic, right before the run, so that every timeout
#   is one below its initial value in every run; these tables have no
#   timestamps (no delta-time to drift).  Besides stdout, stderr and status,
#   the table after the command (dumped by the reference) must be the same.
#   Each run has a table of its own, so these lines are retried even when
#   the two reference runs agree, and fail only if ours differs in every
#   one of the five attempts: a table rebuilt by replaying traffic can come
#   out different (a delayed ACK sent apart adds a packet), and a command
#   that prints what it just set (-U -t 42) shows 41 when a jiffy passes
#   before its read.  A rebuilt entry gets a new id, so in these lines, and only there, ids
#   are replaced by their order of first appearance (ID1, ID2, ...) after
#   checking that they have the reference's exact form.
#
# * Events: both listeners run at the same time during one run of a fixed
#   scenario (evdriver.py) in a fresh namespace, so they see the very same
#   events.  Port ids and program names are real and compared.  Only what a
#   listener takes from its own clock is replaced by a token, where it has
#   the reference's exact form: the -o timestamp prefix and the XML <when>
#   element (and ids and kernel times, by the rules above, which are the
#   same for both anyway).
#
# A run that did not go as planned (the namespace wrapper failed, a
# listener never subscribed, the scenario failed) never passes.
#
# A line may give the reference other arguments after " %% " where
# 1.4.8/1.4.9 fixed a 1.4.7 bug that we follow (docs/compatibility.md): ours
# runs the arguments before the marker, the reference those after it.  When
# both binaries are the same file (the harness checked against itself),
# both run the arguments before the marker.
set -u
. "$CTD_TESTS_SRCDIR/lib/tap.sh"

OURS=${CONNTRACK:-${CTD_TOP_BUILDDIR:-}/cli/conntrack}
REF=${REFERENCE_CONNTRACK:-/usr/sbin/conntrack}
REFERENCE_CONNTRACK=$REF
DIFF_SRC="$CTD_TESTS_SRCDIR/diff"
TABLE=${DIFF_TABLE:-$DIFF_SRC/commands.txt}
SELECT=${DIFF_SELECT:-}
REPORT=${DIFF_REPORT:-}

if [ ! -x "$OURS" ]; then
    echo "1..0 # SKIP our conntrack is not built ($OURS)"
    exit 0
fi
[ -x "$REF" ] || bail "no reference conntrack at $REF"
[ "$(id -u)" -eq 0 ] || bail "needs root (network namespaces)"

SELF_MODE=0
[ "$(readlink -f "$OURS")" = "$(readlink -f "$REF")" ] && SELF_MODE=1

DIFF_WORK=$(mktemp -d /tmp/ctdt-diff.XXXXXX)
. "$CTD_TESTS_SRCDIR/lib/netns.sh"
# DIFF_KEEP=1 keeps the outputs of every run (for a look at them).
trap 'ns_cleanup; if [ -n "${DIFF_KEEP:-}" ]; then echo "# outputs kept in $DIFF_WORK"; else rm -rf "$DIFF_WORK"; fi' EXIT
. "$DIFF_SRC/corpus.sh"
. "$DIFF_SRC/compare.sh"

# Files the table refers to as $DATA/...
DATA="$DIFF_WORK/data"
mkdir -p "$DATA"
cp "$DIFF_SRC"/*.rules "$DIFF_SRC"/*.labels "$DATA/"
export DATA

diff_prepare_etc
diff_setup_topology
diff_build_corpus
diff_check_corpus

diff_load_table "$TABLE"
diff_run_table

tap_done
