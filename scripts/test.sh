#!/usr/bin/env bash
# README command 2 (and CI): installs what is missing, then builds and runs the whole test suite
# in each preset of ASIO_FSWATCH_TEST_PRESETS, in order (default: "default asan tsan": the normal
# build, then AddressSanitizer + UBSan with leaks checked, then ThreadSanitizer), and last runs
# each libFuzzer target for ASIO_FSWATCH_FUZZ_SECONDS seconds (default 30; 0 skips the fuzzing).
# Extra arguments go to every ctest run (e.g. -R child). Prints how long each step took.
set -euo pipefail
cd "$(dirname "$0")/.."
presets=${ASIO_FSWATCH_TEST_PRESETS:-default asan tsan}
fuzz_seconds=${ASIO_FSWATCH_FUZZ_SECONDS:-30}
[[ $fuzz_seconds =~ ^[0-9]+$ ]] || { echo "test.sh: ASIO_FSWATCH_FUZZ_SECONDS must be a number of seconds, not '$fuzz_seconds'" >&2; exit 2; }

timings=()
for preset in $presets; do
  start=$SECONDS
  echo "=== $preset: build"
  scripts/build.sh "$preset"
  built=$SECONDS
  echo "=== $preset: tests"
  ctest --preset "$preset" --timeout 900 -j2 "$@"
  timings+=("$preset: build $((built - start)) s, tests $((SECONDS - built)) s")
  echo "=== $preset: passed in $((SECONDS - start)) s"
done
if ((fuzz_seconds > 0)); then
  start=$SECONDS
  echo "=== fuzz: ${fuzz_seconds} s per target"
  ASIO_FSWATCH_FUZZ_SECONDS=$fuzz_seconds scripts/fuzz.sh
  timings+=("fuzz: $((SECONDS - start)) s (build and runs)")
fi
echo "=== all passed in $SECONDS s"
printf '    %s\n' "${timings[@]}"
