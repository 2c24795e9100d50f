#!/bin/bash
# Bad command lines: ours prints the reference's message and exits with its
# status, and neither the table nor the expectations change.
. "$CTD_TESTS_SRCDIR/cli/cli-lib.sh"

populate_table
remember_table

while IFS= read -r line; do
    case $line in ''|'#'*) continue ;; esac
    eval "set -- $line"
    same_as_reference "conntrack $line: as the reference" "$@"
    table_unchanged "conntrack $line: table unchanged"
done <<'LINES'
# getopt
-X
-L --foo
-L --foo=bar
-L -s
--src
-zs
-L --reply 1.2.3.4
-L --re 1.2.3.4
-L --s 1.1.1.1
-L --zero=5
-L -p tcp --d 5
-L -p tcp --sp
-L --sport 5 -p tcp
-L -p tcp -p tcp --sp 1
-R
--load-file
-L -R x
--stat
--c
--ev
-xL
foo -xL
# commands and tables
-L -L
-I -D
-h -L
-Vh
-S foo
-C dying
-I dying
-D unconfirmed
-U expect
-A expect
-U -A expect
-L conntrackx
# legality
-s 1.2.3.4
-n
-L -t 10
-L -i 1
-D -j
-D -c 1
-U -w 1
-F -s 1.1.1.1
-F expect -f ipv4
-E -u ASSURED
-C -o xml
-S -s 1.1.1.1
-V -p tcp
-I
-I -p tcp -t 10
-I -p tcp -t 10 -r 2.2.2.2
-I -p tcp -t 10 -s 1.1.1.1 -d 2.2.2.2
-I -p tcp -t 10 -s 1.1.1.1 -d 2.2.2.2 --state ESTABLISHED --reply-port-src 1
-I -p tcp -t 10 -s 1.1.1.1 -d 2.2.2.2 --state ESTABLISHED --sport 1 --dport 2 --mask-port-src 1
-I -s 1.1.1.1/24 -d 2.2.2.2 -p tcp -t 5 --sport 1 --dport 2 --state ESTABLISHED
-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p sctp --sport 1 --dport 2 --state ESTABLISHED
-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p dccp --sport 1 --dport 2 --state OPEN --role x
-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p gre --reply-key-src 1
-I -s 1.1.1.1 -d 2.2.2.2 -t 10 -p icmp --icmp-type 8
-G -p tcp
-G -s 1.1.1.1/24 -d 2.2.2.2 -p tcp --sport 1 --dport 2
-I expect -s 1.1.1.1 -d 2.2.2.2 -p tcp -t 10
-D expect -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 1 --dport 2
-D expect -s 1.1.1.1 -d 2.2.2.2 -p tcp -t 10
-L -p tcp -p udp --state ESTABLISHED
# values
-L -p tcp --state FOO
-L -p dccp --state FOO
-L -p 300
-L -p 6x
-D -p ""
-L -s garbage
-D -s 1.2.3.4/33
-U -s x/8
-L -r 1.1.1.1/24
-D -s 1.1.1.1 -d ::1
-U -f ipv6 -s 1.1.1.1
-D -n 1.1.1.1:x
-D -n [::1
-D -n []:5
-L -n ::1/64
-D -j -g
-L -u ASSURED,FOO,SEEN
-D -u !!ASSURED
-E -e new,x
-L -o xml,save
-L -o FOO
-L -f ip
-L -z -s 1.1.1.1
-D --mask-src 255.0.0.0
-U --mask-dst 255.0.0.0
LINES

tap_done
