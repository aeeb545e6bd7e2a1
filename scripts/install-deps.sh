#!/usr/bin/env bash
# Installs what klozeo needs to build, test and benchmark, from Debian's packages.
# Idempotent: installs only what is missing, so a second run costs a second.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang-format
  # fuzz targets (libFuzzer): clang++ and its runtime
  clang libclang-rt-14-dev
  # libraries
  libboost-dev libboost-system-dev nlohmann-json3-dev libsqlite3-dev libssl-dev
  libspdlog-dev libcli11-dev libutf8proc-dev libphonenumber-dev libxlsxwriter-dev libpq-dev
  libcurl4-openssl-dev
  prometheus-cpp-dev libtomlplusplus-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev wrk unzip sqlite3 curl
  # tests: JSON-schema validation of responses against docs/openapi.json
  libvalijson-dev
  # PostgreSQL server for the .pg test variants and benchmarks (scripts/with-postgres.sh)
  postgresql python3
  # web console end-to-end tests (tests/console): headless Chromium driven from Node
  chromium nodejs
)
# npm ships inside some nodejs builds (NodeSource's conflicts with Debian's npm package): ask
# for Debian's only when no npm is there.
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(npm); fi

# The console tests' npm packages, pinned by tests/console/package-lock.json; run again only
# when the lockfile changed since the last install.
npm_ci() {
  local dir="$1"
  local stamp="$dir/node_modules/.package-lock.json"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$dir/package-lock.json" ]; then return 0; fi
  echo "install-deps: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
npm_packages() {
  npm_ci "$ROOT/tests/console"
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  npm_packages
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: missing ${missing[*]} and not root (no sudo): install them first" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
npm_packages
