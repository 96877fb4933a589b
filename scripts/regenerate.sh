#!/usr/bin/env bash
# Rebuilds alicloud-gen and rewrites the committed generated code from spec/ (and the golden
# fixture's expected output). Commit the result; the freshness tests fail until you do.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Debug} >/dev/null
cmake --build "$build" --target regenerate -j "${JOBS:-$(nproc)}"
git status --short -- include/alicloud docs/api tests/golden/expected 2>/dev/null || true
