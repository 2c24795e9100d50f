#!/bin/bash
# The example plugin in examples/output-plugin builds against the installed
# SDK in a temporary prefix with pkg-config alone, with g++ and with
# clang++, and both builds load into the (g++-built) core and work.
. "$CTD_TESTS_SRCDIR/lib/tap.sh"
. "$CTD_TESTS_SRCDIR/lib/netns.sh"

work=$(mktemp -d /tmp/ctd-sdk-test.XXXXXX)
trap 'ns_cleanup; rm -rf "$work"' EXIT
root="$work/root"

"$MAKE" -s -C "$CTD_TOP_BUILDDIR/include" install DESTDIR="$root" > "$work/install.log" 2>&1
ok "the SDK installs into a temporary root" test $? -eq 0 || tap_diag "$(cat "$work/install.log")"

pc=$(find "$root" -name conntrackd-plugin.pc | head -n 1)
ok "the SDK installs conntrackd-plugin.pc" test -n "$pc"
export PKG_CONFIG_PATH=$(dirname "$pc")
# The .pc names the configured prefix; --define-prefix relocates it to where
# it was actually installed, as for any relocatable pkg-config package.
export PKG_CONFIG="pkg-config --define-prefix"
plugindir=$($PKG_CONFIG --variable=plugindir conntrackd-plugin)
# The ABI the installed SDK says it is; the plugin built with it must say so too.
minor=$($PKG_CONFIG --variable=abi_minor conntrackd-plugin)
like "$plugindir" "^$root/" "pkg-config gives the plugin directory inside the temporary prefix"
like "$($PKG_CONFIG --cflags conntrackd-plugin)" "^-I$root/.*/include" "pkg-config gives the SDK's include directory"
ok "the installed headers are all a plugin needs" test -f "$($PKG_CONFIG --variable=includedir conntrackd-plugin)/conntrackd/plugin.hpp"

for compiler in g++ clang++; do
    if ! command -v $compiler > /dev/null; then
        _tap_result 1 "$compiler is installed"
        continue
    fi
    src="$work/src-$compiler"
    cp -r "$CTD_TOP_SRCDIR/examples/output-plugin" "$src"
    chmod -R u+w "$src"
    rm -f "$src/ct_output_csv.so"
    dest="$work/plugins-$compiler"
    make -s -C "$src" CXX=$compiler CXXFLAGS="-O2 -Werror" > "$work/build-$compiler.log" 2>&1
    ok "$compiler builds the example warning-free from the installed SDK" test $? -eq 0 || tap_diag "$(cat "$work/build-$compiler.log")"
    make -s -C "$src" install DESTDIR= PLUGINDIR="$dest" > /dev/null 2>&1
    so="$dest/ct_output_csv.so"
    ok "$compiler: the plugin installs into the plugin directory" test -f "$so"
    exported=$(nm -D --defined-only "$so" | awk '{print $3}' | tr '\n' ' ')
    is "$exported" "ctd_plugin_entry " "$compiler: the plugin exports exactly one symbol"
    if [ $compiler = clang++ ]; then
        like "$(readelf -p .comment "$so" 2>/dev/null)" "clang" "the clang++ build really was made by clang"
    fi

    info=$(CONNTRACKD_PLUGIN_DIR="$dest" "$CONNTRACKD" --plugin-info output/csv 2>&1)
    ok "$compiler: conntrackd --plugin-info loads it" test $? -eq 0
    like "$info" "^name: +csv$" "$compiler: its name is csv"
    like "$info" "^ABI: +1\.$minor " "$compiler: it was built for ABI 1.$minor (this tree's)"
    like "$info" "File +path, required" "$compiler: its keywords are listed"

    csv="$work/flows-$compiler.csv"
    out=$("$CTD_TESTS_BUILDDIR/sdk/plugin-driver" "$dest" csv 3 "File=$csv" 2>"$work/driver.err")
    ok "$compiler: the core drives the plugin" test $? -eq 0 || tap_diag "$(cat "$work/driver.err")"
    has "$out" "[info] output/csv: writing flows to $csv" "$compiler: the plugin logs through the core, under its name"
    like "$out" "^output/csv csv_lines=3$" "$compiler: the plugin's counter reached the core"
    expected="end_us,l4proto,src,dst,sport,dport,packets,bytes
1764290000000000,6,10.0.0.1,10.0.0.2,1000,80,3,150
1764290001000000,6,10.0.0.1,10.0.0.2,1001,80,3,151
1764290002000000,6,10.0.0.1,10.0.0.2,1002,80,3,152"
    is "$(cat "$csv")" "$expected" "$compiler: the plugin wrote the flows"

    # And inside the daemon itself: a stats-mode conntrackd whose output is
    # the out-of-tree plugin, fed by flows that end in a namespace.
    ns_new "stats-$compiler"
    daemon_csv="$work/daemon-$compiler.csv"
    cat > "$work/csv-$compiler.conf" <<EOT
General {
	LockFile $work/$compiler.lock
	UNIX {
		Path $work/$compiler.ctl
	}
	Systemd off
}
Stats {
	Output csv
	File $daemon_csv
	Header off
}
EOT
    CONNTRACKD_PLUGIN_DIR="$dest" ns_exec "stats-$compiler" "$CONNTRACKD" -C "$work/csv-$compiler.conf" -d
    ok "$compiler: a stats daemon runs with the plugin as its output" test $? -eq 0
    ns_exec "stats-$compiler" conntrack -I -p udp -s 192.0.2.1 -d 192.0.2.2 --sport 5000 --dport 53 -t 60 > /dev/null 2>&1
    ns_exec "stats-$compiler" conntrack -I -p tcp -s 192.0.2.1 -d 192.0.2.3 --sport 4000 --dport 80 --state ESTABLISHED -t 60 > /dev/null 2>&1
    ns_exec "stats-$compiler" conntrack -F > /dev/null 2>&1
    for _ in $(seq 50); do [ "$(wc -l < "$daemon_csv" 2>/dev/null)" = 2 ] && break; sleep 0.1; done
    like "$(cat "$daemon_csv")" "^[0-9]+,17,192\.0\.2\.1,192\.0\.2\.2,5000,53,0,0$" "$compiler: the daemon wrote the ended UDP flow through the plugin"
    like "$(cat "$daemon_csv")" "^[0-9]+,6,192\.0\.2\.1,192\.0\.2\.3,4000,80,0,0$" "$compiler: and the TCP flow"
    CONNTRACKD_PLUGIN_DIR="$dest" ns_exec "stats-$compiler" "$CONNTRACKD" -C "$work/csv-$compiler.conf" -k
done

tap_done
