#!/bin/bash
# The negative check: the same fail-over without conntrackd must break the
# flow, or the positive tests would prove nothing.
. "$CTD_TESTS_SRCDIR/failover/scenario.sh"
fo_prerequisites
fo_scenario_nosync
tap_done
