#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# The skip accounting of scripts/test.sh: reads the skip log of each preset and prints what was
# skipped and why, one line each (indented, as test.sh prints them), then each preset's count.
#
#   skip-report.sh [--as NAME] PRESET LOG
#   skip-report.sh [--as NAME] PRESET:LOG...
#
# A log has one line per skip, KIND, ID, TEST and REASON separated by tabs (test/common/skip.hpp,
# skip_case in test/cli/common.sh); a missing or empty log is "nothing skipped", and a line
# written twice counts once. With CI set (non-empty, not "false" or "0"), a skip of kind
# "machine" is marked "not allowed on CI" unless ASIO_FSWATCH_ALLOWED_SKIPS (ids separated by
# spaces) names its id or "all"; if any is, a message on stderr, starting with NAME (default
# skip-report.sh), says how many, and the exit status is 1. Skips of the other kinds ("build",
# "platform") never fail. A line of kind "wine-defect" is no skip: the case ran under Wine and
# failed for a defect of Wine's (doc/guarantees.md, "Under Wine"); it is listed, and counted
# apart.
# Exit status 2: bad arguments.
set -euo pipefail

name=skip-report.sh
if [[ ${1:-} == --as ]]; then
  [[ $# -ge 2 ]] || { echo "skip-report.sh: --as needs a name" >&2; exit 2; }
  name=$2
  shift 2
fi
presets=() logs=()
if [[ $# == 2 && $1 != *:* ]]; then
  presets=("$1") logs=("$2")
else
  for pair in "$@"; do
    [[ $pair == ?*:?* ]] || { echo "$name: '$pair' is not PRESET:LOG" >&2; exit 2; }
    presets+=("${pair%%:*}") logs+=("${pair#*:}")
  done
fi

allowed_skips=" ${ASIO_FSWATCH_ALLOWED_SKIPS:-} "
strict_skips=0
[[ -n ${CI:-} && ${CI:-} != false && ${CI:-} != 0 ]] && strict_skips=1

unexpected_skips=0
for i in "${!presets[@]}"; do
  preset=${presets[i]} log=${logs[i]}
  if [[ ! -s $log ]]; then
    printf '    %s\n' "$preset: nothing skipped"
    continue
  fi
  count=0 defects=0
  while IFS=$'\t' read -r kind id test reason; do
    if [[ $kind == wine-defect ]]; then
      defects=$((defects + 1))
      printf '    %s\n' "$preset: ran, failed for a Wine defect [$id] $test: $reason"
      continue
    fi
    count=$((count + 1))
    mark=""
    if [[ $kind == machine && $allowed_skips != *" all "* && $allowed_skips != *" $id "* ]]; then
      if ((strict_skips)); then
        mark=" <- not allowed on CI"
        unexpected_skips=$((unexpected_skips + 1))
      fi
    fi
    printf '    %s\n' "$preset: skipped [$kind: $id] $test: $reason$mark"
  done < <(sort -u "$log")
  printf '    %s\n' "$preset: $count skipped"
  ((defects == 0)) || printf '    %s\n' "$preset: $defects failed for Wine defects (doc/guarantees.md)"
done
if ((unexpected_skips > 0)); then
  echo "$name: $unexpected_skips skip(s) for a missing machine precondition on CI (see above): set up the" \
    "machine, or name the ids in ASIO_FSWATCH_ALLOWED_SKIPS" >&2
  exit 1
fi
