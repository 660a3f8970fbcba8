#!/usr/bin/env python3
"""Concurrent HTTP clients bound to chosen source addresses, for the local-alb end-to-end test.

Each --expect 'SOURCE|FORGED|WANT' starts one client thread that binds its socket to SOURCE,
opens ONE keep-alive connection to HOST:PORT and sends --requests GET requests on it, with
`X-Forwarded-For: FORGED` when FORGED is not empty. Every answer must be 200 with
{"client_ip": WANT}; WANT `self` means SOURCE. The connection must stay open throughout
(keep-alive). Exit status 0 only when every request of every client passed.

--dump FILE writes one line per client: source, forged header, status, body, so that two runs
(in-process and through the Lambda Invoke API) can be compared byte for byte.

Bounded: each client sends exactly --requests requests, every socket has a --timeout, and the
whole run stops at --deadline seconds.
"""

import argparse
import http.client
import json
import sys
import threading
import time


def client(host, port, source, forged, want, requests, timeout, results, index):
    latencies = []
    errors = []
    last = (0, "")
    try:
        conn = http.client.HTTPConnection(host, port, timeout=timeout, source_address=(source, 0))
        conn.connect()
        sock = conn.sock
        headers = {"User-Agent": "local-alb-e2e"}
        if forged:
            headers["X-Forwarded-For"] = forged
        for n in range(requests):
            started = time.perf_counter()
            conn.request("GET", f"/e2e?client={source}&n={n}", headers=headers)
            response = conn.getresponse()
            body = response.read().decode("utf-8", "replace")
            latencies.append(time.perf_counter() - started)
            last = (response.status, body)
            if response.status != 200:
                errors.append(f"request {n}: status {response.status}: {body[:200]}")
                break
            try:
                got = json.loads(body).get("client_ip")
            except ValueError:
                got = None
            if got != want:
                errors.append(f"request {n}: got {body!r}, want client_ip {want!r}")
                break
            if conn.sock is not sock:
                errors.append(f"request {n}: the connection was not kept alive")
                break
        conn.close()
    except OSError as e:
        errors.append(f"{type(e).__name__}: {e}")
    results[index] = (source, forged, want, latencies, errors, last)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--expect", action="append", required=True, help="SOURCE|FORGED|WANT")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--deadline", type=float, default=120.0)
    parser.add_argument("--label", default="clients")
    parser.add_argument("--dump")
    args = parser.parse_args()

    threads = []
    results = [None] * len(args.expect)
    started = time.perf_counter()
    for i, spec in enumerate(args.expect):
        source, forged, want = spec.split("|")
        want = source if want == "self" else want
        t = threading.Thread(
            target=client,
            args=(args.host, args.port, source, forged, want, args.requests, args.timeout, results, i),
            daemon=True,
        )
        t.start()
        threads.append(t)
    for t in threads:
        t.join(max(0.0, args.deadline - (time.perf_counter() - started)))
    elapsed = time.perf_counter() - started

    failed = 0
    latencies = []
    for spec, result in zip(args.expect, results):
        if result is None:
            print(f"FAIL {args.label}: client {spec!r} did not finish within {args.deadline} s")
            failed += 1
            continue
        source, forged, want, lat, errors, _ = result
        latencies.extend(lat)
        if errors:
            failed += 1
            print(f"FAIL {args.label}: from {source} forging {forged!r}, want {want}: {errors[0]}")
    if args.dump:
        with open(args.dump, "w") as f:
            for result in results:
                if result is not None:
                    source, forged, _, _, _, (status, body) = result
                    f.write(f"{source}\t{forged}\t{status}\t{body}\n")
    total = len(latencies)
    if latencies:
        latencies.sort()
        p50 = latencies[total // 2] * 1000
        p99 = latencies[min(total - 1, int(total * 0.99))] * 1000
        print(
            f"{args.label}: {len(args.expect)} clients, {total} requests in {elapsed:.2f} s "
            f"({total / elapsed:.0f} req/s), latency p50 {p50:.2f} ms, p99 {p99:.2f} ms"
        )
    if failed:
        print(f"FAIL {args.label}: {failed} of {len(args.expect)} clients failed")
        sys.exit(1)
    print(f"ok {args.label}")


if __name__ == "__main__":
    main()
