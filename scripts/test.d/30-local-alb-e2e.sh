# End-to-end tests of local-alb with real processes: clients bound to distinct loopback source
# addresses, a real nginx in front (the "same IP for every machine" bug, reproduced and fixed),
# two network namespaces as two machines, a stand-in Invoke API for every 502/504 case, and
# `cargo lambda watch` behind `local-alb --lambda-url`.
#
# Traffic goes only to 127.0.0.0/8, ::1, and namespaces this script creates. Every server it
# starts is stopped by the EXIT trap; every request loop is bounded in count and time.
# Runs unattended (CI=true, no stdin) as root on a fresh Debian machine; installs nginx and
# cargo-lambda when they are missing (scripts/tools.sh). Idempotent: all state lives in a fresh temp directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
source scripts/tools.sh
E2E=$ROOT/scripts/e2e
WORK=$(mktemp -d /tmp/local-alb-e2e.XXXXXX)
PIDS=()
NAMESPACES=()
STARTED=$SECONDS

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  local ns
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { echo "--- $* ($((SECONDS - STARTED)) s)"; }
fail() {
  echo "FAIL: $*" >&2
  local log
  for log in "$WORK"/*.log; do
    [ -f "$log" ] || continue
    echo "--- last lines of ${log#"$WORK"/}" >&2
    tail -n 15 "$log" >&2
  done
  exit 1
}
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_for_line FILE TEXT SECONDS PID
wait_for_line() {
  local i
  for i in $(seq $(($3 * 10))); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    kill -0 "$4" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
# start_alb NAME [VAR=VALUE...] -- [local-alb options...]: starts local-alb in the background with
# only the given function configuration, logs in $WORK/NAME.log, and waits until it listens.
start_alb() {
  local name=$1
  shift
  local vars=()
  while [ "$1" != "--" ]; do vars+=("$1"); shift; done
  shift
  env -u TRUSTED_PROXY_COUNT -u TRUSTED_PROXY_CIDRS -u CLIENT_IP_HEADER -u RUST_LOG -u AWS_LAMBDA_LOG_LEVEL \
    "${vars[@]}" "$BIN" "$@" >"$WORK/$name.out" 2>"$WORK/$name.log" &
  local pid=$!
  PIDS+=("$pid")
  eval "PID_${name//-/_}=$pid"
  wait_for_line "$WORK/$name.out" "listening on" 10 "$pid" || fail "local-alb $name did not start"
}
clients() { python3 "$E2E/clients.py" "$@"; }
# expect_status NAME WANT CURL-ARGS...: one request with curl, checks the status code.
expect_status() {
  local name=$1 want=$2
  shift 2
  local got
  got=$(curl -s -o "$WORK/body" -w '%{http_code}' --max-time 10 "$@") || true
  [ "$got" = "$want" ] || fail "$name: status $got, want $want (body: $(head -c 300 "$WORK/body"))"
  echo "ok $name: $got"
}

SOURCES=(127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.7 127.0.0.8 127.0.0.9)

step "build"
cargo build --release -p local-alb
BIN=$ROOT/target/release/local-alb

step "command line"
"$BIN" --help | grep -q -- '--xff-mode' || fail "--help does not describe --xff-mode"
set +e
"$BIN" --xff-mode sideways 2>"$WORK/args.err"
code=$?
set -e
[ "$code" = 2 ] || fail "a bad --xff-mode exits $code, want 2"
grep -q -- "--xff-mode" "$WORK/args.err" && grep -q "'sideways'" "$WORK/args.err" || fail "the message does not name the flag and value: $(cat "$WORK/args.err")"
set +e
TRUSTED_PROXY_COUNT=99 "$BIN" --listen 127.0.0.1:1 2>"$WORK/config.err"
code=$?
set -e
[ "$code" != 0 ] && grep -q TRUSTED_PROXY_COUNT "$WORK/config.err" \
  || fail "a bad function configuration is not refused by name: $(cat "$WORK/config.err")"
echo "ok command line: --help, bad flag exits 2 naming it, bad configuration refused"

step "direct clients, IPv4 and IPv6, concurrently"
PORT_DIRECT=$(free_port)
start_alb direct -- --listen "127.0.0.1:$PORT_DIRECT" --listen "[::1]:$PORT_DIRECT"
expects=()
for s in "${SOURCES[@]}"; do expects+=(--expect "$s||self"); done
clients --label "IPv4 clients" --host 127.0.0.1 --port "$PORT_DIRECT" --requests 25 "${expects[@]}" &
v4=$!
clients --label "IPv6 client" --host ::1 --port "$PORT_DIRECT" --requests 25 --expect "::1||self" &
v6=$!
wait "$v4" || fail "IPv4 clients"
wait "$v6" || fail "IPv6 client"

step "forged X-Forwarded-For, default configuration"
expects=()
for s in "${SOURCES[@]}"; do
  expects+=(--expect "$s|6.6.6.6|self" --expect "$s|1.2.3.4, 5.6.7.8|self")
done
clients --label "forging clients" --host 127.0.0.1 --port "$PORT_DIRECT" --requests 10 "${expects[@]}" \
  --dump "$WORK/in-process.tsv" || fail "forging clients"

step "the ALB's own refusals"
URL=http://127.0.0.1:$PORT_DIRECT/
xff31=$(python3 -c 'print(", ".join(["192.0.2.1"] * 31))')
xff30=$(python3 -c 'print(", ".join(["192.0.2.1"] * 30))')
expect_status "30 addresses pass" 200 -H "X-Forwarded-For: $xff30" "$URL"
expect_status "31 addresses: 463" 463 -H "X-Forwarded-For: $xff31" "$URL"
expect_status "a 17 KiB header: 400" 400 -H "X-Big: $(head -c 17000 /dev/zero | tr '\0' a)" "$URL"
expect_status "a 17 KiB request line: 400" 400 "$URL?q=$(head -c 17000 /dev/zero | tr '\0' a)"
head -c 1048577 /dev/zero >"$WORK/big-body"
expect_status "a body over 1 MiB: 413" 413 --data-binary "@$WORK/big-body" "$URL"
head -c 1048576 /dev/zero >"$WORK/mib-body"
expect_status "a body of 1 MiB passes" 200 --data-binary "@$WORK/mib-body" -H 'Content-Type: application/octet-stream' "$URL"
grep -q '" 463 - .*TooManyForwardedFor' "$WORK/direct.log" || fail "the access log does not explain the 463"
PORT_IDLE=$(free_port)
start_alb idle -- --listen "127.0.0.1:$PORT_IDLE" --idle-timeout 1
python3 - "$PORT_IDLE" <<'EOF' || fail "idle timeout"
import socket, sys, time
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
reply = s.recv(200)
assert reply.startswith(b"HTTP/1.1 408"), reply
print("ok a body that stops arriving: 408 after the idle timeout")
s = socket.create_connection(("127.0.0.1", port), timeout=5)
started = time.monotonic()
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
s.recv(200)  # a 408 or the end of the connection, not a wait for the 5 s socket timeout
assert time.monotonic() - started < 4, "the connection stayed open"
print("ok a request head that never ends: the connection is closed after the idle timeout")
EOF

step "header modes and X-Forwarded-For modes, in-process"
# expect_body NAME PORT WANT-BODY CURL-ARGS...: one request from 127.0.0.4, checks the whole body.
expect_body() {
  local name=$1 port=$2 want=$3
  shift 3
  local got
  got=$(curl -s --max-time 10 --interface 127.0.0.4 "$@" "http://127.0.0.1:$port/") || true
  [ "$got" = "$want" ] || fail "$name: got $got, want $want"
  echo "ok $name: $got"
}
PORT_MULTI=$(free_port)
PORT_PORTS=$(free_port)
PORT_PRESERVE=$(free_port)
PORT_REMOVE=$(free_port)
start_alb multi -- --listen "127.0.0.1:$PORT_MULTI" --multi-value-headers
start_alb ports -- --listen "127.0.0.1:$PORT_PORTS" --xff-client-port
start_alb preserve -- --listen "127.0.0.1:$PORT_PRESERVE" --xff-mode preserve
start_alb remove -- --listen "127.0.0.1:$PORT_REMOVE" --xff-mode remove
expect_body "multi-value headers, two forged lines" "$PORT_MULTI" '{"client_ip":"127.0.0.4"}' \
  -H 'X-Forwarded-For: 1.1.1.1' -H 'X-Forwarded-For: 2.2.2.2, 3.3.3.3'
# The client's port, as the ALB appended it, comes back as client_port.
body=$(curl -s --max-time 10 --interface 127.0.0.4 --local-port 42424 -H 'X-Forwarded-For: 6.6.6.6' \
  "http://127.0.0.1:$PORT_PORTS/")
[ "$body" = '{"client_ip":"127.0.0.4","client_port":42424}' ] || fail "client port appended: $body"
echo "ok client port appended: $body"
# preserve: the load balancer adds nothing, so the rightmost entry is whatever the client wrote.
expect_body "preserve mode believes the client" "$PORT_PRESERVE" '{"client_ip":"6.6.6.6"}' \
  -H 'X-Forwarded-For: 6.6.6.6'
body=$(curl -s --max-time 10 -H 'X-Forwarded-For: 6.6.6.6' "http://127.0.0.1:$PORT_REMOVE/")
case $body in
  *'"no_client_address"'*) echo "ok remove mode: no address to vouch for: $body" ;;
  *) fail "remove mode answered $body" ;;
esac

step "a CDN in front: through CloudFront and Cloudflare, and callers going around them"
# --via CDN: the CDN edge listens on its own port, appends the client and sets its header, and
# reaches the ALB from an address in the bundled preset. Callers on the ALB's own port went
# around the CDN: whatever they forge, they must get their own address.
for cdn in cloudfront cloudflare; do
  case $cdn in
    cloudfront) header=cloudfront-viewer-address forged='CloudFront-Viewer-Address: 6.6.6.6:1' edge=130.176.0.12 ;;
    cloudflare) header=cf-connecting-ip forged='CF-Connecting-IP: 6.6.6.6' edge=172.70.1.5 ;;
  esac
  for how in chain header; do
    name=$cdn-$how
    vars=(TRUSTED_PROXY_CIDRS=$cdn)
    [ "$how" = header ] && vars+=(CLIENT_IP_HEADER=$header)
    PORT_ALB=$(free_port)
    PORT_EDGE=$(free_port)
    start_alb "$name" "${vars[@]}" -- --listen "127.0.0.1:$PORT_ALB" --via "$cdn" --via-listen "127.0.0.1:$PORT_EDGE"
    through=()
    for s in "${SOURCES[@]}"; do through+=(--expect "$s||self" --expect "$s|6.6.6.6|self"); done
    clients --label "$name: clients through the CDN" --host 127.0.0.1 --port "$PORT_EDGE" --requests 5 \
      "${through[@]}" || fail "$name: clients through the CDN"
    # Around the CDN, forging the CDN's own entry and header: the caller's own address.
    body=$(curl -s --max-time 10 --interface 127.0.0.7 -H "X-Forwarded-For: 6.6.6.6, $edge" \
      -H "$forged" "http://127.0.0.1:$PORT_ALB/")
    [ "$body" = '{"client_ip":"127.0.0.7"}' ] || fail "$name: a caller around the CDN got $body"
    echo "ok $name: a caller around the CDN with forged headers gets its own address"
  done
done
# CloudFront-Viewer-Address carries the viewer's source port.
PORT_ALB=$(free_port)
PORT_EDGE=$(free_port)
start_alb viewer-port TRUSTED_PROXY_CIDRS=cloudfront CLIENT_IP_HEADER=cloudfront-viewer-address -- \
  --listen "127.0.0.1:$PORT_ALB" --via cloudfront --via-listen "127.0.0.1:$PORT_EDGE"
body=$(curl -s --max-time 10 --interface 127.0.0.8 --local-port 43434 "http://127.0.0.1:$PORT_EDGE/")
[ "$body" = '{"client_ip":"127.0.0.8","client_port":43434}' ] || fail "viewer address port: $body"
echo "ok CloudFront-Viewer-Address: $body"
# The weakness the ranges close: a count of 1 believes what a caller around the CDN forged.
PORT_ALB=$(free_port)
PORT_EDGE=$(free_port)
start_alb count-around TRUSTED_PROXY_COUNT=1 -- --listen "127.0.0.1:$PORT_ALB" --via cloudfront \
  --via-listen "127.0.0.1:$PORT_EDGE"
clients --label "count 1 through CloudFront" --host 127.0.0.1 --port "$PORT_EDGE" --requests 5 \
  --expect "127.0.0.2|6.6.6.6|self" || fail "count 1 through CloudFront"
body=$(curl -s --max-time 10 --interface 127.0.0.7 -H 'X-Forwarded-For: 6.6.6.6' "http://127.0.0.1:$PORT_ALB/")
[ "$body" = '{"client_ip":"6.6.6.6"}' ] || fail "count 1 around the CDN: $body"
echo "ok count 1 around the CDN believes the forged entry, as documented: $body"

step "explain mode names the setting for each topology"
# suggestion PORT [CURL-ARGS...]: the explain member's suggestion for one request from 127.0.0.4.
suggestion() {
  local port=$1
  shift
  curl -s --max-time 10 --interface 127.0.0.4 "$@" "http://127.0.0.1:$port/" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["explain"]["suggestion"])'
}
# expect_suggestion NAME TEXT PORT [CURL-ARGS...]
expect_suggestion() {
  local name=$1 want=$2 port=$3
  shift 3
  local got
  got=$(suggestion "$port" "$@") || fail "$name: no explain member"
  case $got in
    *"$want"*) echo "ok explain, $name: $want" ;;
    *) fail "explain, $name: '$got' does not say '$want'" ;;
  esac
}
for cdn in cloudfront cloudflare; do
  PORT_ALB=$(free_port)
  PORT_EDGE=$(free_port)
  start_alb "explain-$cdn" CLIENT_IP_EXPLAIN=true -- --listen "127.0.0.1:$PORT_ALB" --via "$cdn" \
    --via-listen "127.0.0.1:$PORT_EDGE" --explain
  expect_suggestion "through $cdn" "TRUSTED_PROXY_CIDRS=$cdn answers 127.0.0.4" "$PORT_EDGE" -H 'X-Forwarded-For: 6.6.6.6'
  expect_suggestion "through $cdn" "TRUSTED_PROXY_COUNT=1" "$PORT_EDGE"
  # --explain: the same explanation in the access log, one line per request after its own.
  grep -q "^explain \"Root=.*TRUSTED_PROXY_CIDRS=$cdn answers 127.0.0.4" "$WORK/explain-$cdn.log" \
    || fail "local-alb --explain wrote no explanation for $cdn"
  echo "ok local-alb --explain logs the explanation ($cdn)"
done
# Straight to the ALB, a loopback client: a private peer, so both readings are offered.
expect_suggestion "direct" "If it differs by machine, it is the client: keep the default (TRUSTED_PROXY_COUNT=0)" "$PORT_ALB"

step "API Gateway HTTP API through a VPC link: Forwarded by count"
PORT_FWD=$(free_port)
start_alb forwarded CLIENT_IP_HEADER=forwarded TRUSTED_PROXY_COUNT=0 -- --listen "127.0.0.1:$PORT_FWD"
body=$(curl -s --max-time 10 --interface 127.0.0.9 \
  -H 'Forwarded: for="6.6.6.6, for=203.0.113.195;proto=https' "http://127.0.0.1:$PORT_FWD/")
[ "$body" = '{"client_ip":"203.0.113.195"}' ] || fail "Forwarded: $body"
echo "ok Forwarded, an unterminated quote on the client's side: $body"

step "502 and 504 through the Lambda Invoke API (a stand-in function)"
PORT_FAKE=$(free_port)
python3 "$E2E/fake_lambda.py" "$PORT_FAKE" >"$WORK/fake-lambda.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
  curl -s -o /dev/null --max-time 1 -X POST -d '{}' "http://127.0.0.1:$PORT_FAKE/2015-03-31/functions/x/invocations" && break
  sleep 0.1
done
PORT_VIA_FAKE=$(free_port)
start_alb via-fake -- --listen "127.0.0.1:$PORT_VIA_FAKE" --lambda-url "http://127.0.0.1:$PORT_FAKE" \
  --function-name stand-in --timeout 1 --xff-client-port
FAKE=http://127.0.0.1:$PORT_VIA_FAKE
expect_status "echo" 200 -H 'X-Forwarded-For: 6.6.6.6' "$FAKE/echo?a=1&a=2"
python3 - "$WORK/body" <<'EOF' || fail "the event sent through the Invoke API is not the ALB's"
import json, re, sys
event = json.load(open(sys.argv[1]))
h = event["headers"]
assert re.fullmatch(r"6\.6\.6\.6, 127\.0\.0\.1:\d+", h["x-forwarded-for"]), h["x-forwarded-for"]
assert event["queryStringParameters"] == {"a": "2"}, event["queryStringParameters"]
assert h["x-forwarded-proto"] == "http" and h["x-amzn-trace-id"].startswith("Root=1-"), h
assert event["requestContext"]["elb"]["targetGroupArn"].startswith("arn:aws:elasticloadbalancing:")
print("ok echo: the event is the ALB's, with the client port appended")
EOF
for case in null-body number-header no-status too-big not-json error crash; do
  expect_status "$case" 502 "$FAKE/$case"
done
expect_status "slow function" 504 "$FAKE/slow"
expect_status "binary body" 200 "$FAKE/binary"
python3 -c 'import sys; sys.exit(open(sys.argv[1], "rb").read() != bytes(range(256)))' "$WORK/body" \
  || fail "the base64 body was not decoded"
lines=$(grep -c '^http ' "$WORK/via-fake.log")
[ "$lines" = 10 ] || fail "$lines access-log lines for 10 requests"
grep -q '" 502 - .*LambdaResponseNull' "$WORK/via-fake.log" || fail "the access log does not explain the null"
grep -q '" 504 - .*Timeout' "$WORK/via-fake.log" || fail "the access log does not explain the 504"
echo "ok access log: one line per request, with the reason"

step "nginx in front: the classic bug and its two fixes"
need_apt nginx
NGINX_ADDR=127.0.0.53 # nginx's upstream connections come from here, distinct from every client
PORT_COUNT=$(free_port)
PORT_CIDRS=$(free_port)
PORT_NAIVE=$(free_port)
start_alb count TRUSTED_PROXY_COUNT=1 -- --listen "127.0.0.1:$PORT_COUNT"
start_alb cidrs TRUSTED_PROXY_CIDRS=$NGINX_ADDR -- --listen "127.0.0.1:$PORT_CIDRS"
start_alb naive CLIENT_IP_EXPLAIN=true -- --listen "127.0.0.1:$PORT_NAIVE"
mkdir -p "$WORK/nginx"
N_COUNT=$(free_port)
N_CIDRS=$(free_port)
N_NAIVE=$(free_port)
user_line=""
[ "$(id -u)" = 0 ] && user_line="user root;"
server_block() {
  cat <<EOF
  server {
    listen 127.0.0.1:$1;
    location / {
      proxy_pass http://127.0.0.1:$2;
      proxy_bind $NGINX_ADDR;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
EOF
}
cat >"$WORK/nginx/nginx.conf" <<EOF
$user_line
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/client_body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
$(server_block "$N_COUNT" "$PORT_COUNT")
$(server_block "$N_CIDRS" "$PORT_CIDRS")
$(server_block "$N_NAIVE" "$PORT_NAIVE")
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx.log" &
PIDS+=($!)
for _ in $(seq 100); do
  curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$N_NAIVE/" && break
  sleep 0.1
done
honest=()
forging=()
naive=()
for s in "${SOURCES[@]}"; do
  honest+=(--expect "$s||self")
  forging+=(--expect "$s|6.6.6.6|self" --expect "$s|$s, 10.9.9.9|self")
  naive+=(--expect "$s||$NGINX_ADDR" --expect "$s|6.6.6.6|$NGINX_ADDR")
done
clients --label "nginx + TRUSTED_PROXY_COUNT=1" --host 127.0.0.1 --port "$N_COUNT" --requests 10 \
  "${honest[@]}" "${forging[@]}" || fail "nginx with a count of 1"
clients --label "nginx + TRUSTED_PROXY_CIDRS=$NGINX_ADDR" --host 127.0.0.1 --port "$N_CIDRS" --requests 10 \
  "${honest[@]}" "${forging[@]}" || fail "nginx with trusted CIDRs"
clients --label "nginx + default count 0 (the classic bug: everyone is nginx)" --host 127.0.0.1 \
  --port "$N_NAIVE" --requests 10 "${naive[@]}" || fail "the classic bug was not reproduced"
# Explain mode, on the misconfigured one, names the fix: nginx is the same for every machine.
expect_suggestion "nginx in front" "TRUSTED_PROXY_CIDRS=$NGINX_ADDR answers 127.0.0.4" "$N_NAIVE"
expect_suggestion "nginx in front" "TRUSTED_PROXY_COUNT=1 answers the same" "$N_NAIVE"
# Why CIDRs are stronger than a count: a client that reaches the load balancer without passing
# nginx can forge the entry a count trusts, but not the peer address a CIDR check looks at.
clients --label "bypassing nginx, count of 1: the forged entry wins" --host 127.0.0.1 \
  --port "$PORT_COUNT" --requests 3 --expect "127.0.0.2|6.6.6.6|6.6.6.6" || fail "count bypass"
clients --label "bypassing nginx, trusted CIDRs: the real address" --host 127.0.0.1 \
  --port "$PORT_CIDRS" --requests 3 --expect "127.0.0.2|6.6.6.6|self" || fail "CIDR bypass"

step "two machines in network namespaces"
netns_skip=""
if [ "$(id -u)" != 0 ]; then
  netns_skip="not running as root"
elif ! command -v ip >/dev/null; then
  netns_skip="the ip command is missing"
else
  # Names carry this script's pid; leftovers of an earlier, killed run have other pids.
  NS_ALB=lalb-e2e-alb-$$
  NS_M1=lalb-e2e-m1-$$
  NS_M2=lalb-e2e-m2-$$
  if ip netns add "$NS_ALB" 2>"$WORK/netns.err"; then
    NAMESPACES+=("$NS_ALB")
    ip netns add "$NS_M1" && NAMESPACES+=("$NS_M1")
    ip netns add "$NS_M2" && NAMESPACES+=("$NS_M2")
  else
    netns_skip="ip netns add failed: $(head -n 1 "$WORK/netns.err")"
  fi
fi
if [ -n "$netns_skip" ]; then
  echo "skipped: two machines in network namespaces ($netns_skip)"
else
  # Link-local /30 pairs that exist only inside these namespaces.
  for ns in "$NS_ALB" "$NS_M1" "$NS_M2"; do ip -n "$ns" link set lo up; done
  ip link add m1 netns "$NS_M1" type veth peer name to-m1 netns "$NS_ALB"
  ip link add m2 netns "$NS_M2" type veth peer name to-m2 netns "$NS_ALB"
  ip -n "$NS_M1" addr add 169.254.101.1/30 dev m1
  ip -n "$NS_ALB" addr add 169.254.101.2/30 dev to-m1
  ip -n "$NS_M2" addr add 169.254.102.1/30 dev m2
  ip -n "$NS_ALB" addr add 169.254.102.2/30 dev to-m2
  ip -n "$NS_M1" link set m1 up
  ip -n "$NS_M2" link set m2 up
  ip -n "$NS_ALB" link set to-m1 up
  ip -n "$NS_ALB" link set to-m2 up
  ip netns exec "$NS_ALB" env -u TRUSTED_PROXY_COUNT -u TRUSTED_PROXY_CIDRS "$BIN" \
    --listen 169.254.101.2:8080 --listen 169.254.102.2:8080 >"$WORK/netns-alb.out" 2>"$WORK/netns-alb.log" &
  pid=$!
  PIDS+=("$pid")
  wait_for_line "$WORK/netns-alb.out" "169.254.102.2" 10 "$pid" || fail "local-alb in a namespace did not start"
  ip netns exec "$NS_M1" python3 "$E2E/clients.py" --label "machine 1" --host 169.254.101.2 --port 8080 \
    --requests 20 --expect "169.254.101.1||self" --expect "169.254.101.1|6.6.6.6|self" &
  m1=$!
  ip netns exec "$NS_M2" python3 "$E2E/clients.py" --label "machine 2" --host 169.254.102.2 --port 8080 \
    --requests 20 --expect "169.254.102.1||self" --expect "169.254.102.1|6.6.6.6|self" &
  m2=$!
  wait "$m1" || fail "machine 1"
  wait "$m2" || fail "machine 2"
fi

step "cargo lambda watch behind local-alb --lambda-url"
need_python_tools
command -v cargo-lambda >/dev/null || fail "cargo-lambda is not installed and pip could not install it"
PORT_WATCH=$(free_port)
# --ignore-changes: other work in the tree must not restart the function mid-test. The Invoke API
# listens on loopback only (its default is every interface).
env -u TRUSTED_PROXY_COUNT -u TRUSTED_PROXY_CIDRS -u CLIENT_IP_HEADER cargo lambda watch --invoke-address 127.0.0.1 \
  --invoke-port "$PORT_WATCH" --ignore-changes --bin alb-client-ip >"$WORK/cargo-lambda-watch.log" 2>&1 &
PIDS+=($!)
# The first invocation waits while cargo lambda compiles the function: allow up to 10 minutes.
ready=""
deadline=$((SECONDS + 600))
while [ $SECONDS -lt $deadline ]; do
  if curl -s --max-time 300 -X POST -d '{"headers":{"x-forwarded-for":"192.0.2.1"}}' \
    "http://127.0.0.1:$PORT_WATCH/2015-03-31/functions/alb-client-ip/invocations" 2>/dev/null \
    | grep -q '192.0.2.1'; then
    ready=yes
    break
  fi
  sleep 2
done
[ -n "$ready" ] || fail "cargo lambda watch did not answer within 10 minutes"
PORT_VIA_WATCH=$(free_port)
start_alb via-watch -- --listen "127.0.0.1:$PORT_VIA_WATCH" --lambda-url "http://127.0.0.1:$PORT_WATCH"
clients --label "forging clients via cargo lambda watch" --host 127.0.0.1 --port "$PORT_VIA_WATCH" \
  --requests 10 "${expects[@]}" --dump "$WORK/via-watch.tsv" || fail "clients via cargo lambda watch"
diff "$WORK/in-process.tsv" "$WORK/via-watch.tsv" || fail "cargo lambda watch answers differ from in-process"
echo "ok cargo lambda: the same answers as in-process, byte for byte"

step "a bounded load burst (keep-alive, 16 clients x 500 requests)"
load=()
for s in "${SOURCES[@]}"; do load+=(--expect "$s||self" --expect "$s|6.6.6.6|self"); done
clients --label "load" --host 127.0.0.1 --port "$PORT_DIRECT" --requests 500 --deadline 120 "${load[@]}" \
  || fail "load burst"

step "clean stop on SIGTERM and SIGINT"
for pair in "TERM:$PID_direct" "INT:$PID_naive"; do
  sig=${pair%%:*}
  pid=${pair#*:}
  kill "-$sig" "$pid"
  code=""
  for _ in $(seq 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
      set +e
      wait "$pid"
      code=$?
      set -e
      break
    fi
    sleep 0.1
  done
  [ "$code" = 0 ] || fail "SIG$sig: local-alb exit status '${code:-still running}', want 0"
  echo "ok SIG$sig: local-alb stopped with status 0"
done

echo "local-alb end-to-end: all passed in $((SECONDS - STARTED)) s"
