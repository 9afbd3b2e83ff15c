#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# End-to-end tests of `asio-fswatch run`: usage errors, restarts on changes, --ext, debouncing,
# changes during a restart, signals (nothing left behind), --exit-on-success, --postpone, a
# command that cannot start.
# Usage: run_cli_test.sh PATH/TO/asio-fswatch
set -uo pipefail
tool=${1:?path to asio-fswatch}
work=$(mktemp -d) && work=$(cd "$work" && pwd -P) # physical: the tool reports resolved paths
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/run_common.sh"
trap cleanup EXIT

has_word() { # has_word LINE WORD
  [[ " $1 " == *" $2 "* ]]
}

alive() { # alive PID: a process that runs (not a zombie)
  ps -o stat= -p "$1" 2>/dev/null | grep -qv '^Z'
}

group_size() { # group_size PGID: live (not zombie) members of the process group
  ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { n++ } END { print n + 0 }'
}

wait_group_size() { # wait_group_size PGID N: up to 30 s for the group to have N live members
  for _ in $(seq 300); do [[ $(group_size "$1") == "$2" ]] && return 0; sleep 0.1; done
  echo "timed out waiting for group $1 to have $2 live members; it has:" >&2
  ps -eo pid=,pgid=,stat=,args= | awk -v g="$1" '$2 == g' >&2; return 1
}

# 1. Usage.
check "run help" expect_exit 0 "$tool" run --help
check "run help text" grep -q "usage: asio-fswatch run" "$work/out"
check "no command" expect_exit 2 "$tool" run
check "no command message" grep -q "no COMMAND" "$work/err"
check "no command after --" expect_exit 2 "$tool" run --watch "$work" --
check "unknown option" expect_exit 2 "$tool" run --bogus -- true
check "unknown option message" grep -q "unknown option '--bogus'" "$work/err"
check "bad signal" expect_exit 2 "$tool" run --signal FOO -- true
check "bad signal message" grep -q "signal takes .*not 'FOO'" "$work/err"
check "signal 0" expect_exit 2 "$tool" run --signal 0 -- true
check "signal 65" expect_exit 2 "$tool" run --signal 65 -- true
check "signal missing" expect_exit 2 "$tool" run --signal
check "bad grace" expect_exit 2 "$tool" run --grace 12x -- true
check "bad grace message" grep -q "grace takes milliseconds.*not '12x'" "$work/err"
check "negative grace" expect_exit 2 "$tool" run --grace -1 -- true
check "bad debounce" expect_exit 2 "$tool" run --debounce 3600001 -- true
check "bad debounce message" grep -q "debounce takes milliseconds.*not '3600001'" "$work/err"
check "empty debounce" expect_exit 2 "$tool" run --debounce '' -- true
check "ext comma" expect_exit 2 "$tool" run --ext , -- true
check "ext comma message" grep -q "empty extension" "$work/err"
check "ext missing" expect_exit 2 "$tool" run --ext
check "bad glob" expect_exit 2 "$tool" run --exclude '[abc' -- true
check "bad glob message names the pattern" grep -qF -- "--exclude: invalid glob pattern '[abc'" "$work/err"
check "bad glob: the command does not start" bash -c '! grep -q "starting true" "$0"' "$work/err"
check "ext with a slash" expect_exit 2 "$tool" run --ext .c/x -- true
check "ext with a slash message" grep -qF "an extension cannot hold '/'" "$work/err"
check "watch missing path" expect_exit 1 "$tool" run --watch /nonexistent -- true
check "watch missing path message" grep -q "cannot watch /nonexistent" "$work/err"

# 2. A change restarts the command; the default watched path is the current directory.
new_scenario restart
echo old >"$src/a.txt"
(cd "$src" && export LOG=$log && exec "$tool" run -- sh -c "$sleeper") 2>"$err" & pid=$!; pids+=("$pid")
check "restart: first start" wait_starts "$log" 1
check "restart: first status line" wait_for "$err" "asio-fswatch: starting sh"
first=$(nth_start "$log" 1)
check "restart: first start has no changes" test "$first" = "start $(awk '{ print $2 }' <<<"$first") 0 "
echo new >"$src/a.txt"
check "restart: second start" wait_starts "$log" 2
second=$(nth_start "$log" 2)
check "restart: changed path in environment" has_word "$second" "$src/a.txt"
check "restart: change count" test "$(awk '{ print $3 }' <<<"$second")" -ge 1
check "restart: status line" grep -q "^asio-fswatch: a.txt changed.*, restarting sh$" "$err"
check "restart: first child gone" bash -c "! ps -o stat= -p $(awk '{ print $2 }' <<<"$first") | grep -qv '^Z'"
check "restart: second child runs" alive "$(awk '{ print $2 }' <<<"$second")"
check "restart: SIGTERM exits" stop_tool "$pid"
check "restart: SIGTERM exits 143" test "$status" = 143
check "restart: second child gone" test "$(group_size "$(awk '{ print $2 }' <<<"$second")")" = 0

# 3. --ext: other files change nothing.
new_scenario ext
echo old >"$src/x.txt"; echo old >"$src/a.cpp"
LOG=$log "$tool" run --watch "$src" --ext .cpp -- sh -c "$sleeper" 2>"$err" & pid=$!; pids+=("$pid")
check "ext: first start" wait_starts "$log" 1
echo new >"$src/x.txt"
sleep 1.5 # time to (wrongly) restart
check "ext: other extension ignored" exactly "$log" 1
echo new >"$src/a.cpp"
check "ext: .cpp restarts" wait_starts "$log" 2
sleep 1 # time for a (wrong) third start
check "ext: one restart" exactly "$log" 2
second=$(nth_start "$log" 2)
check "ext: .cpp in paths" has_word "$second" "$src/a.cpp"
check "ext: .txt not in paths" bash -c '[[ $0 != *x.txt* ]]' "$second"
check "ext: SIGTERM exits" stop_tool "$pid"

# 3b. Ignore files: what .gitignore ignores changes nothing; --no-ignore-files turns that off.
check "ignore-file takes a name" expect_exit 2 "$tool" run --ignore-file a/b -- true
new_scenario ignore
mkdir -p "$src/build"; printf 'build/\n*.log\n' >"$src/.gitignore"
LOG=$log "$tool" run --watch "$src" -- sh -c "$sleeper" 2>"$err" & pid=$!; pids+=("$pid")
check "ignore: first start" wait_starts "$log" 1
echo x >"$src/build/out.o"; echo x >"$src/run.log"
sleep 1.5 # time to (wrongly) restart
check "ignore: what .gitignore ignores restarts nothing" exactly "$log" 1
echo x >"$src/main.c"
check "ignore: another file restarts" wait_starts "$log" 2
check "ignore: SIGTERM exits" stop_tool "$pid"
new_scenario no_ignore
printf '*.log\n' >"$src/.gitignore"
LOG=$log "$tool" run --watch "$src" --no-ignore-files -- sh -c "$sleeper" 2>"$err" & pid=$!; pids+=("$pid")
check "no-ignore-files: first start" wait_starts "$log" 1
echo x >"$src/run.log"
check "no-ignore-files: an ignored name restarts" wait_starts "$log" 2
check "no-ignore-files: SIGTERM exits" stop_tool "$pid"

# 4. Debouncing: a burst of changes gives one restart.
new_scenario debounce
LOG=$log "$tool" run --watch "$src" --debounce 1000 -- sh -c "$sleeper" 2>"$err" & pid=$!; pids+=("$pid")
check "debounce: first start" wait_starts "$log" 1
for i in $(seq 20); do echo x >"$src/f$i"; done
check "debounce: restart" wait_starts "$log" 2
sleep 2.5 # more than the debounce time: a split burst would restart again
check "debounce: one restart" exactly "$log" 2
second=$(nth_start "$log" 2)
check "debounce: count" test "$(awk '{ print $3 }' <<<"$second")" -ge 20
check "debounce: every path" test "$(wc -w <<<"$second")" = 23
check "debounce: status line" grep -q " and [0-9]* more changed ([0-9]* changes: [^)]*), restarting sh$" "$err"
check "debounce: SIGTERM exits" stop_tool "$pid"

# 5. Changes during a restart give exactly one more restart. The command stays through SIGTERM
# (noting it in the log), so the stop lasts the grace period.
new_scenario during
stubborn='trap "echo term >>\"\$LOG\"" TERM; '"$log_start"'; while :; do sleep 0.1; done'
LOG=$log "$tool" run --watch "$src" --grace 1500 --debounce 300 -- sh -c "$stubborn" 2>"$err" & pid=$!
pids+=("$pid")
check "during: first start" wait_starts "$log" 1
echo x >"$src/first"
check "during: stopping" wait_for "$log" term # the restart is under way
for i in $(seq 5); do echo x >"$src/during$i"; done
(($(starts "$log") == 1)) || echo "note: the changes came after the restart, not during it" >&2
check "during: restart" wait_starts "$log" 2
check "during: one more restart" wait_starts "$log" 3
sleep 2 # time for a (wrong) fourth start
check "during: exactly three starts" exactly "$log" 3
second=$(nth_start "$log" 2); third=$(nth_start "$log" 3)
check "during: second start is for the first change" has_word "$second" "$src/first"
check "during: third start is for the later changes" has_word "$third" "$src/during5"
check "during: third start not for the first change" bash -c '[[ $0 != *"/first "* ]]' "$third"
check "during: SIGTERM exits" stop_tool "$pid"
check "during: stubborn command killed" test "$status" = 137

# 6. SIGINT / SIGTERM: forwarded, the status is the command's, nothing is left behind (the
# shell's background job ignores SIGINT: it takes the SIGKILL after the grace period).
for sig in INT TERM; do
  new_scenario "signal-$sig"
  LOG=$log "$tool" run --watch "$src" -- sh -c "$log_start; sleep 300 & sleep 300" 2>"$err" & pid=$!
  pids+=("$pid")
  check "$sig: first start" wait_starts "$log" 1
  pgid=$(nth_start "$log" 1 | awk '{ print $2 }')
  check "$sig: shell and two sleeps" wait_group_size "$pgid" 3
  kill -"$sig" "$pid"
  check "$sig: exits" wait_exit "$pid"
  want=$((128 + $(kill -l "$sig")))
  check "$sig: exits $want" test "$status" = "$want"
  check "$sig: status line" grep -q "SIG$sig received, stopping sh" "$err"
  check "$sig: nothing left" wait_group_size "$pgid" 0
done

# 7. --exit-on-success.
new_scenario success
check "exit-on-success: exits 0" expect_exit 0 "$tool" run --watch "$src" --exit-on-success -- sh -c 'exit 0'
check "exit-on-success: status line" grep -q "sh succeeded, exiting" "$work/err"
"$tool" run --watch "$src" --exit-on-success -- sh -c 'exit 3' 2>"$err" & pid=$!; pids+=("$pid")
check "exit-on-success: failure" wait_for "$err" "sh exited with code 3; waiting for a change"
sleep 1 # time to (wrongly) exit
check "exit-on-success: failure keeps running" kill -0 "$pid"
check "exit-on-success: SIGTERM exits" stop_tool "$pid"
check "exit-on-success: last status" test "$status" = 3

# 8. --postpone: nothing starts before the first change.
new_scenario postpone
LOG=$log "$tool" run --watch "$src" --postpone -- sh -c "$sleeper" 2>"$err" & pid=$!; pids+=("$pid")
check "postpone: status line" wait_for "$err" "waiting for a change to start sh"
sleep 1 # time to (wrongly) start
check "postpone: no start" exactly "$log" 0
echo x >"$src/go"
check "postpone: start on change" wait_starts "$log" 1
sleep 1 # time for a (wrong) second start
check "postpone: one start" exactly "$log" 1
check "postpone: changed path" has_word "$(nth_start "$log" 1)" "$src/go"
check "postpone: SIGTERM exits" stop_tool "$pid"

# 9. A command that cannot start: a message, and another try on the next change.
new_scenario missing
"$tool" run --watch "$src" -- no-such-command-xyz 2>"$err" & pid=$!; pids+=("$pid")
check "missing: message" wait_for "$err" "cannot start no-such-command-xyz"
sleep 1 # time to (wrongly) exit
check "missing: keeps running" kill -0 "$pid"
echo x >"$src/retry"
for _ in $(seq 300); do (($(grep -c "cannot start" "$err") >= 2)) && break; sleep 0.1; done
check "missing: tries again on a change" test "$(grep -c "cannot start" "$err")" -ge 2
check "missing: SIGTERM exits" stop_tool "$pid"
check "missing: exit status 127" test "$status" = 127

# 10. A second SIGINT while the command is given its grace period kills it at once.
new_scenario second-signal
LOG=$log "$tool" run --watch "$src" --grace 60000 -- sh -c "$log_start; trap '' INT TERM; while :; do sleep 0.1; done" \
  2>"$err" & pid=$!; pids+=("$pid")
check "second signal: first start" wait_starts "$log" 1
kill -INT "$pid"
check "second signal: stopping" wait_for "$err" "SIGINT received, stopping sh"
kill -INT "$pid"
check "second signal: exits long before the 60 s grace" wait_exit "$pid"
check "second signal: killed" test "$status" = 137
check "second signal: status line" grep -q "received again, killing sh" "$err"

# 11. What COMMAND leaves behind: a background job of a command that has ended (in its group)
# and a daemon that left the group (setsid) are stopped on every restart and on exit.
new_scenario orphans
leaver="$log_start"'; sleep 300 & echo "job $!" >>"$LOG"; setsid sleep 300 & echo "daemon $!" >>"$LOG"; exit 0'
left() { awk -v k="$2" '$1 == k { print $2 }' "$1" | sed -n "${3}p"; } # left LOG job|daemon N: its pid
wait_gone() { # wait_gone PID: up to 30 s for PID to be gone (or a zombie)
  for _ in $(seq 300); do alive "$1" || return 0; sleep 0.1; done
  echo "pid $1 still runs:" >&2; ps -o pid=,pgid=,sid=,stat=,args= -p "$1" >&2; return 1
}
wait_lines() { # wait_lines LOG WORD N: up to 30 s for N lines starting with WORD
  local n
  for _ in $(seq 300); do
    n=$(grep -c "^$2 " "$1" 2>/dev/null); ((${n:-0} >= $3)) && return 0; sleep 0.1
  done
  echo "timed out waiting for $3 '$2' lines in $1" >&2; return 1
}
LOG=$log "$tool" run --watch "$src" -- sh -c "$leaver" 2>"$err" & pid=$!; pids+=("$pid")
check "orphans: first start" wait_lines "$log" daemon 1
check "orphans: command ended" wait_for "$err" "exited with code 0; waiting for a change"
check "orphans: job runs" alive "$(left "$log" job 1)"
check "orphans: daemon runs" alive "$(left "$log" daemon 1)"
echo x >"$src/one"
check "orphans: second start" wait_lines "$log" daemon 2
check "orphans: first job stopped by the restart" wait_gone "$(left "$log" job 1)"
check "orphans: first daemon stopped by the restart" wait_gone "$(left "$log" daemon 1)"
echo x >"$src/two"
check "orphans: third start" wait_lines "$log" daemon 3
kill -INT "$pid"
check "orphans: SIGINT exits" wait_exit "$pid"
check "orphans: exit status of the last command" test "$status" = 0
for k in job daemon; do
  for n in 1 2 3; do check "orphans: $k $n gone after exit" wait_gone "$(left "$log" $k $n)"; done
done
for p in $(awk '$1 == "job" || $1 == "daemon" { print $2 }' "$log"); do kill -KILL "$p" 2>/dev/null; done

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
