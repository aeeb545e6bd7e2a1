#!/usr/bin/env bash
# with-postgres.sh CMD...: starts a throwaway PostgreSQL cluster (initdb into a temp dir as an
# unprivileged user, a free port on 127.0.0.1, trust auth, no fsync), exports
# KLOZEO_TEST_PG_DSN=postgresql://postgres@127.0.0.1:PORT/postgres, runs CMD, and always stops
# the cluster and removes its directory. Exits with CMD's status.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

find_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  done
  return 1
}

PGBIN="${PGBIN:-$(find_bin || true)}"
if [ -z "$PGBIN" ]; then
  echo "with-postgres: PostgreSQL server binaries missing; installing postgresql" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql
  PGBIN="$(find_bin)"
fi

# initdb refuses to run as root: use the `postgres` system user (or `nobody`) then.
RUN=()
if [ "$(id -u)" -eq 0 ]; then
  user=postgres
  id -u "$user" >/dev/null 2>&1 || user=nobody
  RUN=(runuser -u "$user" --)
fi

dir="$(mktemp -d "${TMPDIR:-/tmp}/klozeo-pg.XXXXXX")"
chmod 755 "$dir"
mkdir -p "$dir/data" "$dir/sock"
if [ ${#RUN[@]} -gt 0 ]; then chown "$user" "$dir" "$dir/data" "$dir/sock"; fi

cleanup() {
  "${RUN[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

"${RUN[@]}" "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
  --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }

# A free port: ask the kernel for one, then retry a few times if it is taken meanwhile.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
started=0
for _ in 1 2 3 4 5; do
  port="$(free_port)"
  if "${RUN[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 -c fsync=off \
          -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 \
          -c shared_buffers=64MB" start >/dev/null; then
    started=1
    break
  fi
done
if [ "$started" -ne 1 ]; then
  echo "with-postgres: the server did not start:" >&2
  cat "$dir/server.log" >&2 || true
  exit 1
fi

export KLOZEO_TEST_PG_DSN="postgresql://postgres@127.0.0.1:$port/postgres"
# For tests that stop or restart this cluster (tests/integration/faults_test.cpp): pg_ctl's
# directory, the data directory, and the user the server runs as ("" when not root).
export KLOZEO_TEST_PG_BIN="$PGBIN" KLOZEO_TEST_PG_DATA="$dir/data" KLOZEO_TEST_PG_RUNAS="${user:-}"
echo "with-postgres: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on port $port" >&2
set +e
"$@"
status=$?
set -e
exit "$status"
