#!/usr/bin/env bash
# Builds pathpair and runs every test, in three stages. This is the command README.md shows and
# .ci/run calls (as root, from a clean clone, on 2 cores in under 45 minutes).
#
#   1. the release build (RelWithDebInfo) and the whole suite: unit, fuzz-corpus replay, the
#      clang-format check of the C++ files, and the root integration tests in network
#      namespaces;
#   2. ASan+UBSan (-DPATHPAIR_SANITIZE=ON): the tests labelled `unit` or `fuzz`;
#   3. TSan (-DPATHPAIR_TSAN=ON, tests/tsan): the tests labelled `unit`.
# Stages 2 and 3 build only what their tests run (the tests_<label> targets of
# cmake/PathpairOptions.cmake), at -O1, so that the whole run fits the time.
#
# Usage: tests/run-all.sh [extra ctest arguments for stage 1]   (as root, or through sudo)
# Environment: BUILD_DIR (default build; the sanitizer builds go to BUILD_DIR-asan and
# BUILD_DIR-tsan), STAGES (default "main asan tsan": which stages to run).
set -euo pipefail
source "$(dirname "$0")/../deploy/as-root.sh"
pathpair_as_root "$@"
cd "$(dirname "$0")/.."

./deploy/install-deps.sh
# install-deps.sh installed chromium: the HTML report checks must run, not skip.
export PATHPAIR_REQUIRE_CHROMIUM=1
build_dir=${BUILD_DIR:-build}
stages=${STAGES:-main asan tsan}
jobs=$(nproc)
source_dir=$(pwd)

stage() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

if [[ " $stages " == *" main "* ]]; then
  stage "release build and every test"
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build "$build_dir" -j "$jobs"
  # A test that fails is run once more before the stage fails: a few integration tests compare
  # sampled loss or real mtr's timing, which load on 2 shared cores can tip (the rerun is
  # printed, so a flake stays visible in the log).
  ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" --repeat until-pass:2 "$@"
fi

# The sanitizer builds: -O1 compiles fast and keeps the reports readable.
sanitizer_flags=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1"
                 "-DCMAKE_C_FLAGS_DEBUG=-O1 -g1")

if [[ " $stages " == *" asan "* ]]; then
  stage "ASan+UBSan: unit and fuzz-replay tests"
  cmake -S . -B "$build_dir-asan" "${sanitizer_flags[@]}" -DPATHPAIR_SANITIZE=ON
  cmake --build "$build_dir-asan" -j "$jobs" --target tests_unit tests_fuzz
  ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$build_dir-asan" --output-on-failure -j "$jobs" -L 'unit|fuzz' \
      -E '^style\.'
fi

if [[ " $stages " == *" tsan "* ]]; then
  stage "TSan: unit tests"
  cmake -S . -B "$build_dir-tsan" "${sanitizer_flags[@]}" -DPATHPAIR_TSAN=ON
  cmake --build "$build_dir-tsan" -j "$jobs" --target tests_unit
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$source_dir/tests/tsan/suppressions.txt" \
    ctest --test-dir "$build_dir-tsan" --output-on-failure -j "$jobs" -L unit -E '^style\.'
fi
stage "done"
