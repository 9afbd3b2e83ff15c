#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# End-to-end tests of `asio-fswatch run`'s filters and command line: --fs-events (a touch or a
# chmod alone starts nothing by default), --include, --backend, --shell (sh -c, with $0 the
# first changed path, as entr -s), entr's /_ placeholder, and the status line that summarises
# what changed. The restart itself is run_cli_test.sh's subject.
# Usage: run_options_cli_test.sh PATH/TO/asio-fswatch
set -uo pipefail
tool=${1:?path to asio-fswatch}
work=$(mktemp -d) && work=$(cd "$work" && pwd -P) # physical: the tool reports resolved paths
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/run_common.sh"
trap cleanup EXIT
# Status lines show paths relative to the current directory when they are inside it: from a
# directory of its own, every path here is outside it, so absolute.
mkdir "$work/cwd" && cd "$work/cwd" || exit 1

check "bad fs-events kind" expect_exit 2 "$tool" run --fs-events created,sometimes -- true
check "bad fs-events: why" grep -qF -- "--fs-events: unknown kind 'sometimes'" "$work/err"
check "fs-events: access is no change" expect_exit 2 "$tool" run --fs-events access -- true
check "fs-events: access: why" grep -qF "'access' is not a change" "$work/err"
check "fs-events: empty list" expect_exit 2 "$tool" run --fs-events , -- true
check "bad backend" expect_exit 2 "$tool" run --backend fanotify -- true
if [[ ${ASIO_FSWATCH_GENERIC_POSIX:-} == 1 ]]; then
  platform_skip poll_interval_native "the generic POSIX build has no native backend to give --poll-interval with"
else
  check "poll interval with the native backend" expect_exit 2 "$tool" run --backend native --poll-interval 50 -- true
  check "poll interval: why" grep -qF -- "--poll-interval is the poll backend's" "$work/err"
fi
check "bad include glob" expect_exit 2 "$tool" run --include '[x' -- true
check "include: a regular expression refused" expect_exit 2 "$tool" run --include '\.c$' -- true

# 1. By default a touch of an existing file, or a chmod, starts nothing; a write does, and the
# status line names the path and the kind.
new_scenario kinds
echo a >"$src/a.c"
LOG=$log "$tool" run --watch "$src" --debounce 50 -- sh -c "$sleeper" 2>"$err" & pid=$!; pids+=("$pid")
check "kinds: first start" wait_starts "$log" 1
# The poll backend sees a touch as a change of the times it compares: a modification there.
[[ ${ASIO_FSWATCH_GENERIC_POSIX:-} == 1 ]] || touch "$src/a.c"
chmod 600 "$src/a.c"
sleep 1 # time for a wrong restart
check "kinds: touch and chmod start nothing" exactly "$log" 1
echo more >>"$src/a.c"
check "kinds: a write restarts" wait_starts "$log" 2
check "kinds: status line names path and kind" grep -qxF "asio-fswatch: $src/a.c changed (modified), restarting sh" "$err"
check "kinds: SIGTERM exits" stop_tool "$pid"

# --fs-events metadata (watchexec's name): a touch counts.
: >"$log"
LOG=$log "$tool" run --watch "$src" --debounce 50 --fs-events metadata -- sh -c "$sleeper" 2>"$err.2" & pid=$!; pids+=("$pid")
check "metadata: first start" wait_starts "$log" 1
echo more >>"$src/a.c" # a write alone: not selected
sleep 1
check "metadata: a write is not selected" exactly "$log" 1
chmod 644 "$src/a.c"
check "metadata: a chmod restarts" wait_starts "$log" 2
check "metadata: status line" grep -qxF "asio-fswatch: $src/a.c changed (attributes), restarting sh" "$err.2"
check "metadata: SIGTERM exits" stop_tool "$pid"

# 2. --include: only matching paths; the summary counts each kind and names the first paths.
new_scenario include
mkdir -p "$src/src" "$src/doc"
LOG=$log "$tool" run --watch "$src" --debounce 300 --include 'src/**' -- sh -c "$sleeper" 2>"$err" & pid=$!; pids+=("$pid")
check "include: first start" wait_starts "$log" 1
echo x >"$src/doc/readme"
sleep 1
check "include: an other path starts nothing" exactly "$log" 1
for f in a b c d e; do echo x >"$src/src/$f.c"; done
rm "$src/src/e.c"
check "include: matching paths restart" wait_starts "$log" 2
if [[ ${ASIO_FSWATCH_GENERIC_POSIX:-} == 1 ]]; then # a scan sees what is there, in its order
  check "include: summary" grep -qE "^asio-fswatch: $src/src/[a-e].c, $src/src/[a-e].c, $src/src/[a-e].c and [12] more changed \(. changes: . created\), restarting sh$" "$err"
else
  check "include: summary" grep -qxF "asio-fswatch: $src/src/a.c, $src/src/b.c, $src/src/c.c and 2 more changed (11 changes: 5 created, 5 modified, 1 removed), restarting sh" "$err"
fi
check "include: SIGTERM exits" stop_tool "$pid"

# 3. /_ is the first changed path (the first PATH at the first start); --shell runs a command
# line, with $0 that path.
new_scenario placeholder
LOG=$log "$tool" run --watch "$src" --debounce 50 -- sh -c 'printf "start %s 0 %s\n" "$$" "$1" >>"$LOG"; exec sleep 300' sh /_ 2>"$err" & pid=$!; pids+=("$pid")
check "placeholder: first start" wait_starts "$log" 1
check "placeholder: the first PATH at first" test "$(nth_start "$log" 1 | cut -d' ' -f4-)" = "$src"
echo x >"$src/changed file"
check "placeholder: restart" wait_starts "$log" 2
check "placeholder: the changed path" test "$(nth_start "$log" 2 | cut -d' ' -f4-)" = "$src/changed file"
check "placeholder: SIGTERM exits" stop_tool "$pid"

new_scenario shell
LOG=$log "$tool" run --watch "$src" --debounce 50 --shell -- 'printf "start %s 0 %s\n" "$$" "$0" >>"$LOG" &&' exec sleep 300 2>"$err" & pid=$!; pids+=("$pid")
check "shell: first start" wait_starts "$log" 1
echo x >"$src/x.c"
check "shell: restart" wait_starts "$log" 2
check "shell: \$0 is the changed path" test "$(nth_start "$log" 2 | cut -d' ' -f4-)" = "$src/x.c"
check "shell: SIGTERM stops the line's process" stop_tool "$pid"

# /_ with --shell is "$0": a name is never read as shell code.
new_scenario shell_name
LOG=$log "$tool" run --watch "$src" --debounce 50 --postpone --shell -- 'printf "start %s 0 %s\n" "$$"' /_ '>>"$LOG"; exec sleep 300' 2>"$err" & pid=$!; pids+=("$pid")
check "shell name: postponed" wait_for "$err" "waiting for a change"
hostile='x;echo INJECTED >&2;touch injected'
touch "$src/$hostile"
check "shell name: started" wait_starts "$log" 1
check "shell name: the name whole, as data" test "$(nth_start "$log" 1 | cut -d' ' -f4-)" = "$src/$hostile"
check "shell name: nothing injected" bash -c "! grep -qx INJECTED '$err' && ! test -e '$src/injected' && ! test -e injected"
check "shell name: a first start says starting" grep -qF "changed (created), starting printf" "$err"
check "shell name: SIGTERM exits" stop_tool "$pid"

# --ext with --include: a change must match both.
new_scenario ext_include
mkdir -p "$src/src" "$src/doc"
LOG=$log "$tool" run --watch "$src" --debounce 50 --ext .c --include 'src/**' -- sh -c "$sleeper" 2>"$err" & pid=$!; pids+=("$pid")
check "ext and include: first start" wait_starts "$log" 1
echo x >"$src/doc/readme.c"
echo x >"$src/src/notes.txt"
sleep 1
check "ext and include: either alone starts nothing" exactly "$log" 1
echo x >"$src/src/main.c"
check "ext and include: both restart" wait_starts "$log" 2
check "ext and include: SIGTERM exits" stop_tool "$pid"

# 4. --backend poll: the same restart, by scanning.
new_scenario poll
LOG=$log "$tool" run --watch "$src" --debounce 50 --backend poll --poll-interval 100 -- sh -c "$sleeper" 2>"$err" & pid=$!; pids+=("$pid")
check "poll: first start" wait_starts "$log" 1
echo x >"$src/new.c"
check "poll: restart" wait_starts "$log" 2
check "poll: status line" grep -qxF "asio-fswatch: $src/new.c changed (created), restarting sh" "$err"
check "poll: SIGTERM exits" stop_tool "$pid"

echo "run_options_cli_test: $passed passed, $failed failed"
((failed == 0))
