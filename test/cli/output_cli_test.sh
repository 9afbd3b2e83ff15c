#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# End-to-end tests of where `asio-fswatch watch` writes: standard output that fails (/dev/full,
# closed, a reader that went away, with SIGPIPE ignored or not), a reader that stops reading
# (signals still end the tool; the queue is bounded and nothing is lost once the reader comes
# back), diagnostics into the same stalled pipe (2>&1), and the flags of a standard output shared
# with other processes (a pipe, a terminal) left as they were.
# Usage: output_cli_test.sh PATH/TO/asio-fswatch
set -uo pipefail
tool=${1:?path to asio-fswatch}
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
work=$(mktemp -d) && work=$(cd "$work" && pwd -P) # physical: the tool reports resolved paths
pids=() # background processes to end on exit
trap 'for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
source "$(dirname "$0")/common.sh"

wait_file() { # wait_file FILE: up to 30 s for FILE to exist and not be empty
  for _ in $(seq 300); do [[ -s $1 ]] && return 0; sleep 0.1; done
  echo "timed out waiting for $1" >&2; return 1
}

# Bytes, descriptors and terminals are easier in Python.
cat >"$work/helper.py" <<'PYTHON'
import fcntl, json, os, pty, select, signal, subprocess, sys, termios, time

def fail(message):
    print("helper.py: " + message, file=sys.stderr)
    sys.exit(1)

def wait_pipe_full(fifo):
    """Up to 30 s for a FIFO to have no room left, as a second writer that writes nothing sees it
    (the writer under test then waits for room)."""
    fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    for _ in range(300):
        if not poller.poll(0):
            return
        time.sleep(0.1)
    fail("timed out waiting for %s to fill up" % fifo)

def wait_idle(pid):
    """Up to 30 s for a process to stop using the CPU (its CPU time unchanged for 0.5 s)."""
    def cpu():
        with open("/proc/%s/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime
    before = cpu()
    for _ in range(60):
        time.sleep(0.5)
        now = cpu()
        if now == before:
            return
        before = now
    fail("timed out waiting for pid %s to become idle" % pid)

def check_lines(output):
    """At least one line, each of them whole JSON."""
    with open(output, "rb") as f:
        data = f.read()
    if not data.endswith(b"\n"):
        fail("the output does not end with a whole line: %r" % data[-200:])
    for number, raw in enumerate(data.splitlines(), 1):
        try:
            json.loads(raw)
        except ValueError as e:
            fail("line %d is not JSON (%s): %r" % (number, e, raw[:200]))

def check_json(output, directory, count):
    """Every file 0..count-1 of `directory` is named by a created (or renamed) event."""
    seen, overflow = set(), 0
    with open(output, "rb") as f:
        for number, raw in enumerate(f, 1):
            try:
                event = json.loads(raw)
            except ValueError as e:
                fail("line %d is not JSON (%s): %r" % (number, e, raw[:200]))
            if event["kind"] == "overflow":
                overflow += 1
            if event["kind"] in ("created", "renamed"):
                seen.add(event["path"])
    missing = [i for i in range(count) if "%s/%s%d" % (directory, "n" * 200, i) not in seen]
    if missing:
        fail("%d of %d files never reported, the first: %d" % (len(missing), count, missing[0]))
    print("overflow" if overflow else "no overflow")

def shared_flags(tool, tree, kind, when="always"):
    """Runs `watch` with standard output on a pipe or a terminal whose open file description this
    process shares; that description must stay blocking while it runs (unless `when` is "after")
    and after it exits."""
    if kind == "pipe":
        reader, writer = os.pipe()
    else:
        reader, writer = pty.openpty()  # master, slave
        attributes = termios.tcgetattr(writer)
        attributes[3] &= ~termios.ECHO
        termios.tcsetattr(writer, termios.TCSANOW, attributes)
    child = subprocess.Popen([tool, "watch", tree], stdout=writer, stderr=subprocess.PIPE)
    line = child.stderr.readline()
    if b"watching 1 path" not in line:
        fail("%s: no start line, got %r" % (kind, line))
    blocking_while_running = not fcntl.fcntl(writer, fcntl.F_GETFL) & os.O_NONBLOCK
    open(os.path.join(tree, "shared-" + kind), "w").close()
    data, deadline = b"", time.monotonic() + 30
    while b"shared-" + kind.encode() not in data and time.monotonic() < deadline:
        data += os.read(reader, 65536)
    child.send_signal(signal.SIGTERM)
    status = child.wait(30)
    blocking_after = not fcntl.fcntl(writer, fcntl.F_GETFL) & os.O_NONBLOCK
    if b"shared-" + kind.encode() not in data:
        fail("%s: the event never came: %r" % (kind, data))
    if not blocking_while_running and when != "after":
        fail("%s: the tool made the shared description non-blocking" % kind)
    if not blocking_after:
        fail("%s: the shared description is non-blocking after the tool exited" % kind)
    if status != 0:
        fail("%s: exit status %d" % (kind, status))

command = sys.argv[1]
if command == "wait-pipe-full":
    wait_pipe_full(sys.argv[2])
elif command == "wait-idle":
    wait_idle(sys.argv[2])
elif command == "check-lines":
    check_lines(sys.argv[2])
elif command == "check-json":
    check_json(sys.argv[2], sys.argv[3], int(sys.argv[4]))
elif command == "shared-flags":
    shared_flags(*sys.argv[2:])
else:
    fail("unknown command " + command)
PYTHON
py() { python3 "$work/helper.py" "$@"; }

long_name=$(printf 'n%.0s' $(seq 200))
make_files() { # make_files DIR FIRST LAST: files named $long_name$i
  (cd "$1" && seq "$2" "$3" | sed "s/^/$long_name/" | xargs touch)
}

tree=$work/tree; mkdir "$tree"

# 1. /dev/full: the first write fails; a message, exit 3.
"$tool" watch "$tree" >/dev/full 2>"$work/full.err" & pid=$!; pids+=("$pid")
wait_for "$work/full.err" "watching 1 path"
touch "$tree/full"
check "/dev/full: exits by itself" wait_exit "$pid"
check "/dev/full: exit 3" test "$status" = 3
check "/dev/full: message" grep -qxF "asio-fswatch: cannot write events to standard output: No space left on device" \
  "$work/full.err"

# 2. A closed standard output: refused at once.
timeout 60 "$tool" watch "$tree" >&- 2>"$work/closed.err"; status=$?
check "closed stdout: exit 3" test "$status" = 3
check "closed stdout: message" grep -qxF "asio-fswatch: standard output is closed: nowhere to write events" "$work/closed.err"

# 3. The reader goes away (head reads one byte): EPIPE is reported, SIGPIPE ignored (as systemd
# starts services) or not.
for sigpipe in ignored default; do
  rm -f "$work/pipe.status"
  (
    [[ $sigpipe == ignored ]] && trap '' PIPE
    "$tool" watch "$tree" 2>"$work/pipe.err"
    echo $? >"$work/pipe.status"
  ) | head -c 1 >/dev/null &
  pids+=($!)
  wait_for "$work/pipe.err" "watching 1 path"
  for i in $(seq 300); do [[ -s $work/pipe.status ]] && break; touch "$tree/pipe-$sigpipe-$i"; sleep 0.1; done
  check "reader gone, SIGPIPE $sigpipe: exits" test -s "$work/pipe.status"
  check "reader gone, SIGPIPE $sigpipe: exit 3" test "$(cat "$work/pipe.status" 2>/dev/null)" = 3
  check "reader gone, SIGPIPE $sigpipe: message" \
    grep -qxF "asio-fswatch: cannot write events to standard output: Broken pipe" "$work/pipe.err"
done

# 4. A reader that stops reading: SIGTERM and SIGINT still end the tool, and what could not be
# written is said on stderr.
for sig in TERM INT; do
  stalled=$work/stalled-$sig; mkdir "$stalled"; mkfifo "$work/fifo-$sig"
  sleep 300 <"$work/fifo-$sig" & pids+=($!)
  "$tool" watch "$stalled" >"$work/fifo-$sig" 2>"$work/stalled.err" & pid=$!; pids+=("$pid")
  wait_for "$work/stalled.err" "watching 1 path"
  make_files "$stalled" 1 2000
  check "stalled reader ($sig): the pipe fills up" py wait-pipe-full "$work/fifo-$sig"
  kill -"$sig" "$pid"
  check "stalled reader ($sig): exits" wait_exit "$pid"
  check "stalled reader ($sig): exit 0" test "$status" = 0
  check "stalled reader ($sig): unwritten events said" \
    grep -qE "^asio-fswatch: [0-9]+ bytes of events were not written: standard output was not taking them$" \
    "$work/stalled.err"
done

# 4b. A reader that comes back after the signal: with the queue full when SIGTERM comes, it
# drains past its half-way mark, which used to start another read of the closed monitor
# ("directory monitor is closed", exit 1, the rest of the queue unwritten and a line cut).
back=$work/back; mkdir "$back"; mkfifo "$work/fifo-back"
sleep 300 <"$work/fifo-back" & stalled_reader=$!; pids+=("$stalled_reader")
"$tool" watch --json "$back" >"$work/fifo-back" 2>"$work/back.err" & pid=$!; pids+=("$pid")
wait_for "$work/back.err" "watching 1 path"
make_files "$back" 0 5999 # about 1.5 MB of lines: more than the pipe and the queue's 1 MiB
check "reader back after the signal: the pipe fills up" py wait-pipe-full "$work/fifo-back"
check "reader back after the signal: the tool stops reading (its queue is full)" py wait-idle "$pid"
kill -TERM "$pid"
cat "$work/fifo-back" >"$work/back.out" & pids+=($!)
check "reader back after the signal: exits" wait_exit "$pid"
check "reader back after the signal: exit 0" test "$status" = 0
check "reader back after the signal: nothing said on stderr but the start line" \
  test "$(grep -vc "watching 1 path" "$work/back.err")" = 0
check "reader back after the signal: every line whole" py check-lines "$work/back.out"
kill "$stalled_reader"

# 5. The queue is bounded: while the reader is stalled, the tool stops reading events, so the
# kernel's queue overflows; once the reader is back, the rescan reports every file (nothing lost).
max_queued=$(cat /proc/sys/fs/inotify/max_queued_events 2>/dev/null || echo 0)
if ((max_queued >= 1000 && max_queued <= 100000)); then
  bounded=$work/bounded; mkdir "$bounded"; mkfifo "$work/fifo-bounded"
  files=$((max_queued + 8000))
  sleep 300 <"$work/fifo-bounded" & stalled_reader=$!; pids+=("$stalled_reader")
  "$tool" watch --json "$bounded" >"$work/fifo-bounded" 2>"$work/bounded.err" & pid=$!; pids+=("$pid")
  wait_for "$work/bounded.err" "watching 1 path"
  make_files "$bounded" 0 $((files - 1))
  check "bounded: the pipe fills up" py wait-pipe-full "$work/fifo-bounded"
  cat "$work/fifo-bounded" >"$work/bounded.out" & pids+=($!)
  # The stalled reader goes only once cat reads: a moment without a reader is EPIPE.
  check "bounded: a new reader takes over" wait_file "$work/bounded.out"
  kill "$stalled_reader"
  touch "$bounded/zz-marker"
  check "bounded: the marker after the files comes through" wait_for "$work/bounded.out" "zz-marker"
  kill -TERM "$pid"
  check "bounded: exits" wait_exit "$pid"
  check "bounded: exit 0" test "$status" = 0
  check "bounded: every file reported" py check-json "$work/bounded.out" "$bounded" "$files" >"$work/bounded.result"
  if [[ ${ASIO_FSWATCH_GENERIC_POSIX:-} == 1 ]]; then
    platform_skip inotify "the generic POSIX build polls: it has no kernel queue to overflow"
  else
    check "bounded: reading stopped while the reader was stalled (the kernel queue overflowed)" \
      test "$(cat "$work/bounded.result")" = overflow
  fi
else
  skip_case inotify_sysctl "the bounded-queue case needs fs.inotify.max_queued_events from 1000 to 100000, not $max_queued"
fi

# 6. Diagnostics into the same stalled pipe (2>&1) cannot block either: with the pipe full but
# less than the queue's bound waiting, the watched root goes away, and the tool still exits 1.
shared=$work/shared; mkdir "$shared"; mkfifo "$work/fifo-shared"
python3 -c 'import sys, time
with open(sys.argv[1], "rb") as f:
    first = f.readline()
    open(sys.argv[2], "wb").write(first)
    time.sleep(300)' "$work/fifo-shared" "$work/shared.first" & pids+=($!)
"$tool" watch "$shared" >"$work/fifo-shared" 2>&1 & pid=$!; pids+=("$pid")
check "2>&1: start line through the pipe" wait_file "$work/shared.first"
make_files "$shared" 1 600
check "2>&1: the pipe fills up" py wait-pipe-full "$work/fifo-shared"
rm -rf "$shared"
check "2>&1: exits" wait_exit "$pid"
check "2>&1: exit 1 (the root went away)" test "$status" = 1

# 7. A standard output shared with this test (a pipe, a terminal) keeps its flags.
check "shared pipe stays blocking" py shared-flags "$tool" "$tree" pipe
check "shared terminal stays blocking" py shared-flags "$tool" "$tree" terminal
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if [[ $(id -u) != 0 ]]; then
  skip_case root "the pipe that cannot be reopened needs root (to run the tool as nobody)"
elif ! command -v setpriv >/dev/null; then
  skip_case setpriv "the pipe that cannot be reopened needs setpriv (util-linux)"
else
  # A pipe this (root) process made: nobody may not reopen it, so O_NONBLOCK goes on the shared
  # description for the run, and must be undone at exit.
  chmod 755 "$work"; chmod 777 "$tree"
  cp "$tool" "$work/tool-copy"; chmod 755 "$work/tool-copy" # one nobody may run, wherever the build is
  cat >"$work/as-nobody" <<EOF
#!/bin/sh
exec ${nobody[*]} "$work/tool-copy" "\$@"
EOF
  chmod 755 "$work/as-nobody"
  check "shared pipe, not reopenable: flags restored" py shared-flags "$work/as-nobody" "$tree" pipe after
fi

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
