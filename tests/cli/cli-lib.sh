# Shared code of the conntrack namespace tests: run the reference
# (/usr/sbin/conntrack) and ours on the same table in a namespace of their
# own, and compare what they print, their exit status and the table after.
#
#   . "$CTD_TESTS_SRCDIR/cli/cli-lib.sh"       # creates namespace "ct"
#   in_ns conntrack -L                         # anything, inside it
#   same_as_reference "what" -L -p tcp         # one TAP check
#   same_as_reference_after setup_fn "what" -D -s 1.2.3.4
#                                              # setup, run each, compare
#                                              # output and the table after
#
# Both programs run as "conntrack" (argv[0] appears in some messages).
# Timeouts (they tick), ids and port ids are masked before comparing.

. "$CTD_TESTS_SRCDIR/lib/tap.sh"
. "$CTD_TESTS_SRCDIR/lib/netns.sh"

REFERENCE=/usr/sbin/conntrack
OURS="$CTD_TOP_BUILDDIR/cli/conntrack"
if [ ! -x "$REFERENCE" ]; then
    echo "1..0 # SKIP the reference $REFERENCE is not installed"
    exit 0
fi
[ -x "$OURS" ] || bail "$OURS was not built"

CLI_TMP=$(mktemp -d /tmp/ctd-cli-test.XXXXXX) || bail "no temporary directory"
mkdir -p "$CLI_TMP/ref" "$CLI_TMP/ours"
ln -s "$REFERENCE" "$CLI_TMP/ref/conntrack"
ln -s "$OURS" "$CLI_TMP/ours/conntrack"
trap 'ns_cleanup; rm -rf "$CLI_TMP"' EXIT

ns_new ct

# in_ns CMD...: runs CMD in the test's namespace.
in_ns() { ns_exec ct "$@"; }

# run_as WHO ARGS...: conntrack (WHO: ref or ours) in the namespace, its
# output in $CLI_TMP/WHO.{out,err,rc}.
run_as() {
    local who=$1
    shift
    ns_exec ct env PATH="$CLI_TMP/$who:$PATH" timeout "${CLI_TIMEOUT:-10}" conntrack "$@" \
        > "$CLI_TMP/$who.out" 2> "$CLI_TMP/$who.err" < "${CLI_STDIN:-/dev/null}"
    echo $? > "$CLI_TMP/$who.rc"
    [ -n "${CLI_RAW:-}" ] || cli_normalize "$CLI_TMP/$who.out" "$CLI_TMP/$who.err"
}

# What changes from one run to the next: timeouts, ids, process names and
# port ids of events, event time stamps.
cli_normalize() {
    sed -i -E \
        -e 's/^((\[[A-Z]+\] +)?(ipv[46] +[0-9]+ )?[a-z0-9-]+ +[0-9]+ )[0-9]+ /\1T /' \
        -e 's/^\[[0-9]+\.[0-9]+\]/[TS]/' \
        -e 's/^([0-9]+) proto=/T proto=/' \
        -e 's|<timeout>[0-9]+</timeout>|<timeout>T</timeout>|g' \
        -e 's/^(-[AUD] -t )[0-9]+/\1T/' \
        -e 's/ id=[0-9]+/ id=ID/g' -e 's|<id>[0-9]+</id>|<id>ID</id>|g' \
        -e 's/"timeout":[0-9]+/"timeout":T/; s/"id":[0-9]+,"(tcp|portid|$)/"id":ID,"\1/' \
        -e 's/ portid=[0-9]+/ portid=P/; s/ progname=[^ ]+//' \
        "$@"
}

# The table (and the expectations), sorted, as a file.
snapshot() { # FILE
    in_ns sh -c "'$REFERENCE' -L -o extended; '$REFERENCE' -L expect" > "$1" 2> /dev/null
    cli_normalize "$1"
    sort -o "$1" "$1"
}

# Shows the differences of a failed comparison as TAP diagnostics.
show_difference() {
    local k
    for k in out err rc; do
        cmp -s "$CLI_TMP/ref.$k" "$CLI_TMP/ours.$k" && continue
        tap_diag "--- $k: reference / +++ ours"
        diff "$CLI_TMP/ref.$k" "$CLI_TMP/ours.$k" | head -n 20 | tap_diag "$(cat)"
    done
}

outputs_equal() {
    cmp -s "$CLI_TMP/ref.out" "$CLI_TMP/ours.out" &&
        cmp -s "$CLI_TMP/ref.err" "$CLI_TMP/ours.err" &&
        cmp -s "$CLI_TMP/ref.rc" "$CLI_TMP/ours.rc"
}

# same_as_reference DESCRIPTION ARGS...: both print the same, exit the same.
same_as_reference() {
    local description=$1
    shift
    run_as ref "$@"
    run_as ours "$@"
    if outputs_equal; then
        _tap_result 0 "$description"
    else
        _tap_result 1 "$description"
        show_difference
    fi
}

# run_both_after SETUP ARGS...: SETUP (a function) builds the table, then
# each program runs on it; outputs in $CLI_TMP/WHO.*, the table after in
# $CLI_TMP/WHO.table.
run_both_after() {
    local setup=$1
    shift
    $setup > /dev/null 2>&1
    run_as ref "$@"
    snapshot "$CLI_TMP/ref.table"
    $setup > /dev/null 2>&1
    run_as ours "$@"
    snapshot "$CLI_TMP/ours.table"
}

# same_as_reference_after SETUP DESCRIPTION ARGS...: output, exit status and
# the table afterwards must match.
same_as_reference_after() {
    local setup=$1 description=$2
    shift 2
    run_both_after "$setup" "$@"
    if outputs_equal && cmp -s "$CLI_TMP/ref.table" "$CLI_TMP/ours.table"; then
        _tap_result 0 "$description"
    else
        _tap_result 1 "$description"
        show_difference
        cmp -s "$CLI_TMP/ref.table" "$CLI_TMP/ours.table" ||
            tap_diag "--- table after: reference / +++ ours" \
                "$(diff "$CLI_TMP/ref.table" "$CLI_TMP/ours.table" | head -n 20)"
    fi
}

# table_unchanged DESCRIPTION: the table is still the one remember_table
# saw (for bad input, after both programs ran).
remember_table() { snapshot "$CLI_TMP/remembered"; }
table_unchanged() {
    snapshot "$CLI_TMP/now"
    if cmp -s "$CLI_TMP/remembered" "$CLI_TMP/now"; then
        _tap_result 0 "$1"
    else
        _tap_result 1 "$1"
        tap_diag "$(diff "$CLI_TMP/remembered" "$CLI_TMP/now" | head -n 20)"
    fi
}

# A table with a bit of everything, made by the reference itself.
populate_table() {
    _populate_table > /dev/null 2>&1
}
_populate_table() {
    local c="$REFERENCE" i
    in_ns "$c" -F
    in_ns "$c" -F expect
    for i in 1 2 3 4 5; do
        in_ns "$c" -I -s 10.0.0.$i -d 10.0.1.1 -p tcp --sport 100$i --dport 80 --state ESTABLISHED -t 3000 -u ASSURED,SEEN_REPLY
        in_ns "$c" -I -s 10.0.0.$i -d 10.0.2.1 -p udp --sport 200$i --dport 53 -t 3000 -m 0x1$i
    done
    in_ns "$c" -I -s 10.0.0.9 -d 10.0.1.1 -p tcp --sport 5555 --dport 22 --state SYN_SENT -t 3000 -w 7
    in_ns "$c" -I -s 10.0.0.9 -d 10.0.1.1 -p tcp --sport 5556 --dport 22 --state TIME_WAIT -t 3000 --orig-zone 3
    in_ns "$c" -I -s 10.0.0.8 -d 10.0.1.1 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 77 -t 3000
    in_ns "$c" -I -s 10.0.0.8 -d 10.0.1.1 -p gre --srckey 5 --dstkey 6 -t 3000
    in_ns "$c" -I -s 10.0.0.8 -d 10.0.1.1 -p sctp --sport 1 --dport 2 --state ESTABLISHED --orig-vtag 9 --reply-vtag 10 -t 3000
    in_ns "$c" -I -s 10.0.0.8 -d 10.0.1.1 -p 50 -t 3000
    in_ns "$c" -I -s fd00::1 -d fd00::2 -p tcp --sport 1000 --dport 443 --state ESTABLISHED -t 3000 -m 2
    in_ns "$c" -I -s fd00::1 -d fd00::3 -p udp --sport 1000 --dport 443 -t 3000
    in_ns "$c" -I -s fd00::1 -d fd00::2 -p icmpv6 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 5 -t 3000
    in_ns "$c" -I -s 10.0.0.7 -d 10.0.1.1 -r 10.0.1.1 -q 192.168.0.7 -p tcp --sport 7000 --dport 80 \
        --reply-port-src 80 --reply-port-dst 7000 --state ESTABLISHED -t 3000
    in_ns "$c" -I -s 10.0.0.6 -d 10.0.1.1 -p tcp --sport 6000 --dport 80 --state ESTABLISHED -t 3000 --src-nat 192.168.0.6
    in_ns "$c" -I -s 10.0.0.6 -d 10.0.1.1 -p tcp --sport 6001 --dport 80 --state ESTABLISHED -t 3000 --dst-nat 10.0.5.5:8080
}

# Expectations: the TFTP helper expects the data connection of a read
# request; two requests from fixed ports give two expectations.
populate_expectations() {
    _populate_expectations > /dev/null 2>&1
}
_populate_expectations() {
    in_ns "$REFERENCE" -F
    in_ns "$REFERENCE" -F expect
    in_ns nft -f - <<'NFT'
table inet clit
delete table inet clit
table inet clit {
  ct helper tftp_h { type "tftp" protocol udp; }
  chain out { type filter hook output priority 0; udp dport 69 ct helper set "tftp_h"; }
}
NFT
    in_ns python3 - <<'PY'
import socket
for src_port, dst in ((4001, "127.0.0.1"), (4002, "127.0.0.2")):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", src_port))
    s.sendto(b"\x00\x01file\x00octet\x00", (dst, 69))
    s.close()
PY
}
