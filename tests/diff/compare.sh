# Running the command table through both binaries and comparing.
# Source after corpus.sh.  See conntrack-diff.sh for the rules.

NORMALIZE="$PY $DIFF_SRC/normalize.py"
ATTEMPTS=5

T_KIND=()
T_NAME=()
T_ARGS=()
T_REFARGS=()
T_FIX=()

# diff_load_table FILE: the lines, in the order they run: read-only lines
# first (on the corpus), then event lines, then table-changing lines (which
# rebuild tables and so end the corpus).
diff_load_table() {
    local phase kind name rest args refargs fix duplicate
    duplicate=$(awk '$1 !~ /^(#|$)/ { print $2 }' "$1" | sort | uniq -d | head -n 1)
    [ -z "$duplicate" ] || bail "the command table names $duplicate twice"
    for phase in ro ev rw; do
        while read -r kind name rest; do
            case $kind in ''|'#'*) continue ;; esac
            [ "${kind%%:*}" = "$phase" ] || continue
            if [ -n "$SELECT" ] && ! [[ $name =~ $SELECT ]]; then
                continue
            fi
            fix=
            # (a line with no arguments has the marker right after its name)
            if [[ " $rest" == *' %%fix '* ]]; then
                fix=${rest##*%%fix }
                rest=" $rest"
                rest=${rest% %%fix *}
                rest=${rest# }
                [ "$SELF_MODE" -eq 1 ] && fix=
            fi
            args=$rest
            refargs=$rest
            if [[ $rest == *' %% '* ]]; then
                args=${rest%% %% *}
                refargs=${rest#* %% }
                [ "$SELF_MODE" -eq 1 ] && refargs=$args
            fi
            T_KIND+=("$kind")
            T_NAME+=("$name")
            T_ARGS+=("$args")
            T_REFARGS+=("$refargs")
            T_FIX+=("$fix")
        done < "$1"
    done
    [ ${#T_NAME[@]} -gt 0 ] || bail "no command line selected from $1"
}

# run_in NS OUTDIR BINARY ARGS: the command line (shell words, may use
# $DATA and a `< FILE` redirection) in namespace NS, through its runner.
# Both binaries get "conntrack" as argv[0], as when run from PATH: the
# usage text shows it.
run_in() {
    local ns=$1 out=$2 bin=$3 args=$4 q qbin qname qkind
    printf -v q %q "$out"
    printf -v qbin %q "$bin"
    printf -v qname %q "${DIFF_LINE_NAME:-}"
    printf -v qkind %q "${DIFF_KIND:-}"
    runner_do "$ns" "mkdir -p $q; export DIFF_LINE_NAME=$qname DIFF_KIND=$qkind; (exec -a conntrack $qbin < /dev/null $args > $q/stdout 2> $q/stderr); echo \$? > $q/status"
}

# The table after a table-changing command, as the reference shows it.
dump_state() { # ns outdir
    local ref q
    printf -v ref %q "$REFERENCE_CONNTRACK"
    printf -v q %q "$2/table"
    runner_do "$1" "{ $ref -L -o extended,labels; $ref -L expect; $ref -L expect -f ipv6; } > $q 2> /dev/null"
}

normalize_outputs() { # mode dir...
    local mode=$1 dir files=()
    shift
    for dir in "$@"; do
        files+=("$dir/stdout" "$dir/stderr")
        [ -f "$dir/table" ] && files+=("$dir/table")
    done
    # Most outputs have nothing to replace: skip starting Python for them.
    if [ "$mode" = table ] && ! grep -qsE 'id=|<id>|\[(start|stop)=|<timestamp>' "${files[@]}"; then
        return 0
    fi
    $NORMALIZE "$mode" "$@" || bail "normalize.py failed"
}

# apply_fix DIR: the reference's outputs in DIR as 1.4.9 prints them,
# where the line asks for it (CUR_FIX, from " %%fix NAMES"; see
# normalize.py for each fix).
CUR_FIX=
apply_fix() {
    [ -n "$CUR_FIX" ] || return 0
    $NORMALIZE fix "$CUR_FIX" "$1" || bail "normalize.py fix $CUR_FIX failed"
}

# run_sound DIR: the run itself went as planned: it has an exit status,
# the namespace wrapper did not fail (125), and an event run has no notes
# (a listener that never subscribed, a scenario that failed or timed out).
# An unsound run never counts as equal to anything.
run_sound() {
    local first second
    [ -s "$1/status" ] || return 1
    { read -r first; read -r second; } < "$1/status"
    [ "$first" != 125 ] && [ -z "$second" ]
}

same_outputs() { # dirA dirB
    local f
    run_sound "$1" && run_sound "$2" || return 1
    for f in stdout stderr status table; do
        [ -f "$1/$f" ] || [ -f "$2/$f" ] || continue
        cmp -s "$1/$f" "$2/$f" || return 1
    done
    return 0
}

# The diff shown when a line fails: each part that differs.
show_difference() { # refdir ourdir
    local f
    for f in status stdout stderr table; do
        [ -f "$1/$f" ] || [ -f "$2/$f" ] || continue
        if ! cmp -s "$1/$f" "$2/$f"; then
            tap_diag "--- $f differs (reference, ours):"
            diff -u --label "reference $f" --label "ours $f" "$1/$f" "$2/$f" | head -n 60 | tap_diag_stream
        fi
    done
}

tap_diag_stream() { sed 's/^/# /'; }

# When a read-only line may start: not within RUN_MS of a moment when
# the corpus's numbers change, i.e. when its timers tick (ARM_FROM_MS to
# ARM_TO_MS of each second) or the wall-clock second changes (delta-time).
# QUIET[slot] is 1 when a start in that 10 ms slot of the second is fine.
RUN_MS=150
QUIET=()
plan_quiet_moments() {
    local slot ms t busy
    for slot in $(seq 0 99); do
        busy=0
        for t in $(seq 0 10 "$RUN_MS"); do
            ms=$(( (slot * 10 + t) % 1000 ))
            if [ $(( (ms - ARM_FROM_MS + 1000 + 20) % 1000 )) -le $(( (ARM_TO_MS - ARM_FROM_MS + 1000) % 1000 + 50 )) ] ||
               [ "$ms" -ge 980 ] || [ "$ms" -lt 20 ]; then
                busy=1
                break
            fi
        done
        QUIET[$slot]=$((1 - busy))
    done
}

wait_quiet_moment() {
    [ ${#QUIET[@]} -eq 100 ] || plan_quiet_moments
    while :; do
        second_ms
        [ "${QUIET[$((REPLY / 10))]}" -eq 1 ] && return 0
        nap 0.01
    done
}

report() { # name result kind refdir
    [ -n "$REPORT" ] || return 0
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" \
        "$(wc -c < "$4/stdout")" "$(wc -c < "$4/stderr")" "$(cat "$4/status")" >> "$REPORT"
}

# compare_line PREPARE RUNNER KIND NAME ARGS REFARGS: RUNNER OUTDIR BINARY
# ARGS makes one run; PREPARE starts each attempt.  Ours must equal the
# reference run just before or just after it.  When it equals neither and
# those two are equal, nothing moved in the table while ours ran: the
# difference is real and the line fails at once; otherwise (a timer ticked,
# the machine was slow) the attempt is repeated.  Table-changing lines are
# the exception (below).
compare_line() {
    local prepare=$1 runner=$2 kind=$3 name=$4 args=$5 refargs=$6 dir attempt
    for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
        dir="$DIFF_WORK/run/$name.$attempt"
        $prepare
        $runner "$dir/ref" "$REF" "$refargs"
        apply_fix "$dir/ref"
        $runner "$dir/ours" "$OURS" "$args"
        if same_outputs "$dir/ref" "$dir/ours"; then
            pass_line "$name" "$kind" "$args" "$dir/ref"
            return
        fi
        $runner "$dir/ref2" "$REF" "$refargs"
        apply_fix "$dir/ref2"
        if same_outputs "$dir/ref2" "$dir/ours"; then
            pass_line "$name" "$kind" "$args" "$dir/ref2"
            return
        fi
        # A table-changing line runs on a table rebuilt for each binary, so
        # equal reference runs prove nothing about ours's run: a table
        # rebuilt by replaying traffic (rw:nat) may come out different (a
        # delayed ACK sent apart on a busy machine adds a packet), and a
        # command that prints what it just set (-U -t 42, then a GET) shows
        # 41 when a jiffy passes in between.  There only ATTEMPTS differing
        # runs fail.
        case $kind in rw:*) continue ;; esac
        same_outputs "$dir/ref" "$dir/ref2" && break
    done
    fail_line "$name" "$kind" "$args" "$dir/ref2" "$dir/ours"
}

RO_NS=router
ro_run() { run_in "$RO_NS" "$@"; }

# One run of a table-changing line: rebuild, run, dump, normalize.
RW_FIXTURE=
rw_run() { # outdir binary args
    local ns
    ns=$(fixture_ns "$RW_FIXTURE")
    restore_fixture "$RW_FIXTURE"
    run_in "$ns" "$@"
    dump_state "$ns" "$1"
    normalize_outputs table "$1"
}

# write_argv FILE NAME KIND BINARY ARGS: what evdriver.py needs to start a
# listener, as NUL-terminated words: the line's name and kind (for its
# environment), the binary, its arguments.
write_argv() {
    local file=$1 name=$2 kind=$3 bin=$4
    eval "set -- $5"
    printf '%s\0' "$name" "$kind" "$bin" "$@" > "$file"
}

# The event lines of one scenario: every listener, ours and the
# reference's for every line, runs at once during one run of the scenario,
# so each pair sees the very same events and a difference is a real one.
run_events() { # scenario indexes...
    local scenario=$1 i dir sides=()
    shift
    for i in "$@"; do
        dir="$DIFF_WORK/run/${T_NAME[$i]}.1"
        mkdir -p "$dir/ref" "$dir/ours"
        write_argv "$dir/ref/argv" "${T_NAME[$i]}" "${T_KIND[$i]}" "$REF" "${T_REFARGS[$i]}"
        write_argv "$dir/ours/argv" "${T_NAME[$i]}" "${T_KIND[$i]}" "$OURS" "${T_ARGS[$i]}"
        sides+=("${T_NAME[$i]}.1/ref" "${T_NAME[$i]}.1/ours")
    done
    run_event_scenario "$scenario" "$DIFF_WORK/run" "${sides[@]}" ||
        tap_diag "the event scenario $scenario failed (status $?)"
    for i in "$@"; do
        dir="$DIFF_WORK/run/${T_NAME[$i]}.1"
        normalize_outputs events "$dir/ref" "$dir/ours"
        CUR_FIX=${T_FIX[$i]}
        apply_fix "$dir/ref"
        if same_outputs "$dir/ref" "$dir/ours"; then
            pass_line "${T_NAME[$i]}" "${T_KIND[$i]}" "${T_ARGS[$i]}" "$dir/ref"
        else
            fail_line "${T_NAME[$i]}" "${T_KIND[$i]}" "${T_ARGS[$i]}" "$dir/ref" "$dir/ours"
        fi
    done
}

pass_line() { # name kind args refdir
    _tap_result 0 "$1: conntrack $3"
    report "$1" ok "$2" "$4"
}

fail_line() { # name kind args refdir ourdir
    _tap_result 1 "$1: conntrack $3"
    run_sound "$4" || tap_diag "the reference's run did not go as planned:" "$(cat "$4/status" 2>/dev/null)"
    show_difference "$4" "$5"
    report "$1" "not ok" "$2" "$4"
}

diff_run_table() {
    local i kind released=0 scenario
    local -A events_of
    for i in "${!T_NAME[@]}"; do
        kind=${T_KIND[$i]}
        [[ $kind == ev:* ]] && events_of[${kind#ev:}]+=" $i"
    done
    for i in "${!T_NAME[@]}"; do
        kind=${T_KIND[$i]}
        # Seen by both binaries: the harness's own test (mutant.py) uses them.
        export DIFF_LINE_NAME="${T_NAME[$i]}" DIFF_KIND="$kind"
        CUR_FIX=${T_FIX[$i]}
        case $kind in
        ro|ro:empty)
            RO_NS=router
            [ "$kind" = ro:empty ] && RO_NS=rw
            compare_line wait_quiet_moment ro_run "$kind" "${T_NAME[$i]}" "${T_ARGS[$i]}" "${T_REFARGS[$i]}" ;;
        ev:*)
            # All the lines of a scenario at once, when its first one comes.
            scenario=${kind#ev:}
            if [ -n "${events_of[$scenario]:-}" ]; then
                # shellcheck disable=SC2086
                run_events "$scenario" ${events_of[$scenario]}
                events_of[$scenario]=
            fi ;;
        rw:*)
            if [ "$released" -eq 0 ]; then
                diff_start_rw_phase
                released=1
            fi
            RW_FIXTURE=${kind#rw:}
            compare_line true rw_run "$kind" "${T_NAME[$i]}" "${T_ARGS[$i]}" "${T_REFARGS[$i]}" ;;
        *)
            bail "unknown kind $kind in the command table" ;;
        esac
    done
}
