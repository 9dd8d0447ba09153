#!/usr/bin/env bash
# Installs everything lateral needs to build, test and run, from Debian 12's archive only.
# Safe to re-run: apt-get skips what is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libfaiss-dev librocksdb-dev libicu-dev libsentencepiece-dev libabsl-dev libtbb-dev
  libopenblas-dev nlohmann-json3-dev
  libxml2-dev libpoppler-cpp-dev libstemmer-dev libcurl4-openssl-dev libssl-dev zlib1g-dev
  libsqlite3-dev libxapian-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
