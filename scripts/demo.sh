#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# README command 1: installs what is missing, builds the tool and runs its self-driving demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh default --target asio-fswatch
exec build/default/tools/asio-fswatch/asio-fswatch demo "$@"
