#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Builds the Debian packages (cmake/packaging.cmake) into build/package/packages/:
# asio-fswatch, libasio-fswatch0.1 (the SONAME's version) and libasio-fswatch-dev, from the preset `package` (Release,
# installed under /usr). Prints each package's control fields and files.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh package
rm -rf build/package/packages
(cd build/package && cpack -G DEB > cpack.log 2>&1) || { cat build/package/cpack.log >&2; exit 1; }
for deb in build/package/packages/*.deb; do
  echo "=== $(basename "$deb")"
  dpkg-deb --field "$deb" Package Version Architecture Depends Section
  dpkg-deb --contents "$deb" | awk '{print "    " $6 ($7 ? " " $7 " " $8 : "")}'
done
