#!/usr/bin/env bash
# Runs nginx in the foreground as a reverse proxy for the local-alb end-to-end tests
# (local-alb/tests/e2e/), appending the peer to X-Forwarded-For as a typical nginx does.
#
#   nginx.sh DIR PROXY_BIND LISTEN_PORT:UPSTREAM_PORT...
#
# One server per pair: listens on 127.0.0.1:LISTEN_PORT and passes to 127.0.0.1:UPSTREAM_PORT,
# connecting from PROXY_BIND (a loopback address distinct from every client's). DIR holds the
# configuration, temporary files and the error log (DIR/error.log). Stops on SIGTERM.
set -euo pipefail
dir=$1 bind=$2
shift 2
mkdir -p "$dir"
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
    cat <<CONF
  server {
    listen 127.0.0.1:${pair%%:*};
    location / {
      proxy_pass http://127.0.0.1:${pair#*:};
      proxy_bind $bind;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
CONF
  done
  echo "}"
} >"$dir/nginx.conf"
exec nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
