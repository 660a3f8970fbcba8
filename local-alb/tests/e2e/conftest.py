"""Fixtures of the local-alb end-to-end tests. Every process a test starts (local-alb, the
stand-in Invoke API, nginx, `cargo lambda watch`) is stopped when the test ends, pass or fail;
every network namespace is deleted. local-alb binds port 0 and reports the port it got, so two
runs side by side never clash; the other servers get a port free at the time.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import ROOT, SCRIPTS, Alb, Process, clean_env, free_port

ALB_LINE = r"local-alb: listening on http://\S+:(\d+)/"
EDGE_LINE = r"edge listening on http://\S+:(\d+)/"


def pytest_configure(config):
    # The servers run in sessions of their own (so a whole process tree can be stopped): a
    # SIGTERM to pytest must end the run as Ctrl-C does, through every fixture's teardown.
    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    setattr(item, f"report_{call.when}", outcome.get_result())


SKIPPED = []  # (test id, reason) of every skipped test of this run


def pytest_runtest_logreport(report):
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        SKIPPED.append((report.nodeid, reason))


def pytest_sessionfinish(session, exitstatus):
    # A skipped test has proved nothing: the run fails, listing each by name with its reason,
    # unless E2E_ALLOW_SKIPS=1 says this machine cannot run them (never set on CI, which runs as
    # root where `ip netns` works).
    if SKIPPED and os.environ.get("E2E_ALLOW_SKIPS") != "1" and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if SKIPPED:
        allowed = os.environ.get("E2E_ALLOW_SKIPS") == "1"
        verdict = "allowed by E2E_ALLOW_SKIPS=1" if allowed else "the run fails (E2E_ALLOW_SKIPS=1 allows it)"
        terminalreporter.write_line(f"{len(SKIPPED)} skipped, {verdict}:")
        for nodeid, reason in SKIPPED:
            terminalreporter.write_line(f"  SKIPPED {nodeid}: {reason}")


@pytest.fixture(scope="session")
def local_alb_bin():
    """The release local-alb: $LOCAL_ALB_BIN, or built here."""
    given = os.environ.get("LOCAL_ALB_BIN")
    if given:
        return Path(given)
    subprocess.run(["cargo", "build", "--release", "-p", "local-alb"], cwd=ROOT, check=True)
    return ROOT / "target" / "release" / "local-alb"


@pytest.fixture
def processes(request, tmp_path):
    """Starts processes for one test; stops them all at its end and, if it failed, prints the
    last lines of every log."""
    started = []

    def start(name, argv, env=None):
        process = Process(name, argv, tmp_path, env=env if env is not None else clean_env())
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        process.stop()
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        for log in sorted(tmp_path.glob("*.log")) + sorted(tmp_path.glob("*/error.log")):
            lines = log.read_text(errors="replace").splitlines()[-15:]
            print(f"--- last lines of {log.relative_to(tmp_path)}", *lines, sep="\n")


@pytest.fixture
def start_alb(processes, local_alb_bin):
    """start_alb(name, *options, **settings): local-alb with only the function settings given,
    listening on 127.0.0.1 port 0 unless options say where; returns once every listener is up."""

    def start(name, *options, **settings):
        options = list(options) or ["--listen", "127.0.0.1:0"]
        process = processes(name, [local_alb_bin, *options], env=clean_env(**settings))
        alb = options.count("--listen")
        edge = options.count("--via-listen")
        ports = [int(p) for p in process.wait_for(ALB_LINE, alb)] if alb else []
        edge_ports = [int(p) for p in process.wait_for(EDGE_LINE, edge)] if edge else []
        return Alb(process, ports, edge_ports)

    return start


def wait_until_accepting(port, process, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise AssertionError(f"{process.name} exited: {process.log_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{process.name} did not listen on {port} within {seconds} s")


@pytest.fixture
def fake_lambda(processes):
    """The stand-in Lambda Invoke API (scripts/e2e/fake_lambda.py); returns its base URL."""
    port = free_port()
    process = processes("fake-lambda", [sys.executable, SCRIPTS / "fake_lambda.py", port])
    wait_until_accepting(port, process)
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def nginx(processes, tmp_path):
    """nginx(proxy_bind, upstream_port...): a real nginx with one server per upstream, connecting
    from proxy_bind; returns the port in front of each upstream."""
    if shutil.which("nginx") is None:
        pytest.fail("nginx is not installed (scripts/test.d/30-local-alb-e2e.sh installs it)")

    def start(proxy_bind, *upstreams):
        fronts = [free_port() for _ in upstreams]
        pairs = [f"{front}:{up}" for front, up in zip(fronts, upstreams)]
        process = processes("nginx", ["bash", SCRIPTS / "nginx.sh", tmp_path / "nginx", proxy_bind, *pairs])
        for front in fronts:
            wait_until_accepting(front, process)
        return fronts

    return start


@pytest.fixture
def namespaces():
    """Three network namespaces (scripts/e2e/netns.sh): returns their names (alb, m1, m2)."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    if shutil.which("ip") is None:
        pytest.skip("the ip command is missing")
    prefix = f"lalb-e2e-{os.getpid()}"  # leftovers of an earlier, killed run have other pids
    netns = ["bash", str(SCRIPTS / "netns.sh")]
    up = subprocess.run(netns + ["up", prefix], capture_output=True, text=True, timeout=60)
    try:
        if up.returncode == 3:
            pytest.skip(f"ip netns add failed: {up.stderr.strip().splitlines()[0]}")
        assert up.returncode == 0, up.stderr
        yield f"{prefix}-alb", f"{prefix}-m1", f"{prefix}-m2"
    finally:
        subprocess.run(netns + ["down", prefix], capture_output=True, timeout=60)
