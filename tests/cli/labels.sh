#!/bin/bash
# Connection labels (-l, --label-add, --label-del, -o labels, --labelmap).
# The reference reads only /etc/xtables/connlabel.conf: the test runs in a
# mount namespace of its own where an overlay on /etc provides that file
# (nothing changes outside).
if [ -z "${CTD_CLI_LABELS_NS:-}" ]; then
    export CTD_CLI_LABELS_NS=1
    exec unshare --mount --propagation private bash "$0" "$@"
fi

. "$CTD_TESTS_SRCDIR/cli/cli-lib.sh"

mkdir -p "$CLI_TMP/etc-upper/xtables" "$CLI_TMP/etc-work"
cat > "$CLI_TMP/etc-upper/xtables/connlabel.conf" <<'MAP'
# the labels of this test
0 zero
1 one
2 two
3 three
5 five
40 forty
70 seventy
MAP
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$CLI_TMP/etc-upper,workdir=$CLI_TMP/etc-work" /etc ||
    bail "cannot mount an overlay on /etc in the test's mount namespace"
# The overlay must go before the temporary directory does.
trap 'ns_cleanup; umount /etc 2> /dev/null; rm -rf "$CLI_TMP"' EXIT

# Labels exist only while a ruleset uses them.
in_ns nft -f - <<'NFT' || bail "cannot load the label rules"
table inet clil {
  chain out { type filter hook output priority 0; udp dport 7000 ct label set 3; udp dport 7000 ct label set 70; }
}
NFT

with_labels() {
    populate_table
    in_ns "$REFERENCE" -I -s 10.9.0.1 -d 10.9.0.2 -p udp --sport 1 --dport 2 -t 3000 --label-add one,forty
    in_ns "$REFERENCE" -I -s 10.9.0.3 -d 10.9.0.2 -p udp --sport 1 --dport 2 -t 3000 --label-add five
    in_ns python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 6999))
s.sendto(b"x", ("127.0.0.1", 7000))'
}
with_labels > /dev/null 2>&1
has "$(in_ns "$REFERENCE" -L -o labels 2>/dev/null)" "labels=one,forty" "the table has labelled entries"

while IFS= read -r line; do
    case $line in ''|'#'*) continue ;; esac
    eval "set -- $line"
    same_as_reference_after with_labels "conntrack $line" "$@"
done <<'LINES'
-L -o labels
-L -l one
-L -l one,forty
-L -l one -l five
-L -l three
-L -l seventy -o labels
-L -l zero
-L -l nosuch
-L -l one,,two
-L -o xml,labels
-L -o save -l forty
-D -l five
-I -s 10.9.0.9 -d 10.9.0.2 -p udp --sport 1 --dport 2 -t 100 --label-add two
-U -s 10.9.0.3 -p udp --label-add two
-U -s 10.9.0.1 -p udp --label-del one
-U -s 10.9.0.1 -p udp --label-del
-U -s 10.9.0.1 -p udp --label-add one
-U -s 10.9.0.1 -p udp --label-add nosuch
-U -s 10.9.0.1 --label-add one --label-del two
-U -f ipv4 --label-del five
-U -f ipv4 --label-del
-U -f ipv4 -p udp --label-add two
-E -l one -e NEW
LINES

# --labelmap (1.4.9): another file, and a missing one.
printf '0 null\n1 eins\n40 vierzig\n' > "$CLI_TMP/other.conf"
with_labels > /dev/null 2>&1
run_as ours -L -l eins --labelmap "$CLI_TMP/other.conf"
is "$(grep -c 'labels=eins,vierzig' "$CLI_TMP/ours.out")" 1 "--labelmap: labels named by that map"
run_as ours -L -l one --labelmap "$CLI_TMP/missing.conf"
is "$(head -n 1 "$CLI_TMP/ours.err")" "nfct_labelmap_new: No such file or directory" "--labelmap: a missing map"
is "$(sed -n 2p "$CLI_TMP/ours.err")" "conntrack v1.4.7 (conntrack-tools): unknown label 'one'" \
    "--labelmap: names unknown without a map"
run_as ours -L --labelmap "$CLI_TMP/other.conf" --labelmap "$CLI_TMP/other.conf"
is "$(head -n 1 "$CLI_TMP/ours.err")" "conntrack v1.4.7 (conntrack-tools): cannot use --labelmap more than once" \
    "--labelmap twice"

tap_done
