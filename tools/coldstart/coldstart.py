#!/usr/bin/env python3
"""Cold start of a Lambda function as a whole process, under a minimal Lambda Runtime API.

For each run the harness starts a fresh process with the runtime's environment, serves it one
event on GET /2018-06-01/runtime/invocation/next, and takes three figures:

- exec -> first poll: from just before the process is started to its first GET .../next (init);
- exec -> first answer: to its POST .../response for that event;
- peak RSS: VmHWM of the process (/proc/PID/status) read once the answer is in, and, for
  comparison, ru_maxrss of the reaped child from os.wait4 (on Linux that one also counts the
  harness's own pages inherited before exec, so it is an upper bound; VmHWM is the figure used).

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
over one connection, less a process that serves one, divided by N (user + system time from each
reaped process's rusage, so the harness's own work never counts).
"""

import argparse
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

API = "/2018-06-01/runtime"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


class Run:
    """The state of one process's life: filled in by the server's threads, read by the main one."""

    def __init__(self, event, function_name):
        self.event = event
        self.function_name = function_name
        self.request_id = str(uuid.uuid4())
        self.first_poll = None
        self.answer_at = None
        self.answer = None
        self.error = None
        self.delivered = False
        self.lock = threading.Lock()
        self.done = threading.Event()  # an answer or an error arrived
        self.over = threading.Event()  # the process is gone: release any held poll


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        # No Nagle delay on the replies: a timing harness must not add its own latency.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def reply(self, status, body=b"", headers=()):
        # Status line, headers and body in one write, so the reply is one segment.
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self._headers_buffer.append(b"\r\n" + body)
        self.flush_headers()

    def do_GET(self):
        now = time.perf_counter()
        run = self.server.run
        if run is None or self.path != f"{API}/invocation/next":
            self.reply(404, b'{"errorMessage":"not found"}')
            return
        with run.lock:
            if run.first_poll is None:
                run.first_poll = now
            deliver = not run.delivered
            run.delivered = True
        if not deliver:
            # The next poll after the answer: hold it until the process is stopped, as Lambda
            # does when it freezes an idle function.
            run.over.wait(timeout=60)
            self.close_connection = True
            return
        deadline = int(time.time() * 1000) + 30_000
        arn = f"arn:aws:lambda:us-east-1:123456789012:function:{run.function_name}"
        self.reply(
            200,
            run.event,
            [
                ("Lambda-Runtime-Aws-Request-Id", run.request_id),
                ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                ("Lambda-Runtime-Invoked-Function-Arn", arn),
                ("Lambda-Runtime-Trace-Id", "Root=1-5c536348-3d683b8b04734faae651f476;Sampled=0"),
            ],
        )

    def do_POST(self):
        now = time.perf_counter()
        run = self.server.run
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if run is None:
            self.reply(404)
            return
        if self.path == f"{API}/invocation/{run.request_id}/response":
            run.answer_at, run.answer = now, body
        elif self.path in (f"{API}/invocation/{run.request_id}/error", f"{API}/init/error"):
            run.error = f"{self.path}: {body.decode(errors='replace')}"
        else:
            self.reply(404, b'{"errorMessage":"unknown path"}')
            return
        self.reply(202, b'{"status":"OK"}')
        run.done.set()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    run = None

    def handle_error(self, request, client_address):
        # A killed process resets its held connection; that is the end of a run, not an error.
        pass


def vm_hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def check_answer(kind, event, answer):
    """None when the answer is right, else why not."""
    try:
        got = json.loads(answer)
    except ValueError:
        return f"answer is not JSON: {answer[:200]!r}"
    if kind == "echo":
        return None if got == json.loads(event) else f"echo differs: {answer[:200]!r}"
    want = kind.split("=", 1)[1]
    if got.get("statusCode") != 200:
        return f"statusCode {got.get('statusCode')!r}: {answer[:300]!r}"
    try:
        body = json.loads(got.get("body") or "")
    except ValueError:
        return f"body is not JSON: {got.get('body')!r}"
    return None if body == {"client_ip": want} else f"body {got.get('body')!r}, want {want}"


def lambda_env(target, port):
    """The environment Lambda gives a function, polling the Runtime API on `port`."""
    env = dict(os.environ)
    env.update(
        AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}",
        AWS_LAMBDA_FUNCTION_NAME=target["name"],
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_REGION="us-east-1",
        LAMBDA_TASK_ROOT=HERE,
    )
    env.update(target.get("env", {}))
    return env


def one_run(target, event, timeout, log):
    # A fresh listener per run: a poll the previous (killed) process left in a socket buffer can
    # then never be mistaken for this process's first poll.
    server = Server(("127.0.0.1", 0), RuntimeApi)
    run = Run(event, target["name"])
    server.run = run
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    env = lambda_env(target, server.server_address[1])
    log.seek(0)
    log.truncate()
    started = time.perf_counter()
    proc = subprocess.Popen(
        target["cmd"], env=env, cwd=HERE, stdin=subprocess.DEVNULL, stdout=log, stderr=log
    )
    reaped = {}

    def reap():
        # Blocks (without the GIL) until the process is gone: it exited, or it was killed below.
        _, status, usage = os.wait4(proc.pid, 0)
        reaped.update(status=status, usage=usage)
        run.done.set()

    reaper = threading.Thread(target=reap, daemon=True)
    reaper.start()
    run.done.wait(timeout)
    answered = run.answer is not None or run.error is not None
    hwm = vm_hwm_kib(proc.pid) if not reaped else None
    exited = os.waitstatus_to_exitcode(reaped["status"]) if reaped else None
    if not reaped:
        proc.send_signal(signal.SIGKILL)
    reaper.join()
    proc.returncode = reaped["status"]  # reaped through wait4, to read its rusage
    usage = reaped["usage"]
    run.over.set()
    server.shutdown()
    server.server_close()
    result = {
        "first_poll_ms": None if run.first_poll is None else (run.first_poll - started) * 1e3,
        "answer_ms": None if run.answer_at is None else (run.answer_at - started) * 1e3,
        "vm_hwm_kib": hwm,
        "ru_maxrss_kib": usage.ru_maxrss,
        "problem": None,
    }
    if not answered and exited is not None:
        result["problem"] = f"the process exited with status {exited} before answering"
    elif not answered:
        result["problem"] = f"no answer within {timeout} s"
    elif run.error is not None:
        result["problem"] = f"function reported an error: {run.error[:300]}"
    else:
        result["problem"] = check_answer(target["expect"], event, run.answer)
    if result["problem"]:
        log.flush()
        log.seek(0)
        result["output"] = log.read()[-2000:].decode(errors="replace")
    return result


def read_request(conn, buf):
    """Reads one HTTP/1.1 request (Content-Length or chunked body); returns (head, body, rest)."""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            raise EOFError
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    lower = head.lower()
    body = b""
    if b"transfer-encoding: chunked" in lower:
        while True:
            while b"\r\n" not in buf:
                buf += conn.recv(65536)
            size_line, buf = buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(buf) < size + 2:
                buf += conn.recv(65536)
            body += buf[:size]
            buf = buf[size + 2:]
            if size == 0:
                break
    else:
        length = 0
        for line in lower.split(b"\r\n")[1:]:
            if line.startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        while len(buf) < length:
            buf += conn.recv(65536)
        body, buf = buf[:length], buf[length:]
    return head, body, buf


def warm_run(target, event, invocations, timeout=120.0):
    """Serves `invocations` events one after the other to one process of `target` over one
    connection, checking the first answer, and returns (CPU seconds the process used, wall
    seconds from the first event to the last answer). CPU is user + system from the reaped
    process's rusage: it counts only the function, never this harness."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(timeout)
        env = lambda_env(target, server.getsockname()[1])
        proc = subprocess.Popen(target["cmd"], env=env, cwd=HERE, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        conn = None
        deadline = time.monotonic() + timeout
        try:
            conn, _ = server.accept()
            conn.settimeout(timeout)
            buf, served, answered, started = b"", 0, 0, 0.0
            while answered < invocations:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{target['name']}: {answered} of {invocations} answers in {timeout} s")
                head, body, buf = read_request(conn, buf)
                line = head.split(b"\r\n", 1)[0]
                if line.startswith(b"GET ") and b"/invocation/next" in line:
                    if served == 0:
                        started = time.perf_counter()
                    served += 1
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Lambda-Runtime-Aws-Request-Id: req-%d\r\n"
                        b"Lambda-Runtime-Deadline-Ms: 9999999999999\r\n"
                        b"Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:f\r\n"
                        b"Content-Length: %d\r\n\r\n" % (served, len(event)) + event)
                elif b"/response " in line:
                    answered += 1
                    if answered == 1:
                        problem = check_answer(target["expect"], event, body)
                        if problem:
                            raise RuntimeError(f"{target['name']}: {problem}")
                    conn.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                else:
                    raise RuntimeError(f"{target['name']}: unexpected request {line[:120]!r}")
            wall = time.perf_counter() - started
        finally:
            proc.kill()
            _, _, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            if conn is not None:
                conn.close()
    return usage.ru_utime + usage.ru_stime, wall


def warm_cpu_us(target, event, invocations):
    """CPU microseconds per warm invocation: a process serving `invocations` + 1 events less one
    serving 1 (its start-up and first event), divided by `invocations`."""
    one, _ = warm_run(target, event, 1)
    many, _ = warm_run(target, event, invocations + 1)
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
        maxrss = [r["ru_maxrss_kib"] for r in ok]
        row["ru_maxrss_kib"] = {"median": percentile(maxrss, 50), "max": max(maxrss)}
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
    with open(args.event, "rb") as f:
        event = f.read()

    results = {t["name"]: [] for t in targets}
    failed = False
    with tempfile.TemporaryFile() as log:
        for i in range(args.warmup + args.runs):
            for target in targets:
                r = one_run(target, event, args.timeout, log)
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
        f"event {os.path.relpath(args.event)}"
    )
    print(
        f"{'target':<15}{'ok':>7}  {'first poll ms':>22}  {'first answer ms':>22}  "
        f"{'VmHWM KiB':>16}  {'ru_maxrss KiB':>13}"
    )
    print(f"{'':<15}{'':>7}  {'median / p90 / min':>22}  {'median / p90 / min':>22}  {'median / max':>16}  {'median':>13}")
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
            f"{hwm['median']:>8} /{hwm['max']:>6}  {row['ru_maxrss_kib']['median']:>13}"
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
                    us = warm_cpu_us(target, event, args.warm)
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
