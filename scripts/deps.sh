#!/usr/bin/env bash
# Installs the Debian 12 packages Tracery needs to build and test, when they are missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git curl
  libcrypto++-dev libleveldb-dev libsnappy-dev libboost-dev
  protobuf-compiler libprotobuf-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev jq
  libxml2-dev libsqlite3-dev clang-14 libclang-rt-14-dev graphviz
  mosquitto mosquitto-clients libmosquitto-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
