#!/usr/bin/env python3
"""Cold start of a Lambda function as a whole process, under a minimal Lambda Runtime API.

The Runtime API is testkit's `fake-runtime-api` binary (testkit/src/bin/fake-runtime-api.rs;
`cargo build --release -p testkit --bin fake-runtime-api`), the same fake the function's
integration tests run the binary under. For each run it starts a fresh process with the runtime's
environment, serves it the event on GET /2018-06-01/runtime/invocation/next, and takes:

- exec -> first poll: from just before the process is started to its first GET .../next (init);
- exec -> first answer: to its POST .../response for that event;
- peak RSS: VmHWM of the process (/proc/PID/status) read once the answer is in.

Targets (runs are interleaved round-robin so drift hits all of them alike):

- alb-client-ip: the release binary (`cargo build --release -p alb-client-ip --bin alb-client-ip`);
- echo: a bare lambda_runtime function, the floor (`cargo build --release -p alb-client-ip --example echo`);
- python: the common Python recipe (tools/coldstart/recipe.py) under awslambdaric.

Every answer is checked: alb-client-ip and python must answer 200 with the event's client
address, echo must return the event. The exit status is 0 only when every run answered correctly.
Loopback only; every run is bounded by --timeout. Standard library only.

    python3 tools/coldstart/coldstart.py --runs 30 --fifo
    python3 tools/coldstart/coldstart.py --targets alb-client-ip --runs 3   # smoke test
    python3 tools/coldstart/coldstart.py --targets alb-client-ip,echo --also before=OLD/bootstrap \
        --runs 100 --warm 2000    # a change against an earlier build and the floor, in one run

With --warm N it also measures the CPU one warm invocation costs: a process serves N + 1 events
over one connection, less a process that serves one, divided by N (the CPU time of the
function's own threads, read from /proc before it is stopped, so the harness's work never
counts).
"""

import argparse
import json
import os
import subprocess
import sys

API = "/2018-06-01/runtime"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def lambda_env(target):
    """The environment Lambda gives a function (fake-runtime-api adds AWS_LAMBDA_RUNTIME_API)."""
    env = dict(os.environ)
    env.update(
        AWS_LAMBDA_FUNCTION_NAME=target["name"],
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_REGION="us-east-1",
        LAMBDA_TASK_ROOT=HERE,
    )
    env.update(target.get("env", {}))
    return env


def fake_api(api, target, event_path, invocations, timeout):
    """One process of `target` under fake-runtime-api, serving `invocations` events: its JSON
    report, and the function's output."""
    cmd = [api, "--event", event_path, "--invocations", str(invocations), "--timeout",
           str(timeout), "--expect", target["expect"], "--", *target["cmd"]]
    try:
        proc = subprocess.run(cmd, env=lambda_env(target), cwd=HERE, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout + 10)
    except subprocess.TimeoutExpired:
        return {"problem": f"fake-runtime-api did not finish within {timeout + 10} s"}, ""
    output = proc.stderr.decode(errors="replace")
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        report = {"problem": f"fake-runtime-api exited {proc.returncode}: {output[-500:]}"}
    return report, output


def one_run(api, target, event_path, timeout):
    report, output = fake_api(api, target, event_path, 1, timeout)
    result = {
        "first_poll_ms": report.get("first_poll_ms"),
        "answer_ms": report.get("answer_ms"),
        "vm_hwm_kib": report.get("vm_hwm_kib"),
        "problem": report.get("problem"),
    }
    if result["problem"]:
        result["output"] = output[-2000:]
    return result


def warm_run(api, target, event_path, invocations, timeout=120.0):
    """Serves `invocations` events one after the other to one process of `target` over one
    connection, checking the first answer, and returns (CPU seconds the process used, wall
    seconds from its first poll to the last answer)."""
    report, output = fake_api(api, target, event_path, invocations, timeout)
    if report.get("problem") or report.get("cpu_us") is None:
        raise RuntimeError(f"{target['name']}: {report.get('problem') or 'no CPU figure'} {output[-300:]}")
    return report["cpu_us"] / 1e6, report["wall_ms"] / 1e3


def warm_cpu_us(api, target, event_path, invocations):
    """CPU microseconds per warm invocation: a process serving `invocations` + 1 events less one
    serving 1 (its start-up and first event), divided by `invocations`."""
    one, _ = warm_run(api, target, event_path, 1)
    many, _ = warm_run(api, target, event_path, invocations + 1)
    return (many - one) / invocations * 1e6


def percentile(values, p):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def summarize(name, results):
    ok = [r for r in results if not r["problem"]]
    row = {"target": name, "runs": len(results), "ok": len(ok)}
    if ok:
        for key in ("first_poll_ms", "answer_ms"):
            values = [r[key] for r in ok]
            row[key] = {
                "median": percentile(values, 50),
                "p90": percentile(values, 90),
                "min": min(values),
            }
        hwm = [r["vm_hwm_kib"] for r in ok if r["vm_hwm_kib"] is not None]
        row["vm_hwm_kib"] = {"median": percentile(hwm, 50), "max": max(hwm)} if hwm else None
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="measured runs per target")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured runs per target first")
    parser.add_argument("--targets", default="alb-client-ip,echo,python")
    parser.add_argument("--bin", default=os.path.join(ROOT, "target/release/alb-client-ip"))
    parser.add_argument("--echo-bin", default=os.path.join(ROOT, "target/release/examples/echo"))
    parser.add_argument("--python", default=sys.executable, help="a Python with awslambdaric")
    parser.add_argument(
        "--fake-api",
        default=os.path.join(ROOT, "target/release/fake-runtime-api"),
        help="testkit's fake Runtime API (cargo build --release -p testkit --bin fake-runtime-api)",
    )
    parser.add_argument(
        "--event", default=os.path.join(ROOT, "benches/events/alb-sample.json")
    )
    parser.add_argument("--client-ip", default="72.12.164.125", help="the event's answer")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per run")
    parser.add_argument("--json", help="also write every run and the summary to this file")
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="another build of the function to measure side by side (e.g. before=PATH of an "
        "earlier commit's release binary); repeatable",
    )
    parser.add_argument(
        "--warm",
        type=int,
        default=0,
        metavar="N",
        help="also measure CPU per warm invocation: N events to one process, less a one-event "
        "process, for --warm-rounds rounds, targets interleaved",
    )
    parser.add_argument("--warm-rounds", type=int, default=5)
    parser.add_argument(
        "--fifo",
        action="store_true",
        help="run the harness and the functions under SCHED_FIFO (root): on a busy machine a new "
        "process otherwise waits for a scheduler tick behind other work, which swamps a 2 ms start",
    )
    args = parser.parse_args()
    if args.fifo:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
        except OSError as e:
            parser.error(f"--fifo: cannot switch to SCHED_FIFO ({e})")

    known = {
        "alb-client-ip": {"cmd": [args.bin], "expect": f"client-ip={args.client_ip}"},
        "echo": {"cmd": [args.echo_bin], "expect": "echo"},
        "python": {
            "cmd": [args.python, "-m", "awslambdaric", "recipe.handler"],
            "expect": f"client-ip={args.client_ip}",
        },
    }
    for also in args.also:
        name, sep, path = also.partition("=")
        if not sep or not name or name in known:
            parser.error(f"--also {also!r}: want NAME=PATH with a new NAME")
        known[name] = {"cmd": [os.path.abspath(path)], "expect": f"client-ip={args.client_ip}"}
        args.targets += f",{name}"
    targets = []
    for name in args.targets.split(","):
        if name not in known:
            parser.error(f"unknown target {name!r}; known: {', '.join(known)}")
        target = dict(known[name], name=name)
        if name != "python" and not os.access(target["cmd"][0], os.X_OK):
            parser.error(f"{name}: {target['cmd'][0]} is not an executable (build it first)")
        targets.append(target)
    if not os.access(args.fake_api, os.X_OK):
        parser.error(f"--fake-api {args.fake_api} is not an executable (build it first)")
    event = os.path.abspath(args.event)

    results = {t["name"]: [] for t in targets}
    failed = False
    for i in range(args.warmup + args.runs):
        for target in targets:
            r = one_run(args.fake_api, target, event, args.timeout)
            if r["problem"]:
                failed = True
                print(f"{target['name']} run {i}: {r['problem']}", file=sys.stderr)
                print(r.get("output", ""), file=sys.stderr)
            if i >= args.warmup:
                results[target["name"]].append(r)

    summary = [summarize(name, rs) for name, rs in results.items()]
    policy = "SCHED_FIFO" if args.fifo else "default scheduling"
    print(
        f"{args.runs} runs per target (+{args.warmup} warm-up), {policy}, "
        f"event {os.path.relpath(event)}"
    )
    print(
        f"{'target':<15}{'ok':>7}  {'first poll ms':>22}  {'first answer ms':>22}  "
        f"{'VmHWM KiB':>16}"
    )
    print(f"{'':<15}{'':>7}  {'median / p90 / min':>22}  {'median / p90 / min':>22}  {'median / max':>16}")
    for row in summary:
        ok = f"{row['ok']}/{row['runs']}"
        if not row["ok"]:
            print(f"{row['target']:<15}{ok:>7}")
            continue
        fp, an = row["first_poll_ms"], row["answer_ms"]
        hwm = row["vm_hwm_kib"] or {"median": 0, "max": 0}
        print(
            f"{row['target']:<15}{ok:>7}  "
            f"{fp['median']:>8.2f} /{fp['p90']:>6.2f} /{fp['min']:>5.2f}  "
            f"{an['median']:>8.2f} /{an['p90']:>6.2f} /{an['min']:>5.2f}  "
            f"{hwm['median']:>8} /{hwm['max']:>6}"
        )
    by_name = {row["target"]: row for row in summary if row["ok"]}
    if "alb-client-ip" in by_name and "python" in by_name:
        ours = by_name["alb-client-ip"]["answer_ms"]["median"]
        ratio = by_name["python"]["answer_ms"]["median"] / ours
        print(f"python recipe / alb-client-ip, median first answer: {ratio:.1f}x")
    if "echo" in by_name:
        floor = by_name["echo"]
        for name, row in by_name.items():
            if name in ("echo", "python"):
                continue
            ratio = row["answer_ms"]["median"] / floor["answer_ms"]["median"]
            rss = row["vm_hwm_kib"]["median"] / floor["vm_hwm_kib"]["median"]
            print(f"{name} / echo floor: first answer {ratio:.2f}x, peak RSS {rss:.2f}x")
    warm = {}
    if args.warm:
        binaries = [t for t in targets if t["name"] != "python"]
        for _ in range(args.warm_rounds):
            for target in binaries:
                try:
                    us = warm_cpu_us(args.fake_api, target, event, args.warm)
                except (OSError, RuntimeError) as e:
                    failed = True
                    print(f"{target['name']} warm run: {e}", file=sys.stderr)
                    continue
                warm.setdefault(target["name"], []).append(us)
        print(f"CPU per warm invocation, {args.warm} events per process, {args.warm_rounds} rounds:")
        for name, values in warm.items():
            line = f"  {name:<15} median {percentile(values, 50):6.1f} us, min {min(values):6.1f} us"
            if "echo" in warm and name != "echo":
                ratio = percentile(values, 50) / percentile(warm["echo"], 50)
                line += f"  ({ratio:.2f}x the echo floor)"
            print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"summary": summary, "runs": results, "warm_cpu_us": warm}, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
