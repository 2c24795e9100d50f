#!/bin/bash
# Fail-over with FT-FW (reliable) replication, over UDP, TCP and multicast:
# an established TCP flow survives the loss of the primary firewall.
. "$CTD_TESTS_SRCDIR/failover/scenario.sh"
fo_matrix ftfw
tap_done
