"""local-alb's command line: what it documents, and how it refuses a bad flag or configuration."""

import datetime
import re
import subprocess

from support import ROOT, clean_env


def run(local_alb_bin, *args, **settings):
    return subprocess.run(
        [str(local_alb_bin), *args], capture_output=True, text=True, timeout=30, env=clean_env(**settings)
    )


def test_help_describes_xff_mode(local_alb_bin):
    done = run(local_alb_bin, "--help")
    assert done.returncode == 0, done.stderr
    assert "--xff-mode" in done.stdout


def test_a_bad_flag_value_exits_2_naming_the_flag_and_the_value(local_alb_bin):
    done = run(local_alb_bin, "--xff-mode", "sideways")
    assert done.returncode == 2, done.stderr
    assert "--xff-mode" in done.stderr and "'sideways'" in done.stderr, done.stderr


def test_a_bad_function_configuration_is_refused_by_name(local_alb_bin):
    done = run(local_alb_bin, "--listen", "127.0.0.1:1", TRUSTED_PROXY_COUNT="99")
    assert done.returncode != 0
    assert "TRUSTED_PROXY_COUNT" in done.stderr, done.stderr


def test_each_trusted_preset_is_printed_with_its_date_and_staleness_as_the_function_logs_it(start_alb):
    alb = start_alb("presets", TRUSTED_PROXY_CIDRS="cloudfront, 10.0.0.0/8, fastly")
    stale_after = int(re.search(r"STALE_AFTER_DAYS: u64 = (\d+)", (ROOT / "lambda-client-ip/src/preset.rs").read_text())[1])
    today = datetime.datetime.now(datetime.timezone.utc).date()
    lines = alb.log_text().splitlines()
    for preset in ("cloudfront", "fastly"):
        snapshot = (ROOT / f"lambda-client-ip/src/presets/{preset}.txt").read_text()
        published = re.search(r"^# published: (\S+)", snapshot, re.M)[1]
        age = (today - datetime.date.fromisoformat(published)).days
        [line] = [l for l in lines if f"preset={preset} " in l]
        assert f"published={published} age_days={age}:" in line, line
        stale = "ranges are stale" in line and "docs/deploy.md#fresh-ranges-without-a-release" in line
        assert stale == (age > stale_after), line
    assert not [l for l in lines if "preset=cloudflare" in l]
