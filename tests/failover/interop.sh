#!/bin/bash
# Interoperability: the reference daemon on one firewall, ours on the
# other, in both directions (the reference's primary failing over to ours,
# and ours failing over to the reference), for FT-FW over UDP and NOTRACK
# over TCP (FO_INTEROP="ftfw/udp notrack/tcp alarm/mcast" to add more).
# Each run also checks, with `conntrackd -e' on each side, that each
# daemon received what the other sent.
. "$CTD_TESTS_SRCDIR/failover/scenario.sh"
combinations=${FO_INTEROP:-"ftfw/udp notrack/tcp"}
fo_prerequisites
for combination in $combinations; do
    for pair in ref:ours ours:ref; do
        fo_scenario "${combination%/*}" "${combination#*/}" "${pair%%:*}" "${pair##*:}"
    done
done
tap_done
