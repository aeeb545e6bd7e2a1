#!/usr/bin/env bash
# `cmake --install` into a staging DESTDIR (as `make install DESTDIR=...` does): every file
# lands, the systemd unit names the installed binary and configuration, and the installed
# binary accepts the installed sample configuration. `--strip` as `make install` does: the
# installed binary carries no debug info.
set -euo pipefail
build_dir="$1"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
DESTDIR="$stage" cmake --install "$build_dir" --strip >/dev/null
unit="$(find "$stage" -path '*/lib/systemd/system/klozeo.service')"
[ -n "$unit" ] || { echo "missing the systemd unit"; exit 1; }
exec_start="$(grep '^ExecStart=' "$unit")"
binary="$(echo "$exec_start" | sed -E 's/^ExecStart=([^ ]+) serve --config ([^ ]+)$/\1/')"
config="$(echo "$exec_start" | sed -E 's/^ExecStart=([^ ]+) serve --config ([^ ]+)$/\2/')"
[ -x "$stage$binary" ] || { echo "the unit's binary $binary was not installed"; exit 1; }
[ -f "$stage$config" ] || { echo "the unit's configuration $config was not installed"; exit 1; }
for f in share/man/man1/klozeo.1 share/doc/klozeo/OPERATIONS.md share/doc/klozeo/openapi.json; do
  [ -n "$(find "$stage" -path "*/$f")" ] || { echo "missing $f"; exit 1; }
done
if readelf -S "$stage$binary" | grep -q '\.debug_info'; then
  echo "the installed binary carries debug info (make install strips it)"; exit 1
fi
"$stage$binary" config check "$stage$config" >/dev/null \
  || { echo "the sample configuration does not pass config check"; exit 1; }
"$stage$binary" --help | grep -q serve
grep -q '^ProtectSystem=strict' "$unit" && grep -q '^NoNewPrivileges=yes' "$unit"
echo "install layout ok: $binary, $config"
