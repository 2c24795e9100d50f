#!/bin/bash
# A stats-mode conntrackd (ours) and the reference run side by side on the
# same router, fed by real TCP, UDP and ICMP traffic between two other
# namespaces: they must write the same flow log lines, answer -s, -s cache,
# -s runtime and -i alike, and behave alike for -k, a second instance and a
# restart after kill -9.  Our XML output plugin runs as a third daemon; every
# record it writes must be well-formed XML.
. "$CTD_TESTS_SRCDIR/lib/tap.sh"
. "$CTD_TESTS_SRCDIR/lib/netns.sh"

REFERENCE=${REFERENCE_CONNTRACKD:-/usr/sbin/conntrackd}
work=$(mktemp -d /tmp/ctd-stats.XXXXXX)
trap 'ns_cleanup; rm -rf "$work"' EXIT

ns_new client
ns_new router
ns_new server
ns_veth client eth0 router eth0
ns_veth router eth1 server eth0
ns_exec client ip addr add 10.70.1.2/24 dev eth0
ns_exec client ip route add default via 10.70.1.1
ns_exec router ip addr add 10.70.1.1/24 dev eth0
ns_exec router ip addr add 10.70.2.1/24 dev eth1
ns_exec server ip addr add 10.70.2.2/24 dev eth0
ns_exec server ip route add default via 10.70.2.1
ns_exec router sysctl -qw net.ipv4.ip_forward=1
ns_exec router sysctl -qw net.netfilter.nf_conntrack_acct=1
# Connection tracking runs in a namespace only once a rule needs it.
ns_exec router nft -f - <<'EOT'
table inet filter {
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		ct state new accept
	}
}
EOT

config() { # name output
    cat > "$work/$1.conf" <<EOT
General {
	HashSize 8192
	HashLimit 65535
	LockFile $work/$1.lock
	UNIX {
		Path $work/$1.ctl
	}
	LogFile $work/$1.daemon.log
	Systemd off
}
Stats {
$2
}
EOT
}
config ours "	LogFile $work/ours.stats"
config ref "	LogFile $work/ref.stats"
config xml "	Output xml
	LogFile $work/xml.stats"

ours() { ns_exec router "$CONNTRACKD" -C "$work/$1.conf" "${@:2}"; }
ref() { ns_exec router "$REFERENCE" -C "$work/ref.conf" "$@"; }

ours ours -d; ok "our stats daemon starts" test $? -eq 0
ours xml -d; ok "our XML stats daemon starts" test $? -eq 0
ref -d; ok "the reference stats daemon starts" test $? -eq 0
for _ in $(seq 50); do
    [ -S "$work/ours.ctl" ] && [ -S "$work/ref.ctl" ] && [ -S "$work/xml.ctl" ] && break
    sleep 0.1
done

# Traffic: TCP connections and UDP exchanges, ICMP echoes.
ns_exec server python3 "$CTD_TESTS_SRCDIR/stats/traffic.py" serve 10.70.2.2 &
for _ in $(seq 50); do ns_exec server ss -ltn | grep -q ':8080' && break; sleep 0.1; done
ns_exec client python3 "$CTD_TESTS_SRCDIR/stats/traffic.py" client 10.70.2.2 5
ok "the client exchanged its traffic" test $? -eq 0
ns_exec client ping -c 2 -i 0.2 -W 1 10.70.2.2 > /dev/null 2>&1
ok "ICMP echoes went through" test $? -eq 0
sleep 0.5

ok "the router tracks the flows" test "$(ns_exec router conntrack -C)" -gt 5

# Both caches see the same live flows.
strip_since() { sed 's/ \[active since [0-9]*s\]$//'; }
is "$(ours ours -i | strip_since | sort)" "$(ref -i | strip_since | sort)" "-i lists the same flows as the reference"
is "$(ours ours -i -x | sort)" "$(ref -i -x | sort)" "-i -x prints the same XML as the reference"
for s in "" cache; do
    is "$(ours ours -s $s)" "$(ref -s $s)" "-s $s has the reference's layout and values"
done
is "$(ours ours -s runtime | grep -v 'daemon uptime')" "$(ref -s runtime | grep -v 'daemon uptime')" "-s runtime has the reference's layout and values"
is "$(ours ours -s process)" "$(ref -s process)" "-s process is empty as in the reference"

# End every flow: each becomes one log line.
ns_exec router conntrack -F > /dev/null 2>&1
sleep 1
lines_ours=$(cut -f2- "$work/ours.stats")
lines_ref=$(cut -f2- "$work/ref.stats")
ok "the reference logged the flows" test -n "$lines_ref"
is "$(echo "$lines_ours" | wc -l)" "$(echo "$lines_ref" | wc -l)" "as many flow log lines as the reference"
is "$lines_ours" "$lines_ref" "flow log lines identical to the reference's"
like "$(head -n1 "$work/ours.stats")" $'^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}\t' "each line starts with the time, as ctime prints it, and a tab"
has "$lines_ours" "tcp      6 " "TCP flows are logged"
has "$lines_ours" "udp      17 " "UDP flows are logged"
has "$lines_ours" "icmp     1 " "ICMP flows are logged"
has "$lines_ours" "packets=" "counters are logged (accounting is on)"

records=$(wc -l < "$work/xml.stats")
is "$records" "$(echo "$lines_ref" | wc -l)" "the XML output wrote one record per ended flow"
python3 - "$work/xml.stats" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
bad = 0
for line in open(sys.argv[1]):
    try:
        root = ET.fromstring(line)
        assert root.tag == "flow"
    except Exception as e:
        bad += 1
        print("# bad record:", line.strip(), e)
sys.exit(1 if bad else 0)
PYEOF
ok "every XML record is well-formed" test $? -eq 0

# A second instance is refused, by both.
err=$(ours ours 2>&1 >/dev/null)
status=$?
is "$status" 1 "a second instance of ours is refused"
like "$err" "lockfile \`$work/ours.lock' exists, perhaps conntrackd already running\?" "with the reference's message"

# -k stops the daemon and leaves nothing behind.
ours ours -k; ok "-k succeeds" test $? -eq 0
for _ in $(seq 50); do [ -e "$work/ours.ctl" ] || break; sleep 0.1; done
fails "-k removed the socket" test -e "$work/ours.ctl"
fails "-k removed the lock file" test -e "$work/ours.lock"
like "$(tail -n1 "$work/ours.daemon.log")" "\[notice\] ---- shutdown received ----$" "the log ends with the shutdown line"
out=$(ours ours -s 2>&1); status=$?
is "$status" 1 "a request to a stopped daemon fails"
has "$out" "can't connect: is conntrackd running? appropriate permissions?" "with the reference's message"

# kill -9 leaves the lock file; a new instance still starts.
ours ours -d; ok "ours starts again" test $? -eq 0
pid=$(cat "$work/ours.lock")
kill -9 "$pid"
sleep 0.2
ok "kill -9 left the lock file behind" test -e "$work/ours.lock"
ours ours -d; ok "a new instance starts after kill -9" test $? -eq 0
has "$(cat "$work/ours.daemon.log")" "$work/ours.lock" "the stale lock file is reported"
ours ours -k
ours xml -k
ref -k

tap_done
