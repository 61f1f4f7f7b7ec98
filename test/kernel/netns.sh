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

# Processes are few on purpose: under software emulation every exec costs about a quarter of a
# second. sysctls are written to /proc/sys by the shell itself, `ip` reads its commands in batches,
# and each namespace is entered once.
inside() { # NS SHELL-SNIPPET IP-BATCH [IP6-BATCH]: the snippet, `ip -batch`, `ip -6 -batch`, inside NS
  local script
  script="set -e; $2
ip -batch - <<'EOB'
$3
EOB"
  [ -n "${4:-}" ] && script+="
ip -6 -batch - <<'EOB'
$4
EOB"
  ip netns exec "$1" sh -c "$script"
}

w() { printf 'echo %s > /proc/sys/net/%s; ' "$2" "${1//.//}"; }

host_side() { # the common part of a namespace: lo, eth0 with its addresses, default routes
  cat <<EOS
link set lo up
address add $1 dev eth0
address add $2 dev eth0 nodad
link set eth0 up
route add default via $3
route add default via $4
EOS
}

# The director forwards replies back out of the bridge they came in on; an IPv6 redirect would then
# tell a real server that the client is on-link, and NAT replies would bypass the director.
NO_REDIRECTS="$(for f in all default eth0; do w ipv6.conf.$f.accept_dad 0; w ipv6.conf.$f.accept_redirects 0; w ipv4.conf.$f.accept_redirects 0; done)"
# DR: the VIP is local but never answered for in ARP; TUN: tunl0 decapsulates to the VIP.
REAL_SYSCTL="$(w ipv4.conf.all.arp_ignore 1; w ipv4.conf.all.arp_announce 2; w ipv4.conf.all.rp_filter 0; w ipv4.conf.default.rp_filter 0)"
real_side() {
  # Replies from the VIP (DR/TUN) go on-link to the client; replies from the RIP (NAT) via the director.
  cat <<EOS
address add $VIP4/32 dev lo
address add $VIP6/128 dev lo nodad
link set tunl0 up
link set ip6tnl0 up
rule add from $VIP4 table 100
route add 10.0.1.0/24 dev eth0 table 100
EOS
}
real_side6() {
  cat <<EOS
rule add from $VIP6 table 100
route add fd00:1::/64 dev eth0 table 100
EOS
}

up() {
  local n=${1:-3} i
  # expire_nodest_conn=1, as on a production director: a new SYN that meets the connection entry of
  # a real no longer in the service gets scheduled afresh instead of dropped until the entry expires.
  eval "$(w ipv4.ip_forward 1; w ipv6.conf.all.forwarding 1; w ipv6.conf.all.accept_dad 0; w ipv6.conf.default.accept_dad 0;
    w ipv4.conf.all.send_redirects 0; w ipv4.conf.default.send_redirects 0;
    w ipv4.vs.expire_nodest_conn 1)"
  {
    cat <<EOS
link add lvsbr type bridge
link set lvsbr up
address add $DIR_C4/24 dev lvsbr
address add $DIR_R4/24 dev lvsbr
address add $DIR_C6/64 dev lvsbr nodad
address add $DIR_R6/64 dev lvsbr nodad
link add lvsvip type dummy
link set lvsvip up
address add $VIP4/32 dev lvsvip
address add $VIP6/128 dev lvsvip nodad
netns add lvs-client
EOS
    for ((i = 1; i <= n; i++)); do echo "netns add lvs-rs$i"; done
    for ns in client $(seq -f 'rs%g' 1 "$n"); do
      echo "link add v-$ns type veth peer name eth0 netns lvs-$ns"
      echo "link set v-$ns master lvsbr up"
    done
  } | ip -batch -

  inside lvs-client "$NO_REDIRECTS" "$(host_side "$CLIENT4/24" "$CLIENT6/64" "$DIR_C4" "$DIR_C6")"
  for ((i = 1; i <= n; i++)); do
    # loading ipip/ip6_tunnel made tunl0/ip6tnl0 in every namespace
    inside "lvs-rs$i" "$NO_REDIRECTS $REAL_SYSCTL $(w ipv4.conf.tunl0.rp_filter 0)" \
      "$(host_side "$(real4 "$i")/24" "$(real6 "$i")/64" "$DIR_R4" "$DIR_R6"; real_side)" "$(real_side6)"
  done
}

down() {
  local ns l
  # Host ends of the veths first: deleting one end removes both at once, while a deleted namespace
  # takes its end down asynchronously and an `up` right after would find v-NAME still there.
  for l in $(ip -o link show | awk -F': ' '$2 ~ /^v-/ {sub(/@.*/, "", $2); print $2}'); do
    ip link del "$l" 2>/dev/null || true
  done
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
