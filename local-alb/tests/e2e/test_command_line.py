"""local-alb's command line: what it documents, and how it refuses a bad flag or configuration."""

import subprocess

from support import clean_env


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
