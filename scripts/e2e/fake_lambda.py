#!/usr/bin/env python3
"""A stand-in Lambda Invoke API for the local-alb end-to-end test.

Serves POST /2015-03-31/functions/NAME/invocations on a loopback address. What it answers is
chosen by the `path` of the ALB event it receives, so one local-alb in front of it can reach
every failure the ALB turns into a 502 or 504:

  /echo          200, the event itself as the JSON body (to inspect what local-alb sent)
  /null-body     a response with "body": null                       -> 502
  /number-header a header value that is a number                    -> 502
  /no-status     no statusCode                                      -> 502
  /too-big       a response over 1 MB                               -> 502
  /not-json      a payload that is not JSON                         -> 502
  /error         X-Amz-Function-Error: Unhandled (a function error) -> 502
  /crash         the connection closes without an answer            -> 502
  /slow          answers after 3 s                                  -> 504 with --timeout 1
  /binary        a base64 body with isBase64Encoded: true           -> the decoded bytes

Usage: fake_lambda.py PORT (binds 127.0.0.1 only). Stops on SIGTERM.
"""

import base64
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def respond(status=200, body="", headers=None, **extra):
    r = {
        "statusCode": status,
        "statusDescription": f"{status} OK",
        "headers": headers or {"content-type": "text/plain"},
        "body": body,
        "isBase64Encoded": False,
    }
    r.update(extra)
    return json.dumps(r).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, payload, headers=()):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        event = json.loads(self.rfile.read(length) or b"{}")
        if not self.path.startswith("/2015-03-31/functions/") or not self.path.endswith("/invocations"):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path = event.get("path", "/")
        if path == "/echo":
            self.send(respond(body=json.dumps(event), headers={"content-type": "application/json"}))
        elif path == "/null-body":
            self.send(respond(body=None))
        elif path == "/number-header":
            self.send(respond(headers={"x-count": 5}))
        elif path == "/no-status":
            self.send(json.dumps({"headers": {}, "body": "x"}).encode())
        elif path == "/too-big":
            self.send(respond(body="x" * (1024 * 1024)))
        elif path == "/not-json":
            self.send(b"this is not json")
        elif path == "/error":
            self.send(
                json.dumps({"errorType": "Panic", "errorMessage": "boom"}).encode(),
                headers=[("X-Amz-Function-Error", "Unhandled")],
            )
        elif path == "/crash":
            self.close_connection = True
            self.connection.close()
        elif path == "/slow":
            time.sleep(3)
            self.send(respond(body="late"))
        elif path == "/binary":
            data = bytes(range(256))
            self.send(
                respond(
                    body=base64.b64encode(data).decode(),
                    headers={"content-type": "application/octet-stream"},
                    isBase64Encoded=True,
                )
            )
        else:
            self.send(respond(status=404, body="no such case"))


def main():
    port = int(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
