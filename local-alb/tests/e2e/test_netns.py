"""Two machines in network namespaces (scripts/e2e/netns.sh), each reaching local-alb over its
own veth link: each gets its own address, whatever it forges. Skipped without root or `ip`,
which fails the run unless E2E_ALLOW_SKIPS=1 (conftest.py)."""

from support import clean_env, finish, run_clients


def test_two_machines_in_namespaces_each_get_their_own_address(namespaces, processes, local_alb_bin):
    ns_alb, ns_m1, ns_m2 = namespaces
    argv = ["ip", "netns", "exec", ns_alb, local_alb_bin, "--listen", "169.254.101.2:8080", "--listen", "169.254.102.2:8080"]
    alb = processes("netns-alb", argv, env=clean_env())
    alb.wait_for(r"listening on http://169\.254\.102\.2:8080/")
    m1 = [("169.254.101.1", forged, "self") for forged in ("", "6.6.6.6")]
    m2 = [("169.254.102.1", forged, "self") for forged in ("", "6.6.6.6")]
    one = run_clients("machine 1", "169.254.101.2", 8080, m1, 20, netns=ns_m1, wait=False)
    two = run_clients("machine 2", "169.254.102.2", 8080, m2, 20, netns=ns_m2, wait=False)
    finish(one)
    finish(two)
