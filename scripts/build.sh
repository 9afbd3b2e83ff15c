#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Configures (once) and builds asio_fswatch with the given CMake preset (default: "default").
# Usage: scripts/build.sh [PRESET] [--target T]...
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-default}
shift || true
scripts/install-deps.sh
builddir=build/$preset
if [[ ! -f $builddir/build.ninja ]]; then
  cmake --preset "$preset" >/dev/null
fi
cmake --build "$builddir" "$@"
