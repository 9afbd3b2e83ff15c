# SPDX-License-Identifier: BSL-1.0
# Helpers shared by the end-to-end tests of `asio-fswatch run`, sourced after common.sh.
#
# The commands under test append "start PID COUNT PATHS..." to $LOG each time they start (PID is
# the shell's, which is also its process group; PATHS are those of ASIO_FSWATCH_CHANGED_PATHS_FILE
# joined with spaces), so starts are counted from the log. Every wait polls, with 30 s of
# patience; the only fixed sleeps are the ones that give something that must not happen the time
# to happen.
pids=() # asio-fswatch instances started in the background

cleanup() {
  local p g
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  # Groups of commands whose supervisor did not get to stop them (every start logs its pgid).
  for g in $(cat "$work"/*/log 2>/dev/null | awk '$1 == "start" { print $2 }'); do
    kill -KILL -- "-$g" 2>/dev/null
  done
  [[ -n ${KEEP:-} ]] || rm -rf "$work"
}

starts() { # starts LOG: how many times the command started
  local n; n=$(grep -c '^start ' "$1" 2>/dev/null); echo "${n:-0}"
}

wait_starts() { # wait_starts LOG N: up to 30 s for N starts
  for _ in $(seq 300); do (($(starts "$1") >= $2)) && return 0; sleep 0.1; done
  echo "timed out waiting for $2 starts in $1; it holds:" >&2; cat "$1" >&2 2>/dev/null; return 1
}

nth_start() { # nth_start LOG N: the Nth start line
  grep '^start ' "$1" 2>/dev/null | sed -n "${2}p"
}

exactly() { # exactly LOG N: N starts, printing the log when not
  local got; got=$(starts "$1")
  [[ $got == "$2" ]] || { echo "$got starts, wanted $2; $1 holds:" >&2; cat "$1" >&2; return 1; }
}

stop_tool() { # stop_tool PID: SIGTERM, then wait for it
  kill -TERM "$1" 2>/dev/null; wait_exit "$1"
}

new_scenario() { # new_scenario NAME: a fresh $dir with a watched $dir/src; the log is $dir/log
  dir=$work/$1; src=$dir/src; log=$dir/log; err=$dir/err
  mkdir -p "$src"
}

# Logs one start line, then sleeps (exec: the pid stays the shell's, the group's id).
log_start='printf "start %s %s %s\n" "$$" "$ASIO_FSWATCH_CHANGED_COUNT" '
log_start+='"$(tr "\0" " " <"$ASIO_FSWATCH_CHANGED_PATHS_FILE")" >>"$LOG"'
sleeper="$log_start; exec sleep 300"
