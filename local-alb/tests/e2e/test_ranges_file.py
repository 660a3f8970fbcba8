"""A ranges file: `tools/presets.py --fetch --file` downloads the providers' lists from a local
server standing in for them and writes the file; local-alb (the function in-process) reads it at
start, so a range the provider added after the bundled snapshot is trusted without a release.
A download that fails or is malformed writes nothing; a malformed file is refused at start."""

import datetime
import json
import shutil
import subprocess
import sys

import pytest

from conftest import wait_until_accepting
from support import ROOT, body_of, clean_env, free_port, run_clients

DATA = ROOT / "data" / "published-ranges"
# A range Cloudflare "added" after the bundled snapshot. It sorts first, so the simulated
# Cloudflare edge (the first host of the first IPv4 range) connects from it.
ADDED = "100.0.0.0/24"
EDGE = "100.0.0.1"


@pytest.fixture
def provider(processes, tmp_path):
    """A local server with the providers' paths, serving the saved copies plus ADDED; returns
    (base URL, its folder) so a test can break a file."""
    folder = tmp_path / "served"
    folder.mkdir()
    # AWS serves one file for every service: the two saved copies, merged.
    aws = json.loads((DATA / "aws-ip-ranges.filtered.json").read_text())
    accelerator = json.loads((DATA / "aws-ip-ranges.globalaccelerator.json").read_text())
    for key in ("prefixes", "ipv6_prefixes"):
        aws[key] += accelerator[key]
    (folder / "ip-ranges.json").write_text(json.dumps(aws))
    shutil.copy(DATA / "fastly-public-ip-list.json", folder / "public-ip-list")
    shutil.copy(DATA / "ips-v6.txt", folder / "ips-v6")
    (folder / "ips-v4").write_text(ADDED + "\n" + (DATA / "ips-v4.txt").read_text())
    port = free_port()
    server = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", folder, str(port)]
    wait_until_accepting(port, processes("provider", [str(a) for a in server]))
    return f"http://127.0.0.1:{port}", folder


def presets(base, path):
    argv = [sys.executable, ROOT / "tools" / "presets.py", "--fetch", "--upstream", base, "--file", path]
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=60)


def start_behind_cloudflare(start_alb, name, **settings):
    return start_alb(
        name, "--listen", "127.0.0.1:0", "--via", "cloudflare", "--via-listen", "127.0.0.1:0",
        TRUSTED_PROXY_CIDRS="cloudflare", CLIENT_IP_HEADER="cf-connecting-ip", **settings,
    )


def test_a_fetched_ranges_file_trusts_the_range_added_since_the_snapshot(start_alb, provider, tmp_path):
    base, _ = provider
    path = tmp_path / "ranges.txt"
    done = presets(base, path)
    assert done.returncode == 0, done.stderr
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    assert f"presets: cloudflare: published {today}, 1 ranges added, 0 removed\n  + {ADDED}\n" in done.stdout
    assert "presets: cloudfront: published 2026-08-22, 0 ranges added, 0 removed" in done.stdout

    # The simulated edge connects from the new range, which only the file's list holds: the
    # answer is the client (explain shows the edge as the ALB's peer).
    fresh = start_behind_cloudflare(start_alb, "fresh", CLIENT_IP_RANGES_FILE=str(path), CLIENT_IP_EXPLAIN="true")
    assert f"preset=cloudflare published={today} age_days=0: ranges in use" in fresh.process.log_text()
    answer = json.loads(body_of(f"http://127.0.0.1:{fresh.edge_port}/", source="127.0.0.5"))
    assert answer["client_ip"] == "127.0.0.5", answer
    assert EDGE in json.dumps(answer["explain"]["hops"][0]), answer["explain"]
    run_clients("through the edge's new address", "127.0.0.1", fresh.edge_port, [("127.0.0.6", "6.6.6.6", "self")], 5)

    # The same edge with the bundled lists (which lack the new range) is not Cloudflare's.
    assert ADDED not in (ROOT / "lambda-client-ip/src/presets/cloudflare.txt").read_text()


@pytest.mark.parametrize("broken", ["malformed", "missing"])
def test_a_failed_or_malformed_download_writes_nothing(provider, tmp_path, broken):
    base, folder = provider
    path = tmp_path / "ranges.txt"
    path.write_text("the last good file\n")
    if broken == "malformed":
        (folder / "ips-v4").write_text("<html>Service Unavailable</html>\n")
    else:
        (folder / "public-ip-list").unlink()
    done = presets(base, path)
    assert done.returncode != 0
    assert ("is not a canonical CIDR" if broken == "malformed" else "404") in done.stderr, done.stderr
    assert path.read_text() == "the last good file\n"


@pytest.mark.parametrize(
    "content, says",
    [
        (None, "the file cannot be read"),
        ("<html>Service Unavailable</html>\n", "is not a canonical CIDR"),
        ("# fastly: old\n# published: 2024-01-02\n151.101.0.0/16\n", "before the bundled list (2025-07-25)"),
    ],
)
def test_a_ranges_file_that_cannot_be_used_is_refused_at_start(local_alb_bin, tmp_path, content, says):
    path = tmp_path / "ranges.txt"
    if content is not None:
        path.write_text(content)
    done = subprocess.run(
        [str(local_alb_bin), "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=30,
        env=clean_env(CLIENT_IP_RANGES_FILE=str(path)),
    )
    assert done.returncode == 78, done.stderr
    assert f'CLIENT_IP_RANGES_FILE="{path}" is not accepted' in done.stderr and says in done.stderr, done.stderr
