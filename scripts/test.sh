#!/usr/bin/env bash
# README command 2: installs what is missing, builds everything and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh default
cd build/default
ctest --output-on-failure --timeout 600 -j2 "$@"
