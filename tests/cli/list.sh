#!/bin/bash
# Listing (-L, -G, -C) with every filter and output format: the same lines
# as the reference on the same table.
. "$CTD_TESTS_SRCDIR/cli/cli-lib.sh"

populate_table
remember_table

while IFS= read -r line; do
    case $line in ''|'#'*) continue ;; esac
    eval "set -- $line"
    same_as_reference "conntrack $line" "$@"
done <<'LINES'
-L
-L conntrack
-L -o extended
-L -o xml
-L -o save
-L -o id
-L -o extended,id
-L -o xml,id
-L -o xml,timestamp
-L -o ktimestamp
-L -o userspace
-L -p tcp
-L -p udp
-L -p TCP
-L -p 6
-L -p tcp --dport 80
-L -p tcp --sport 1001
-L -p tcp --state ESTABLISHED
-L -p tcp --state SYN_SENT
-L -p tcp --reply-port-src 80
-L -p icmp
-L -p icmp --icmp-type 8
-L -p icmp --icmp-id 77
-L -p icmpv6 --icmpv6-type 128
-L -p gre --srckey 5
-L -p gre --srckey 9 --dstkey 9
-L -p sctp --state ESTABLISHED
-L -p 50
-L -p 58
-L -s 10.0.0.1
-L -d 10.0.2.1
-L -s 10.0.0.0/24
-L -s 10.0.0.5/30
-L -s 10.0.0.1/
-L -s 10.0.0.0 --mask-src 255.255.255.0
-L -d 10.0.0.0/16
-L -d 10.0.1.1 --mask-dst 255.255.0.0
-L -r 10.0.1.1
-L -q 10.0.0.3
-L -s fd00::1
-L -d fd00::2
-L -s fd00::/64
-L -s fd00::1 -p tcp
-L -f ipv6
-L -f ipv4
-L -f ipv6 -p tcp --dport 443
-L -m 0x12
-L -m 0x10/0xf0
-L -m 0x3/0x3
-L -m 0
-L -u ASSURED
-L -u SEEN_REPLY
-L -u UNREPLIED
-L -u !ASSURED
-L -u ASSURED,!SEEN_REPLY
-L -u SRC_NAT
-L -w 7
-L -w 0
-L -w 3
-L --orig-zone 3
-L --orig-zone 0
-L --reply-zone 0
-L --reply-zone 3
-L -c 0
-L -c 5
-L -n
-L -g
-L -j
-L -n 192.168.0.6
-L -n 192.168.0.7
-L -g 10.0.5.5
-L -g 10.0.5.5:8080
-L -g 10.0.5.5:80
-L -n -g
-L -j 192.168.0.6
-L -p tcp -s 10.0.0.1 --sport 1001
-L -s 10.0.0.1 -p tcp --dport 81
-L -p tcp -f ipv6
-L -s 10.0.0.1 -o save
-L -o save -p sctp
-L -s 10.0.0.1 -u ASSURED -p tcp
-L -z -f ipv6
-L dying
-L unconfirmed
-L -p tcp --sport 1001 -z
-G -s 10.0.0.1 -d 10.0.1.1 -p tcp --sport 1001 --dport 80
-G -s 10.0.0.1 -d 10.0.1.1 -p tcp --sport 1001 --dport 81
-G -s 10.0.0.1 -d 10.0.1.1 -p tcp --sport 1001 --dport 80 -o xml
-G -s 10.0.0.1 -d 10.0.1.1 -p tcp --sport 1001 --dport 80 -o save
-G -s 10.0.0.1 -d 10.0.1.1 -p tcp --sport 1001 --dport 80 -o extended,id
-G -r 10.0.1.1 -q 10.0.0.1 -p tcp --reply-port-src 80 --reply-port-dst 1001
-G -s 10.0.0.8 -d 10.0.1.1 -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 77
-G -s fd00::1 -d fd00::2 -p tcp --sport 1000 --dport 443
-G -s 10.0.0.8 -d 10.0.1.1 -p gre --srckey 5 --dstkey 6
-C
LINES

table_unchanged "listing changed nothing"

tap_done
