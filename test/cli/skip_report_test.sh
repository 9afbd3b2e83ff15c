#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# The skip accounting of scripts/test.sh (scripts/skip-report.sh) on crafted skip logs: what is
# listed, what is counted, and when a skip fails the run (kind machine, with CI set, unless
# ASIO_FSWATCH_ALLOWED_SKIPS names its id or "all"; kind build never).
# Usage: skip_report_test.sh [PATH/TO/skip-report.sh]
set -uo pipefail
report=${1:-$(dirname "$0")/../../scripts/skip-report.sh}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/common.sh"

# run_report CODE [VAR=VALUE...] ARGS...: skip-report.sh with CI and ASIO_FSWATCH_ALLOWED_SKIPS
# unset (this test runs on CI too) but for those given; the exit status must be CODE.
run_report() {
  local want=$1; shift
  local settings=()
  while [[ ${1:-} == *=* && ${1%%=*} != *[!A-Z_]* ]]; do settings+=("$1"); shift; done
  expect_exit "$want" env -u CI -u ASIO_FSWATCH_ALLOWED_SKIPS "${settings[@]}" "$report" "$@"
}
has_line() { grep -qxF -- "$1" "$work/out"; }   # has_line LINE: a whole line of stdout
no_mark() { ! grep -qF "not allowed on CI" "$work/out"; }
stderr_empty() { test ! -s "$work/err"; }
message() { # message COUNT: the message that fails the run, on stderr
  grep -qxF "skip-report.sh: $1 skip(s) for a missing machine precondition on CI (see above): set up the machine, or name the ids in ASIO_FSWATCH_ALLOWED_SKIPS" "$work/err"
}

tab=$'\t'
machine_io_uring="machine${tab}io_uring${tab}file_tests/io_uring_read${tab}io_uring_setup refused: EPERM"
machine_root="machine${tab}root${tab}monitor_faults/tiny_kernel_queue${tab}needs root (writes a sysctl)"
build_tsan="build${tab}thread_sanitizer_fork${tab}seccomp/forked${tab}a forked child under ThreadSanitizer"
printf '%s\n' "$machine_io_uring" >"$work/machine.log"
printf '%s\n' "$build_tsan" >"$work/build.log"
printf '%s\n' "$machine_io_uring" "$machine_root" >"$work/two.log"
: >"$work/empty.log"

# No log, or an empty one: nothing skipped, whatever CI says.
check "no log: exit 0" run_report 0 CI=true default "$work/none.log"
check "no log: nothing skipped" has_line "    default: nothing skipped"
check "no log: one line" test "$(wc -l <"$work/out")" = 1
check "empty log: exit 0" run_report 0 CI=true default:"$work/empty.log"
check "empty log: nothing skipped" has_line "    default: nothing skipped"

# A build skip is listed and never fails, CI or not.
check "build skip on CI: exit 0" run_report 0 CI=true tsan "$work/build.log"
check "build skip on CI: listed" has_line "    tsan: skipped [build: thread_sanitizer_fork] seccomp/forked: a forked child under ThreadSanitizer"
check "build skip on CI: counted" has_line "    tsan: 1 skipped"
check "build skip on CI: not marked" no_mark
check "build skip on CI: no message" stderr_empty

# So is a platform skip (what the case is about does not exist on that platform).
printf '%s\n' "platform${tab}byte_names${tab}event_format/x${tab}Windows names are UTF-16" >"$work/platform.log"
check "platform skip on CI: exit 0" run_report 0 CI=true windows "$work/platform.log"
check "platform skip on CI: listed" has_line "    windows: skipped [platform: byte_names] event_format/x: Windows names are UTF-16"
check "platform skip on CI: not marked" no_mark

# A machine skip off CI is listed, without a mark.
check "machine skip off CI: exit 0" run_report 0 default "$work/machine.log"
check "machine skip off CI: listed" has_line "    default: skipped [machine: io_uring] file_tests/io_uring_read: io_uring_setup refused: EPERM"
check "machine skip off CI: counted" has_line "    default: 1 skipped"
check "machine skip off CI: not marked" no_mark
check "machine skip off CI: no message" stderr_empty

# A machine skip on CI fails the run, marked, with a message that counts it.
check "machine skip on CI: exit 1" run_report 1 CI=true default "$work/machine.log"
check "machine skip on CI: marked" has_line "    default: skipped [machine: io_uring] file_tests/io_uring_read: io_uring_setup refused: EPERM <- not allowed on CI"
check "machine skip on CI: counted" has_line "    default: 1 skipped"
check "machine skip on CI: message" message 1
check "machine skip on CI=1: exit 1" run_report 1 CI=1 default "$work/machine.log"
check "--as names the caller" run_report 1 CI=true --as test.sh default "$work/machine.log"
check "--as: message" grep -qxF "test.sh: 1 skip(s) for a missing machine precondition on CI (see above): set up the machine, or name the ids in ASIO_FSWATCH_ALLOWED_SKIPS" "$work/err"

# Allowed by its id, among others; only whole ids count; "all" allows every one.
check "allowed by id: exit 0" run_report 0 CI=true ASIO_FSWATCH_ALLOWED_SKIPS="root io_uring" default "$work/machine.log"
check "allowed by id: listed, not marked" has_line "    default: skipped [machine: io_uring] file_tests/io_uring_read: io_uring_setup refused: EPERM"
check "allowed by id: no message" stderr_empty
check "another id allowed: exit 1" run_report 1 CI=true ASIO_FSWATCH_ALLOWED_SKIPS=root default "$work/two.log"
check "another id allowed: that one not marked" has_line "    default: skipped [machine: root] monitor_faults/tiny_kernel_queue: needs root (writes a sysctl)"
check "another id allowed: this one marked" has_line "    default: skipped [machine: io_uring] file_tests/io_uring_read: io_uring_setup refused: EPERM <- not allowed on CI"
check "another id allowed: message" message 1
check "part of the id named: exit 1" run_report 1 CI=true ASIO_FSWATCH_ALLOWED_SKIPS=io default "$work/machine.log"
check "a longer id named: exit 1" run_report 1 CI=true ASIO_FSWATCH_ALLOWED_SKIPS="io_uring_sqpoll root" default "$work/machine.log"
check "all: exit 0" run_report 0 CI=true ASIO_FSWATCH_ALLOWED_SKIPS=all default "$work/two.log"
check "all: not marked" no_mark
check "all: counted" has_line "    default: 2 skipped"

# CI=false, CI=0 and an empty CI are not CI.
for ci in false 0 ""; do
  check "CI='$ci': exit 0" run_report 0 CI="$ci" default "$work/two.log"
  check "CI='$ci': not marked" no_mark
  check "CI='$ci': no message" stderr_empty
done

# A line written twice (two test processes of one case) counts once.
printf '%s\n' "$machine_root" "$build_tsan" "$machine_root" >"$work/twice.log"
check "duplicates: exit 0" run_report 0 asan "$work/twice.log"
check "duplicates: listed once" test "$(grep -cF "[machine: root]" "$work/out")" = 1
check "duplicates: counted once" has_line "    asan: 2 skipped"
check "duplicates on CI: one unexpected" run_report 1 CI=true asan "$work/twice.log"
check "duplicates on CI: message" message 1

# Reasons with spaces, colons and tabs are kept whole.
printf 'machine\tsetpriv\thostile_cli_test\tthe unreadable case needs setpriv (util-linux):  two  spaces\tand a tab\n' >"$work/spaces.log"
check "reason with spaces: exit 0" run_report 0 default "$work/spaces.log"
check "reason with spaces: kept" has_line "    default: skipped [machine: setpriv] hostile_cli_test: the unreadable case needs setpriv (util-linux):  two  spaces${tab}and a tab"

# Several presets, in the order given; the unexpected skips of all of them are counted.
check "presets: exit 1" run_report 1 CI=true default:"$work/two.log" asan:"$work/none.log" tsan:"$work/build.log"
check "presets: in order" test "$(grep -oE '^    [a-z]+:' "$work/out" | uniq | tr -d ' \n')" = "default:asan:tsan:"
check "presets: default counted" has_line "    default: 2 skipped"
check "presets: asan nothing skipped" has_line "    asan: nothing skipped"
check "presets: tsan counted" has_line "    tsan: 1 skipped"
check "presets: message counts both" message 2
check "presets: a log path with a colon" run_report 0 "default:$work/none:x.log"
check "presets: a log path with a colon is read" has_line "    default: nothing skipped"

# Bad arguments.
check "not PRESET:LOG: exit 2" run_report 2 default "$work/machine.log" asan
check "not PRESET:LOG: said" grep -qF "'default' is not PRESET:LOG" "$work/err"
check "--as without a name: exit 2" run_report 2 --as

echo "$passed passed, $failed failed"
((failed == 0))
