#!/usr/bin/env bash
# Runs the benchmark suite (tests/bench/bench.py): builds what it needs, then measures pathpair
# against mtr and writes docs/BENCHMARKS.md (prints the same table).
#
# Usage: tests/bench/run.sh (runs itself through sudo when not root) [--smoke] [--out FILE] [--load-note TEXT]
#        [--only rtt|cpu|first|paired|agent]... [--pairs N] [--agent-traces N]...
# Environment: BUILD_DIR (default build).
set -euo pipefail
source "$(dirname "$0")/../../deploy/as-root.sh"
pathpair_as_root "$@"
cd "$(dirname "$0")/../.."
build_dir=${BUILD_DIR:-build}
[[ -f "$build_dir/CMakeCache.txt" ]] || cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build_dir" -j "$(nproc)" --target pathpair pathpair-agent pathpair-topo
export PATHPAIR_BIN=$PWD/$build_dir/controller/main/pathpair
export PATHPAIR_AGENT_BIN=$PWD/$build_dir/agent/main/pathpair-agent
export PATHPAIR_TOPO_BIN=$PWD/$build_dir/tests/topo/pathpair-topo
exec /usr/bin/python3 tests/bench/bench.py "$@"
