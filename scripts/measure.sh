#!/usr/bin/env bash
# Measures the test tiers' figures (recorded, dated, in BENCHMARKS.md: "Test tiers") and writes
# each to target/measured/NAME:
#
#   bash scripts/measure.sh quick   seconds of `bash scripts/test quick` after a one-line change to
#                                   the library (a comment appended to lambda-client-ip/src/lib.rs,
#                                   removed afterwards), in a network namespace of its own with only
#                                   loopback (unshare -n, root) so that it proves the tier offline
#   bash scripts/measure.sh disk    gigabytes a full run leaves in target/, .venv/ and fuzz/target/
#
# `bash scripts/test` prints its own duration on its last lines.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/measured

case "${1:-}" in
quick)
  # Offline, where a namespace can be made; otherwise with cargo's own offline switch only.
  offline=(env CARGO_NET_OFFLINE=true)
  if unshare -n true 2>/dev/null; then
    offline=(unshare -n sh -c 'ip link set lo up && exec "$@"' sh env CARGO_NET_OFFLINE=true)
  fi
  "${offline[@]}" bash scripts/test quick >target/measured/quick-warm.log 2>&1 || true
  lib=lambda-client-ip/src/lib.rs
  cp "$lib" target/measured/lib.rs.orig
  trap 'cp target/measured/lib.rs.orig "$lib"' EXIT
  echo "// a one-line change" >>"$lib"
  started=$(date +%s)
  status=0
  "${offline[@]}" bash scripts/test quick >target/measured/quick.log 2>&1 || status=$?
  seconds=$(($(date +%s) - started))
  if [ "$status" != 0 ]; then
    tail -n 30 target/measured/quick.log >&2
    echo "measure: the quick tier failed (exit $status); nothing written" >&2
    exit 1
  fi
  echo "$seconds" >target/measured/quick
  echo "measure: quick tier after a one-line library change: $seconds s, offline (target/measured/quick)"
  ;;
disk)
  bytes=$(du -sb target .venv fuzz/target 2>/dev/null | awk '{ sum += $1 } END { print sum + 0 }')
  gigabytes=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e9 }')
  echo "$gigabytes" >target/measured/disk
  echo "measure: target/, .venv/ and fuzz/target/ hold $gigabytes GB (target/measured/disk)"
  ;;
*)
  echo "usage: bash scripts/measure.sh quick|disk" >&2
  exit 2
  ;;
esac
