#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Builds the libFuzzer targets (CMake preset "fuzz": clang, AddressSanitizer + UBSan) and runs each
# one for a fixed time, starting from fuzz/corpus/<target> and fuzz/regressions/<target>. The
# repository is never modified: the working corpus lives in a temporary directory, printed at the
# start, and so do the findings. Exits non-zero if any target found something, after printing the
# input's path and a hex dump of it. See fuzz/README.md.
#
# Environment:
#   ASIO_FSWATCH_FUZZ_SECONDS    seconds per target (default 30)
#   ASIO_FSWATCH_FUZZ_TARGETS    targets to run (default "inotify_parser glob json snapshot")
#   ASIO_FSWATCH_FUZZ_BUILD_DIR  build directory (default build/fuzz, the preset's own)
#   ASIO_FSWATCH_FUZZ_KEEP       if set, keep the working directory when nothing was found
# Extra arguments go to every fuzzer run, after the script's own (e.g. -use_value_profile=1).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${ASIO_FSWATCH_FUZZ_SECONDS:-30}
read -r -a targets <<<"${ASIO_FSWATCH_FUZZ_TARGETS:-inotify_parser glob json snapshot}"
build_dir=${ASIO_FSWATCH_FUZZ_BUILD_DIR:-build/fuzz}

scripts/install-deps.sh --fuzz
if [[ ! -f $build_dir/build.ninja ]]; then
  cmake --preset fuzz -B "$build_dir" >/dev/null
fi
cmake --build "$build_dir" -j2 --target "${targets[@]/#/fuzz_}"

work=$(mktemp -d "${TMPDIR:-/tmp}/asio_fswatch-fuzz.XXXXXX")
echo "fuzz: working corpora, logs and findings under $work"

# Copies the inputs of a corpus or regression directory (not its notes) into the working corpus.
copy_inputs() {
  local from=$1 to=$2 file
  [[ -d $from ]] || return 0
  for file in "$from"/*; do
    [[ -f $file && $file != *.md ]] && cp "$file" "$to/"
  done
  return 0
}

summaries=()
failed=0
for target in "${targets[@]}"; do
  corpus=$work/$target/corpus
  findings=$work/$target/findings
  log=$work/$target/log
  mkdir -p "$corpus" "$findings"
  copy_inputs "fuzz/corpus/$target" "$corpus"
  copy_inputs "fuzz/regressions/$target" "$corpus"

  echo "=== fuzz_$target: ${seconds} s (log: $log)"
  start=$SECONDS
  status=0
  "$build_dir/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$findings/" -print_final_stats=1 "$@" "$corpus" >"$log" 2>&1 || status=$?
  elapsed=$((SECONDS - start))

  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  inputs=$(find "$corpus" -type f | wc -l)
  bytes=$(du -sb "$corpus" | cut -f1)
  shopt -s nullglob
  found=("$findings"/*)
  shopt -u nullglob
  if ((status != 0 || ${#found[@]} != 0)); then
    failed=1
    summaries+=("fuzz_$target: FAILED (exit status $status) after ${executions:-?} executions in ${elapsed} s; corpus $inputs inputs, $bytes bytes")
    echo "fuzz_$target failed; the end of its log:" >&2
    tail -n 40 "$log" >&2
    grep -A 6 '^\*\*\* property violated' "$log" >&2 || true
    for input in "${found[@]}"; do
      size=$(stat -c %s "$input")
      echo "--- finding: $input ($size bytes)$( ((size > 1024)) && echo ', first 1024 shown')" >&2
      od -A x -t x1z -v -N 1024 "$input" >&2
    done
  else
    summaries+=("fuzz_$target: ${executions:-?} executions in ${elapsed} s ($((${executions:-0} / (elapsed > 0 ? elapsed : 1)))/s); corpus $inputs inputs, $bytes bytes; no finding")
  fi
done

echo "=== summary"
printf '%s\n' "${summaries[@]}"
if ((failed)); then
  echo "fuzz: findings above, kept with the logs in $work; see fuzz/README.md for turning them into regressions" >&2
elif [[ -n ${ASIO_FSWATCH_FUZZ_KEEP:-} ]]; then
  echo "fuzz: working corpora and logs kept in $work"
else
  rm -rf "$work" # nothing found: the grown corpora are not kept (ASIO_FSWATCH_FUZZ_KEEP=1 keeps them)
fi
exit "$failed"
