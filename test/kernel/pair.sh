#!/usr/bin/env bash
# Network for the director-pair test (failover.test.js), made of namespaces in the guest (never run
# this on a host you care about).
#
#   pair.sh up      two directors (ha-d1, ha-d2: each its own IPVS table), three real servers and
#                   a client, all on one bridge (habr) in the caller's namespace
#   pair.sh down    remove everything `up` made
#
# One subnet, direct routing (no gateway to float): the VIP lives on the VRRP master's eth0 and on
# every real's lo; reals answer the client straight from the VIP.
#   client ha-client 10.0.3.2   directors ha-d1 10.0.3.11, ha-d2 10.0.3.12
#   reals  ha-rsN    10.0.3.(20+N), VIP 10.0.3.100 on lo, never answered for in ARP
set -euo pipefail
VIP=10.0.3.100
NSES="client d1 d2 rs1 rs2 rs3"
addr() { case $1 in client) echo 10.0.3.2 ;; d1) echo 10.0.3.11 ;; d2) echo 10.0.3.12 ;; rs*) echo "10.0.3.$((20 + ${1#rs}))" ;; esac; }

w() { printf 'echo %s > /proc/sys/net/%s; ' "$2" "${1//.//}"; }

up() {
  {
    echo "link add habr type bridge"
    echo "link set habr up"
    for ns in $NSES; do
      echo "netns add ha-$ns"
      echo "link add h-$ns type veth peer name eth0 netns ha-$ns"
      echo "link set h-$ns master habr up"
    done
  } | ip -batch -
  # Each namespace is entered once (an exec costs about a quarter of a second under emulation).
  for ns in $NSES; do
    local sys="" extra=""
    case $ns in
      # A production director: a SYN meeting the entry of a real no longer in the service is
      # scheduled afresh. That also drops every entry of a real at once when lvsd removes it, so the
      # master re-sends an established connection to the backup once its last sync is 2 s old
      # (sync_refresh_period, with sync_period 0: by default only every 50th packet): a director
      # that comes back gets them again before it takes the VIP back (preempt_delay). No
      # forwarding: the VIP is local on the master only.
      d*) sys="$(w ipv4.vs.expire_nodest_conn 1; w ipv4.vs.sync_threshold '3 0'; w ipv4.vs.sync_refresh_period 2)" ;;
      # DR: the VIP is local but never answered for in ARP.
      rs*) sys="$(w ipv4.conf.all.arp_ignore 1; w ipv4.conf.all.arp_announce 2)"
           extra="address add $VIP/32 dev lo" ;;
    esac
    ip netns exec "ha-$ns" sh -c "set -e; $sys
ip -batch - <<'EOB'
link set lo up
address add $(addr "$ns")/24 dev eth0
link set eth0 up
$extra
EOB"
  done
}

down() {
  local ns
  # Host ends first: deleting a namespace takes its end down asynchronously.
  for ns in $NSES; do ip link del "h-$ns" 2>/dev/null || true; done
  for ns in $NSES; do
    ip netns pids "ha-$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "ha-$ns" 2>/dev/null || true
  done
  ip link del habr 2>/dev/null || true
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up | down" >&2; exit 2 ;;
esac
