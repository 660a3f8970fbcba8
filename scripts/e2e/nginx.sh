#!/usr/bin/env bash
# Runs nginx in the foreground as a reverse proxy for the local-alb end-to-end tests
# (local-alb/tests/e2e/), with the location block users copy: docs/deploy.md's nginx recipe,
# read from the doc itself, so the tests run what the doc says.
#
#   nginx.sh DIR PROXY_BIND LISTEN_PORT:UPSTREAM_PORT...
#
# One server per pair: listens on 127.0.0.1:LISTEN_PORT and passes to 127.0.0.1:UPSTREAM_PORT
# (the recipe's ALB), connecting from PROXY_BIND (a loopback address distinct from every
# client's). DIR holds the configuration, temporary files and the error log (DIR/error.log).
# Stops on SIGTERM.
set -euo pipefail
dir=$1 bind=$2
shift 2
mkdir -p "$dir"
# The first ```nginx block of docs/deploy.md, whose proxy_pass names the ALB as a placeholder.
recipe=$(awk '/^```nginx$/ { inside = 1; next } inside && /^```$/ { exit } inside' \
  "$(dirname "$0")/../../docs/deploy.md")
placeholder="https://<your ALB's DNS name>"
if [[ "$recipe" != "location / {"*"proxy_pass $placeholder;"*"}" ]]; then
  echo "nginx.sh: docs/deploy.md has no nginx recipe: a \`location / {\` block proxying to $placeholder" >&2
  exit 1
fi
user_line=""
[ "$(id -u)" = 0 ] && user_line="user root;"
{
  cat <<CONF
$user_line
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $dir/client_body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
CONF
  for pair in "$@"; do
    # The recipe as written, its ALB this test's upstream, and inside its location block the
    # test's own source address (the recipe says nothing about where nginx connects from).
    location=${recipe/"$placeholder"/http://127.0.0.1:${pair#*:}}
    location=${location/"location / {"/"location / {
    proxy_bind $bind;"}
    cat <<CONF
  server {
    listen 127.0.0.1:${pair%%:*};
$location
  }
CONF
  done
  echo "}"
} >"$dir/nginx.conf"
exec nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
