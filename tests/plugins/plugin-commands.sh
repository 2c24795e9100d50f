#!/bin/bash
# conntrackd --plugins and --plugin-info: listing, describing, and the exact
# refusal (message and exit status) for each broken fixture.
. "$CTD_TESTS_SRCDIR/lib/tap.sh"

fx="$CTD_FIXTURES"
# The ABI minor this tree is at (plugins and fixtures are built with it).
minor=$(sed -n 's/^#define CTD_PLUGIN_ABI_MINOR \([0-9]*\)$/\1/p' "$CTD_TOP_SRCDIR/include/conntrackd/plugin.h")
[ -n "$minor" ] || bail "cannot read CTD_PLUGIN_ABI_MINOR from plugin.h"
# The message of an [ERROR] log line, without the time and pid.
error_of() { sed -n 's/^\[[^]]*\] (pid=[0-9]*) \[ERROR\] //p'; }

# --- the real plugins ------------------------------------------------------
list=$("$CONNTRACKD" --plugins)
ok "--plugins succeeds when every plugin is sound" test $? -eq 0
like "$list" "^KIND +NAME +VERSION +ABI +FILE$" "--plugins prints a header"
like "$list" "^output +flowlog +1\.0\.0 +1\.$minor +$CONNTRACKD_PLUGIN_DIR/ct_output_flowlog\.so$" "--plugins lists flowlog with version and ABI"
like "$list" "^output +xml +1\.0\.0 +1\.$minor +" "--plugins lists xml"

# Every in-tree plugin exports its entry function and nothing else.
for so in "$CONNTRACKD_PLUGIN_DIR"/ct_*.so; do
    is "$(nm -D --defined-only "$so" | awk '{print $3}' | tr '\n' ' ')" "ctd_plugin_entry " \
        "$(basename "$so") exports only ctd_plugin_entry"
done

info=$("$CONNTRACKD" --plugin-info output/flowlog)
ok "--plugin-info output/flowlog succeeds" test $? -eq 0
like "$info" "^description: flow log in the reference's text format" "--plugin-info shows the description"
like "$info" "^  LogFile +word, default off$" "--plugin-info shows the LogFile keyword"
like "$info" "^  Syslog +word, default off$" "--plugin-info shows the Syslog keyword"
info=$("$CONNTRACKD" --plugin-info output:xml)
like "$info" "^  LogFile +path, default /var/log/conntrackd-stats.xml$" "KIND:NAME works too"

err=$("$CONNTRACKD" --plugin-info bogus/x 2>&1 >/dev/null | error_of)
is "$err" "--plugin-info takes KIND/NAME with KIND one of sync, transport, helper, output; got \`bogus/x'" "a bad kind is explained"

# --- each loader failure, through the daemon ------------------------------
refuse() { # kind/name expected-status expected-message description
    local err status
    err=$(CONNTRACKD_PLUGIN_DIR="$fx" "$CONNTRACKD" --plugin-info "$1" 2>&1 >/dev/null)
    status=$?
    is "$status" "$2" "$4: exit status $2"
    is "$(echo "$err" | error_of)" "$3" "$4: message"
}

refuse output/absent 10 "output plugin 'absent' not found; tried $fx/ct_output_absent.so; available output plugins: garbage, good, initfail, major, minor, misnamed, noentry, nowrite, nulldesc, small, unresolved" "not found"
refuse output/garbage 11 "cannot load plugin $fx/ct_output_garbage.so: $fx/ct_output_garbage.so: invalid ELF header (check its library dependencies with: ldd $fx/ct_output_garbage.so)" "not loadable"
refuse output/unresolved 11 "cannot load plugin $fx/ct_output_unresolved.so: $fx/ct_output_unresolved.so: undefined symbol: ctd_fixture_symbol_that_does_not_exist (check its library dependencies with: ldd $fx/ct_output_unresolved.so)" "missing symbol"
refuse output/noentry 12 "plugin $fx/ct_output_noentry.so has no entry function ctd_plugin_entry(): it is not a conntrackd plugin, or it was not built with the SDK's CTD_*_PLUGIN macro" "no entry symbol"
refuse output/nulldesc 13 "plugin $fx/ct_output_nulldesc.so: its entry function returned no descriptor" "no descriptor"
refuse output/major 14 "plugin $fx/ct_output_major.so was built for plugin ABI 2.$minor, but this conntrackd has ABI 1.$minor: the major versions differ; rebuild the plugin against this conntrackd's SDK" "ABI major differs"
refuse output/minor 15 "plugin $fx/ct_output_minor.so needs plugin ABI 1.$((minor + 1)), newer than this conntrackd's ABI 1.$minor: upgrade conntrackd or rebuild the plugin against its SDK" "ABI minor newer"
refuse sync/kind 16 "plugin $fx/ct_sync_kind.so is an output plugin, but a sync plugin was asked for" "wrong kind"
refuse output/misnamed 17 "plugin $fx/ct_output_misnamed.so calls itself 'othername', but its file name says 'misnamed'" "wrong name"
refuse output/initfail 19 "output plugin 'initfail' ($fx/ct_output_initfail.so) failed to initialise: fixture refuses to start: no coffee" "init failed"

dup=$(mktemp -d /tmp/ctd-dup.XXXXXX)
trap 'rm -rf "$dup"' EXIT
ln -s "$fx/ct_output_good.so" "$dup/ct_output_good.so"
err=$(CONNTRACKD_PLUGIN_DIR="$fx" "$CONNTRACKD" --plugin-dir "$dup" --plugin-info output/good 2>&1 >/dev/null)
is "$?" 18 "duplicate name: exit status 18"
is "$(echo "$err" | error_of)" "output plugin 'good' is provided twice: $dup/ct_output_good.so and $fx/ct_output_good.so; remove one of them so it is clear which one runs" "duplicate name: message"

# The init log line of the refusing fixture carries the plugin's name.
out=$(CONNTRACKD_PLUGIN_DIR="$fx" "$CONNTRACKD" --plugin-info output/initfail 2>/dev/null)
like "$out" "\[notice\] output/initfail: fixture init runs and refuses$" "plugin log lines name the plugin"

# --- listing the fixtures: broken ones are flagged, status 1 ---------------
list=$(CONNTRACKD_PLUGIN_DIR="$fx" "$CONNTRACKD" --plugin-dir "$dup" --plugins)
is "$?" 1 "--plugins fails when a plugin is broken"
like "$list" "^output +good +BROKEN +- +$dup/ct_output_good.so$" "a duplicated plugin is flagged"
like "$list" "error: duplicate: .*provided more than once" "the duplicate is explained"
like "$list" "^output +major +BROKEN" "the ABI-major fixture is flagged"
like "$list" "error: abi-major: plugin $fx/ct_output_major.so was built for plugin ABI 2.$minor" "its error is shown"
like "$list" "^sync +kind +BROKEN" "the wrong-kind fixture is flagged"
like "$list" "^output +initfail +0\.0\.1 +1\.$minor " "listing does not initialise plugins (initfail looks sound)"

tap_done
