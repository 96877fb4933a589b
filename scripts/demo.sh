#!/usr/bin/env bash
# The README's first command: builds the esa CLI and the ESA emulator, starts the emulator on
# 127.0.0.1 with TLS (self-signed, its CA in a temporary file), prefetches two URLs and waits for the
# tasks to complete, lists the site's prefetch tasks as a table, and stops the emulator.
# No cloud account is needed: the emulator's built-in demo key is passed in the environment.
#
# Environment: BUILD_DIR (default build-demo), BUILD_TYPE (default Debug), JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh

build=${BUILD_DIR:-build-demo}
jobs=${JOBS:-$(nproc)}
echo "demo: building esa and esa-emulator in $build/" >&2
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Debug}" -DALICLOUD_BUILD_TESTS=OFF \
  -DALICLOUD_BUILD_BENCH=OFF -DALICLOUD_BUILD_GENERATOR=OFF -DALICLOUD_BUILD_TOOLS=ON >/dev/null
cmake --build "$build" -j "$jobs" --target esa esa-emulator
esa_bin=$build/tools/esa/esa
emulator_bin=$build/tools/esa-emulator/esa-emulator

tmp=$(mktemp -d "${TMPDIR:-/tmp}/esa-demo.XXXXXX")
emulator_pid=
cleanup() {
  local status=$?
  { set +x; } 2>/dev/null
  if [ -n "$emulator_pid" ] && kill -0 "$emulator_pid" 2>/dev/null; then
    kill -TERM "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -s "$tmp/emulator.log" ]; then
    echo "demo: failed (exit $status); emulator log:" >&2
    tail -n 20 "$tmp/emulator.log" >&2
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Port 0: the kernel picks a free port, which the emulator writes to the port file once listening.
"$emulator_bin" --tls --listen 127.0.0.1:0 --port-file "$tmp/port" --ca-out "$tmp/ca.pem" \
  >"$tmp/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 300); do
  [ -s "$tmp/port" ] && break
  kill -0 "$emulator_pid" 2>/dev/null || { echo "demo: the emulator exited at start" >&2; exit 1; }
  sleep 0.1
done
[ -s "$tmp/port" ] || { echo "demo: the emulator did not start listening within 30 s" >&2; exit 1; }
port=$(head -n 1 "$tmp/port")
endpoint=https://127.0.0.1:$port
echo "demo: esa-emulator listening on $endpoint (CA: $tmp/ca.pem)" >&2

# The emulator's public demo key; nothing else from the caller's credentials may interfere.
export ALIBABA_CLOUD_ACCESS_KEY_ID=demo-access-key
export ALIBABA_CLOUD_ACCESS_KEY_SECRET=demo-secret
unset ALIBABA_CLOUD_SECURITY_TOKEN ALIBABA_CLOUD_PROFILE
export NO_PROXY="127.0.0.1${NO_PROXY:+,$NO_PROXY}"
esa() { "$esa_bin" --endpoint "$endpoint" --ca-file "$tmp/ca.pem" "$@"; }

site=7001000000001  # example.com, one of the emulator's sample sites
set -x
esa sites --output table
esa preload https://example.com/demo/index.html https://example.com/demo/logo.png --site-id "$site" --wait --output table
esa preload-tasks --site-id "$site" --output table
{ set +x; } 2>/dev/null

kill -TERM "$emulator_pid"
emulator_status=0
wait "$emulator_pid" || emulator_status=$?
emulator_pid=
[ "$emulator_status" -eq 0 ] || { echo "demo: the emulator exited with $emulator_status" >&2; exit 1; }
tail -n 1 "$tmp/emulator.log" >&2
echo "demo: done" >&2
