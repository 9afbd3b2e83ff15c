# SPDX-License-Identifier: BSL-1.0
# Helpers shared by the end-to-end CLI tests, sourced after `work` (a scratch directory) is set.
# They count into `passed` and `failed`.
passed=0 failed=0

check() { # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name" >&2; fi
}

wait_for() { # wait_for FILE PATTERN: up to 30 s for a fixed string to appear in FILE
  for _ in $(seq 300); do grep -qF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1; it holds:" >&2; cat -v "$1" >&2; return 1
}

expect_exit() { # expect_exit CODE COMMAND...: stdout in $work/out, stderr in $work/err; exit 124 after 60 s
  local want=$1; shift
  timeout 60 "$@" >"$work/out" 2>"$work/err"; local got=$?
  [[ $got == "$want" ]] || { echo "exit $got, wanted $want: ${*:1:3}..." >&2; cat -v "$work/err" >&2; return 1; }
}

log_skip() { # log_skip KIND ID REASON: recorded for scripts/test.sh (see test/common/skip.hpp)
  echo "skipped [$2]: $3"
  [[ -n ${ASIO_FSWATCH_SKIP_LOG:-} ]] &&
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$(basename "$0" .sh)" "$3" >>"$ASIO_FSWATCH_SKIP_LOG"
  return 0
}
skip_case() { log_skip machine "$@"; }     # skip_case ID REASON: a case that cannot run here
platform_skip() { log_skip platform "$@"; } # platform_skip ID REASON: what it is about is not in this build

status=
wait_exit() { # wait_exit PID: up to 30 s for PID to end (else SIGKILL and failure); its status goes to $status
  local ended=0
  for _ in $(seq 300); do kill -0 "$1" 2>/dev/null || { ended=1; break; }; sleep 0.1; done
  ((ended)) || { echo "timed out waiting for pid $1 to exit" >&2; kill -KILL "$1"; }
  wait "$1"; status=$?
  ((ended))
}
