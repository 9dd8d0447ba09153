#!/usr/bin/env bash
# Installs dependencies (Debian 12 packages), builds lateral and runs the whole
# test suite. Exits non-zero if anything fails. Usage: bash scripts/test.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${LATERAL_BUILD_DIR:-$root/build}"
jobs="${LATERAL_JOBS:-$(nproc)}"

bash "$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$jobs"
cd "$build"
ctest --output-on-failure -j "$jobs" --timeout 900
