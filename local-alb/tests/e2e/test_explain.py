"""Explain mode (CLIENT_IP_EXPLAIN=true) names the setting for each topology.

The suggestion texts are asserted here and nowhere else, so that a change of wording is
adjusted in this one file.
"""

import json
import re

import pytest

from support import body_of

NGINX_ADDR = "127.0.0.53"  # nginx's upstream connections come from here, distinct from every client


def suggestion(url, *curl_args):
    """The explain member's suggestion for one request from 127.0.0.4."""
    body = body_of(url, *curl_args, source="127.0.0.4")
    try:
        return json.loads(body)["explain"]["suggestion"]
    except (ValueError, KeyError, TypeError):
        pytest.fail(f"no explain member in {body!r}")


def start_explaining_behind(start_alb, cdn):
    return start_alb(
        f"explain-{cdn}", "--listen", "127.0.0.1:0", "--via", cdn, "--via-listen", "127.0.0.1:0", "--explain",
        CLIENT_IP_EXPLAIN="true",
    )


@pytest.mark.parametrize("cdn", ["cloudfront", "cloudflare"])
def test_through_a_cdn_explain_suggests_its_ranges_and_a_count_of_one(start_alb, cdn):
    alb = start_explaining_behind(start_alb, cdn)
    edge = f"http://127.0.0.1:{alb.edge_port}/"
    want = f"TRUSTED_PROXY_CIDRS={cdn} answers 127.0.0.4"
    got = suggestion(edge, "-H", "X-Forwarded-For: 6.6.6.6")
    assert want in got
    assert "TRUSTED_PROXY_COUNT=1" in suggestion(edge)
    # --explain: the same explanation in the access log, one line per request after its own.
    assert re.search(rf'^explain "Root=.*{re.escape(want)}', alb.log_text(), re.M), "no explanation logged"


def test_straight_to_the_alb_from_loopback_explain_keeps_the_default(start_alb):
    # A loopback client is a private peer with nothing left of it: no proxy that forwards a
    # client, so the default, which answers the client itself.
    alb = start_explaining_behind(start_alb, "cloudflare")
    got = suggestion(alb.url())
    assert "keep the default (TRUSTED_PROXY_COUNT=0), which answers 127.0.0.4" in got
    assert "TRUSTED_PROXY_CIDRS" not in got


def test_behind_nginx_with_the_default_explain_names_both_fixes(start_alb, nginx):
    # nginx is the same for every machine: explain mode, on the misconfigured one, names the fix.
    alb = start_alb("naive", CLIENT_IP_EXPLAIN="true")
    (front,) = nginx(NGINX_ADDR, alb.port)
    url = f"http://127.0.0.1:{front}/"
    assert f"TRUSTED_PROXY_CIDRS={NGINX_ADDR} answers 127.0.0.4" in suggestion(url)
    assert "TRUSTED_PROXY_COUNT=1 answers the same" in suggestion(url)
