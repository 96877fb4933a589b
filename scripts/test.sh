#!/usr/bin/env bash
# The README's test command: bootstrap, configure, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
build=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Debug}
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 1200
