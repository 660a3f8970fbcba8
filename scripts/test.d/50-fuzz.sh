# Every fuzz target for a short, bounded time (FUZZ_SECONDS, default 30 s each), so a regression
# that makes any input panic or break an oracle fails the run. Needs the nightly toolchain and
# cargo-fuzz: both are installed when missing. Crashing inputs are left in fuzz/artifacts/.
# Longer runs: docs/hardening.md#fuzzing.
#
# Built without a sanitizer by default (FUZZ_SANITIZER=address to change): the project has no
# unsafe code, panics and oracle failures are caught either way, and the build takes half the
# time, which keeps this step near five minutes from a cold start.
set -euo pipefail
seconds="${FUZZ_SECONDS:-30}"
sanitizer="${FUZZ_SANITIZER:-none}"

source scripts/tools.sh
need_cargo_fuzz

started=$SECONDS
cargo +nightly fuzz build -O -s "$sanitizer"
echo "50-fuzz: built every target in $((SECONDS - started)) s"

# Extra seed directories, read but never written: the committed seeds and the event fixtures.
seeds_for() {
  case "$1" in
    handler_bytes | alb_response) echo "fuzz/seeds/$1 events" ;;
    *) echo "fuzz/seeds/$1" ;;
  esac
}

# Every file of fuzz/fuzz_targets/ must be a listed target, and the list must not be empty: a
# step that ran fewer targets than exist has not passed.
mapfile -t targets < <(cargo +nightly fuzz list)
mapfile -t files < <(cd fuzz/fuzz_targets && ls -- *.rs | sed 's/\.rs$//')
if ((${#targets[@]} == 0)); then
  echo "50-fuzz: cargo fuzz list names no target" >&2
  exit 1
fi
if [ "$(printf '%s\n' "${targets[@]}" | sort)" != "$(printf '%s\n' "${files[@]}" | sort)" ]; then
  echo "50-fuzz: the listed targets (${targets[*]}) are not the files of fuzz/fuzz_targets (${files[*]})" >&2
  exit 1
fi

ran=0
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target"
  log="fuzz/artifacts/$target.log"
  mkdir -p fuzz/artifacts
  # shellcheck disable=SC2046
  if ! timeout $((seconds + 120)) cargo +nightly fuzz run -O -s "$sanitizer" "$target" "fuzz/corpus/$target" \
    $(seeds_for "$target") -- -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "50-fuzz: $target failed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  # A target that executed no input (or whose run printed no statistics) tested nothing.
  if ! [[ "$execs" =~ ^[0-9]+$ ]] || ((execs == 0)); then
    tail -n 20 "$log" >&2
    echo "50-fuzz: $target executed ${execs:-no} inputs (no final statistics in $log)" >&2
    exit 1
  fi
  echo "50-fuzz: $target: ${execs} runs in ${seconds} s (${rate:-?}/s), no crash"
  ran=$((ran + 1))
done
echo "50-fuzz: ${ran} of ${#targets[@]} targets ran and executed inputs"
