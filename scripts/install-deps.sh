#!/usr/bin/env bash
# Installs what klozeo needs to build, test and benchmark, from Debian's packages.
# Idempotent: installs only what is missing, so a second run costs a second.
#   install-deps.sh          everything: the server, tests, fuzz targets, benchmarks (make test)
#   install-deps.sh server   only what building the server needs (make run, make build)
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config
  # libraries
  libboost-dev libboost-system-dev nlohmann-json3-dev libsqlite3-dev libssl-dev
  libspdlog-dev libcli11-dev libutf8proc-dev libphonenumber-dev libxlsxwriter-dev libpq-dev
  libcurl4-openssl-dev libjemalloc-dev
  prometheus-cpp-dev libtomlplusplus-dev
)
SCOPE="${1:-all}"
case "$SCOPE" in
  server) ;;
  all) PACKAGES+=(
  # format check
  clang-format
  # fuzz targets (libFuzzer): clang++ and its runtime
  clang libclang-rt-14-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev wrk unzip sqlite3 curl
  # tests: JSON-schema validation of responses against docs/openapi.json
  libvalijson-dev
  # PostgreSQL server for the .pg test variants and benchmarks (scripts/with-postgres.sh)
  postgresql python3
  # tests: npm packages pinned by lockfiles under tests/ (OpenAPI validator: tests/openapi;
  # the official MCP SDK client: tests/mcp; web console end to end: tests/console, in headless
  # Chromium)
  nodejs chromium
  )
  # npm: Debian's package, unless the installed Node.js bundles it (NodeSource's nodejs does,
  # and conflicts with Debian's npm).
  command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
  ;;
  *) echo "usage: $0 [server|all]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
else
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
fi

# npm packages of the tests, exactly as their lockfiles pin them: `npm ci` only when
# node_modules is missing or older than the lockfile.
npm_ci() {
  local dir
  dir="$(dirname "$0")/../$1"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
     [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "install-deps: npm ci in $1"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
[ "$SCOPE" = all ] || exit 0
npm_ci tests/openapi
npm_ci tests/mcp
npm_ci tests/console
