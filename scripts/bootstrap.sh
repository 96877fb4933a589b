#!/usr/bin/env bash
# Installs the Debian 12 packages the build needs; does nothing when they are all present.
set -euo pipefail
pkgs=(cmake g++ libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libssl-dev doctest-dev
      libcli11-dev libbenchmark-dev openssl tinyproxy clang libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
