#!/bin/bash
# Captures real `mtr -j` reports over a private namespace path, for the mtrjson reader's tests:
#
#   a (198.51.100.1) -- r1 -- r2 -- b (203.0.113.10, 2001:db8:5::10)
#
# r2 answers from 203.0.113.129 (the destination provider's router, in the target's /24).
# Scenarios: healthy (v4, v6), destination blocking ICMP echo, link interrupted after r1, random
# forwarding loss at r1, ICMP rate limiting at r1. Needs root (network namespaces); touches
# nothing outside its own namespaces, which are removed on exit even on failure.
#
#   tests/controller/mtrjson/capture_mtr_samples.sh OUTDIR [COUNT]
set -euo pipefail

out=${1:?usage: $0 OUTDIR [COUNT]}
count=${2:-5}
mkdir -p "$out"
tag="pp$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ns_a="$tag-a" ns_r1="$tag-r1" ns_r2="$tag-r2" ns_b="$tag-b"

cleanup() {
  for ns in "$ns_a" "$ns_r1" "$ns_r2" "$ns_b"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT

for ns in "$ns_a" "$ns_r1" "$ns_r2" "$ns_b"; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done
link() {  # link NS1 IF1 NS2 IF2
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
  ip -n "$1" link set "$2" up
  ip -n "$3" link set "$4" up
}
link "$ns_a" a0 "$ns_r1" r1a
link "$ns_r1" r1b "$ns_r2" r2a
link "$ns_r2" r2b "$ns_b" b0
for ns in "$ns_r1" "$ns_r2"; do
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
done
for ns in "$ns_a" "$ns_r1" "$ns_r2" "$ns_b"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done

ip -n "$ns_a" addr add 198.51.100.1/30 dev a0
ip -n "$ns_r1" addr add 198.51.100.2/30 dev r1a
ip -n "$ns_r1" addr add 203.0.113.130/30 dev r1b
ip -n "$ns_r2" addr add 203.0.113.129/30 dev r2a
ip -n "$ns_r2" addr add 203.0.113.1/25 dev r2b
ip -n "$ns_b" addr add 203.0.113.10/25 dev b0
ip -n "$ns_a" route add default via 198.51.100.2
ip -n "$ns_r1" route add 203.0.113.0/25 via 203.0.113.129
ip -n "$ns_r2" route add 198.51.100.0/30 via 203.0.113.130
ip -n "$ns_b" route add default via 203.0.113.1

ip -n "$ns_a" addr add 2001:db8:1::1/64 dev a0 nodad
ip -n "$ns_r1" addr add 2001:db8:1::2/64 dev r1a nodad
ip -n "$ns_r1" addr add 2001:db8:2::1/64 dev r1b nodad
ip -n "$ns_r2" addr add 2001:db8:2::2/64 dev r2a nodad
ip -n "$ns_r2" addr add 2001:db8:5::1/64 dev r2b nodad
ip -n "$ns_b" addr add 2001:db8:5::10/64 dev b0 nodad
ip -n "$ns_a" -6 route add default via 2001:db8:1::2
ip -n "$ns_r1" -6 route add 2001:db8:5::/64 via 2001:db8:2::2
ip -n "$ns_r2" -6 route add 2001:db8:1::/64 via 2001:db8:2::1
ip -n "$ns_b" -6 route add default via 2001:db8:5::1


capture() {  # capture NAME mtr-args...
  local name=$1
  shift
  ip netns exec "$ns_a" mtr -j -n -c "$count" -i 0.1 -G 1 "$@" >"$out/$name.json"
}

# Warm up neighbour discovery (the first IPv6 replies otherwise wait for it: seconds of RTT).
ip netns exec "$ns_a" mtr -r -n -c 2 -i 0.1 -G 1 203.0.113.10 >/dev/null
ip netns exec "$ns_a" mtr -r -n -c 2 -i 0.1 -G 1 -6 2001:db8:5::10 >/dev/null

capture healthy_v4 203.0.113.10
capture healthy_v6 -6 2001:db8:5::10

ip netns exec "$ns_b" nft -f - <<'NFT'
table inet ppblock {
  chain input {
    type filter hook input priority 0;
    icmp type echo-request drop
  }
}
NFT
capture dest_blocked_v4 203.0.113.10
ip netns exec "$ns_b" nft delete table inet ppblock

ip netns exec "$ns_r1" nft -f - <<'NFT'
table inet ppcut {
  chain forward {
    type filter hook forward priority 0;
    drop
  }
}
NFT
capture interrupted_v4 203.0.113.10
ip netns exec "$ns_r1" nft delete table inet ppcut

ip netns exec "$ns_r1" nft -f - <<'NFT'
table inet pploss {
  chain forward {
    type filter hook forward priority 0;
    numgen random mod 100 < 15 drop
  }
}
NFT
capture forward_loss_v4 -c 40 203.0.113.10
ip netns exec "$ns_r1" nft delete table inet pploss

# r1 sends at most one Time Exceeded per 10 s to a host after a burst of 6.
ip netns exec "$ns_r1" sysctl -qw net.ipv4.icmp_ratelimit=10000
capture rate_limited_v4 -c 20 203.0.113.10
echo "captured into $out: $(ls "$out" | tr '\n' ' ')"
