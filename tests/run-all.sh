#!/usr/bin/env bash
# Builds pathpair and runs every test: unit, fuzz-corpus replay and the root integration tests
# in network namespaces. This is the command README.md shows and .ci/run calls.
#
# Usage: sudo tests/run-all.sh [extra ctest arguments]
# Environment: BUILD_DIR (default build), PATHPAIR_SANITIZE=ON for an ASan/UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."

./deploy/install-deps.sh
# install-deps.sh installed chromium: the HTML report checks must run, not skip.
export PATHPAIR_REQUIRE_CHROMIUM=1
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPATHPAIR_SANITIZE="${PATHPAIR_SANITIZE:-OFF}"
cmake --build "$build_dir" -j "$(nproc)"
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" "$@"
