#!/usr/bin/env bash
# Two machines and a load balancer host as network namespaces, for the local-alb end-to-end
# tests (local-alb/tests/e2e/). Needs root and the ip command (iproute2).
#
#   netns.sh up PREFIX     creates PREFIX-alb, PREFIX-m1 and PREFIX-m2, joined by veth pairs:
#                          machine 1 is 169.254.101.1 and reaches the ALB host at 169.254.101.2;
#                          machine 2 is 169.254.102.1 and reaches it at 169.254.102.2
#   netns.sh down PREFIX   deletes the three namespaces (and with them the veth pairs)
#
# `up` exits 3 when this machine cannot make a namespace at all (the tests are then skipped).
# The link-local /30 pairs exist only inside these namespaces: nothing reaches another network.
set -euo pipefail
action=$1 prefix=$2
alb=$prefix-alb m1=$prefix-m1 m2=$prefix-m2
case $action in
  up)
    ip netns add "$alb" || exit 3
    ip netns add "$m1"
    ip netns add "$m2"
    for ns in "$alb" "$m1" "$m2"; do ip -n "$ns" link set lo up; done
    ip link add m1 netns "$m1" type veth peer name to-m1 netns "$alb"
    ip link add m2 netns "$m2" type veth peer name to-m2 netns "$alb"
    ip -n "$m1" addr add 169.254.101.1/30 dev m1
    ip -n "$alb" addr add 169.254.101.2/30 dev to-m1
    ip -n "$m2" addr add 169.254.102.1/30 dev m2
    ip -n "$alb" addr add 169.254.102.2/30 dev to-m2
    ip -n "$m1" link set m1 up
    ip -n "$m2" link set m2 up
    ip -n "$alb" link set to-m1 up
    ip -n "$alb" link set to-m2 up
    ;;
  down)
    for ns in "$alb" "$m1" "$m2"; do ip netns del "$ns" 2>/dev/null || true; done
    ;;
  *)
    echo "usage: netns.sh up|down PREFIX" >&2
    exit 2
    ;;
esac
