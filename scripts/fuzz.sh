#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for SECONDS (default 60).
# Usage: bash scripts/fuzz.sh [SECONDS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
bash "$root/scripts/install-deps.sh"
command -v clang++ >/dev/null || { export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq clang libclang-rt-14-dev >/dev/null; }
build="$root/build-fuzz"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLATERAL_BUILD_FUZZERS=ON -DLATERAL_BUILD_TESTS=OFF -DLATERAL_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"
for fuzzer in "$build"/tests/fuzz/*_fuzzer; do
  name="$(basename "$fuzzer" _fuzzer)"
  corpus="$root/tests/fuzz/corpus/$name"
  work="$(mktemp -d)"
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
  # The chat-template test templates are seeds too (kept once, with the tests).
  [ "$name" = chat_template ] && cp "$root"/tests/data/chat-template/templates/*.jinja "$work"/
  echo "== $name for ${seconds}s"
  "$fuzzer" -max_total_time="$seconds" -max_len=65536 "$work" 2>&1 | tail -3
  rm -rf "$work"
done
