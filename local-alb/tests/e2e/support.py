"""Helpers of the local-alb end-to-end tests: processes that are always stopped, requests with
curl from a chosen source address, and the concurrent clients of scripts/e2e/clients.py.

Traffic goes only to 127.0.0.0/8, ::1 and the network namespaces the tests create. Every wait
is bounded in time and every request loop in count.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPTS = ROOT / "scripts" / "e2e"
CLIENTS = SCRIPTS / "clients.py"

# Eight client machines, one loopback address each.
SOURCES = [f"127.0.0.{n}" for n in range(2, 10)]

# The function's settings: every local-alb starts with only the ones its test gives it.
FUNCTION_SETTINGS = (
    "TRUSTED_PROXY_COUNT",
    "TRUSTED_PROXY_CIDRS",
    "CLIENT_IP_HEADER",
    "VPC_LINK_CIDRS",
    "CLIENT_IP_EXPLAIN",
    "RUST_LOG",
    "AWS_LAMBDA_LOG_LEVEL",
)


def clean_env(**settings):
    """The environment without any function setting, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if k not in FUNCTION_SETTINGS}
    env.update(settings)
    return env


def free_port():
    """A TCP port free on 127.0.0.1 now, for servers that cannot be told to bind port 0."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A background process in a session of its own, with stdout and stderr in two files."""

    def __init__(self, name, argv, work, env=None):
        self.name = name
        self.out = work / f"{name}.out"
        self.log = work / f"{name}.log"
        with open(self.out, "wb") as out, open(self.log, "wb") as log:
            self.popen = subprocess.Popen(
                [str(a) for a in argv],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=log,
                env=env,
                cwd=ROOT,
                start_new_session=True,
            )

    def output(self):
        return self.out.read_text(errors="replace")

    def log_text(self):
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern, count=1, seconds=10.0):
        """The first `count` matches of `pattern` in stdout, waiting while the process runs."""
        deadline = time.monotonic() + seconds
        while True:
            found = re.findall(pattern, self.output())
            if len(found) >= count:
                return found[:count]
            if self.popen.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.popen.returncode}: {self.log_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: no {pattern!r} within {seconds} s")
            time.sleep(0.05)

    def stop(self, seconds=5.0):
        """SIGTERM to the whole process group, SIGKILL after `seconds`."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            self.popen.wait(seconds)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)  # whatever the leader left behind
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(seconds)
        except subprocess.TimeoutExpired:
            pass


class Alb:
    """A running local-alb: its process and the ports it listens on, in the order given."""

    def __init__(self, process, ports, edge_ports):
        self.process = process
        self.ports = ports
        self.port = ports[0] if ports else None
        self.edge_port = edge_ports[0] if edge_ports else None

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def log_text(self):
        return self.process.log_text()


def curl(url, *args, source=None, local_port=None, seconds=10):
    """One request with curl: (status code as text, body bytes)."""
    argv = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", str(seconds)]
    if source:
        argv += ["--interface", source]
    if local_port:
        argv += ["--local-port", str(local_port)]
    done = subprocess.run(argv + list(args) + [url], capture_output=True, timeout=seconds + 5)
    body, _, status = done.stdout.rpartition(b"\n")
    return status.decode(), body


def body_of(url, *args, source="127.0.0.4", local_port=None):
    """The body of one request from `source`, as text."""
    _, body = curl(url, *args, source=source, local_port=local_port)
    return body.decode(errors="replace")


def run_clients(label, host, port, expects, requests, dump=None, deadline=120, netns=None, wait=True):
    """Runs scripts/e2e/clients.py: one keep-alive client per (source, forged, want) triple,
    `requests` requests each. With wait=False, returns the running process for `finish`."""
    argv = [sys.executable, str(CLIENTS), "--label", label, "--host", host, "--port", str(port)]
    argv += ["--requests", str(requests), "--deadline", str(deadline)]
    for source, forged, want in expects:
        argv += ["--expect", f"{source}|{forged}|{want}"]
    if dump:
        argv += ["--dump", str(dump)]
    if netns:
        argv = ["ip", "netns", "exec", netns] + argv
    running = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return finish(running, deadline) if wait else running


def finish(running, deadline=120):
    """Waits for a clients.py run and fails with its report unless every client passed."""
    try:
        output, _ = running.communicate(timeout=deadline + 30)
    except subprocess.TimeoutExpired:
        running.kill()
        output, _ = running.communicate()
    print(output)
    assert running.returncode == 0, output
    return output
