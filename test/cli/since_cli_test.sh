#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# End-to-end tests of `asio-fswatch snapshot` and `asio-fswatch since`: the events since a
# snapshot, each command a process of its own (as across a restart), with changes in between;
# --update moves the snapshot on with nothing lost between runs; --json and -0 output; what is
# refused and why (usage, a missing, foreign or damaged snapshot).
# Usage: since_cli_test.sh PATH/TO/asio-fswatch
set -uo pipefail
tool=${1:?path to asio-fswatch}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/common.sh"
tree=$work/tree
snap=$work/tree.snapshot

# Usage.
check "snapshot help" expect_exit 0 "$tool" snapshot --help
check "snapshot help text" grep -q "usage: asio-fswatch snapshot" "$work/out"
check "since help" expect_exit 0 "$tool" since --help
check "since help text" grep -q "usage: asio-fswatch since" "$work/out"
check "snapshot without operands" expect_exit 2 "$tool" snapshot
check "since with one operand" expect_exit 2 "$tool" since "$snap"
check "since: --json with -0" expect_exit 2 "$tool" since --json -0 "$snap" "$work"
check "unknown option" expect_exit 2 "$tool" since --bogus "$snap" "$work"
check "bad glob" expect_exit 2 "$tool" snapshot --exclude '[x' "$work" "$snap"
check "ignore-file takes a name" expect_exit 2 "$tool" snapshot --ignore-file a/b "$work" "$snap"

mkdir -p "$tree/src/lib" "$tree/docs"
echo 'int main() {}' >"$tree/src/main.c"
echo 'void f() {}' >"$tree/src/lib/f.c"
echo 'notes' >"$tree/docs/notes.md"
echo 'scratch' >"$tree/src/x.tmp"
# A file changed less than 50 ms before a scan counts as changed at the next comparison (its
# status cannot tell a second change in the same clock tick): let the clock move first.
sleep 0.2

check "snapshot saved" expect_exit 0 "$tool" snapshot --exclude '*.tmp' "$tree" "$snap"
check "snapshot prints nothing" test ! -s "$work/out"
check "the snapshot is a file" test -s "$snap"
check "since, nothing changed" expect_exit 0 "$tool" since --exclude '*.tmp' "$snap" "$tree"
check "since, nothing changed: no output" test ! -s "$work/out"

# Changes between two runs.
echo 'int main() { return 0; }' >"$tree/src/main.c"
rm -r "$tree/docs"
mv "$tree/src/lib" "$tree/lib"
mkdir -p "$tree/new"
printf 'x' >"$tree/new/line"$'\n'"break"
echo 'more scratch' >"$tree/src/y.tmp"
sleep 0.2

check "since" expect_exit 0 "$tool" since --exclude '*.tmp' "$snap" "$tree"
cp "$work/out" "$work/human"
check "human: modified" grep -qxF "modified   file       $tree/src/main.c" "$work/human"
line_of() { grep -nxF -- "$1" "$work/human" | cut -d: -f1; }
check "human: removed deepest first" test "$(line_of "removed    file       $tree/docs/notes.md")" -lt "$(line_of "removed    directory  $tree/docs")"
check "human: moved is removed and created" bash -c "grep -qxF 'removed    directory  $tree/src/lib' '$work/human' && grep -qxF 'created    directory  $tree/lib' '$work/human'"
check "human: a hostile name stays on one line" grep -qxF "created    file       $tree/new/line\\nbreak" "$work/human"
check "human: excluded file not reported" bash -c "! grep -q 'y.tmp' '$work/human'"
check "human: nine events" test "$(wc -l <"$work/human")" = 9
check "since leaves the snapshot as it was" expect_exit 0 "$tool" since --exclude '*.tmp' "$snap" "$tree"
check "same events again" cmp -s "$work/out" "$work/human"

check "since --json" expect_exit 0 "$tool" since --json --exclude '*.tmp' "$snap" "$tree"
check "json: every line an object" python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
events = [json.loads(line) for line in lines]
assert len(events) == 9, len(events)
assert {"kind": "modified", "type": "file", "path": sys.argv[2] + "/src/main.c", "root": sys.argv[2]} in events, events
' "$work/out" "$tree"

check "since -0" expect_exit 0 "$tool" since -0 --exclude '*.tmp' "$snap" "$tree"
check "-0: the hostile name whole" python3 -c '
import sys
records = open(sys.argv[1], "rb").read().split(b"\0")
assert records[-1] == b"", "each record ends with NUL"
assert (sys.argv[2] + "/new/line\nbreak").encode() in records[:-1], records
' "$work/out" "$tree"

# Standard output fails: nothing is saved, and the events come again.
cp "$snap" "$work/kept"
if [[ -w /dev/full ]]; then
  check "stdout failing" expect_exit 3 bash -c '"$0" since --update --exclude "*.tmp" "$1" "$2" >/dev/full' "$tool" "$snap" "$tree"
  check "stdout failing: the snapshot is left as it was" cmp -s "$snap" "$work/kept"
else
  skip_case dev_full "no writable /dev/full here to make standard output fail"
fi

# --update: each run's events start where the last run's ended.
check "since --update" expect_exit 0 "$tool" since --update --exclude '*.tmp' "$snap" "$tree"
check "--update prints the events" cmp -s "$work/out" "$work/human"
check "after --update, nothing" expect_exit 0 "$tool" since --exclude '*.tmp' "$snap" "$tree"
check "after --update, no output" test ! -s "$work/out"
rm "$tree/new/line"$'\n'"break"
check "the next change" expect_exit 0 "$tool" since --update --exclude '*.tmp' "$snap" "$tree"
check "the next change alone" test "$(cat "$work/out")" = "removed    file       $tree/new/line\\nbreak"

# Refused: missing, foreign, damaged; a tree that is gone.
check "missing snapshot" expect_exit 1 "$tool" since "$work/none" "$tree"
check "missing snapshot message" grep -q "No such file or directory" "$work/err"
check "missing snapshot: no output" test ! -s "$work/out"
echo '{"kind":"created"}' >"$work/foreign"
check "foreign file" expect_exit 1 "$tool" since "$work/foreign" "$tree"
check "foreign file message" grep -qF "not a snapshot file of asio_fswatch, or a damaged one" "$work/err"
head -c 100 "$snap" >"$work/cut"
check "cut snapshot" expect_exit 1 "$tool" since "$work/cut" "$tree"
check "cut snapshot message" grep -qF "damaged" "$work/err"
check "--update with a damaged file" expect_exit 1 "$tool" since --update "$work/cut" "$tree"
check "--update leaves a damaged file alone" test "$(wc -c <"$work/cut")" = 100
check "tree gone" expect_exit 1 "$tool" since "$snap" "$work/no-tree"
check "snapshot of a missing tree" expect_exit 1 "$tool" snapshot "$work/no-tree" "$work/s2"
check "snapshot into a missing directory" expect_exit 1 "$tool" snapshot "$tree" "$work/no/dir/s"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
