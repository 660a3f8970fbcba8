"""A CDN in front (`local-alb --via`): the edge listens on its own port, appends the client, sets
its header and reaches the ALB from an address in the bundled preset. Callers on the ALB's own
port went around the CDN: whatever they forge, they must get their own address.

CDN header behaviour lives here, apart from the rest, so that a change to it is made in one place.
"""

import pytest

from support import SOURCES, body_of, free_port, run_clients

# cdn: (its single-address header, a forged copy of it, an edge address in its preset)
CDNS = {
    "cloudfront": ("cloudfront-viewer-address", "CloudFront-Viewer-Address: 6.6.6.6:1", "130.176.0.12"),
    "cloudflare": ("cf-connecting-ip", "CF-Connecting-IP: 6.6.6.6", "172.70.1.5"),
}


def start_behind(start_alb, name, cdn, **settings):
    return start_alb(
        name, "--listen", "127.0.0.1:0", "--via", cdn, "--via-listen", "127.0.0.1:0", **settings
    )


def start_trusting(start_alb, cdn, how):
    """Behind `cdn`, trusting its preset; with how == "header", reading its header too."""
    settings = {"TRUSTED_PROXY_CIDRS": cdn}
    if how == "header":
        settings["CLIENT_IP_HEADER"] = CDNS[cdn][0]
    return start_behind(start_alb, f"{cdn}-{how}", cdn, **settings)


@pytest.mark.parametrize("how", ["chain", "header"])
@pytest.mark.parametrize("cdn", list(CDNS))
def test_trusted_cdn_ranges_give_clients_through_the_cdn_their_own_address(start_alb, cdn, how):
    alb = start_trusting(start_alb, cdn, how)
    through = [(s, forged, "self") for s in SOURCES for forged in ("", "6.6.6.6")]
    run_clients(f"{cdn}-{how}: clients through the CDN", "127.0.0.1", alb.edge_port, through, 5)


@pytest.mark.parametrize("how", ["chain", "header"])
@pytest.mark.parametrize("cdn", list(CDNS))
def test_a_caller_around_the_cdn_forging_its_entry_and_header_gets_its_own_address(start_alb, cdn, how):
    _, forged, edge = CDNS[cdn]
    alb = start_trusting(start_alb, cdn, how)
    got = body_of(alb.url(), "-H", f"X-Forwarded-For: 6.6.6.6, {edge}", "-H", forged, source="127.0.0.7")
    assert got == '{"client_ip":"127.0.0.7"}'


def test_cloudfront_viewer_address_carries_the_viewers_source_port(start_alb):
    alb = start_behind(
        start_alb, "viewer-port", "cloudfront",
        TRUSTED_PROXY_CIDRS="cloudfront", CLIENT_IP_HEADER="cloudfront-viewer-address",
    )
    port = free_port()
    got = body_of(f"http://127.0.0.1:{alb.edge_port}/", source="127.0.0.8", local_port=port)
    assert got == f'{{"client_ip":"127.0.0.8","client_port":{port}}}'


def test_count_one_through_the_cdn_gives_clients_their_own_address(start_alb):
    alb = start_behind(start_alb, "count-around", "cloudfront", TRUSTED_PROXY_COUNT="1")
    run_clients("count 1 through CloudFront", "127.0.0.1", alb.edge_port, [("127.0.0.2", "6.6.6.6", "self")], 5)


def test_count_one_believes_what_a_caller_around_the_cdn_forged_as_documented(start_alb):
    # The weakness the ranges close.
    alb = start_behind(start_alb, "count-around", "cloudfront", TRUSTED_PROXY_COUNT="1")
    got = body_of(alb.url(), "-H", "X-Forwarded-For: 6.6.6.6", source="127.0.0.7")
    assert got == '{"client_ip":"6.6.6.6"}'
