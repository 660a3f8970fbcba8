# Sourced by the steps of scripts/test.d/ that run several independent commands. `check CMD...`
# runs one; when it fails, the step goes on with its next command, and the command is named in
# the step's output and in scripts/test's summary (through $TEST_FAILURES), so one run reports
# every broken command. `cargo_test ARGS...` is `check cargo test --no-fail-fast ARGS...` that
# also names each failed test binary. `finish` ends the step, failing when any command failed.
step_name=$(basename "$0" .sh)
step_failed=0

# Records one failure of this step.
failure() {
  step_failed=1
  echo "==> $step_name: FAILED: $*"
  if [ -n "${TEST_FAILURES:-}" ]; then
    echo "$step_name: $*" >>"$TEST_FAILURES"
  fi
}

check() {
  local status=0
  "$@" || status=$?
  ((status == 0)) || failure "$* (exit $status)"
}

# cargo stops at the first failing test binary unless told not to; with --no-fail-fast it lists
# every failed one at the end (`    \`-p NAME --test NAME\``), and each is recorded.
cargo_test() {
  local log status target
  log=$(mktemp)
  cargo test --no-fail-fast "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  if ((status)); then
    failure "cargo test --no-fail-fast $* (exit $status)"
    while read -r target; do
      failure "  test binary $target"
    done < <(sed -n '/^error: [0-9]* targets* failed:$/,$ s/^ *`\(.*\)`$/\1/p' "$log")
  fi
  rm -f "$log"
}

finish() {
  exit "$step_failed"
}
