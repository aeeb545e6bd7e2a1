#!/usr/bin/env bash
# `cmake --install` into a staging DESTDIR: every file lands, the unit names the installed
# paths, and the installed binary accepts the installed sample configuration.
set -euo pipefail
build_dir="$1"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
prefix=/opt/klozeo-test
DESTDIR="$stage" cmake --install "$build_dir" --prefix "$prefix" >/dev/null
root="$stage$prefix"
for f in bin/klozeo share/man/man1/klozeo.1 etc/klozeo/klozeo.toml lib/systemd/system/klozeo.service \
         share/doc/klozeo/OPERATIONS.md share/doc/klozeo/openapi.json; do
  [ -e "$root/$f" ] || { echo "missing $f"; exit 1; }
done
grep -q "^ExecStart=.*/bin/klozeo serve --config .*/klozeo/klozeo.toml" "$root/lib/systemd/system/klozeo.service" \
  || { echo "unit has no ExecStart with --config"; exit 1; }
"$root/bin/klozeo" config check "$root/etc/klozeo/klozeo.toml" >/dev/null \
  || { echo "the sample configuration does not pass config check"; exit 1; }
"$root/bin/klozeo" --help | grep -q serve
if command -v systemd-analyze >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemd-analyze verify "$root/lib/systemd/system/klozeo.service" 2>&1 | grep -v "not executable\|No such file" || true
fi
echo "install layout ok"
