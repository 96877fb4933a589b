#!/usr/bin/env bash
# The README's test command. Stages (all by default; choose with ALICLOUD_STAGES="main fuzz ..."):
#   main      g++ build of everything (incl. the whole-product build of Alibaba's ESA metadata), all tests
#   sanitize  clang build with ASan+UBSan and -Werror, all tests (clang warnings gate too)
#   tsan      g++ ThreadSanitizer build of the concurrency-heavy tests
#   fuzz      libFuzzer targets, bounded time each, on the committed seed corpora
#   budget    compile-time ratio of a model-only TU to a full-client TU
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
stages=${ALICLOUD_STAGES:-main sanitize tsan fuzz budget}
jobs=${JOBS:-$(nproc)}
has_stage() { [[ " $stages " == *" $1 "* ]]; }
summary=()

if has_stage main; then
  build=${BUILD_DIR:-build}
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Debug}
  cmake --build "$build" -j "$jobs"
  ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 1200
  summary+=("main: ok")
fi

if has_stage sanitize; then
  build=build-asan
  CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DALICLOUD_VENDOR_SPEC=/nonexistent \
    -DALICLOUD_BUILD_BENCH=OFF \
    "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
    "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined"
  cmake --build "$build" -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 1200 -E "package_"
  summary+=("sanitize (clang, ASan+UBSan): ok")
fi

if has_stage tsan; then
  build=build-tsan
  # The emulator test runs 8 concurrent clients against a multi-threaded Beast server.
  tsan_tests="test_pagination|test_waiter|test_esa_waiter|test_credentials|test_validation|test_emulator_server"
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DALICLOUD_VENDOR_SPEC=/nonexistent \
    -DALICLOUD_BUILD_BENCH=OFF \
    "-DCMAKE_CXX_FLAGS=-fsanitize=thread -O1 -Wno-tsan" "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread" >/dev/null
  cmake --build "$build" -j "$jobs" --target $(echo "$tsan_tests" | tr '|' ' ')
  TSAN_OPTIONS=halt_on_error=1 ctest --test-dir "$build" --output-on-failure -j "$jobs" -R "^(${tsan_tests})\$"
  summary+=("tsan: ok")
fi

if has_stage fuzz; then
  FUZZ_SECONDS=${FUZZ_SECONDS:-30} JOBS=$jobs scripts/fuzz.sh
  summary+=("fuzz: ok")
fi

if has_stage budget; then
  scripts/compile_budget.sh
  summary+=("budget: ok")
fi

printf '%s\n' "${summary[@]}"
