#!/usr/bin/env bash
# Instructions and heap allocations per `Source::resolve` call, for every variant of
# lambda-client-ip/examples/resolver_loop.rs, as a Markdown table:
#
#   bash scripts/bench_resolver.sh
#
# Each figure is the difference between a run of 200,000 calls and one of 100,000, divided by
# 100,000, so that start-up, set-up and exit cancel out. Instructions come from callgrind's
# "Collected" line, allocations from memcheck's "total heap usage: N allocs"; neither depends on
# the machine's load. Needs valgrind.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

variants=(headers ranges socket cdn-header forwarded client-ip)
low=100000
high=200000
bin=target/release/examples/resolver_loop

cargo build --release -p lambda-client-ip --example resolver_loop

# The number valgrind's TOOL reports on the line matching PATTERN, for VARIANT at CALLS calls.
measure() {
  local tool=$1 pattern=$2 variant=$3 calls=$4 out n options=(--tool="$1")
  [[ $tool != callgrind ]] || options+=(--callgrind-out-file=/dev/null)
  out=$(valgrind "${options[@]}" "$bin" "$variant" "$calls" 2>&1) || { echo "$out" >&2; exit 1; }
  n=$(sed -n "s/^==[0-9]*== *$pattern.*/\1/p" <<<"$out" | tr -d ,)
  [[ -n $n ]] || { echo "bench_resolver: no $tool figure for $variant $calls" >&2; exit 1; }
  echo "$n"
}

# The per-call difference between HIGH and LOW calls, to DECIMALS places.
per_call() {
  local tool=$1 pattern=$2 variant=$3 decimals=$4 a b
  a=$(measure "$tool" "$pattern" "$variant" "$low")
  b=$(measure "$tool" "$pattern" "$variant" "$high")
  awk -v a="$a" -v b="$b" -v n=$((high - low)) -v d="$decimals" 'BEGIN { printf "%.*f", d, (b - a) / n }'
}

declare -A instructions
echo "| variant | instructions per call | allocations per call |"
echo "|---|---:|---:|"
for v in "${variants[@]}"; do
  instructions[$v]=$(per_call callgrind 'Collected : \([0-9]*\)' "$v" 0)
  allocs=$(per_call memcheck 'total heap usage: \([0-9,]*\) allocs' "$v" 2)
  echo "| $v | ${instructions[$v]} | $allocs |"
done
awk -v h="${instructions[headers]}" -v c="${instructions[client-ip]}" \
  'BEGIN { printf "\nheaders / client-ip: %.2f\n", h / c }'
