"""The front doors of 2026 (`local-alb --via`): chained CDNs, Fastly, API Gateway HTTP APIs
emitting `Forwarded` (behind a CDN or not), Global Accelerator without client IP preservation and
VPC Lattice. Each door's edge listens on its own port and reaches the ALB from an address of the
right range; callers on the ALB's own port went around it.

For each door: the answer real clients get under the documented setting, what a caller who goes
around the door gets, and what explain mode says.
"""

import json
import re

import pytest

from support import SOURCES, body_of, run_clients

GLOBAL_ACCELERATOR_EDGE = "3.2.48.1"  # the GA hop: the first host of the first range of the preset
VPC_LINK = "10.0.1.0/24"  # the VPC link's subnet: the apigw-http hop connects from 10.0.1.25
ANY_PRIVATE = "any-private-address-insiders-can-forge"  # VPC_LINK_CIDRS's opt-in


def start_door(start_alb, door, *options, **settings):
    return start_alb(
        door, "--listen", "127.0.0.1:0", "--via", door, "--via-listen", "127.0.0.1:0", *options, **settings
    )


def explained(url, *curl_args, source="127.0.0.4"):
    body = json.loads(body_of(url, *curl_args, source=source))
    assert "explain" in body, body
    return body["explain"]


def edge(alb):
    return f"http://127.0.0.1:{alb.edge_port}/"


def every_client_gets_its_own_address(alb, label):
    """Clients from eight loopback addresses, forging an entry or not, through the door's edge."""
    through = [(s, forged, "self") for s in SOURCES for forged in ("", "6.6.6.6")]
    run_clients(label, "127.0.0.1", alb.edge_port, through, 5)


# Fastly ----------------------------------------------------------------------------------------


def test_through_fastly_the_fastly_preset_gives_each_client_its_own_address(start_alb):
    alb = start_door(start_alb, "fastly", TRUSTED_PROXY_CIDRS="fastly")
    every_client_gets_its_own_address(alb, "fastly: clients through the edge")


def test_a_forged_fastly_client_ip_through_fastly_changes_nothing(start_alb):
    alb = start_door(start_alb, "fastly", TRUSTED_PROXY_CIDRS="fastly")
    got = body_of(edge(alb), "-H", "Fastly-Client-IP: 6.6.6.6", source="127.0.0.6")
    assert got == '{"client_ip":"127.0.0.6"}'


def test_a_caller_around_fastly_forging_an_edge_entry_gets_its_own_address(start_alb):
    alb = start_door(start_alb, "fastly", TRUSTED_PROXY_CIDRS="fastly")
    got = body_of(alb.url(), "-H", "X-Forwarded-For: 6.6.6.6, 23.235.32.1", source="127.0.0.7")
    assert got == '{"client_ip":"127.0.0.7"}'


def test_through_fastly_explain_names_the_fastly_preset(start_alb):
    alb = start_door(start_alb, "fastly", CLIENT_IP_EXPLAIN="true")
    e = explained(edge(alb))
    assert e["peer"] == {"kind": "cdn", "preset": "fastly"}
    assert "TRUSTED_PROXY_CIDRS=fastly answers 127.0.0.4" in e["suggestion"]


def test_fastly_client_ip_is_refused_at_start(start_alb):
    with pytest.raises(AssertionError) as refused:
        start_door(start_alb, "fastly", TRUSTED_PROXY_CIDRS="fastly", CLIENT_IP_HEADER="fastly-client-ip")
    assert "TRUSTED_PROXY_CIDRS=fastly" in str(refused.value)


# Cloudflare → CloudFront → ALB -----------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "cf-connecting-ip"])
def test_through_cloudflare_and_cloudfront_both_presets_give_each_client_its_own_address(start_alb, header):
    settings = {"TRUSTED_PROXY_CIDRS": "cloudfront,cloudflare"}
    if header:
        settings["CLIENT_IP_HEADER"] = header
    alb = start_door(start_alb, "cloudflare-cloudfront", **settings)
    every_client_gets_its_own_address(alb, "cloudflare-cloudfront: clients through both")


def test_a_caller_around_both_cdns_forging_their_entries_gets_its_own_address(start_alb):
    alb = start_door(
        start_alb, "cloudflare-cloudfront", TRUSTED_PROXY_CIDRS="cloudfront,cloudflare",
        CLIENT_IP_HEADER="cf-connecting-ip",
    )
    forged = ["-H", "X-Forwarded-For: 6.6.6.6,172.70.1.5, 130.176.0.12", "-H", "CF-Connecting-IP: 6.6.6.6"]
    assert body_of(alb.url(), *forged, source="127.0.0.7") == '{"client_ip":"127.0.0.7"}'


def test_the_viewer_address_behind_two_cdns_names_a_cloudflare_edge_and_is_refused(start_alb):
    alb = start_door(
        start_alb, "cloudflare-cloudfront", TRUSTED_PROXY_CIDRS="cloudfront,cloudflare",
        CLIENT_IP_HEADER="cloudfront-viewer-address",
    )
    body = json.loads(body_of(edge(alb)))
    assert body["error"] == "client_header_trusted", body


def test_through_both_cdns_explain_suggests_both_presets(start_alb):
    alb = start_door(start_alb, "cloudflare-cloudfront", CLIENT_IP_EXPLAIN="true")
    e = explained(edge(alb))
    assert e["peer"] == {"kind": "cdn", "preset": "cloudfront"}
    assert e["hops"][1]["presets"] == ["cloudflare"]
    assert "TRUSTED_PROXY_CIDRS=cloudfront,cloudflare answers 127.0.0.4" in e["suggestion"]
    assert "TRUSTED_PROXY_COUNT=2" in e["suggestion"]


# API Gateway HTTP API → VPC link → internal ALB, behind Cloudflare, CloudFront or nothing -------


def forwarded(**settings):
    """CLIENT_IP_HEADER=forwarded with the VPC link's subnet named, and `settings`."""
    return {"CLIENT_IP_HEADER": "forwarded", "VPC_LINK_CIDRS": VPC_LINK, **settings}


def test_behind_an_http_api_forwarded_by_count_gives_each_client_its_own_address(start_alb):
    alb = start_door(start_alb, "apigw-http", **forwarded(TRUSTED_PROXY_COUNT="0"))
    every_client_gets_its_own_address(alb, "apigw-http: clients through API Gateway")


def test_forwarded_without_the_vpc_link_subnets_is_refused_naming_them_and_the_opt_in(start_alb):
    with pytest.raises(AssertionError) as refused:
        start_door(start_alb, "apigw-http", CLIENT_IP_HEADER="forwarded", TRUSTED_PROXY_COUNT="0")
    said = str(refused.value)
    assert 'CLIENT_IP_HEADER="forwarded" needs VPC_LINK_CIDRS' in said, said
    assert "the VPC link's subnets" in said and f"VPC_LINK_CIDRS={ANY_PRIVATE}" in said, said


def test_the_any_private_address_opt_in_starts_with_a_warning_on_the_start_line(start_alb):
    def start_line(link):
        alb = start_door(start_alb, "apigw-http", **forwarded(TRUSTED_PROXY_COUNT="0", VPC_LINK_CIDRS=link))
        body = body_of(edge(alb), "-H", "X-Forwarded-For: 6.6.6.6", source="127.0.0.6")
        assert body == '{"client_ip":"127.0.0.6"}', body
        return next(l for l in alb.log_text().splitlines() if "alb-client-ip in-process" in l)

    loose, tight = start_line(ANY_PRIVATE), start_line(VPC_LINK)
    assert "WARN" in loose and "any machine in the VPC or a peered network" in loose, loose
    assert f"VPC_LINK_CIDRS={ANY_PRIVATE}" in loose, loose
    assert "WARN" not in tight, tight


def test_behind_an_http_api_explain_points_to_forwarded(start_alb):
    alb = start_door(start_alb, "apigw-http", CLIENT_IP_EXPLAIN="true")
    e = explained(edge(alb))
    assert e["peer"] == {"kind": "private"}
    # The setting named with the VPC link's address, and the client it answers.
    link = "VPC_LINK_CIDRS=<the VPC link's subnets, which hold 10.0.1.25>"
    assert f"CLIENT_IP_HEADER=forwarded TRUSTED_PROXY_COUNT=0 {link} answers 127.0.0.4" in e["suggestion"]


def test_behind_cloudflare_and_an_http_api_forwarded_by_ranges_gives_each_client_its_own_address(start_alb):
    alb = start_door(start_alb, "cloudflare-apigw-http", **forwarded(TRUSTED_PROXY_CIDRS="cloudflare"))
    every_client_gets_its_own_address(alb, "cloudflare-apigw-http: clients through both")


def test_a_caller_around_cloudflare_calling_the_api_directly_gets_its_own_address(start_alb):
    # The same setting on an API that is also reachable without Cloudflare: the element API
    # Gateway appends names the caller, which is outside Cloudflare's ranges, so it is the answer.
    alb = start_door(start_alb, "apigw-http", **forwarded(TRUSTED_PROXY_CIDRS="cloudflare"))
    forged = ["-H", "X-Forwarded-For: 6.6.6.6", "-H", "Forwarded: for=6.6.6.6"]
    assert body_of(edge(alb), *forged, source="127.0.0.7") == '{"client_ip":"127.0.0.7"}'


def test_behind_cloudflare_and_an_http_api_a_count_of_zero_answers_the_cloudflare_edge(start_alb):
    # Why the ranges: a count of 0 reads the element API Gateway appended, Cloudflare's edge.
    alb = start_door(start_alb, "cloudflare-apigw-http", **forwarded(TRUSTED_PROXY_COUNT="0"))
    body = json.loads(body_of(edge(alb)))
    assert body["client_ip"] != "127.0.0.4"


def test_behind_cloudfront_and_an_http_api_forwarded_by_ranges_gives_each_client_its_own_address(start_alb):
    alb = start_door(start_alb, "cloudfront-apigw-http", **forwarded(TRUSTED_PROXY_CIDRS="cloudfront"))
    every_client_gets_its_own_address(alb, "cloudfront-apigw-http: clients through both")


def test_behind_cloudfront_and_an_http_api_a_count_of_zero_answers_cloudfront(start_alb):
    # API Gateway's last for= is CloudFront's origin-facing address, never the viewer.
    cloudfront = start_door(start_alb, "cloudfront")
    cloudfront_edge = re.search(r"connects from (\S+)\)", cloudfront.process.output()).group(1)
    alb = start_door(start_alb, "cloudfront-apigw-http", **forwarded(TRUSTED_PROXY_COUNT="0"))
    body = json.loads(body_of(edge(alb), source="127.0.0.6"))
    assert body["client_ip"] == cloudfront_edge, body


def test_a_caller_around_cloudfront_forging_its_entry_gets_its_own_address(start_alb):
    # The API called directly, with CloudFront's address forged as the last X-Forwarded-For entry:
    # the element API Gateway appends is the caller, outside CloudFront's ranges.
    alb = start_door(start_alb, "apigw-http", **forwarded(TRUSTED_PROXY_CIDRS="cloudfront"))
    forged = ["-H", "X-Forwarded-For: 6.6.6.6, 130.176.0.12", "-H", "Forwarded: for=6.6.6.6"]
    assert body_of(edge(alb), *forged, source="127.0.0.7") == '{"client_ip":"127.0.0.7"}'


# Where no client address exists, or it is not unique -----------------------------------------


def test_behind_global_accelerator_without_preservation_every_client_gets_the_edge(start_alb):
    alb = start_door(start_alb, "global-accelerator", AWS_LAMBDA_LOG_LEVEL="warn")
    same = [(s, "", GLOBAL_ACCELERATOR_EDGE) for s in SOURCES[:4]]
    run_clients("global-accelerator: the classic bug", "127.0.0.1", alb.edge_port, same, 3)
    assert "Global Accelerator without client IP preservation" in alb.log_text()


def test_behind_global_accelerator_explain_says_to_turn_on_preservation(start_alb):
    alb = start_door(start_alb, "global-accelerator", CLIENT_IP_EXPLAIN="true")
    e = explained(edge(alb))
    assert e["peer"] == {"kind": "global_accelerator"}
    assert "Turn on client IP preservation" in e["suggestion"]
    assert "clients reach it directly" not in e["suggestion"]


def test_behind_vpc_lattice_its_ranges_give_each_client_its_own_address(start_alb):
    alb = start_door(start_alb, "lattice", TRUSTED_PROXY_CIDRS="169.254.171.0/24")
    every_client_gets_its_own_address(alb, "lattice: clients through Lattice")


def test_behind_vpc_lattice_explain_names_lattice_and_the_callers_vpc(start_alb):
    alb = start_door(start_alb, "lattice", CLIENT_IP_EXPLAIN="true", AWS_LAMBDA_LOG_LEVEL="warn")
    e = explained(edge(alb))
    assert e["peer"] == {"kind": "lattice"}
    assert "TRUSTED_PROXY_CIDRS=169.254.171.33 answers 127.0.0.4" in e["suggestion"]
    assert "x-amzn-lattice-network" in e["suggestion"]
    assert "VPC Lattice" in alb.log_text()
