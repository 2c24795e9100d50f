# Wires namespaces A and B for the kernel tests of lib/ct: a veth pair,
# IPv4 and IPv6 addresses, accounting and timestamps, nftables rules that
# set a zone, a mark, labels, the FTP helper, SNAT and DNAT; starts the
# servers in B.  Usage: kernel-setup.sh NS_A NS_B SCRIPT_DIR
A=$1; B=$2; D=$3
ip link add ctlv$$a type veth peer name ctlv$$b
ip link set ctlv$$a netns $A name eth0; ip link set ctlv$$b netns $B name eth0
ip -n $A addr add 10.99.0.1/24 dev eth0; ip -n $B addr add 10.99.0.2/24 dev eth0
ip -n $A addr add fd00:99::1/64 dev eth0 nodad; ip -n $B addr add fd00:99::2/64 dev eth0 nodad
ip -n $A link set eth0 up; ip -n $B link set eth0 up
ip -n $A route add 10.99.0.99 dev eth0 2>/dev/null
for ns in $A $B; do ip netns exec $ns sysctl -qw net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_timestamp=1; done
ip netns exec $A nft -f - <<'NFT' || exit 1
table inet ctt {
  ct helper ftph { type "ftp" protocol tcp; }
  chain raw { type filter hook output priority -300; udp dport 7001 ct zone set 5; }
  chain out { type filter hook output priority 0;
    tcp dport 7000 ct mark set 0x42
    tcp dport 7000 ct label set 3
    tcp dport 7000 ct label set 70
    tcp dport 21 ct helper set "ftph"
  }
}
table ip cttnat {
  chain post { type nat hook postrouting priority 100; udp dport 7100 snat to 10.99.0.1:40000; }
  chain out { type nat hook output priority -100; ip daddr 10.99.0.99 tcp dport 7200 dnat to 10.99.0.2:7000; }
}
NFT
log=$(mktemp)
ip netns exec $B python3 $D/server.py > $log 2>&1 &
for i in $(seq 100); do grep -q ready $log 2>/dev/null && break; sleep 0.05; done
grep -q ready $log; status=$?
rm -f $log
exit $status
