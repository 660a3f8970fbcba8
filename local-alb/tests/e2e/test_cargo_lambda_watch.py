"""`cargo lambda watch` behind `local-alb --lambda-url`: the function run as Lambda runs it
answers every client exactly as local-alb's in-process function does."""

import json
import shutil
import time
import urllib.error
import urllib.request

import pytest

from support import SOURCES, clean_env, free_port, run_clients

FORGING = [(s, forged, "self") for s in SOURCES for forged in ("6.6.6.6", "1.2.3.4, 5.6.7.8")]


def wait_for_function(port, seconds=600):
    """The first invocation waits while cargo lambda compiles the function: up to 10 minutes."""
    url = f"http://127.0.0.1:{port}/2015-03-31/functions/alb-client-ip/invocations"
    event = json.dumps({"headers": {"x-forwarded-for": "192.0.2.1"}}).encode()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, data=event, timeout=300) as answer:
                if b"192.0.2.1" in answer.read():
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(2)
    pytest.fail(f"cargo lambda watch did not answer within {seconds} s")


def test_cargo_lambda_watch_answers_byte_for_byte_as_in_process(start_alb, processes, tmp_path):
    if shutil.which("cargo-lambda") is None:
        pytest.fail("cargo-lambda is not installed (scripts/test.d/30-local-alb-e2e.sh installs it)")
    in_process = start_alb("direct")
    run_clients("forging clients in-process", "127.0.0.1", in_process.port, FORGING, 10, dump=tmp_path / "in-process.tsv")

    port = free_port()
    # --ignore-changes: other work in the tree must not restart the function mid-test. The
    # Invoke API listens on loopback only (its default is every interface).
    watch = ["cargo", "lambda", "watch", "--invoke-address", "127.0.0.1", "--invoke-port", port]
    processes("cargo-lambda-watch", watch + ["--ignore-changes", "--bin", "alb-client-ip"], env=clean_env())
    wait_for_function(port)
    via_watch = start_alb("via-watch", "--listen", "127.0.0.1:0", "--lambda-url", f"http://127.0.0.1:{port}")
    run_clients("forging clients via cargo lambda watch", "127.0.0.1", via_watch.port, FORGING, 10,
                dump=tmp_path / "via-watch.tsv")
    assert (tmp_path / "via-watch.tsv").read_text() == (tmp_path / "in-process.tsv").read_text()
