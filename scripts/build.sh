#!/usr/bin/env bash
# Configures and builds Tracery into build/ (Ninja, ccache when present).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" > /dev/null
ninja -C build "$@"
