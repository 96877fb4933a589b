#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for FUZZ_SECONDS (default 20) on a copy of
# its committed seed corpus. Any crash, leak or sanitizer report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FUZZ_BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-20}
CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DALICLOUD_BUILD_FUZZERS=ON \
  -DALICLOUD_BUILD_TESTS=OFF -DALICLOUD_BUILD_BENCH=OFF -DALICLOUD_BUILD_TOOLS=OFF -DALICLOUD_BUILD_GENERATOR=OFF >/dev/null
cmake --build "$build" -j "${JOBS:-$(nproc)}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for exe in "$build"/fuzz/fuzz_*; do
  [ -x "$exe" ] || continue
  name=$(basename "$exe"); name=${name#fuzz_}
  mkdir -p "$work/$name"
  cp -r fuzz/corpus/"$name"/. "$work/$name"/ 2>/dev/null || true
  echo "fuzz: $name for ${seconds}s"
  mkdir -p "$build/artifacts"
  if ! (cd "$work" && "$OLDPWD/$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$OLDPWD/$build/artifacts/$name-" \
        -print_final_stats=1 "$work/$name" >"$work/$name.log" 2>&1); then
    echo "fuzz: $name FAILED"; tail -40 "$work/$name.log"; status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$work/$name.log" | tail -2
  fi
done
exit $status
