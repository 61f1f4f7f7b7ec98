#!/usr/bin/env bash
# Network for the kernel suite, made of namespaces in the guest (never run this on a host you care about).
#
#   netns.sh up [REALS]   create a client and REALS (default 3) real servers, all on one bridge with the
#                         director (the root namespace, where IPVS and lvsd run)
#   netns.sh down         remove everything `up` made
#   netns.sh env          print the addresses as shell variables
#
# Layout (one L2 segment, two subnets, as a DR setup needs):
#   director  lvsbr  10.0.1.1/24 fd00:1::1/64 (client side), 10.0.2.1/24 fd00:2::1/64 (real side)
#             lvsvip 10.0.0.100/32 fd00::100/128 (the VIP; the client reaches it through the director)
#   client    lvs-client  eth0 10.0.1.2/24 fd00:1::2/64, default via the director
#   real N    lvs-rsN     eth0 10.0.2.(10+N)/24 fd00:2::(10+N)/64, default via the director (NAT replies),
#             VIP on lo and tunl0/ip6tnl0 for DR and TUN; replies from the VIP go straight to the client
#             (policy rule "from VIP"), so DR/TUN replies bypass the director as on a real LAN.
set -euo pipefail
VIP4=10.0.0.100
VIP6=fd00::100
CLIENT4=10.0.1.2
CLIENT6=fd00:1::2
DIR_C4=10.0.1.1 DIR_C6=fd00:1::1 DIR_R4=10.0.2.1 DIR_R6=fd00:2::1

real4() { echo "10.0.2.$((10 + $1))"; }
real6() { echo "fd00:2::$((10 + $1))"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

attach() { # attach NS ADDR4/len ADDR6/len: a veth from the bridge into NS, named eth0 inside
  local ns=$1 a4=$2 a6=$3 host="v-${1#lvs-}"
  ip link add "$host" type veth peer name eth0 netns "$ns"
  ip link set "$host" master lvsbr up
  # The director forwards replies back out of the bridge they came in on; an IPv6 redirect would then
  # tell a real server that the client is on-link, and NAT replies would bypass the director.
  nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.all.accept_redirects=0 net.ipv6.conf.default.accept_redirects=0 \
    net.ipv4.conf.all.accept_redirects=0 net.ipv4.conf.default.accept_redirects=0
  nsx "$ns" ip link set lo up
  nsx "$ns" ip addr add "$a4" dev eth0
  nsx "$ns" ip -6 addr add "$a6" dev eth0 nodad
  nsx "$ns" sysctl -qw net.ipv6.conf.eth0.accept_redirects=0 net.ipv4.conf.eth0.accept_redirects=0
  nsx "$ns" ip link set eth0 up
}

up() {
  local n=${1:-3}
  sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv6.conf.all.accept_dad=0 \
    net.ipv6.conf.default.accept_dad=0 net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0
  ip link add lvsbr type bridge
  ip link set lvsbr up
  ip addr add "$DIR_C4/24" dev lvsbr
  ip addr add "$DIR_R4/24" dev lvsbr
  ip -6 addr add "$DIR_C6/64" dev lvsbr nodad
  ip -6 addr add "$DIR_R6/64" dev lvsbr nodad
  ip link add lvsvip type dummy
  ip link set lvsvip up
  ip addr add "$VIP4/32" dev lvsvip
  ip -6 addr add "$VIP6/128" dev lvsvip nodad

  ip netns add lvs-client
  attach lvs-client "$CLIENT4/24" "$CLIENT6/64"
  nsx lvs-client ip route add default via "$DIR_C4"
  nsx lvs-client ip -6 route add default via "$DIR_C6"

  local i ns
  for ((i = 1; i <= n; i++)); do
    ns=lvs-rs$i
    ip netns add "$ns"
    attach "$ns" "$(real4 "$i")/24" "$(real6 "$i")/64"
    nsx "$ns" ip route add default via "$DIR_R4"
    nsx "$ns" ip -6 route add default via "$DIR_R6"
    # DR: the VIP is local but never answered for in ARP; TUN: decapsulate to the VIP.
    nsx "$ns" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
      net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
    nsx "$ns" ip addr add "$VIP4/32" dev lo
    nsx "$ns" ip -6 addr add "$VIP6/128" dev lo nodad
    nsx "$ns" ip link add tunl0 type ipip 2>/dev/null || true # the ipip module creates it by itself
    nsx "$ns" ip link set tunl0 up
    nsx "$ns" sysctl -qw net.ipv4.conf.tunl0.rp_filter=0
    nsx "$ns" ip link set ip6tnl0 up 2>/dev/null || true
    # Replies from the VIP (DR/TUN) go on-link to the client; replies from the RIP (NAT) via the director.
    nsx "$ns" ip rule add from "$VIP4" table 100
    nsx "$ns" ip route add 10.0.1.0/24 dev eth0 table 100
    nsx "$ns" ip -6 rule add from "$VIP6" table 100
    nsx "$ns" ip -6 route add fd00:1::/64 dev eth0 table 100
  done
}

down() {
  local ns
  for ns in $(ip netns list | awk '$1 ~ /^lvs-/ {print $1}'); do
    ip netns pids "$ns" | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns"
  done
  ip link del lvsvip 2>/dev/null || true
  ip link del lvsbr 2>/dev/null || true
}

env_vars() {
  local n i
  n=$(ip netns list | grep -c '^lvs-rs' || true)
  echo "VIP4=$VIP4 VIP6=$VIP6 CLIENT4=$CLIENT4 CLIENT6=$CLIENT6 REALS=$n"
  for ((i = 1; i <= n; i++)); do echo "RS${i}_4=$(real4 "$i") RS${i}_6=$(real6 "$i")"; done
}

case "${1:-}" in
  up) up "${2:-3}" ;;
  down) down ;;
  env) env_vars ;;
  *) echo "usage: $0 up [REALS] | down | env" >&2; exit 2 ;;
esac
