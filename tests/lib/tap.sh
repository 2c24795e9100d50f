# Minimal TAP producer for shell tests.  Source it, call the checks, and end
# with tap_done (which prints the plan).  Every check is one test point, so
# the harness counts each of them.
#
#   is "$(cmd)" "expected" "what is checked"
#   ok "description" test -f file
#   like "$text" 'regex' "description"

_tap_n=0
_tap_failed=0

_tap_result() { # status description
    _tap_n=$((_tap_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $_tap_n - $2"
    else
        echo "not ok $_tap_n - $2"
        _tap_failed=$((_tap_failed + 1))
    fi
}

tap_diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

# ok DESCRIPTION COMMAND...: passes if the command exits 0.
ok() {
    local description=$1
    shift
    if "$@"; then _tap_result 0 "$description"; else _tap_result 1 "$description"; fi
}

# not_ok DESCRIPTION COMMAND...: passes if the command fails.
fails() {
    local description=$1
    shift
    if "$@"; then _tap_result 1 "$description"; else _tap_result 0 "$description"; fi
}

# is GOT EXPECTED DESCRIPTION
is() {
    if [ "$1" = "$2" ]; then
        _tap_result 0 "$3"
    else
        _tap_result 1 "$3"
        tap_diag "expected: $2" "     got: $1"
    fi
}

# like TEXT EXTENDED-REGEX DESCRIPTION
like() {
    if printf '%s\n' "$1" | grep -Eq -- "$2"; then
        _tap_result 0 "$3"
    else
        _tap_result 1 "$3"
        tap_diag "expected to match: $2" "got: $1"
    fi
}

# has TEXT FIXED-STRING DESCRIPTION: TEXT contains the string.
has() {
    if printf '%s\n' "$1" | grep -Fq -- "$2"; then
        _tap_result 0 "$3"
    else
        _tap_result 1 "$3"
        tap_diag "expected to contain: $2" "got: $1"
    fi
}

# unlike TEXT EXTENDED-REGEX DESCRIPTION
unlike() {
    if printf '%s\n' "$1" | grep -Eq -- "$2"; then
        _tap_result 1 "$3"
        tap_diag "expected not to match: $2" "got: $1"
    else
        _tap_result 0 "$3"
    fi
}

# bail REASON: the test cannot go on (counts as a failure).
bail() {
    echo "Bail out! $*"
    exit 1
}

tap_done() {
    echo "1..$_tap_n"
}
