#!/bin/bash
# Fail-over with NOTRACK (best effort) replication, over UDP, TCP and multicast:
# an established TCP flow survives the loss of the primary firewall.
. "$CTD_TESTS_SRCDIR/failover/scenario.sh"
fo_matrix notrack
tap_done
