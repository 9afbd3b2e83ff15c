#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# The test emulator of the `windows` preset: `wine-run.sh WINE PROGRAM [ARGS...]` runs a Windows
# program under Wine for ctest (cmake/toolchains/x86_64-w64-mingw32.cmake passes WINE).
#
# Every Wine process keeps the Unix stderr of the process that started it (Wine writes its
# debug channels there), and so does every process started from it: a child the program left
# running, or a Wine service it woke up (services.exe, explorer.exe, conhost.exe). Given ctest's
# pipe, one such process makes ctest wait for the pipe's end until the test's timeout, after the
# program itself has finished (seen once: 900 s for a module that passed in 174 s). So the
# program writes to a file, followed to ctest's output while it runs, and whatever still holds
# that file when it has ended is named:
# - one of our programs (a test's child that outlived it) fails the test, and is killed;
# - a service of Wine's own is only noted: it is Wine's to end.
set -uo pipefail

wine=$1
shift
output=$(realpath "$(mktemp "${TMPDIR:-/tmp}/asio_fswatch-wine-run.XXXXXX")")
trap 'rm -f "$output"' EXIT

"$wine" "$@" >> "$output" 2>&1 &
program=$!
# Shows the output as it comes (a test that hangs until ctest kills it still shows what it
# said), and ends once the program has ended and all it wrote is shown.
tail -n +1 -s 0.2 -f --pid="$program" "$output"
wait "$program"
status=$?

holders() { # the pids of the processes that have the output file open
  find -L /proc/[0-9]*/fd -maxdepth 1 -samefile "$output" 2>/dev/null | cut -d/ -f3 | sort -u
}

ours() { # whether process $1 runs a Windows program other than one of Wine's own services
  local command program
  command=$(tr '\0' ' ' 2>/dev/null < "/proc/$1/cmdline") || return 1
  case $command in
    [A-Za-z]:\\*) ;;
    *) return 1 ;; # the wineserver, or a Unix program
  esac
  program=${command%% *}
  case ${program,,} in
    c:\\windows\\system32\\services.exe | c:\\windows\\system32\\winedevice.exe | \
    c:\\windows\\system32\\plugplay.exe | c:\\windows\\system32\\svchost.exe | \
    c:\\windows\\system32\\rpcss.exe | c:\\windows\\system32\\explorer.exe | \
    c:\\windows\\system32\\conhost.exe | c:\\windows\\system32\\wineboot.exe)
      return 1 ;;
  esac
  return 0
}

# A child ended by the program's own last steps may need a moment to go; Wine's services
# (started on demand) stay for as long as the wineserver does.
for _ in $(seq 1 50); do
  left=0
  for pid in $(holders); do ours "$pid" && left=1; done
  [ "$left" = 0 ] && break
  sleep 0.2
done

outlived=0
for pid in $(holders); do
  command=$(tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline") || continue
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
