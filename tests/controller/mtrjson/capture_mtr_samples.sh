#!/bin/bash
# Captures real `mtr -j` reports over a private namespace path, for the mtrjson reader's tests:
#
#   a (198.51.100.1) -- r1 -- r2 -- b (203.0.113.10, 2001:db8:5::10)
#
# r2 answers from 203.0.113.129 (the destination provider's router, in the target's /24). The path
# is mtr_samples_topology.textproto, built by the topology builder (pathpair-topo, tests/topo).
# Scenarios: healthy (v4, v6), destination blocking ICMP echo, link interrupted after r1, random
# forwarding loss at r1, ICMP rate limiting at r1. Needs root (network namespaces); touches
# nothing outside its own namespaces, which are removed on exit even on failure.
#
#   PATHPAIR_TOPO_BIN=build/tests/topo/pathpair-topo \
#     tests/controller/mtrjson/capture_mtr_samples.sh OUTDIR [COUNT]
set -euo pipefail

out=${1:?usage: $0 OUTDIR [COUNT]}
count=${2:-5}
topo=${PATHPAIR_TOPO_BIN:-pathpair-topo}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
tag="pp$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')"

trap '"$topo" down "$tag" >/dev/null 2>&1 || true' EXIT
"$topo" up "$here/mtr_samples_topology.textproto" --name "$tag" --detach >/dev/null
on() {  # on NODE COMMAND...
  local node=$1
  shift
  "$topo" exec "$tag" "$node" -- "$@"
}

capture() {  # capture NAME mtr-args...
  local name=$1
  shift
  on a mtr -j -n -c "$count" -i 0.1 -G 1 "$@" >"$out/$name.json"
}

# No warm-up: the builder makes every neighbour entry permanent, so no probe waits for ARP or
# neighbour discovery.

capture healthy_v4 203.0.113.10
capture healthy_v6 -6 2001:db8:5::10

on b nft -f - <<'NFT'
table inet ppblock {
  chain input {
    type filter hook input priority 0;
    icmp type echo-request drop
  }
}
NFT
capture dest_blocked_v4 203.0.113.10
on b nft delete table inet ppblock

on r1 nft -f - <<'NFT'
table inet ppcut {
  chain forward {
    type filter hook forward priority 0;
    drop
  }
}
NFT
capture interrupted_v4 203.0.113.10
on r1 nft delete table inet ppcut

on r1 nft -f - <<'NFT'
table inet pploss {
  chain forward {
    type filter hook forward priority 0;
    numgen random mod 100 < 15 drop
  }
}
NFT
capture forward_loss_v4 -c 40 203.0.113.10
on r1 nft delete table inet pploss

# r1 sends at most one Time Exceeded per 10 s to a host after a burst of 6.
on r1 sysctl -qw net.ipv4.icmp_ratelimit=10000
capture rate_limited_v4 -c 20 203.0.113.10
echo "captured into $out: $(ls "$out" | tr '\n' ' ')"
