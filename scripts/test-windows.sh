#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# The Windows step of scripts/test.sh: cross-builds the `windows` preset (MinGW-w64) and runs its
# tests through ctest under Wine, in a private Wine prefix that it creates and removes.
# Extra arguments go to ctest. Environment: ASIO_FSWATCH_SKIP_LOG as for the other presets.
#
# Wine's own costs are paid once: the prefix is made once per run (about 6 s), and one
# wineserver stays up for the whole run (-p), since otherwise every test waits seconds for the
# last one to linger out.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/build.sh windows

prefix=$(mktemp -d "${TMPDIR:-/tmp}/asio_fswatch-wine.XXXXXX")
export WINEPREFIX=$prefix
export WINEDEBUG=-all
# Wine stores a Windows name as bytes of the locale's character set: in the C locale (a bare
# machine, or `env -i`, sets none) no name outside ASCII can be made, and the cases of Unicode
# names fail. C.UTF-8 is built into Debian's libc: no locales package is needed.
export LC_ALL=C.UTF-8
# No Mono or Gecko installer prompts; no debugger on a crash (the program then exits 5).
export WINEDLLOVERRIDES="mscoree,mshtml,winedbg.exe=d"
# The prefix belongs to whoever runs this: Wine refuses a prefix owned by another user.
stop_wine() {
  wineserver -k 2>/dev/null || true
  wineserver -w 2>/dev/null || true
  rm -rf "$prefix"
}
trap stop_wine EXIT

wineserver -p # before anything else starts one that would end on its own
wine wineboot --init >/dev/null 2>&1
wine winecfg -v win10 >/dev/null 2>&1
wine cmd /c "ver" 2>/dev/null | tr -d '\r' | sed -n 's/^\(.\+\)$/windows: Wine reports "\1"/p'

ctest --preset windows --timeout 900 -j2 "$@"
