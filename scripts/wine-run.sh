#!/usr/bin/env bash
# The test emulator of the `windows` preset: runs a Windows program under Wine for ctest.
#
# Every Wine process keeps the Unix stderr of the process that started it (Wine writes its
# debug channels there), and so does every process started from it: a child the program left
# running, or a Wine service it woke up (services.exe, explorer.exe, conhost.exe). Given ctest's
# pipe, one such process makes ctest wait for the pipe's end until the test's timeout, after the
# program itself has finished (seen once: 900 s for a module that passed in 174 s). So the
# program writes to a file, shown when it ends, and whatever still holds that file is named:
# - one of our programs (a test's child that outlived it) fails the test, and is killed;
# - a process of Wine itself (under C:\windows\) is only reported: it is Wine's to end.
set -uo pipefail

wine=${ASIO_FSWATCH_WINE:-wine}
output=$(mktemp "${TMPDIR:-/tmp}/asio_fswatch-wine-run.XXXXXX")
trap 'rm -f "$output"' EXIT

"$wine" "$@" > "$output" 2>&1
status=$?
cat "$output"

holders() { # the pids of the processes that have the output file open
  find /proc/[0-9]*/fd -maxdepth 1 -lname "$output" 2>/dev/null | cut -d/ -f3 | sort -u
}

ours() { # whether process $1 runs a Windows program of ours (not one under C:\windows\)
  local command
  command=$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null) || return 1
  case $command in
    [Cc]:\\[Ww]indows\\*) return 1 ;;
    [A-Za-z]:\\*) return 0 ;;
    *) return 1 ;; # the wineserver, or a Unix program
  esac
}

# A child ended by the program's own last steps may need a moment to go; Wine's own processes
# (services started on demand) stay for as long as the wineserver does.
for _ in $(seq 1 50); do
  left=0
  for pid in $(holders); do ours "$pid" && left=1; done
  [ "$left" = 0 ] && break
  sleep 0.2
done

outlived=0
for pid in $(holders); do
  command=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || continue
  if ours "$pid"; then
    echo "wine-run: FAILED: process $pid outlived the test: $command"
    kill -KILL "$pid" 2>/dev/null
    outlived=1
  else
    echo "wine-run: note: Wine's process $pid, started during the test, is still running: $command"
  fi
done
if [ "$outlived" = 1 ] && [ "$status" = 0 ]; then
  exit 1
fi
exit "$status"
