#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Builds and runs test/consumer/consumer.cpp against an installed asio_fswatch with nothing but
# `pkg-config --cflags --libs asio_fswatch` (no CMake), once against the shared library and once
# statically (the static library, with --static adding liburing).
#   pkg_config_consumer.sh PREFIX CONSUMER_SOURCE WORK_DIR [CXX]
set -euo pipefail
prefix=$1 source=$2 work=$3 cxx=${4:-c++}
command -v pkg-config > /dev/null || { echo "pkg_config_consumer: pkg-config is not installed (scripts/install-deps.sh installs it)" >&2; exit 1; }
pc=$(find "$prefix" -name asio_fswatch.pc -print -quit)
[[ -n $pc ]] || { echo "pkg_config_consumer: no asio_fswatch.pc under $prefix" >&2; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
rm -rf "$work" && mkdir -p "$work"

flags=$(pkg-config --cflags --libs asio_fswatch)
echo "pkg-config --cflags --libs asio_fswatch: $flags"
# shellcheck disable=SC2086 # the flags are words
"$cxx" -std=c++17 "$source" -o "$work/consumer_shared" $flags
libdir=$(pkg-config --variable=libdir asio_fswatch)
readelf -d "$work/consumer_shared" | grep -q 'NEEDED.*libasio_fswatch\.so\.' ||
  { echo "pkg_config_consumer: the program does not load the shared libasio_fswatch" >&2; exit 1; }
LD_LIBRARY_PATH=$libdir "$work/consumer_shared"

static_flags=$(pkg-config --static --cflags --libs asio_fswatch)
echo "pkg-config --static --cflags --libs asio_fswatch: $static_flags"
# The static library by its file name: -lasio_fswatch would pick the shared one.
# shellcheck disable=SC2086
"$cxx" -std=c++17 "$source" -o "$work/consumer_static" ${static_flags/-lasio_fswatch/-l:libasio_fswatch.a}
if readelf -d "$work/consumer_static" | grep -q 'libasio_fswatch'; then
  echo "pkg_config_consumer: the static program still loads libasio_fswatch" >&2
  exit 1
fi
"$work/consumer_static"
echo "pkg_config_consumer: shared and static consumers built with pkg-config only, and ran"
