#!/bin/bash
# Fail-over with ALARM (periodic refresh) replication, over UDP, TCP and multicast:
# an established TCP flow survives the loss of the primary firewall.
. "$CTD_TESTS_SRCDIR/failover/scenario.sh"
fo_matrix alarm
tap_done
