#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# End-to-end hostile input for `asio-fswatch watch`:
#  - names with control characters, quotes, backslashes and invalid UTF-8 (the watched root's own
#    name included): each JSON line parses and os.fsencode() gives back the exact bytes; each
#    human line is one event, escaped as doc/guide.md says;
#  - a tree deeper than PATH_MAX: every reachable entry reported, the first directory beyond it
#    named on stderr with "File name too long";
#  - an unreadable directory (as nobody, when run as root): named on stderr, the rest reported;
#  - a file root replaced by a directory;
#  - roots that cannot be watched (missing, below a file, a symlink loop, longer than PATH_MAX, a
#    256-byte name): a clear message on stderr and exit status 1, never a crash.
# Usage: hostile_cli_test.sh PATH/TO/asio-fswatch
set -uo pipefail
tool=${1:?path to asio-fswatch}
command -v python3 >/dev/null || { echo "python3 is needed (scripts/install-deps.sh installs it)" >&2; exit 1; }
export PYTHONUTF8=1 # os.fsencode: UTF-8 with surrogateescape, whatever the locale
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null; rm -rf "$work"' EXIT
source "$(dirname "$0")/common.sh"

stop() { # stop: SIGINT to the running watcher; its exit status in $status
  kill -INT "$pid"; wait "$pid"; status=$?; pid=
}

# The operations and the checks, in Python: it handles bytes, JSON and descriptors.
cat >"$work/hostile.py" <<'PYTHON'
import json, os, sys, time

SPECIAL = [b"new\nline", b"\n", b'quote"double', b"'single'", b"back\\slash", b"\\",
           b"tab\there", b"cr\rhere", b"ctl\x01\x1b\x7f", b" leading", b"trailing ", b" ",
           b"...", b"-dash", b"*?[glob]", b"a -> b", b"colon: space", b"ends ->", b'"\\\n\t', b"%s%n{}$(x)`y`"]
INVALID_UTF8 = [b"\xff", b"bad\xffbyte", b"\x80", b"lone\x80cont", b"trunc\xe2\x82", b"\xe2\x82x",
                b"\xf0\x9f\x98", b"over\xc0\xaflong", b"\xe0\x80\xaf", b"\xc1\xbf",
                b"sur\xed\xa0\x80rogate", b"\xed\xbf\xbf", b"\xed\xa0\xbd\xed\xb8\x80",
                b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80",
                "valid \u00e9\u20ac\U0001F600 \ufffd".encode()]
NAMES = SPECIAL + INVALID_UTF8
PATH_MAX = 4096

def fail(message):
    print("hostile.py: " + message, file=sys.stderr)
    sys.exit(1)

def event(kind, type_, path, old=None):
    return (kind, type_, path, old)

def save(events, file):
    with open(file, "w") as out:
        for kind, type_, path, old in events:
            out.write(json.dumps([kind, type_, path.hex(), old.hex() if old is not None else None]) + "\n")

def load(file):
    with open(file) as f:
        return [(k, t, bytes.fromhex(p), bytes.fromhex(o) if o is not None else None)
                for k, t, p, o in map(json.loads, f)]

def touch(path):
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))

def wait_for(output, needle):
    for _ in range(300):
        with open(output, "rb") as f:
            if needle in f.read():
                return
        time.sleep(0.1)
    fail("timed out waiting for %r in %s" % (needle, output))

def names(root, output, expected_file):
    """Creates, renames and removes files and directories with hostile names, in three phases
    (each ends with a marker the watcher must report before the next starts)."""
    events = []
    def marker(n):
        touch(root + b"/zz-marker-%d" % n)
        events.append(event("created", "file", root + b"/zz-marker-%d" % n))
        wait_for(output, b"zz-marker-%d" % n)
    for n in NAMES:
        touch(root + b"/" + n)
        os.mkdir(root + b"/dir" + n)
        touch(root + b"/dir" + n + b"/" + n)
        events += [event("created", "file", root + b"/" + n), event("created", "directory", root + b"/dir" + n),
                   event("created", "file", root + b"/dir" + n + b"/" + n)]
    marker(1)
    for n in NAMES:
        os.rename(root + b"/" + n, root + b"/" + n + b".renamed")
        os.rename(root + b"/dir" + n, root + b"/" + n + b"dir")
        events += [event("renamed", "file", root + b"/" + n + b".renamed", root + b"/" + n),
                   event("renamed", "directory", root + b"/" + n + b"dir", root + b"/dir" + n)]
    marker(2)
    for n in NAMES:
        os.unlink(root + b"/" + n + b".renamed")
        os.unlink(root + b"/" + n + b"dir/" + n)
        os.rmdir(root + b"/" + n + b"dir")
        events += [event("removed", "file", root + b"/" + n + b".renamed"),
                   event("removed", "file", root + b"/" + n + b"dir/" + n),
                   event("removed", "directory", root + b"/" + n + b"dir")]
    marker(3)
    save(events, expected_file)

def lines_of(output):
    with open(output, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        fail("%s does not end with a newline" % output)
    return data.split(b"\n")[:-1]

def parse_json_lines(output):
    """Every line is one UTF-8 JSON object with the documented keys in order, its path below its
    root (the byte-exact paths are checked against the names made); returns the events
    with their paths turned back into bytes by os.fsencode (the documented mapping)."""
    events = []
    for number, raw in enumerate(lines_of(output), 1):
        try:
            pairs = json.loads(raw.decode("utf-8"), object_pairs_hook=list)
        except ValueError as e:
            fail("line %d is not UTF-8 JSON (%s): %r" % (number, e, raw))
        keys = [key for key, _ in pairs]
        if keys not in (["kind", "type", "path", "root"], ["kind", "type", "path", "old_path", "root"]):
            fail("line %d has the keys %s: %r" % (number, keys, raw))
        fields = dict(pairs)
        root = os.fsencode(fields["root"])
        if not os.fsencode(fields["path"]).startswith(root + b"/"):
            fail("line %d: the path is not below its root: %r" % (number, raw))
        old = os.fsencode(fields["old_path"]) if "old_path" in fields else None
        events.append(event(fields["kind"], fields["type"], os.fsencode(fields["path"]), old))
    return events

def same(actual, expected, what):
    if actual == expected:
        return
    for i, (a, e) in enumerate(zip(actual, expected)):
        if a != e:
            fail("%s: event %d is %r, expected %r" % (what, i, a, e))
    fail("%s: %d events, expected %d; the first extra or missing: %r" % (
        what, len(actual), len(expected), (actual + expected)[min(len(actual), len(expected))]))

def poll_build():
    """The generic POSIX build watches by polling: renames are reported as removed and created,
    in the order of its scans, so the sequence is not inotify's. There the check is that every
    path given back is one the test made, byte for byte, and every entry made first is seen."""
    return os.environ.get("ASIO_FSWATCH_GENERIC_POSIX") == "1"

def check_known(paths, expected, what):
    known = {p for e in expected for p in (e[2], e[3]) if p is not None}
    for number, path in enumerate(paths, 1):
        if path not in known:
            fail("%s: line %d gives back a path the test never made: %r" % (what, number, path))
    for e in expected:
        if e[0] == "created" and e[2] not in paths:
            fail("%s: %r was made and never reported" % (what, e[2]))

def check_json(output, expected_file):
    if poll_build():
        check_known([e[2] for e in parse_json_lines(output)], load(expected_file), "JSON lines")
        return
    same(parse_json_lines(output), load(expected_file), "JSON lines")

def escape_human(path):
    """doc/guide.md: backslash, control characters and invalid UTF-8 bytes are escaped (\\\\, \\n,
    \\t, \\r, \\xHH); valid UTF-8 is copied; then the line's separators inside a path are
    escaped: ": " as "\\x3a ", " -> " as " -\\x3e ", and a final " ->" as " -\\x3e"."""
    out = []
    for ch in path.decode("utf-8", "surrogateescape"):
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append("\\x%02x" % (code - 0xDC00))
        elif ch in "\\\n\t\r":
            out.append({"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}[ch])
        elif code < 0x20 or code == 0x7F:
            out.append("\\x%02x" % code)
        else:
            out.append(ch)
    text, result = "".join(out), ""
    for i, ch in enumerate(text):
        if ch == ":" and text[i + 1:i + 2] == " ":
            result += "\\x3a"
        elif ch == ">" and result.endswith(" -") and text[i + 1:i + 2] in ("", " "):
            result += "\\x3e"
        else:
            result += ch
    return result.encode("utf-8", "surrogateescape")

def unescape_human(text):
    out, i = bytearray(), 0
    while i < len(text):
        if text[i:i + 1] == b"\\":
            code = text[i + 1:i + 2]
            if code == b"x":
                out.append(int(text[i + 2:i + 4], 16)); i += 4; continue
            out += {b"\\": b"\\", b"n": b"\n", b"t": b"\t", b"r": b"\r"}[code]; i += 2; continue
        out.append(text[i]); i += 1
    return bytes(out)

def padded(field):
    return field.encode() + b" " * (max(10 - len(field), 0) + 1)

def check_human(output, expected_file):
    lines, expected = lines_of(output), load(expected_file)
    if poll_build():
        for number, line in enumerate(lines, 1):
            if b" -> " in line:
                fail("human line %d is a rename, which polling cannot see: %r" % (number, line))
        check_known([unescape_human(line[22:]) for line in lines], expected, "human lines")
        return
    if len(lines) != len(expected):
        fail("%d human lines for %d events: an event is not one line" % (len(lines), len(expected)))
    for number, (line, (kind, type_, path, old)) in enumerate(zip(lines, expected), 1):
        want = padded(kind) + padded(type_) + (escape_human(old) + b" -> " if old is not None else b"") + escape_human(path)
        if line != want:
            fail("human line %d is %r, expected %r" % (number, line, want))
        if old is None and unescape_human(line[22:]) != path:
            fail("human line %d does not unescape to the path: %r" % (number, line))

def deep(root, output, expected_file):
    """A tree of 200-byte names, 24 levels deep, made through directory descriptors (no path
    call reaches its end); `root` is 100 bytes long, so level 19 is 3919 bytes and level 20,
    4120, is the first directory beyond PATH_MAX."""
    if len(root) != 100:
        fail("the deep root must be 100 bytes long, not %d" % len(root))
    created, errors, fd, path = [], [], os.open(root, os.O_RDONLY | os.O_DIRECTORY), root
    for level in range(1, 25):
        name = bytes([ord("a") + level]) * 200
        os.mkdir(name, dir_fd=fd)
        child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd, parent, path = child, path, path + b"/" + name
        os.close(os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
        if len(parent) < PATH_MAX:
            created.append(event("created", "directory", path))
            if len(path) >= PATH_MAX:
                errors.append(path)
        if len(path) < PATH_MAX:
            created.append(event("created", "file", path + b"/f"))
    os.close(fd)
    touch(root + b"/zz-marker")
    created.append(event("created", "file", root + b"/zz-marker"))
    wait_for(output, b"zz-marker")
    save(created, expected_file)
    with open(expected_file + ".errors", "wb") as f:
        f.write(b"".join(b"asio-fswatch: " + padded("error") + padded("directory") + escape_human(p) +
                         b": File name too long\n" for p in errors))

def check_deep(output, errors, expected_file):
    actual, expected = parse_json_lines(output), load(expected_file)
    if set(actual) != set(expected):  # scans and events race here: a duplicate is allowed
        fail("deep tree: missing %r, unexpected %r" % (set(expected) - set(actual), set(actual) - set(expected)))
    with open(errors, "rb") as f:
        diagnostics = [line for line in f.read().split(b"\n") if b": error " in line]
    with open(expected_file + ".errors", "rb") as f:
        wanted = f.read().split(b"\n")[:-1]
    if diagnostics != wanted:
        fail("deep tree: the error diagnostics are %r, expected %r" % (diagnostics, wanted))

def too_long_path(base):
    path = base
    while len(path) <= 5000:
        path += b"/" + b"x" * 200
    sys.stdout.buffer.write(path)

def padded_root(base):
    sys.stdout.buffer.write(base + b"/" + b"R" * (100 - len(base) - 1))

def level_path(root, level):
    sys.stdout.buffer.write(root + b"".join(b"/" + bytes([ord("a") + k]) * 200 for k in range(1, int(level) + 1)))

command, args = sys.argv[1], [os.fsencode(a) for a in sys.argv[2:]]
if command in ("names", "deep"):
    globals()[command](args[0], args[1], os.fsdecode(args[2]))
elif command == "check-json":
    check_json(os.fsdecode(args[0]), os.fsdecode(args[1]))
elif command == "check-human":
    check_human(os.fsdecode(args[0]), os.fsdecode(args[1]))
elif command == "check-deep":
    check_deep(os.fsdecode(args[0]), os.fsdecode(args[1]), os.fsdecode(args[2]))
elif command in ("too-long-path", "padded-root", "level-path"):
    globals()[command.replace("-", "_")](*args)
else:
    fail("unknown command " + command)
PYTHON
py() { python3 "$work/hostile.py" "$@"; }

# Hostile names, JSON lines. The watched root's own name is hostile too.
tree=$work/$'root\n"q\\\xff\xed\xa0\x80-end'
mkdir "$tree"
"$tool" watch --json "$tree" >"$work/json" 2>"$work/json.err" & pid=$!
wait_for "$work/json.err" "watching 1 path"
check "json: names made" py names "$tree" "$work/json" "$work/json.expected"
stop
check "json: SIGINT exits 0" test "$status" = 0
check "json: every line parses and gives back the exact bytes" py check-json "$work/json" "$work/json.expected"
check "json: nothing on stderr but the start line" test "$(grep -vc 'watching 1 path' "$work/json.err")" = 0

# Hostile names, human lines.
tree=$work/$'human\troot\n\\\xc3\xa9\xff'
mkdir "$tree"
"$tool" watch "$tree" >"$work/human" 2>"$work/human.err" & pid=$!
wait_for "$work/human.err" "watching 1 path"
check "human: names made" py names "$tree" "$work/human" "$work/human.expected"
stop
check "human: SIGINT exits 0" test "$status" = 0
check "human: one event per line, escaped as documented" py check-human "$work/human" "$work/human.expected"
check "human: a newline in a name is written \\n" grep -qF "/new\\nline" "$work/human"

# A tree deeper than PATH_MAX, made while watched.
deep_root=$(py padded-root "$work/deep")
mkdir -p "$deep_root"
"$tool" watch --json "$deep_root" >"$work/deep.out" 2>"$work/deep.err" & pid=$!
wait_for "$work/deep.err" "watching 1 path"
check "deep: tree made" py deep "$deep_root" "$work/deep.out" "$work/deep.expected"
stop
check "deep: SIGINT exits 0" test "$status" = 0
check "deep: reachable entries reported, the first beyond PATH_MAX named on stderr" \
  py check-deep "$work/deep.out" "$work/deep.err" "$work/deep.expected"

# A file root, replaced by a directory (watched on its own: the directory is reported).
mkdir "$work/single"; echo one >"$work/single/f"
"$tool" watch --json "$work/single/f" >"$work/single.out" 2>"$work/single.err" & pid=$!
wait_for "$work/single.err" "watching 1 path"
echo two >>"$work/single/f"
wait_for "$work/single.out" '"kind":"modified"'
rm "$work/single/f" && mkdir "$work/single/f"
wait_for "$work/single.out" '{"kind":"created","type":"directory","path":"'"$work/single/f"'","root":"'
stop
check "file root: SIGINT exits 0" test "$status" = 0
check "file root: removed as a file" grep -qF '{"kind":"removed","type":"file","path":"'"$work/single/f"'","root":"' "$work/single.out"

# An unreadable directory, as nobody (root reads everything): named on stderr, the rest reported.
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if [[ $(id -u) != 0 ]]; then
  skip_case root "the unreadable-directory case needs root (to run the tool as nobody)"
elif ! command -v setpriv >/dev/null; then
  skip_case setpriv "the unreadable-directory case needs setpriv (util-linux)"
else
  chmod 755 "$work"
  # A copy nobody may run, wherever the build tree is.
  cp "$tool" "$work/asio-fswatch-copy"; chmod 755 "$work/asio-fswatch-copy"
  "${nobody[@]}" "$work/asio-fswatch-copy" --version >/dev/null ||
    check "unreadable: nobody can run a copy of the tool" false
  locked=$work/locked; mkdir "$locked"; chown 65534:65534 "$locked"
  "${nobody[@]}" "$work/asio-fswatch-copy" watch --json "$locked" \
    >"$work/locked.out" 2>"$work/locked.err" & pid=$!
  wait_for "$work/locked.err" "watching 1 path"
  mkdir -m 000 "$locked/late"   # unreadable from its creation
  touch "$locked/after"
  wait_for "$work/locked.out" "$locked/after"
  wait_for "$work/locked.err" "Permission denied"
  stop
  check "unreadable: SIGINT exits 0" test "$status" = 0
  check "unreadable: named on stderr" grep -qxF "asio-fswatch: $(printf '%-11s%-11s' error directory)$locked/late: Permission denied" "$work/locked.err"
  check "unreadable: still reported as created" grep -qF '{"kind":"created","type":"directory","path":"'"$locked/late"'","root":"' "$work/locked.out"
  check "unreadable: the rest is reported" grep -qF '{"kind":"created","type":"file","path":"'"$locked/after"'","root":"' "$work/locked.out"
fi

# Roots that cannot be watched: a clear message naming the path and the reason, exit status 1.
touch "$work/plain"
ln -s loop_b "$work/loop_a"; ln -s loop_a "$work/loop_b"; ln -s self "$work/self"
too_long=$(py too-long-path "$work")
level20=$(py level-path "$deep_root" 20)
name256=$work/$(printf 'z%.0s' $(seq 256))
expect_root_error() { # expect_root_error NAME MESSAGE PATH...
  local name=$1 message=$2; shift 2
  check "$name: exit 1" expect_exit 1 "$tool" watch "$@"
  check "$name: message" grep -qF "cannot watch" "$work/err"
  check "$name: reason" grep -qF "$message" "$work/err"
  check "$name: nothing on stdout" test ! -s "$work/out"
}
expect_root_error "missing root" "No such file or directory" "$work/does-not-exist"
expect_root_error "missing root, hostile name" "No such file or directory" "$work/"$'gone\n\xff\xed\xa0\x80'
check "hostile name: one line, escaped as in event lines" \
  grep -qxF "asio-fswatch: cannot watch $work/gone\\n\\xff\\xed\\xa0\\x80: No such file or directory" "$work/err"
check "hostile name: nothing else on stderr" test "$(wc -l <"$work/err")" = 1
expect_root_error "root below a file" "Not a directory" "$work/plain/below"
expect_root_error "symlink loop" "Too many levels of symbolic links" "$work/loop_a"
expect_root_error "symlink to itself" "Too many levels of symbolic links" "$work/self"
expect_root_error "path beyond PATH_MAX" "File name too long" "$too_long"
expect_root_error "existing directory beyond PATH_MAX" "File name too long" "$level20"
expect_root_error "256-byte name" "File name too long" "$name256"
expect_root_error "one bad root among good ones" "No such file or directory" "$work/single" "$work/does-not-exist"
check "json flag does not change it" expect_exit 1 "$tool" watch --json "$work/loop_a"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
