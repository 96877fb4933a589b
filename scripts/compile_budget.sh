#!/usr/bin/env bash
# Compile-time budget: a TU that includes one operation's model header must cost at most 25% of a TU
# that includes the full client (Beast, Asio, OpenSSL). Ratio, not absolute time, so it holds on any
# machine; each TU is compiled RUNS times (alternating) and the fastest run counts.
set -euo pipefail
cd "$(dirname "$0")/.."
cxx=${CXX:-c++}
runs=${RUNS:-3}
limit=${BUDGET_RATIO:-0.25}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/model.cpp" <<'CPP'
#include <alicloud/esa/describe_preload_tasks.hpp>
CPP
cat >"$work/client.cpp" <<'CPP'
#include <alicloud/esa/client.hpp>
CPP
flags=(-std=c++17 -Iinclude -O0 -c)
best_model=999999; best_client=999999
for ((i = 0; i < runs; i++)); do
  for tu in model client; do
    start=$(date +%s%N)
    "$cxx" "${flags[@]}" "$work/$tu.cpp" -o "$work/$tu.o"
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ "$tu" = model ]; then ((ms < best_model)) && best_model=$ms; else ((ms < best_client)) && best_client=$ms; fi
  done
done
ratio=$(awk -v m="$best_model" -v c="$best_client" 'BEGIN { printf "%.3f", m / c }')
echo "compile budget: model TU ${best_model} ms, client TU ${best_client} ms, ratio ${ratio} (limit ${limit})"
awk -v r="$ratio" -v l="$limit" 'BEGIN { exit !(r <= l) }' || { echo "compile budget: FAILED"; exit 1; }
