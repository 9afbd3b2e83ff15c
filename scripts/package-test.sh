#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# The Debian packages on a fresh Debian 12: debootstraps a minbase bookworm (as bare as a new
# machine: no compiler, no CMake), installs build/package/packages/*.deb there with apt-get (which
# must pull every declared dependency), checks that dpkg -L shows nothing outside /usr and that
# the tool, its man page and its bash completion are in place, then installs a compiler and builds
# and runs test/consumer with find_package (the shared and the static library), with
# pkg-config alone, and in header-only mode (src.hpp). Needs root (debootstrap, chroot, mounts)
# and the Debian mirror; without root it says so and records a skip (machine precondition
# `root`: a failure on CI, which runs as root).
# Run scripts/package.sh first. ASIO_FSWATCH_DEBIAN_MIRROR overrides http://deb.debian.org/debian.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=$PWD/build/package/packages
work=$PWD/build/package-test
mirror=${ASIO_FSWATCH_DEBIAN_MIRROR:-http://deb.debian.org/debian}

skip() { # the test.sh skip record (test/common/skip.hpp), then success
  echo "package-test: skipped [$1]: $2"
  [[ -n ${ASIO_FSWATCH_SKIP_LOG:-} ]] && printf 'machine\t%s\tpackage-test\t%s\n' "$1" "$2" >> "$ASIO_FSWATCH_SKIP_LOG"
  exit 0
}
[[ $(id -u) == 0 ]] || skip root "installing the packages into a fresh Debian needs root (debootstrap, chroot, mounts)"
for tool in debootstrap unshare chroot; do
  command -v "$tool" > /dev/null || { echo "package-test: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
shopt -s nullglob
debs=("$packages"/*.deb)
((${#debs[@]} == 3)) || { echo "package-test: expected 3 packages in $packages, found ${#debs[@]}: run scripts/package.sh" >&2; exit 1; }

root=$work/root
rm -rf "$work"
mkdir -p "$work"
echo "=== package-test: debootstrap --variant=minbase bookworm ($mirror)"
debootstrap --variant=minbase bookworm "$root" "$mirror" > "$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log" >&2; echo "package-test: debootstrap failed (log: $work/debootstrap.log)" >&2; exit 1; }
mkdir -p "$root/debs" "$root/consumer"
cp "${debs[@]}" "$root/debs/"
cp test/consumer/consumer.cpp test/consumer/header_only_src.cpp test/consumer/CMakeLists.txt "$root/consumer/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cat > "$root/inside.sh" <<'INSIDE'
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
fail() { echo "package-test: FAILED: $*" >&2; exit 1; }
command -v c++ > /dev/null && fail "the fresh system already has a compiler"
apt-get update -qq
echo "=== apt-get install ./debs/*.deb"
apt-get install -y -qq --no-install-recommends ./debs/*.deb > /tmp/apt-debs.log || { cat /tmp/apt-debs.log; fail "apt-get install of the packages"; }
for deb in /debs/*.deb; do
  package=$(dpkg-deb --field "$deb" Package)
  echo "=== dpkg -L $package"
  dpkg -L "$package" | tee "/tmp/$package.list" | sed 's/^/    /'
  outside=$(grep -v -e '^/\.$' -e '^/usr$' -e '^/usr/' "/tmp/$package.list" || true)
  [[ -z $outside ]] || fail "$package installs outside /usr: $outside"
done
echo "=== the declared dependencies were pulled"
for dependency in libboost1.81-dev liburing-dev liburing2; do
  dpkg -s "$dependency" > /dev/null 2>&1 || fail "$dependency was not installed with the packages"
done
asio-fswatch --version || fail "asio-fswatch --version"
asio-fswatch watch --help > /dev/null || fail "asio-fswatch watch --help"
test -f /usr/share/man/man1/asio-fswatch.1.gz || fail "no man page"
test -f /usr/share/doc/libasio-fswatch-dev/copyright || fail "no copyright file"
grep -q '^License: BSL-1.0' /usr/share/doc/asio-fswatch/copyright || fail "the copyright file does not name BSL-1.0"
bash -c 'source /usr/share/bash-completion/completions/asio-fswatch && complete -p asio-fswatch' || fail "the bash completion"
echo "=== a compiler and CMake, then the consumers"
apt-get install -y -qq --no-install-recommends g++ cmake make pkg-config > /tmp/apt-tools.log || { cat /tmp/apt-tools.log; fail "apt-get install g++ cmake make pkg-config"; }
cmake -S /consumer -B /tmp/consumer-build -DCMAKE_BUILD_TYPE=Release > /tmp/consumer-configure.log || { cat /tmp/consumer-configure.log; fail "configuring the consumer (find_package)"; }
cmake --build /tmp/consumer-build || fail "building the consumer"
/tmp/consumer-build/consumer || fail "the consumer (shared library)"
/tmp/consumer-build/consumer_static || fail "the consumer (static library)"
echo "pkg-config: $(pkg-config --cflags --libs asio_fswatch)"
# shellcheck disable=SC2046
c++ -std=c++17 /consumer/consumer.cpp -o /tmp/consumer-pc $(pkg-config --cflags --libs asio_fswatch) || fail "building with pkg-config"
/tmp/consumer-pc || fail "the pkg-config consumer"
echo "=== header-only mode (src.hpp), with Asio macros the installed library was not built with"
c++ -std=c++17 -DBOOST_ASIO_DISABLE_EPOLL -DBOOST_ASIO_ENABLE_HANDLER_TRACKING /consumer/consumer.cpp /consumer/header_only_src.cpp \
  -o /tmp/consumer-header-only -luring -pthread || fail "building in header-only mode"
/tmp/consumer-header-only 2> /dev/null || fail "the header-only consumer"
echo "package-test: installed on a fresh Debian 12, consumers built with find_package and pkg-config, and ran"
INSIDE
echo "=== package-test: inside the fresh system"
unshare --mount --propagation private bash -c '
set -e
root=$1
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 bash /inside.sh
' _ "$root"
