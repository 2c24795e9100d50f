#!/bin/bash
# Filter From Kernelspace: the rules become a BPF program on the event
# socket, so the kernel drops unwanted events before the daemon reads them.
# Ours and the reference run side by side with the same filter; the events
# each one receives (-s runtime) and the flows each one keeps (-i) must be
# the same, and the same rules From Userspace must show the events arriving
# and being filtered in user space instead.
. "$CTD_TESTS_SRCDIR/lib/tap.sh"
. "$CTD_TESTS_SRCDIR/lib/netns.sh"

REFERENCE=${REFERENCE_CONNTRACKD:-/usr/sbin/conntrackd}
CONNTRACK=${REFERENCE_CONNTRACK:-/usr/sbin/conntrack}
work=$(mktemp -d /tmp/ctd-kfilter.XXXXXX)
trap 'ns_cleanup; rm -rf "$work"' EXIT

ns_new box
ns_exec box nft -f - <<'EOT'
table inet t {
	chain o {
		type filter hook output priority 0;
		ct state new accept
	}
}
EOT

config() { # name place
    cat > "$work/$1.conf" <<EOT
General {
	HashSize 8192
	HashLimit 65535
	LockFile $work/$1.lock
	UNIX {
		Path $work/$1.ctl
	}
	LogFile $work/$1.log
	Systemd off
	Filter $2 {
		Protocol Accept { UDP TCP }
		Address Ignore {
			IPv4_address 10.1.1.1
			IPv4_address 10.2.0.0/16
			IPv6_address 2001:db8::1
		}
		State Accept { ESTABLISHED for TCP }
	}
}
Stats {
	LogFile $work/$1.stats
}
EOT
}
config ours "From Kernelspace"
config ref "From Kernelspace"
config user "From Userspace"

start() { # name binary
    ns_exec box "$2" -C "$work/$1.conf" -d
    for _ in $(seq 50); do [ -S "$work/$1.ctl" ] && return 0; sleep 0.1; done
    return 1
}
start ours "$CONNTRACKD"; ok "our daemon starts with a kernel-space filter" test $? -eq 0
start ref "$REFERENCE"; ok "the reference starts with the same filter" test $? -eq 0
start user "$CONNTRACKD"; ok "our daemon starts with the same filter in user space" test $? -eq 0
like "$(cat "$work/ours.log")" "using kernel-space event filtering" "our log says where events are filtered"
like "$(cat "$work/user.log")" "using user-space event filtering" "so does the user-space one's"

ct() { ns_exec box "$CONNTRACK" "$@" > /dev/null 2>&1; }
# Three flows pass; five are dropped, one for each rule.
ct -I -p udp -s 10.0.0.5 -d 10.0.0.6 --sport 1000 --dport 53 -t 100
ct -I -p udp -s 10.1.1.1 -d 10.0.0.6 --sport 1001 --dport 53 -t 100
ct -I -p udp -s 10.0.0.5 -d 10.2.3.4 --sport 1002 --dport 53 -t 100
ct -I -p tcp -s 10.0.0.7 -d 10.0.0.8 --sport 1003 --dport 80 --state ESTABLISHED -t 100
ct -I -p tcp -s 10.0.0.9 -d 10.0.0.8 --sport 1004 --dport 80 --state SYN_SENT -t 100
ct -I -p icmp -s 10.0.0.5 -d 10.0.0.6 --icmp-type 8 --icmp-code 0 --icmp-id 7 -t 100
ct -I -p udp -s 2001:db8::5 -d 2001:db8::6 --sport 1005 --dport 53 -t 100
ct -I -p udp -s 2001:db8::1 -d 2001:db8::6 --sport 1006 --dport 53 -t 100
is "$(ns_exec box "$CONNTRACK" -C)" 8 "eight flows in the kernel table"
sleep 0.5

runtime_value() { # name label
    ns_exec box "$CONNTRACKD" -C "$work/$1.conf" -s runtime |
        awk -F: -v label="$2" '{ sub(/^[ \t]+/, "", $1) } $1 == label { gsub(/[ \t]/, "", $2); print $2; exit }'
}
is "$(runtime_value ours 'events received')" 3 "the kernel hands our daemon only the three flows that pass"
is "$(runtime_value ref 'events received')" 3 "the reference receives as many"
is "$(runtime_value ours 'events filtered')" 0 "nothing is left to filter in user space"
is "$(runtime_value user 'events received')" 8 "with From Userspace all eight events arrive"
is "$(runtime_value user 'events filtered')" 5 "and five of them are filtered"

flows() { # name binary
    ns_exec box "$2" -C "$work/$1.conf" -i | sed 's/\[active since [0-9]*s\]//' | sort
}
ours_flows=$(flows ours "$CONNTRACKD")
is "$(printf '%s\n' "$ours_flows" | grep -c .)" 3 "our cache holds the three flows"
is "$ours_flows" "$(flows ref "$REFERENCE")" "the same flows as the reference's"
is "$ours_flows" "$(flows user "$CONNTRACKD")" "and as the user-space filter's"
has "$ours_flows" "2001:db8::5" "the IPv6 flow that passes is there"

for name in ours user; do ns_exec box "$CONNTRACKD" -C "$work/$name.conf" -k > /dev/null 2>&1; done
ns_exec box "$REFERENCE" -C "$work/ref.conf" -k > /dev/null 2>&1
tap_done
