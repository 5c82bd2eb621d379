#!/usr/bin/env bash
# Builds pathpair and runs every test: unit, fuzz-corpus replay and the root integration tests
# in network namespaces. This is the command README.md shows and .ci/run calls.
#
# Usage: tests/run-all.sh [extra ctest arguments]   (as root, or through sudo)
# Environment: BUILD_DIR (default build), PATHPAIR_SANITIZE=ON for an ASan/UBSan build.
set -euo pipefail
source "$(dirname "$0")/../deploy/as-root.sh"
pathpair_as_root "$@"
cd "$(dirname "$0")/.."

./deploy/install-deps.sh
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPATHPAIR_SANITIZE="${PATHPAIR_SANITIZE:-OFF}"
cmake --build "$build_dir" -j "$(nproc)"
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" "$@"
