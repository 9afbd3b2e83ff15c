#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Installs, from Debian 12 packages, everything asio_fswatch needs to build, test and run its demo.
# Fast when everything is there already: it asks dpkg, and only calls apt-get for what is missing.
# Runs as root, or through sudo when that is available.
set -euo pipefail

packages=(
  g++ make cmake ninja-build pkg-config
  libboost1.81-dev libboost-test1.81-dev libboost-filesystem1.81-dev
  liburing-dev
  # The sanitizer builds (presets asan, tsan) use clang, whose sanitizer and libFuzzer runtimes
  # Debian 12 ships apart from the compiler; valgrind runs the unit tests (ctest label valgrind).
  clang libclang-rt-14-dev valgrind
  # What the tests run besides the build: the CLI tests' Python checks (bytes, JSON, descriptors),
  # ps (procps: process groups of `run`), setpriv (util-linux: a case run as nobody),
  # inotifywait (inotify-tools: the port of its scripts is checked against it).
  python3 procps util-linux inotify-tools
  # git: ignore files are checked against `git check-ignore` itself (ignore_git_conformance).
  git
  # The Debian packages (scripts/package.sh: CPack calls dpkg-shlibdeps, from dpkg-dev, and
  # file, which a minbase system lacks; the man page is checked with groff) and their test on a
  # fresh Debian 12 (scripts/package-test.sh).
  dpkg-dev file groff-base debootstrap
  # The reference site (scripts/doc.sh): Doxygen. The benchmark plots (scripts/plots.sh): gnuplot,
  # without X.
  doxygen gnuplot-nox
  # The Windows build (preset windows), tested under Wine: MinGW-w64's "-posix" compiler (the one
  # with std::thread; not the mingw-w64 meta package, 800 MB more), and Wine, whose commands
  # (wine, wineserver) come from package wine.
  g++-mingw-w64-x86-64-posix wine64 wine
)
# Extra sets, asked for by the callers that need them.
for extra in "$@"; do
  case "$extra" in
    --bench) ;; # inotify-tools, the peer measured: in the base set (the CLI tests run it too)
    # clang, and the libFuzzer and sanitizer runtimes (libclang_rt.fuzzer-x86_64.a), which Debian 12
    # ships apart from the compiler, only recommended by it.
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    *) echo "install-deps.sh: unknown option '$extra'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "install-deps.sh: installing ${missing[*]}" >&2
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
