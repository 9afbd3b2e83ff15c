#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# `asio-fswatch demo --fast` end to end: it must exit 0 and print its three checks' results
# (ctest's PASS_REGULAR_EXPRESSION alone would ignore the exit status).
# Usage: demo_cli_test.sh PATH/TO/asio-fswatch
set -uo pipefail
tool=${1:?path to asio-fswatch}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/common.sh"

timeout 100 "$tool" demo --fast >"$work/out" 2>&1
status=$?
cat "$work/out"
check "demo: exit status 0 (got $status)" test "$status" = 0
for line in "replay check passed" "copy check passed" "run check passed"; do
  check "demo: '$line'" grep -qF "$line" "$work/out"
done
echo "$passed passed, $failed failed"
((failed == 0))
