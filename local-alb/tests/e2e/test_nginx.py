"""A real nginx in front, appending its peer to X-Forwarded-For: the classic "same IP for every
machine" bug, reproduced, and its two fixes, a count of 1 and nginx's address as trusted."""

from support import SOURCES, run_clients

NGINX_ADDR = "127.0.0.53"  # nginx's upstream connections come from here, distinct from every client
HONEST = [(s, "", "self") for s in SOURCES]
FORGING = [(s, forged, "self") for s in SOURCES for forged in ("6.6.6.6", f"{s}, 10.9.9.9")]


def test_count_one_behind_nginx_gives_each_client_its_own_address_whatever_it_forges(start_alb, nginx):
    alb = start_alb("count", TRUSTED_PROXY_COUNT="1")
    (front,) = nginx(NGINX_ADDR, alb.port)
    run_clients("nginx + TRUSTED_PROXY_COUNT=1", "127.0.0.1", front, HONEST + FORGING, 10)


def test_nginx_as_trusted_cidr_gives_each_client_its_own_address_whatever_it_forges(start_alb, nginx):
    alb = start_alb("cidrs", TRUSTED_PROXY_CIDRS=NGINX_ADDR)
    (front,) = nginx(NGINX_ADDR, alb.port)
    run_clients(f"nginx + TRUSTED_PROXY_CIDRS={NGINX_ADDR}", "127.0.0.1", front, HONEST + FORGING, 10)


def test_default_count_zero_behind_nginx_gives_every_client_nginx_address(start_alb, nginx):
    # The classic bug: everyone is nginx.
    alb = start_alb("naive")
    (front,) = nginx(NGINX_ADDR, alb.port)
    naive = [(s, forged, NGINX_ADDR) for s in SOURCES for forged in ("", "6.6.6.6")]
    run_clients("nginx + default count 0", "127.0.0.1", front, naive, 10)


def test_bypassing_nginx_a_count_of_one_believes_the_forged_entry(start_alb):
    # Why CIDRs are stronger than a count: a client that reaches the load balancer without
    # passing nginx can forge the entry a count trusts ...
    alb = start_alb("count", TRUSTED_PROXY_COUNT="1")
    run_clients("bypassing nginx, count of 1", "127.0.0.1", alb.port, [("127.0.0.2", "6.6.6.6", "6.6.6.6")], 3)


def test_bypassing_nginx_trusted_cidrs_still_give_the_real_address(start_alb):
    # ... but not the peer address a CIDR check looks at.
    alb = start_alb("cidrs", TRUSTED_PROXY_CIDRS=NGINX_ADDR)
    run_clients("bypassing nginx, trusted CIDRs", "127.0.0.1", alb.port, [("127.0.0.2", "6.6.6.6", "self")], 3)
