#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# End-to-end tests of `asio-fswatch watch` with inotifywait's options: a script written for
# inotifywait, run with inotifywait and with asio-fswatch on the same changes, prints the same
# lines; -0 keeps any name whole; --one-shot, -t, --fromfile, -q; what is refused and why.
# Usage: inotifywait_cli_test.sh PATH/TO/asio-fswatch
set -uo pipefail
tool=${1:?path to asio-fswatch}
work=$(mktemp -d)
trap 'kill ${pids:-} 2>/dev/null; rm -rf "$work"' EXIT
source "$(dirname "$0")/common.sh"

# Refused, with a reason.
check "close_write without settling" expect_exit 2 "$tool" watch -e close_write --settle 0 "$work"
check "close_write: why" grep -q "close_write needs settling" "$work/err"
check "open refused" expect_exit 2 "$tool" watch -e modify,open "$work"
check "open: why" grep -q "'open' is not watched" "$work/err"
check "unknown event" expect_exit 2 "$tool" watch -e bogus "$work"
check "bad format field" expect_exit 2 "$tool" watch --format '%w %q' "$work"
check "bad format: why" grep -qF "unknown field '%q'" "$work/err"
check "json with format" expect_exit 2 "$tool" watch --json -0 "$work"
check "bad timeout" expect_exit 2 "$tool" watch -t 1x "$work"
check "missing fromfile" expect_exit 2 "$tool" watch --fromfile "$work/none"
check "csv with format" expect_exit 2 "$tool" watch -c --format '%w' "$work"
check "csv with format: why" grep -qF -- "-c and --format cannot both be given" "$work/err"
# inotifywait's --exclude takes a regular expression, ours a glob: one that can only be a regular
# expression is refused, never read as a glob that matches nothing.
check "regex given as a glob" expect_exit 2 "$tool" watch --exclude '\.swp$' "$work"
check "regex given as a glob: where it goes" grep -qF -- "go to --exclude-regex (or --excludei)" "$work/err"
check "regex given as a glob, include" expect_exit 2 "$tool" watch --include 'src|lib' "$work"
check "a glob's bracketed characters are a glob" expect_exit 124 timeout 1 "$tool" watch -q --exclude 'a[$]' "$work"
check "bad regex" expect_exit 2 "$tool" watch --exclude-regex 'a(' "$work"
check "bad regex: why" grep -qF -- "--exclude-regex: invalid regular expression 'a(': " "$work/err"
check "bad regex, hostile: escaped" expect_exit 2 "$tool" watch --includei $'(\n\x1b' "$work"
check "bad regex, hostile: one line and a hint" test "$(wc -l <"$work/err")" = 2

# A script from inotifywait's manual, both ways, on the same changes.
tree=$work/tree; mkdir -p "$tree"
script='while read -r line; do echo "$line"; done'
events=create,delete,modify,attrib,moved_from,moved_to
if [[ ${ASIO_FSWATCH_GENERIC_POSIX:-} == 1 ]]; then
  platform_skip inotifywait_port "the generic POSIX build polls: a rename is a removal and a creation there"
elif command -v inotifywait >/dev/null; then
  # Each watcher writes to a file, and the script reads it afterwards: the same lines either way,
  # and each watcher is a process of its own to stop.
  inotifywait -m -r -e "$events" --format '%w%f %e' "$tree" >"$work/iw.raw" 2>"$work/iw.err" & iw_pid=$!
  "$tool" watch -mr -e "$events" --format='%w%f %e' "$tree" >"$work/ours.raw" 2>"$work/ours.err" & ours_pid=$!
  pids="$iw_pid $ours_pid"
  wait_for "$work/iw.err" "Watches established."
  wait_for "$work/ours.err" "Watches established."
  step() { "$@"; sleep 0.3; } # one change at a time: each tool reads it on its own
  step bash -c ": > '$tree/f'"
  step bash -c "echo x >> '$tree/f'"
  step mkdir "$tree/d"
  step bash -c ": > '$tree/d/g'"
  step mv "$tree/f" "$tree/d/h"
  step chmod 600 "$tree/d/h"
  step rm "$tree/d/h"
  step rm "$tree/d/g"
  step rmdir "$tree/d"
  step bash -c ": > '$tree/last'"
  wait_for "$work/iw.raw" "$tree/last CREATE"
  wait_for "$work/ours.raw" "$tree/last CREATE"
  kill $pids 2>/dev/null; wait $pids 2>/dev/null; pids=
  bash -c "$script" <"$work/iw.raw" >"$work/iw.out"
  bash -c "$script" <"$work/ours.raw" >"$work/ours.out"
  check "the same lines as inotifywait" diff "$work/iw.out" "$work/ours.out"
  check "the script saw every change" test "$(wc -l <"$work/ours.out")" = 11

  # `inotifywait -m -r -e close_write --format '%w%f' DIR | while read f`: the script of the issue.
  tree2=$work/tree2; mkdir -p "$tree2"
  inotifywait -m -r -e close_write --format '%w%f' "$tree2" >"$work/iw2.raw" 2>"$work/iw2.err" & iw_pid=$!
  "$tool" watch -m -r -e close_write --format '%w%f' "$tree2" >"$work/ours2.raw" 2>"$work/ours2.err" & ours_pid=$!
  pids="$iw_pid $ours_pid"
  wait_for "$work/iw2.err" "Watches established."
  wait_for "$work/ours2.err" "Watches established."
  step bash -c "echo a > '$tree2/a'"
  step dd if=/dev/zero of="$tree2/big" bs=256k count=64 status=none # 16 MiB in 64 writes
  step mkdir "$tree2/d"
  step bash -c "echo e > '$tree2/d/e'"
  step bash -c "echo more >> '$tree2/a'"
  step touch "$tree2/last"
  wait_for "$work/iw2.raw" "$tree2/last"
  wait_for "$work/ours2.raw" "$tree2/last"
  # An atomic save: inotifywait names the temporary file; the settled monitor names the file saved.
  step bash -c "echo saved > '$tree2/.a.tmp' && mv '$tree2/.a.tmp' '$tree2/a'"
  touch "$tree2/end"
  wait_for "$work/ours2.raw" "$tree2/end"
  kill $pids 2>/dev/null; wait $pids 2>/dev/null; pids=
  # Five lines before the save: a, big, d/e, a again, last (mkdir writes no file).
  check "close_write: the same lines as inotifywait" diff <(head -n 5 "$work/iw2.raw") <(head -n 5 "$work/ours2.raw")
  check "close_write: a 16 MiB write is one line" test "$(grep -c "^$tree2/big\$" "$work/ours2.raw")" = 1
  check "close_write: an atomic save names the file saved" test "$(sed -n 6p "$work/ours2.raw")" = "$tree2/a"
  check "close_write: not the temporary file" test "$(grep -c "a.tmp" "$work/ours2.raw")" = 0

  # -c (CSV) and --exclude as a regular expression, on a relative PATH: inotifywait spells paths
  # from the PATH given and matches the expression there. Names that CSV must quote.
  mkdir -p "$work/rel/d"
  (cd "$work/rel" && exec inotifywait -m -r -c -e create,delete,moved_from,moved_to,attrib \
    --exclude '\.swp$|tmp' d >"$work/iw3.raw" 2>"$work/iw3.err") & iw_pid=$!
  (cd "$work/rel" && exec "$tool" watch -mrc -e create,delete,moved_from,moved_to,attrib \
    --exclude-regex '\.swp$|tmp' d >"$work/ours3.raw" 2>"$work/ours3.err") & ours_pid=$!
  pids="$iw_pid $ours_pid"
  wait_for "$work/iw3.err" "Watches established."
  wait_for "$work/ours3.err" "Watches established."
  d=$work/rel/d
  step touch "$d/a.swp" "$d/b.swpx" "$d/tmpfile" "$d/q\"a,b" "$d/ lead" "$d/trail " "$d/keep"
  step mkdir "$d/s d"
  step touch "$d/s d/f"
  step mv "$d/keep" "$d/tmp2"
  step mv "$d/b.swpx" "$d/s d/"
  step rm "$d/ lead"
  step touch "$d/last"
  wait_for "$work/iw3.raw" "last"
  wait_for "$work/ours3.raw" "last"
  kill $pids 2>/dev/null; wait $pids 2>/dev/null; pids=
  check "csv and regex: the same records as inotifywait" diff "$work/iw3.raw" "$work/ours3.raw"
  check "csv: quoted fields" grep -qxF 'd/,CREATE,"q""a,b"' "$work/ours3.raw"
  check "csv: a space at either end quoted" grep -qxF 'd/,DELETE," lead"' "$work/ours3.raw"
  check "csv: excluded by the expression" test "$(grep -c 'a[.]swp\|tmp' "$work/ours3.raw")" = 0
  check "csv: every change made a record" test "$(wc -l <"$work/ours3.raw")" -ge 13

  # @PATH: a directory below the watched PATH is left unwatched, as by inotifywait.
  mkdir -p "$work/rel/e/skip/deep" "$work/rel/e/keep"
  (cd "$work/rel" && exec inotifywait -m -r -e create --format '%w%f' e @e/skip >"$work/iw4.raw" 2>"$work/iw4.err") &
  iw_pid=$!
  (cd "$work/rel" && exec "$tool" watch -m -r -e create --format '%w%f' e @e/skip >"$work/ours4.raw" 2>"$work/ours4.err") &
  ours_pid=$!
  pids="$iw_pid $ours_pid"
  wait_for "$work/iw4.err" "Watches established."
  wait_for "$work/ours4.err" "Watches established."
  step touch "$work/rel/e/skip/x" "$work/rel/e/skip/deep/y" "$work/rel/e/keep/z"
  step mkdir "$work/rel/e/skip/sub"
  step touch "$work/rel/e/last"
  wait_for "$work/iw4.raw" "e/last"
  wait_for "$work/ours4.raw" "e/last"
  kill $pids 2>/dev/null; wait $pids 2>/dev/null; pids=
  check "@PATH: the same lines as inotifywait" diff "$work/iw4.raw" "$work/ours4.raw"
  check "@PATH: the rest is reported" grep -qxF "e/keep/z" "$work/ours4.raw"
  check "@PATH: nothing below it" test "$(grep -c skip "$work/ours4.raw")" = 0
else
  skip_case inotifywait "inotifywait (Debian's inotify-tools) is not installed: the script cannot be run both ways"
fi

# -0: any name comes through whole, newline and invalid UTF-8 included.
"$tool" watch -0 -e create "$tree" >"$work/nul.out" 2>"$work/nul.err" & pids="$!"
wait_for "$work/nul.err" "watching 1 path"
hostile=$(printf 'new\nline\xff')
touch "$tree/$hostile"
touch "$tree/end"
for _ in $(seq 300); do grep -q "end" "$work/nul.out" 2>/dev/null && break; sleep 0.1; done
kill $pids; pids=
found=0
while IFS= read -r -d '' path; do [[ $path == "$tree/$hostile" ]] && found=1; done <"$work/nul.out"
check "-0 keeps a hostile name whole" test "$found" = 1

# --one-shot: the first record, whole (a format with a newline in it), then exit 0.
"$tool" watch --one-shot --format '%e%n%f' "$tree" >"$work/one.out" 2>"$work/one.err" & pid=$!
wait_for "$work/one.err" "Watches established."
touch "$tree/first"
wait_exit "$pid"
check "one-shot exits 0" test "$status" = 0
check "one-shot prints one record, whole" test "$(cat "$work/one.out")" = "$(printf 'CREATE\nfirst')"

# -t: no event for that long: status 2, as inotifywait; -q: nothing on standard error.
started=$(date +%s)
check "timeout exits 2" expect_exit 2 "$tool" watch -q -t 1 "$tree"
check "timeout: not a usage error" test ! -s "$work/err"
check "timeout: after a second" test $(($(date +%s) - started)) -ge 1
check "-t 0: no timeout" expect_exit 124 timeout 2 "$tool" watch -q -t 0 "$tree"

# -qq: not even the events (a loop's condition); bundles and attached values as getopt reads them.
"$tool" watch -qq --one-shot -ecreate "$tree" >"$work/qq.out" 2>"$work/qq.err" & pid=$!
# Nothing says when it is ready: a file each 0.2 s until it has seen one.
for n in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; touch "$tree/silent$n"; sleep 0.2; done
wait_exit "$pid"
check "-qq: exits 0 on the event" test "$status" = 0
check "-qq: prints nothing" test ! -s "$work/qq.out"

# --fromfile: the paths, one per line.
mkdir -p "$work/a" "$work/b"
printf '%s\n%s\n' "$work/a" "$work/b" >"$work/list"
"$tool" watch --fromfile "$work/list" --one-shot >"$work/from.out" 2>"$work/from.err" & pid=$!
wait_for "$work/from.err" "watching 2 paths"
touch "$work/b/x"
wait_exit "$pid"
check "fromfile: both paths watched" grep -q "$work/b/x" "$work/from.out"

echo "inotifywait_cli_test: $passed passed, $failed failed"
((failed == 0))
