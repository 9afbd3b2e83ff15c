#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Builds the reference site into build/doc/html: the API from the public headers' comments
# (Doxygen; any warning, an undocumented public symbol among them, fails) joined with README.md
# and doc/*.md, then checks every link in it (doc/site/). ctest runs it as test doc_site.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -DSOURCE="$PWD" -DOUTPUT="$PWD/build/doc" -P doc/site/build_site.cmake
