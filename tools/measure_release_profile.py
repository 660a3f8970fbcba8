#!/usr/bin/env python3
"""Measures the function's release build at several opt-levels: zip size and cold start.

Usage: tools/measure_release_profile.py [OPT_LEVEL ...]   (default: 3 s z)

For each opt-level (everything else as in Cargo.toml's [profile.release]) it builds the deployable
zips with `cargo lambda build` for arm64 and x86-64, in a target directory of its own under
target/profile-measure/ so the normal build is left alone, and prints:
- the size of each zip and of the `bootstrap` inside it;
- the x86-64 cold start: the time from starting `bootstrap` to its first request to the Runtime API
  of tools/coldstart/coldstart.py (the first `GET .../invocation/next`), median and 90th percentile over RUNS
  starts. That span is what the runtime adds to a Lambda cold start: loading the binary, reading
  the configuration, building the client. The arm64 binary cannot run here; it is built from the
  same code and its size is reported;
- the x86-64 cost per invocation: INVOCATIONS events (an ALB event with a five-entry chain, trusted
  ranges configured) served one after the other over the same connection; the CPU time the
  `bootstrap` process used (user + system, from its rusage), and the wall time, which includes the
  fake API's own work, each divided by their number. CPU time is the steadier of the two on a
  shared machine.

Not part of scripts/test (a full LTO build per opt-level and target takes minutes).
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

RUNS = 200
INVOCATIONS = 5000
EVENT = json.dumps({
    "requestContext": {"elb": {"targetGroupArn":
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/alb-client-ip/0123456789abcdef"}},
    "httpMethod": "GET", "path": "/", "queryStringParameters": {}, "body": "", "isBase64Encoded": False,
    "headers": {
        "host": "alb-client-ip-123.us-east-1.elb.amazonaws.com", "user-agent": "curl/8.5.0",
        "x-amzn-trace-id": "Root=1-67891233-abcdef012345678912345678",
        "x-forwarded-for": "198.51.100.7, 203.0.113.195, 192.0.2.10, 10.1.2.3, 10.4.5.6",
        "x-forwarded-port": "80", "x-forwarded-proto": "http",
    },
}).encode()
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools", "coldstart"))
import coldstart  # noqa: E402  (the cold-start harness: one Runtime API for every measurement)


def build(opt: str, arch: str) -> str:
    target_dir = os.path.join(ROOT, "target", "profile-measure", f"opt-{opt}")
    lambda_dir = os.path.join(target_dir, "lambda", arch)
    env = dict(os.environ, CARGO_PROFILE_RELEASE_OPT_LEVEL=opt, CARGO_TARGET_DIR=target_dir)
    subprocess.run(
        ["cargo", "lambda", "build", "--release", f"--{arch}", "--output-format", "zip",
         "-p", "alb-client-ip", "--bin", "alb-client-ip", "--lambda-dir", lambda_dir],
        cwd=ROOT, env=env, check=True, stdin=subprocess.DEVNULL,
    )
    return os.path.join(lambda_dir, "alb-client-ip", "bootstrap.zip")


def function_env(port: int) -> dict[str, str]:
    """The Lambda environment for a function polling the fake Runtime API on `port`."""
    return {
        "PATH": "/usr/bin:/bin",
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
        "AWS_LAMBDA_FUNCTION_NAME": "alb-client-ip",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "TRUSTED_PROXY_COUNT": "",
        "TRUSTED_PROXY_CIDRS": "10.0.0.0/8,192.0.2.0/24,2001:db8::/32",
    }


def cold_start_ms(binary: str) -> list[float]:
    """Start to first poll of the Runtime API, through the cold-start harness's own run."""
    target = {
        "name": "alb-client-ip",
        "cmd": [binary],
        "expect": "client-ip=203.0.113.195",
        "env": {k: v for k, v in function_env(0).items() if k.startswith("TRUSTED_")},
    }
    times = []
    with tempfile.TemporaryFile() as log:
        for _ in range(RUNS):
            run = coldstart.one_run(target, EVENT, 10.0, log)
            if run["problem"]:
                sys.exit(f"cold start run failed: {run['problem']}")
            times.append(run["first_poll_ms"])
    return times


def invocation_us(binary: str) -> tuple[float, float]:
    """(CPU time, wall time) per invocation, in microseconds: INVOCATIONS events served to one
    process by the harness's warm Runtime API (init included, spread over the invocations)."""
    target = {
        "name": "alb-client-ip",
        "cmd": [binary],
        "expect": "client-ip=203.0.113.195",
        "env": {k: v for k, v in function_env(0).items() if k.startswith("TRUSTED_")},
    }
    cpu, wall = coldstart.warm_run(target, EVENT, INVOCATIONS)
    return cpu / INVOCATIONS * 1e6, wall / INVOCATIONS * 1e6


def main() -> int:
    levels = sys.argv[1:] or ["3", "s", "z"]
    rows = []
    for opt in levels:
        sizes = {}
        for arch in ("arm64", "x86-64"):
            path = build(opt, arch)
            with zipfile.ZipFile(path) as z:
                sizes[arch] = (os.path.getsize(path), z.getinfo("bootstrap").file_size)
        unpacked = os.path.join(os.path.dirname(path), "bootstrap-measured")
        with zipfile.ZipFile(path) as z, open(unpacked, "wb") as out:
            out.write(z.read("bootstrap"))
        os.chmod(unpacked, 0o755)
        cold_start_ms(unpacked)  # warm the page cache once
        times = sorted(cold_start_ms(unpacked))
        runs = [invocation_us(unpacked) for _ in range(5)]
        per_call = (min(r[0] for r in runs), min(r[1] for r in runs))
        rows.append((opt, sizes, statistics.median(times), times[int(len(times) * 0.9)], per_call))
    print(f"\n{'opt-level':>9} | {'arm64 zip':>10} | {'arm64 bin':>10} | {'x86-64 zip':>10} |"
          f" {'x86-64 bin':>10} | x86-64 start to first poll, median / p90 ({RUNS} runs) |"
          f" x86-64 per invocation, CPU / wall (best of 5 x {INVOCATIONS})")
    for opt, sizes, median, p90, per_call in rows:
        print(f"{opt:>9} | {sizes['arm64'][0]:>10} | {sizes['arm64'][1]:>10} |"
              f" {sizes['x86-64'][0]:>10} | {sizes['x86-64'][1]:>10} | {median:.2f} ms / {p90:.2f} ms"
              f" | {per_call[0]:.1f} us / {per_call[1]:.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
