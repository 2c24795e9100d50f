#!/bin/bash
# Each kind of config mistake stops conntrackd with one line that names the
# file and line, and nothing is started (no lock file, no socket); and
# --config-test reports every problem of a file at once.
. "$CTD_TESTS_SRCDIR/lib/tap.sh"

work=$(mktemp -d /tmp/ctd-cfgerr.XXXXXX)
trap 'rm -rf "$work"' EXIT

general="General {
	LockFile $work/lock
	UNIX {
		Path $work/ctl
	}
	Systemd off
}"

# check NAME EXPECTED-REGEX CONFIG-TEXT
check() {
    local conf="$work/$1.conf" err status
    printf '%s\n' "$3" > "$conf"
    # A daemon that wrongly starts would run forever in console mode.
    err=$(timeout 10 "$CONNTRACKD" -C "$conf" 2>&1 >/dev/null)
    status=$?
    is "$status" 1 "$1: exit status 1"
    is "$(printf '%s\n' "$err" | grep -c '\[ERROR\]')" 1 "$1: one error line"
    like "$err" "$2" "$1: the error says where and what"
    fails "$1: no lock file was created" test -e "$work/lock"
    fails "$1: no socket was created" test -e "$work/ctl"
}

check syntax "\[ERROR\] $work/syntax.conf:11: unexpected end of file in Stats block \(opened at line 8\)" "$general
Stats {
	LogFile on
"
check unknown-keyword "\[ERROR\] $work/unknown-keyword.conf:2: .*'HashSiz'" "General {
	HashSiz 8192
	LockFile $work/lock
	UNIX {
		Path $work/ctl
	}
}
Stats {
}"
check bad-value "\[ERROR\] $work/bad-value.conf:2: .*'abc'" "General {
	HashSize abc
	LockFile $work/lock
	UNIX {
		Path $work/ctl
	}
}
Stats {
}"
check missing-plugin "\[ERROR\] .*output plugin 'nosuch' not found" "$general
Stats {
	Output nosuch
}"
check undeclared-key "\[ERROR\] $work/undeclared-key.conf:10: unknown keyword 'Colour' in Stats \(expected one of: LogFile, Syslog\)" "$general
Stats {
	LogFile $work/stats.log
	Colour blue
}"
check plugin-value "\[ERROR\] $work/plugin-value.conf:10: 'LogFile' expects an absolute path, found 'on'" "$general
Stats {
	Output xml
	LogFile on
}"
check both-modes "\[ERROR\] .*Stats.*Sync|Sync.*Stats" "$general
Stats {
}
Sync {
	Mode FTFW {
	}
	UDP {
		IPv4_address 127.0.0.1
		IPv4_Destination_Address 127.0.0.2
		Port 3780
		Interface lo
	}
}"

# --config-test: every problem at once, and success for a good file.
cat > "$work/two.conf" <<EOT
$general
Stats {
	Colour blue
}
Helper {
	Type nosuchhelper inet tcp {
		QueueNum 1
	}
}
EOT
out=$("$CONNTRACKD" -C "$work/two.conf" --config-test 2>&1)
is "$?" 1 "--config-test fails for a bad file"
like "$out" "unknown keyword 'Colour'" "--config-test names the undeclared key"
like "$out" "helper plugin 'nosuchhelper' not found" "--config-test goes on to the next problem"
like "$out" "problem" "--config-test ends with a count of problems"
cat > "$work/good.conf" <<EOT
$general
Stats {
	LogFile $work/stats.log
}
EOT
out=$("$CONNTRACKD" -C "$work/good.conf" --config-test 2>&1)
is "$?" 0 "--config-test passes a good file"
is "$out" "$work/good.conf: configuration is valid" "and says so"
fails "--config-test starts nothing" test -e "$work/ctl"

tap_done
