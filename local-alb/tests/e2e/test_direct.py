"""Clients straight to local-alb with the function in-process: each gets its own address,
whatever it forges, and the load balancer's own refusals, header modes and shutdown."""

import re
import signal
import socket

import pytest

from support import SOURCES, body_of, curl, finish, free_port, run_clients

FORGING = [(s, forged, "self") for s in SOURCES for forged in ("6.6.6.6", "1.2.3.4, 5.6.7.8")]


def test_concurrent_ipv4_and_ipv6_clients_each_get_their_own_address(start_alb):
    alb = start_alb("direct", "--listen", "127.0.0.1:0", "--listen", "[::1]:0")
    v4 = run_clients("IPv4 clients", "127.0.0.1", alb.ports[0], [(s, "", "self") for s in SOURCES], 25, wait=False)
    v6 = run_clients("IPv6 client", "::1", alb.ports[1], [("::1", "", "self")], 25, wait=False)
    finish(v4)
    finish(v6)


def test_default_configuration_ignores_a_forged_x_forwarded_for(start_alb):
    alb = start_alb("direct")
    run_clients("forging clients", "127.0.0.1", alb.port, FORGING, 10)


def xff(n):
    return "X-Forwarded-For: " + ", ".join(["192.0.2.1"] * n)


def test_thirty_forwarded_addresses_pass_and_thirty_one_are_refused_with_463(start_alb):
    alb = start_alb("direct")
    assert curl(alb.url(), "-H", xff(30))[0] == "200"
    assert curl(alb.url(), "-H", xff(31))[0] == "463"
    assert re.search(r'" 463 - .*TooManyForwardedFor', alb.log_text()), "the access log does not explain the 463"


def test_a_17_kib_header_or_request_line_is_refused_with_400(start_alb):
    alb = start_alb("direct")
    assert curl(alb.url(), "-H", "X-Big: " + "a" * 17000)[0] == "400"
    assert curl(alb.url("/?q=" + "a" * 17000))[0] == "400"


def test_a_body_of_1_mib_passes_and_one_byte_more_is_refused_with_413(start_alb, tmp_path):
    alb = start_alb("direct")
    (tmp_path / "big-body").write_bytes(bytes(1024 * 1024 + 1))
    (tmp_path / "mib-body").write_bytes(bytes(1024 * 1024))
    assert curl(alb.url(), "--data-binary", f"@{tmp_path / 'big-body'}")[0] == "413"
    mib = ["--data-binary", f"@{tmp_path / 'mib-body'}", "-H", "Content-Type: application/octet-stream"]
    assert curl(alb.url(), *mib)[0] == "200"


def test_a_body_that_stops_arriving_gets_408_after_the_idle_timeout(start_alb):
    alb = start_alb("idle", "--listen", "127.0.0.1:0", "--idle-timeout", "1")
    with socket.create_connection(("127.0.0.1", alb.port), timeout=5) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        reply = s.recv(200)
    assert reply.startswith(b"HTTP/1.1 408"), reply


def test_a_request_head_that_never_ends_is_closed_after_the_idle_timeout(start_alb):
    alb = start_alb("idle", "--listen", "127.0.0.1:0", "--idle-timeout", "1")
    # The server must close the connection: a 408 (or nothing) and then the end of the stream.
    # The socket timeout only keeps a broken server from hanging the run; no duration is asserted.
    with socket.create_connection(("127.0.0.1", alb.port), timeout=30) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        reply = b""
        for _ in range(10):
            chunk = s.recv(200)
            if not chunk:
                break
            reply += chunk
        else:
            raise AssertionError(f"the connection stayed open after {reply!r}")
    assert reply == b"" or reply.startswith(b"HTTP/1.1 408"), reply


def test_multi_value_headers_ignore_two_forged_lines(start_alb):
    alb = start_alb("multi", "--listen", "127.0.0.1:0", "--multi-value-headers")
    got = body_of(alb.url(), "-H", "X-Forwarded-For: 1.1.1.1", "-H", "X-Forwarded-For: 2.2.2.2, 3.3.3.3")
    assert got == '{"client_ip":"127.0.0.4"}'


def test_xff_client_port_gives_the_clients_port_back_as_client_port(start_alb):
    alb = start_alb("ports", "--listen", "127.0.0.1:0", "--xff-client-port")
    port = free_port()
    got = body_of(alb.url(), "-H", "X-Forwarded-For: 6.6.6.6", local_port=port)
    assert got == f'{{"client_ip":"127.0.0.4","client_port":{port}}}'


def test_preserve_mode_believes_the_client_as_nothing_is_appended(start_alb):
    alb = start_alb("preserve", "--listen", "127.0.0.1:0", "--xff-mode", "preserve")
    assert body_of(alb.url(), "-H", "X-Forwarded-For: 6.6.6.6") == '{"client_ip":"6.6.6.6"}'


def test_remove_mode_leaves_no_client_address_to_vouch_for(start_alb):
    alb = start_alb("remove", "--listen", "127.0.0.1:0", "--xff-mode", "remove")
    got = body_of(alb.url(), "-H", "X-Forwarded-For: 6.6.6.6", source=None)
    assert '"no_client_address"' in got, got


def test_forwarded_by_count_reads_past_an_unterminated_quote_on_the_clients_side(start_alb):
    # API Gateway HTTP API through a VPC link: RFC 7239 Forwarded, by count. The client at
    # 127.0.0.9 stands in for the VPC link, named by VPC_LINK_CIDRS.
    alb = start_alb("forwarded", CLIENT_IP_HEADER="forwarded", TRUSTED_PROXY_COUNT="0",
                    VPC_LINK_CIDRS="127.0.0.9/32")
    forwarded = 'Forwarded: for="6.6.6.6, for=203.0.113.195;proto=https'
    assert body_of(alb.url(), "-H", forwarded, source="127.0.0.9") == '{"client_ip":"203.0.113.195"}'
    # Any other caller writes its own Forwarded in vain: it gets its own address.
    assert body_of(alb.url(), "-H", forwarded, source="127.0.0.10") == '{"client_ip":"127.0.0.10"}'


def test_a_bounded_keep_alive_load_burst_gives_every_client_its_own_address(start_alb):
    alb = start_alb("direct")
    load = [(s, forged, "self") for s in SOURCES for forged in ("", "6.6.6.6")]  # 16 clients
    run_clients("load", "127.0.0.1", alb.port, load, 500, deadline=120)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_local_alb_stops_with_status_0_on_sigterm_and_sigint(start_alb, sig):
    alb = start_alb("direct")
    run_clients("before the signal", "127.0.0.1", alb.port, [(s, "", "self") for s in SOURCES[:2]], 3)
    alb.process.popen.send_signal(sig)
    assert alb.process.popen.wait(10) == 0
