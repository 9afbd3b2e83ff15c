#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# End-to-end tests of `asio-fswatch run --on-busy-update`: what a change does while COMMAND
# runs. queue: it runs once more when it ends, with every change made meanwhile; do-nothing:
# the change is dropped; signal: the signal is sent and nothing restarts; restart is
# run_cli_test.sh's subject.
# Usage: run_busy_cli_test.sh PATH/TO/asio-fswatch
set -uo pipefail
tool=${1:?path to asio-fswatch}
work=$(mktemp -d) && work=$(cd "$work" && pwd -P) # physical: the tool reports resolved paths
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/run_common.sh"
trap cleanup EXIT

# Logs its start, then runs until $RELEASE exists.
until_released="$log_start; while [ ! -e \"\$RELEASE\" ]; do sleep 0.05; done"

check "bad mode" expect_exit 2 "$tool" run --on-busy-update sometimes -- true
check "bad mode message" grep -qF "on-busy-update takes restart, queue, signal or do-nothing, not 'sometimes'" "$work/err"
check "mode missing" expect_exit 2 "$tool" run --on-busy-update

# queue: changes while it runs wait for it to end, then start it once.
new_scenario queue
(export LOG=$log RELEASE=$dir/release && exec "$tool" run --debounce 50 --on-busy-update queue --watch "$src" \
  -- sh -c "$until_released") 2>"$err" & pid=$!; pids+=("$pid")
check "queue: first start" wait_starts "$log" 1
echo one >"$src/a.txt"
echo two >"$src/b.txt" # at once: one settle period sees both
check "queue: status line" wait_for "$err" "runs once more when it ends"
sleep 0.5 # time for a wrong restart to show
check "queue: no restart while it runs" exactly "$log" 1
touch "$dir/release"
check "queue: started again once ended" wait_starts "$log" 2
second=$(nth_start "$log" 2)
check "queue: the second start has both changes" bash -c "[[ '$second' == *'$src/a.txt'* && '$second' == *'$src/b.txt'* ]]"
check "queue: the status line says why" wait_for "$err" "starting it for the changes made meanwhile"
sleep 0.5
check "queue: once only" exactly "$log" 2
check "queue: SIGTERM exits" stop_tool "$pid"

# do-nothing: a change while it runs is dropped; once it has ended, a change starts it.
new_scenario nothing
(export LOG=$log RELEASE=$dir/release && exec "$tool" run --debounce 50 --on-busy-update do-nothing --watch "$src" \
  -- sh -c "$until_released") 2>"$err" & pid=$!; pids+=("$pid")
check "do-nothing: first start" wait_starts "$log" 1
echo one >"$src/a.txt"
check "do-nothing: status line" wait_for "$err" "runs: nothing done"
touch "$dir/release"
check "do-nothing: it ended" wait_for "$err" "waiting for a change"
sleep 0.3
check "do-nothing: the dropped change starts nothing" exactly "$log" 1
echo two >"$src/b.txt"
check "do-nothing: a change once it ended starts it" wait_starts "$log" 2
check "do-nothing: that start has that change" bash -c "[[ '$(nth_start "$log" 2)' == *'$src/b.txt'* ]]"
check "do-nothing: SIGTERM exits" stop_tool "$pid"

# signal: the signal only; the command handles it and goes on.
new_scenario signal
hup_loop="trap 'echo hup >>\"\$LOG\"' HUP; $log_start; while :; do sleep 0.05; done"
(export LOG=$log && exec "$tool" run --debounce 50 --on-busy-update signal --busy-signal HUP --watch "$src" \
  -- sh -c "$hup_loop") 2>"$err" & pid=$!; pids+=("$pid")
check "signal: first start" wait_starts "$log" 1
echo one >"$src/a.txt"
got_hup() { for _ in $(seq 300); do grep -qx hup "$log" && return 0; sleep 0.1; done; cat "$log" >&2; return 1; }
check "signal: the command got SIGHUP" got_hup
check "signal: status line" grep -qF "sending SIGHUP to sh" "$err"
sleep 0.3
check "signal: no restart" exactly "$log" 1
check "signal: SIGTERM exits" stop_tool "$pid"
check "signal: stopped by --signal (TERM), not by the busy signal" test "$status" = 143

# queue and --exit-on-success: a success of what changed since does not end it.
new_scenario queue_success
(export LOG=$log RELEASE=$dir/release && exec "$tool" run --debounce 50 --on-busy-update queue --exit-on-success \
  --watch "$src" -- sh -c "$until_released") 2>"$err" & pid=$!; pids+=("$pid")
check "queue+success: first start" wait_starts "$log" 1
echo one >"$src/a.txt"
check "queue+success: queued" wait_for "$err" "runs once more when it ends"
touch "$dir/release"
check "queue+success: the queued run comes first" wait_starts "$log" 2
check "queue+success: then its success ends it" wait_exit "$pid"
check "queue+success: exit 0" test "$status" = 0

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
