#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# End-to-end tests of `asio-fswatch watch`: usage errors, exit codes, human and JSON output,
# hostile names, signals, a watched root going away.
# Usage: watch_cli_test.sh PATH/TO/asio-fswatch
set -uo pipefail
tool=${1:?path to asio-fswatch}
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null; rm -rf "$work"' EXIT
source "$(dirname "$0")/common.sh"

# Usage and help.
check "help" expect_exit 0 "$tool" --help
check "watch help" expect_exit 0 "$tool" watch --help
check "watch help text" grep -q "usage: asio-fswatch watch" "$work/out"
check "no command" expect_exit 2 "$tool"
check "unknown command" expect_exit 2 "$tool" frobnicate
check "no path" expect_exit 2 "$tool" watch
check "no path message" grep -q "no PATH" "$work/err"
check "unknown option" expect_exit 2 "$tool" watch --bogus "$work"
check "bad backend" expect_exit 2 "$tool" watch --backend nope "$work"
check "bad interval" expect_exit 2 "$tool" watch --poll-interval 12x "$work"
check "missing value" expect_exit 2 "$tool" watch "$work" --exclude
check "missing path" expect_exit 1 "$tool" watch "$work/does-not-exist"
check "missing path message" grep -q "No such file or directory" "$work/err"
check "bad glob" expect_exit 2 "$tool" watch --exclude '[abc' "$work"
check "bad glob message names the pattern" grep -qxF "asio-fswatch: --exclude: invalid glob pattern '[abc' (the syntax is in the section 'Glob syntax' of doc/guide.md)" "$work/err"
check "bad glob hint" grep -qxF "Try 'asio-fswatch watch --help'." "$work/err"
check "bad include glob" expect_exit 2 "$tool" watch --include 'src//x' "$work"
check "bad include glob message" grep -qF -- "--include: invalid glob pattern 'src//x'" "$work/err"
check "hostile bad glob" expect_exit 2 "$tool" watch --exclude $'[\n\x1b' "$work"
check "hostile bad glob escaped" grep -qF -- "--exclude: invalid glob pattern '[\\n\\x1b'" "$work/err"
check "hostile bad glob: one line and a hint" test "$(wc -l <"$work/err")" = 2

# JSON lines, with hostile names, then SIGINT -> exit 0.
tree=$work/tree; mkdir -p "$tree/keep"
"$tool" watch --json --exclude '*.swp' "$tree" >"$work/json" 2>"$work/json.err" & pid=$!
wait_for "$work/json.err" "watching 1 path"
echo hi >"$tree/a.txt"
# Its creation is handled before it moves: handled after, it is `unknown` (gone from its name).
wait_for "$work/json" '{"kind":"created","type":"file","path":"'"$tree"'/a.txt","root":"'
mkdir -p "$tree/x/y/z" && touch "$tree/x/y/z/deep"
mv "$tree/a.txt" "$tree/keep/b.txt"
touch "$tree/ignored.swp"
touch "$tree/$(printf 'new\nline')" "$tree/$(printf 'quote"back\\slash')" "$tree/$(printf 'bad\xffbyte')"
wait_for "$work/json" '"path":"'"$tree"'/bad\udcffbyte"'
kill -INT $pid; wait $pid; status=$?; pid=
check "SIGINT exits 0" test "$status" = 0
check "created, with its root" grep -qxF '{"kind":"created","type":"file","path":"'"$tree"'/a.txt","root":"'"$tree"'"}' "$work/json"
check "mkdir -p race" grep -qF '{"kind":"created","type":"file","path":"'"$tree"'/x/y/z/deep","root":"' "$work/json"
if [[ ${ASIO_FSWATCH_GENERIC_POSIX:-} == 1 ]]; then # polling sees a rename as removed and created
  check "renamed, polled" grep -qF '{"kind":"created","type":"file","path":"'"$tree"'/keep/b.txt","root":"' "$work/json"
  check "renamed, polled: the old name removed" grep -qF '{"kind":"removed","type":"file","path":"'"$tree"'/a.txt","root":"' "$work/json"
else
  check "renamed" grep -qF '{"kind":"renamed","type":"file","path":"'"$tree"'/keep/b.txt","old_path":"'"$tree"'/a.txt","root":"' "$work/json"
fi
check "newline escaped" grep -qF '"path":"'"$tree"'/new\nline"' "$work/json"
check "quote and backslash escaped" grep -qF '"path":"'"$tree"'/quote\"back\\slash"' "$work/json"
check "excluded not reported" bash -c "! grep -q 'ignored.swp' '$work/json'"
check "one object per line" bash -c "! grep -qv '^{\"kind\":\".*}\$' '$work/json'"
check "stdout has only events" bash -c "! grep -q 'asio-fswatch' '$work/json'"

# Human lines, SIGTERM -> exit 0.
"$tool" watch "$tree" >"$work/human" 2>"$work/human.err" & pid=$!
wait_for "$work/human.err" "watching 1 path"
mkdir "$tree/made"
wait_for "$work/human" "created    directory  $tree/made"
kill -TERM $pid; wait $pid; status=$?; pid=
check "SIGTERM exits 0" test "$status" = 0

# --backend poll, --include, --no-recursive, --initial.
opts=$work/opts; mkdir -p "$opts/sub"; echo old >"$opts/existing.txt"
"$tool" watch --json --backend poll --poll-interval 50 --include '*.cpp' --no-recursive --initial \
  "$opts" >"$work/opts.out" 2>"$work/opts.err" & pid=$!
wait_for "$work/opts.err" "with the poll backend"
echo x >"$opts/kept.cpp"; echo x >"$opts/dropped.txt"; echo x >"$opts/sub/deep.cpp"
wait_for "$work/opts.out" '"path":"'"$opts"'/kept.cpp"'
sleep 0.3 # a few more poll rounds: nothing else may show up
kill -INT $pid; wait $pid; status=$?; pid=
check "poll backend exits 0" test "$status" = 0
check "include drops other names" bash -c "! grep -q 'dropped.txt' '$work/opts.out'"
check "initial listing filtered too" bash -c "! grep -q 'existing.txt' '$work/opts.out'"
check "no-recursive ignores subdirectories" bash -c "! grep -q 'deep.cpp' '$work/opts.out'"
"$tool" watch --initial "$opts" >"$work/initial.out" 2>"$work/initial.err" & pid=$!
wait_for "$work/initial.out" "created    file       $opts/existing.txt"
kill -TERM $pid; wait $pid; pid=
check "initial listing" grep -qF "created    directory  $opts/sub" "$work/initial.out"

# --ignore-file: what a .gitignore ignores is not reported; editing it shows what it hid.
check "ignore-file needs a name" expect_exit 2 "$tool" watch "$work" --ignore-file
check "ignore-file takes a name, not a path" expect_exit 2 "$tool" watch --ignore-file sub/.gitignore "$work"
check "ignore-file message" grep -qF -- "--ignore-file takes the name of a file, such as .gitignore" "$work/err"
ign=$work/ign; mkdir -p "$ign/build" "$ign/src"; printf 'build/\n*.log\n' >"$ign/.gitignore"
"$tool" watch --json --ignore-file .gitignore "$ign" >"$work/ign.out" 2>"$work/ign.err" & pid=$!
wait_for "$work/ign.err" "watching 1 path"
echo x >"$ign/build/out.o"; echo x >"$ign/src/a.log"; echo x >"$ign/src/a.c"
wait_for "$work/ign.out" '"path":"'"$ign"'/src/a.c"'
# Replaced whole (written beside it, renamed over it), as editors save: rewritten in place, it
# could be read empty, between the truncation and the write, and a.log shown for that moment.
printf '*.log\n' >"$work/new.gitignore" && mv "$work/new.gitignore" "$ign/.gitignore" # build/ shown now
wait_for "$work/ign.out" '{"kind":"created","type":"file","path":"'"$ign"'/build/out.o","root":"'
kill -INT $pid; wait $pid; status=$?; pid=
check "ignore-file exits 0" test "$status" = 0
check "ignored file not reported" bash -c "! grep -q 'a.log' '$work/ign.out'"
check "ignored directory shown once the file no longer ignores it" \
  grep -qF '{"kind":"created","type":"directory","path":"'"$ign"'/build","root":"' "$work/ign.out"
check "out.o reported only when shown" test "$(grep -c 'out.o' "$work/ign.out")" = 1

# The only watched root goes away -> a diagnostic and exit 1.
"$tool" watch "$tree" >"$work/gone" 2>"$work/gone.err" & pid=$!
wait_for "$work/gone.err" "watching 1 path"
rm -rf "$tree"
for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
wait $pid; status=$?; pid=
check "root removed exits 1" test "$status" = 1
check "root removed message" grep -q "went away" "$work/gone.err"
check "root removed event" grep -qF "removed    directory  $tree" "$work/gone"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
