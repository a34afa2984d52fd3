# Timings of a real-server test run, shared by scripts/invenio-rdm/test-real.sh and
# scripts/oarepo-nrp/test-real.sh (sourced, not run).

# Seconds since the epoch, with a fraction.
run_now() { date +%s.%N; }
# Whole seconds from $1 to $2.
run_secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", b - a }'; }

# run_summary LABEL VENV_STATE T0 T_SETUP T_STARTED T_TESTS: one line on stderr with the phases'
# durations; a phase that did not end (empty time) shows as "-".
run_summary() {
  local end
  end=$(run_now)
  printf '\n[%s] real-server run (%s): setup %s s, start %s s, tests %s s, total %s s\n' \
    "$1" "$2" "$(run_secs "$3" "$4")" \
    "$([[ -n "$5" ]] && run_secs "$4" "$5" || echo -)" \
    "$([[ -n "$6" ]] && run_secs "$5" "$6" || echo -)" \
    "$(run_secs "$3" "$end")" >&2
}
