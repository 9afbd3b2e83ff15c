#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# End-to-end tests of what `asio-fswatch run` does with hostile names and with its own writes:
#  - the list of changed paths (ASIO_FSWATCH_CHANGED_PATHS_FILE) holds the exact bytes of names
#    with newlines, escape sequences, invalid UTF-8 and 255 bytes, and cannot be forged; it is
#    private (0600 in a 0700 directory) and removed once its command has ended;
#  - a list far larger than the environment may hold (E2BIG) still starts the command;
#  - status lines escape names: no raw escape sequence, no forged line;
#  - run's own standard output and error, redirected into the watched tree, and its lists of
#    paths (TMPDIR inside the tree) never restart the command; what is ignored by default
#    (.git, editors' files) does not either, unless --no-default-ignores; a command writing
#    into its tree loops until --exclude ends it;
#  - an unusable TMPDIR: the command starts all the same.
# Usage: run_safety_cli_test.sh PATH/TO/asio-fswatch
set -uo pipefail
tool=${1:?path to asio-fswatch}
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
work=$(mktemp -d) && work=$(cd "$work" && pwd -P) # physical: the tool reports resolved paths
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/run_common.sh"
trap cleanup EXIT

# The list's checks, on bytes.
cat >"$work/lists.py" <<'PYTHON'
import os, sys

def fail(message):
    print("lists.py: " + message, file=sys.stderr)
    sys.exit(1)

def entries(list_file):
    with open(list_file, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\0"):
        fail("%s does not end with a NUL byte" % list_file)
    return data.split(b"\0")[:-1]

command, list_file, root = sys.argv[1], sys.argv[2], os.fsencode(sys.argv[3])
paths = entries(list_file)
if command == "contains":  # contains LIST ROOT NAME...: each ROOT/NAME (bytes) is listed
    for name in sys.argv[4:]:
        if root + b"/" + os.fsencode(name) not in paths:
            fail("%r is not in the list %r" % (root + b"/" + os.fsencode(name), paths))
elif command == "inside":  # inside LIST ROOT: every entry is below ROOT
    for path in paths:
        if not path.startswith(root + b"/"):
            fail("%r is not below %r: a forged entry" % (path, root))
elif command == "once":  # once LIST ROOT: no entry is listed twice
    if len(set(paths)) != len(paths):
        fail("an entry is listed twice: %r" % paths)
elif command == "count":  # count LIST ROOT N: N different entries
    if len(set(paths)) != int(sys.argv[4]):
        fail("%d different entries, wanted %s" % (len(set(paths)), sys.argv[4]))
PYTHON
lists() { python3 "$work/lists.py" "$@"; }

no_raw_control_bytes() { # no_raw_control_bytes FILE: no byte below 0x20 but newline, no DEL
  ! LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$1"
}

# 1. Hostile names: the list, its privacy, its removal; the status lines.
new_scenario hostile
keeper='f=$ASIO_FSWATCH_CHANGED_PATHS_FILE; n=$(cat "$LOG" 2>/dev/null | grep -c "^start "); cp "$f" "$DIR/list.$n"; '
keeper+='printf "%s %s %s\n" "$f" "$(stat -c %a "$f")" "$(stat -c %a "${f%/*}")" >>"$DIR/files"; '
keeper+="$sleeper"
(cd "$dir" && LOG=$log DIR=$dir exec "$tool" run --watch src -- sh -c "$keeper") 2>"$err" & pid=$!; pids+=("$pid")
check "hostile: first start" wait_starts "$log" 1
check "hostile: the first list is empty" test -f "$dir/list.0" -a ! -s "$dir/list.0"
forged_dir=$'x\n'                         # x<newline>/etc/shadow: a newline-separated list says /etc/shadow
title=$'\x1b]0;pwned\x07\x1b[2J'          # sets the terminal's title, clears the screen
forged_line=$'y\nasio-fswatch: forged line'
invalid=$'bad\xff\xed\xa0\x80'
long=$(printf 'L%.0s' $(seq 255))
mkdir -p "$src/$forged_dir/etc"
touch "$src/$forged_dir/etc/shadow" "$src/$title" "$src/$forged_line" "$src/$invalid" "$src/$long"
check "hostile: restart" wait_starts "$log" 2
sleep 1 # the restart's debounce may have cut the burst in two: let a third start come
last=$(starts "$log"); last_list=$dir/list.$((last - 1))
for n in $(seq 1 $((last - 1))); do cat "$dir/list.$n"; done >"$dir/all"
check "hostile: every name's exact bytes listed" \
  lists contains "$dir/all" "$src" "$forged_dir/etc/shadow" "$title" "$forged_line" "$invalid" "$long"
check "hostile: nothing forged (/etc/shadow, /etc)" lists inside "$dir/all" "$src"
check "hostile: each path once in a list" lists once "$last_list" "$src"
first_file=$(head -1 "$dir/files" | awk '{ print $1 }')
check "hostile: the list is 0600" test "$(head -1 "$dir/files" | awk '{ print $2 }')" = 600
check "hostile: its directory is 0700" test "$(head -1 "$dir/files" | awk '{ print $3 }')" = 700
check "hostile: a list is removed once its command has ended" test ! -e "$first_file"
check "hostile: status lines name the first change, escaped" \
  grep -qF -- "changed" "$err"
check "hostile: no raw escape or control byte on stderr" no_raw_control_bytes "$err"
check "hostile: no forged status line" bash -c '! grep -q "^asio-fswatch: forged" "$0"' "$err"
check "hostile: every stderr line is a status line" bash -c '! grep -qv "^asio-fswatch: " "$0"' "$err"
check "hostile: SIGTERM exits" stop_tool "$pid"
check "hostile: the private directory is removed at exit" test ! -e "${first_file%/*}"

# Status lines name the path escaped as `watch` does: one change at a time.
for name in "$title" "$forged_line"; do
  before=$(starts "$log")
  new_scenario "status-$before"
  (cd "$dir" && LOG=$log exec "$tool" run --watch src --postpone -- sh -c "$sleeper") 2>"$err" & pid=$!
  pids+=("$pid")
  wait_for "$err" "waiting for a change"
  touch "$src/$name"
  check "status line: start" wait_starts "$log" 1
  check "status line: one line, escaped" grep -qF "asio-fswatch: src/$(printf %s "$name" | python3 -c '
import sys; data = sys.stdin.buffer.read()
text = "".join({10: "\\n", 7: "\\x07", 27: "\\x1b"}.get(b, chr(b)) for b in data)
print(text.replace(": ", "\\x3a "), end="")') changed" "$err"
  check "status line: no raw escape or control byte" no_raw_control_bytes "$err"
  check "status line: no forged line" bash -c '! grep -q "^asio-fswatch: forged" "$0"' "$err"
  check "status line: SIGTERM exits" stop_tool "$pid"
done

# 2. A list far beyond the environment's 128 KiB per variable: the command still starts.
new_scenario e2big
LOG=$log "$tool" run --watch "$src" --debounce 500 -- sh -c 'cat "$ASIO_FSWATCH_CHANGED_PATHS_FILE" >>"$LOG.lists"; '"$sleeper" \
  2>"$err" & pid=$!; pids+=("$pid")
check "e2big: first start" wait_starts "$log" 1
(cd "$src" && seq 1000 | sed "s/^/$(printf 'p%.0s' $(seq 200))/" | xargs touch)
check "e2big: restart" wait_starts "$log" 2
sleep 1 # a burst split by the debounce gives a third start: the lists together hold every path
check "e2big: never refused" bash -c '! grep -q "cannot start" "$0"' "$err"
check "e2big: all 1000 paths listed" lists count "$log.lists" "$src" 1000
check "e2big: SIGTERM exits" stop_tool "$pid"

# 3. run's standard error and output redirected into the watched tree: its status lines and the
# command's output (same files) restart nothing; a real change still does.
new_scenario own-output
(cd "$dir" && LOG=$log exec "$tool" run --watch src -- sh -c "echo out; echo err >&2; $sleeper") \
  >"$src/run.out" 2>"$src/run.err" & pid=$!; pids+=("$pid")
check "own output: first start" wait_starts "$log" 1
sleep 1.5 # time to (wrongly) restart on the status line or the command's output
check "own output: no restart" exactly "$log" 1
touch "$src/real"
check "own output: a real change restarts" wait_starts "$log" 2
sleep 1.5 # time to (wrongly) restart on the new status line
check "own output: once" exactly "$log" 2
check "own output: status lines are in the tree" grep -qF "src/real changed" "$src/run.err"
check "own output: SIGTERM exits" stop_tool "$pid"

# 4. TMPDIR inside the watched tree: the lists run writes there restart nothing.
new_scenario tmpdir
mkdir "$src/tmp"
TMPDIR=$src/tmp LOG=$log "$tool" run --watch "$src" -- sh -c "$sleeper" 2>"$err" & pid=$!; pids+=("$pid")
check "tmpdir: first start" wait_starts "$log" 1
touch "$src/real"
check "tmpdir: restart" wait_starts "$log" 2
sleep 1.5 # time to (wrongly) restart on the list of the second start
check "tmpdir: no loop" exactly "$log" 2
check "tmpdir: SIGTERM exits" stop_tool "$pid"

# TMPDIR unusable: no list, said on stderr, and the command still starts, with the variable empty.
new_scenario no-tmpdir
TMPDIR=$dir/missing LOG=$log "$tool" run --watch "$src" -- sh -c 'echo "[$ASIO_FSWATCH_CHANGED_PATHS_FILE]" >"$LOG.var"; '"$sleeper" \
  2>"$err" & pid=$!; pids+=("$pid")
check "no tmpdir: still starts" wait_starts "$log" 1
check "no tmpdir: said" grep -qF "cannot write the list of changed paths: TMPDIR: " "$err"
check "no tmpdir: variable empty" test "$(cat "$log.var")" = "[]"
check "no tmpdir: SIGTERM exits" stop_tool "$pid"

# 5. Ignored by default: version control and editors' files; --no-default-ignores restarts.
new_scenario ignores
mkdir -p "$src/.git/objects" "$src/sub/.hg" "$src/.svn"
LOG=$log "$tool" run --watch "$src" -- sh -c "$sleeper" 2>"$err" & pid=$!; pids+=("$pid")
check "ignores: first start" wait_starts "$log" 1
touch "$src/.git/objects/ab" "$src/.git/index" "$src/sub/.hg/dirstate" "$src/.svn/wc.db" \
  "$src/a.c.swp" "$src/.a.c.swx" "$src/a.c~" "$src/.#a.c" "$src/4913" "$src/sub/b.swp"
sleep 1.5 # time to (wrongly) restart
check "ignores: nothing restarts" exactly "$log" 1
check "ignores: SIGTERM exits" stop_tool "$pid"
: >"$log"
LOG=$log "$tool" run --watch "$src" --no-default-ignores -- sh -c "$sleeper" 2>"$err" & pid=$!; pids+=("$pid")
check "no-default-ignores: first start" wait_starts "$log" 1
echo more >>"$src/.git/index" # written: a touch alone is no change by default (--fs-events)
check "no-default-ignores: .git restarts" wait_starts "$log" 2
check "no-default-ignores: SIGTERM exits" stop_tool "$pid"

# 6. A command that writes into its own tree restarts for ever; --exclude ends it.
new_scenario loop
LOG=$log "$tool" run --watch "$src" -- sh -c "echo built >\"$src/out.o\"; $sleeper" 2>"$err" & pid=$!; pids+=("$pid")
check "loop: restarts on its own output (documented)" wait_starts "$log" 3
check "loop: SIGTERM exits" stop_tool "$pid"
: >"$log"
LOG=$log "$tool" run --watch "$src" --exclude '*.o' -- sh -c "echo built >\"$src/out.o\"; $sleeper" 2>"$err" & pid=$!
pids+=("$pid")
check "exclude: first start" wait_starts "$log" 1
sleep 1.5 # time to (wrongly) restart
check "exclude: ends the loop" exactly "$log" 1
check "exclude: SIGTERM exits" stop_tool "$pid"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
