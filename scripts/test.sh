#!/usr/bin/env bash
# README command 2: installs what is missing, builds everything and runs the whole test suite.
# ASIO_FSWATCH_TEST_PRESETS picks the builds, in order (default: "default"); "default asan tsan"
# also runs it under AddressSanitizer + UBSan (leaks checked) and under ThreadSanitizer.
# Extra arguments go to every ctest run (e.g. -R child).
set -euo pipefail
cd "$(dirname "$0")/.."
presets=${ASIO_FSWATCH_TEST_PRESETS:-default}
for preset in $presets; do
  start=$SECONDS
  echo "=== $preset: build"
  scripts/build.sh "$preset"
  echo "=== $preset: tests"
  ctest --preset "$preset" --timeout 900 -j2 "$@"
  echo "=== $preset: passed in $((SECONDS - start)) s"
done
