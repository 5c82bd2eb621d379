#!/usr/bin/env bash
# The main job, end to end: build pathpair, bring up the emulator's realistic default path
# (tests/scenarios/default.textproto: home LAN, CGNAT ISP, carrier with a long-haul link, cloud),
# start a pathpair-agent in the client and in the server namespace, run `pathpair test` from
# this (root) namespace over the management links, print the merged report, and clean up.
# Needs root (namespaces, TUN devices). A second run (nothing to rebuild) takes under a minute.
#
#   deploy/demo.sh                           # text report (as root, or through sudo)
#   deploy/demo.sh --json                    # the paired JSON
#   deploy/demo.sh -c 20 -i 0.5              # extra options go to `pathpair test`
#
# Environment: BUILD_DIR (default: build under the repository), SCENARIO (default: default),
# DEMO_TLS=0 (plaintext agents with --insecure instead of mutual TLS with fresh certificates
# from deploy/make-certs.sh).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$repo/build}
scenario=${SCENARIO:-default}
scenario_file=$repo/tests/scenarios/$scenario.textproto
port=8620

source "$repo/deploy/as-root.sh"
pathpair_as_root "$@"
[[ -f $scenario_file ]] || { echo "demo: no scenario $scenario_file" >&2; exit 2; }

"$repo/deploy/install-deps.sh" >&2
echo "demo: building in $build" >&2
if [[ -f $build/CMakeCache.txt ]]; then
  cmake -S "$repo" -B "$build" >/dev/null
else
  cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target pathpair pathpair-agent pathpair-netsim -j2 >/dev/null
pathpair=$build/controller/main/pathpair
agent=$build/agent/main/pathpair-agent
netsim=$build/tests/netsim/pathpair-netsim

name=ppdemo$(printf '%04x' $((RANDOM % 65536)))
work=$(mktemp -d /tmp/pathpair-demo.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$netsim" down "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "demo: bringing up scenario '$scenario' as $name" >&2
mkfifo "$work/netsim.out"
"$netsim" up "$scenario_file" --name "$name" >"$work/netsim.out" 2>"$work/netsim.err" &
pids+=($!)
declare -A env
while IFS='=' read -r key value; do
  env[$key]=$value
  [[ $key == NETSIM_READY ]] && break
done <"$work/netsim.out"
if [[ -z ${env[NETSIM_READY]:-} ]]; then
  echo "demo: the emulator did not start:" >&2
  cat "$work/netsim.err" >&2
  exit 1
fi
# Keep draining the emulator's stdout so that it never blocks on a full pipe.
cat "$work/netsim.out" >/dev/null &
pids+=($!)

# Plaintext beyond loopback needs a bearer token (pathpair-agent refuses it otherwise).
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/token"
security=(--insecure --token-file "$work/token")
if [[ ${DEMO_TLS:-1} == 1 ]]; then
  "$repo/deploy/make-certs.sh" "$work/pki" --name agent "${env[NETSIM_CLIENT_IP]}" \
    "${env[NETSIM_SERVER_IP]}" "${env[NETSIM_CLIENT_MGMT_IP]}" "${env[NETSIM_SERVER_MGMT_IP]}" \
    >/dev/null
  security=(--tls-cert "$work/pki/agent.pem" --tls-key "$work/pki/agent.key"
            --tls-ca "$work/pki/ca.pem")
fi

for side in CLIENT SERVER; do
  ns=${env[NETSIM_${side}_NS]}
  ip netns exec "$ns" "$agent" --listen "0.0.0.0:$port" "${security[@]}" \
    >"$work/agent-$side.log" 2>&1 &
  pids+=($!)
done
for side in CLIENT SERVER; do
  mgmt=${env[NETSIM_${side}_MGMT_IP]}
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/$mgmt/$port") 2>/dev/null && break
    sleep 0.1
  done
done

controller_security=(--insecure --token-file "$work/token")
if [[ ${DEMO_TLS:-1} == 1 ]]; then
  controller_security=(--tls-cert "$work/pki/client.pem" --tls-key "$work/pki/client.key"
                       --tls-ca "$work/pki/ca.pem")
fi
echo "demo: pathpair test: client agent ${env[NETSIM_CLIENT_NS]} (${env[NETSIM_CLIENT_IP]})," \
  "server agent ${env[NETSIM_SERVER_NS]} (${env[NETSIM_SERVER_IP]})" >&2
set +e
"$pathpair" test --client "${env[NETSIM_CLIENT_MGMT_IP]}:$port" \
  --server "${env[NETSIM_SERVER_MGMT_IP]}:$port" --target "${env[NETSIM_SERVER_IP]}" \
  "${controller_security[@]}" --history-db "$work/history.db" -n -c 10 -i 0.5 "$@"
status=$?
set -e
echo "demo: pathpair test exited $status (0 healthy, 3 degraded, 4 broken, 5 partial, 1 could not" \
  "run, 130 interrupted; see pathpair test --help)" >&2
exit $status
