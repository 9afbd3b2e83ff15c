#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# README command 2 (and CI): installs what is missing, then builds and runs the whole test suite
# in each preset of ASIO_FSWATCH_TEST_PRESETS, in order (default: "default asan tsan generic-posix
# windows": the normal build, then AddressSanitizer + UBSan with leaks checked, then
# ThreadSanitizer, then the generic POSIX configuration (Linux's own mechanisms off: the poll
# monitor, the thread-pool files and the SIGCHLD children, as the BSDs and macOS get), then the
# Windows build, cross-compiled with MinGW-w64 and run under Wine by scripts/test-windows.sh); then
# the Debian packages are built and tested on a fresh Debian 12 (scripts/package.sh,
# scripts/package-test.sh), and last each libFuzzer target runs for ASIO_FSWATCH_FUZZ_SECONDS
# seconds (default 30; 0 skips the fuzzing).
# Extra arguments go to every ctest run (e.g. -R child). Prints how long each step took.
#
# Skips: a test that cannot run here (no root, io_uring forbidden, no user namespaces, ...) says
# so and is recorded (test/common/skip.hpp, skip_case in test/cli/common.sh); each preset's list
# is printed at the end (scripts/skip-report.sh). With CI set (CI=true), a skip for a missing
# machine precondition fails the run, unless ASIO_FSWATCH_ALLOWED_SKIPS names its id
# ("io_uring user_namespaces", or "all"). Skips of kind "build" (a case this build cannot run,
# such as a forked child under ThreadSanitizer, which the other builds run) and "platform" (what
# the case is about does not exist there, such as a name of arbitrary bytes on Windows) are
# listed and never fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."
presets=${ASIO_FSWATCH_TEST_PRESETS:-default asan tsan generic-posix windows}
fuzz_seconds=${ASIO_FSWATCH_FUZZ_SECONDS:-30}
[[ $fuzz_seconds =~ ^[0-9]+$ ]] || { echo "test.sh: ASIO_FSWATCH_FUZZ_SECONDS must be a number of seconds, not '$fuzz_seconds'" >&2; exit 2; }

timings=()
skip_logs=() # PRESET:LOG, read by scripts/skip-report.sh at the end

for preset in $presets; do
  start=$SECONDS
  echo "=== $preset: build"
  scripts/build.sh "$preset"
  built=$SECONDS
  echo "=== $preset: tests"
  skip_log=$PWD/build/$preset/skipped-tests.log
  rm -f "$skip_log"
  if [[ $preset == windows ]]; then
    ASIO_FSWATCH_SKIP_LOG=$skip_log scripts/test-windows.sh "$@"
  else
    ASIO_FSWATCH_SKIP_LOG=$skip_log ctest --preset "$preset" --timeout 900 -j2 "$@"
  fi
  skip_logs+=("$preset:$skip_log")
  timings+=("$preset: build $((built - start)) s, tests $((SECONDS - built)) s")
  echo "=== $preset: passed in $((SECONDS - start)) s"
done
# The Debian packages: built (preset package), then installed on a fresh Debian 12 where
# consumers are built against them (scripts/package-test.sh; as root only, else a recorded skip).
# ASIO_FSWATCH_TEST_PACKAGES=0 leaves this step out.
if [[ ${ASIO_FSWATCH_TEST_PACKAGES:-1} != 0 ]]; then
  start=$SECONDS
  echo "=== packages: build"
  scripts/package.sh
  built=$SECONDS
  echo "=== packages: install on a fresh Debian 12 and build consumers"
  skip_log=$PWD/build/package/skipped-tests.log
  rm -f "$skip_log"
  ASIO_FSWATCH_SKIP_LOG=$skip_log scripts/package-test.sh
  skip_logs+=("package:$skip_log")
  timings+=("packages: build $((built - start)) s, fresh-system test $((SECONDS - built)) s")
fi
if ((fuzz_seconds > 0)); then
  start=$SECONDS
  echo "=== fuzz: ${fuzz_seconds} s per target"
  ASIO_FSWATCH_FUZZ_SECONDS=$fuzz_seconds scripts/fuzz.sh
  timings+=("fuzz: $((SECONDS - start)) s (build and runs)")
fi
echo "=== skipped tests"
scripts/skip-report.sh --as test.sh "${skip_logs[@]}" # exit status 1 on a skip not allowed on CI
echo "=== all passed in $SECONDS s"
printf '    %s\n' "${timings[@]}"
