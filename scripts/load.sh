#!/usr/bin/env bash
# Load test on loopback: local-alb (with the function in-process) under wrk, for a bounded time.
#
#   scripts/load.sh [SECONDS] [CONNECTIONS]      defaults: 30 s, 4 connections, 2 wrk threads
#
# Each request carries a client-written X-Forwarded-For; local-alb appends the peer and the
# function (TRUSTED_PROXY_COUNT=0) answers it, so every response must be a 200. Prints requests
# per second, p50/p99 latency, error counts and the server's RSS before, during and after, and
# writes them to target/load/summary.txt. Exits non-zero on any non-2xx response, any socket
# error, or RSS growing by more than 20 MiB between the first and last second of the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
connections="${2:-4}"
port="${LOAD_PORT:-39300}"
out=target/load
mkdir -p "$out"

source "$(dirname "$0")/tools.sh"
need_apt wrk curl
cargo build --release -p local-alb

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

target/release/local-alb --listen "127.0.0.1:$port" 2>"$out/local-alb.log" >/dev/null &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS -H 'X-Forwarded-For: 203.0.113.9' "http://127.0.0.1:$port/" | grep -q '"client_ip":"127.0.0.1"' ||
  { echo "load: local-alb does not answer as expected" >&2; exit 1; }
rss_start=$(rss "$server")

cat >"$out/request.lua" <<'LUA'
wrk.headers["X-Forwarded-For"] = "198.51.100.7, 203.0.113.9"
wrk.headers["User-Agent"] = "wrk"
LUA
# A short warm-up, so allocator pools and connection buffers exist before memory is compared.
wrk -t2 -c"$connections" -d2s -s "$out/request.lua" "http://127.0.0.1:$port/" >/dev/null
rss_warm=$(rss "$server")

: >"$out/rss.txt"
( while kill -0 "$server" 2>/dev/null; do rss "$server" >>"$out/rss.txt"; sleep 1; done ) &
sampler=$!
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$out/request.lua" \
  "http://127.0.0.1:$port/" | tee "$out/wrk.txt"
kill "$sampler" 2>/dev/null || true
rss_end=$(rss "$server")

requests=$(awk '/requests in/ {print $1}' "$out/wrk.txt")
rps=$(awk '/^Requests\/sec:/ {print $2}' "$out/wrk.txt")
p50=$(awk '$1 == "50%" {print $2}' "$out/wrk.txt")
p99=$(awk '$1 == "99%" {print $2}' "$out/wrk.txt")
non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out/wrk.txt")
socket=$(awk -F'[ ,]+' '/Socket errors:/ {print $5 + $7 + $9 + $11}' "$out/wrk.txt")
first=$(head -n 1 "$out/rss.txt")
last=$(tail -n 1 "$out/rss.txt")
peak=$(sort -n "$out/rss.txt" | tail -n 1)

tee "$out/summary.txt" <<SUMMARY
load: ${seconds} s, ${connections} connections, 2 wrk threads, loopback
load: ${requests} requests, ${rps} requests/s, p50 ${p50}, p99 ${p99}
load: non-2xx ${non2xx:-0}, socket errors ${socket:-0}
load: RSS KiB: idle ${rss_start}, after warm-up ${rss_warm}, first second ${first}, last second ${last}, peak ${peak}, after ${rss_end}
SUMMARY

status=0
if [ "${non2xx:-0}" != 0 ] || [ "${socket:-0}" != 0 ]; then
  echo "load: FAILED: errors under load" >&2
  status=1
fi
if [ $((last - first)) -gt $((20 * 1024)) ]; then
  echo "load: FAILED: RSS grew from ${first} to ${last} KiB during the run" >&2
  status=1
fi
exit "$status"
